-- Admitted patient care episodes flagged for mental health: a primary diagnosis in ICD-10
-- chapter V (F00-F99) or intentional self-harm (X60-X84), by its 3-character category.
select
    h.record_id,
    h.episode_key,
    h.admission_date,
    h.discharge_date,
    {{ dbt.datediff('h.admission_date', 'h.discharge_date', 'day') }} as length_of_stay_days,
    h.admission_method_code,
    h.primary_diagnosis_code,
    r.mh_group is not null as is_mental_health,
    r.mh_group as mental_health_group
from {{ ref('stg_hes_apc__episodes') }} as h
left join {{ ref('icd10_mental_health_ranges') }} as r
    on substring(h.primary_diagnosis_code, 1, 3) between r.range_start and r.range_end
