-- Children counted per local authority, collection year and indicator, before disclosure control.
-- Social care counts children with an episode open in the year to 31 March; school counts are per
-- school census year. The publication asset suppresses and rounds these (publication schema).
with collection_years as (
    select distinct census_year as collection_year from {{ ref('linked_pupil_years') }}
),

social_care as (
    select
        service_episodes.la_code,
        collection_years.collection_year,
        service_episodes.service as indicator,
        count(distinct service_episodes.person_key) as children
    from {{ ref('linked_service_episodes') }} as service_episodes
    inner join collection_years
        on service_episodes.start_date <= make_date(collection_years.collection_year, 3, 31)
        and coalesce(service_episodes.end_date, make_date(collection_years.collection_year, 3, 31)) >= make_date(collection_years.collection_year - 1, 4, 1)
    group by service_episodes.la_code, collection_years.collection_year, service_episodes.service
),

{%- set school_indicators = {
    'pupils': 'true', 'fsm_eligible': 'fsm_eligible_any_term', 'persistent_absence': 'persistent_absence',
    'severe_absence': 'severe_absence', 'permanent_exclusion': 'permanently_excluded', 'ehc_plan': 'ehc_plan',
    'left_roll_unexplained': 'left_roll_unexplained',
} %}

school as (
    {% for indicator, condition in school_indicators.items() %}
        select
            la_code,
            census_year as collection_year,
            '{{ indicator }}' as indicator,
            count(distinct person_key) as children
        from {{ ref('linked_pupil_years') }}
        where {{ condition }}
        group by la_code, census_year
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

-- Violence beside social care: children assessed in the year whose assessment found domestic abuse, and
-- those whose household had an emergency attendance for assault in the year before.
harm as (
    select
        assessments.la_code,
        cast(
            extract(year from assessments.assessment_start_date) + case when extract(month from assessments.assessment_start_date) >= 4 then 1 else 0 end
            as integer
        ) as collection_year,
        indicators.indicator,
        count(distinct assessments.person_key) as children
    from {{ ref('assessment_harm_context') }} as assessments
    cross join (values ('assessment_domestic_abuse'), ('assessment_household_assault_attendance')) as indicators (indicator)
    where
        (indicators.indicator = 'assessment_domestic_abuse' and assessments.domestic_abuse)
        or (indicators.indicator = 'assessment_household_assault_attendance' and assessments.household_assault_attendance)
    group by all
)

select
    la_code,
    collection_year,
    indicator,
    children
from social_care
union all
select
    la_code,
    collection_year,
    indicator,
    children
from harm
union all
select
    la_code,
    collection_year,
    indicator,
    children
from school
