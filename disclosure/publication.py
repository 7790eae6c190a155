"""What leaves the warehouse: local-authority-by-year counts made safe to publish, and the
analysts' read-only copy of the marts and the publication tables.

The Dagster assets, the benchmark and the tests all call these functions, so each is written once.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from evaluation.columns import COUNTS, GROUP_COUNTS, STATISTICS

from .control import DisclosureRules, disclosure_breaches, estimate_breaches, protect, protect_estimates

COUNTS_MART = "marts.la_year_indicators"
LA_YEAR_INDICATORS = "publication.la_year_indicators"
TABLE_BY = ["collection_year", "indicator"]
PUBLISHED_SCHEMAS = ("marts", "publication")
EVALUATION_ESTIMATES = "publication.evaluation_estimates"


def publish_la_year_indicators(con: duckdb.DuckDBPyConnection, rules: DisclosureRules = DisclosureRules()) -> pl.DataFrame:
    """(Re)write `publication.la_year_indicators`: a total per indicator and year, small counts
    suppressed, totals protected by secondary suppression, counts rounded. Returns what it wrote."""
    counts = con.sql(f"select la_code, collection_year, indicator, children from {COUNTS_MART}").pl()
    published = protect(counts, TABLE_BY, "la_code", "children", rules)
    con.execute("create schema if not exists publication")
    con.register("_published", published.to_arrow())
    con.execute(f"create or replace table {LA_YEAR_INDICATORS} as select * from _published")
    con.unregister("_published")
    return published


def la_year_indicator_breaches(con: duckdb.DuckDBPyConnection, rules: DisclosureRules = DisclosureRules()) -> tuple[int, list[str]]:
    """(cells, breaches) of the published table: any count a reader could see or recover under the rules."""
    published = con.sql(f"select * from {LA_YEAR_INDICATORS}").pl()
    return published.height, disclosure_breaches(published, TABLE_BY, "la_code", "children", rules)


def publish_evaluation_estimates(con: duckdb.DuckDBPyConnection, rules: DisclosureRules = DisclosureRules()) -> pl.DataFrame:
    """(Re)write `publication.evaluation_estimates` from `evaluation.estimates`: counts rounded, and an
    estimate resting on fewer children than the threshold (in either group, with or without the outcome)
    withheld. Returns what it wrote."""
    estimates = con.sql("select * from evaluation.estimates order by evaluation, outcome, method").pl()
    published = protect_estimates(estimates, GROUP_COUNTS, list(STATISTICS), rules)
    con.execute("create schema if not exists publication")
    con.register("_published", published.to_arrow())
    con.execute(f"create or replace table {EVALUATION_ESTIMATES} as select * from _published")
    con.unregister("_published")
    return published


def evaluation_estimate_breaches(con: duckdb.DuckDBPyConnection, rules: DisclosureRules = DisclosureRules()) -> tuple[int, list[str]]:
    """(rows, breaches) of the published evaluation estimates."""
    published = con.sql(f"select * from {EVALUATION_ESTIMATES}").pl()
    return published.height, estimate_breaches(published, list(COUNTS), rules)


def write_analysts_snapshot(con: duckdb.DuckDBPyConnection, target: Path) -> int:
    """Copy the marts and publication tables, and nothing else, to the DuckDB file `target` that
    analysts open read-only. It is written beside the old one and swapped in at the end, so a reader
    never sees a half-written file and never holds a lock the pipeline needs. Returns the tables copied."""
    scratch = target.with_suffix(".duckdb.tmp")
    scratch.unlink(missing_ok=True)
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
    return len(tables)
