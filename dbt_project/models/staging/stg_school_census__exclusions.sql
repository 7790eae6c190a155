with exclusions as (
    select * from {{ source('raw', 'school_census_exclusions') }}
)

select
    {{ record_id('school_census_exclusions') }} as record_id,
    regexp_replace(_source_file, '_exclusions\.csv$', '') as census_return,
    cast(PupilMatchingRef as integer) as pupil_matching_ref,
    UPN as upn,
    cast(TotalFixedExclusions as integer) as suspensions,
    cast(PermanentExclusionCount as integer) > 0 as permanently_excluded,
    {{ provenance_columns(collection_year_as='census_year') }}
from exclusions
