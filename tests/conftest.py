"""Shared fixtures: one small synthetic world per session, ingested and harmonised by dbt into a
scratch warehouse, and a copy of it linked by the Dagster linkage assets. Tests that change a
warehouse work on their own copy."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from ingestion.load import ingest
from ingestion.registry import SOURCES
from orchestration.settings import DBT_PROJECT_DIR, dbt_warehouse_vars
from synthetic_population.config import FaultRates, WorldConfig
from synthetic_population.world import generate_world

# Fixtures that generate a synthetic world: a test using any of them (directly or through another
# fixture) is an integration test, left out of `make check`. Modules that run Dagster's own
# processes say so themselves (`pytestmark`).
WORLD_FIXTURES = {"warehouse", "linked_warehouse", "world", "evaluated", "register_world", "expenditure_world"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if WORLD_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.integration)


def dbt_build(database: Path, selector: str, target: Path) -> subprocess.CompletedProcess:
    """`dbt build` of one selector on `database`; fails the test with dbt's output unless every node passes."""
    build = subprocess.run(
        ["dbt", "build", "--selector", selector, "--profiles-dir", ".", "--target-path", str(target), *dbt_warehouse_vars(database)],
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0 and "ERROR=0" in build.stdout, build.stdout[-4000:]
    return build


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(DuckDB file, truth folder) of a 3,000-person world after ingestion and `dbt build`."""
    root = tmp_path_factory.mktemp("harmonise")
    # Day-month swaps at twice the default rate, so the linkage tests judge that fault class on some 40 records, not 20.
    config = WorldConfig(persons=3000, seed=13, faults=FaultRates(dob_day_month_swap=0.01))
    generate_world(config, root / "landing", root / "truth")
    database = root / "hearth.duckdb"
    with duckdb.connect(str(database)) as con:
        for source in SOURCES:
            ingest(con, source, list(config.years), root / "landing", "test")
    build = dbt_build(database, "before_linkage", root / "target")
    assert "FAIL" not in build.stdout.replace("FAIL=0", "")
    return database, root / "truth"


@pytest.fixture(scope="session")
def linked_warehouse(warehouse, tmp_path_factory: pytest.TempPathFactory):
    """(DuckDB file, truth folder, Dagster result) after the linkage assets and their checks ran on
    a copy of the harmonised warehouse, as `linkage_job` runs them."""
    import dagster as dg

    from orchestration.assets import linkage
    from orchestration.resources import HearthPaths, Warehouse

    source, truth = warehouse
    database = tmp_path_factory.mktemp("linked") / "hearth.duckdb"
    shutil.copy(source, database)
    result = dg.materialize(
        [*dg.load_assets_from_modules([linkage]), *dg.load_asset_checks_from_modules([linkage])],
        resources={
            "warehouse": Warehouse(database=str(database)),
            "paths": HearthPaths(landing_dir=str(truth.parent / "landing"), truth_dir=str(truth)),  # the generator's marker: no secret needed
            "linkage_settings": linkage.LinkageSettings(),
        },
    )
    return database, truth, result


@pytest.fixture(scope="session")
def headless_chromium() -> Callable[[str, int], subprocess.CompletedProcess]:
    """Opens a page in Debian's headless Chromium after `budget_ms` of virtual time: the DOM on
    stdout, the page's console on stderr (lines with `:CONSOLE`)."""
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is not installed: `make test` installs it (make browser)"

    def load(url: str, budget_ms: int) -> subprocess.CompletedProcess:
        page = subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--enable-logging=stderr",
                "--v=0",
                f"--virtual-time-budget={budget_ms}",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert page.returncode == 0, page.stderr[-2000:]
        return page

    return load
