-- Confidential pay statistics: per catalogue role, pay year and comparison group, how
-- many councils and incumbents contribute and the FTE-weighted quartiles of their FTE
-- salaries (P10 and P90 too from var('pay_percentile_min_councils') councils), rounded to
-- the nearest var('pay_rounding') pounds, published only when they cannot reveal one
-- council's pay: at least var('pay_min_councils') councils and var('pay_min_incumbents')
-- incumbents, and no council holding more than var('pay_max_council_share') of the
-- incumbents. Otherwise the salaries are null and suppression_reason says why; a group
-- of fewer than var('pay_min_councils') councils is refused outright.
-- Groups: those of int_council__comparison_groups (region, tier, county family, each
-- council's nearest neighbours with the council itself) and the partnership groups of
-- the seed. No single council's figures: a council's own are in pay.pay_council_roles.
{%- set min_councils = var('pay_min_councils') | int %}
{%- set min_incumbents = var('pay_min_incumbents') | int %}
{%- set max_share = var('pay_max_council_share') | float %}
{%- set rounding = var('pay_rounding') | int %}

with posts as (
    select council_code, pay_year, role_id, fte_salary, fte_weight, headcount
    from {{ ref('stg_pay__council_pay_posts') }}
),

memberships as (
    select distinct group_type, group_id, group_label, member_council_code as council_code
    from {{ ref('int_council__comparison_groups') }}

    union

    select 'partnership' as group_type, 'partnership:' || group_id as group_id, group_name as group_label, council_code
    from {{ ref('partnership_groups') }}
),

-- Groups, and (pay year, role) pairs, are keyed by numbers and salaries sorted in pence:
-- the sort of every group's salaries is most of the work, and integers sort several times
-- faster than text and numeric (200,000 posts: under a second instead of three).
groups as (
    select
        group_id,
        min(group_type)                                 as group_type,
        min(group_label)                                as group_label,
        count(*)                                        as group_councils,
        row_number() over (order by group_id)           as group_key
    from memberships
    group by group_id
),

members as (
    select g.group_key, m.council_code
    from memberships as m
    inner join groups as g on g.group_id = m.group_id
),

statistics as (
    select pay_year, role_id, row_number() over (order by pay_year, role_id) as statistic_key
    from posts
    group by pay_year, role_id
),

-- one weighted point per council, statistic and salary (fewer rows to sort per group)
council_salaries as (
    select
        p.council_code,
        s.statistic_key,
        p.fte_salary                                    as salary,
        (100 * p.fte_salary)::bigint                    as salary_pence,
        sum(p.fte_weight)                               as weight
    from posts as p
    inner join statistics as s on s.pay_year = p.pay_year and s.role_id = p.role_id
    group by p.council_code, s.statistic_key, p.fte_salary
),

council_incumbents as (
    select p.council_code, s.statistic_key, sum(p.headcount) as incumbents
    from posts as p
    inner join statistics as s on s.pay_year = p.pay_year and s.role_id = p.role_id
    group by p.council_code, s.statistic_key
),

contributions as (
    select
        m.group_key,
        i.statistic_key,
        count(*)                                        as councils,
        sum(i.incumbents)                               as incumbents,
        max(i.incumbents)                               as largest_council_incumbents
    from council_incumbents as i
    inner join members as m on m.council_code = i.council_code
    group by m.group_key, i.statistic_key
),

weighted as (
    select
        m.group_key,
        s.statistic_key,
        s.salary,
        sum(s.weight) over (partition by m.group_key, s.statistic_key order by s.salary_pence) as cumulative_weight,
        sum(s.weight) over (partition by m.group_key, s.statistic_key)                        as total_weight
    from council_salaries as s
    inner join members as m on m.council_code = s.council_code
),

quantiles as (
    select
        group_key,
        statistic_key,
        {{ weighted_quantile(0.1) }}                    as p10,
        {{ weighted_quantile(0.25) }}                   as lower_quartile,
        {{ weighted_quantile(0.5) }}                    as median,
        {{ weighted_quantile(0.75) }}                   as upper_quartile,
        {{ weighted_quantile(0.9) }}                    as p90
    from weighted
    group by group_key, statistic_key
),

judged as (
    select
        c.*,
        g.group_type,
        g.group_id,
        g.group_label,
        g.group_councils,
        st.pay_year,
        st.role_id,
        100.0 * c.largest_council_incumbents / c.incumbents             as largest_council_pct,
        g.group_councils < {{ min_councils }}                           as is_refused,
        c.councils < {{ min_councils }}                                 as too_few_councils,
        c.incumbents < {{ min_incumbents }}                             as too_few_incumbents,
        c.largest_council_incumbents > {{ max_share }} * c.incumbents   as one_council_dominates
    from contributions as c
    inner join groups as g on g.group_key = c.group_key
    inner join statistics as st on st.statistic_key = c.statistic_key
),

verdicts as (
    select
        *,
        (is_refused or too_few_councils or too_few_incumbents or one_council_dominates) as is_suppressed,
        case
            when is_refused then format(
                'a comparison group of fewer than {{ min_councils }} councils (%s) is refused', group_councils
            )
            else nullif(concat_ws(
                '; ',
                case when too_few_councils then format('fewer than {{ min_councils }} councils (%s)', councils) end,
                case when too_few_incumbents
                     then format('fewer than {{ min_incumbents }} incumbents (%s)', incumbents) end,
                case when one_council_dominates then format(
                    'one council holds %s%% of the incumbents (more than {{ "%g" % (max_share * 100) }}%%)',
                    -- whole percent, unless that would read as the threshold itself
                    case when round(largest_council_pct) > {{ max_share * 100 }} then round(largest_council_pct)::text
                         else trim_scale(round(largest_council_pct, 2))::text end
                ) end
            ), '')
        end as suppression_reason
    from judged
)

select
    v.pay_year,
    v.role_id,
    r.role_name,
    r.job_family,
    v.group_type,
    v.group_id,
    v.group_label,
    v.group_councils::integer                                                       as group_councils,
    v.councils::integer                                                             as councils,
    v.incumbents::integer                                                           as incumbents,
    case when not v.is_suppressed and v.councils >= {{ var('pay_percentile_min_councils') | int }}
         then (round(q.p10 / {{ rounding }}) * {{ rounding }})::integer end         as p10_salary,
    case when not v.is_suppressed
         then (round(q.lower_quartile / {{ rounding }}) * {{ rounding }})::integer end as lower_quartile_salary,
    case when not v.is_suppressed
         then (round(q.median / {{ rounding }}) * {{ rounding }})::integer end      as median_salary,
    case when not v.is_suppressed
         then (round(q.upper_quartile / {{ rounding }}) * {{ rounding }})::integer end as upper_quartile_salary,
    case when not v.is_suppressed and v.councils >= {{ var('pay_percentile_min_councils') | int }}
         then (round(q.p90 / {{ rounding }}) * {{ rounding }})::integer end         as p90_salary,
    v.is_suppressed,
    v.suppression_reason
from verdicts as v
inner join quantiles as q on q.group_key = v.group_key and q.statistic_key = v.statistic_key
left join {{ ref('pay_roles') }} as r on r.role_id = v.role_id
