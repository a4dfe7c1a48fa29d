-- Each council's own figures per catalogue role and pay year, computed exactly as the
-- group statistics of marts.mart_pay_benchmark are (FTE-weighted, macros/rules/
-- weighted_quantile.sql) but not rounded: what a council's report sets against its
-- comparison groups. Its own figures only: row-level security as in pay_council_posts.
with points as (
    select
        council_code,
        pay_year,
        role_id,
        fte_salary                                                      as salary,
        fte_weight,
        headcount,
        sum(fte_weight) over (
            partition by council_code, pay_year, role_id order by fte_salary
        )                                                               as cumulative_weight,
        sum(fte_weight) over (partition by council_code, pay_year, role_id) as total_weight
    from {{ ref('stg_pay__council_pay_posts') }}
)

select
    council_code,
    pay_year,
    role_id,
    count(*)::integer                                   as posts,
    sum(headcount)::integer                             as incumbents,
    sum(fte_weight)                                     as fte,
    min(salary)                                         as lowest_salary,
    {{ weighted_quantile(0.25) }}                       as lower_quartile_salary,
    {{ weighted_quantile(0.5) }}                        as median_salary,
    {{ weighted_quantile(0.75) }}                       as upper_quartile_salary,
    max(salary)                                         as highest_salary
from points
group by council_code, pay_year, role_id
