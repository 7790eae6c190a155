"""The analysts' copy: the marts and the publication tables in a DuckDB file of their own."""

import dagster as dg

from disclosure.publication import write_analysts_snapshot
from orchestration.assets import dbt
from orchestration.assets.publication import EVALUATION_ESTIMATES_KEY, LA_YEAR_INDICATORS_KEY
from orchestration.resources import WAREHOUSE_POOL, Warehouse


@dg.asset(
    pool=WAREHOUSE_POOL,
    key=dg.AssetKey(["analysts", "warehouse_snapshot"]),
    kinds={"duckdb"},
    # Every mart dbt builds (read from its manifest, so a new mart is copied too) and the publication.
    deps=[LA_YEAR_INDICATORS_KEY, EVALUATION_ESTIMATES_KEY, *(key for key in dbt.marts_dbt_assets.keys if key.path[0] == "marts")],
)
def warehouse_snapshot(warehouse: Warehouse) -> dg.MaterializeResult:
    """The marts and publication tables, and nothing else, copied to a separate DuckDB file that
    analysts open read-only, swapped in whole so readers never block a run."""
    target = warehouse.analysts_snapshot
    with warehouse.get_connection() as con:
        tables = write_analysts_snapshot(con, target)
    return dg.MaterializeResult(metadata={"path": str(target), "tables": tables, "bytes": target.stat().st_size})
