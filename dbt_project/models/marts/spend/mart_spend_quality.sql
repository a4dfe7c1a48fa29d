{#-
    Spend data quality per council and period: every period a council was due to publish
    (its own frequency, from the first to the latest period any council has sent), whether
    its file was loaded, only rejected, or never arrived; when the loaded file was first
    received against its due date (the end of the month after the period ends, var
    spend_due_months); and of its spend, the shares unclassified, redacted, and paid to a
    supplier no one could identify. Shares are of the period's net spend. A period with
    no accepted file yet is late from its due date to today.
-#}
with councils as (
    select council_code, spend_frequency
    from {{ ref('stg_reference__council_registry') }}
),

submissions as (
    select
        subject                                         as council_code,
        submission_period                               as spend_period,
        status,
        received_at,
        {{ spend_period_start('submission_period') }}   as period_start
    from {{ ref('stg_ops__submissions') }}
    where source_kind = 'council_spend'
),

span as (
    select
        min(period_start) as first_start,
        max(period_start) as last_start
    from submissions
),

due_periods as (
    -- each council's periods in its own frequency across the span
    select
        c.council_code,
        c.spend_frequency,
        m.month::date as period_start,
        case
            when c.spend_frequency = 'quarterly'
                then to_char(m.month, 'YYYY') || '-Q' || extract(quarter from m.month)::text
            else to_char(m.month, 'YYYY-MM')
        end as spend_period
    from councils as c
    cross join span as s
    cross join lateral generate_series(s.first_start, s.last_start, interval '1 month') as m (month)
    where c.spend_frequency = 'monthly' or extract(month from m.month)::integer in (1, 4, 7, 10)
),

received as (
    select
        council_code,
        spend_period,
        count(*)                                            as files_received,
        count(*) filter (where status = 'rejected')         as files_rejected,
        min(received_at) filter (where status in ('loaded', 'superseded')) as first_accepted_at,
        bool_or(status = 'loaded')                          as has_loaded
    from submissions
    group by council_code, spend_period
),

lines as (
    select
        council_code,
        spend_period,
        count(*)                                                                as line_count,
        sum(net_amount)                                                         as net_amount,
        coalesce(sum(net_amount) filter (where proclass_level2_code is null), 0) as unclassified_amount,
        coalesce(sum(net_amount) filter (where is_redacted), 0)                 as redacted_amount,
        coalesce(sum(net_amount) filter (where not is_redacted and supplier_id is null), 0)
                                                                                as unidentified_supplier_amount
    from {{ ref('fct_spend_line') }}
    group by council_code, spend_period
),

periods as (
    select
        d.*,
        (
            (d.period_start + case when d.spend_frequency = 'quarterly' then interval '3 months'
                else interval '1 month' end
            + interval '{{ var("spend_due_months") }} month')::date - 1
        ) as due_date
    from due_periods as d
)

select
    p.council_code,
    p.spend_period,
    {{ spend_financial_year('p.spend_period') }}                            as financial_year,
    p.spend_frequency,
    case
        when r.has_loaded then 'loaded'
        when r.files_received > 0 then 'rejected'
        else 'missing'
    end                                                                     as file_status,
    coalesce(r.files_received, 0)                                           as files_received,
    coalesce(r.files_rejected, 0)                                           as files_rejected,
    p.due_date,
    r.first_accepted_at,
    -- a file not yet accepted is late once its due date has passed; dates are the UK's (a
    -- file in at 00:30 BST on the day after the due date is late), as for the returns
    coalesce((r.first_accepted_at at time zone 'Europe/London')::date, (now() at time zone 'Europe/London')::date)
    > p.due_date                                                            as is_late,
    greatest(
        coalesce((r.first_accepted_at at time zone 'Europe/London')::date, (now() at time zone 'Europe/London')::date)
        - p.due_date,
        0
    )                                                                       as days_late,
    coalesce(l.line_count, 0)                                               as line_count,
    l.net_amount,
    l.unclassified_amount,
    round(l.unclassified_amount / nullif(l.net_amount, 0), 4)               as unclassified_share,
    l.redacted_amount,
    round(l.redacted_amount / nullif(l.net_amount, 0), 4)                   as redacted_share,
    l.unidentified_supplier_amount,
    round(l.unidentified_supplier_amount / nullif(l.net_amount, 0), 4)      as unidentified_supplier_share
from periods as p
left join received as r on r.council_code = p.council_code and r.spend_period = p.spend_period
left join lines as l on l.council_code = p.council_code and l.spend_period = p.spend_period
