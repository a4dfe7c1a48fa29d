{#-
    One row per payment line of every loaded spend file (superseded and rejected
    submissions are history): the council, the period and its financial year, the
    canonical supplier (spend/resolve.py's match table), the ProClass category, the
    amounts and flags, and the submission it came from.

    Nothing is dropped: a redacted line keeps its amount with no supplier, a line whose
    expense type no rule knows keeps its amount with a null category, and credit notes
    (negative lines) stay to net off. The match tables are keyed on the published
    values with blanks as '', hence the coalesces (an equality join, not IS NOT
    DISTINCT FROM, so it can hash).
-#}
with spend_lines as (
    -- the lines of each council's loaded file per period (staging keeps only those)
    select * from {{ ref('stg_spend__council_spend_lines') }}
),

supplier_matches as (
    select * from {{ source('raw_spend_resolved', 'spend_supplier_matches') }}
),

line_categories as (
    select * from {{ source('raw_spend_resolved', 'spend_line_categories') }}
),

categories as (
    -- each (council, expense type, code)'s category with its level-1 heading: a few
    -- thousand rows named once here, not a million lines joined to the headings twice
    select
        c.council_code,
        c.expense_type,
        c.expense_code,
        c.method,
        c.proclass_code,
        h2.proclass_name as proclass_level2,
        h2.parent_code   as proclass_level1_code,
        h1.proclass_name as proclass_level1
    from line_categories as c
    left join {{ ref('proclass_categories') }} as h2 on h2.proclass_code = c.proclass_code
    left join {{ ref('proclass_categories') }} as h1 on h1.proclass_code = h2.parent_code
)

select
    l.submission_id,
    l.source_row_number,
    l.council_code,
    l.spend_period,
    {{ spend_financial_year('l.spend_period') }}                        as financial_year,
    l.payment_date,
    l.transaction_number,
    m.canonical_id                                                      as supplier_id,
    m.canonical_name                                                    as supplier_name,
    l.supplier_name                                                     as published_supplier_name,
    m.method                                                            as supplier_match_method,
    c.proclass_code                                                     as proclass_level2_code,
    c.proclass_level2,
    c.proclass_level1_code,
    c.proclass_level1,
    c.method                                                            as category_method,
    l.expense_type,
    l.net_amount,
    l.irrecoverable_vat,
    l.is_redacted,
    l.is_card_transaction
from spend_lines as l
left join supplier_matches as m
    on
        not l.is_redacted
        and m.raw_name = coalesce(l.supplier_name, '')
        and m.company_number = coalesce(l.company_number, '')
        and m.vat_number = coalesce(l.vat_registration, '')
left join categories as c
    on
        c.council_code = l.council_code
        and c.expense_type = coalesce(l.expense_type, '')
        and c.expense_code = coalesce(l.expense_code, '')
