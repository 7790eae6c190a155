"""The SSDA903 tables: ingestion's rules declare exactly the specification's columns, and a table an LA
sends with no rows (a header-only file) loads as zero rows rather than being refused."""

from __future__ import annotations

from pathlib import Path

import duckdb

from code_lists.ssda903 import TABLE_COLUMNS
from ingestion.load import ingest_partition
from ingestion.registry import SOURCES_BY_NAME
from validations.raw_schemas import RAW_TABLES

HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n100001,1,01/02/2010,WBRI,,,\n"
EPISODE = "100001,01/05/2021,S,C1,N1,U6,PR1,,,,NM1 1AB,NM2 2AB,SC123456\n"


def test_raw_rules_declare_the_specification_columns_of_every_table() -> None:
    source = SOURCES_BY_NAME["ssda903"]
    assert source.tables == tuple(f"ssda903_{suffix}" for suffix in TABLE_COLUMNS)
    for suffix, columns in TABLE_COLUMNS.items():
        assert RAW_TABLES[f"ssda903_{suffix}"].column_names == columns, suffix
    assert "URN" in RAW_TABLES["ssda903_episodes"].column_names


def _return(folder: Path, empty: set[str]) -> None:
    """One LA's 2022 return: a child with one episode; the tables in `empty` header-only."""
    folder.mkdir(parents=True)
    rows = {"header": HEADER.split("\n", 1)[1], "episodes": EPISODE}
    for suffix, columns in TABLE_COLUMNS.items():
        body = "" if suffix in empty else rows.get(suffix, "")
        (folder / f"ssda903_951_2022_{suffix}.csv").write_text(",".join(columns) + "\n" + body, encoding="utf-8")


def test_header_only_tables_load_as_zero_rows_and_reconcile(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    empty = set(TABLE_COLUMNS) - {"header", "episodes"}
    _return(landing / "ssda903" / "2022", empty)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    run = ingest_partition(con, SOURCES_BY_NAME["ssda903"], 2022, landing, "r")
    assert len(run.files) == len(TABLE_COLUMNS)
    audit = dict(con.sql("select table_name, rows_read from audit.ingested_files where rows_read = rows_loaded + rows_quarantined").fetchall())
    assert audit == {f"ssda903_{suffix}": (0 if suffix in empty else 1) for suffix in TABLE_COLUMNS}
    assert con.sql("select URN from raw.ssda903_episodes").fetchall() == [("SC123456",)]
    assert con.sql("select count(*) from quarantine.rejected_rows").fetchone() == (0,)
    for suffix in empty:
        assert con.sql(f"select count(*) from raw.ssda903_{suffix}").fetchone() == (0,)
