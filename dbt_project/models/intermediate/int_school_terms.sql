-- One row per pupil per termly census, with the absence and SEN definitions written once. The pupil-on-roll
-- row carries the pupil; attendance, exclusions and SEN rows join to it within the same return. Every pupil
-- has an attendance and an SEN row: a pupil term whose row was quarantined is held back whole, as the
-- one-file return was. The exclusions file has a row per exclusion: counted here per pupil of the return, so a
-- pupil with no exclusions row was not excluded that term.
with pupil_terms as (
    select * from {{ ref('stg_school_census__pupil_terms') }}
),

attendance as (
    select * from {{ ref('stg_school_census__attendance') }}
),

exclusions as (
    select
        census_return,
        pupil_matching_ref,
        count(*) filter (where exclusion_category_code = 'FIXD') as suspensions,
        bool_or(exclusion_category_code = 'PERM') as permanently_excluded
    from {{ ref('stg_school_census__exclusions') }}
    group by census_return, pupil_matching_ref
),

sen as (
    select * from {{ ref('stg_school_census__sen') }}
)

select
    pupil_terms.record_id,
    pupil_terms.la_code,
    pupil_terms.estab,
    pupil_terms.upn,
    pupil_terms.census_year,
    pupil_terms.term,
    pupil_terms.term_order,
    pupil_terms.census_date,
    pupil_terms.nc_year,
    pupil_terms.fsm_eligible,
    sen.sen_provision_code,
    sen_provisions.provision_group as sen_provision_group,
    sen.sen_provision_code = 'K' as sen_support,
    sen.sen_provision_code = 'E' as ehc_plan,
    sen.sen_primary_need_code,
    attendance.sessions_possible,
    attendance.sessions_authorised_absence,
    attendance.sessions_unauthorised_absence,
    attendance.sessions_missed,
    {{ absence_measures('attendance.sessions_missed', 'attendance.sessions_possible') }},
    coalesce(exclusions.suspensions, 0) as suspensions,
    coalesce(exclusions.permanently_excluded, false) as permanently_excluded
from pupil_terms
inner join attendance
    on
    pupil_terms.census_return = attendance.census_return
    and pupil_terms.pupil_matching_ref = attendance.pupil_matching_ref
left join exclusions
    on
    pupil_terms.census_return = exclusions.census_return
    and pupil_terms.pupil_matching_ref = exclusions.pupil_matching_ref
inner join sen
    on
    pupil_terms.census_return = sen.census_return
    and pupil_terms.pupil_matching_ref = sen.pupil_matching_ref
left join {{ ref('sen_provision') }} as sen_provisions on sen.sen_provision_code = sen_provisions.code
