"""The SSDA903 tables: ingestion's rules declare exactly the specification's columns, a table an LA
sends with no rows (a header-only file) loads as zero rows rather than being refused, and the header's
UPN field takes a UPN or the code saying why there is none."""

from __future__ import annotations

from pathlib import Path

import duckdb

from code_lists.identifiers import upn_check_letter
from code_lists.ssda903 import TABLE_COLUMNS
from ingestion.load import ingest_partition
from ingestion.registry import SOURCES_BY_NAME
from orchestration.settings import DBT_PROJECT_DIR
from validations.raw_schemas import RAW_TABLES

HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n100001,1,01/02/2010,WBRI,,,\n"
EPISODE = "100001,01/05/2021,S,C1,N1,U6,PR1,,,,NM1 1AB,NM2 2AB,SC123456\n"


def test_raw_rules_declare_the_specification_columns_of_every_table() -> None:
    source = SOURCES_BY_NAME["ssda903"]
    assert source.tables == tuple(f"ssda903_{suffix}" for suffix in TABLE_COLUMNS)
    for suffix, columns in TABLE_COLUMNS.items():
        assert RAW_TABLES[f"ssda903_{suffix}"].column_names == columns, suffix
    assert "URN" in RAW_TABLES["ssda903_episodes"].column_names


def _return(folder: Path, empty: set[str], header: str = HEADER) -> None:
    """One LA's 2022 return: a child with one episode (`header` gives the header's rows); the tables in `empty` header-only."""
    folder.mkdir(parents=True)
    rows = {"header": header.split("\n", 1)[1], "episodes": EPISODE}
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


def test_header_upn_is_a_upn_or_an_unknown_reason_and_staging_separates_them(tmp_path: Path) -> None:
    upn = str(upn_check_letter(["801200005001"])[0]) + "801200005001"
    upns = [upn, "UN1", "UN5", "UN7", "A" + upn[1:] if upn[0] != "A" else "B" + upn[1:], ""]
    header = HEADER.split("\n", 1)[0] + "\n" + "".join(f"{100001 + i},1,01/02/2010,WBRI,{value},,\n" for i, value in enumerate(upns))
    landing = tmp_path / "landing"
    _return(landing / "ssda903" / "2022", set(TABLE_COLUMNS) - {"header", "episodes"}, header)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ingest_partition(con, SOURCES_BY_NAME["ssda903"], 2022, landing, "r")
    rejected = con.sql("select row_number, rule from quarantine.rejected_rows where table_name = 'ssda903_header' order by 1").fetchall()
    # UN7 is a CIN code only; a UPN with the wrong check letter is no UPN either. A blank UPN is rule 442's, not the gate's.
    assert rejected == [(4, "upn_or_unknown_reason"), (5, "upn_or_unknown_reason")]
    staged = (DBT_PROJECT_DIR / "models" / "staging" / "stg_ssda903__children.sql").read_text(encoding="utf-8")
    upn_columns = [line.strip().rstrip(",") for line in staged.splitlines() if line.strip().startswith("case when regexp_matches(UPN")]
    values = con.sql(f"select {', '.join(upn_columns)} from (select unnest(?) as UPN)", params=[[upn, "UN1", "UN5"]]).fetchall()
    assert values == [(upn, None), (None, "UN1"), (None, "UN5")]
