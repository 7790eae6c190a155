-- The LA-level table of each children's social work workforce census return: vacancies at 30 September and
-- the agency workers covering them (the published indicators' vacancy_fte and agency_cover_fte).
select
    {{ record_id('csww_la_level') }} as record_id,
    {{ la_code_from_file('_source_file') }} as la_code,
    make_date(_collection_year, 9, 30) as reference_date,
    cast(NumberOfVacancies as double) as vacancies_fte,
    cast(NoAgencyFTE as double) as agency_covering_vacancies_fte,
    cast(NoAgencyHeadcount as integer) as agency_covering_vacancies_headcount,
    {{ provenance_columns(collection_year_as='census_year') }}
from {{ source('raw', 'csww_la_level') }}
