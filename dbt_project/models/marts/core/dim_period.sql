-- Every reporting period a metric can have: months (YYYY-MM), calendar quarters (YYYY-Qn)
-- and financial years (YYYY-YY, April to March), from the financial year
-- var('calendar_start_year') to two years after the current one. One row per period and
-- frequency: before April 2012 a financial year reads like a month ('2011-12'), so joins
-- use both. period_index orders
-- periods of one frequency (consecutive integers), so "the previous period" is index - 1
-- and "the same period last year" is index - periods_per_year.
{% set start_year = var('calendar_start_year') | int %}

with bounds as (
    select
        make_date({{ start_year }}, 4, 1)                                           as first_day,
        make_date(extract(year from current_date)::integer + 3, 4, 1)               as end_day
),

months as (
    select m::date as period_start
    from bounds, generate_series(first_day, end_day - interval '1 month', interval '1 month') as m
),

monthly as (
    select
        to_char(period_start, 'YYYY-MM')                                            as period,
        'monthly'                                                                   as frequency,
        period_start,
        (period_start + interval '1 month' - interval '1 day')::date                as period_end,
        to_char(period_start, 'FMMonth YYYY')                                       as period_label,
        extract(year from period_start)::integer * 12
            + extract(month from period_start)::integer - 1                         as period_index,
        12                                                                          as periods_per_year,
        to_char(period_start - interval '1 month', 'YYYY-MM')                       as previous_period,
        to_char(period_start - interval '12 months', 'YYYY-MM')                     as same_period_last_year,
        period_start                                                                as return_month_start
    from months
),

quarterly as (
    select
        extract(year from period_start)::integer || '-Q' || extract(quarter from period_start)::integer as period,
        'quarterly'                                                                 as frequency,
        period_start,
        (period_start + interval '3 months' - interval '1 day')::date               as period_end,
        'Q' || extract(quarter from period_start)::integer || ' ' || extract(year from period_start)::integer
            || ' (' || to_char(period_start, 'FMMonth') || ' to '
            || to_char(period_start + interval '2 months', 'FMMonth') || ')'        as period_label,
        extract(year from period_start)::integer * 4
            + extract(quarter from period_start)::integer - 1                       as period_index,
        4                                                                           as periods_per_year,
        extract(year from period_start - interval '3 months')::integer || '-Q'
            || extract(quarter from period_start - interval '3 months')::integer    as previous_period,
        extract(year from period_start)::integer - 1 || '-Q'
            || extract(quarter from period_start)::integer                          as same_period_last_year,
        (period_start + interval '2 months')::date                                  as return_month_start
    from months
    where extract(month from period_start)::integer in (1, 4, 7, 10)
),

annual as (
    select
        {{ fy_label('extract(year from period_start)::integer') }}                  as period,
        'annual'                                                                    as frequency,
        period_start,
        (period_start + interval '1 year' - interval '1 day')::date                 as period_end,
        'Financial year ' || {{ fy_label('extract(year from period_start)::integer') }} as period_label,
        extract(year from period_start)::integer                                    as period_index,
        1                                                                           as periods_per_year,
        {{ fy_label('extract(year from period_start)::integer - 1') }}              as previous_period,
        {{ fy_label('extract(year from period_start)::integer - 1') }}              as same_period_last_year,
        (period_start + interval '11 months')::date                                 as return_month_start
    from months
    where extract(month from period_start)::integer = 4
),

periods as (
    select * from monthly
    union all
    select * from quarterly
    union all
    select * from annual
)

select
    period,
    frequency,
    period_start,
    period_end,
    period_label,
    period_index,
    periods_per_year,
    previous_period,
    same_period_last_year,
    extract(year from period_start)::integer                                        as calendar_year,
    {{ fy_label("extract(year from period_start - interval '3 months')::integer") }} as financial_year,
    extract(year from period_start - interval '3 months')::integer                  as financial_year_start,
    -- the monthly return that carries the period, and the day it is due
    to_char(return_month_start, 'YYYY-MM')                                          as return_month,
    (return_month_start + interval '1 month'
        + ({{ var('returns_due_day') | int }} - 1) * interval '1 day')::date        as return_due_date
from periods
