"""The SSDA903 return's tables, their columns and the code lists of the tables beyond header and episodes.

Sources, checked against each other:
- DfE, "Children looked after by local authorities in England: technical specification" (2018 to 2019
  collection onward): section 1.2.1 (the CSV files and their columns) and section 5 (code sets).
- liiatools 0.2.0 (PyPI), `liiatools/spec/s903/SSDA903_schema_<year>.yml` for 2019-2024: the same ten tables
  and columns in every collection year 2019-2023; 2024 adds a social worker table (not generated here).
  The only code change in those years: OC3 activity F3/P3 were split into F4/P4 (apprenticeship) and F5/P5
  (other training or employment) from the 2022 collection.
- The DfE 903 validator, csc-validator-be-903 0.1.17 (`lac_validator/config.py`), which identifies each
  uploaded CSV by its exact set of columns; its rules 218 and 222 give the placements that take no URN.
"""

from __future__ import annotations

from . import Code

# File suffix (ssda903_<la>_<year>_<suffix>.csv) -> columns, in the specification's order. The
# validator's names for the tables: Header, Episodes, UASC, Reviews, Missing, OC2, OC3, AD1,
# PlacedAdoption, PrevPerm.
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "header": ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"),
    "episodes": (
        "CHILD",
        "DECOM",
        "RNE",
        "LS",
        "CIN",
        "PLACE",
        "PLACE_PROVIDER",
        "DEC",
        "REC",
        "REASON_PLACE_CHANGE",
        "HOME_POST",
        "PL_POST",
        "URN",
    ),
    "uasc": ("CHILD", "SEX", "DOB", "DUC"),
    "reviews": ("CHILD", "DOB", "REVIEW", "REVIEW_CODE"),
    "missing": ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"),
    "oc2": (
        "CHILD",
        "DOB",
        "SDQ_SCORE",
        "SDQ_REASON",
        "CONVICTED",
        "HEALTH_CHECK",
        "IMMUNISATIONS",
        "TEETH_CHECK",
        "HEALTH_ASSESSMENT",
        "SUBSTANCE_MISUSE",
        "INTERVENTION_RECEIVED",
        "INTERVENTION_OFFERED",
    ),
    "oc3": ("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"),
    "ad1": ("CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"),
    "placed_for_adoption": ("CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"),
    "previous_permanence": ("CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"),
}

# Placements that record no Ofsted URN (validator rules 218 and 222); every other placement records the
# provider's URN, or URN_NOT_KNOWN.
PLACEMENTS_WITHOUT_URN = ("H5", "P1", "P2", "P3", "R1", "R2", "R5", "T0", "T1", "T2", "T3", "T4", "Z1")
URN_NOT_KNOWN = "XXXXXXX"
ADOPTION_PLACEMENTS = ("A3", "A4", "A5", "A6")
ADOPTION_LEGAL_STATUSES = ("D1", "E1")
ADOPTED = ("E11", "E12")

# Why a child in the header has no UPN; the header's UPN field holds the code instead (validator rule 168
# accepts UN1-UN5 there, rule 442 wants the field completed). Labels: the DfE common basic data set.
UPN_UNKNOWN: tuple[Code, ...] = (
    Code("UN1", "Child is aged under 6 years old and is not yet assigned a UPN"),
    Code("UN2", "Child has never attended a maintained school in England and has not been assigned a UPN"),
    Code("UN3", "Child is educated outside England and has not been assigned a UPN"),
    Code("UN4", "Child is newly looked after (in the last week of the collection year) and the UPN is not yet known"),
    Code("UN5", "Sources collating UPNs reflect discrepancies for the child's name or date of birth, preventing reliable matching"),
)

REVIEW_PARTICIPATION: tuple[Code, ...] = (
    Code("PN0", "Child aged under 4 at the time of the review", 0),
    Code("PN1", "Child physically attends and speaks for themselves", 45),
    Code("PN2", "Child physically attends and an advocate speaks on their behalf", 5),
    Code("PN3", "Child attends and conveys their view symbolically (non-verbally)", 3),
    Code("PN4", "Child physically attends but does not speak, convey their view or ask an advocate", 4),
    Code("PN5", "Child does not attend physically but briefs an advocate to speak for them", 8),
    Code("PN6", "Child does not attend but conveys their feelings by a facilitative medium", 20),
    Code("PN7", "Child does not attend nor are their views conveyed to the review", 15),
)

MISSING_TYPE: tuple[Code, ...] = (
    Code("M", "Missing from placement", 65),
    Code("A", "Away from placement without authorisation", 35),
)

SDQ_REASON: tuple[Code, ...] = (
    Code("SDQ1", "No form returned as child was aged under 4 or over 17 at the date of the latest assessment", 0),
    Code("SDQ2", "Carer(s) refused to complete and return the questionnaire", 3),
    Code("SDQ3", "Not possible to complete the questionnaire due to the severity of the child's disability", 3),
    Code("SDQ4", "Other", 5),
    Code("SDQ5", "Child or young person refuses to allow an SDQ to be completed", 4),
)

