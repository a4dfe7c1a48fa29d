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

headings as (
    select proclass_code, proclass_name, parent_code
    from {{ ref('proclass_categories') }}
),

periods as (
    -- a quarter starts in its first month; calendar quarters never straddle April
    select
        spend_lines.*,
        case
            when spend_lines.spend_period ~ '^\d{4}-Q[1-4]$'
                then make_date(
                    left(spend_lines.spend_period, 4)::integer,
                    (right(spend_lines.spend_period, 1)::integer - 1) * 3 + 1,
                    1
                )
            else to_date(spend_lines.spend_period || '-01', 'YYYY-MM-DD')
        end as period_start
    from spend_lines
)

select
    l.submission_id,
    l.source_row_number,
    l.council_code,
    l.spend_period,
    {{ fy_label("extract(year from l.period_start - interval '3 months')::integer") }} as financial_year,
    l.payment_date,
    l.transaction_number,
    m.canonical_id                                                      as supplier_id,
    m.canonical_name                                                    as supplier_name,
    l.supplier_name                                                     as published_supplier_name,
    m.method                                                            as supplier_match_method,
    c.proclass_code                                                     as proclass_level2_code,
    h2.proclass_name                                                    as proclass_level2,
    h2.parent_code                                                      as proclass_level1_code,
    h1.proclass_name                                                    as proclass_level1,
    c.method                                                            as category_method,
    l.expense_type,
    l.net_amount,
    l.irrecoverable_vat,
    l.is_redacted,
    l.is_card_transaction
from periods as l
left join supplier_matches as m
    on
        not l.is_redacted
        and m.raw_name = coalesce(l.supplier_name, '')
        and m.company_number = coalesce(l.company_number, '')
        and m.vat_number = coalesce(l.vat_registration, '')
left join line_categories as c
    on
        c.council_code = l.council_code
        and c.expense_type = coalesce(l.expense_type, '')
        and c.expense_code = coalesce(l.expense_code, '')
left join headings as h2 on h2.proclass_code = c.proclass_code
left join headings as h1 on h1.proclass_code = h2.parent_code
