-- Children's social work workforce census workers, one row per CSWWWorker per yearly return (census year to
-- 30 September): every employed social worker in post at any time in the year, and the agency workers in post at
-- 30 September, the only ones the census collects. Repeated elements are "|"-separated lists.
with workers as (
    select
        *,
        make_date(_collection_year - 1, 10, 1) as census_year_start,
        make_date(_collection_year, 9, 30) as reference_date,
        {{ parse_date('RoleStartDate', '%Y-%m-%d') }} as parsed_role_start_date,
        {{ parse_date('RoleEndDate', '%Y-%m-%d') }} as parsed_role_end_date
    from {{ source('raw', 'csww_worker') }}
),

org_roles as (
    select
        code,
        holds_cases
    from {{ ref('csww_org_role') }}
)

select
    {{ record_id('csww_worker') }} as record_id,
    {{ la_code_from_file('workers._source_file') }} as la_code,
    workers.AgencyWorker = '1' as is_agency_worker,
    workers.SWENo as swe_number,
    cast(workers.FTE as double) as fte,
    {{ parse_date('workers.PersonBirthDate', '%Y-%m-%d') }} as date_of_birth,
    workers.GenderCurrent as gender_code,
    workers.Ethnicity as ethnicity_code,
    workers.QualInst as qualifying_institutions,
    workers.QualLevel as qualification_level_code,
    workers.StepUpGrad = '1' as is_step_up_graduate,
    workers.OrgRole as org_role_code,
    org_roles.holds_cases,
    workers.parsed_role_start_date as role_start_date,
    workers.StartOrigin as start_origin_code,
    workers.parsed_role_end_date as role_end_date,
    workers.LeaverDestination as leaver_destination_code,
    workers.ReasonLeave as reason_leave_code,
    cast(workers.FTE30 as double) as fte_at_30_september,
    cast(workers.Cases30 as integer) as cases_at_30_september,
    cast(workers.WorkingDaysLost as double) as working_days_lost,
    workers.ContractWeeks as contract_weeks,
    workers.FrontlineGrad = '1' as is_frontline_graduate,
    workers.Absat30Sept like '%1%' as is_absent_at_30_september,
    workers.ReasonAbsence as absence_reason_codes,
    workers.CFKSSstatus as cfkss_status_codes,
    workers.census_year_start,
    workers.reference_date,
    coalesce(workers.AgencyWorker = '0' and workers.parsed_role_start_date >= workers.census_year_start, false) as is_starter,
    coalesce(workers.parsed_role_end_date <= workers.reference_date, false) as is_leaver,
    coalesce(workers.parsed_role_end_date > workers.reference_date, true) as is_in_post_at_30_september,
    {{ provenance_columns(collection_year_as='census_year') }}
from workers
left join org_roles on workers.OrgRole = org_roles.code
