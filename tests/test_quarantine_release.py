"""Quarantine review and release: a steward's accepted values reach raw with their provenance, once;
they leave again when the decision is withdrawn; ingestion applies decisions in force to the files it
loads; and every file reconciles throughout (rows read = rows in raw + rows held in quarantine)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import duckdb
import polars as pl
import pytest

from hearth.cli import main
from ingestion.load import ingest
from ingestion.quarantine import release
from ingestion.quarantine_decisions import ACCEPT, WITHDRAW, active_decisions, read_decisions, record_decision, table_rules
from ingestion.registry import SOURCES_BY_NAME
from orchestration.assets.raw import reconcile
from orchestration.settings import DBT_PROJECT_DIR, dbt_warehouse_vars
from validations.raw_schemas import RAW_TABLES

HES_2023 = "hes_apc/2023/hes_apc_2023.csv"
NHS_RULE = "nhs_number_modulus_11"
CODE_RULE = "code_list:HES ethnic category"


@pytest.fixture
def database(warehouse, tmp_path: Path) -> Path:
    copy = tmp_path / "hearth.duckdb"
    shutil.copy(warehouse[0], copy)
    return copy


def unreconciled(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    years = [year for (year,) in con.sql("select distinct collection_year from audit.ingested_files").fetchall()]
    return [(table, *row) for table in RAW_TABLES for row in reconcile(con, table, years) if row[1] != row[2] + row[3]]


def quarantined(con: duckdb.DuckDBPyConnection, rule: str, source_file: str) -> pl.DataFrame:
    """The rows of a file whose only failure is `rule`, with the offending value and provenance."""
    return con.execute(
        "select row_number, any_value(offending_value) as offending_value, any_value(sha256) as sha256, any_value(load_run_id) as load_run_id "
        "from quarantine.rejected_rows where table_name = 'hes_apc' and source_file = ? group by row_number "
        "having count(*) = 1 and any_value(rule) = ? order by row_number",
        [source_file, rule],
    ).pl()


def registered(con: duckdb.DuckDBPyConnection, source_file: str) -> tuple[int, int, int, int]:
    return con.execute(
        "select rows_read, rows_loaded, rows_quarantined, rows_released from audit.ingested_files where source_file = ?", [source_file]
    ).fetchone()


def test_release_loads_accepted_rows_once_and_a_withdrawal_takes_them_back(database: Path, tmp_path: Path) -> None:
    decisions = tmp_path / "decisions.csv"
    with duckdb.connect(str(database)) as con:
        accepted = quarantined(con, NHS_RULE, HES_2023)
        # A row quarantined as a duplicate also repeats an earlier row's EPIKEY: accepting the duplicate alone keeps it.
        twin = con.execute(
            "select row_number from quarantine.rejected_rows where source_file = ? group by row_number "
            "having list_sort(list(rule)) = ['duplicate_row', 'unique_key:EPIKEY'] order by row_number limit 1",
            [HES_2023],
        ).fetchone()[0]
        # Rows failing the NHS number check and another rule too: the NHS decision touches them, the other keeps them.
        partly = con.execute(
            "select count(*) from (select row_number from quarantine.rejected_rows where source_file = ? group by row_number "
            "having count(*) > 1 and list_contains(list(rule), ?))",
            [HES_2023, NHS_RULE],
        ).fetchone()[0]
        read, loaded, held, _ = registered(con, HES_2023)
        raw_rows = con.sql("select count(*) from raw.hes_apc").fetchone()[0]
        failures = con.sql("select count(*) from quarantine.rejected_rows").fetchone()[0]
    n = accepted.height  # rows whose only failure is the NHS number check
    assert n > 0 and accepted["load_run_id"].unique().to_list() == ["test"]

    record_decision(decisions, ACCEPT, table="hes_apc", rule=NHS_RULE, source_file=HES_2023, reviewer="a.steward", reason="the trust confirmed them")
    record_decision(decisions, ACCEPT, table="hes_apc", rule="duplicate_row", source_file=HES_2023, row_number=twin, reviewer="a.steward", reason="resent")
    with duckdb.connect(str(database)) as con:
        first = release(con, read_decisions(decisions), "release-1")
        assert (first.released, first.returned, first.unchanged, first.kept) == (n, 0, 0, 1 + partly)
        in_raw = con.execute(
            "select _row_number as row_number, NEWNHSNO as offending_value, _sha256 as sha256, _load_run_id as load_run_id from raw.hes_apc "
            "where _source_file = ? and _release_run_id = 'release-1' order by 1",
            [HES_2023],
        ).pl()
        assert in_raw.equals(accepted)  # the values as sent, with the file's sha256 and the run that read them
        assert con.execute("select count(*) from raw.hes_apc where _source_file = ? and _row_number = ?", [HES_2023, twin]).fetchone()[0] == 0
        assert con.sql("select count(*) from quarantine.rejected_rows").fetchone()[0] == failures  # nothing leaves the quarantine
        marked = con.sql("select list(distinct row_number order by row_number) from quarantine.rejected_rows where release_run_id = 'release-1'").fetchone()[0]
        assert marked == accepted["row_number"].to_list()
        assert registered(con, HES_2023) == (read, loaded + n, held - n, n)
        assert unreconciled(con) == []
        assert con.sql("select decision, active, rows_released from quarantine.release_decisions").fetchall() == [(ACCEPT, True, n), (ACCEPT, True, 0)]

        again = release(con, read_decisions(decisions), "release-2")
        assert (again.released, again.returned, again.unchanged, again.kept) == (0, 0, n, 1 + partly)
        assert con.sql("select count(*) from raw.hes_apc").fetchone()[0] == raw_rows + n
        assert con.sql("select count(*) from (select distinct _source_file, _row_number from raw.hes_apc)").fetchone()[0] == raw_rows + n
        assert con.sql("select count(*) from raw.hes_apc where _release_run_id = 'release-1'").fetchone()[0] == n

    record_decision(decisions, WITHDRAW, table="hes_apc", rule=NHS_RULE, source_file=HES_2023, reviewer="b.steward", reason="the trust withdrew it")
    with duckdb.connect(str(database)) as con:
        withdrawn = release(con, read_decisions(decisions), "release-3")
        assert (withdrawn.released, withdrawn.returned, withdrawn.unchanged, withdrawn.kept) == (0, n, 0, 1)
        assert con.sql("select count(*) from raw.hes_apc").fetchone()[0] == raw_rows
        assert con.sql("select count(*) from quarantine.rejected_rows where release_run_id is not null").fetchone()[0] == 0
        assert registered(con, HES_2023) == (read, loaded, held, 0)
        assert unreconciled(con) == []
        history = con.sql("select decision, reviewer, active, rows_released from quarantine.release_decisions").fetchall()
        assert history == [(ACCEPT, "a.steward", False, None), (ACCEPT, "a.steward", True, 0), (WITHDRAW, "b.steward", False, None)]


def test_released_rows_reach_staging_on_the_next_build(database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An NHS number confirmed by hand, and a new local ethnicity code: both reach staging, and the
    code-list test, which judges every other row, passes over the accepted code."""
    decisions = str(tmp_path / "decisions.csv")
    with duckdb.connect(str(database), read_only=True) as con:
        accepted = quarantined(con, NHS_RULE, HES_2023)
        (new_code_rows,) = con.execute(
            "select count(*) from (select source_file, row_number from quarantine.rejected_rows where table_name = 'hes_apc' "
            "group by all having count(*) = 1 and any_value(rule) = ? and any_value(offending_value) = '99X')",
            [CODE_RULE],
        ).fetchone()
    steward = ["--reviewer", "a", "--reason", "confirmed", "--decisions", decisions]
    assert main(["quarantine", "accept", "--table", "hes_apc", "--rule", NHS_RULE, "--source-file", HES_2023, *steward]) == 0
    assert main(["quarantine", "accept", "--table", "hes_apc", "--rule", CODE_RULE, "--column", "ETHNOS", "--value", "99X", *steward]) == 0
    assert main(["quarantine", "release", "--warehouse", str(database), "--decisions", decisions]) == 0
    assert new_code_rows > 0
    assert f"{accepted.height + new_code_rows} row(s) released into raw, 0 returned to quarantine" in capsys.readouterr().out
    build = subprocess.run(
        ["dbt", "build", "--select", "stg_hes_apc__episodes", "--profiles-dir", ".", "--target-path", str(tmp_path / "target"), *dbt_warehouse_vars(database)],
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout[-3000:]
    with duckdb.connect(str(database), read_only=True) as con:
        staged = con.execute(
            "select row_number, nhs_number from staging.stg_hes_apc__episodes where source_file = ? and list_contains(?, row_number) order by 1",
            [HES_2023, accepted["row_number"].to_list()],
        ).fetchall()
    assert staged == list(accepted.select("row_number", "offending_value").iter_rows())
    with duckdb.connect(str(database), read_only=True) as con:
        codes = con.sql("select count(*), count(release_run_id) from staging.stg_hes_apc__episodes where ethnicity_code = '99X'").fetchone()
    assert codes == (new_code_rows, new_code_rows)


def test_ingestion_applies_decisions_in_force_to_a_replaced_file(warehouse, database: Path, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "hes_apc" / "2023").mkdir(parents=True)
    original = warehouse[1].parent / "landing" / HES_2023
    decisions = tmp_path / "decisions.csv"
    with duckdb.connect(str(database)) as con:
        value = quarantined(con, NHS_RULE, HES_2023).row(0, named=True)
        record_decision(decisions, ACCEPT, table="hes_apc", rule=NHS_RULE, value=value["offending_value"], reviewer="a", reason="known-good number")
        assert release(con, read_decisions(decisions), "release-1").released == 1
        read, loaded, held, _ = registered(con, HES_2023)
        # The trust resends the file with Windows line endings: a new sha256, the same rows.
        (landing / HES_2023).write_bytes(original.read_bytes().replace(b"\n", b"\r\n"))
        run = ingest(con, SOURCES_BY_NAME["hes_apc"], [2023], landing, "reingest")
        (file,) = run.files
        assert (file.status, file.rows_read, file.rows_loaded, file.rows_quarantined) == ("replaced", read, loaded, held)
        assert con.execute(
            "select _release_run_id, _load_run_id, NEWNHSNO from raw.hes_apc where _source_file = ? and _row_number = ?", [HES_2023, value["row_number"]]
        ).fetchone() == ("reingest", "reingest", value["offending_value"])
        assert con.execute(
            "select distinct release_run_id from quarantine.rejected_rows where row_number = ? and source_file = ?", [value["row_number"], HES_2023]
        ).fetchall() == [("reingest",)]
        assert registered(con, HES_2023) == (read, loaded, held, 1)
        assert unreconciled(con) == []
        after = release(con, read_decisions(decisions), "release-2")
        assert (after.released, after.returned, after.unchanged) == (0, 0, 1)


def test_the_latest_decision_on_a_key_wins(tmp_path: Path) -> None:
    path = tmp_path / "decisions.csv"
    key = {"table": "school_census", "rule": "code_list:DfE ethnicity", "column": "EthnicGroupMinor", "value": "ZZ"}
    record_decision(path, ACCEPT, reviewer="a", reason="local code", **key)
    record_decision(path, WITHDRAW, reviewer="b", reason="recoded by the LA", **key)
    record_decision(path, ACCEPT, reviewer="c", reason="the LA kept it", **key)
    record_decision(path, ACCEPT, table="hes_apc", rule=NHS_RULE, source_file=HES_2023, row_number=108, reviewer="a", reason="checked")
    record_decision(path, WITHDRAW, table="hes_apc", rule=NHS_RULE, source_file=HES_2023, row_number=108, reviewer="a", reason="not after all")
    history = read_decisions(path)
    assert history["decision"].to_list() == [ACCEPT, WITHDRAW, ACCEPT, ACCEPT, WITHDRAW]
    assert active_decisions(history).select("offending_value", "reviewer").rows() == [("ZZ", "c")]
    # Frame rules are known by the columns they read, as quarantine names them.
    assert table_rules("ssda903_episodes")["exists_in:ssda903_header.CHILD"] == {"CHILD"}


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        (["--table", "hes_ap", "--rule", NHS_RULE, "--value", "1"], "unknown table 'hes_ap'"),
        (["--table", "hes_apc", "--rule", "nhs_modulus", "--value", "1"], "table hes_apc has no rule 'nhs_modulus'"),
        (["--table", "hes_apc", "--rule", NHS_RULE, "--column", "UPN", "--value", "1"], "fails on NEWNHSNO, not on 'UPN'"),
        (["--table", "hes_apc", "--rule", NHS_RULE], "a decision names an offending value or a source file"),
    ],
)
def test_a_decision_naming_what_does_not_exist_is_refused(arguments: list[str], problem: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    decisions = tmp_path / "decisions.csv"
    steward = ["--reviewer", "a", "--reason", "b", "--decisions", str(decisions)]
    assert main(["quarantine", "accept", *arguments, *steward]) == 2
    assert problem in capsys.readouterr().err
    assert not decisions.exists()
    assert main(["quarantine", "withdraw", "--table", "hes_apc", "--rule", NHS_RULE, "--value", "1", *steward]) == 2
    assert "no decision in force to withdraw" in capsys.readouterr().err
