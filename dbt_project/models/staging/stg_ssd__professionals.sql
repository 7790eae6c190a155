-- The LA's workers (Standard Safeguarding Dataset ssd_professionals), one row per worker per yearly extract (a
-- worker in post in several years is in each). Names are not carried on: analysts see the worker's ids only.
select
    {{ record_id('ssd_professionals') }} as record_id,
    {{ la_code_from_file('_source_file') }} as la_code,
    prof_professional_id as professional_id,
    prof_staff_id as staff_id,
    prof_social_worker_registration_no as swe_number,
    prof_agency_worker_flag = 'Y' as is_agency_worker,
    prof_professional_job_title as job_title,
    cast(prof_professional_caseload as integer) as caseload_at_30_september,
    prof_professional_department as department,
    cast(prof_full_time_equivalency as double) as fte,
    {{ provenance_columns() }}
from {{ source('raw', 'ssd_professionals') }}
