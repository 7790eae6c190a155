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
from code_lists import early_help as eh_codes
from code_lists import emergency_care as ec_codes
from code_lists import expenditure as s251_codes
from code_lists import not_in_school as cnis_codes
from code_lists import ssda903 as s903
from code_lists import workforce as wf

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
ECDS_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$"  # hh:mm:ss, as SUS writes Arrival_Time
OC2_FLAG = rc.code_list(("0", "1"), "SSDA903 OC2 flag")
_FTE = rc.decimal_between(0, 1, 6)  # a full-time equivalent, to six places (CSWW XSD; SSD FLOAT)
_CSWW_YES_NO = rc.code_list(_codes(wf.CSWW_YES_NO), "CSWW yes/no flag")

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


# An s251 amount: whole pounds, or the symbol Explore Education Statistics writes in place of a number.
_S251_AMOUNT = col(rc.matches(rf"^(-?[0-9]+|{'|'.join(_codes(s251_codes.EES_SYMBOLS))})$", "amount_or_ees_symbol"), required=True)


def _s251_time_period_of_year() -> pa.Check:
    """The file of collection year 2022 holds the financial year 2021-22, time_period 202122."""
    expected = pl.format("{}{}", pl.col(YEAR_COLUMN) - 1, (pl.col(YEAR_COLUMN) % 100).cast(pl.Utf8).str.zfill(2))
    return rc.rule(
        lambda d: d.lazyframe.select((pl.col("time_period") == expected).fill_null(True).alias("ok")),
        "time_period_of_collection_year",
        "time_period is not the financial year that ends in the file's collection year",
        ("time_period",),
    )


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
            _in_ssd_person("addr_person_id", ctx),
        ],
        key=("addr_table_id",),
    ),
    "ssd_contacts": TableRules(
        "LA case management (Standard Safeguarding Dataset ssd_contacts): contacts about a child and what followed",
        {
            "cont_contact_id": col(required=True),
            "cont_person_id": col(required=True),
            "cont_contact_date": col(rc.date_format(ISO), required=True),
            "cont_contact_source_code": col(rc.code_list(_codes(codes.CIN_REFERRAL_SOURCE), "SSD contact source (CIN referral source)")),
            "cont_contact_source_desc": col(),
            "cont_contact_outcome_json": col(rc.json_flags(eh_codes.CONTACT_OUTCOME_KEYS, ("Y", "N"), "SSD contact outcome"), required=True),
        },
        frame_checks=lambda ctx: [_in_ssd_person("cont_person_id", ctx), rc.not_after_period_end("cont_contact_date", ISO, PERIOD_END_COLUMN)],
        key=("cont_contact_id",),
    ),
    "ssd_early_help_episodes": TableRules(
        "LA case management (Standard Safeguarding Dataset ssd_early_help_episodes): episodes of early help",
        {
            "earl_episode_id": col(required=True),
            "earl_person_id": col(required=True),
            "earl_episode_start_date": col(rc.date_format(ISO), required=True),
            "earl_episode_end_date": col(rc.date_format(ISO)),
            "earl_episode_reason": col(),
            "earl_episode_end_reason": col(),
            "earl_episode_organisation": col(),
        },
        frame_checks=lambda ctx: [
            _in_ssd_person("earl_person_id", ctx),
            rc.date_order("earl_episode_end_date", ISO, "earl_episode_start_date", ISO),
            rc.not_after_period_end("earl_episode_start_date", ISO, PERIOD_END_COLUMN),
        ],
        key=("earl_episode_id",),
    ),
    "ssd_services": TableRules(
        "LA case management: services and interventions given to a child (a Hearth table in the SSD's style; SSD has none)",
        {
            "serv_service_id": col(required=True),
            "serv_person_id": col(required=True),
            "serv_early_help_episode_id": col(),
            "serv_cin_referral_date": col(rc.date_format(ISO)),
            "serv_service_type_code": col(rc.code_list(_codes(eh_codes.SERVICE_TYPE), "Hearth service type"), required=True),
            "serv_service_type_desc": col(),
            "serv_service_start_date": col(rc.date_format(ISO), required=True),
            "serv_service_end_date": col(rc.date_format(ISO)),
            "serv_service_frequency": col(rc.code_list(_codes(eh_codes.SERVICE_FREQUENCY), "Hearth service frequency")),
            "serv_sessions_delivered": col(rc.integer_between(0, 10_000)),
        },
        frame_checks=lambda ctx: [
            _in_ssd_person("serv_person_id", ctx),
            rc.exists_in(
                "serv_early_help_episode_id",
                RETURN_COLUMN,
                _companion(ctx, "ssd_early_help_episodes").rename({"earl_episode_id": "serv_early_help_episode_id"}),
                "ssd_early_help_episodes.earl_episode_id",
            ),
            rc.date_order("serv_service_end_date", ISO, "serv_service_start_date", ISO),
            rc.not_after_period_end("serv_service_start_date", ISO, PERIOD_END_COLUMN),
        ],
        key=("serv_service_id",),
    ),
    "ssd_professionals": TableRules(
        "LA case management (Standard Safeguarding Dataset ssd_professionals): the workers in post at any time in the year",
        {
            "prof_professional_id": col(required=True),
            "prof_staff_id": col(),
            "prof_professional_name": col(),
            # SSD PROF002A: the Social Work England number, letters and up to 12 characters in all ('SW...').
            "prof_social_worker_registration_no": col(rc.matches(r"^[A-Za-z]{2}[0-9]{1,10}$", "ssd_registration_number_format")),
            "prof_agency_worker_flag": col(rc.code_list(wf.SSD_AGENCY_FLAG, "SSD agency worker flag")),
            "prof_professional_job_title": col(),
            "prof_professional_caseload": col(rc.integer_between(0, 1_000)),
            "prof_professional_department": col(),
            "prof_full_time_equivalency": col(_FTE),
        },
        key=("prof_professional_id",),
    ),
    "ssd_involvements": TableRules(
        "LA case management (Standard Safeguarding Dataset ssd_involvements): each worker allocated to a child, with start and end",
        {
            "invo_involvements_id": col(required=True),
            "invo_professional_id": col(required=True),
            "invo_professional_role_id": col(),
            "invo_professional_team": col(),
            "invo_person_id": col(required=True),
            "invo_involvement_start_date": col(rc.date_format(ISO), required=True),
            "invo_involvement_end_date": col(rc.date_format(ISO)),
            "invo_worker_change_reason": col(rc.code_list(_codes(wf.SSD_WORKER_CHANGE_REASON), "SSD worker change reason")),
            "invo_referral_id": col(),
        },
        frame_checks=lambda ctx: [
            _in_ssd_person("invo_person_id", ctx),
            rc.exists_in(
                "invo_professional_id",
                RETURN_COLUMN,
                _companion(ctx, "ssd_professionals").rename({"prof_professional_id": "invo_professional_id"}),
                "ssd_professionals.prof_professional_id",
            ),
            rc.date_order("invo_involvement_end_date", ISO, "invo_involvement_start_date", ISO),
            rc.not_after_period_end("invo_involvement_start_date", ISO, PERIOD_END_COLUMN),
        ],
        key=("invo_involvements_id",),
    ),
    "csww_worker": TableRules(
        "Children's social work workforce census: a social worker in post in the census year (an agency worker: at 30 September)",
        {
            "AgencyWorker": col(rc.code_list(_codes(wf.CSWW_AGENCY_WORKER), "CSWW agency worker flag"), required=True),
            "SWENo": col(rc.matches(r"^[A-Za-z]{2}[0-9]{10}$", "swe_number_format"), required=True),
            "FTE": col(_FTE),
            "PersonBirthDate": col(rc.date_format(ISO)),
            "GenderCurrent": col(rc.code_list(_codes(wf.CSWW_GENDER), "CSWW gender")),
            "Ethnicity": col(rc.code_list(_codes(wf.CSWW_ETHNICITY), "CSWW ethnicity")),
            "QualInst": col(required=True),
            "QualLevel": col(rc.code_list(_codes(wf.CSWW_QUALIFICATION_LEVEL), "CSWW qualification level")),
            "StepUpGrad": col(_CSWW_YES_NO),
            "OrgRole": col(rc.code_list(_codes(wf.CSWW_ORG_ROLE), "CSWW organisational role")),
            "RoleStartDate": col(rc.date_format(ISO)),
            "StartOrigin": col(rc.code_list(_codes(wf.CSWW_START_ORIGIN), "CSWW start origin")),
            "RoleEndDate": col(rc.date_format(ISO)),
            "LeaverDestination": col(rc.code_list(_codes(wf.CSWW_LEAVER_DESTINATION), "CSWW leaver destination")),
            "ReasonLeave": col(rc.code_list(_codes(wf.CSWW_REASON_LEAVE), "CSWW reason for leaving")),
            "FTE30": col(_FTE),
            "Cases30": col(rc.integer_between(0, 1_000)),
            "WorkingDaysLost": col(rc.decimal_between(0, 366, 2)),
            "ContractWeeks": col(),
            "FrontlineGrad": col(_CSWW_YES_NO),
            # Elements the XSD lets repeat: the reader joins the repeats with "|".
            "Absat30Sept": col(rc.code_list_items(_codes(wf.CSWW_YES_NO), "CSWW absent at 30 September", "|")),
            "ReasonAbsence": col(rc.code_list_items(_codes(wf.CSWW_REASON_ABSENCE), "CSWW reason for absence", "|")),
            "CFKSSstatus": col(rc.code_list_items(_codes(wf.CSWW_CFKSS_STATUS), "CSWW CFKSS status", "|")),
        },
        frame_checks=lambda ctx: [
            rc.date_order("RoleEndDate", ISO, "RoleStartDate", ISO),
            rc.not_after_period_end("RoleStartDate", ISO, PERIOD_END_COLUMN),
            rc.not_after_period_end("RoleEndDate", ISO, PERIOD_END_COLUMN),
            rc.required_when("RoleStartDate", pl.col("AgencyWorker") == "0", "the worker is employed by the LA"),
            rc.required_when("ReasonLeave", pl.col("RoleEndDate").is_not_null(), "the worker left"),
        ],
    ),
    "csww_la_level": TableRules(
        "Children's social work workforce census: the LA's vacancies and the agency workers covering them at 30 September",
        {
            "NumberOfVacancies": col(rc.decimal_between(0, 100_000, 2), required=True),
            "NoAgencyFTE": col(rc.decimal_between(0, 100_000, 2), required=True),
            "NoAgencyHeadcount": col(rc.integer_between(0, 100_000), required=True),
        },
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
    "ecds": TableRules(
        "Emergency Care Data Set attendances (SUS+ research-extract layout, with the provider's patient identifiers)",
        {
            "EC_Ident": col(rc.matches(r"^[0-9]{1,20}$", "ec_ident_format"), required=True),
            "NHS_Number": col(rc.nhs_modulus_11()),
            "Person_Given_Name": col(),
            "Person_Family_Name": col(),
            "Person_Birth_Date": _dob(ISO),
            "Sex": col(rc.code_list(codes.HES_SEX_VALID, "ECDS sex"), required=True),
            "Ethnic_Category": col(rc.code_list(_codes(codes.HES_ETHNIC_CATEGORY), "NHS ethnic category"), required=True),
            "Patient_Usual_Address": col(),
            "Postcode_Of_Usual_Address": POSTCODE,
            "Der_Provider_Code": col(rc.matches(r"^[A-Z0-9]{3,5}$", "ods_code_format"), required=True),
            "EC_Department_Type": col(rc.code_list(_codes(ec_codes.DEPARTMENT_TYPE), "ECDS department type"), required=True),
            "EC_AttendanceCategory": col(rc.code_list(_codes(ec_codes.ATTENDANCE_CATEGORY), "ECDS attendance category"), required=True),
            "Arrival_Date": col(rc.date_format(ISO), required=True),
            "Arrival_Time": col(rc.matches(ECDS_TIME, "time_format"), required=True),
            "Age_At_Arrival": col(rc.integer_between(0, 130), required=True),
            "EC_Arrival_Mode_SNOMED_CT": col(rc.code_list(_codes(ec_codes.ARRIVAL_MODE), "ECDS arrival mode"), required=True),
            "EC_Chief_Complaint_SNOMED_CT": col(rc.code_list(_codes(ec_codes.CHIEF_COMPLAINT), "ECDS chief complaint"), required=True),
            "EC_Injury_Date": col(rc.date_format(ISO)),
            "EC_Injury_Intent_SNOMED_CT": col(rc.code_list(_codes(ec_codes.INJURY_INTENT), "ECDS injury intent")),
            "Der_EC_Diagnosis_All": col(rc.code_list_items(_codes(ec_codes.DIAGNOSIS), "ECDS diagnosis"), required=True),
            "EC_Departure_Date": col(rc.date_format(ISO), required=True),
            "EC_Departure_Time": col(rc.matches(ECDS_TIME, "time_format"), required=True),
            "EC_Departure_Time_Since_Arrival": col(rc.integer_between(0, 100_000), required=True),
            "Discharge_Destination_SNOMED_CT": col(rc.code_list(_codes(ec_codes.DISCHARGE_DESTINATION), "ECDS discharge destination"), required=True),
        },
        frame_checks=lambda ctx: [
            rc.date_order("EC_Departure_Date", ISO, "Arrival_Date", ISO),
            rc.date_order("Arrival_Date", ISO, "Person_Birth_Date", ISO),
            rc.date_order("Arrival_Date", ISO, "EC_Injury_Date", ISO),
            rc.required_when("EC_Injury_Intent_SNOMED_CT", pl.col("EC_Injury_Date").is_not_null(), "an injury date is recorded"),
            rc.not_after_period_end("Arrival_Date", ISO, PERIOD_END_COLUMN),
        ],
        key=("EC_Ident",),
    ),
    "cnis_register": TableRules(
        "LA register of children not in school (CME and EHE): each entry open in the academic year (a Hearth layout)",
        {
            "RegisterEntryID": col(required=True),
            "Register": col(rc.code_list(_codes(cnis_codes.REGISTER), "CNIS register"), required=True),
            "Forename": col(required=True),
            "Surname": col(required=True),
            "DOB": _dob(DMY),
            "Sex": col(rc.code_list(cnis_codes.SEX, "CNIS sex"), required=True),
            "UPN": UPN,
            "AddressLine1": col(),
            "AddressLine2": col(),
            "Town": col(),
            "Postcode": POSTCODE,
            "ParentForename": col(),
            "ParentSurname": col(),
            "DateOnRegister": col(rc.date_format(DMY), required=True),
            "DateOffRegister": col(rc.date_format(DMY)),
            # Either list: an entry's reason is its register's (EHE primary reasons, CME reasons).
            "Reason": col(rc.code_list(_codes(cnis_codes.EHE_PRIMARY_REASON) + _codes(cnis_codes.CME_REASON), "CNIS reason"), required=True),
            "DateOffReason": col(rc.code_list(_codes(cnis_codes.DATE_OFF_REASON), "CNIS reason for leaving the register")),
            "PreviousSchoolLA": col(rc.matches(r"^[0-9]{3}$", "la_code_format"), required=True),
            "PreviousSchoolEstab": col(rc.matches(r"^[0-9]{4}$", "estab_format"), required=True),
            "DestinationLA": col(rc.matches(r"^[0-9]{3}$", "la_code_format")),
            "DestinationEstab": col(rc.matches(r"^[0-9]{4}$", "estab_format")),
        },
        frame_checks=lambda ctx: [
            rc.date_order("DateOffRegister", DMY, "DateOnRegister", DMY),
            rc.date_order("DateOnRegister", DMY, "DOB", DMY),
            rc.not_after_period_end("DateOnRegister", DMY, PERIOD_END_COLUMN),
            rc.not_after_period_end("DateOffRegister", DMY, PERIOD_END_COLUMN),
            rc.not_after_period_end("DOB", DMY, PERIOD_END_COLUMN),
            rc.required_when("DateOffReason", pl.col("DateOffRegister").is_not_null(), "the entry has ended"),
            rc.allowed_only_when("DateOffReason", pl.col("DateOffRegister").is_not_null(), "the entry has ended"),
        ],
        key=("RegisterEntryID",),
    ),
    "s251": TableRules(
        "Section 251 outturn: LA expenditure on children's and young people's services, a row per line for each LA, region and England",
        {
            "time_period": col(rc.matches(r"^[0-9]{6}$", "financial_year_format"), required=True),
            "time_identifier": col(rc.code_list((s251_codes.TIME_IDENTIFIER,), "EES time identifier"), required=True),
            "geographic_level": col(rc.code_list(_codes(s251_codes.GEOGRAPHIC_LEVELS), "EES geographic level"), required=True),
            "country_name": col(required=True),
            "country_code": col(rc.code_list((s251_codes.COUNTRY[1],), "country code"), required=True),
            "region_name": col(),
            "region_code": col(rc.matches(r"^E1[23][0-9]{6}$", "region_code_format")),
            "la_name": col(),
            "old_la_code": col(rc.matches(r"^[0-9]{3}$", "la_code_format")),
            "new_la_code": col(rc.matches(r"^E(06|08|09|10)[0-9]{6}$", "ons_la_code_format")),
            # The labels of every release: the list's and the ones earlier releases spelt otherwise.
            "category_of_expenditure": col(
                rc.code_list(tuple(c.label for c in s251_codes.CATEGORIES) + tuple(s251_codes.CATEGORY_LABEL_VARIANTS), "s251 category of expenditure"),
                required=True,
            ),
            "description_of_expenditure": col(rc.matches(r"^[0-9]+[a-z]?(\.[0-9]+[a-z]?)+ \S", "s251_line_number"), required=True),
            **dict.fromkeys(s251_codes.AMOUNT_COLUMNS, _S251_AMOUNT),
        },
        frame_checks=lambda ctx: [
            rc.required_when("old_la_code", pl.col("geographic_level") == "Local authority", "the row is a local authority's"),
            rc.required_when("new_la_code", pl.col("geographic_level") == "Local authority", "the row is a local authority's"),
            rc.required_when("region_code", pl.col("geographic_level") != "National", "the row is a region's or a local authority's"),
            _s251_time_period_of_year(),
        ],
        # An LA's lines are unique in a year (the key holds no region or nation: their rows have no LA code).
        key=("time_period", "new_la_code", "description_of_expenditure"),
    ),
}


def _in_header(ctx: ValidationContext) -> pa.Check:
    """Every 903 table's CHILD has a row in the header of the same return."""
    return rc.exists_in("CHILD", RETURN_COLUMN, _companion(ctx, "ssda903_header"), "ssda903_header.CHILD")


def _in_ssd_person(column: str, ctx: ValidationContext) -> pa.Check:
    """Every SSD table's person id has a row in the ssd_person file of the same extract."""
    return rc.exists_in(column, RETURN_COLUMN, _companion(ctx, "ssd_person").rename({"pers_person_id": column}), "ssd_person.pers_person_id")


def _companion(ctx: ValidationContext, table: str) -> pl.DataFrame:
    """A companion table of the partition; empty (so every reference fails) when the return lacks it."""
    companion = ctx.companions.get(table)
    if companion is None:
        return pl.DataFrame(schema={RETURN_COLUMN: pl.Utf8, **dict.fromkeys(RAW_TABLES[table].column_names, pl.Utf8)})
    return companion
