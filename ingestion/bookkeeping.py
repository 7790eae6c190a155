"""The warehouse's bookkeeping tables, all in one place: what landed, what was loaded, what was
quarantined and why (and which quarantined values stewards accepted), what every gate said, how
linkage scored, and which runs failed.

Data tables are written by the stage that owns them (raw by ingestion, models by dbt, linkage by
`linkage/`); these tables are appended to by several stages, so their columns live here once and
every writer creates them the same way.
"""

from __future__ import annotations

import duckdb

BOOKKEEPING_TABLES: dict[str, str] = {
    "landing.file_inventory": """
        source varchar not null, collection_year integer not null, path varchar not null, size_bytes bigint not null,
        sha256 varchar not null, modified_at timestamptz not null, inventoried_at timestamptz not null
    """,
    "quarantine.rejected_rows": """
        table_name varchar, source_file varchar, sha256 varchar, collection_year integer, row_number bigint,
        rule varchar, column_name varchar, offending_value varchar, message varchar, record varchar,
        load_run_id varchar, quarantined_at timestamptz, release_run_id varchar, released_at timestamptz
    """,
    "quarantine.release_decisions": """
        table_name varchar, rule varchar, column_name varchar, offending_value varchar, source_file varchar, row_number bigint,
        decision varchar, reviewer varchar, decided_at timestamptz, reason varchar, active boolean, rows_released bigint,
        release_run_id varchar, loaded_at timestamptz
    """,
    "audit.ingested_files": """
        source varchar, collection_year integer, table_name varchar, source_file varchar, sha256 varchar,
        rows_read bigint, rows_loaded bigint, rows_quarantined bigint, load_run_id varchar, loaded_at timestamptz,
        encoding varchar, rows_released bigint,
        primary key (table_name, source_file)
    """,
    "audit.validation_results": """
        load_run_id varchar, checked_at timestamptz, source varchar, collection_year integer, table_name varchar,
        source_file varchar, rule varchar, failures bigint, rows_checked bigint,
        validator varchar, rule_message varchar, la_code varchar, child_id varchar, column_name varchar, row_number bigint
    """,
    "audit.gate_results": """
        run_id varchar, checked_at timestamptz, tool varchar, layer varchar, table_name varchar, gate varchar,
        rule varchar, critical boolean, passed boolean, observed varchar, threshold varchar
    """,
    "audit.linkage_evaluation": """
        run_id varchar, evaluated_at timestamptz, stage varchar, source varchar, metric varchar, value double, records bigint,
        breakdown varchar, category varchar
    """,
    "audit.run_failures": """
        run_id varchar, job_name varchar, failed_at timestamptz, partition_key varchar, message varchar, notified boolean
    """,
}


def relation_exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    """Whether `schema.name` is a table or view: a young warehouse lacks what later stages create."""
    schema, name = relation.split(".")
    return con.execute("select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, name]).fetchone()[0] > 0


def create_bookkeeping_table(con: duckdb.DuckDBPyConnection, table: str, *, named: str | None = None) -> None:
    """Create `table` (schema too) if it is missing, and add the columns it has gained since an
    existing warehouse made it (earlier rows read null); `named` (re)creates an empty twin under
    another name in the same schema, to fill and swap in whole."""
    schema = table.split(".")[0]
    con.execute(f"create schema if not exists {schema}")
    create = f"create or replace table {schema}.{named}" if named else f"create table if not exists {table}"
    con.execute(f"{create} ({BOOKKEEPING_TABLES[table]})")
    if named:
        return
    con.execute(f"create or replace temp table _bookkeeping_shape ({BOOKKEEPING_TABLES[table]})")
    wanted = con.execute("select column_name, column_type from (describe temp.main._bookkeeping_shape)").fetchall()
    existing = {column for (column, _) in con.execute(f"select column_name, column_type from (describe {table})").fetchall()}
    con.execute("drop table temp.main._bookkeeping_shape")
    for column, data_type in wanted:
        if column not in existing:
            con.execute(f'alter table {table} add column "{column}" {data_type}')
