"""Releasing quarantined rows that stewards accepted, and taking them back when a decision is withdrawn.

`release` makes the warehouse agree with the decisions in force (`ingestion/quarantine_decisions.py`).
Every quarantined row a decision touches, and every row released before, is validated again against
the current rules, within its files and returns as ingestion read them (the rows in raw and the
records in quarantine), so the rules on keys, duplicates and other tables judge it as they did then.
A row whose every failure is accepted goes into raw with its provenance, `_release_run_id` naming
the release; a row released before that no longer qualifies (its decision withdrawn, a rule
tightened) comes back out of raw. Quarantined rows are never deleted: a released one is marked with
its release run, so for every file, rows read = rows in raw + rows still held in quarantine. All of
it happens in one transaction, and a second release with the same decisions changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from validations.raw_schemas import FILE_COLUMN, PERIOD_END_COLUMN, RAW_TABLES, RETURN_COLUMN, YEAR_COLUMN, ValidationContext

from .bookkeeping import relation_exists
from .files import EXTRA_COLUMNS, ROW_NUMBER
from .load import RELEASE_COLUMN, create_raw_table, ensure_schemas, validate
from .quarantine_decisions import DECISION_KEY, DECISIONS_TABLE, accepts, active_decisions
from .registry import SOURCE_OF_TABLE, SOURCES_BY_NAME, Source

ROW_SCHEMA = {"table_name": pl.Utf8, "source_file": pl.Utf8, "row_number": pl.Int64}
ROW_KEY = list(ROW_SCHEMA)


@dataclass(frozen=True)
class Release:
    """What one release did, in rows (a row of a file, however many rules it broke)."""

    run_id: str
    released: int  # moved into raw by this release
    returned: int  # released before, taken back out of raw: no longer accepted, or failing a rule now
    unchanged: int  # released before and still accepted: left as they were
    kept: int  # touched by a decision but held in quarantine: a failure no decision accepts
    held: int  # every row still held in quarantine after the release


def release(con: duckdb.DuckDBPyConnection, decisions: pl.DataFrame, run_id: str) -> Release:
    """Apply `decisions` (every row of the decisions CSV, oldest first) to the quarantine, and store them in quarantine.release_decisions."""
    ensure_schemas(con)
    active = active_decisions(decisions)
    failures = con.sql(
        "select table_name, source_file, row_number, collection_year, rule, column_name, offending_value, release_run_id is not null as released "
        "from quarantine.rejected_rows"
    ).pl()
    touched = failures.filter(accepts(active) | pl.col("released")).select(*ROW_KEY, "collection_year").unique()
    released_before = failures.filter("released").select(ROW_KEY).unique()
    by_source = touched.with_columns(pl.col("table_name").replace_strict(SOURCE_OF_TABLE, return_dtype=pl.Utf8).alias("source"))
    passing = pl.concat(
        [
            pl.DataFrame(schema=ROW_SCHEMA),
            *(_still_passing(con, SOURCES_BY_NAME[name], rows, active) for (name,), rows in by_source.partition_by("source", as_dict=True).items()),
        ]
    )
    to_release = passing.join(released_before, on=ROW_KEY, how="anti")
    to_return = released_before.join(passing, on=ROW_KEY, how="anti")
    now = datetime.now(UTC)
    con.execute("begin transaction")
    try:
        _take_back(con, to_return)
        _load(con, to_release, run_id, now)
        _recount(con, touched.select("table_name", "source_file").unique())
        _store_decisions(con, decisions, run_id, now)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    held = con.sql("select count(distinct (table_name, source_file, row_number)) from quarantine.rejected_rows where release_run_id is null").fetchone()[0]
    return Release(
        run_id,
        released=to_release.height,
        returned=to_return.height,
        unchanged=passing.height - to_release.height,
        kept=touched.height - passing.height - to_return.height,
        held=held,
    )


def _still_passing(con: duckdb.DuckDBPyConnection, source: Source, touched: pl.DataFrame, active: pl.DataFrame) -> pl.DataFrame:
    """The touched rows of one source whose every failure under the current rules an active decision accepts."""
    years = touched["collection_year"].unique().to_list()
    as_read = {table: _as_read(con, source, table, years) for table in source.tables}
    ctx = ValidationContext(companions=as_read)
    passing = []
    for table in touched["table_name"].unique():
        mine = touched.filter(pl.col("table_name") == table).select(ROW_KEY)
        frame = as_read[table].filter(pl.col(FILE_COLUMN).is_in(mine["source_file"].unique().implode()))
        _, rejected = validate(table, frame, ctx)
        failing = rejected.select(
            pl.lit(table).alias("table_name"),
            pl.col(FILE_COLUMN).alias("source_file"),
            pl.col(ROW_NUMBER).alias("row_number"),
            "rule",
            "column_name",
            "offending_value",
        )
        passing.append(mine.join(failing.filter(~accepts(active)).select(ROW_KEY).unique(), on=ROW_KEY, how="anti"))
    return pl.concat(passing)


def _as_read(con: duckdb.DuckDBPyConnection, source: Source, table: str, years: list[int]) -> pl.DataFrame:
    """A table's rows of the collection `years` as ingestion read them (raw's own rows and quarantine's records), tagged as it tags them."""
    columns = RAW_TABLES[table].column_names
    shape = {**dict.fromkeys(columns, pl.Utf8), "_source_file": pl.Utf8, ROW_NUMBER: pl.Int64, "_collection_year": pl.Int32}
    parts = [_records(con, table).filter(pl.col("_collection_year").is_in(years)).select(list(shape)).cast(shape)]
    if relation_exists(con, f"raw.{table}"):
        create_raw_table(con, table, list(columns))  # a raw table an older Hearth made gains RELEASE_COLUMN
        data = ", ".join(f'"{c}"' for c in columns)
        loaded = con.execute(
            f"select {data}, _source_file, {ROW_NUMBER}, _collection_year from raw.{table} "
            f"where {RELEASE_COLUMN} is null and _collection_year in (select unnest(?::integer[]))",
            [years],
        ).pl()
        parts.append(loaded.cast(shape))
    frame = pl.concat(parts)
    returns = {file: source.return_of(Path(file).name) for file in frame["_source_file"].unique()}
    period_ends = {year: source.period_end(year) for year in years}
    return frame.with_columns(
        pl.col("_source_file").alias(FILE_COLUMN),
        pl.col("_source_file").replace_strict(returns, return_dtype=pl.Utf8).alias(RETURN_COLUMN),
        pl.col("_collection_year").alias(YEAR_COLUMN),
        pl.col("_collection_year").replace_strict(period_ends, return_dtype=pl.Date).alias(PERIOD_END_COLUMN),
    ).sort(FILE_COLUMN, ROW_NUMBER)


