with sen as (
    select * from {{ source('raw', 'school_census_sen') }}
)

select
    {{ record_id('school_census_sen') }} as record_id,
    regexp_replace(_source_file, '_sen\.csv$', '') as census_return,
    cast(PupilMatchingRef as integer) as pupil_matching_ref,
    UPN as upn,
    SENprovision as sen_provision_code,
    PrimarySENtype as sen_primary_need_code,
    SecondarySENtype as sen_secondary_need_code,
    {{ provenance_columns(collection_year_as='census_year') }}
from sen
