"""The children's social work workforce: the DfE census return's elements and codes, and the SSD workforce tables.

Sources:
- CSWW census (DfE "Children's social work workforce census"), worker-level XML: element names, order and
  code lists from Social Finance's liia-tools XSD `liiatools/spec/social_work_workforce/social_work_workforce_2022.xsd`
  (liiatools 0.2.0 wheel; copied to `validations/schemas/csww/` with its provenance). The census year runs from
  1 October to 30 September; the reference date is 30 September.
- Data to Insight Standard Safeguarding Dataset (data-to-insight/ssd-data-model, `data/objects/ssd_professionals.yml`,
  `ssd_involvements.yml` and the v1.4.3 DDL): the columns of ssd_professionals and ssd_involvements and the
  code set of invo_worker_change_reason.

Weights steer the synthetic draws only. Where one follows a published figure its comment says so; the others
are assumptions of roughly the right order, not statistics.
"""

from __future__ import annotations

from . import Code

# --- CSWW return layout ------------------------------------------------------------------------------------------
# One CSWWWorker, in the XSD's element order. The elements after the first two are optional; QualInst,
# ContractWeeks, Absat30Sept, ReasonAbsence and CFKSSstatus may repeat, and the reader joins repeats with commas.
CSWW_WORKER_COLUMNS: tuple[str, ...] = (
    "AgencyWorker",
    "SWENo",
    "FTE",
    "PersonBirthDate",
    "GenderCurrent",
    "Ethnicity",
    "QualInst",
    "QualLevel",
    "StepUpGrad",
    "OrgRole",
    "RoleStartDate",
    "StartOrigin",
    "RoleEndDate",
    "LeaverDestination",
    "ReasonLeave",
    "FTE30",
    "Cases30",
    "WorkingDaysLost",
    "ContractWeeks",
    "FrontlineGrad",
    "Absat30Sept",
    "ReasonAbsence",
    "CFKSSstatus",
)
CSWW_REPEATING: frozenset[str] = frozenset({"QualInst", "ContractWeeks", "Absat30Sept", "ReasonAbsence", "CFKSSstatus"})
# The one LALevelVacancies of a return: FTE vacancies at 30 September, and the agency workers covering them
# (the published indicators' agency_cover_fte: 5,744.2 of 7,173.5 agency FTE in 2023, so not all agency workers).
CSWW_LA_LEVEL_COLUMNS: tuple[str, ...] = ("NumberOfVacancies", "NoAgencyFTE", "NoAgencyHeadcount")