def _records(con: duckdb.DuckDBPyConnection, table: str) -> pl.DataFrame:
    """Every quarantined row of `table` rebuilt from its record, with the provenance ingestion gave it."""
    found = con.execute(
        "select source_file as _source_file, row_number as _row_number, any_value(collection_year) as _collection_year, any_value(sha256) as _sha256, "
        "any_value(load_run_id) as _load_run_id, any_value(record) as record from quarantine.rejected_rows where table_name = ? group by all",
        [table],
    ).pl()
    fields = pl.Struct({**dict.fromkeys(RAW_TABLES[table].column_names, pl.Utf8), EXTRA_COLUMNS: pl.Utf8})
    return found.with_columns(pl.col("record").str.json_decode(fields)).unnest("record")


def _take_back(con: duckdb.DuckDBPyConnection, rows: pl.DataFrame) -> None:
    """Rows released earlier leave raw; their quarantine rows are held again."""
    if rows.is_empty():
        return
    con.register("_returning", rows.to_arrow())
    for table in rows["table_name"].unique():
        con.execute(
            f"delete from raw.{table} using _returning r where r.table_name = ? and raw.{table}._source_file = r.source_file "
            f"and raw.{table}._row_number = r.row_number and raw.{table}.{RELEASE_COLUMN} is not null",
            [table],
        )
    con.execute(
        "update quarantine.rejected_rows q set release_run_id = null, released_at = null from _returning r "
        "where q.table_name = r.table_name and q.source_file = r.source_file and q.row_number = r.row_number"
    )
    con.unregister("_returning")


