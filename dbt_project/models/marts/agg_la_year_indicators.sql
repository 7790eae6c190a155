-- Children counted per local authority, collection year and indicator, before disclosure control.
-- Social care counts children with an episode open in the year to 31 March; school counts are per
-- school census year. The publication asset suppresses and rounds these (publication schema).
with years as (
    select distinct census_year as collection_year from {{ ref('int_linked_pupil_years') }}
),

social_care as (
    select e.la_code, y.collection_year, e.service as indicator, count(distinct e.person_key) as children
    from {{ ref('int_linked_service_episodes') }} as e
    join years as y
        on e.start_date <= make_date(y.collection_year, 3, 31)
        and coalesce(e.end_date, make_date(y.collection_year, 3, 31)) >= make_date(y.collection_year - 1, 4, 1)
    group by e.la_code, y.collection_year, e.service
),

school as (
    select la_code, census_year as collection_year, indicator, count(distinct person_key) as children
    from (
        select la_code, census_year, person_key, 'pupils' as indicator from {{ ref('int_linked_pupil_years') }}
        union all
        select la_code, census_year, person_key, 'fsm_eligible' from {{ ref('int_linked_pupil_years') }} where fsm_eligible_any_term
        union all
        select la_code, census_year, person_key, 'persistent_absence' from {{ ref('int_linked_pupil_years') }} where persistent_absence
        union all
        select la_code, census_year, person_key, 'severe_absence' from {{ ref('int_linked_pupil_years') }} where severe_absence
        union all
        select la_code, census_year, person_key, 'permanent_exclusion' from {{ ref('int_linked_pupil_years') }} where permanently_excluded
        union all
        select la_code, census_year, person_key, 'ehc_plan' from {{ ref('int_linked_pupil_years') }} where ehc_plan
        union all
        select la_code, census_year, person_key, 'left_roll_unexplained' from {{ ref('int_linked_pupil_years') }} where left_roll_unexplained
    ) as flagged
    group by la_code, census_year, indicator
)

select la_code, collection_year, indicator, children from social_care
union all
select la_code, collection_year, indicator, children from school
