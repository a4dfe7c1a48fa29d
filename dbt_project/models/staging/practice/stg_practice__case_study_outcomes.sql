-- Each case study's figures before and after, in its file's order (1 is the headline).
select
    case_study_id::text    as case_study_id,
    outcome_order::integer as outcome_order,
    measure::text          as measure,
    unit::text             as unit,
    before_value::numeric  as before_value,
    before_date::date      as before_date,
    after_value::numeric   as after_value,
    after_date::date       as after_date
from {{ ref('case_study_outcomes') }}
