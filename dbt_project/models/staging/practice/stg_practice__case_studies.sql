-- The good practice case studies (seed compiled from case_studies/*.yml), typed: one row each.
select
    case_study_id::text   as case_study_id,
    council_code::text    as council_code,
    title::text           as title,
    summary::text         as summary,
    contact_role::text    as contact_role,
    link::text            as link,
    is_sample::boolean    as is_sample,
    reviewed_by::text     as reviewed_by,
    reviewed_on::date     as reviewed_on
from {{ ref('case_studies') }}
