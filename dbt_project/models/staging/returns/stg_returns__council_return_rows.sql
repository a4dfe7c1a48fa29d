-- Council return rows as loaded, typed and renamed; one row per submission and file row.
-- Every submission's rows are here (superseded and rejected too): which ones count is
-- decided in int_returns__latest_values from the ledger status.
select
    submission_id::bigint               as submission_id,
    row_number::integer                 as source_row_number,
    council_code::text                  as council_code,
    return_period::text                 as return_month,
    metric_id::text                     as metric_id,
    period::text                        as period,
    value::numeric                      as value,
    numerator::numeric                  as numerator,
    denominator::numeric                as denominator,
    status::text                        as value_status,
    nullif(trim(note::text), '')        as note
from {{ source('raw_returns', 'council_return_rows') }}
