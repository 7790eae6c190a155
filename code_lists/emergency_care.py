"""The code lists of the Emergency Care Data Set (ECDS) extract, each code with where it was confirmed.

ECDS codes its clinical fields in SNOMED CT, from the reference sets of NHS England's Emergency Care
Technical Output Specification (ETOS). The ETOS and TRUD refset files were not in the corpus Hearth's research
could read (docs/research/issue-16-source-layouts.md section 5), so every code here says how far it was checked:

- `ecds`: the code is used in that ECDS field by NHS analysts' published code (the source names where), so it
  is a member of the field's refset;
- `snomed`: a real SNOMED CT concept (the source shows it in a terminology server's expansion or a published
  value set), but whether ECDS's refset for the field holds it is NOT confirmed;
- `nhs_data_dictionary`: a national code of a non-SNOMED ECDS field whose value was confirmed, its label not
  in every case (the label says so).

No code was made up. Labels are the sources' own wording where they give one; where a source gives only a
grouping, the label is marked "(label not checked)". Weights only steer the synthetic draws (assumptions).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import Code

# Where each code was seen (repository and path in the stored public corpus, or the page).
SOURCES: dict[str, str] = {
    "cipha_self_harm": "cipha-uk/complex_households 02_extract_features/2_10_find_aeattendances_for_selfharmintent_ecds.sql: "
    "EC_Injury_Intent_SNOMED_CT = '276853009' selects self-harm attendances in SUS ECDS (vw_SUS_Faster_ECDS)",
    "nhse_mental_health": "NHS England mental-health ECDS scripts (research note section 5, 'Other codes seen in use'): the chief "
    "complaints and primary diagnoses (first item of Der_EC_Diagnosis_All) that flag a mental-health presentation",
    "epidm_discharge": "alexbhatt/epidm data-raw/inpatient_lookups.R group_ecds_discharge_destination (UKHSA epidm package): "
    "the ECDS Discharge_Destination_SNOMED_CT codes grouped discharged, ambulatory/short stay, admitted, transfer, died",
    "arrival_mode_etos": "an R ECDS script in the corpus citing ECDS_ETOS_v4.0.6 labels every EC_Arrival_Mode_SNOMED_CT code (the "
    "index does not name its repository); nhsengland/ESA_Avoidable_ED_Attendances README confirms the non-ambulance codes",
    "nhse_avoidable": "nhsengland/ESA_Avoidable_ED_Attendances README: ECDS department type 01 (type 1 emergency department) "
    "and attendance category 1 (first attendance)",
    "ems_reports": "UECIT/ems-reports-service src/test/resources/ecds_basic_report.xml: EmergencyCareDepartmentType 04 in an ECDS (CDS type 011) message",
    "nhp_sdec": "The-Strategy-Unit/nhp_inputs inst/app/strategy_text/same_day_emergency_care.md: same-day emergency care "
    "recorded in ECDS as type 5 attendances",
    "ecds_eddiag_module": "a Python ECDS recode module in the corpus (functions _eddiag, _edattenddispatch; the index does not "
    "name its repository) grouping the first ECDS diagnosis: the codes only, labels not checked",
    "snomed_ph_expansion": "UPM-NTHC/PH-RoadSafetyIG input/fsh/generated-terminology/valuesets/ (SILPH Injury Intent and Element "
    "Terminology value sets), expanded by a terminology server against SNOMED CT International 2024-10-01",
    "snomed_ch_ems": "hl7ch/ch-ems input/fsh/valuesets/IVR-VS-event.fsh (Swiss emergency medical services events)",
    "snomed_dicom": "bvdh/dicom-terminology-in-fhir input/fsh/ValueSet-dicom-cid-3220-StressSymptom.fsh (DICOM CID 3220, SNOMED CT)",
}


@dataclass(frozen=True)
class EcdsCode(Code):
    """A code of an ECDS field with the kind of attendance it belongs to (`group`) and how it was confirmed."""

    group: str = ""
    confirmed: str = "snomed"  # ecds, snomed or nhs_data_dictionary (module docstring)
    source: str = ""  # a key of SOURCES


# --- EC_Arrival_Mode_SNOMED_CT. About a fifth of attendances arrive by ambulance (NHS England A&E
# attendances and emergency admissions: about 1 in 4 at type 1 departments); the generator sets the share by
# age and kind of attendance, these weights split each group.
ARRIVAL_MODE: tuple[EcdsCode, ...] = (
    EcdsCode("1048031000000100", "Arrival by emergency road ambulance", 85, "ambulance", "ecds", "arrival_mode_etos"),
    EcdsCode("1048041000000109", "Arrival by emergency road ambulance with medical escort", 4, "ambulance", "ecds", "arrival_mode_etos"),
    EcdsCode("1048021000000102", "Arrival by non-emergency road ambulance", 10, "ambulance", "ecds", "arrival_mode_etos"),
    EcdsCode("1048051000000107", "Arrival by helicopter air ambulance", 1, "ambulance", "ecds", "arrival_mode_etos"),
    EcdsCode("1048071000000103", "Arrival by own transport", 88, "other", "ecds", "arrival_mode_etos"),
    EcdsCode("1048061000000105", "Arrival by public transport", 10, "other", "ecds", "arrival_mode_etos"),
    EcdsCode("1048001000000106", "Arrival by police transport", 1.5, "other", "ecds", "arrival_mode_etos"),
    EcdsCode("1047991000000102", "Arrival by prison transport", 0.5, "other", "ecds", "arrival_mode_etos"),
)

# --- EC_AttendanceCategory: 1 is confirmed as the first attendance; 2-4 (follow-ups) are the NHS Data
# Dictionary's other values as Hearth understands them, their labels not checked.
ATTENDANCE_CATEGORY: tuple[EcdsCode, ...] = (
    EcdsCode("1", "Unplanned first attendance", 96, "first", "nhs_data_dictionary", "nhse_avoidable"),
    EcdsCode("2", "Unplanned follow-up attendance at this department (label not checked)", 3, "follow_up", "nhs_data_dictionary", "nhse_avoidable"),
    EcdsCode("3", "Unplanned follow-up attendance at another department (label not checked)", 0.5, "follow_up", "nhs_data_dictionary", "nhse_avoidable"),
    EcdsCode("4", "Planned follow-up attendance (label not checked)", 0.5, "follow_up", "nhs_data_dictionary", "nhse_avoidable"),
)

# --- EC_Department_Type: 01 type 1 (consultant-led 24-hour) is confirmed with its label; 04 and 05 are
# confirmed as values; the labels of 02-05 are not checked. Type 1 takes about two thirds of attendances in
# NHS England's A&E statistics; minor injuries units (03) see injuries more (the generator's assumption).
DEPARTMENT_TYPE: tuple[EcdsCode, ...] = (
    EcdsCode("01", "Type 1 emergency department", 70, "type_1", "nhs_data_dictionary", "nhse_avoidable"),
    EcdsCode("02", "Single specialty emergency department (label not checked)", 3, "other", "nhs_data_dictionary", "nhse_avoidable"),
    EcdsCode("03", "Other emergency department or minor injury unit (label not checked)", 22, "other", "nhs_data_dictionary", "nhse_avoidable"),
    EcdsCode("04", "Walk-in centre (label not checked)", 5, "other", "nhs_data_dictionary", "ems_reports"),
    EcdsCode("05", "Same day emergency care (label not checked)", 0, "other", "nhs_data_dictionary", "nhp_sdec"),
)

# --- EC_Chief_Complaint_SNOMED_CT by kind of attendance. The mental-health and self-harm complaints are
# those NHS England's scripts flag (366979004 replaced 272022009 from April 2022); the injury and illness
# complaints are real SNOMED CT concepts whose place in the ECDS chief complaint refset is not confirmed.
CHIEF_COMPLAINT: tuple[EcdsCode, ...] = (
    EcdsCode("248062006", "Self-harm", 1, "self_harm", "ecds", "nhse_mental_health"),
    EcdsCode("272022009", "Depressive feelings", 3, "mental_health", "ecds", "nhse_mental_health"),
    EcdsCode("366979004", "Depressive feelings (from April 2022)", 3, "mental_health", "ecds", "nhse_mental_health"),
    EcdsCode("48694002", "Feeling anxious", 3, "mental_health", "ecds", "nhse_mental_health"),
    EcdsCode("248020004", "Behaviour: unusual", 2, "mental_health", "ecds", "nhse_mental_health"),
    EcdsCode("6471006", "Feeling suicidal", 2, "mental_health", "ecds", "nhse_mental_health"),
    EcdsCode("7011001", "Hallucinations or delusions", 1, "mental_health", "ecds", "nhse_mental_health"),
    EcdsCode("417163006", "Traumatic or non-traumatic injury", 6, "injury", "snomed", "snomed_ph_expansion"),
    EcdsCode("262519004", "Multiple injuries", 1, "injury", "snomed", "snomed_ph_expansion"),
    EcdsCode("125666000", "Burn", 1, "injury", "snomed", "snomed_ph_expansion"),
    EcdsCode("29857009", "Chest pain", 3, "illness", "snomed", "snomed_dicom"),
    EcdsCode("267036007", "Dyspnea", 3, "illness", "snomed", "snomed_dicom"),
    EcdsCode("422587007", "Nausea", 2, "illness", "snomed", "snomed_dicom"),
    EcdsCode("404640003", "Dizziness", 1, "illness", "snomed", "snomed_dicom"),
    EcdsCode("271594007", "Syncope", 1, "illness", "snomed", "snomed_dicom"),
)
# The complaint written before April 2022 and from then on (collection year 2023 on).
DEPRESSIVE_FEELINGS_UNTIL_2022, DEPRESSIVE_FEELINGS_FROM_2022 = "272022009", "366979004"

# --- EC_Injury_Intent_SNOMED_CT (refset 991431000000101, EMERGENCY CARE INJURY INTENT). Only 276853009 is
# confirmed as a member. 52684005, 242056005 and 269735005 are real SNOMED CT concepts for assault, an
# accident and undetermined intent; whether the ECDS refset holds them, or other concepts for the same
# intents, is NOT confirmed (the ETOS was not at hand). 371708003 is not used: it is "Injury caused by
# electrical exposure".
INJURY_INTENT: tuple[EcdsCode, ...] = (
    EcdsCode("242056005", "Accidental injury", 95, "accidental", "snomed", "snomed_ph_expansion"),
    EcdsCode("52684005", "Assault", 0, "assault", "snomed", "snomed_ph_expansion"),
    EcdsCode("276853009", "Self inflicted injury", 0, "self_harm", "ecds", "cipha_self_harm"),
    EcdsCode("269735005", "Injury undetermined whether accidentally or purposely inflicted", 5, "undetermined", "snomed", "snomed_ph_expansion"),
)
ASSAULT, SELF_INFLICTED = "52684005", "276853009"

# --- EC_Diagnosis (Der_EC_Diagnosis_All, first = primary) by kind. Mental-health diagnoses are those NHS
# England's scripts flag; injury diagnoses are SNOMED CT concepts, their ECDS membership not confirmed;
# illness diagnoses are codes an ECDS recode module groups, their labels not checked.
DIAGNOSIS: tuple[EcdsCode, ...] = (
    EcdsCode("35489007", "Depressive disorder", 4, "mental_health", "ecds", "nhse_mental_health"),
    EcdsCode("197480006", "Anxiety disorder", 4, "mental_health", "ecds", "nhse_mental_health"),
    EcdsCode("69322001", "Psychotic disorder", 1, "mental_health", "ecds", "nhse_mental_health"),
    EcdsCode("17226007", "Adjustment disorder", 2, "mental_health", "ecds", "nhse_mental_health"),
    EcdsCode("72366004", "Eating disorder", 0.5, "mental_health", "ecds", "nhse_mental_health"),
    EcdsCode("13746004", "Bipolar affective disorder", 0.5, "mental_health", "ecds", "nhse_mental_health"),
    EcdsCode("125605004", "Fracture of bone", 3, "injury", "snomed", "snomed_ph_expansion"),
    EcdsCode("125643001", "Open wound", 4, "injury", "snomed", "snomed_ph_expansion"),
    EcdsCode("125667009", "Contusion", 4, "injury", "snomed", "snomed_ph_expansion"),
    EcdsCode("110030002", "Concussion injury of brain", 1, "injury", "snomed", "snomed_ph_expansion"),
    EcdsCode("399963005", "Abrasion", 2, "injury", "snomed", "snomed_ph_expansion"),
    EcdsCode("125666000", "Burn", 0.5, "injury", "snomed", "snomed_ph_expansion"),
    EcdsCode("233604007", "Pneumonia (label not checked)", 2, "illness", "ecds", "ecds_eddiag_module"),
    EcdsCode("195967001", "Asthma (label not checked)", 2, "illness", "ecds", "ecds_eddiag_module"),
    EcdsCode("13645005", "Chronic obstructive lung disease (label not checked)", 1, "illness", "ecds", "ecds_eddiag_module"),
    EcdsCode("6142004", "Influenza (label not checked)", 1, "illness", "ecds", "ecds_eddiag_module"),
)

# --- Discharge_Destination_SNOMED_CT, grouped as the UKHSA epidm package groups them. Labels are the short
# ones NHS analysts' scripts give; the ETOS wording is not checked. Weights: about 3 in 10 attendances end in
# admission (NHS England A&E statistics: emergency admissions via type 1 departments about 28%).
DISCHARGE_DESTINATION: tuple[EcdsCode, ...] = (
    EcdsCode("306689006", "Discharge to home", 92, "discharged", "ecds", "epidm_discharge"),
    EcdsCode("306691003", "Discharge to residential home", 2, "discharged", "ecds", "epidm_discharge"),
    EcdsCode("306694006", "Discharge to nursing home", 2, "discharged", "ecds", "epidm_discharge"),
    EcdsCode("306705005", "Discharge to police custody", 0.5, "discharged", "ecds", "epidm_discharge"),
    EcdsCode("50861005", "Discharge to legal custody", 0.5, "discharged", "ecds", "epidm_discharge"),
    EcdsCode("1066331000000109", "Emergency department short stay ward", 50, "short_stay", "ecds", "epidm_discharge"),
    EcdsCode("1066341000000100", "Ambulatory emergency care", 40, "short_stay", "ecds", "epidm_discharge"),
    EcdsCode("1066351000000102", "Hospital at home", 10, "short_stay", "ecds", "epidm_discharge"),
    EcdsCode("306706006", "Discharge to ward", 90, "admitted", "ecds", "epidm_discharge"),
    EcdsCode("1066361000000104", "High dependency unit", 3, "admitted", "ecds", "epidm_discharge"),
    EcdsCode("1066371000000106", "Coronary care unit", 3, "admitted", "ecds", "epidm_discharge"),
    EcdsCode("1066381000000108", "Special baby care unit", 1, "admitted", "ecds", "epidm_discharge"),
    EcdsCode("1066391000000105", "Intensive care unit", 2, "admitted", "ecds", "epidm_discharge"),
    EcdsCode("1066401000000108", "Neonatal intensive care unit", 1, "admitted", "ecds", "epidm_discharge"),
    EcdsCode("19712007", "Patient transfer to another health care facility", 1, "transfer", "ecds", "epidm_discharge"),
    EcdsCode("305398007", "Mortuary", 1, "died", "ecds", "epidm_discharge"),
)
WARD = "306706006"
BABY_UNITS = frozenset({"1066381000000108", "1066401000000108"})  # special baby care, neonatal intensive care

# The Emergency Care Data Set's provider: the acute trust serving each default LA (ODS codes as the RCPCH
# trusts list and an NHS trust mapping in the corpus give them). An LA outside these has its provider code
# from PROVIDER_OF_LA or the generator refuses it.
PROVIDER_OF_LA: dict[int, str] = {
    352: "R0A",  # Manchester University NHS Foundation Trust
    870: "RHW",  # Royal Berkshire NHS Foundation Trust
    925: "RWD",  # United Lincolnshire (Teaching) Hospitals NHS Trust
}

# Each ECDS field of the extract and its code list, as the seed `ecds_codes` and the ingestion rules read them.
FIELDS: dict[str, tuple[EcdsCode, ...]] = {
    "arrival_mode": ARRIVAL_MODE,
    "attendance_category": ATTENDANCE_CATEGORY,
    "department_type": DEPARTMENT_TYPE,
    "chief_complaint": CHIEF_COMPLAINT,
    "injury_intent": INJURY_INTENT,
    "diagnosis": DIAGNOSIS,
    "discharge_destination": DISCHARGE_DESTINATION,
}


def in_group(code_list: tuple[EcdsCode, ...], *groups: str) -> tuple[EcdsCode, ...]:
    """The codes of `code_list` in any of `groups`."""
    return tuple(c for c in code_list if c.group in groups)
