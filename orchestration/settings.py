"""Where Hearth reads and writes, and which landing sources it expects.

Paths default to repo-relative locations and can be overridden with environment
variables. Relative overrides are resolved against the repository root (the
directory holding ``pyproject.toml``), so behaviour does not depend on the
current working directory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict


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

DEFAULT_LANDING_DIR = "data/landing"
DEFAULT_WAREHOUSE_PATH = "data/warehouse/hearth.duckdb"
DEFAULT_TRUTH_DIR = "data/truth"


def _resolve(value: str, root: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (root / path).resolve()


class HearthPaths(BaseModel):
    """Absolute filesystem locations used by the pipeline."""

    model_config = ConfigDict(frozen=True)

    landing_dir: Path
    warehouse_path: Path
    truth_dir: Path

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, root: Path = REPO_ROOT
    ) -> HearthPaths:
        """Build paths from ``HEARTH_*`` environment variables, falling back to repo defaults."""
        env = os.environ if environ is None else environ
        return cls(
            landing_dir=_resolve(env.get(LANDING_DIR_ENV) or DEFAULT_LANDING_DIR, root),
            warehouse_path=_resolve(env.get(WAREHOUSE_PATH_ENV) or DEFAULT_WAREHOUSE_PATH, root),
            truth_dir=_resolve(env.get(TRUTH_DIR_ENV) or DEFAULT_TRUTH_DIR, root),
        )


@dataclass(frozen=True)
class LandingSource:
    """A source system whose extracts land under ``data/landing/<name>/<collection_year>/``."""

    name: str
    description: str


LANDING_SOURCES: tuple[LandingSource, ...] = (
    LandingSource("gazetteer", "Address gazetteer: properties with UPRNs and postcodes."),
    LandingSource("census_2021", "Census 2021 household and person records."),
    LandingSource("school_census", "School census: pupil enrolments and characteristics."),
    LandingSource("cin_census", "Children in Need census: referrals, assessments and plans."),
    LandingSource("ssda903", "SSDA903 children looked after return: episodes of care."),
    LandingSource("hes_apc", "Hospital Episode Statistics admitted patient care episodes."),
    LandingSource("youth_justice", "Youth justice service case-level records."),
)

LANDING_SOURCE_NAMES: tuple[str, ...] = tuple(source.name for source in LANDING_SOURCES)
