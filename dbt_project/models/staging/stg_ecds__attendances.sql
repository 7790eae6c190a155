-- Emergency Care Data Set attendances, one row per raw row: names as elsewhere in staging, ISO dates
-- parsed, and the kind of attendance an analyst asks about (assault, self-harm, injury, mental health,
-- admitted) from the groups of the ECDS code lists (seed ecds_codes).
with attendances as (
    select
        {{ record_id('ecds') }} as record_id,
        EC_Ident as ec_ident,
        NHS_Number as nhs_number,
        Person_Given_Name as first_name,
        Person_Family_Name as last_name,
        {{ parse_date('Person_Birth_Date', '%Y-%m-%d') }} as date_of_birth,
        Sex as sex_code,
        Ethnic_Category as ethnicity_code,
        Patient_Usual_Address as address,
        {{ normalise_postcode('Postcode_Of_Usual_Address') }} as postcode,
        Der_Provider_Code as provider_code,
        EC_Department_Type as department_type_code,
        EC_AttendanceCategory as attendance_category_code,
        {{ parse_date('Arrival_Date', '%Y-%m-%d') }} as arrival_date,
        Arrival_Time as arrival_time,
        cast(Age_At_Arrival as integer) as age_at_arrival,
        EC_Arrival_Mode_SNOMED_CT as arrival_mode_code,
        EC_Chief_Complaint_SNOMED_CT as chief_complaint_code,
        {{ parse_date('EC_Injury_Date', '%Y-%m-%d') }} as injury_date,
        EC_Injury_Intent_SNOMED_CT as injury_intent_code,
        Der_EC_Diagnosis_All as diagnosis_codes,
        split_part(Der_EC_Diagnosis_All, ',', 1) as primary_diagnosis_code,
        {{ parse_date('EC_Departure_Date', '%Y-%m-%d') }} as departure_date,
        EC_Departure_Time as departure_time,
        cast(EC_Departure_Time_Since_Arrival as integer) as minutes_in_department,
        Discharge_Destination_SNOMED_CT as discharge_destination_code,
        {{ provenance_columns() }}
    from {{ source('raw', 'ecds') }}
),

ecds_codes as (
    select
        field,
        code,
        code_group
    from {{ ref('ecds_codes') }}
)

select
    attendances.record_id,
    attendances.ec_ident,
    attendances.nhs_number,
    attendances.first_name,
    attendances.last_name,
    attendances.date_of_birth,
    attendances.sex_code,
    attendances.ethnicity_code,
    attendances.address,
    attendances.postcode,
    attendances.provider_code,
    attendances.department_type_code,
    attendances.attendance_category_code,
    attendances.arrival_date,
    attendances.arrival_time,
    attendances.age_at_arrival,
    attendances.arrival_mode_code,
    coalesce(arrival_modes.code_group = 'ambulance', false) as is_ambulance_arrival,
    attendances.chief_complaint_code,
    attendances.injury_date,
    attendances.injury_intent_code,
    attendances.diagnosis_codes,
    attendances.primary_diagnosis_code,
    attendances.departure_date,
    attendances.departure_time,
    attendances.minutes_in_department,
    attendances.discharge_destination_code,
    discharge_destinations.code_group as discharge_group,
    coalesce(injury_intents.code_group = 'assault', false) as is_assault,
    coalesce(injury_intents.code_group = 'self_harm' or chief_complaints.code_group = 'self_harm', false) as is_self_harm,
    attendances.injury_intent_code is not null or attendances.injury_date is not null as is_injury,
    -- NHS England's mental-health presentation: a mental-health or self-harm complaint, self-inflicted
    -- injury, or a mental-health primary diagnosis.
    coalesce(
        chief_complaints.code_group in ('mental_health', 'self_harm')
        or injury_intents.code_group = 'self_harm'
        or primary_diagnoses.code_group = 'mental_health',
        false
    ) as is_mental_health,
    coalesce(discharge_destinations.code_group = 'admitted', false) as is_admitted,
    attendances.collection_year,
    attendances.source_file,
    attendances.row_number,
    attendances.release_run_id
from attendances
left join ecds_codes as arrival_modes
    on arrival_modes.field = 'arrival_mode' and attendances.arrival_mode_code = arrival_modes.code
left join ecds_codes as chief_complaints
    on chief_complaints.field = 'chief_complaint' and attendances.chief_complaint_code = chief_complaints.code
left join ecds_codes as injury_intents
    on injury_intents.field = 'injury_intent' and attendances.injury_intent_code = injury_intents.code
left join ecds_codes as primary_diagnoses
    on primary_diagnoses.field = 'diagnosis' and attendances.primary_diagnosis_code = primary_diagnoses.code
left join ecds_codes as discharge_destinations
    on discharge_destinations.field = 'discharge_destination' and attendances.discharge_destination_code = discharge_destinations.code
