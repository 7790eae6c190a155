"""Dagster resources: the landing zone on disk and helpers for the DuckDB warehouse."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from ingestion.files import sha256_file
from orchestration.settings import LANDING_SOURCE_NAMES

LANDING_FILE_SUFFIXES: frozenset[str] = frozenset({".csv", ".xml"})
_YEAR = re.compile(r"\d{4}")


# DuckDB allows one writer, and a reader cannot open the file while another process writes: every
# step that touches the warehouse takes a slot in this concurrency pool, whose limit the instance's
# dagster.yaml sets to 1, so runs started together by schedules and sensors take turns.
WAREHOUSE_POOL = "warehouse"


class LandingDirectoryNotFoundError(FileNotFoundError):
    """The configured landing directory does not exist (or is not a directory)."""


@dataclass(frozen=True)
class LandingFile:
    """One landed extract at ``<source>/<collection_year>/<file>``."""

    source: str
    collection_year: int
    path: str  # POSIX path relative to the landing root
    size_bytes: int
    sha256: str
    modified_at: datetime  # UTC


@dataclass(frozen=True)
class UnrecognisedFile:
    """A file under the landing root that does not fit the expected layout."""

    path: str  # POSIX path relative to the landing root
    reason: str


@dataclass(frozen=True)
class LandingScan:
    files: tuple[LandingFile, ...]
    unrecognised: tuple[UnrecognisedFile, ...]


def classify_landing_path(relative: str) -> str | None:
    """Return why ``relative`` (POSIX, relative to the landing root) is unrecognised, or None."""
    parts = relative.split("/")
    if len(parts) != 3:
        return "expected <source>/<collection_year>/<file>"
    source, year, name = parts
    if source not in LANDING_SOURCE_NAMES:
        return f"unknown source {source!r}"
    if not _YEAR.fullmatch(year):
        return f"collection year {year!r} is not a 4-digit year"
    if Path(name).suffix.lower() not in LANDING_FILE_SUFFIXES:
        return f"unexpected file type (expected one of {sorted(LANDING_FILE_SUFFIXES)})"
    return None


class LandingZone(dg.ConfigurableResource):
    """The directory the generator writes extracts into: ``<root>/<source>/<year>/<file>``."""

    root: str

    @property
    def root_path(self) -> Path:
        return Path(self.root)

    def _relative_files(self) -> list[str]:
        root = self.root_path
        if not root.is_dir():
            raise LandingDirectoryNotFoundError(f"Landing directory does not exist: {root}")
        found: list[str] = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for filename in filenames:
                found.append((Path(dirpath) / filename).relative_to(root).as_posix())
        return sorted(found)

    def find_unrecognised(self) -> tuple[UnrecognisedFile, ...]:
        """Files that do not fit the layout, without hashing anything."""
        return tuple(UnrecognisedFile(path, reason) for path in self._relative_files() if (reason := classify_landing_path(path)) is not None)

    def scan(self) -> LandingScan:
        """List every landed file; recognised ones are stat'ed and sha256-hashed."""
        files: list[LandingFile] = []
        unrecognised: list[UnrecognisedFile] = []
        for relative in self._relative_files():
            reason = classify_landing_path(relative)
            if reason is not None:
                unrecognised.append(UnrecognisedFile(relative, reason))
                continue
            source, year, _ = relative.split("/")
            absolute = self.root_path / relative
            stat = absolute.stat()
            files.append(
                LandingFile(
                    source=source,
                    collection_year=int(year),
                    path=relative,
                    size_bytes=stat.st_size,
                    sha256=sha256_file(absolute),
                    modified_at=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
                )
            )
        return LandingScan(files=tuple(files), unrecognised=tuple(unrecognised))


@contextmanager
def warehouse_connection(warehouse: DuckDBResource) -> Iterator[duckdb.DuckDBPyConnection]:
    """Connect to the warehouse, creating the database file's parent directory first."""
    if warehouse.database != ":memory:" and not warehouse.database.startswith("md:"):
        Path(warehouse.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    with warehouse.get_connection() as conn:
        try:
            yield conn
        finally:
            # DuckDBResource only closes on a clean exit; close on errors too.
            conn.close()
