"""pandera schemas for every raw table: the real rules of each source, applied before loading.

Columns are text as received, plus the columns the loader adds so that many files validate in
one pass: the file, the return, the collection year and the end of the row's collection period
(nothing may be dated after it). Some rules need companion tables of the same return (903
episodes must belong to a child in the header; a CIN referral cannot precede the child's birth).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandera.polars as pa
import polars as pl

import code_lists as codes
from code_lists import ssda903 as s903

from . import raw_checks as rc

ISO, DMY, COMPACT, DMONY = "%Y-%m-%d", "%d/%m/%Y", "%Y%m%d", "%d-%b-%Y"


# Columns the loader adds so that many files validate together in one pass.
FILE_COLUMN = "_file"  # duplicates and keys are judged within one file
RETURN_COLUMN = "_return"  # cross-table rules are judged within one return (e.g. one LA's 903 pair)
PERIOD_END_COLUMN = "_period_end"  # the end of the row's collection period: nothing may be dated after it
YEAR_COLUMN = "_year"  # the row's collection year: which columns its file had to carry


@dataclass(frozen=True)
class ValidationContext:
    companions: dict[str, pl.DataFrame] = field(default_factory=dict)  # every table of the partition, with RETURN_COLUMN


@dataclass(frozen=True)
class Col:
    """A declared column. A file must carry it in the collection years `since`..`until` (either
    end open when None) unless it is `optional`; `required` means its values may not be blank
    wherever the file must carry it. A column a file leaves out reads as blank."""

    checks: tuple[pa.Check, ...] = ()
    required: bool = False
    since: int | None = None
    until: int | None = None
    optional: bool = False

    def __post_init__(self) -> None:
        if self.optional and self.required:
            raise ValueError("a column a file may leave out cannot require values")

    def expected_in(self, year: int) -> bool:
        """Whether a file of collection `year` must carry this column."""
        return not self.optional and (self.since is None or year >= self.since) and (self.until is None or year <= self.until)

    @property
    def in_every_year(self) -> bool:
        return not self.optional and self.since is None and self.until is None

    @property
    def years(self) -> str:
        """The collection years a file must carry the column, in words."""
        if self.since and self.until:
            return f"collection years {self.since}-{self.until}"
        return f"collection year {self.since} or later" if self.since else f"collection year {self.until} or earlier"


def col(*checks: pa.Check, required: bool = False, since: int | None = None, until: int | None = None, optional: bool = False) -> Col:
    return Col(tuple(checks), required, since, until, optional)


@dataclass(frozen=True)
class TableRules:
    description: str
    columns: dict[str, Col]
    frame_checks: Callable[[ValidationContext], list[pa.Check]] = lambda ctx: []
    key: tuple[str, ...] = ()
    positional: tuple[str, ...] = ()  # numbering added when flattening; a repeated record differs only there

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(self.columns)

    def expected_columns(self, year: int) -> tuple[str, ...]:
        """The columns a file of collection `year` must carry; without one it is refused whole."""
        return tuple(name for name, c in self.columns.items() if c.expected_in(year))

    def schema(self, ctx: ValidationContext) -> pa.DataFrameSchema:
        checks = [rc.no_duplicate_rows(tuple(c for c in self.column_names if c not in self.positional), FILE_COLUMN)]
        if self.key:
            checks.append(rc.unique_key(self.key, FILE_COLUMN))
        # A column required only in some years may be blank in the others.
        checks += [
            rc.required_when(name, pl.col(YEAR_COLUMN).is_between(c.since or 0, c.until or 9999), c.years)
            for name, c in self.columns.items()
            if c.required and not c.in_every_year
        ]
        return pa.DataFrameSchema(
            {name: pa.Column(pl.Utf8, checks=list(c.checks), nullable=not (c.required and c.in_every_year)) for name, c in self.columns.items()},
            checks=checks + self.frame_checks(ctx),
            strict=False,
            name=self.description,
        )


def _codes(code_list) -> tuple[str, ...]:
    return codes.codes_of(code_list)


def _dob(fmt: str) -> Col:
    return col(rc.date_format(fmt), required=True)


def _future(column: str, fmt: str) -> Callable[[ValidationContext], list[pa.Check]]:
    return lambda ctx: [rc.not_after_period_end(column, fmt, PERIOD_END_COLUMN)]


def _with(*makers: Callable[[ValidationContext], list[pa.Check]]) -> Callable[[ValidationContext], list[pa.Check]]:
    return lambda ctx: [check for make in makers for check in make(ctx)]


DFE_ETHNICITY = _codes(codes.DFE_ETHNICITY)
POSTCODE = col(rc.matches(rc.UK_POSTCODE, "postcode_format"))
UPN = col(rc.upn_check_letter())
OC2_FLAG = rc.code_list(("0", "1"), "SSDA903 OC2 flag")

# The key of every school census file beside the pupil-on-roll file: its pupil's row there, and the UPN as sent.
_SCHOOL_CENSUS_PUPIL_KEY = {
    "LA": col(rc.matches(r"^[0-9]{3}$", "la_code_format"), required=True),
    "Estab": col(rc.matches(r"^[0-9]{4}$", "estab_format"), required=True),
    "PupilMatchingRef": col(required=True),
    "UPN": UPN,
}


# Either list, as the DfE revised the reasons from 2020/21 (code_lists).
EXCLUSION_REASONS = tuple(dict.fromkeys(_codes(codes.SCHOOL_CENSUS_EXCLUSION_REASON_UNTIL_2020) + _codes(codes.SCHOOL_CENSUS_EXCLUSION_REASON_FROM_2020)))


def _sessions(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.Int64, strict=False)


def _sessions_rule(ok: pl.Expr, columns: tuple[str, ...], name: str, message: str) -> pa.Check:
    """A rule between counts of sessions; a count that is not a number is left to its own column's rule."""
    return rc.rule(lambda d: d.lazyframe.select(ok.fill_null(True).alias("ok")), name, message, columns)