CSWW_AGENCY_WORKER = (Code("0", "Not an agency worker"), Code("1", "Agency worker"))
CSWW_YES_NO = (Code("0", "No"), Code("1", "Yes"))
# Female share of children and family social workers: about 86% (DfE, Children's social work workforce 2023,
# characteristics); not known and not specified are rare.
CSWW_GENDER: tuple[Code, ...] = (Code("0", "Not known", 0.3), Code("1", "Male", 13.5), Code("2", "Female", 85.9), Code("9", "Not specified", 0.3))
# The XSD's ethnicity list: the DfE main codes without WIRT and WROM. Weights: an assumption near the published
# shape (about three in four White, Black African the largest minority group among social workers).
CSWW_ETHNICITY: tuple[Code, ...] = (
    Code("WBRI", "White British", 62),
    Code("WIRI", "White Irish", 1.5),
    Code("WOTH", "Any other White background", 5),
    Code("MWBC", "White and Black Caribbean", 1.5),
    Code("MWBA", "White and Black African", 0.7),
    Code("MWAS", "White and Asian", 0.8),
    Code("MOTH", "Any other Mixed background", 1),
    Code("AIND", "Indian", 2.5),
    Code("APKN", "Pakistani", 2.5),
    Code("ABAN", "Bangladeshi", 0.8),
    Code("AOTH", "Any other Asian background", 1.2),
    Code("BCRB", "Black Caribbean", 3),
    Code("BAFR", "Black African", 10),
    Code("BOTH", "Any other Black background", 1),
    Code("CHNE", "Chinese", 0.3),
    Code("OOTH", "Any other ethnic group", 1.2),
    Code("REFU", "Refused", 2),
    Code("NOBT", "Information not yet obtained", 3),
)
CSWW_QUALIFICATION_LEVEL: tuple[Code, ...] = (Code("1", "Undergraduate", 55), Code("2", "Postgraduate", 40), Code("3", "Other", 5))
# OrgRole. Weights: an assumption near the published shape by role (DfE 2023: about two thirds of social workers
# in post hold cases, case holders and senior practitioners; managers and those qualified without cases the rest).
CSWW_ORG_ROLE: tuple[Code, ...] = (
    Code("1", "Senior manager", 2),
    Code("2", "Middle manager", 5),
    Code("3", "First line manager", 12),
    Code("4", "Senior practitioner", 14),
    Code("5", "Case holder", 55),
    Code("6", "Qualified without cases", 12),
)
CASE_HOLDING_ROLES: tuple[str, ...] = ("4", "5")  # the roles that are allocated children (senior practitioners hold cases too)
CSWW_START_ORIGIN: tuple[Code, ...] = (
    Code("1", "Newly qualified social worker", 26),
    Code("2", "Social worker role in a different local authority in England", 27),
    Code("3", "Social worker role outside England", 3),
    Code("4", "Agency or consultancy in social work (in England)", 14),
    Code("5", "Other social work role non-local authority (in England)", 7),
    Code("6", "Other social care role in local authority/non-local authority (in England)", 6),
    Code("7", "Non-social care role/any role outside England/no employment/career break", 4),
    Code("8", "Other", 3),
    Code("9", "Not known", 10),
    Code("10", "Not yet collected", 0),
)
CSWW_LEAVER_DESTINATION: tuple[Code, ...] = (
    Code("1", "Social worker role in a different local authority in England", 24),
    Code("2", "Social worker role outside England", 2),
    Code("3", "Agency or consultancy in social work (in England)", 14),
    Code("4", "Other social work role non-local authority (in England)", 9),
    Code("5", "Other social care role in local authority/non-local authority (in England)", 6),
    Code("6", "Non-social care role/any role outside England/no employment/career break", 12),
    Code("7", "Other", 5),
    Code("8", "Not known", 28),
    Code("9", "Not yet collected", 0),
)
CSWW_REASON_LEAVE: tuple[Code, ...] = (
    Code("1", "Resignation", 68),
    Code("2", "Voluntary redundancy", 1),
    Code("3", "Compulsory redundancy", 0.5),
    Code("4", "Dismissed", 3),
    Code("5", "Retired", 7),
    Code("6", "Deceased", 0.3),
    Code("7", "Moved to a non-child and family social work role within LA", 4),
    Code("8", "Other", 7),
    Code("9", "Not known", 9.2),
    Code("10", "Not yet collected", 0),
)
REASON_LEAVE_RETIRED, REASON_LEAVE_DECEASED, REASON_LEAVE_RESIGNED = "5", "6", "1"
CSWW_REASON_ABSENCE: tuple[Code, ...] = (
    Code("MAT", "Maternity/paternity leave"),
    Code("OTH", "Other paid authorised absence, such as compassionate leave or annual leave requiring reallocation of cases"),
    Code("PUB", "Paid absence for public duties, such as jury duty"),
    Code("SIC", "Sick leave"),
    Code("TRN", "Training"),
    Code("UNA", "Unauthorised absence"),
    Code("UNP", "Unpaid authorised absence"),
)
CSWW_CFKSS_STATUS: tuple[Code, ...] = (
    Code("1", "Assessed and supported year in employment (ASYE)"),
    Code("2", "Frontline practitioner"),
    Code("3", "Practice supervisor"),
    Code("4", "Practice leader"),
)
# Where social workers qualify (QualInst is free text, mandatory in the XSD): universities in and near the three
# default LAs and the national routes. Weights are an assumption: most qualify near where they work.
QUALIFYING_INSTITUTIONS: tuple[Code, ...] = (
    Code("Manchester Metropolitan University", 6),
    Code("University of Manchester", 4),
    Code("University of Salford", 5),
    Code("University of Central Lancashire", 3),
    Code("University of Reading", 2),
    Code("Oxford Brookes University", 3),
    Code("University of Bedfordshire", 2),
    Code("University of Lincoln", 4),
    Code("University of Nottingham", 2),
    Code("Nottingham Trent University", 3),
    Code("De Montfort University", 2),
    Code("University of Birmingham", 2),
    Code("The Open University", 4),
    Code("Goldsmiths, University of London", 2),
    Code("Royal Holloway, University of London", 2),
)

