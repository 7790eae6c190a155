"""Shared fixtures: a small synthetic world, ingested and harmonised by dbt into a scratch warehouse."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from ingestion.load import ingest
from ingestion.registry import SOURCES
from orchestration.settings import REPO_ROOT
from synthetic_population.config import WorldConfig
from synthetic_population.world import generate_world

DBT_DIR = REPO_ROOT / "dbt_project"


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(DuckDB file, truth folder) of a 3,000-person world after ingestion and `dbt build`."""
    root = tmp_path_factory.mktemp("harmonise")
    config = WorldConfig(persons=3000, seed=5)
    generate_world(config, root / "landing", root / "truth")
    database = root / "hearth.duckdb"
    with duckdb.connect(str(database)) as con:
        for source in SOURCES:
            ingest(con, source, list(config.years), root / "landing", "test")
    env = {**os.environ, "HEARTH_WAREHOUSE_PATH": str(database)}
    build = subprocess.run(
        ["dbt", "build", "--selector", "before_linkage", "--profiles-dir", ".", "--target-path", str(root / "target")],
        cwd=DBT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stdout[-4000:]
    assert "ERROR=0" in build.stdout and "FAIL" not in build.stdout.replace("FAIL=0", "")
    return database, root / "truth"


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
