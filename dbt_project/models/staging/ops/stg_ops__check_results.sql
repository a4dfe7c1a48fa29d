-- Validation results, one row per submission and check (pass / warn / fail).
select
    submission_id::bigint           as submission_id,
    check_name::text                as check_name,
    severity::text                  as severity,
    outcome::text                   as check_outcome,
    failing_row_count::integer      as failing_row_count,
    message::text                   as message,
    checked_at                      as checked_at
from {{ source('ops', 'check_results') }}
