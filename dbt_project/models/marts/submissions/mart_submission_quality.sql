-- How each council's monthly return arrived: one row per council and reporting month,
-- for every month from the first to the last the ledger knows of (so a month with no
-- file at all is a row saying so).
--   due_date      the var('returns_due_day') of the following month (its last day when the
--                 month is shorter); councilbench passes the var from COUNCILBENCH_RETURNS_DUE_DAY;
--   on_time       the first file was received (UK time) by the due date;
--   late          the first file came after the due date;
--   missing       no file received at all (only not_received / error fetch attempts, or
--                 none); not_yet_due when the due date has not passed;
--   rejected      at least one file failed validation;
--   resubmitted   more than one distinct file was received for the month;
--   checks_failed / checks_warned  failing and warning checks over all its files;
--   failed_check_messages  what the newest rejected file was rejected for, one line per
--                 failing check ("check_name: message"), the words of its rejection email,
--                 so analysts and the explorer see why without reading ops;
--   final_status  the status of the newest file (loaded, rejected, received = awaiting
--                 validation), or missing.
with submissions as (
    select *
    from {{ ref('stg_ops__submissions') }}
    where source_kind = 'council_return'
),

attempts as (
    select *
    from {{ ref('stg_ops__fetch_attempts') }}
    where source_kind = 'council_return'
),

months_known as (
    select return_month from submissions
    union
    select return_month from attempts
),

month_spine as (
    select to_char(m, 'YYYY-MM') as return_month
    from (
        select
            min(to_date(return_month || '-01', 'YYYY-MM-DD')) as first_month,
            max(to_date(return_month || '-01', 'YYYY-MM-DD')) as last_month
        from months_known
    ) as bounds,
    generate_series(first_month, last_month, interval '1 month') as m
),

council_months as (
    select
        c.council_code,
        c.council_name,
        c.tier,
        s.return_month,
        -- a due day past the following month's end means its last day (core.calendar)
        (to_date(s.return_month || '-01', 'YYYY-MM-DD') + interval '1 month'
            + (least({{ var('returns_due_day') | int }},
                     extract(day from to_date(s.return_month || '-01', 'YYYY-MM-DD') + interval '2 month'
                                      - interval '1 day')::integer) - 1) * interval '1 day')::date
                                                                            as due_date
    from {{ ref('stg_reference__council_registry') }} as c
    cross join month_spine as s
),

submission_summary as (
    select
        council_code,
        return_month,
        count(*)                                                        as files_received,
        min(received_at)                                                as first_received_at,
        max(received_at)                                                as last_received_at,
        count(*) filter (where status = 'rejected')                     as files_rejected,
        count(*) filter (where status in ('loaded', 'superseded'))      as files_loaded,
        (array_agg(status order by received_at desc, submission_id desc))[1]        as final_status,
        (array_agg(submission_id order by received_at desc, submission_id desc))[1] as final_submission_id,
        max(received_at) filter (where status = 'loaded')               as accepted_received_at
    from submissions
    group by council_code, return_month
),

check_summary as (
    select
        s.council_code,
        s.return_month,
        count(*) filter (where r.check_outcome = 'fail')                as checks_failed,
        count(*) filter (where r.check_outcome = 'warn')                as checks_warned
    from submissions as s
    inner join {{ ref('stg_ops__check_results') }} as r on r.submission_id = s.submission_id
    group by s.council_code, s.return_month
),

newest_rejected as (
    select distinct on (council_code, return_month) council_code, return_month, submission_id
    from submissions
    where status = 'rejected'
    order by council_code asc, return_month asc, received_at desc, submission_id desc
),

failed_checks as (
    select
        n.council_code,
        n.return_month,
        string_agg(r.check_name || ': ' || r.message, E'\n' order by r.check_name) as failed_check_messages
    from newest_rejected as n
    inner join {{ ref('stg_ops__check_results') }} as r on r.submission_id = n.submission_id
    where r.check_outcome = 'fail'
    group by n.council_code, n.return_month
),

attempt_summary as (
    select
        council_code,
        return_month,
        count(*)                                                        as fetch_attempts,
        count(*) filter (where fetch_outcome in ('not_received', 'error')) as fetch_attempts_without_file,
        (array_agg(fetch_outcome order by attempted_at desc, attempt_id desc))[1] as last_fetch_outcome,
        max(attempted_at)                                               as last_attempted_at
    from attempts
    group by council_code, return_month
)

select
    cm.council_code,
    cm.council_name,
    cm.tier,
    cm.return_month,
    cm.due_date,
    s.first_received_at,
    s.last_received_at,
    coalesce(s.files_received, 0)                                       as files_received,
    s.files_received is not null
        and (s.first_received_at at time zone 'Europe/London')::date <= cm.due_date as on_time,
    s.files_received is not null
        and (s.first_received_at at time zone 'Europe/London')::date > cm.due_date  as late,
    s.files_received is null                                            as missing,
    case
        when s.files_received is not null
            then ((s.first_received_at at time zone 'Europe/London')::date - cm.due_date)
    end                                                                 as days_after_due_date,
    case
        when s.files_received is null and cm.due_date >= current_date then 'not_yet_due'
        when s.files_received is null then 'missing'
        when (s.first_received_at at time zone 'Europe/London')::date <= cm.due_date then 'on_time'
        else 'late'
    end                                                                 as timeliness,
    coalesce(s.files_rejected, 0) > 0                                   as rejected,
    coalesce(s.files_rejected, 0)                                       as files_rejected,
    coalesce(s.files_received, 0) > 1                                   as resubmitted,
    coalesce(k.checks_failed, 0)                                        as checks_failed,
    coalesce(k.checks_warned, 0)                                        as checks_warned,
    f.failed_check_messages,
    coalesce(s.final_status, 'missing')                                 as final_status,
    s.final_submission_id,
    s.accepted_received_at is not null
        and (s.accepted_received_at at time zone 'Europe/London')::date <= cm.due_date as accepted_by_due_date,
    coalesce(a.fetch_attempts, 0)                                       as fetch_attempts,
    coalesce(a.fetch_attempts_without_file, 0)                          as fetch_attempts_without_file,
    a.last_fetch_outcome,
    a.last_attempted_at
from council_months as cm
left join submission_summary as s on s.council_code = cm.council_code and s.return_month = cm.return_month
left join check_summary as k on k.council_code = cm.council_code and k.return_month = cm.return_month
left join failed_checks as f on f.council_code = cm.council_code and f.return_month = cm.return_month
left join attempt_summary as a on a.council_code = cm.council_code and a.return_month = cm.return_month
