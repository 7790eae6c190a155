-- SSD holds a contact's outcome as JSON flags, every key present, "Y" or "N"; each becomes a boolean.
with contacts as (
    select
        {{ record_id('ssd_contacts') }} as record_id,
        {{ la_code_from_file('_source_file') }} as la_code,
        cont_contact_id as contact_id,
        cont_person_id as person_id,
        {{ parse_date('cont_contact_date', '%Y-%m-%d') }} as contact_date,
        cont_contact_source_code as contact_source_code,
        cast(cont_contact_outcome_json as json) as outcome_json,
        {{ provenance_columns() }}
    from {{ source('raw', 'ssd_contacts') }}
)

select
    record_id,
    la_code,
    contact_id,
    person_id,
    contact_date,
    contact_source_code,
    coalesce(outcome_json ->> 'NEW_REFERRAL_FLAG' = 'Y', false) as led_to_referral,
    coalesce(outcome_json ->> 'EXISTING_REFERRAL_FLAG' = 'Y', false) as about_open_referral,
    coalesce(outcome_json ->> 'CP_ENQUIRY_FLAG' = 'Y', false) as led_to_child_protection_enquiry,
    coalesce(outcome_json ->> 'NFA_FLAG' = 'Y', false) as no_further_action,
    coalesce(outcome_json ->> 'ADVICE_FLAG' = 'Y', false) as advice_given,
    coalesce(outcome_json ->> 'OTHER_OUTCOMES_EXIST_FLAG' = 'Y', false) as other_outcome,
    collection_year,
    source_file,
    row_number,
    release_run_id
from contacts
