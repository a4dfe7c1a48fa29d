-- GOV.UK's gender pay gap data: every employer's row of the download of each reporting
-- year that counts (the loaded one: a newer download of the same year supersedes the
-- older, whose rows stay in raw as history). A gap is the men's figure less the women's,
-- as a percentage of the men's: positive means men are paid more.
with loaded as (
    select submission_id, fetched_at
    from {{ source('ops_public', 'submissions') }}
    where source_kind = 'public_source'
      and subject = 'gender_pay_gap'
      and status = 'loaded'
)

select
    g.reporting_year::text                      as reporting_year,
    left(g.reporting_year, 4)::integer          as reporting_year_start,
    g.employer_id::text                         as employer_id,
    g.employer_name::text                       as employer_name,
    g.current_name::text                        as current_name,
    g.company_number::text                      as company_number,
    g.sic_codes::text                           as sic_codes,
    g.employer_size::text                       as employer_size,
    g.link_to_gpg_info::text                    as link_to_gpg_info,
    g.diff_mean_hourly_pct                      as mean_hourly_gap_pct,
    g.diff_median_hourly_pct                    as median_hourly_gap_pct,
    g.diff_mean_bonus_pct                       as mean_bonus_gap_pct,
    g.diff_median_bonus_pct                     as median_bonus_gap_pct,
    g.male_bonus_pct,
    g.female_bonus_pct,
    g.male_lower_quartile_pct,
    g.female_lower_quartile_pct,
    g.male_lower_middle_quartile_pct,
    g.female_lower_middle_quartile_pct,
    g.male_upper_middle_quartile_pct,
    g.female_upper_middle_quartile_pct,
    g.male_top_quartile_pct,
    g.female_top_quartile_pct,
    g.submitted_after_deadline                  as submitted_late,
    g.due_date,
    g.date_submitted at time zone 'Europe/London'  as date_submitted,  -- published in UK time
    g.row_number,
    g.submission_id,
    l.fetched_at
from {{ source('raw_public', 'public_gender_pay_gap') }} as g
inner join loaded as l on l.submission_id = g.submission_id
