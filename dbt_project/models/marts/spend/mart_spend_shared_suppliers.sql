{#-
    Shared suppliers: per partnership group and financial year, every canonical supplier
    that two or more of the group's councils paid, one row per such council with its net
    spend and lines, beside the supplier's totals across the group. Redacted lines and
    lines with no canonical supplier are not suppliers and are left out; credit notes
    net off. A council in several groups appears once in each.
-#}
with groups as (
    select group_id, group_name, council_code
    from {{ ref('partnership_groups') }}
),

council_supplier as (
    select
        g.group_id,
        g.group_name,
        f.financial_year,
        f.supplier_id,
        f.council_code,
        max(f.supplier_name)                    as supplier_name,
        sum(f.net_amount)                       as net_amount,
        coalesce(sum(f.irrecoverable_vat), 0)   as irrecoverable_vat,
        count(*)                                as line_count
    from {{ ref('fct_spend_line') }} as f
    inner join groups as g on g.council_code = f.council_code
    where f.supplier_id is not null
    group by g.group_id, g.group_name, f.financial_year, f.supplier_id, f.council_code
),

shared as (
    select
        *,
        count(*) over supplier_in_group                 as councils_using,
        sum(net_amount) over supplier_in_group          as group_net_amount,
        sum(line_count) over supplier_in_group          as group_line_count
    from council_supplier
    window supplier_in_group as (partition by group_id, financial_year, supplier_id)
)

select
    group_id,
    group_name,
    financial_year,
    supplier_id,
    supplier_name,
    council_code,
    net_amount,
    irrecoverable_vat,
    line_count,
    councils_using,
    group_net_amount,
    group_line_count
from shared
where councils_using >= 2