# --- SSD workforce tables ----------------------------------------------------------------------------------------
# Columns in the order of the SSD DDL (v1.4.3). prof_agency_worker_flag is Y/N (a placeholder in SSD v1).
SSD_PROFESSIONALS_COLUMNS: tuple[str, ...] = (
    "prof_professional_id",
    "prof_staff_id",
    "prof_professional_name",
    "prof_social_worker_registration_no",
    "prof_agency_worker_flag",
    "prof_professional_job_title",
    "prof_professional_caseload",
    "prof_professional_department",
    "prof_full_time_equivalency",
)
SSD_INVOLVEMENTS_COLUMNS: tuple[str, ...] = (
    "invo_involvements_id",
    "invo_professional_id",
    "invo_professional_role_id",
    "invo_professional_team",
    "invo_person_id",
    "invo_involvement_start_date",
    "invo_involvement_end_date",
    "invo_worker_change_reason",
    "invo_referral_id",
)
SSD_AGENCY_FLAG = ("Y", "N")
# invo_worker_change_reason (SSD INVO004A guidance). Weights are for the reassignments that are neither the
# first allocation, a transfer between teams nor a worker leaving: an assumption.
SSD_WORKER_CHANGE_REASON: tuple[Code, ...] = (
    Code("MANAGE", "Managing caseloads", 40),
    Code("FCONTA", "First contact or re-referral", 0),
    Code("LEFTRL", "Previous social worker left role", 0),
    Code("ORGRST", "New social worker assigned following organisational restructure", 8),
    Code("TSPROC", "New social worker assigned following child transfer due to standard process", 0),
    Code("ABSENC", "Absence cover or return from absence", 20),
    Code("CHCHAN", "Child requested change from previous social worker", 6),
    Code("PCCHAN", "Parent/carer requested change from previous social worker", 10),
    Code("SWDIED", "Previous social worker died", 0),
    Code("OTHERS", "Other reason", 16),
)
FIRST_ALLOCATION, TEAM_TRANSFER, WORKER_LEFT, WORKER_DIED = "FCONTA", "TSPROC", "LEFTRL", "SWDIED"
# What the CMS calls an involvement of an allocated social worker (invo_professional_role_id is free text).
ALLOCATED_SOCIAL_WORKER = "Allocated Social Worker"

# The LA's children's social care teams (a Hearth grouping; SSD's ssd_department holds each LA's own): case
# holders work in the first three, a child moving on from assessment as its plan starts or it comes into care.
TEAM_ASSESSMENT, TEAM_LONG_TERM, TEAM_CHILDREN_IN_CARE, TEAM_QUALITY_ASSURANCE, TEAM_MANAGEMENT = "ASSESS", "CINCP", "CIC", "QA", "MGMT"
WORKFORCE_TEAMS: tuple[Code, ...] = (
    Code(TEAM_ASSESSMENT, "Assessment", 35),
    Code(TEAM_LONG_TERM, "Child in Need and Child Protection", 45),
    Code(TEAM_CHILDREN_IN_CARE, "Children in Care", 20),
    Code(TEAM_QUALITY_ASSURANCE, "Safeguarding and Quality Assurance", 0),
    Code(TEAM_MANAGEMENT, "Children's Social Care Management", 0),
)
# prof_professional_job_title of each OrgRole, as a CMS holds it.
JOB_TITLE_OF_ROLE: dict[str, str] = {
    "1": "Head of Service",
    "2": "Service Manager",
    "3": "Team Manager",
    "4": "Senior Practitioner",
    "5": "Social Worker",
    "6": "Independent Reviewing Officer",
}


def workforce_seed_tables() -> dict[str, list[dict[str, str]]]:
    """The dbt seeds of the workforce codes (code_lists.seeds adds them to the others)."""

    def coded(code_list: tuple[Code, ...]) -> list[dict[str, str]]:
        return [{"code": x.code, "label": x.label} for x in code_list]

    return {
        "csww_org_role": [{**row, "holds_cases": str(row["code"] in CASE_HOLDING_ROLES).lower()} for row in coded(CSWW_ORG_ROLE)],
        "csww_start_origin": coded(CSWW_START_ORIGIN),
        "csww_leaver_destination": coded(CSWW_LEAVER_DESTINATION),
        "csww_reason_leave": coded(CSWW_REASON_LEAVE),
        "csww_reason_absence": coded(CSWW_REASON_ABSENCE),
        "ssd_worker_change_reason": coded(SSD_WORKER_CHANGE_REASON),
    }
