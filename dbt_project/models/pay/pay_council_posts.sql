-- Each council's own pay posts, as its latest loaded deposit has them (one row per post).
-- Every council's rows are here, and row-level security shows a council's role (or a
-- login that is a member of it) only its own: see macros/plumbing/council_row_security.sql.
select
    p.council_code,
    r.council_name,
    p.pay_year,
    p.post_id,
    p.job_title,
    p.role_id,
    p.grade,
    p.scp_min,
    p.scp_max,
    p.fte_salary,
    p.fte,
    p.headcount,
    p.fte_weight,
    p.allowances,
    p.market_supplement,
    p.contract_type,
    p.submission_id,
    p.received_at
from {{ ref('stg_pay__council_pay_posts') }} as p
inner join {{ ref('stg_reference__council_registry') }} as r on r.council_code = p.council_code
