{#-
    Spend by council, period and category: one row per council, spend period (its
    file's month or quarter) and ProClass level-2 category, with the level-1 heading
    above it. Spend no rule classifies is one 'Unclassified' row per council and period
    (null codes), never dropped; credit notes net off; redacted spend counts in its
    category and is shown beside it.
-#}
with lines as (
    select * from {{ ref('fct_spend_line') }}
),

by_category as (
    select
        council_code,
        spend_period,
        financial_year,
        proclass_level1_code,
        proclass_level2_code,
        max(proclass_level1)                                    as proclass_level1,
        max(proclass_level2)                                    as proclass_level2,
        sum(net_amount)                                         as net_amount,
        coalesce(sum(irrecoverable_vat), 0)                     as irrecoverable_vat,
        count(*)                                                as line_count,
        count(distinct supplier_id)                             as supplier_count,
        coalesce(sum(net_amount) filter (where is_redacted), 0) as redacted_amount,
        count(*) filter (where is_redacted)                     as redacted_line_count
    from lines
    group by council_code, spend_period, financial_year, proclass_level1_code, proclass_level2_code
)

select
    council_code,
    spend_period,
    financial_year,
    proclass_level1_code,
    coalesce(proclass_level1, 'Unclassified')                   as proclass_level1,
    proclass_level2_code,
    coalesce(proclass_level2, 'Unclassified')                   as proclass_level2,
    proclass_level2_code is null                                as is_unclassified,
    net_amount,
    irrecoverable_vat,
    line_count,
    supplier_count,
    redacted_amount,
    redacted_line_count,
    round(
        net_amount / nullif(sum(net_amount) over (partition by council_code, spend_period), 0), 4
    )                                                           as share_of_period
from by_category
