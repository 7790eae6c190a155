select
    {{ record_id('cin_episodes') }} as record_id,
    {{ la_code_from_file('_source_file') }} as la_code,
    LAchildID as la_child_id,
    cast(CINdetailsNumber as integer) as cin_details_number,
    {{ parse_date('CINreferralDate', '%Y-%m-%d') }} as referral_date,
    ReferralSource as referral_source_code,
    PrimaryNeedCode as primary_need_code,
    {{ parse_date('CINclosureDate', '%Y-%m-%d') }} as closure_date,
    ReasonForClosure as closure_reason_code,
    ReferralNFA in ('1', 'true') as referral_nfa,
    _collection_year as collection_year,
    _source_file as source_file,
    _row_number as row_number
from {{ source('raw', 'cin_episodes') }}
