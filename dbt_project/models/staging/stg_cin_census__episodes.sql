select
    {{ cin_keys('cin_episodes') }},
    {{ parse_date('CINreferralDate', '%Y-%m-%d') }} as referral_date,
    ReferralSource as referral_source_code,
    PrimaryNeedCode as primary_need_code,
    {{ parse_date('CINclosureDate', '%Y-%m-%d') }} as closure_date,
    ReasonForClosure as closure_reason_code,
    ReferralNFA in ('1', 'true') as referral_nfa,
    {{ provenance_columns() }}
from {{ source('raw', 'cin_episodes') }}
