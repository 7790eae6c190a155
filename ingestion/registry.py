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

from .files import CIN_TABLE_COLUMNS, CSWW_TABLES


@dataclass(frozen=True)
class FileKind:
    """Files matching `pattern` in `<source>/<year>/` fill `tables` (one for CSV, several for XML)."""

    pattern: str
    tables: tuple[str, ...]
    reader: str = "csv"  # "csv", "cin_xml" or "csww_xml"


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


# The SSD extract's files, by the suffix after `ssd_<LA>_<year>_`: all of one LA and year are one return.
SSD_TABLES = ("person", "address", "contacts", "early_help_episodes", "services", "professionals", "involvements")
# Termly: the first of the month after each school census day (January, May, October).
TERMLY = "0 6 1 2,6,11 *"
# Annual returns for the year to 31 March are due by July: run on 1 August.
ANNUAL = "0 6 1 8 *"
# The workforce census (year to 30 September) is returned by the end of October: run on 1 November.
CSWW_DUE = "0 6 1 11 *"


def _financial_year_end(year: int) -> date:
    return date(year, 3, 31)


def _calendar_year_end(year: int) -> date:
    return date(year, 12, 31)


def _census_year_end(year: int) -> date:
    """The workforce census year runs from 1 October to 30 September, its reference date."""
    return date(year, 9, 30)


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
        "LA case-management extract in the Standard Safeguarding Dataset layout: the names and addresses of every child "
        "the LA recorded in the year (ssd_person, ssd_address), keyed by the LA's person id (the CIN LAchildID), their "
        "contacts, early help episodes, the services given (ssd_services, Hearth's table in SSD's style), the LA's "
        "social workers (ssd_professionals) and the worker allocated to each child (ssd_involvements).",
        (
            FileKind("ssd_*_person.csv", ("ssd_person",)),
            FileKind("ssd_*_address.csv", ("ssd_address",)),
            FileKind("ssd_*_contacts.csv", ("ssd_contacts",)),
            FileKind("ssd_*_early_help_episodes.csv", ("ssd_early_help_episodes",)),
            FileKind("ssd_*_services.csv", ("ssd_services",)),
            FileKind("ssd_*_professionals.csv", ("ssd_professionals",)),
            FileKind("ssd_*_involvements.csv", ("ssd_involvements",)),
        ),
        collected_every_year=True,
        period_end=_financial_year_end,
        schedule=ANNUAL,
        return_of=lambda file_name: re.sub(rf"_({'|'.join(SSD_TABLES)})\.csv$", "", file_name),
    ),
    Source(
        "csww",
        "Children's social work workforce census returns (DfE XML), one per local authority and census year to 30 September: "
        "every social worker in post in the year and the agency workers in post at 30 September (csww_worker), and the "
        "LA's vacancies and the agency workers covering them (csww_la_level).",
        (FileKind("csww_*.xml", CSWW_TABLES, reader="csww_xml"),),
        collected_every_year=True,
        period_end=_census_year_end,
        schedule=CSWW_DUE,
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
    Source(
        "ecds",
        "Emergency Care Data Set: emergency department attendances (arrival, chief complaint, injury intent, diagnoses, "
        "discharge) in the SUS+ research-extract layout, by financial year, with the provider's patient identifiers.",
        (FileKind("ecds_*.csv", ("ecds",)),),
        collected_every_year=True,
        period_end=_financial_year_end,
        schedule=ANNUAL,
    ),
    Source(
        "cnis",
        "The LA register of children not in school (children missing education and electively home educated): each "
        "entry open in the academic year to 31 August, per LA (a Hearth layout from the statutory content).",
        (FileKind("cnis_*.csv", ("cnis_register",)),),
        collected_every_year=True,
        # The register is continuous; the extract is taken at the end of the academic year, as the DfE counts EHE
        # and CME at any point in it, and lands on 1 September.
        period_end=lambda year: date(year, 8, 31),
        schedule="0 6 1 9 *",
    ),
    Source(
        "s251",
        "LA expenditure on children's and young people's services: the DfE's section 251 outturn, one national file per "
        "financial year with a row per expenditure line for each LA, region and England.",
        (FileKind("s251_childrens_young_peoples_services_*.csv", ("s251",)),),
        collected_every_year=True,
        period_end=_financial_year_end,
        schedule=ANNUAL,
    ),
)

SOURCES_BY_NAME = {s.name: s for s in SOURCES}
SOURCE_OF_TABLE = {table: source.name for source in SOURCES for table in source.tables}
