-- The member registry, typed. One row per council.
select
    gss_code::text          as council_code,
    council_name::text      as council_name,
    short_name::text        as short_name,
    tier::text              as tier,
    nullif(county_gss_code::text, '') as county_code,
    nullif(county_name::text, '')     as county_name,
    return_source::text     as return_source,
    spend_frequency::text   as spend_frequency,
    website::text           as website
from {{ ref('council_registry') }}
