"""Shared fixtures: a small synthetic world, ingested and harmonised by dbt into a scratch warehouse."""

from __future__ import annotations

import os
import subprocess
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
        cwd=DBT_DIR, env=env, capture_output=True, text=True, timeout=600,
    )
    assert build.returncode == 0, build.stdout[-4000:]
    assert "ERROR=0" in build.stdout and "FAIL" not in build.stdout.replace("FAIL=0", "")
    return database, root / "truth"
