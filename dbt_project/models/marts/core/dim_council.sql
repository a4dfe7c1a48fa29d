-- One row per member council. Deliberately without data contacts: marts are what the
-- analyst role reads, and contacts stay in `reference`, which it cannot.
select
    council_code,
    council_name,
    short_name,
    tier,
    county_code,
    county_name,
    case
        when tier = 'district' then 'two-tier: district'
        when tier = 'county' then 'two-tier: county'
        else 'single tier'
    end as governance,
    website,
    spend_frequency
from {{ ref('stg_reference__council_registry') }}