IN_TOUCH: tuple[Code, ...] = (
    Code("YES", "Yes", 88),
    Code("NO", "No", 6),
    Code("DIED", "Young person has died", 0),
    Code("REFU", "Young person refuses contact", 6),
    Code("NREQ", "LA no longer required to be in touch", 0),
    Code("RHOM", "Young person has returned home to parents for six months or more", 0),
)

_ACTIVITY_COMMON = (
    Code("F1", "Full-time in higher education", 6),
    Code("P1", "Part-time in higher education", 1),
    Code("F2", "Full-time in education other than higher education", 25),
    Code("P2", "Part-time in education other than higher education", 3),
)
_ACTIVITY_NEET = (
    Code("G4", "Not in education, training or employment, owing to illness or disability", 6),
    Code("G5", "Not in education, training or employment, owing to other reasons", 22),
    Code("G6", "Not in education, training or employment, owing to pregnancy or parenting", 4),
    Code("0", "Information not known (not in touch)", 0),
)
OC3_ACTIVITY_TO_2021: tuple[Code, ...] = (
    *_ACTIVITY_COMMON,
    Code("F3", "Full-time in training or employment", 20),
    Code("P3", "Part-time in training or employment", 6),
    *_ACTIVITY_NEET,
)
OC3_ACTIVITY_FROM_2022: tuple[Code, ...] = (
    *_ACTIVITY_COMMON,
    Code("F4", "Full-time in an apprenticeship", 4),
    Code("P4", "Part-time in an apprenticeship", 1),
    Code("F5", "Full-time in training or employment (not an apprenticeship)", 16),
    Code("P5", "Part-time in training or employment (not an apprenticeship)", 5),
    *_ACTIVITY_NEET,
)


def oc3_activity(year: int) -> tuple[Code, ...]:
    """OC3 activity codes of a collection year (the year ending 31 March)."""
    return OC3_ACTIVITY_FROM_2022 if year >= 2022 else OC3_ACTIVITY_TO_2021


_ACCOMMODATION_KINDS = (
    ("B", "With parents or relatives", 12),
    ("C", "Community home or other form of residential care", 3),
    ("D", "Semi-independent, transitional accommodation", 18),
    ("E", "Supported lodgings", 8),
    ("G", "Gone abroad", 0.5),
    ("H", "Deported", 0.2),
    ("K", "Ordinary lodgings, without formal support", 2),
    ("R", "Residence not known", 1),
    ("S", "No fixed abode or homeless", 1),
    ("T", "Foyers and similar supported accommodation", 2),
    ("U", "Independent living", 30),
    ("V", "Emergency accommodation", 1),
    ("W", "Bed and breakfast", 0.5),
    ("X", "In custody", 2),
    ("Y", "Other accommodation", 2),
    ("Z", "With former foster carers", 12),
)
# Accommodation that is never considered suitable: validator rule 133 accepts only S2 and X2.
_ALWAYS_UNSUITABLE = ("S", "X")
# The letter says where; 1 = the accommodation is considered suitable, 2 = unsuitable.
OC3_ACCOMMODATION: tuple[Code, ...] = (
    *(
        Code(f"{letter}{suitable}", f"{label}: {'suitable' if suitable == 1 else 'not suitable'}", weight * (0.9 if suitable == 1 else 0.1))
        for letter, label, weight in _ACCOMMODATION_KINDS
        for suitable in ((2,) if letter in _ALWAYS_UNSUITABLE else (1, 2))
    ),
    Code("0", "Information not known (not in touch)", 0),
)
# A care leaver in the year of their 17th birthday is not "staying put" with former foster carers:
# that arrangement starts at 18, and a 17-year-old still with foster carers is looked after (rule 3001).
OC3_ACCOMMODATION_AT_17: tuple[Code, ...] = tuple(c for c in OC3_ACCOMMODATION if not c.code.startswith("Z"))

ADOPTER_SEX: tuple[Code, ...] = (
    Code("M1", "Single male adopter"),
    Code("F1", "Single female adopter"),
    Code("MM", "Couple, both male"),
    Code("FF", "Couple, both female"),
    Code("MF", "Couple, male and female"),
)

# Rules 514 and 517-524 of the validator tie each legal status to the adopters' sexes.
ADOPTER_LEGAL_STATUS: tuple[Code, ...] = (
    Code("L0", "Single adopter"),
    Code("L11", "Married couple of different sexes"),
    Code("L12", "Married couple of the same sex"),
    Code("L2", "Civil partnership couple"),
    Code("L3", "Unmarried couple of different sexes"),
    Code("L4", "Unmarried couple of the same sex"),
)

REASON_PLACED_CEASED: tuple[Code, ...] = (
    Code("RD1", "The child's needs changed after the decision", 30),
    Code("RD2", "The court did not make a placement order", 20),
    Code("RD3", "Prospective adopters could not be found", 30),
    Code("RD4", "Any other reason", 20),
)

PREVIOUS_PERMANENCE: tuple[Code, ...] = (
    Code("P1", "Adoption", 2),
    Code("P2", "Special guardianship order", 3),
    Code("P3", "Residence order (before 22 April 2014)", 0.5),
    Code("P4", "Child arrangements order", 2),
    Code("Z1", "No previous permanence option, or not known", 92.5),
)
