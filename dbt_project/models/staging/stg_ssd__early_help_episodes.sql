-- An episode open across 31 March is in both years' extracts; int_early_help_episodes keeps the latest.
select
    {{ record_id('ssd_early_help_episodes') }} as record_id,
    {{ la_code_from_file('_source_file') }} as la_code,
    earl_episode_id as episode_id,
    earl_person_id as person_id,
    {{ parse_date('earl_episode_start_date', '%Y-%m-%d') }} as episode_start_date,
    {{ parse_date('earl_episode_end_date', '%Y-%m-%d') }} as episode_end_date,
    earl_episode_reason as episode_reason,
    earl_episode_end_reason as episode_end_reason,
    earl_episode_organisation as organisation,
    {{ provenance_columns() }}
from {{ source('raw', 'ssd_early_help_episodes') }}
