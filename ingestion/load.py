"""Load one source's extracts for one collection year into DuckDB: validated rows to `raw`,
rejected rows to `quarantine`, and a file registry in `audit` that makes loading idempotent.

Nothing is lost: for every file and table, rows read = rows loaded + rows quarantined. A file
already loaded with the same sha256 is skipped; a changed file replaces its earlier rows. All
writes of a partition happen in one transaction, so a failure leaves the warehouse as it was.

A row whose every failure a steward has accepted (the decisions in `quarantine.release_decisions`,
which `hearth quarantine release` keeps; see `ingestion/quarantine.py`) is quarantined as any other,
marked released by the run, and loaded too: it counts as loaded, not quarantined, and the quarantine
keeps what was accepted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandera.polars as pa
import polars as pl

from validations.raw_checks import RULE_COLUMNS, RULE_MESSAGES
from validations.raw_schemas import FILE_COLUMN, PERIOD_END_COLUMN, RAW_TABLES, RETURN_COLUMN, YEAR_COLUMN, ValidationContext

from .bookkeeping import create_bookkeeping_table
from .files import EXTRA_COLUMNS, ROW_NUMBER, FileRejected, decode, read_cin_xml, read_csv_extract, read_csww_xml, sha256_file
from .landing import files_for
from .quarantine_decisions import accepted_rows, decisions_in_force
from .registry import Source

RELEASE_COLUMN = "_release_run_id"  # in raw: the run that released a row a steward accepted (null for a row that passed)

REJECTION_COLUMNS = {"rule": pl.Utf8, "column_name": pl.Utf8, "offending_value": pl.Utf8, "record": pl.Utf8}
QUARANTINE_COLUMNS = {
    "table_name": pl.Utf8,
    "source_file": pl.Utf8,
    "sha256": pl.Utf8,
    "collection_year": pl.Int32,
    "row_number": pl.Int64,
    "rule": pl.Utf8,
    "column_name": pl.Utf8,
    "offending_value": pl.Utf8,
    "message": pl.Utf8,
    "record": pl.Utf8,
    "load_run_id": pl.Utf8,
    "quarantined_at": pl.Datetime("us", "UTC"),
    "release_run_id": pl.Utf8,
    "released_at": pl.Datetime("us", "UTC"),
}


@dataclass
class FileLoad:
    table: str
    source_file: str
    sha256: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    status: str  # loaded, replaced or unchanged
    failures_by_rule: dict[str, int] = field(default_factory=dict)
    encoding: str = ""  # utf-8, utf-8-sig (with a byte-order mark) or cp1252
    extra_columns: tuple[str, ...] = ()  # kept in raw's EXTRA_COLUMNS and reported, not refused


@dataclass
class IngestionRun:
    """What one run did for one source across its collection years."""

    source: str
    years: list[int]
    files: list[FileLoad]
    seconds_read: float = 0.0
    seconds_validate: float = 0.0
    seconds_write: float = 0.0

    def for_table(self, table: str) -> list[FileLoad]:
        return [f for f in self.files if f.table == table]


@dataclass
class _Pending:
    year: int
    rel: str
    sha256: str
    table: str
    frame: pl.DataFrame  # with FILE_COLUMN, RETURN_COLUMN, YEAR_COLUMN and PERIOD_END_COLUMN
    status: str
    encoding: str
    extra_columns: tuple[str, ...]


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    """The raw schema and the bookkeeping tables ingestion writes."""
    con.execute("create schema if not exists raw")
    for table in ("quarantine.rejected_rows", "quarantine.release_decisions", "audit.ingested_files", "audit.validation_results"):
        create_bookkeeping_table(con, table)


UNEXPECTED_COLUMNS_RULE = "unexpected_columns"  # a warning in audit.validation_results: `unexpected_columns:<names>`


def _read(path: Path, kind_reader: str, tables: tuple[str, ...], year: int) -> tuple[dict[str, pl.DataFrame], str, tuple[str, ...]]:
    """Each table's rows from one file, the file's encoding and the columns it carries undeclared."""
    if kind_reader == "cin_xml":
        return read_cin_xml(path), decode(path)[1], ()
    if kind_reader == "csww_xml":
        return read_csww_xml(path), decode(path)[1], ()
    (table,) = tables
    rules = RAW_TABLES[table]
    extract = read_csv_extract(path, rules.column_names, rules.expected_columns(year))
    return {table: extract.frame}, extract.encoding, extract.extra_columns


def ingest_partition(con: duckdb.DuckDBPyConnection, source: Source, year: int, landing: Path, run_id: str) -> IngestionRun:
    """Read, validate and load every extract of `source` for one collection `year`."""
    return ingest(con, source, [year], landing, run_id)


def _landed_files(source: Source, year: int, landing: Path) -> list[Path]:
    paths = files_for(landing, source.name, year)
    if not paths and source.collected_every_year:
        raise FileRejected(landing / source.name / str(year), f"no {source.name} extract for collection year {year}")
    for path in paths:
        if source.kind_of(path.name) is None:
            patterns = ", ".join(k.pattern for k in source.files)
            raise FileRejected(path, f"unknown file: not a {source.name} extract (expected {patterns})")
    return paths


def ingest(con: duckdb.DuckDBPyConnection, source: Source, years: list[int], landing: Path, run_id: str) -> IngestionRun:
    """Read, validate and load every extract of `source` for the collection `years`, atomically.

    All files of a table are validated in one pandera pass: rules on keys and duplicates are
    scoped to a file, cross-table rules to a return and dates to each row's collection period, so
    batching changes no verdict, only the fixed cost per pass.
    """
    landed = {year: _landed_files(source, year, landing) for year in years}
    result = IngestionRun(source.name, list(years), [])
    if not any(landed.values()):
        return result
    ensure_schemas(con)
    registered = dict(
        con.execute(
            "select table_name || '|' || source_file, sha256 from audit.ingested_files where source = ? and collection_year in (select unnest(?::integer[]))",
            [source.name, list(years)],
        ).fetchall()
    )
    started = time.perf_counter()
    pending: list[_Pending] = []
    for year, paths in landed.items():
        for path in paths:
            kind = source.kind_of(path.name)
            rel = path.relative_to(landing).as_posix()
            sha = sha256_file(path)
            tags = (
                pl.lit(rel).alias(FILE_COLUMN),
                pl.lit(source.return_of(path.name)).alias(RETURN_COLUMN),
                pl.lit(year, dtype=pl.Int32).alias(YEAR_COLUMN),
                pl.lit(source.period_end(year)).alias(PERIOD_END_COLUMN),
            )
            frames, encoding, extra = _read(path, kind.reader, kind.tables, year)
            for table, frame in frames.items():
                previous = registered.get(f"{table}|{rel}")
                status = "unchanged" if previous == sha else ("replaced" if previous else "loaded")
                pending.append(_Pending(year, rel, sha, table, frame.with_columns(*tags), status, encoding, extra))
    result.seconds_read = time.perf_counter() - started

    started = time.perf_counter()
    companions = {table: pl.concat([p.frame for p in pending if p.table == table]) for table in source.tables if any(p.table == table for p in pending)}
    ctx = ValidationContext(companions=companions)
    to_write: list[tuple[_Pending, pl.DataFrame, pl.DataFrame]] = []
    for table in source.tables:
        items = [p for p in pending if p.table == table]
        result.files.extend(_registered_load(con, p) for p in items if p.status == "unchanged")
        changed = [p for p in items if p.status != "unchanged"]
        if not changed:
            continue
        valid, rejected = validate(table, pl.concat([p.frame for p in changed]), ctx)
        valid_by_file = valid.partition_by(FILE_COLUMN, as_dict=True)
        rejected_by_file = rejected.partition_by(FILE_COLUMN, as_dict=True)
        for item in changed:
            key = (item.rel,)
            to_write.append((item, valid_by_file.get(key, valid.clear()), rejected_by_file.get(key, rejected.clear())))
    result.seconds_validate = time.perf_counter() - started

    started = time.perf_counter()
    now = datetime.now(UTC)
    accepted = decisions_in_force(con)
    con.execute("begin transaction")
    try:
        for item, valid, rejected in to_write:
            result.files.append(_write(con, source, item, valid, rejected, accepted, run_id, now))
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    result.seconds_write = time.perf_counter() - started
    return result


def validate(table: str, frame: pl.DataFrame, ctx: ValidationContext) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a frame into rows that pass every rule and one rejection per (row, broken rule).

    Rejections carry the row's file, row number and the whole record as JSON.
    """
    try:
        RAW_TABLES[table].schema(ctx).validate(frame, lazy=True)
        return frame, pl.DataFrame(schema={FILE_COLUMN: pl.Utf8, ROW_NUMBER: pl.Int64, **REJECTION_COLUMNS})
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    if cases["index"].null_count():
        problems = cases.filter(pl.col("index").is_null())
        raise FileRejected(table, "schema problem: " + "; ".join(f"{r['column']}: {r['check']}" for r in problems.iter_rows(named=True)))
    cases = cases.with_columns(pl.col("index").cast(pl.Int64))
    on_column = cases.filter(pl.col("schema_context") == "Column").select(
        "index", pl.col("check").alias("rule"), pl.col("column").alias("column_name"), pl.col("failure_case").alias("offending_value")
    )
    on_frame = [_frame_rule_values(frame, rule, group["index"]) for (rule,), group in cases.filter(pl.col("schema_context") != "Column").group_by("check")]
    rejected = pl.concat([on_column, *on_frame], how="vertical_relaxed")
    data_columns = list(RAW_TABLES[table].column_names) + ([EXTRA_COLUMNS] if EXTRA_COLUMNS in frame.columns else [])
    bad = frame.with_row_index("index")["index"].cast(pl.Int64).is_in(cases["index"].unique().implode())
    records = (
        frame.with_row_index("index")
        .filter(bad)
        .select(pl.col("index").cast(pl.Int64), FILE_COLUMN, ROW_NUMBER, pl.struct(data_columns).struct.json_encode().alias("record"))
    )
    return frame.filter(~bad), rejected.join(records, on="index", how="left").drop("index")