def _pupil_on_roll(ctx: ValidationContext) -> pa.Check:
    """Attendance, exclusion and SEN rows belong to a pupil of the pupil-on-roll file of the same return."""
    return rc.exists_in("PupilMatchingRef", RETURN_COLUMN, _companion(ctx, "school_census"), "school_census.PupilMatchingRef")


RAW_TABLES: dict[str, TableRules] = {
    "gazetteer": TableRules(
        "AddressBase-style gazetteer",
        {
            "UPRN": col(rc.matches(r"^[1-9][0-9]{0,11}$", "uprn_format"), required=True),
            "PARENT_UPRN": col(rc.matches(r"^[1-9][0-9]{0,11}$", "uprn_format")),
            "CLASSIFICATION_CODE": col(rc.code_list(_codes(codes.ADDRESSBASE_CLASS), "AddressBase classification"), required=True),
            "SAO_TEXT": col(),
            "PAO_START_NUMBER": col(rc.integer_between(1, 99_999)),
            "PAO_TEXT": col(),
            "STREET_DESCRIPTION": col(required=True),
            "LOCALITY": col(),
            "TOWN_NAME": col(required=True),
            "POSTCODE_LOCATOR": col(rc.matches(rc.UK_POSTCODE, "postcode_format"), required=True),
            "LOCAL_CUSTODIAN_CODE": col(rc.matches(r"^[0-9]{3,4}$", "la_code_format"), required=True),
            "LSOA21CD": col(rc.matches(r"^[EW]01[0-9]{6}$", "lsoa_code_format"), required=True),
            "IMD_DECILE": col(rc.integer_between(1, 10), required=True),
        },
        key=("UPRN",),
    ),
    "census_2021_households": TableRules(
        "Census 2021 household records",
        {
            "CENSUS_HH_ID": col(required=True),
            "ADDRESS_LINE_1": col(required=True),
            "ADDRESS_LINE_2": col(),
            "TOWN": col(required=True),
            "POSTCODE": POSTCODE,
            "ACCOMMODATION_TYPE": col(rc.code_list(("1", "2", "3", "4", "5"), "Census accommodation type"), required=True),
            "TENURE": col(rc.code_list(_codes(codes.CENSUS_TENURE), "Census tenure"), required=True),
            "NUMBER_OF_RESIDENTS": col(rc.integer_between(1, 30), required=True),
            **{
                d: col(rc.code_list(("0", "1"), "deprivation flag"), required=True)
                for d in ("DEP_EMPLOYMENT", "DEP_EDUCATION", "DEP_HEALTH_DISABILITY", "DEP_HOUSING")
            },
        },
        key=("CENSUS_HH_ID",),
    ),
    "census_2021_persons": TableRules(
        "Census 2021 person records",
        {
            "CENSUS_HH_ID": col(required=True),
            "PERSON_NUMBER": col(rc.integer_between(1, 30), required=True),
            "FORENAME": col(required=True),
            "SURNAME": col(required=True),
            "DATE_OF_BIRTH": _dob(ISO),
            "SEX": col(rc.code_list(codes.CENSUS_SEX, "Census sex"), required=True),
            "ETHNIC_GROUP": col(rc.code_list(_codes(codes.CENSUS_ETHNIC_GROUP_19), "Census 2021 ethnic group (19)"), required=True),
            "RELATIONSHIP_TO_PERSON_1": col(rc.code_list(_codes(codes.CENSUS_RELATIONSHIP), "Census relationship"), required=True),
        },
        frame_checks=_future("DATE_OF_BIRTH", ISO),
        key=("CENSUS_HH_ID", "PERSON_NUMBER"),
    ),
    "school_census": TableRules(
        "School census: pupil on roll (termly, NPD names)",
        {
            "LA": col(rc.matches(r"^[0-9]{3}$", "la_code_format"), required=True),
            "Estab": col(rc.matches(r"^[0-9]{4}$", "estab_format"), required=True),
            "PupilMatchingRef": col(rc.integer_between(1, 10_000_000), required=True),
            "UPN": UPN,
            "Surname": col(required=True),
            "Forename": col(required=True),
            "DOB": _dob(DMY),
            "Gender": col(rc.code_list(codes.SCHOOL_CENSUS_SEX, "school census gender"), required=True),
            "EthnicGroupMinor": col(rc.code_list(DFE_ETHNICITY + tuple(codes.DFE_ETHNICITY_EXTENDED), "DfE ethnicity"), required=True),
            "NCyearActual": col(rc.code_list(("R", *(str(i) for i in range(1, 12))), "national curriculum year"), required=True),
            "FSMeligible": col(rc.code_list(("0", "1"), "FSM flag"), required=True),
            "EnrolStatus": col(rc.code_list(_codes(codes.SCHOOL_CENSUS_ENROL_STATUS), "enrolment status"), required=True),
            "SAON": col(),
            "PAON": col(),
            "STREET": col(),
            "LOCALITY": col(),
            "TOWN": col(),
            "POSTCODE": POSTCODE,
        },
        frame_checks=_future("DOB", DMY),
        key=("UPN",),
        positional=("PupilMatchingRef",),
    ),
    "school_census_attendance": TableRules(
        "School census: attendance of each pupil on roll in the term",
        {
            **_SCHOOL_CENSUS_PUPIL_KEY,
            "SessionsPossible": col(rc.integer_between(1, 200), required=True),
            "AuthorisedAbsence": col(rc.integer_between(0, 200), required=True),
            "UnauthorisedAbsence": col(rc.integer_between(0, 200), required=True),
            "OverallAbsence": col(rc.integer_between(0, 200), required=True),
        },
        frame_checks=lambda ctx: [
            _pupil_on_roll(ctx),
            _sessions_rule(
                _sessions("OverallAbsence") <= _sessions("SessionsPossible"),
                ("OverallAbsence", "SessionsPossible"),
                "overall_absence<=sessions_possible",
                "more sessions missed than possible",
            ),
            _sessions_rule(
                _sessions("OverallAbsence") == _sessions("AuthorisedAbsence") + _sessions("UnauthorisedAbsence"),
                ("OverallAbsence", "AuthorisedAbsence", "UnauthorisedAbsence"),
                "overall_absence=authorised+unauthorised",
                "overall absence is not authorised plus unauthorised absence",
            ),
        ],
        key=("PupilMatchingRef",),
    ),
    "school_census_exclusions": TableRules(
        "School census: exclusions of pupils on roll, one row per exclusion",
        {
            **_SCHOOL_CENSUS_PUPIL_KEY,
            "Category": col(rc.code_list(_codes(codes.SCHOOL_CENSUS_EXCLUSION_CATEGORY), "exclusion category"), required=True),
            "StartDate": col(rc.date_format(DMY), required=True),
            "Sessions": col(rc.integer_between(1, 90)),
            "Reason": col(rc.code_list(EXCLUSION_REASONS, "exclusion reason"), required=True),
        },
        # A suspension or lunchtime exclusion has a length; a permanent exclusion has none.
        frame_checks=lambda ctx: [
            _pupil_on_roll(ctx),
            rc.not_after_period_end("StartDate", DMY, PERIOD_END_COLUMN),
            rc.required_when("Sessions", pl.col("Category").is_in(["FIXD", "LNCH"]), "the exclusion is a suspension or lunchtime exclusion"),
        ],
    ),
    "school_census_sen": TableRules(
        "School census: SEN provision and type of need of each pupil on roll",
        {
            **_SCHOOL_CENSUS_PUPIL_KEY,
            "SENprovision": col(rc.code_list(_codes(codes.SEN_PROVISION), "SEN provision"), required=True),
            "PrimarySENtype": col(rc.code_list(_codes(codes.SEN_PRIMARY_NEED), "SEN primary need")),
            "SecondarySENtype": col(rc.code_list(_codes(codes.SEN_PRIMARY_NEED), "SEN secondary need")),
        },
        frame_checks=lambda ctx: [
            _pupil_on_roll(ctx),
            rc.required_when("PrimarySENtype", pl.col("SENprovision").is_in(["K", "E"]), "SEN provision is K or E"),
        ],
        key=("PupilMatchingRef",),
    ),
    "cin_children": TableRules(
        "CIN census: children",
        {
            "LAchildID": col(required=True),
            "UPN": UPN,
            "UPNunknown": col(rc.code_list(tuple(f"UN{i}" for i in range(1, 8)), "CIN UPNunknown")),
            "PersonBirthDate": _dob(ISO),
            "GenderCurrent": col(rc.code_list(codes.CIN_GENDER_VALID, "CIN GenderCurrent"), required=True),
            "Ethnicity": col(rc.code_list(DFE_ETHNICITY, "DfE ethnicity"), required=True),
        },
        frame_checks=_future("PersonBirthDate", ISO),
        key=("LAchildID",),
    ),
    "cin_episodes": TableRules(
        "CIN census: CINdetails (one per referral)",
        {
            "LAchildID": col(required=True),
            "CINdetailsNumber": col(required=True),
            "CINreferralDate": col(rc.date_format(ISO), required=True),
            "ReferralSource": col(rc.code_list(_codes(codes.CIN_REFERRAL_SOURCE), "CIN referral source"), required=True),
            "PrimaryNeedCode": col(rc.code_list(_codes(codes.CIN_PRIMARY_NEED), "CIN primary need"), required=True),
            "CINclosureDate": col(rc.date_format(ISO)),
            "ReasonForClosure": col(rc.code_list(_codes(codes.CIN_REASON_FOR_CLOSURE), "CIN reason for closure")),
            "ReferralNFA": col(rc.code_list(("0", "1", "true", "false"), "CIN referral NFA flag"), required=True),
        },
        frame_checks=lambda ctx: [
            rc.date_order("CINclosureDate", ISO, "CINreferralDate", ISO),
            rc.required_when("ReasonForClosure", pl.col("CINclosureDate").is_not_null(), "the case is closed"),
            rc.not_after_period_end("CINreferralDate", ISO, PERIOD_END_COLUMN),
            rc.after_looked_up_date(
                "CINreferralDate", ISO, RETURN_COLUMN, "LAchildID", _companion(ctx, "cin_children"), "PersonBirthDate", ISO, "referral_after_birth"
            ),
        ],
        positional=("CINdetailsNumber",),
    ),
    "cin_assessments": TableRules(
        "CIN census: assessments and the factors identified",
        {
            "LAchildID": col(required=True),
            "CINdetailsNumber": col(required=True),
            "AssessmentActualStartDate": col(rc.date_format(ISO), required=True),
            "AssessmentAuthorisationDate": col(rc.date_format(ISO)),
            "AssessmentFactors": col(rc.code_list_items(_codes(codes.ASSESSMENT_FACTORS), "CIN assessment factors")),
        },
        frame_checks=lambda ctx: [rc.date_order("AssessmentAuthorisationDate", ISO, "AssessmentActualStartDate", ISO)],
        positional=("CINdetailsNumber",),
    ),
    "cin_plans": TableRules(
        "CIN census: child in need plans",
        {
            "LAchildID": col(required=True),
            "CINdetailsNumber": col(required=True),
            "CINPlanStartDate": col(rc.date_format(ISO), required=True),
            "CINPlanEndDate": col(rc.date_format(ISO)),
        },
        frame_checks=lambda ctx: [rc.date_order("CINPlanEndDate", ISO, "CINPlanStartDate", ISO)],
        positional=("CINdetailsNumber",),
    ),
    "cin_section47": TableRules(
        "CIN census: section 47 enquiries",
        {
            "LAchildID": col(required=True),
            "CINdetailsNumber": col(required=True),
            "S47ActualStartDate": col(rc.date_format(ISO), required=True),
            "DateOfInitialCPC": col(rc.date_format(ISO)),
            "ICPCnotRequired": col(rc.code_list(("true", "false", "0", "1"), "ICPC not required flag")),
        },
        frame_checks=lambda ctx: [rc.date_order("DateOfInitialCPC", ISO, "S47ActualStartDate", ISO)],
        positional=("CINdetailsNumber",),
    ),
    "cin_protection_plans": TableRules(
        "CIN census: child protection plans",
        {
            "LAchildID": col(required=True),
            "CINdetailsNumber": col(required=True),
            "CPPstartDate": col(rc.date_format(ISO), required=True),
            "CPPendDate": col(rc.date_format(ISO)),
            "InitialCategoryOfAbuse": col(rc.code_list(_codes(codes.CATEGORY_OF_ABUSE), "category of abuse"), required=True),
            "LatestCategoryOfAbuse": col(rc.code_list(_codes(codes.CATEGORY_OF_ABUSE), "category of abuse")),
            "NumberOfPreviousCPP": col(rc.integer_between(0, 50)),
            "CPPreviewDates": col(rc.dates_in_list(ISO)),
        },
        frame_checks=lambda ctx: [rc.date_order("CPPendDate", ISO, "CPPstartDate", ISO)],
        positional=("CINdetailsNumber",),
    ),
    "ssda903_header": TableRules(
        "SSDA903 header: one row per child of the return (looked after in the year, or a care leaver in OC3)",
        {
            "CHILD": col(required=True),
            "SEX": col(rc.code_list(codes.SSDA903_SEX, "SSDA903 sex"), required=True),
            "DOB": _dob(DMY),
            "ETHNIC": col(rc.code_list(DFE_ETHNICITY, "DfE ethnicity"), required=True),
            "UPN": col(rc.upn_or_unknown_reason(_codes(s903.UPN_UNKNOWN), "SSDA903 unknown UPN")),
            "MOTHER": col(rc.code_list(("0", "1"), "SSDA903 MOTHER flag")),
            "MC_DOB": col(rc.date_format(DMY)),
        },
        frame_checks=_with(
            _future("DOB", DMY),
            lambda ctx: [
                rc.allowed_only_when("MOTHER", pl.col("SEX") == "2", "the child is female"),
                rc.required_when("MC_DOB", pl.col("MOTHER") == "1", "MOTHER is 1"),
                rc.date_order("MC_DOB", DMY, "DOB", DMY),
            ],
        ),
        key=("CHILD",),
    ),
    "ssda903_episodes": TableRules(
        "SSDA903 episodes of care",
        {
            "CHILD": col(required=True),
            "DECOM": col(rc.date_format(DMY), required=True),
            "RNE": col(rc.code_list(_codes(codes.REASON_NEW_EPISODE), "SSDA903 reason for new episode"), required=True),
            "LS": col(rc.code_list(_codes(codes.LEGAL_STATUS), "SSDA903 legal status"), required=True),
            "CIN": col(rc.code_list(tuple(f"N{i}" for i in range(1, 9)), "SSDA903 category of need"), required=True),
            "PLACE": col(rc.code_list(_codes(codes.PLACEMENT_TYPE), "SSDA903 placement type"), required=True),
            "PLACE_PROVIDER": col(rc.code_list(_codes(codes.PLACEMENT_PROVIDER), "SSDA903 placement provider"), required=True),
            "DEC": col(rc.date_format(DMY)),
            "REC": col(rc.code_list(_codes(codes.REASON_EPISODE_CEASED), "SSDA903 reason episode ceased")),
            "REASON_PLACE_CHANGE": col(rc.code_list(_codes(codes.REASON_PLACE_CHANGE), "SSDA903 reason for placement change")),
            "HOME_POST": POSTCODE,
            "PL_POST": POSTCODE,
            "URN": col(rc.matches(r"^(SC[0-9]{6}|[0-9]{6,7}|XXXXXXX)$", "ofsted_urn_format")),
        },
        frame_checks=lambda ctx: [
            rc.date_order("DEC", DMY, "DECOM", DMY),
            rc.required_when("REC", pl.col("DEC").is_not_null(), "the episode has ended"),
            rc.not_after_period_end("DECOM", DMY, PERIOD_END_COLUMN),
            _in_header(ctx),
            rc.required_when("URN", ~pl.col("PLACE").is_in(s903.PLACEMENTS_WITHOUT_URN), "the placement is one Ofsted registers"),
            rc.allowed_only_when("URN", ~pl.col("PLACE").is_in(s903.PLACEMENTS_WITHOUT_URN), "a placement Ofsted registers"),
        ],
        key=("CHILD", "DECOM"),
    ),
    "ssd_person": TableRules(
        "LA case management (Standard Safeguarding Dataset ssd_person): the child's identity",
        {
            "pers_person_id": col(required=True),
            "pers_upn": UPN,
            "pers_forename": col(),
            "pers_surname": col(),
            "pers_sex": col(rc.code_list(("F", "M", "U", "I"), "SSD pers_sex")),
            "pers_ethnicity": col(),
            "pers_dob": col(rc.date_format(ISO)),
        },
        frame_checks=_future("pers_dob", ISO),
        key=("pers_person_id",),
    ),
    "ssd_address": TableRules(
        "LA case management (Standard Safeguarding Dataset ssd_address): the child's addresses",
        {
            "addr_table_id": col(required=True),
            "addr_person_id": col(required=True),
            "addr_address_type": col(),
            "addr_address_start_date": col(rc.date_format(ISO)),
            "addr_address_end_date": col(rc.date_format(ISO)),
            "addr_address_postcode": POSTCODE,
            "addr_address_json": col(required=True),
        },
        frame_checks=lambda ctx: [
            rc.date_order("addr_address_end_date", ISO, "addr_address_start_date", ISO),
            rc.exists_in(
                "addr_person_id", RETURN_COLUMN, _companion(ctx, "ssd_person").rename({"pers_person_id": "addr_person_id"}), "ssd_person.pers_person_id"
            ),
        ],
        key=("addr_table_id",),
    ),
    "ssda903_uasc": TableRules(
        "SSDA903 unaccompanied asylum-seeking children",
        {
            "CHILD": col(required=True),
            "SEX": col(rc.code_list(codes.SSDA903_SEX, "SSDA903 sex"), required=True),
            "DOB": _dob(DMY),
            "DUC": col(rc.date_format(DMY)),
        },
        frame_checks=lambda ctx: [_in_header(ctx), rc.date_order("DUC", DMY, "DOB", DMY)],
        key=("CHILD",),
    ),
    "ssda903_reviews": TableRules(
        "SSDA903 reviews of looked-after children, with how the child took part",
        {
            "CHILD": col(required=True),
            "DOB": _dob(DMY),
            "REVIEW": col(rc.date_format(DMY), required=True),
            "REVIEW_CODE": col(rc.code_list(_codes(s903.REVIEW_PARTICIPATION), "SSDA903 review participation"), required=True),
        },
        frame_checks=lambda ctx: [_in_header(ctx), rc.date_order("REVIEW", DMY, "DOB", DMY), rc.not_after_period_end("REVIEW", DMY, PERIOD_END_COLUMN)],
        key=("CHILD", "REVIEW"),
    ),
    "ssda903_missing": TableRules(
        "SSDA903 episodes of being missing or away from placement without authorisation",
        {
            "CHILD": col(required=True),
            "DOB": _dob(DMY),
            "MISSING": col(rc.code_list(_codes(s903.MISSING_TYPE), "SSDA903 missing type"), required=True),
            "MIS_START": col(rc.date_format(DMY), required=True),
            "MIS_END": col(rc.date_format(DMY)),
        },
        frame_checks=lambda ctx: [
            _in_header(ctx),
            rc.date_order("MIS_END", DMY, "MIS_START", DMY),
            rc.not_after_period_end("MIS_START", DMY, PERIOD_END_COLUMN),
        ],
        key=("CHILD", "MIS_START"),
    ),
    "ssda903_oc2": TableRules(
        "SSDA903 OC2: outcomes of children looked after continuously for 12 months at 31 March",
        {
            "CHILD": col(required=True),
            "DOB": _dob(DMY),
            "SDQ_SCORE": col(rc.integer_between(0, 40)),
            "SDQ_REASON": col(rc.code_list(_codes(s903.SDQ_REASON), "SSDA903 reason for no SDQ score")),
            "CONVICTED": col(OC2_FLAG),
            "HEALTH_CHECK": col(OC2_FLAG),
            "IMMUNISATIONS": col(OC2_FLAG, required=True),
            "TEETH_CHECK": col(OC2_FLAG, required=True),
            "HEALTH_ASSESSMENT": col(OC2_FLAG, required=True),
            "SUBSTANCE_MISUSE": col(OC2_FLAG, required=True),
            "INTERVENTION_RECEIVED": col(OC2_FLAG),
            "INTERVENTION_OFFERED": col(OC2_FLAG),
        },
        frame_checks=lambda ctx: [
            _in_header(ctx),
            rc.allowed_only_when("SDQ_REASON", pl.col("SDQ_SCORE").is_null(), "the SDQ score is blank"),
            rc.allowed_only_when("INTERVENTION_RECEIVED", pl.col("SUBSTANCE_MISUSE") == "1", "a substance misuse problem was identified"),
        ],
        key=("CHILD",),
    ),
    "ssda903_oc3": TableRules(
        "SSDA903 OC3: care leavers in the year of their 17th to 21st birthday",
        {
            "CHILD": col(required=True),
            "DOB": _dob(DMY),
            "IN_TOUCH": col(rc.code_list(_codes(s903.IN_TOUCH), "SSDA903 in touch"), required=True),
            # Activity codes of every year 2019-2023: F3/P3 until 2021, F4/P4/F5/P5 from 2022.
            "ACTIV": col(rc.code_list(_codes(s903.OC3_ACTIVITY_TO_2021) + _codes(s903.OC3_ACTIVITY_FROM_2022), "SSDA903 care leaver activity"), required=True),
            "ACCOM": col(rc.code_list(_codes(s903.OC3_ACCOMMODATION), "SSDA903 care leaver accommodation"), required=True),
        },
        frame_checks=lambda ctx: [_in_header(ctx)],
        key=("CHILD",),
    ),
    "ssda903_ad1": TableRules(
        "SSDA903 AD1: children adopted in the year",
        {
            "CHILD": col(required=True),
            "DOB": _dob(DMY),
            "DATE_INT": col(rc.date_format(DMY), required=True),
            "DATE_MATCH": col(rc.date_format(DMY), required=True),
            "FOSTER_CARE": col(rc.code_list(("0", "1"), "SSDA903 adopted by foster carer flag"), required=True),
            "NB_ADOPTR": col(rc.code_list(("1", "2"), "SSDA903 number of adopters"), required=True),
            "SEX_ADOPTR": col(rc.code_list(_codes(s903.ADOPTER_SEX), "SSDA903 sex of adopters"), required=True),
            "LS_ADOPTR": col(rc.code_list(_codes(s903.ADOPTER_LEGAL_STATUS), "SSDA903 legal status of adopters"), required=True),
        },
        frame_checks=lambda ctx: [_in_header(ctx), rc.date_order("DATE_MATCH", DMY, "DATE_INT", DMY)],
        key=("CHILD",),
    ),
    "ssda903_placed_for_adoption": TableRules(
        "SSDA903 decisions that a child should be placed for adoption",
        {
            "CHILD": col(required=True),
            "DOB": _dob(DMY),
            "DATE_PLACED": col(rc.date_format(DMY), required=True),
            "DATE_PLACED_CEASED": col(rc.date_format(DMY)),
            "REASON_PLACED_CEASED": col(rc.code_list(_codes(s903.REASON_PLACED_CEASED), "SSDA903 reason no longer placed for adoption")),
        },
        frame_checks=lambda ctx: [
            _in_header(ctx),
            rc.date_order("DATE_PLACED_CEASED", DMY, "DATE_PLACED", DMY),
            rc.required_when("REASON_PLACED_CEASED", pl.col("DATE_PLACED_CEASED").is_not_null(), "the decision ceased"),
        ],
        key=("CHILD", "DATE_PLACED"),
    ),
    "ssda903_previous_permanence": TableRules(
        "SSDA903 previous permanence of children starting to be looked after",
        {
            "CHILD": col(required=True),
            "DOB": _dob(DMY),
            "PREV_PERM": col(rc.code_list(_codes(s903.PREVIOUS_PERMANENCE), "SSDA903 previous permanence"), required=True),
            "LA_PERM": col(),
            "DATE_PERM": col(rc.date_format(DMY)),
        },
        frame_checks=lambda ctx: [_in_header(ctx), rc.allowed_only_when("DATE_PERM", pl.col("PREV_PERM") != "Z1", "a previous permanence order is recorded")],
        key=("CHILD",),
    ),
    "hes_apc": TableRules(
        "HES-like admitted patient care episodes (from the hospital's patient administration system, so with names)",
        {
            "EPIKEY": col(rc.matches(r"^[0-9]{1,15}$", "epikey_format"), required=True),
            "NEWNHSNO": col(rc.nhs_modulus_11()),
            "FORENAME": col(),
            "SURNAME": col(),
            "DOB": _dob(COMPACT),
            "SEX": col(rc.code_list(codes.HES_SEX_VALID, "HES sex"), required=True),
            "ETHNOS": col(rc.code_list(_codes(codes.HES_ETHNIC_CATEGORY), "HES ethnic category"), required=True),
            "HOMEADD": col(),
            "POSTCODE": POSTCODE,
            "ADMIDATE": col(rc.date_format(COMPACT), required=True),
            "DISDATE": col(rc.date_format(COMPACT)),
            "ADMIMETH": col(rc.code_list(_codes(codes.HES_ADMISSION_METHOD), "HES admission method"), required=True),
            "DIAG_4_01": col(rc.matches(r"^[A-Z][0-9]{2}[0-9X]?$", "icd10_format"), required=True),
        },
        frame_checks=lambda ctx: [rc.date_order("DISDATE", COMPACT, "ADMIDATE", COMPACT), rc.date_order("ADMIDATE", COMPACT, "DOB", COMPACT)],
        key=("EPIKEY",),
    ),
    "youth_justice": TableRules(
        "Youth justice offences and outcomes",
        {
            "YOT": col(required=True),
            "FORENAME": col(required=True),
            "SURNAME": col(required=True),
            "DOB": _dob(DMONY),
            "SEX": col(rc.code_list(codes.YJ_SEX, "youth justice sex"), required=True),
            "ETHNICITY": col(rc.code_list(_codes(codes.YJ_ETHNICITY), "youth justice ethnicity (5 groups)"), required=True),
            "ADDRESS": col(),
            "POSTCODE": POSTCODE,
            "OFFENCE_DATE": col(rc.date_format(DMONY), required=True),
            "OFFENCE_TYPE": col(rc.code_list(_codes(codes.YJ_OFFENCE_TYPE), "youth justice offence type"), required=True),
            "OUTCOME": col(rc.code_list(_codes(codes.YJ_OUTCOME), "youth justice outcome"), required=True),
            "OUTCOME_DATE": col(rc.date_format(DMONY)),
        },
        frame_checks=lambda ctx: [rc.date_order("OUTCOME_DATE", DMONY, "OFFENCE_DATE", DMONY), rc.min_age_at("OFFENCE_DATE", DMONY, "DOB", DMONY, 10)],
    ),
}


def _in_header(ctx: ValidationContext) -> pa.Check:
    """Every 903 table's CHILD has a row in the header of the same return."""
    return rc.exists_in("CHILD", RETURN_COLUMN, _companion(ctx, "ssda903_header"), "ssda903_header.CHILD")


def _companion(ctx: ValidationContext, table: str) -> pl.DataFrame:
    """A companion table of the partition; empty (so every reference fails) when the return lacks it."""
    companion = ctx.companions.get(table)
    if companion is None:
        return pl.DataFrame(schema={RETURN_COLUMN: pl.Utf8, **dict.fromkeys(RAW_TABLES[table].column_names, pl.Utf8)})
    return companion
