-- The good practice library as the annual report, the explorer and the open data read it:
-- one row per case study and metric it bears on, with its council, its headline outcome
-- ('3.5 -> 10.7 defects per gang per day') and all its outcomes in a sentence. The case
-- studies are reviewed files (case_studies/<id>.yml) compiled into seeds.
with outcomes as (
    select
        o.case_study_id,
        o.outcome_order,
        o.measure,
        o.before_date,
        o.after_date,
        {{ case_study_outcome_text('o.before_value', 'o.after_value', 'o.unit') }} as change_text
    from {{ ref('stg_practice__case_study_outcomes') }} as o
),

outcome_lines as (
    select
        o.case_study_id,
        count(*)                                                                   as outcome_count,
        (array_agg(o.change_text order by o.outcome_order))[1]                     as headline_outcome,
        string_agg(
            o.measure || ': ' || o.change_text || ' (' || to_char(o.before_date, 'FMMonth YYYY') || ' to '
            || to_char(o.after_date, 'FMMonth YYYY') || ')',
            '; ' order by o.outcome_order
        )                                                                          as outcomes_text
    from outcomes as o
    group by o.case_study_id
)

select
    s.case_study_id,
    s.title,
    s.council_code,
    c.council_name,
    c.tier                                                                         as council_tier,
    s.summary,
    sm.metric_id,
    m.metric_name,
    m.service_area,
    m.polarity,
    l.headline_outcome,
    l.outcomes_text,
    coalesce(l.outcome_count, 0)                                                   as outcome_count,
    s.contact_role,
    s.link,
    s.is_sample,
    s.reviewed_by,
    s.reviewed_on
from {{ ref('stg_practice__case_studies') }} as s
inner join {{ ref('stg_practice__case_study_metrics') }} as sm on sm.case_study_id = s.case_study_id
inner join {{ ref('dim_council') }} as c on c.council_code = s.council_code
inner join {{ ref('dim_metric') }} as m on m.metric_id = sm.metric_id
left join outcome_lines as l on l.case_study_id = s.case_study_id
