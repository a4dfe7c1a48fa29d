-- Council spend lines that count, typed and renamed: the lines of each council's loaded
-- (not superseded, not rejected) spend file per period. The ledger keeps one loaded
-- submission per council and period (a republished file supersedes the earlier one), so
-- this is the latest accepted file's lines; older submissions' lines stay in raw as history.
with loaded as (
    select
        submission_id,
        fetched_at
    from {{ source('ops', 'submissions') }}
    where
        source_kind = 'council_spend'
        and status = 'loaded'
)

select
    l.submission_id::bigint                     as submission_id,
    l.row_number::integer                       as source_row_number,
    l.council_code::text                        as council_code,
    l.spend_period::text                        as spend_period,
    case
        when l.spend_period like '%-Q%' then 'quarterly'
        else 'monthly'
    end                                         as publication_frequency,
    nullif(trim(l.body), '')                    as body,
    l.payment_date::date                        as payment_date,
    nullif(trim(l.transaction_number), '')      as transaction_number,
    nullif(trim(l.supplier_name), '')           as supplier_name,
    nullif(trim(l.supplier_id), '')             as supplier_id,
    nullif(trim(l.vat_registration), '')        as vat_registration,
    nullif(trim(l.company_number), '')          as company_number,
    l.net_amount::numeric(14, 2)                as net_amount,
    l.irrecoverable_vat::numeric(14, 2)         as irrecoverable_vat,
    nullif(trim(l.expense_type), '')            as expense_type,
    nullif(trim(l.expense_code), '')            as expense_code,
    nullif(trim(l.service_area), '')            as service_area,
    nullif(trim(l.purpose), '')                 as purpose,
    nullif(trim(l.merchant_category), '')       as merchant_category,
    l.card_transaction::boolean                 as is_card_transaction,
    l.redacted::boolean                         as is_redacted,
    s.fetched_at                                as received_at
from {{ source('raw_spend', 'council_spend_lines') }} as l
inner join loaded as s on s.submission_id = l.submission_id
