{#-
    Spend by council, financial year and category: mart_spend_by_category summed over
    the year's periods, with how many periods the council has loaded for the year (a
    year still in progress, or with a file missing, has fewer than 12 months or 4
    quarters: compare councils on like periods) and each category's share of the
    council's year.
-#}
with by_period as (
    select * from {{ ref('mart_spend_by_category') }}
),

periods_loaded as (
    select
        council_code,
        financial_year,
        count(distinct spend_period) as periods_loaded
    from by_period
    group by council_code, financial_year
),

by_year as (
    select
        council_code,
        financial_year,
        proclass_level1_code,
        proclass_level2_code,
        max(proclass_level1)        as proclass_level1,
        max(proclass_level2)        as proclass_level2,
        bool_and(is_unclassified)   as is_unclassified,
        sum(net_amount)             as net_amount,
        sum(irrecoverable_vat)      as irrecoverable_vat,
        sum(line_count)             as line_count,
        sum(redacted_amount)        as redacted_amount,
        sum(redacted_line_count)    as redacted_line_count
    from by_period
    group by council_code, financial_year, proclass_level1_code, proclass_level2_code
)

select
    y.council_code,
    y.financial_year,
    p.periods_loaded,
    y.proclass_level1_code,
    y.proclass_level1,
    y.proclass_level2_code,
    y.proclass_level2,
    y.is_unclassified,
    y.net_amount,
    y.irrecoverable_vat,
    y.line_count,
    y.redacted_amount,
    y.redacted_line_count,
    round(
        y.net_amount / nullif(sum(y.net_amount) over (partition by y.council_code, y.financial_year), 0), 4
    )                               as share_of_year
from by_year as y
inner join periods_loaded as p on p.council_code = y.council_code and p.financial_year = y.financial_year