def _load(con: duckdb.DuckDBPyConnection, rows: pl.DataFrame, run_id: str, now: datetime) -> None:
    """Accepted rows go into raw from their quarantined records, with the provenance ingestion gave them; their quarantine rows are marked released."""
    if rows.is_empty():
        return
    for table in rows["table_name"].unique():
        columns = list(RAW_TABLES[table].column_names)
        create_raw_table(con, table, columns)
        mine = rows.filter(pl.col("table_name") == table).select(pl.col("source_file").alias("_source_file"), pl.col("row_number").alias(ROW_NUMBER))
        records = _records(con, table).join(mine, on=["_source_file", ROW_NUMBER], how="semi")
        loaded = records.select(
            *columns,
            "_source_file",
            "_sha256",
            ROW_NUMBER,
            pl.col("_collection_year").cast(pl.Int32),
            "_load_run_id",
            pl.lit(now).alias("_loaded_at"),
            EXTRA_COLUMNS,
            pl.lit(run_id).alias(RELEASE_COLUMN),
        )
        con.register("_releasing", loaded.to_arrow())
        con.execute(f"insert into raw.{table} by name select * from _releasing")
        con.unregister("_releasing")
    con.register("_released", rows.to_arrow())
    con.execute(
        "update quarantine.rejected_rows q set release_run_id = ?, released_at = ? from _released r "
        "where q.table_name = r.table_name and q.source_file = r.source_file and q.row_number = r.row_number",
        [run_id, now],
    )
    con.unregister("_released")


def _recount(con: duckdb.DuckDBPyConnection, files: pl.DataFrame) -> None:
    """The file registry's counts of the files a release touched, from the tables themselves."""
    con.register("_recounting", files.to_arrow())
    for table in files["table_name"].unique():
        con.execute(
            f"""
            update audit.ingested_files f set
                rows_loaded = (select count(*) from raw.{table} r where r._source_file = f.source_file),
                rows_released = (select count(*) from raw.{table} r where r._source_file = f.source_file and r.{RELEASE_COLUMN} is not null),
                rows_quarantined = (
                    select count(distinct q.row_number) from quarantine.rejected_rows q
                    where q.table_name = f.table_name and q.source_file = f.source_file and q.release_run_id is null
                )
            where f.table_name = ? and f.source_file in (select source_file from _recounting where table_name = ?)
            """,
            [table, table],
        )
    con.unregister("_recounting")


def _store_decisions(con: duckdb.DuckDBPyConnection, decisions: pl.DataFrame, run_id: str, now: datetime) -> None:
    """Every decision into quarantine.release_decisions, each in force with the rows it accepted that are now in raw."""
    history = decisions.with_row_index("position")
    in_force = active_decisions(history)
    released = con.sql(f"select {', '.join(DECISION_KEY)} from quarantine.rejected_rows where release_run_id is not null").pl()
    rows_released = {decision["position"][0]: released.filter(accepts(decision)).select(ROW_KEY).unique().height for decision in in_force.iter_slices(1)}
    stored = history.with_columns(
        pl.col("position").is_in(in_force["position"].implode()).alias("active"),
        pl.col("position").replace_strict(rows_released, default=None, return_dtype=pl.Int64).alias("rows_released"),
        pl.lit(run_id).alias("release_run_id"),
        pl.lit(now).alias("loaded_at"),
    ).drop("position")
    con.execute(f"delete from {DECISIONS_TABLE}")
    con.register("_decisions", stored.to_arrow())
    con.execute(f"insert into {DECISIONS_TABLE} by name select * replace (cast(decided_at as timestamptz) as decided_at) from _decisions")
    con.unregister("_decisions")


def check_up_to_date(con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse no ingestion or release of this Hearth has written to (one opened read-only cannot be brought up to date) is refused in words."""
    found = con.execute(
        "select count(*) from duckdb_columns() where schema_name = 'quarantine' "
        "and (table_name, column_name) in (('rejected_rows', 'release_run_id'), ('release_decisions', 'active'))"
    ).fetchone()[0]
    if found < 2:
        raise ValueError("this warehouse has no quarantine releases yet: `hearth quarantine release` (or the next ingestion run) adds their tables")


def held_back(con: duckdb.DuckDBPyConnection, table: str | None = None, limit: int = 50) -> pl.DataFrame:
    """Rows held in quarantine and released, by table and rule, or for one table by rule, column and offending value."""
    by = "table_name, rule, column_name, offending_value" if table else "table_name, rule"
    return con.execute(
        f"""
        select {by},
            count(distinct (source_file, row_number)) filter (where release_run_id is null) as held,
            count(distinct (source_file, row_number)) filter (where release_run_id is not null) as released
        from quarantine.rejected_rows where ?::varchar is null or table_name = ?
        group by all order by held desc, released desc, {by} limit ?
        """,
        [table, table, limit],
    ).pl()
