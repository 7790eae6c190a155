select
    {{ record_id('ssda903_episodes') }} as record_id,
    {{ la_code_from_file('_source_file') }} as la_code,
    CHILD as la_child_id,
    {{ parse_date('DECOM', '%d/%m/%Y') }} as episode_start_date,
    RNE as reason_new_episode_code,
    LS as legal_status_code,
    CIN as category_of_need_code,
    PLACE as placement_type_code,
    PLACE_PROVIDER as placement_provider_code,
    {{ parse_date('DEC', '%d/%m/%Y') }} as episode_end_date,
    REC as reason_ceased_code,
    REASON_PLACE_CHANGE as reason_place_change_code,
    {{ normalise_postcode('HOME_POST') }} as home_postcode,
    {{ normalise_postcode('PL_POST') }} as placement_postcode,
    URN as placement_urn,
    {{ provenance_columns() }}
from {{ source('raw', 'ssda903_episodes') }}
