-- Which metrics each case study bears on: one row per case study and metric id.
select
    case_study_id::text as case_study_id,
    metric_id::text     as metric_id
from {{ ref('case_study_metrics') }}
