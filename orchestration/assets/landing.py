"""Landing zone: inventory of every extract the generator has written, plus its checks."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb

from ingestion.landing import FILE_INVENTORY_TABLE, LandingDirectoryNotFoundError, find_unrecognised, scan_landing, write_file_inventory
from orchestration.resources import WAREHOUSE_POOL, HearthPaths, Warehouse
from orchestration.settings import LANDING_SOURCE_NAMES

FILE_INVENTORY_KEY = dg.AssetKey(FILE_INVENTORY_TABLE.split("."))


def _landing_failure(err: LandingDirectoryNotFoundError, landing: Path) -> dg.Failure:
    return dg.Failure(description=str(err), metadata={"landing_dir": dg.MetadataValue.path(str(landing))})


@dg.asset(pool=WAREHOUSE_POOL, key=FILE_INVENTORY_KEY, kinds={"duckdb"})
def file_inventory(paths: HearthPaths, warehouse: Warehouse) -> dg.MaterializeResult:
    """Registers every landed extract with its sha256 so later ingestion can skip files it has
    already loaded.

    Walks ``<landing>/<source>/<collection_year>/<file>`` and replaces the table
    ``landing.file_inventory`` (source, collection_year, path, size_bytes, sha256, modified_at,
    inventoried_at). Files that do not fit the layout are not inventoried; they are reported in
    the materialisation metadata and by the ``no_unrecognised_files`` check.
    """
    try:
        scan = scan_landing(paths.landing)
    except LandingDirectoryNotFoundError as err:
        raise _landing_failure(err, paths.landing) from err

    with warehouse.get_connection() as conn:
        write_file_inventory(conn, scan.files, inventoried_at=datetime.now(UTC))

    per_source = Counter(f.source for f in scan.files)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(scan.files),
            "table": FILE_INVENTORY_TABLE,
            "landing_dir": dg.MetadataValue.path(str(paths.landing)),
            "files_per_source": dg.MetadataValue.json({name: per_source.get(name, 0) for name in LANDING_SOURCE_NAMES}),
            "total_bytes": sum(f.size_bytes for f in scan.files),
            "unrecognised_count": len(scan.unrecognised),
            "unrecognised_files": dg.MetadataValue.json([{"path": u.path, "reason": u.reason} for u in scan.unrecognised]),
        }
    )


@dg.asset_check(pool=WAREHOUSE_POOL, asset=FILE_INVENTORY_KEY)
def every_source_has_files(warehouse: Warehouse) -> dg.AssetCheckResult:
    """Every one of the seven landing sources has at least one file in the inventory."""
    try:
        with warehouse.get_connection() as conn:
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


@dg.asset_check(pool=WAREHOUSE_POOL, asset=FILE_INVENTORY_KEY)
def no_unrecognised_files(paths: HearthPaths) -> dg.AssetCheckResult:
    """Warns about files in the landing directory that do not fit
    ``<source>/<collection_year>/<file>.{csv,xml}`` and so are not inventoried."""
    try:
        unrecognised = find_unrecognised(paths.landing)
    except LandingDirectoryNotFoundError as err:
        raise _landing_failure(err, paths.landing) from err

    return dg.AssetCheckResult(
        passed=not unrecognised,
        severity=dg.AssetCheckSeverity.WARN,
        description=(f"{len(unrecognised)} unrecognised file(s): " + ", ".join(u.path for u in unrecognised) if unrecognised else "No unrecognised files."),
        metadata={
            "unrecognised_count": len(unrecognised),
            "unrecognised_files": dg.MetadataValue.json([{"path": u.path, "reason": u.reason} for u in unrecognised]),
        },
    )
