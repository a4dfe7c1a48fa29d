{#-
    Collaboration opportunities: per partnership group (seed partnership_groups),
    financial year and ProClass level-2 category, where two or more of the group's
    councils buy the category: the councils' combined spend, how many suppliers they use,
    whether some of them buy from the same supplier separately (one contract could serve
    them) or each from its own (a joint tender could), and the savings range at the
    configured rates (vars spend_savings_rate_low / _high, from COUNCILBENCH_SPEND_SAVINGS_*).

    Left out, deliberately: unclassified spend (no one knows what was bought),
    Non-Influenceable Spend (grants, rates, levies: no procurement can change it) and
    redacted lines (payments to individuals). A council "buys" a category when its net
    spend on it over the year is positive; its credit notes net off first.
-#}
with groups as (
    select
        group_id,
        group_name,
        council_code,
        count(*) over (partition by group_id) as group_councils
    from {{ ref('partnership_groups') }}
),

lines as (
    select
        g.group_id,
        g.group_name,
        g.group_councils,
        f.financial_year,
        f.council_code,
        f.proclass_level1_code,
        f.proclass_level1,
        f.proclass_level2_code,
        f.proclass_level2,
        f.supplier_id,
        f.supplier_name,
        f.net_amount
    from {{ ref('fct_spend_line') }} as f
    inner join groups as g on g.council_code = f.council_code
    where
        f.proclass_level2_code is not null
        and f.proclass_level1_code <> '990000'
        and not f.is_redacted
),

council_category as (
    -- the councils that buy each category: positive net spend over the year
    select
        group_id,
        financial_year,
        proclass_level2_code,
        council_code,
        sum(net_amount) as net_amount
    from lines
    group by group_id, financial_year, proclass_level2_code, council_code
    having sum(net_amount) > 0
),

supplier_category as (
    -- each supplier of a category to the buying councils: how many of them it serves
    select
        l.group_id,
        l.financial_year,
        l.proclass_level2_code,
        l.supplier_id,
        max(l.supplier_name)                as supplier_name,
        count(distinct l.council_code)      as councils_served,
        sum(l.net_amount)                   as net_amount
    from lines as l
    inner join council_category as c
        on
            c.group_id = l.group_id
            and c.financial_year = l.financial_year
            and c.proclass_level2_code = l.proclass_level2_code
            and c.council_code = l.council_code
    where l.supplier_id is not null
    group by l.group_id, l.financial_year, l.proclass_level2_code, l.supplier_id
),

top_supplier as (
    select distinct on (group_id, financial_year, proclass_level2_code)
        group_id,
        financial_year,
        proclass_level2_code,
        supplier_name   as top_supplier_name,
        net_amount      as top_supplier_amount
    from supplier_category
    order by group_id asc, financial_year asc, proclass_level2_code asc, net_amount desc, supplier_id asc
),

suppliers as (
    select
        group_id,
        financial_year,
        proclass_level2_code,
        count(*)                                                        as supplier_count,
        count(*) filter (where councils_served >= 2)                    as shared_supplier_count,
        coalesce(sum(net_amount) filter (where councils_served >= 2), 0) as shared_supplier_amount
    from supplier_category
    group by group_id, financial_year, proclass_level2_code
),

categories as (
    select
        c.group_id,
        c.financial_year,
        c.proclass_level2_code,
        count(*)            as councils_buying,
        sum(c.net_amount)   as combined_net_amount,
        min(c.net_amount)   as smallest_council_amount,
        max(c.net_amount)   as largest_council_amount
    from council_category as c
    group by c.group_id, c.financial_year, c.proclass_level2_code
    having count(*) >= 2
),

headings as (
    select distinct
        group_id,
        group_name,
        group_councils,
        proclass_level1_code,
        proclass_level1,
        proclass_level2_code,
        proclass_level2
    from lines
)

select
    c.group_id,
    h.group_name,
    c.financial_year,
    h.proclass_level1_code,
    h.proclass_level1,
    c.proclass_level2_code,
    h.proclass_level2,
    h.group_councils,
    c.councils_buying,
    c.combined_net_amount,
    c.smallest_council_amount,
    c.largest_council_amount,
    coalesce(s.supplier_count, 0)                                       as supplier_count,
    coalesce(s.shared_supplier_count, 0)                                as shared_supplier_count,
    coalesce(s.shared_supplier_amount, 0)                               as shared_supplier_amount,
    t.top_supplier_name,
    round(t.top_supplier_amount / c.combined_net_amount, 4)             as top_supplier_share,
    case
        when coalesce(s.shared_supplier_count, 0) > 0 then 'same supplier, bought separately'
        else 'same category, different suppliers'
    end                                                                 as opportunity_type,
    {{ var('spend_savings_rate_low') }}::numeric                        as savings_rate_low,
    {{ var('spend_savings_rate_high') }}::numeric                       as savings_rate_high,
    round(c.combined_net_amount * {{ var('spend_savings_rate_low') }}, 2)  as savings_low,
    round(c.combined_net_amount * {{ var('spend_savings_rate_high') }}, 2) as savings_high,
    rank() over (
        partition by c.group_id, c.financial_year order by c.combined_net_amount desc
    )                                                                   as opportunity_rank
from categories as c
inner join headings as h
    on h.group_id = c.group_id and h.proclass_level2_code = c.proclass_level2_code
left join suppliers as s
    on
        s.group_id = c.group_id
        and s.financial_year = c.financial_year
        and s.proclass_level2_code = c.proclass_level2_code
left join top_supplier as t
    on
        t.group_id = c.group_id
        and t.financial_year = c.financial_year
        and t.proclass_level2_code = c.proclass_level2_code
