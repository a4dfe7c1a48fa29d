-- Every email the platform sent or tried to send (ops.outbox: rejections and receipts
-- about a submission; packs, reminders, chasers and the month summary about a council's
-- or the region's month). The recipients' addresses stay in ops: only how many people
-- were written to is carried forward.
select
    email_id::bigint                            as email_id,
    kind::text                                  as email_kind,
    subject::text                               as subject,
    period::text                                as period,
    submission_id::bigint                       as submission_id,
    coalesce(cardinality(recipients), 0)        as recipient_count,
    coalesce(cardinality(attachments), 0)       as attachment_count,
    status::text                                as send_status,
    attempts::integer                           as send_attempts,
    created_at                                  as created_at,
    sent_at                                     as sent_at,
    last_error is not null                      as has_error
from {{ source('ops', 'outbox') }}
