-- Where a council could learn from others: for each council and metric where, at the
-- metric's latest period, the council is in the bottom quartile of the region or getting
-- worse, what to read and whom to ask. One row per suggestion: the case studies on that
-- metric (mart_case_studies, other councils' only) first, then the councils of
-- mart_best_practice for it, numbered by suggestion_order. A flagged metric with nothing
-- to suggest has no row.
--
-- Worsening is the 12-period trend (mart_benchmark.trend_direction); where the trend is
-- not comparable (a year-to-date metric, or fewer than trend_min_periods points) it is the
-- comparison with the same period a year earlier (direction_vs_last_year).
with benchmark_region as (
    select *
    from {{ ref('mart_benchmark') }}
    where group_type = 'region'
),

latest as (
    select metric_id, max(period_index) as latest_index
    from benchmark_region
    group by metric_id
),

judged as (
    select
        b.council_code,
        b.metric_id,
        b.period,
        b.rank,
        b.group_size,
        b.quartile,
        b.trend_direction,
        b.trend_periods,
        b.direction_vs_last_year,
        coalesce(b.quartile = 4, false)                                            as is_bottom_quartile,
        coalesce(b.trend_direction = 'worsening', false)                           as is_trend_worsening,
        coalesce(b.trend_direction = 'not comparable' and b.direction_vs_last_year = 'worsening', false)
                                                                                   as is_worse_than_last_year
    from benchmark_region as b
    inner join latest as l on l.metric_id = b.metric_id and l.latest_index = b.period_index
),

flagged as (
    select
        j.*,
        j.is_trend_worsening or j.is_worse_than_last_year                         as is_worsening,
        concat_ws(
            '; ',
            case when j.is_bottom_quartile
                 then 'bottom quartile of the region (rank ' || j.rank || ' of ' || j.group_size || ')' end,
            case when j.is_trend_worsening then 'getting worse over the last ' || j.trend_periods || ' periods' end,
            case when j.is_worse_than_last_year then 'worse than a year earlier' end
        )                                                                          as flag_reason
    from judged as j
    where j.is_bottom_quartile or j.is_trend_worsening or j.is_worse_than_last_year
),

suggestions as (
    select
        f.council_code,
        f.metric_id,
        'case_study'                                                               as suggestion_type,
        1                                                                          as type_order,
        row_number() over (
            partition by f.council_code, f.metric_id order by cs.reviewed_on desc, cs.case_study_id asc
        )                                                                          as order_in_type,
        cs.case_study_id,
        cs.title                                                                   as case_study_title,
        cs.council_code                                                            as case_study_council_code,
        cs.council_name                                                            as case_study_council_name,
        cs.summary                                                                 as case_study_summary,
        cs.contact_role                                                            as case_study_contact_role,
        cs.link                                                                    as case_study_link,
        cs.is_sample                                                               as case_study_is_sample,
        cs.headline_outcome,
        null::text                                                                 as best_practice_council_code,
        null::text                                                                 as best_practice_council_name,
        null::bigint                                                               as best_practice_rank,
        null::text                                                                 as best_practice_website,
        null::text                                                                 as best_practice_why
    from flagged as f
    inner join {{ ref('mart_case_studies') }} as cs
        on cs.metric_id = f.metric_id and cs.council_code <> f.council_code
    union all
    select
        f.council_code,
        f.metric_id,
        'best_practice_council'                                                    as suggestion_type,
        2                                                                          as type_order,
        row_number() over (
            partition by f.council_code, f.metric_id order by bp.rank, bp.council_name
        )                                                                          as order_in_type,
        null::text                                                                 as case_study_id,
        null::text                                                                 as case_study_title,
        null::text                                                                 as case_study_council_code,
        null::text                                                                 as case_study_council_name,
        null::text                                                                 as case_study_summary,
        null::text                                                                 as case_study_contact_role,
        null::text                                                                 as case_study_link,
        null::boolean                                                              as case_study_is_sample,
        null::text                                                                 as headline_outcome,
        bp.council_code                                                            as best_practice_council_code,
        bp.council_name                                                            as best_practice_council_name,
        bp.rank                                                                    as best_practice_rank,
        bp.website                                                                 as best_practice_website,
        bp.why                                                                     as best_practice_why
    from flagged as f
    inner join {{ ref('mart_best_practice') }} as bp
        on bp.metric_id = f.metric_id and bp.council_code <> f.council_code
)

select
    f.council_code,
    c.council_name,
    f.metric_id,
    m.metric_name,
    m.service_area,
    f.period,
    f.rank,
    f.group_size,
    f.quartile,
    f.trend_direction,
    f.direction_vs_last_year,
    f.is_bottom_quartile,
    f.is_worsening,
    f.flag_reason,
    row_number() over (
        partition by s.council_code, s.metric_id order by s.type_order, s.order_in_type
    )                                                                              as suggestion_order,
    s.suggestion_type,
    s.case_study_id,
    s.case_study_title,
    s.case_study_council_code,
    s.case_study_council_name,
    s.case_study_summary,
    s.case_study_contact_role,
    s.case_study_link,
    s.case_study_is_sample,
    s.headline_outcome,
    s.best_practice_council_code,
    s.best_practice_council_name,
    s.best_practice_rank,
    s.best_practice_website,
    s.best_practice_why
from suggestions as s
inner join flagged as f on f.council_code = s.council_code and f.metric_id = s.metric_id
inner join {{ ref('dim_council') }} as c on c.council_code = f.council_code
inner join {{ ref('dim_metric') }} as m on m.metric_id = f.metric_id
