"""Where Hearth reads and writes, and which landing sources it expects.

Paths default to repo-relative locations and can be overridden with environment
variables. Relative overrides are resolved against the repository root (the
directory holding ``pyproject.toml``), so behaviour does not depend on the
current working directory.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from ingestion.registry import SOURCES
from warehouse.connection import duckdb_settings


def find_repo_root(start: Path | None = None) -> Path:
    """Return the nearest ancestor of ``start`` (default: this file) containing pyproject.toml."""
    here = (start or Path(__file__)).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "pyproject.toml").is_file():
            return candidate
    raise RuntimeError(
        f"Could not find the Hearth repository root (no pyproject.toml above {here}). "
        "Install the project in editable mode (uv sync) or set absolute HEARTH_* paths."
    )


REPO_ROOT = find_repo_root()

LANDING_DIR_ENV = "HEARTH_LANDING_DIR"
WAREHOUSE_PATH_ENV = "HEARTH_WAREHOUSE_PATH"
TRUTH_DIR_ENV = "HEARTH_TRUTH_DIR"
DOCS_DIR_ENV = "HEARTH_DOCS_DIR"
PATH_DEFAULTS: dict[str, str] = {
    LANDING_DIR_ENV: "data/landing",
    WAREHOUSE_PATH_ENV: "data/warehouse/hearth.duckdb",
    TRUTH_DIR_ENV: "data/truth",
    DOCS_DIR_ENV: "data/docs",  # the stewards' site: GX Data Docs under gx/, the gate overview as index.html
}


def resolve_path(value: str | Path, root: Path = REPO_ROOT) -> Path:
    """An absolute path; a relative one is taken from the repository root, wherever Hearth runs from."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else (root / path).resolve()


def path_setting(env_name: str, environ: Mapping[str, str] | None = None) -> Path:
    """The path a `HEARTH_*` variable names, or its repository default where it is unset or empty."""
    env = os.environ if environ is None else environ
    return resolve_path(env.get(env_name) or PATH_DEFAULTS[env_name])


DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


def dbt_warehouse_vars(warehouse_path: Path) -> list[str]:
    """dbt arguments that point its profile at this warehouse file, under the memory limit and spill
    folder of every Hearth connection (the profile reads `warehouse_path`, `memory_limit` and `temp_directory`)."""
    return ["--vars", json.dumps({"warehouse_path": str(warehouse_path), **duckdb_settings(warehouse_path)})]


def analysts_snapshot_of(warehouse_path: Path) -> Path:
    """The read-only copy of the marts and publication tables analysts open, beside the warehouse."""
    return warehouse_path.with_name(warehouse_path.stem + "_analysts.duckdb")


def gx_project_of(warehouse_path: Path) -> Path:
    """The GX project (suites, validation results) the Data Docs are built from, beside the warehouse."""
    return warehouse_path.parent / "gx"


LANDING_SOURCE_NAMES: tuple[str, ...] = tuple(source.name for source in SOURCES)

COLLECTION_YEARS_ENV = "HEARTH_COLLECTION_YEARS"
DEFAULT_COLLECTION_YEARS = "2019-2023"
QUARANTINE_THRESHOLDS_ENV = "HEARTH_QUARANTINE_THRESHOLDS"


def collection_years(environ: Mapping[str, str] | None = None) -> tuple[int, ...]:
    """The collection years Hearth partitions by: `2019-2023` or `2019,2021,2022` in HEARTH_COLLECTION_YEARS."""
    text = (os.environ if environ is None else environ).get(COLLECTION_YEARS_ENV) or DEFAULT_COLLECTION_YEARS
    try:
        if "-" in text:
            first, last = (int(part) for part in text.split("-", 1))
            years = tuple(range(first, last + 1))
        else:
            years = tuple(sorted({int(part) for part in text.split(",")}))
    except ValueError as exc:
        raise ValueError(f"{COLLECTION_YEARS_ENV} must look like 2019-2023 or 2019,2020; got {text!r}") from exc
    if not years:
        raise ValueError(f"{COLLECTION_YEARS_ENV} names no years: {text!r}")
    return years


def quarantine_thresholds(environ: Mapping[str, str] | None = None) -> dict[str, float]:
    """Per-source overrides of the quarantine gate, e.g. `hes_apc=0.02,school_census=0.1`."""
    text = (os.environ if environ is None else environ).get(QUARANTINE_THRESHOLDS_ENV) or ""
    thresholds: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, value = item.partition("=")
        if name not in LANDING_SOURCE_NAMES:
            raise ValueError(f"{QUARANTINE_THRESHOLDS_ENV}: unknown source {name!r}")
        thresholds[name] = float(value)
    return thresholds
