{#-
    The value that counts for each council, metric and period: from loaded submissions
    only (superseded and rejected ones are history), and when several loaded submissions
    carry the same council, metric and period (a quarterly figure restated in a later
    return) the newest received wins.

    Incremental (delete+insert on the key): a run looks only at
      - the rows of loaded submissions it has not seen yet, and
      - the keys it holds from submissions that are no longer loaded (superseded),
    and recomputes the winner of just those keys from every loaded submission. Keys left
    with no loaded row at all are removed by the post-hook. A new month therefore costs
    that month's rows, whatever the length of the history.

    Indexed on the key and on dbt_updated_at: the delete+insert, the hooks and the
    watermark reads would otherwise scan all of history on every build.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['council_code', 'metric_id', 'period'],
        on_schema_change='fail',
        indexes=[{'columns': ['council_code', 'metric_id', 'period']}, {'columns': ['submission_id']},
                 {'columns': ['dbt_updated_at']}],
        post_hook=[
            "{% if is_incremental() %}
             delete from {{ this }} as t
             where not exists (
                 select 1 from {{ ref('stg_ops__submissions') }} as s
                 where s.submission_id = t.submission_id and s.status = 'loaded')
             {% endif %}"
        ]
    )
}}

with loaded as (
    select submission_id, received_at, status_changed_at
    from {{ ref('stg_ops__submissions') }}
    where source_kind = 'council_return'
      and status = 'loaded'
),

return_rows as (
    select * from {{ ref('stg_returns__council_return_rows') }}
),

{% if is_incremental() %}
unseen_submissions as (
    select l.submission_id
    from loaded as l
    where not exists (select 1 from {{ this }} as t where t.submission_id = l.submission_id)
),

affected_keys as (
    select distinct r.council_code, r.metric_id, r.period
    from return_rows as r
    inner join unseen_submissions as u on u.submission_id = r.submission_id
    union
    select t.council_code, t.metric_id, t.period
    from {{ this }} as t
    where not exists (select 1 from loaded as l where l.submission_id = t.submission_id)
),
{% endif %}

candidates as (
    select
        r.*,
        l.received_at,
        l.status_changed_at as loaded_at,
        row_number() over (
            partition by r.council_code, r.metric_id, r.period
            order by l.received_at desc, r.submission_id desc, r.source_row_number asc
        ) as recency,
        count(*) over (partition by r.council_code, r.metric_id, r.period) as loaded_versions
    from return_rows as r
    inner join loaded as l on l.submission_id = r.submission_id
    {% if is_incremental() %}
    inner join affected_keys as k
        on k.council_code = r.council_code and k.metric_id = r.metric_id and k.period = r.period
    {% endif %}
)

select
    council_code,
    metric_id,
    period,
    return_month,
    value,
    numerator,
    denominator,
    value_status,
    note,
    submission_id,
    source_row_number,
    received_at,
    loaded_at,
    loaded_versions,
    now() as dbt_updated_at
from candidates
where recency = 1
