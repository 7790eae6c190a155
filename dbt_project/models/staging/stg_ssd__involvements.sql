-- Each worker allocated to a child (Standard Safeguarding Dataset ssd_involvements), one row per involvement
-- per yearly extract: an involvement open across 31 March is in both years' extracts, its end known only in
-- the later one.
select
    {{ record_id('ssd_involvements') }} as record_id,
    {{ la_code_from_file('_source_file') }} as la_code,
    invo_involvements_id as involvement_id,
    invo_professional_id as professional_id,
    invo_professional_role_id as professional_role,
    invo_professional_team as team_code,
    invo_person_id as person_id,
    {{ parse_date('invo_involvement_start_date', '%Y-%m-%d') }} as involvement_start_date,
    {{ parse_date('invo_involvement_end_date', '%Y-%m-%d') }} as involvement_end_date,
    invo_worker_change_reason as worker_change_reason_code,
    invo_referral_id as referral_id,
    {{ provenance_columns() }}
from {{ source('raw', 'ssd_involvements') }}
