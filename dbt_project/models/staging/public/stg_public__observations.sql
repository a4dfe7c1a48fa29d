-- Every public observation that counts: from loaded submissions only (superseded and
-- rejected ones are history), and for each dataset, area, period and measure the value
-- of the newest submission that carries it, so overlapping ranges and revised releases
-- resolve to the latest published figure.
with loaded as (
    select submission_id, fetched_at
    from {{ source('ops_public', 'submissions') }}
    where source_kind = 'public_source'
      and status = 'loaded'
),

ranked as (
    select
        o.*,
        l.fetched_at,
        row_number() over (
            partition by o.dataset, o.area_code, o.period, o.measure
            order by l.fetched_at desc, o.submission_id desc
        ) as recency
    from {{ source('raw_public', 'public_observations') }} as o
    inner join loaded as l on l.submission_id = o.submission_id
)

select
    dataset::text                               as dataset_id,
    source::text                                as publisher,
    area_code::text                             as area_code,
    area_name::text                             as area_name,
    case area_code
        when 'E92000001' then 'country'
        when 'E12000005' then 'region'
        when 'K02000001' then 'uk'
        else 'council'
    end                                         as area_level,
    period::text                                as period,
    measure::text                               as metric_id,
    value::numeric                              as value,
    obs_status::text                            as obs_status,
    submission_id,
    fetched_at                                  as fetched_at
from ranked
where recency = 1