def _frame_rule_values(frame: pl.DataFrame, rule: str, index: pl.Series) -> pl.DataFrame:
    columns = RULE_COLUMNS.get(rule, ())
    rows = frame[index.to_list()]
    values = (
        pl.concat_str([pl.lit(f"{c}=") + pl.col(c).cast(pl.Utf8).fill_null("") for c in columns], separator="; ") if columns else pl.lit(None, dtype=pl.Utf8)
    )
    return rows.select(
        pl.Series("index", index, dtype=pl.Int64),
        pl.lit(rule).alias("rule"),
        pl.lit(",".join(columns) or None, dtype=pl.Utf8).alias("column_name"),
        values.alias("offending_value"),
    )


def _registered_load(con: duckdb.DuckDBPyConnection, item: _Pending) -> FileLoad:
    rows = con.execute(
        "select rows_read, rows_loaded, rows_quarantined from audit.ingested_files where table_name = ? and source_file = ?", [item.table, item.rel]
    ).fetchone()
    return FileLoad(item.table, item.rel, item.sha256, rows[0], rows[1], rows[2], "unchanged", encoding=item.encoding, extra_columns=item.extra_columns)


def create_raw_table(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> None:
    """Create the raw table, or add columns the registry (or the loader) has gained since (earlier rows read null)."""
    data = ", ".join(f'"{c}" varchar' for c in columns)
    con.execute(
        f"create table if not exists raw.{table} ({data}, _source_file varchar, _sha256 varchar, _row_number bigint, "
        f"_collection_year integer, _load_run_id varchar, _loaded_at timestamptz, {EXTRA_COLUMNS} json, {RELEASE_COLUMN} varchar)"
    )
    existing = {
        name.lower() for (name,) in con.execute("select column_name from duckdb_columns() where schema_name = 'raw' and table_name = ?", [table]).fetchall()
    }
    for column, kind in [*((c, "varchar") for c in columns), (EXTRA_COLUMNS, "json"), (RELEASE_COLUMN, "varchar")]:
        if column.lower() not in existing:
            con.execute(f'alter table raw.{table} add column "{column}" {kind}')


def _write(con, source: Source, item: _Pending, valid: pl.DataFrame, rejected: pl.DataFrame, accepted: pl.DataFrame, run_id: str, now: datetime) -> FileLoad:
    table, rel, year = item.table, item.rel, item.year
    data_columns = list(RAW_TABLES[table].column_names)
    create_raw_table(con, table, data_columns)
    # A changed file replaces everything an earlier version of it left behind.
    con.execute(f"delete from raw.{table} where _source_file = ?", [rel])
    for ledger in ("quarantine.rejected_rows", "audit.ingested_files"):
        con.execute(f"delete from {ledger} where table_name = ? and source_file = ?", [table, rel])
    quarantined = _quarantine_rows(item, rejected, table, year, run_id, now)
    accepted_numbers = accepted_rows(quarantined, accepted)["row_number"]
    released = accepted_numbers.implode()
    is_released = pl.col("row_number").is_in(released)
    quarantined = quarantined.with_columns(
        pl.when(is_released).then(pl.lit(run_id)).alias("release_run_id"), pl.when(is_released).then(pl.lit(now)).alias("released_at")
    )
    loaded = pl.concat([valid, item.frame.filter(pl.col(ROW_NUMBER).is_in(released))]).select(
        *data_columns,
        pl.lit(rel).alias("_source_file"),
        pl.lit(item.sha256).alias("_sha256"),
        pl.col(ROW_NUMBER).alias("_row_number"),
        pl.lit(year, dtype=pl.Int32).alias("_collection_year"),
        pl.lit(run_id).alias("_load_run_id"),
        pl.lit(now).alias("_loaded_at"),
        pl.col(EXTRA_COLUMNS) if EXTRA_COLUMNS in valid.columns else pl.lit(None, dtype=pl.Utf8).alias(EXTRA_COLUMNS),
        pl.when(pl.col(ROW_NUMBER).is_in(released)).then(pl.lit(run_id)).alias(RELEASE_COLUMN),
    )
    con.register("_loading", loaded.to_arrow())
    con.execute(f"insert into raw.{table} by name select * from _loading")
    con.unregister("_loading")

    con.register("_quarantine", quarantined.to_arrow())
    con.execute("insert into quarantine.rejected_rows by name select * from _quarantine")
    con.unregister("_quarantine")

    rows_quarantined = (int(rejected[ROW_NUMBER].n_unique()) if rejected.height else 0) - accepted_numbers.len()
    failures = dict(rejected.group_by("rule").len().iter_rows()) if rejected.height else {}
    con.execute(
        "insert into audit.ingested_files (source, collection_year, table_name, source_file, sha256, rows_read, rows_loaded, rows_quarantined, "
        "load_run_id, loaded_at, encoding, rows_released) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [source.name, year, table, rel, item.sha256, item.frame.height, loaded.height, rows_quarantined, run_id, now, item.encoding, accepted_numbers.len()],
    )
    results = [(run_id, now, source.name, year, table, rel, rule, count, item.frame.height) for rule, count in failures.items()]
    results.append((run_id, now, source.name, year, table, rel, "*", rows_quarantined, item.frame.height))
    if item.extra_columns:  # a warning: every row keeps the undeclared columns' values
        results.append(
            (run_id, now, source.name, year, table, rel, f"{UNEXPECTED_COLUMNS_RULE}:{','.join(item.extra_columns)}", item.frame.height, item.frame.height)
        )
    con.executemany(
        "insert into audit.validation_results (load_run_id, checked_at, source, collection_year, table_name, source_file, rule, failures, rows_checked) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        results,
    )
    return FileLoad(table, rel, item.sha256, item.frame.height, loaded.height, rows_quarantined, item.status, failures, item.encoding, item.extra_columns)


def _quarantine_rows(item: _Pending, rejected: pl.DataFrame, table: str, year: int, run_id: str, now: datetime) -> pl.DataFrame:
    if not rejected.height:
        return pl.DataFrame(schema=QUARANTINE_COLUMNS)
    messages = pl.col("rule").replace_strict(RULE_MESSAGES, default=pl.col("rule"), return_dtype=pl.Utf8)
    return rejected.select(
        pl.lit(table).alias("table_name"),
        pl.lit(item.rel).alias("source_file"),
        pl.lit(item.sha256).alias("sha256"),
        pl.lit(year, dtype=pl.Int32).alias("collection_year"),
        pl.col(ROW_NUMBER).alias("row_number"),
        "rule",
        "column_name",
        "offending_value",
        messages.alias("message"),
        "record",
        pl.lit(run_id).alias("load_run_id"),
        pl.lit(now).alias("quarantined_at"),
    ).sort("row_number", "rule")
