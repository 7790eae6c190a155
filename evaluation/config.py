"""An evaluation, as an analyst defines it in YAML (`evaluation/definitions/<name>.yml`).

The population is a kind of index event (the day a child starts something), the exposure a service
started within some days of it, the comparison the same population without it. Covariates and
outcomes are named from fixed catalogues (`cohort.COVARIATES`, `cohort.OUTCOMES`), each measured
the same way in every evaluation, so two evaluations of one population balance and count alike.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFINITIONS = Path(__file__).parent / "definitions"

IndexEvent = Literal["early_help_start", "child_in_need_referral"]
Covariate = Literal["age_years", "female", "ethnicity_broad", "imd_decile", "prior_social_care", "prior_absence_rate", "prior_send"]
OutcomeMeasure = Literal["referral", "child_protection_plan", "looked_after", "absence_next_year"]


class Population(BaseModel):
    """Who is eligible, and when: children with an index event in the window, aged in range on its day.
    Without a window, it is the longest the data allows: from a year after the earliest collection year
    begins (so a year of prior social care is seen) to the longest outcome window before the latest ends."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    index_event: IndexEvent
    index_from: date | None = None
    index_until: date | None = None
    age_from: float = Field(0, ge=0)
    age_until: float = Field(18, gt=0)


class Exposure(BaseModel):
    """A service (a code of the service_type seed) started within `within_days` of the index day."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    service: str = Field(pattern=r"^[A-Z]+$")
    within_days: int = Field(ge=0, le=365)


class Outcome(BaseModel):
    """An event within `within_days` after the index day, or absence in the school year after it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    measure: OutcomeMeasure
    within_days: int | None = Field(None, ge=1, le=1095)

    @model_validator(mode="after")
    def _window_where_it_applies(self) -> Outcome:
        if (self.measure == "absence_next_year") != (self.within_days is None):
            raise ValueError(f"outcome {self.measure}: within_days is required for events and not allowed for absence_next_year")
        return self

    @property
    def name(self) -> str:
        return self.measure if self.within_days is None else f"{self.measure}_within_{self.within_days}_days"


class Evaluation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str
    population: Population
    exposure: Exposure
    balance_on: tuple[Covariate, ...] = Field(min_length=1)
    adjustment: Literal["matching", "weighting"] = Field(
        "matching", description="make the comparison group like the exposed by matching (evaluation.matching) or by weighting (evaluation.weighting)"
    )
    exact_on: tuple[Covariate, ...] = ()
    caliper_sd: float = Field(0.2, gt=0, description="matches within this many standard deviations of the logit propensity score")
    neighbours: int = Field(1, ge=1, le=10, description="comparison children matched to each exposed child, nearest first, with replacement")
    outcomes: tuple[Outcome, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _exact_strata_are_balanced_on(self) -> Evaluation:
        missing = set(self.exact_on) - set(self.balance_on)
        if missing:
            raise ValueError(f"exact_on names covariates not in balance_on: {sorted(missing)}")
        matching_only = {"exact_on", "caliper_sd", "neighbours"} & self.model_fields_set
        if self.adjustment == "weighting" and matching_only:
            raise ValueError(f"{', '.join(sorted(matching_only))} apply to matching, not to weighting (which balances every covariate's mean)")
        return self

    @property
    def adjusted_method(self) -> str:
        """The estimate's method label after adjustment: `matched` or `weighted`."""
        return {"matching": "matched", "weighting": "weighted"}[self.adjustment]


def load_evaluations(folder: Path = DEFINITIONS) -> list[Evaluation]:
    """Every evaluation defined in `folder`, each file named for its evaluation; a bad file names itself."""
    evaluations = []
    for path in sorted(folder.glob("*.yml")):
        try:
            evaluation = Evaluation.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        except Exception as exc:
            raise ValueError(f"{path}: {exc}") from exc
        if evaluation.name != path.stem:
            raise ValueError(f"{path}: the evaluation is named {evaluation.name!r}; its file must be {evaluation.name}.yml")
        evaluations.append(evaluation)
    return evaluations
