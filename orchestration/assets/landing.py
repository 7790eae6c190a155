"""Landing zone: inventory of every extract the generator has written, plus its checks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from orchestration.resources import (
    WAREHOUSE_POOL,
    LandingDirectoryNotFoundError,
    LandingFile,
    LandingZone,
    warehouse_connection,
)
from orchestration.settings import LANDING_SOURCE_NAMES

LANDING_SCHEMA = "landing"
FILE_INVENTORY_TABLE = f"{LANDING_SCHEMA}.file_inventory"
_STAGING_NAME = "file_inventory__next"

_INVENTORY_COLUMNS = """
    source          VARCHAR     NOT NULL,
    collection_year INTEGER     NOT NULL,
    path            VARCHAR     NOT NULL,
    size_bytes      BIGINT      NOT NULL,
    sha256          VARCHAR     NOT NULL,
    modified_at     TIMESTAMPTZ NOT NULL,
    inventoried_at  TIMESTAMPTZ NOT NULL
"""


def write_file_inventory(conn: duckdb.DuckDBPyConnection, files: Iterable[LandingFile], inventoried_at: datetime) -> None:
    """Replace ``landing.file_inventory`` in one transaction: fill a staging table, then swap.

    Any error rolls back, leaving the previous inventory untouched.
    """
    rows = [(f.source, f.collection_year, f.path, f.size_bytes, f.sha256, f.modified_at, inventoried_at) for f in files]
    staging = f"{LANDING_SCHEMA}.{_STAGING_NAME}"
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {LANDING_SCHEMA}")
        conn.execute(f"DROP TABLE IF EXISTS {staging}")
        conn.execute(f"CREATE TABLE {staging} ({_INVENTORY_COLUMNS})")
        if rows:
            conn.executemany(f"INSERT INTO {staging} VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute(f"DROP TABLE IF EXISTS {FILE_INVENTORY_TABLE}")
        conn.execute(f"ALTER TABLE {staging} RENAME TO file_inventory")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _landing_failure(err: LandingDirectoryNotFoundError, landing_zone: LandingZone) -> dg.Failure:
    return dg.Failure(
        description=str(err),
        metadata={"landing_dir": dg.MetadataValue.path(str(landing_zone.root_path))},
    )


@dg.asset(pool=WAREHOUSE_POOL, group_name="landing", kinds={"duckdb"})
def landing_file_inventory(landing_zone: LandingZone, warehouse: DuckDBResource) -> dg.MaterializeResult:
    """Registers every landed extract with its sha256 so later ingestion can skip files it has
    already loaded.

    Walks ``<landing>/<source>/<collection_year>/<file>`` and replaces the table
    ``landing.file_inventory`` (source, collection_year, path, size_bytes, sha256, modified_at,
    inventoried_at). Files that do not fit the layout are not inventoried; they are reported in
    the materialisation metadata and by the ``no_unrecognised_files`` check.
    """
    try:
        scan = landing_zone.scan()
    except LandingDirectoryNotFoundError as err:
        raise _landing_failure(err, landing_zone) from err

    with warehouse_connection(warehouse) as conn:
        write_file_inventory(conn, scan.files, inventoried_at=datetime.now(UTC))

    per_source = Counter(f.source for f in scan.files)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(scan.files),
            "table": FILE_INVENTORY_TABLE,
            "landing_dir": dg.MetadataValue.path(str(landing_zone.root_path)),
            "files_per_source": dg.MetadataValue.json({name: per_source.get(name, 0) for name in LANDING_SOURCE_NAMES}),
            "total_bytes": sum(f.size_bytes for f in scan.files),
            "unrecognised_count": len(scan.unrecognised),
            "unrecognised_files": dg.MetadataValue.json([{"path": u.path, "reason": u.reason} for u in scan.unrecognised]),
        }
    )


@dg.asset_check(pool=WAREHOUSE_POOL, asset=landing_file_inventory)
def every_source_has_files(warehouse: DuckDBResource) -> dg.AssetCheckResult:
    """Every one of the seven landing sources has at least one file in the inventory."""
    try:
        with warehouse_connection(warehouse) as conn:
            counts = dict(conn.execute(f"SELECT source, count(*) FROM {FILE_INVENTORY_TABLE} GROUP BY source").fetchall())
    except duckdb.CatalogException:
        return dg.AssetCheckResult(
            passed=False,
            description=f"{FILE_INVENTORY_TABLE} does not exist; materialise the asset first.",
        )

    missing = [name for name in LANDING_SOURCE_NAMES if not counts.get(name)]
    return dg.AssetCheckResult(
        passed=not missing,
        description=(f"No landed files for: {', '.join(missing)}" if missing else "All sources have files."),
        metadata={
            "missing_sources": dg.MetadataValue.json(missing),
            "files_per_source": dg.MetadataValue.json({name: counts.get(name, 0) for name in LANDING_SOURCE_NAMES}),
        },
    )


@dg.asset_check(pool=WAREHOUSE_POOL, asset=landing_file_inventory)
def no_unrecognised_files(landing_zone: LandingZone) -> dg.AssetCheckResult:
    """Warns about files in the landing directory that do not fit
    ``<source>/<collection_year>/<file>.{csv,xml}`` and so are not inventoried."""
    try:
        unrecognised = landing_zone.find_unrecognised()
    except LandingDirectoryNotFoundError as err:
        raise _landing_failure(err, landing_zone) from err

    return dg.AssetCheckResult(
        passed=not unrecognised,
        severity=dg.AssetCheckSeverity.WARN,
        description=(f"{len(unrecognised)} unrecognised file(s): " + ", ".join(u.path for u in unrecognised) if unrecognised else "No unrecognised files."),
        metadata={
            "unrecognised_count": len(unrecognised),
            "unrecognised_files": dg.MetadataValue.json([{"path": u.path, "reason": u.reason} for u in unrecognised]),
        },
    )
