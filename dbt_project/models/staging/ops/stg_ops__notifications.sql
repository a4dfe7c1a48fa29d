-- Emails sent about submissions. The recipients' addresses stay in ops: only how many
-- people were written to is carried forward.
select
    submission_id::bigint                       as submission_id,
    kind::text                                  as notification_kind,
    coalesce(cardinality(recipients), 0)        as recipient_count,
    status::text                                as send_status,
    attempts::integer                           as send_attempts,
    created_at                                  as created_at,
    sent_at                                     as sent_at,
    last_error is not null                      as has_error
from {{ source('ops', 'notifications') }}
