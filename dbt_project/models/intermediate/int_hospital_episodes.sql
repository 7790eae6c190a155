-- Admitted patient care episodes flagged for mental health: a primary diagnosis in ICD-10
-- chapter V (F00-F99) or intentional self-harm (X60-X84), by its 3-character category.
select
    episodes.record_id,
    episodes.episode_key,
    episodes.admission_date,
    episodes.discharge_date,
    {{ dbt.datediff('episodes.admission_date', 'episodes.discharge_date', 'day') }} as length_of_stay_days,
    episodes.admission_method_code,
    episodes.primary_diagnosis_code,
    mental_health_ranges.mh_group is not null as is_mental_health,
    mental_health_ranges.mh_group as mental_health_group
from {{ ref('stg_hes_apc__episodes') }} as episodes
left join {{ ref('icd10_mental_health_ranges') }} as mental_health_ranges
    on substring(episodes.primary_diagnosis_code, 1, 3) between mental_health_ranges.range_start and mental_health_ranges.range_end
