with exclusions as (
    select * from {{ source('raw', 'school_census_exclusions') }}
)

select
    {{ record_id('school_census_exclusions') }} as record_id,
    regexp_replace(_source_file, '_exclusions\.csv$', '') as census_return,
    cast(PupilMatchingRef as integer) as pupil_matching_ref,
    UPN as upn,
    Category as exclusion_category_code,
    {{ parse_date('StartDate', '%d/%m/%Y') }} as exclusion_start_date,
    cast(Sessions as integer) as exclusion_sessions,
    Reason as exclusion_reason_code,
    {{ provenance_columns(collection_year_as='census_year') }}
from exclusions
