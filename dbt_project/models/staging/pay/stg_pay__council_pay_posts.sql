-- The pay posts that count: for each council and pay year, the posts of its latest loaded
-- pay deposit only. The ledger keeps one loaded submission per council and pay year (a
-- corrected deposit supersedes the earlier one, whose posts stay in raw as history); the
-- ranking only makes "the latest" explicit should two ever be loaded at once.
-- Confidential: staging is read by the transformer alone; councils read their own posts
-- in pay.pay_council_posts, everyone else suppressed statistics in the marts.
with loaded as (
    select
        submission_id,
        fetched_at,
        row_number() over (
            partition by subject, period
            order by fetched_at desc, submission_id desc
        ) as newest_first
    from {{ source('ops', 'submissions') }}
    where
        source_kind = 'council_pay'
        and status = 'loaded'
)

select
    p.submission_id::bigint                         as submission_id,
    p.row_number::integer                           as source_row_number,
    p.council_code::text                            as council_code,
    p.pay_year::text                                as pay_year,
    trim(p.post_id)                                 as post_id,
    trim(p.job_title)                               as job_title,
    trim(p.role_id)                                 as role_id,
    nullif(trim(p.grade), '')                       as grade,
    p.scp_min::integer                              as scp_min,
    p.scp_max::integer                              as scp_max,
    p.fte_salary::numeric(12, 2)                    as fte_salary,
    p.fte::numeric(5, 4)                            as fte,
    p.headcount::integer                            as headcount,
    (p.fte * p.headcount)::numeric(12, 4)           as fte_weight,
    p.allowances::numeric(12, 2)                    as allowances,
    p.market_supplement::numeric(12, 2)             as market_supplement,
    nullif(trim(p.contract_type), '')               as contract_type,
    s.fetched_at                                    as received_at
from {{ source('raw_pay', 'council_pay_posts') }} as p
inner join loaded as s on s.submission_id = p.submission_id and s.newest_first = 1
