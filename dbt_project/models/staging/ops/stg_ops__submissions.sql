-- The submission ledger, typed and renamed: one row per distinct file fetched for a
-- subject and period. For council returns the subject is the council and the period
-- its reporting month.
select
    submission_id::bigint                                           as submission_id,
    source_kind::text                                               as source_kind,
    subject::text                                                   as subject,
    period::text                                                    as submission_period,
    case when source_kind = 'council_return' then subject end       as council_code,
    case when source_kind = 'council_return' then period end        as return_month,
    source_uri::text                                                as source_uri,
    fetched_at                                                      as received_at,
    sha256::text                                                    as sha256,
    size_bytes::bigint                                              as size_bytes,
    media_type::text                                                as media_type,
    original_name::text                                             as original_name,
    status::text                                                    as status,
    outcome::text                                                   as validation_outcome,
    status_changed_at                                               as status_changed_at,
    rows_loaded::integer                                            as rows_loaded,
    jsonb_array_length(normalisations)                              as normalisation_count
from {{ source('ops', 'submissions') }}
