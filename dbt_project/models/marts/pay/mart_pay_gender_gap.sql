{#-
    The councils' published gender pay gap beside the pay benchmarks: one row per council
    and reporting year loaded (every council, matched or not, so a missing figure is a
    row that says why).

    Matched by EmployerId through the registry's gpg_employer_id (read here, at build time:
    an id confirmed after the download was loaded matches at the next build), and only
    when the employer at that id is named like the council (gpg_name_words): a wrong id
    must never give a council another employer's gap. Never matched by name.
-#}
with registry as (
    select
        gss_code::text                                  as council_code,
        council_name::text                              as council_name,
        tier::text                                      as tier,
        nullif(trim(gpg_employer_id::text), '')         as employer_id
    from {{ ref('council_registry') }}
),

years as (
    select distinct reporting_year, reporting_year_start
    from {{ ref('stg_govuk__gender_pay_gap') }}
),

-- one row per employer and year (GOV.UK publishes one; the first if ever two)
filed as (
    select distinct on (reporting_year, employer_id) *
    from {{ ref('stg_govuk__gender_pay_gap') }}
    order by reporting_year, employer_id, row_number
),

paired as (
    select
        r.council_code,
        r.council_name,
        r.tier,
        y.reporting_year,
        y.reporting_year_start,
        r.employer_id,
        f.employer_id is not null                       as in_file,
        coalesce(
            {{ gpg_name_words('r.council_name') }} = {{ gpg_name_words('f.employer_name') }}
            or {{ gpg_name_words('r.council_name') }} = {{ gpg_name_words('f.current_name') }},
            false
        )                                               as named_like,
        f.employer_name                                 as filed_employer_name,
        f.employer_size,
        f.mean_hourly_gap_pct,
        f.median_hourly_gap_pct,
        f.female_lower_quartile_pct,
        f.female_lower_middle_quartile_pct,
        f.female_upper_middle_quartile_pct,
        f.female_top_quartile_pct,
        f.mean_bonus_gap_pct,
        f.median_bonus_gap_pct,
        f.female_bonus_pct,
        f.male_bonus_pct,
        f.submitted_late,
        f.due_date,
        f.date_submitted,
        f.link_to_gpg_info,
        f.submission_id
    from registry as r
    cross join years as y
    left join filed as f
        on f.reporting_year = y.reporting_year and f.employer_id = r.employer_id
),

matched as (
    select
        p.*,
        case
            when p.employer_id is null then 'no_employer_id'
            when not p.in_file then 'id_not_in_file'
            when not p.named_like then 'name_differs'
            else 'matched'
        end                                             as match_status
    from paired as p
)

select
    council_code,
    council_name,
    tier,
    reporting_year,
    make_date(reporting_year_start, 3, 31)              as snapshot_date,
    employer_id,
    match_status,
    case match_status
        when 'matched' then null
        when 'no_employer_id' then 'No gpg_employer_id in the registry'
        when 'id_not_in_file' then 'EmployerId ' || employer_id || ' is not in this year''s download'
        else 'EmployerId ' || employer_id || ' is ' || filed_employer_name || ' in the download, not this council'
    end                                                 as match_note,
    case when match_status = 'matched' then filed_employer_name end    as employer_name,
    case when match_status = 'matched' then employer_size end          as employer_size,
    case when match_status = 'matched' then mean_hourly_gap_pct end    as mean_hourly_gap_pct,
    case when match_status = 'matched' then median_hourly_gap_pct end  as median_hourly_gap_pct,
    case when match_status = 'matched' then female_lower_quartile_pct end          as female_lower_quartile_pct,
    case when match_status = 'matched' then female_lower_middle_quartile_pct end   as female_lower_middle_quartile_pct,
    case when match_status = 'matched' then female_upper_middle_quartile_pct end   as female_upper_middle_quartile_pct,
    case when match_status = 'matched' then female_top_quartile_pct end            as female_top_quartile_pct,
    case when match_status = 'matched' then mean_bonus_gap_pct end     as mean_bonus_gap_pct,
    case when match_status = 'matched' then median_bonus_gap_pct end   as median_bonus_gap_pct,
    case when match_status = 'matched' then female_bonus_pct end       as female_bonus_pct,
    case when match_status = 'matched' then male_bonus_pct end         as male_bonus_pct,
    case when match_status = 'matched' then submitted_late end         as submitted_late,
    case when match_status = 'matched' then due_date end               as due_date,
    case when match_status = 'matched' then date_submitted end         as date_submitted,
    case when match_status = 'matched' then link_to_gpg_info end       as link_to_gpg_info,
    case when match_status = 'matched' then submission_id end          as submission_id
from matched
