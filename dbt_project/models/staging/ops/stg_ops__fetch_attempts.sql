-- Every fetch attempt, typed and renamed: received, unchanged (304), not_received or error.
select
    attempt_id::bigint                                              as attempt_id,
    source_kind::text                                               as source_kind,
    subject::text                                                   as subject,
    period::text                                                    as attempt_period,
    case when source_kind = 'council_return' then subject end       as council_code,
    case when source_kind = 'council_return' then period end        as return_month,
    source_uri::text                                                as source_uri,
    attempted_at                                                    as attempted_at,
    outcome::text                                                   as fetch_outcome,
    http_status::integer                                            as http_status,
    nullif(message::text, '')                                       as message,
    submission_id::bigint                                           as submission_id
from {{ source('ops', 'fetch_attempts') }}
