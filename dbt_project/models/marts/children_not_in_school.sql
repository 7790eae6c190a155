-- Children who left a school roll: one row per departure (a pupil on a census's roll, below year 11, not
-- permanently excluded, on no roll at the next census while the census goes on), whether and when the
-- child appears on the LA's register of children missing education or in elective home education, and
-- why; with their absence, exclusions, SEND and social care before leaving.
with terms as (
    select
        person_links.person_key,
        school_terms.census_date,
        school_terms.term_order,
        school_terms.census_year,
        school_terms.la_code,
        school_terms.nc_year,
        school_terms.sen_provision_group,
        school_terms.permanently_excluded
    from {{ ref('int_school_terms') }} as school_terms
    inner join {{ source('linkage', 'person_links') }} as person_links on school_terms.record_id = person_links.record_id
),

census_dates as (
    select distinct census_date from terms
),

censuses as (
    select
        census_date,
        lead(census_date) over (order by census_date) as next_census_date
    from census_dates
),

pupil_terms as (
    select
        person_key,
        census_date,
        any_value(census_year) as census_year,
        any_value(la_code) as la_code,
        max(nc_year) as nc_year,
        any_value(sen_provision_group) as sen_provision_group,
        max(case when permanently_excluded then 1 else 0 end) = 1 as permanently_excluded
    from terms
    group by person_key, census_date
),

departures as (
    select
        pupil_terms.*,
        censuses.next_census_date
    from pupil_terms
    inner join censuses on pupil_terms.census_date = censuses.census_date
    where
        censuses.next_census_date is not null
        and pupil_terms.nc_year < 11
        and not pupil_terms.permanently_excluded
        and not exists (
            select 1 from pupil_terms as later
            where later.person_key = pupil_terms.person_key and later.census_date = censuses.next_census_date
        )
),

register_entries as (
    select
        departures.person_key,
        departures.census_date,
        entries.register,
        entries.reason,
        entries.date_on_register,
        entries.date_off_register,
        entries.date_off_reason,
        row_number() over (partition by departures.person_key, departures.census_date order by entries.date_on_register, entries.entry_key) as entry_order
    from departures
    inner join {{ ref('linked_register_entries') }} as entries
        on
        departures.person_key = entries.person_key
        and departures.census_date < entries.date_on_register
        and departures.census_date + 365 >= entries.date_on_register
),

prior_year as (
    select
        departures.person_key,
        departures.census_date,
        pupil_years.absence_rate,
        pupil_years.persistent_absence,
        pupil_years.suspensions
    from departures
    inner join {{ ref('linked_pupil_years') }} as pupil_years
        on departures.person_key = pupil_years.person_key and departures.census_year = pupil_years.census_year
),

social_care as (
    select
        departures.person_key,
        departures.census_date,
        max(case when episodes.service = 'child_in_need' then 1 else 0 end) = 1 as child_in_need_in_year_before,
        max(case when episodes.service = 'looked_after' then 1 else 0 end) = 1 as looked_after_in_year_before
    from departures
    inner join {{ ref('linked_service_episodes') }} as episodes
        on
        departures.person_key = episodes.person_key
        and departures.census_date >= episodes.start_date
        and (episodes.end_date is null or departures.census_date - 365 <= episodes.end_date)
    group by departures.person_key, departures.census_date
),

seen_after as (
    -- Still seen in the area after the next census (any source): a child who left the area needs no entry.
    select
        departures.person_key,
        departures.census_date
    from departures
    inner join {{ source('linkage', 'person_links') }} as person_links on departures.person_key = person_links.person_key
    inner join {{ ref('int_person_records') }} as person_records on person_links.record_id = person_records.record_id
    where departures.next_census_date < person_records.observed_to
    group by departures.person_key, departures.census_date
),

back_on_roll as (
    select
        departures.person_key,
        departures.census_date,
        min(later.census_date) as back_on_roll_census_date
    from departures
    inner join pupil_terms as later on departures.person_key = later.person_key and departures.next_census_date < later.census_date
    group by departures.person_key, departures.census_date
),

censuses_off_roll as (
    -- The censuses between leaving and coming back (all the rest, for a child not back by the last).
    select
        departures.person_key,
        departures.census_date,
        count(*) as censuses_missed
    from departures
    left join back_on_roll on departures.person_key = back_on_roll.person_key and departures.census_date = back_on_roll.census_date
    inner join census_dates
        on
        departures.census_date < census_dates.census_date
        and (back_on_roll.back_on_roll_census_date is null or back_on_roll.back_on_roll_census_date > census_dates.census_date)
    group by departures.person_key, departures.census_date
)

select
    departures.person_key,
    departures.census_date as last_census_date,
    departures.la_code,
    departures.nc_year,
    departures.sen_provision_group,
    prior_year.absence_rate as absence_rate_that_year,
    coalesce(prior_year.persistent_absence, false) as persistent_absence_that_year,
    coalesce(prior_year.suspensions, 0) as suspensions_that_year,
    coalesce(social_care.child_in_need_in_year_before, false) as child_in_need_in_year_before,
    coalesce(social_care.looked_after_in_year_before, false) as looked_after_in_year_before,
    register_entries.register is not null as on_register,
    register_entries.register,
    register_entries.reason as register_reason,
    {{ dbt.datediff('departures.census_date', 'register_entries.date_on_register', 'day') }} as days_to_register,
    register_entries.date_off_register,
    register_entries.date_off_reason,
    back_on_roll.back_on_roll_census_date,
    censuses_off_roll.censuses_missed,
    seen_after.person_key is not null as seen_in_area_after
from departures
left join register_entries
    on departures.person_key = register_entries.person_key and departures.census_date = register_entries.census_date and register_entries.entry_order = 1
left join prior_year on departures.person_key = prior_year.person_key and departures.census_date = prior_year.census_date
left join social_care on departures.person_key = social_care.person_key and departures.census_date = social_care.census_date
left join back_on_roll on departures.person_key = back_on_roll.person_key and departures.census_date = back_on_roll.census_date
left join seen_after on departures.person_key = seen_after.person_key and departures.census_date = seen_after.census_date
left join censuses_off_roll on departures.person_key = censuses_off_roll.person_key and departures.census_date = censuses_off_roll.census_date
