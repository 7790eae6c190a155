"""Settings of one synthetic world: its size, seed, years, local authorities and fault rates."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

WARM_UP_YEARS = 2


class LocalAuthority(BaseModel):
    """A fictional local authority; `code` is its 3-digit DfE LA number (UPNs and LA child IDs use it)."""

    model_config = ConfigDict(frozen=True)

    code: int = Field(ge=100, le=999)
    name: str
    postcode_area: str = Field(pattern=r"^[A-Z]{1,2}$")
    towns: tuple[str, ...]


DEFAULT_LOCAL_AUTHORITIES: tuple[LocalAuthority, ...] = (
    LocalAuthority(code=951, name="Northmere", postcode_area="NM", towns=("Northmere", "Oakley Bridge", "Hartwick")),
    LocalAuthority(code=952, name="Ashcombe", postcode_area="AC", towns=("Ashcombe", "Millbrook", "Stanford Vale")),
    LocalAuthority(code=953, name="Kingsford", postcode_area="KF", towns=("Kingsford", "Elmfield", "Coldharbour")),
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
