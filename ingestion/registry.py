"""The registry of sources: which files each one lands, which raw tables they fill, and its gate.

One entry per source system; the Dagster asset factory builds one multi-asset per entry (one
asset per raw table), so adding a source means adding an entry here and its table rules in
`validations/raw_schemas.py` (a test checks the two agree). Reading the registry needs no schemas.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from code_lists.ssda903 import TABLE_COLUMNS as SSDA903_TABLES

from .files import CIN_TABLE_COLUMNS


@dataclass(frozen=True)
class FileKind:
    """Files matching `pattern` in `<source>/<year>/` fill `tables` (one for CSV, several for XML)."""

    pattern: str
    tables: tuple[str, ...]
    reader: str = "csv"  # "csv" or "cin_xml"


@dataclass(frozen=True)
class Source:
    name: str
    description: str
    files: tuple[FileKind, ...]
    collected_every_year: bool
    period_end: Callable[[int], date]
    failure_threshold: float = 0.05  # share of rows quarantined above which the gate blocks
    # When a collection's extracts are due (cron, UTC): the partition is the year of the tick. None
    # for one-off extracts (a census, a gazetteer snapshot), which the landing sensor picks up.
    schedule: str | None = None
    return_of: Callable[[str], str] = lambda file_name: file_name  # files of one return validate together

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(t for kind in self.files for t in kind.tables)

    def kind_of(self, file_name: str) -> FileKind | None:
        return next((k for k in self.files if fnmatch.fnmatch(file_name, k.pattern)), None)


# Termly: the first of the month after each school census day (January, May, October).
TERMLY = "0 6 1 2,6,11 *"
# Annual returns for the year to 31 March are due by July: run on 1 August.
ANNUAL = "0 6 1 8 *"


def _financial_year_end(year: int) -> date:
    return date(year, 3, 31)


def _calendar_year_end(year: int) -> date:
    return date(year, 12, 31)


SOURCES: tuple[Source, ...] = (
    Source(
        "gazetteer",
        "AddressBase-style gazetteer snapshot: every property with its UPRN, address and area codes.",
        (FileKind("gazetteer_*.csv", ("gazetteer",)),),
        collected_every_year=False,
        period_end=_calendar_year_end,
        failure_threshold=0.001,
    ),
    Source(
        "census_2021",
        "Census 2021 household forms and person records.",
        (FileKind("*households.csv", ("census_2021_households",)), FileKind("*persons.csv", ("census_2021_persons",))),
        collected_every_year=False,
        period_end=lambda year: date(year, 3, 21),
    ),
    Source(
        "school_census",
        "Termly school census, split as the NPD publishes it: pupil on roll, attendance, exclusions and SEN.",
        (
            # The pupil-on-roll pattern matches the other three too, so it comes last.
            FileKind("school_census_*_attendance.csv", ("school_census_attendance",)),
            FileKind("school_census_*_exclusions.csv", ("school_census_exclusions",)),
            FileKind("school_census_*_sen.csv", ("school_census_sen",)),
            FileKind("school_census_*.csv", ("school_census",)),
        ),
        collected_every_year=True,
        period_end=_calendar_year_end,
        schedule=TERMLY,
        return_of=lambda file_name: re.sub(r"(_(attendance|exclusions|sen))?\.csv$", "", file_name),
    ),
    Source(
        "cin_census",
        "Children in need census returns (DfE XML), one per local authority and year.",
        (FileKind("cin_*.xml", tuple(CIN_TABLE_COLUMNS), reader="cin_xml"),),
        collected_every_year=True,
        period_end=_financial_year_end,
        schedule=ANNUAL,
    ),
    Source(
        "ssd",
        "LA case-management extract in the Standard Safeguarding Dataset layout (ssd_person, ssd_address): the names "
        "and addresses of the children in the CIN census, keyed by the LA's person id (the CIN LAchildID).",
        (FileKind("ssd_*_person.csv", ("ssd_person",)), FileKind("ssd_*_address.csv", ("ssd_address",))),
        collected_every_year=True,
        period_end=_financial_year_end,
        schedule=ANNUAL,
        return_of=lambda file_name: re.sub(r"_(person|address)\.csv$", "", file_name),
    ),
    Source(
        "ssda903",
        "SSDA903 looked-after children returns: one file per table (header, episodes, UASC, reviews, missing, OC2, OC3, AD1, "
        "placed for adoption, previous permanence) per local authority and year.",
        tuple(FileKind(f"ssda903_*_{suffix}.csv", (f"ssda903_{suffix}",)) for suffix in SSDA903_TABLES),
        collected_every_year=True,
        period_end=_financial_year_end,
        schedule=ANNUAL,
        return_of=lambda file_name: re.sub(rf"_({'|'.join(SSDA903_TABLES)})\.csv$", "", file_name),
    ),
    Source(
        "hes_apc",
        "Hospital Episode Statistics admitted patient care, by financial year.",
        (FileKind("hes_apc_*.csv", ("hes_apc",)),),
        collected_every_year=True,
        period_end=_financial_year_end,
        schedule=ANNUAL,
    ),
    Source(
        "youth_justice",
        "Youth offending team case lists: offences and outcomes, by financial year.",
        (FileKind("youth_offences_*.csv", ("youth_justice",)),),
        collected_every_year=True,
        period_end=_financial_year_end,
        schedule=ANNUAL,
    ),
)

SOURCES_BY_NAME = {s.name: s for s in SOURCES}
SOURCE_OF_TABLE = {table: source.name for source in SOURCES for table in source.tables}
