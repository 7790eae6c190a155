"""Dagster resources: the warehouse file and the folders Hearth reads and writes.

Both are configured from `HEARTH_*` environment variables through `dg.EnvVar` (resolved when a
run starts, and named in the UI), falling back to the repository's `data/` folders. A relative path
is taken from the repository root, as everywhere in Hearth.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster._utils.backoff import backoff  # what DuckDBResource retries a locked file with
from dagster_duckdb import DuckDBResource

from orchestration.settings import (
    DOCS_DIR_ENV,
    LANDING_DIR_ENV,
    PATH_DEFAULTS,
    TRUTH_DIR_ENV,
    WAREHOUSE_PATH_ENV,
    analysts_snapshot_of,
    gx_project_of,
    resolve_path,
)
from warehouse.connection import bounded

# DuckDB allows one writer, and a reader cannot open the file while another process writes: every
# step that touches the warehouse takes a slot in this concurrency pool, whose limit the instance's
# dagster.yaml sets to 1, so runs started together by schedules and sensors take turns.
WAREHOUSE_POOL = "warehouse"


def configured(env_name: str, default: str) -> str:
    """`dg.EnvVar(env_name)` where the variable is set, else `default`.

    Dagster's EnvVar has no default of its own, and a fresh clone sets no variables."""
    return dg.EnvVar(env_name) if os.environ.get(env_name) else default


class Warehouse(DuckDBResource):
    """The DuckDB warehouse. Connections create the file's folder first, are bounded in memory with a
    folder to spill to (`warehouse.connection`), and are closed on errors too (DuckDBResource closes
    only on a clean exit, and a connection left open keeps the file locked)."""

    @property
    def path(self) -> Path:
        return resolve_path(self.database)

    @property
    def analysts_snapshot(self) -> Path:
        return analysts_snapshot_of(self.path)

    @property
    def gx_project(self) -> Path:
        return gx_project_of(self.path)

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # As DuckDBResource does: wait out a lock another process holds for a moment.
        conn = backoff(
            fn=duckdb.connect,
            retry_on=(RuntimeError, duckdb.IOException),
            kwargs={"database": str(self.path), "config": self.connection_config},
            max_retries=10,
        )
        try:
            yield bounded(conn, self.path)
        finally:
            conn.close()


PATH_FIELDS = {"landing_dir": LANDING_DIR_ENV, "truth_dir": TRUTH_DIR_ENV, "docs_dir": DOCS_DIR_ENV}


class HearthPaths(dg.ConfigurableResource):
    """The folders around the warehouse: landed extracts, the synthetic ground truth (evaluation
    only; production has none) and the stewards' site."""

    landing_dir: str = PATH_DEFAULTS[LANDING_DIR_ENV]
    truth_dir: str = PATH_DEFAULTS[TRUTH_DIR_ENV]
    docs_dir: str = PATH_DEFAULTS[DOCS_DIR_ENV]

    @property
    def landing(self) -> Path:
        return resolve_path(self.landing_dir)

    @property
    def truth(self) -> Path:
        return resolve_path(self.truth_dir)

    @property
    def docs(self) -> Path:
        return resolve_path(self.docs_dir)


def configured_warehouse() -> Warehouse:
    return Warehouse(database=configured(WAREHOUSE_PATH_ENV, PATH_DEFAULTS[WAREHOUSE_PATH_ENV]))


def configured_paths() -> HearthPaths:
    return HearthPaths(**{field: configured(env_name, PATH_DEFAULTS[env_name]) for field, env_name in PATH_FIELDS.items()})
