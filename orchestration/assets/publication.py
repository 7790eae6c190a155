"""Publication: local-authority-by-year counts with statistical disclosure control, for release
outside the secure setting. The marts stay row-level and restricted to analysts; only these tables
are meant to leave."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from disclosure.control import DisclosureRules, disclosure_breaches, protect
from orchestration.assets.dbt import marts_dbt_assets
from orchestration.resources import WAREHOUSE_POOL, warehouse_connection

LA_YEAR_INDICATORS_KEY = dg.AssetKey(["publication", "la_year_indicators"])
TABLE_BY = ["collection_year", "indicator"]


class DisclosureSettings(dg.ConfigurableResource):
    """Counts under `threshold` are suppressed and the rest rounded to a multiple of `rounding`."""

    threshold: int = DisclosureRules.threshold
    rounding: int = DisclosureRules.rounding

    def rules(self) -> DisclosureRules:
        return DisclosureRules(self.threshold, self.rounding)


@dg.asset(
    pool=WAREHOUSE_POOL,
    key=LA_YEAR_INDICATORS_KEY,
    group_name="publication",
    deps=[dg.AssetKey(["marts", "la_year_indicators"])],
    kinds={"duckdb", "polars"},
)
def la_year_indicators(warehouse: DuckDBResource, disclosure: DisclosureSettings) -> dg.MaterializeResult:
    """`marts.la_year_indicators` made safe to publish: a total per indicator and year, small
    counts suppressed, totals protected from subtraction by secondary suppression, counts rounded."""
    with warehouse_connection(warehouse) as con:
        counts = con.sql("select la_code, collection_year, indicator, children from marts.la_year_indicators").pl()
        published = protect(counts, TABLE_BY, "la_code", "children", disclosure.rules())
        con.execute("create schema if not exists publication")
        con.register("_published", published.to_arrow())
        con.execute("create or replace table publication.la_year_indicators as select * from _published")
        con.unregister("_published")
    reasons = published["suppressed"].value_counts().drop_nulls()
    return dg.MaterializeResult(
        metadata={
            "cells": published.height,
            "published": int(published["children"].is_not_null().sum()),
            "suppressed": dg.MetadataValue.json(dict(zip(reasons["suppressed"].to_list(), reasons["count"].to_list(), strict=True))),
            "threshold": disclosure.threshold,
            "rounding": disclosure.rounding,
        }
    )


@dg.asset_check(
    pool=WAREHOUSE_POOL,
    asset=LA_YEAR_INDICATORS_KEY,
    blocking=True,
    description="No published count is under the threshold or off the rounding base, and no hidden cell can be recovered from a total.",
)
def la_year_indicators_are_disclosure_safe(warehouse: DuckDBResource, disclosure: DisclosureSettings) -> dg.AssetCheckResult:
    with warehouse_connection(warehouse) as con:
        published = con.sql("select * from publication.la_year_indicators").pl()
    breaches = disclosure_breaches(published, TABLE_BY, "la_code", "children", disclosure.rules())
    return dg.AssetCheckResult(
        passed=not breaches,
        metadata={"cells": published.height, "breaches": len(breaches)},
        description="; ".join(breaches[:10]) if breaches else f"{published.height} cells checked; nothing recoverable.",
    )


SNAPSHOT_KEY = dg.AssetKey(["analysts", "warehouse_snapshot"])
PUBLISHED_SCHEMAS = ("marts", "publication")


@dg.asset(
    pool=WAREHOUSE_POOL,
    key=SNAPSHOT_KEY,
    group_name="analysts",
    kinds={"duckdb"},
    # Every mart dbt builds (read from its manifest, so a new mart is copied too) and the publication.
    deps=[LA_YEAR_INDICATORS_KEY, *(key for key in marts_dbt_assets.keys if key.path[0] == "marts")],
)
def warehouse_snapshot(warehouse: DuckDBResource) -> dg.MaterializeResult:
    """The marts and publication tables, and nothing else, copied to a separate DuckDB file that
    analysts open read-only. It is written beside the old one and swapped in at the end, so a
    reader never sees a half-written file and never holds a lock the pipeline needs."""
    from orchestration.settings import HearthPaths

    target = HearthPaths.from_env().analysts_snapshot
    scratch = target.with_suffix(".duckdb.tmp")
    scratch.unlink(missing_ok=True)
    with warehouse_connection(warehouse) as con:
        con.execute(f"attach '{scratch}' as snapshot")
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables where table_catalog = current_database() "
            f"and table_schema in {PUBLISHED_SCHEMAS} and table_type = 'BASE TABLE' order by 1, 2"
        ).fetchall()
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"create schema snapshot.{schema}")
        for schema, table in tables:
            con.execute(f"create table snapshot.{schema}.{table} as select * from {schema}.{table}")
        con.execute("detach snapshot")
    scratch.replace(target)
    return dg.MaterializeResult(metadata={"path": str(target), "tables": len(tables), "bytes": target.stat().st_size})
