with attendance as (
    select * from {{ source('raw', 'school_census_attendance') }}
)

select
    {{ record_id('school_census_attendance') }} as record_id,
    regexp_replace(_source_file, '_attendance\.csv$', '') as census_return,
    cast(PupilMatchingRef as integer) as pupil_matching_ref,
    UPN as upn,
    cast(SessionsPossible as integer) as sessions_possible,
    cast(AuthorisedAbsence as integer) as sessions_authorised_absence,
    cast(UnauthorisedAbsence as integer) as sessions_unauthorised_absence,
    cast(OverallAbsence as integer) as sessions_missed,
    {{ provenance_columns(collection_year_as='census_year') }}
from attendance
