-- mart_pay_benchmark publishes salaries only where the thresholds hold, recomputed here
-- from the posts and the groups' members independently of the mart: suppressed rows
-- have no salary and a reason, published rows have every quartile, no reason, at least
-- var('pay_min_councils') councils (in the group and contributing), var('pay_min_incumbents')
-- incumbents, no council above var('pay_max_council_share') of them, P10/P90 exactly from
-- var('pay_percentile_min_councils') councils, and quantiles in order. Returns offending rows.
with members as (
    select group_id, member_council_code as council_code
    from {{ ref('int_council__comparison_groups') }}
    union
    select 'partnership:' || group_id as group_id, council_code
    from {{ ref('partnership_groups') }}
),

by_council as (
    select m.group_id, p.pay_year, p.role_id, p.council_code, sum(p.headcount) as incumbents
    from {{ ref('stg_pay__council_pay_posts') }} as p
    inner join members as m on m.council_code = p.council_code
    group by m.group_id, p.pay_year, p.role_id, p.council_code
),

recounted as (
    select group_id, pay_year, role_id, count(*) as councils, sum(incumbents) as incumbents,
           max(incumbents) as largest
    from by_council
    group by group_id, pay_year, role_id
),

sizes as (
    select group_id, count(*) as group_councils from members group by group_id
)

select b.group_id, b.pay_year, b.role_id, 'suppressed row with a salary, or without a reason' as problem
from {{ ref('mart_pay_benchmark') }} as b
where b.is_suppressed
  and (num_nonnulls(b.p10_salary, b.lower_quartile_salary, b.median_salary, b.upper_quartile_salary, b.p90_salary) > 0
       or b.suppression_reason is null)

union all

select b.group_id, b.pay_year, b.role_id, 'published row breaking a threshold' as problem
from {{ ref('mart_pay_benchmark') }} as b
inner join recounted as r on r.group_id = b.group_id and r.pay_year = b.pay_year and r.role_id = b.role_id
inner join sizes as s on s.group_id = b.group_id
where not b.is_suppressed
  and (s.group_councils < {{ var('pay_min_councils') }}
       or r.councils < {{ var('pay_min_councils') }}
       or r.incumbents < {{ var('pay_min_incumbents') }}
       or r.largest > {{ var('pay_max_council_share') }} * r.incumbents
       or r.councils <> b.councils or r.incumbents <> b.incumbents
       or b.suppression_reason is not null
       or num_nulls(b.lower_quartile_salary, b.median_salary, b.upper_quartile_salary) > 0
       or (b.p10_salary is null) <> (r.councils < {{ var('pay_percentile_min_councils') }})
       or (b.p90_salary is null) <> (r.councils < {{ var('pay_percentile_min_councils') }})
       or not (coalesce(b.p10_salary, b.lower_quartile_salary) <= b.lower_quartile_salary
               and b.lower_quartile_salary <= b.median_salary
               and b.median_salary <= b.upper_quartile_salary
               and b.upper_quartile_salary <= coalesce(b.p90_salary, b.upper_quartile_salary)))

union all

select b.group_id, b.pay_year, b.role_id, 'row without its contributions' as problem
from {{ ref('mart_pay_benchmark') }} as b
left join recounted as r on r.group_id = b.group_id and r.pay_year = b.pay_year and r.role_id = b.role_id
where r.group_id is null
