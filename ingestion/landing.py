"""The landing zone on disk: extracts land at `<root>/<source>/<collection_year>/<file>`.

One walker (`walk_landing`) serves everything that looks at the landing zone: the inventory that
hashes every file, the sensor that notices new ones, and ingestion, which loads one source's
folder for a year. They cannot disagree about which files are there.
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from .bookkeeping import create_bookkeeping_table
from .files import sha256_file
from .registry import SOURCES_BY_NAME

LANDING_FILE_SUFFIXES: frozenset[str] = frozenset({".csv", ".xml"})
_YEAR = re.compile(r"\d{4}")
# What the synthetic generator writes at the landing root beside the extracts: the marker saying the
# data is synthetic, and by default its ground truth and broken files. None of it is an extract, so
# the walker passes over exactly these names (any other stray file is still reported).
SYNTHETIC_MARKER = ".hearth-synthetic.json"
GENERATOR_TRUTH_DIR = ".truth"
GENERATOR_MALFORMED_DIR = ".malformed"
GENERATOR_ENTRIES: frozenset[str] = frozenset({SYNTHETIC_MARKER, GENERATOR_TRUTH_DIR, GENERATOR_MALFORMED_DIR})


class LandingDirectoryNotFoundError(FileNotFoundError):
    """The configured landing directory does not exist (or is not a directory)."""


@dataclass(frozen=True)
class LandedPath:
    """A file below the landing root, and why it does not fit the layout (None when it does)."""

    relative: str  # POSIX path relative to the landing root
    problem: str | None

    @property
    def parts(self) -> tuple[str, str, str] | None:
        """(source folder, year folder, file name), or None where the file is not two folders deep."""
        parts = tuple(self.relative.split("/"))
        return parts if len(parts) == 3 else None

    def is_in(self, source: str, year: int) -> bool:
        """The file lies in `<source>/<year>/`, whatever its name (ingestion judges the name)."""
        return self.parts is not None and self.parts[:2] == (source, str(year))


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


def is_synthetic_landing(root: Path) -> bool:
    """Whether the generator marked this landing folder's data as synthetic (`SYNTHETIC_MARKER`)."""
    marker = root / SYNTHETIC_MARKER
    try:
        return json.loads(marker.read_text(encoding="utf-8")).get("synthetic") is True
    except (OSError, ValueError, AttributeError):
        return False


def classify_landing_path(relative: str) -> str | None:
    """Return why ``relative`` (POSIX, relative to the landing root) is unrecognised, or None."""
    parts = relative.split("/")
    if len(parts) != 3:
        return "expected <source>/<collection_year>/<file>"
    source, year, name = parts
    if source not in SOURCES_BY_NAME:
        return f"unknown source {source!r}"
    if not _YEAR.fullmatch(year):
        return f"collection year {year!r} is not a 4-digit year"
    if Path(name).suffix.lower() not in LANDING_FILE_SUFFIXES:
        return f"unexpected file type (expected one of {sorted(LANDING_FILE_SUFFIXES)})"
    return None


def walk_landing(root: Path) -> list[LandedPath]:
    """Every file below `root`, sorted, each classified against the layout."""
    if not root.is_dir():
        raise LandingDirectoryNotFoundError(f"Landing directory does not exist: {root}")
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        at_root = Path(dirpath) == root
        dirnames[:] = sorted(name for name in dirnames if not (at_root and name in GENERATOR_ENTRIES))
        found.extend((Path(dirpath) / name).relative_to(root).as_posix() for name in filenames if not (at_root and name in GENERATOR_ENTRIES))
    return [LandedPath(relative, classify_landing_path(relative)) for relative in sorted(found)]


def find_unrecognised(root: Path) -> tuple[UnrecognisedFile, ...]:
    """Files that do not fit the layout, without hashing anything."""
    return tuple(UnrecognisedFile(landed.relative, landed.problem) for landed in walk_landing(root) if landed.problem is not None)


def scan_landing(root: Path) -> LandingScan:
    """List every landed file; recognised ones are stat'ed and sha256-hashed."""
    files: list[LandingFile] = []
    unrecognised: list[UnrecognisedFile] = []
    for landed in walk_landing(root):
        if landed.problem is not None:
            unrecognised.append(UnrecognisedFile(landed.relative, landed.problem))
            continue
        source, year, _ = landed.parts
        absolute = root / landed.relative
        stat = absolute.stat()
        files.append(
            LandingFile(
                source=source,
                collection_year=int(year),
                path=landed.relative,
                size_bytes=stat.st_size,
                sha256=sha256_file(absolute),
                modified_at=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
            )
        )
    return LandingScan(files=tuple(files), unrecognised=tuple(unrecognised))


def files_for(root: Path, source: str, year: int) -> list[Path]:
    """The files in one source's folder for one collection year (none where the folder or root is missing)."""
    if not root.is_dir():
        return []
    return [root / landed.relative for landed in walk_landing(root) if landed.is_in(source, year)]


def landing_fingerprints(root: Path) -> dict[str, str]:
    """'source/year' -> a fingerprint of its files (names, sizes, modification times), cheap enough
    for a sensor: nothing is hashed."""
    by_folder: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for landed in walk_landing(root):
        if landed.parts is not None and landed.parts[0] in SOURCES_BY_NAME and landed.parts[1].isdigit():
            source, year, name = landed.parts
            stat = (root / landed.relative).stat()
            by_folder[f"{source}/{year}"].append((name, stat.st_size, stat.st_mtime_ns))
    return {folder: json.dumps(files) for folder, files in sorted(by_folder.items())}


FILE_INVENTORY_TABLE = "landing.file_inventory"
_STAGING_NAME = "file_inventory__next"


def write_file_inventory(conn: duckdb.DuckDBPyConnection, files: Iterable[LandingFile], inventoried_at: datetime) -> None:
    """Replace ``landing.file_inventory`` in one transaction: fill a staging table, then swap.

    Any error rolls back, leaving the previous inventory untouched.
    """
    rows = [(f.source, f.collection_year, f.path, f.size_bytes, f.sha256, f.modified_at, inventoried_at) for f in files]
    staging = f"landing.{_STAGING_NAME}"
    conn.execute("BEGIN TRANSACTION")
    try:
        create_bookkeeping_table(conn, FILE_INVENTORY_TABLE, named=_STAGING_NAME)
        if rows:
            conn.executemany(f"INSERT INTO {staging} VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute(f"DROP TABLE IF EXISTS {FILE_INVENTORY_TABLE}")
        conn.execute(f"ALTER TABLE {staging} RENAME TO file_inventory")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
