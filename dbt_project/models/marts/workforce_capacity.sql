-- The children's social work workforce of each LA and census year (to 30 September), measured as the DfE's
-- published indicators define them, with the LA's children's social care spend per child in need for the
-- financial year that ends in the census year (s251 outturn).
with workers as (
    select * from {{ ref('stg_csww__workers') }}
),

workforce as (
    select
        la_code,
        census_year,
        sum(case when not is_agency_worker and is_in_post_at_30_september then fte_at_30_september else 0 end) as inpost_fte,
        sum(case when is_agency_worker and is_in_post_at_30_september then fte_at_30_september else 0 end) as agency_fte,
        sum(case when is_starter then fte else 0 end) as starters_fte,
        sum(case when not is_agency_worker and is_leaver then fte else 0 end) as leavers_fte,
        sum(case when holds_cases and is_in_post_at_30_september then fte_at_30_september else 0 end) as case_holders_fte,
        cast(sum(case when holds_cases and is_in_post_at_30_september then cases_at_30_september else 0 end) as bigint) as cases,
        sum(case when not is_agency_worker then coalesce(working_days_lost, 0) else 0 end) as working_days_lost
    from workers
    group by la_code, census_year
),

vacancies as (
    select
        la_code,
        census_year,
        sum(vacancies_fte) as vacancy_fte
    from {{ ref('stg_csww__la_vacancies') }}
    group by la_code, census_year
),

spend as (
    select
        la_code,
        collection_year,
        cast(sum(total_expenditure) as bigint) as childrens_social_care_spend
    from {{ ref('stg_s251__expenditure') }}
    where is_category_total and in_childrens_social_care
    group by la_code, collection_year
),

financial_years as (
    select distinct make_date(collection_year, 3, 31) as year_end from spend
),

children_in_need as (
    -- Children with a child-in-need episode open at some time in the financial year the spend is for.
    select
        episodes.la_code,
        extract(year from years.year_end) as collection_year,
        count(distinct episodes.person_key) as children
    from {{ ref('linked_service_episodes') }} as episodes
    inner join financial_years as years
        on
        episodes.start_date <= years.year_end
        and (episodes.end_date is null or episodes.end_date >= years.year_end - interval 1 year + interval 1 day)
    where episodes.service = 'child_in_need' and episodes.person_key is not null
    group by episodes.la_code, years.year_end
)

select
    workforce.la_code,
    workforce.census_year,
    workforce.inpost_fte,
    workforce.agency_fte,
    workforce.agency_fte / nullif(workforce.agency_fte + workforce.inpost_fte, 0) as agency_rate_fte,
    workforce.starters_fte,
    workforce.leavers_fte,
    workforce.leavers_fte / nullif(workforce.inpost_fte, 0) as turnover_rate_fte,
    vacancies.vacancy_fte,
    vacancies.vacancy_fte / nullif(vacancies.vacancy_fte + workforce.inpost_fte, 0) as vacancy_rate_fte,
    workforce.case_holders_fte,
    workforce.cases,
    workforce.cases / nullif(workforce.case_holders_fte, 0) as caseload_per_fte,
    workforce.working_days_lost / nullif(workforce.inpost_fte, 0) as working_days_lost_per_fte,
    spend.childrens_social_care_spend,
    children_in_need.children as children_in_need,
    spend.childrens_social_care_spend / nullif(children_in_need.children, 0) as spend_per_child_in_need
from workforce
left join vacancies on workforce.la_code = vacancies.la_code and workforce.census_year = vacancies.census_year
left join spend on workforce.la_code = spend.la_code and workforce.census_year = spend.collection_year
left join children_in_need on workforce.la_code = children_in_need.la_code and workforce.census_year = children_in_need.collection_year
