"""Ingestion: every extract lands checked, bad rows are quarantined with their rule, nothing is lost."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from ingestion.files import FileRejected
from ingestion.load import ingest_partition
from ingestion.registry import SOURCES, SOURCES_BY_NAME
from orchestration.assets.raw import GATE_CHECK, RECONCILE_CHECK, IngestionGates, build_ingestion_asset
from orchestration.resources import HearthPaths, Warehouse
from synthetic_population.config import WorldConfig
from synthetic_population.world import generate_world

YEARS = (2019, 2020, 2021, 2022, 2023)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ingest_world")
    generate_world(WorldConfig(persons=3000, seed=12), root / "landing", root / "truth", root / "malformed")
    return root


@pytest.fixture(scope="module")
def loaded(world: Path, tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path_factory.mktemp("db") / "hearth.duckdb"))
    for source in SOURCES:
        for year in YEARS:
            ingest_partition(con, source, year, world / "landing", "run-1")
    return con


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = [t for (t,) in con.sql("select table_name from duckdb_tables() where schema_name = 'raw'").fetchall()]
    out = {t: con.sql(f"select count(*) from raw.{t}").fetchone()[0] for t in tables}
    out["quarantine"] = con.sql("select count(*) from quarantine.rejected_rows").fetchone()[0]
    return out


def truth(world: Path, name: str) -> pl.DataFrame:
    return pl.read_parquet(world / "truth" / f"{name}.parquet")


def test_every_file_reconciles_and_matches_the_records_written(world: Path, loaded) -> None:
    files = loaded.sql("select table_name, source_file, rows_read, rows_loaded, rows_quarantined from audit.ingested_files").pl()
    assert set(files["table_name"]) == {table for source in SOURCES for table in source.tables}
    for row in files.iter_rows(named=True):
        in_raw = loaded.execute(f"select count(*) from raw.{row['table_name']} where _source_file = ?", [row["source_file"]]).fetchone()[0]
        in_quarantine = loaded.execute(
            "select count(distinct row_number) from quarantine.rejected_rows where table_name = ? and source_file = ?", [row["table_name"], row["source_file"]]
        ).fetchone()[0]
        assert row["rows_read"] == in_raw + in_quarantine == row["rows_loaded"] + row["rows_quarantined"], row
    # Rows read per file are exactly the records the generator wrote (CIN: one child per <Child>).
    written = truth(world, "record_person").group_by("file").len()
    read = files.filter(pl.col("table_name") != "gazetteer").filter(~pl.col("table_name").str.starts_with("cin_") | (pl.col("table_name") == "cin_children"))
    read = read.filter(pl.col("table_name") != "census_2021_households").join(written, left_on="source_file", right_on="file")
    assert read.height > 0 and (read["rows_read"] == read["len"]).all()


def test_duplicates_and_out_of_list_codes_are_quarantined_where_the_truth_put_them(world: Path, loaded) -> None:
    faults = truth(world, "faults")
    quarantine = loaded.sql("select * from quarantine.rejected_rows").pl()
    for table in ("hes_apc", "school_census", "census_2021_persons"):
        injected = faults.filter((pl.col("table") == table) & (pl.col("fault") == "duplicate_row")).select("file", "row")
        caught = quarantine.filter((pl.col("table_name") == table) & (pl.col("rule") == "duplicate_row")).select(
            pl.col("source_file").alias("file"), pl.col("row_number").alias("row")
        )
        assert injected.height > 0
        assert sorted(injected.rows()) == sorted(caught.rows()), table
    wrong_codes = faults.filter((pl.col("table") == "hes_apc") & (pl.col("fault") == "out_of_list_code"))
    assert wrong_codes.height > 0
    for fault in wrong_codes.iter_rows(named=True):
        hit = quarantine.filter(
            (pl.col("source_file") == fault["file"]) & (pl.col("row_number") == fault["row"]) & (pl.col("rule") == "code_list:HES ethnic category")
        )
        assert hit.height == 1 and hit["offending_value"][0] == fault["recorded_value"] and hit["column_name"][0] == "ETHNOS"


def test_episodes_for_unknown_children_are_quarantined_with_file_row_and_record(world: Path, loaded) -> None:
    orphans = truth(world, "faults").filter(pl.col("fault") == "unknown_child")
    caught = loaded.sql("select * from quarantine.rejected_rows where rule = 'exists_in:ssda903_header.CHILD'").pl()
    assert sorted(orphans.select("file", "row").rows()) == sorted(caught.select("source_file", "row_number").rows())
    for row in caught.iter_rows(named=True):
        record = json.loads(row["record"])
        assert row["offending_value"] == f"CHILD={record['CHILD']}"
        assert "episode" not in row["message"] and "ssda903_header" in row["message"]


def test_quarantined_rows_never_reach_raw(loaded) -> None:
    leaked = loaded.sql(
        "select count(*) from quarantine.rejected_rows q join raw.hes_apc r on r._source_file = q.source_file and r._row_number = q.row_number"
    ).fetchone()[0]
    assert leaked == 0


def test_reingesting_the_same_files_changes_nothing(world: Path, loaded) -> None:
    before = counts(loaded)
    result = ingest_partition(loaded, SOURCES_BY_NAME["school_census"], 2021, world / "landing", "run-2")
    assert {f.status for f in result.files} == {"unchanged"}
    assert counts(loaded) == before
    assert loaded.sql("select count(*) from raw.school_census where _load_run_id = 'run-2'").fetchone()[0] == 0


def _copy_landing(world: Path, tmp_path: Path, source: str, years: tuple[int, ...]) -> Path:
    landing = tmp_path / "landing"
    for year in years:
        shutil.copytree(world / "landing" / source / str(year), landing / source / str(year))
    return landing


def test_a_changed_file_replaces_its_rows_and_a_new_year_adds_only_that_year(world: Path, tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    landing = _copy_landing(world, tmp_path, "hes_apc", (2019,))
    hes = SOURCES_BY_NAME["hes_apc"]
    first = ingest_partition(con, hes, 2019, landing, "run-a")
    assert first.files[0].status == "loaded"
    (path,) = (landing / "hes_apc" / "2019").iterdir()
    shorter = pl.read_csv(path, infer_schema=False).head(100)
    shorter.write_csv(path)
    second = ingest_partition(con, hes, 2019, landing, "run-b")
    assert second.files[0].status == "replaced"
    assert con.sql("select count(*), min(_load_run_id), max(_load_run_id) from raw.hes_apc").fetchone() == (
        100 - second.files[0].rows_quarantined,
        "run-b",
        "run-b",
    )
    shutil.copytree(world / "landing" / "hes_apc" / "2020", landing / "hes_apc" / "2020")
    third = ingest_partition(con, hes, 2020, landing, "run-c")
    by_year = dict(con.sql("select _collection_year, count(*) from raw.hes_apc group by 1").fetchall())
    assert by_year == {2019: 100 - second.files[0].rows_quarantined, 2020: third.files[0].rows_loaded}
    assert con.sql("select count(*) from raw.hes_apc where _collection_year = 2019 and _load_run_id != 'run-b'").fetchone()[0] == 0


MALFORMED_EXPECTATIONS = {
    "missing_column": "missing column(s) UPN",
    "renamed_column": "missing column(s) ADMIDATE; unexpected column(s) ADMISSION_DATE (renamed?)",
    "truncated_xml": "XML is not well-formed",
    "wrong_encoding": "wrong encoding",
    "empty_file": "file is empty",
    "unknown_file": "unknown file",
}


@pytest.mark.parametrize("fault", sorted(MALFORMED_EXPECTATIONS))
def test_whole_file_faults_raise_one_clear_error_and_leave_earlier_data_intact(world: Path, tmp_path: Path, fault: str) -> None:
    manifest = {m["fault"]: m for m in json.loads((world / "malformed" / "manifest.json").read_text())}[fault]
    source_name, year, name = Path(manifest["file"]).relative_to(fault).parts
    source = SOURCES_BY_NAME[source_name]
    landing = _copy_landing(world, tmp_path, source_name, (int(year),))
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ingest_partition(con, source, int(year), landing, "good-run")
    before = counts(con)
    shutil.copy(world / "malformed" / manifest["file"], landing / source_name / year / name)
    with pytest.raises(FileRejected) as error:
        ingest_partition(con, source, int(year), landing, "bad-run")
    assert name in str(error.value) and MALFORMED_EXPECTATIONS[fault] in str(error.value)
    assert counts(con) == before


def test_an_annual_source_with_no_extract_for_a_year_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "landing").mkdir()
    con = duckdb.connect()
    with pytest.raises(FileRejected, match="no hes_apc extract for collection year 2020"):
        ingest_partition(con, SOURCES_BY_NAME["hes_apc"], 2020, tmp_path / "landing", "r")
    assert ingest_partition(con, SOURCES_BY_NAME["census_2021"], 2020, tmp_path / "landing", "r").files == []


def _corrupt(path: Path, changes: dict[int, dict[str, str | None]]) -> None:
    frame = pl.read_csv(path, infer_schema=False).with_row_index("_i")
    for index, values in changes.items():
        for column, value in values.items():
            frame = frame.with_columns(pl.when(pl.col("_i") == index).then(pl.lit(value, dtype=pl.Utf8)).otherwise(pl.col(column)).alias(column))
    frame.drop("_i").write_csv(path)


def test_each_kind_of_bad_row_is_quarantined_with_its_rule_and_value(world: Path, tmp_path: Path) -> None:
    landing = _copy_landing(world, tmp_path, "hes_apc", (2021,))
    (path,) = (landing / "hes_apc" / "2021").iterdir()
    clean = pl.read_csv(path, infer_schema=False)
    # Corrupt rows the world itself left clean: not quarantined as written, and not one of a duplicated pair.
    con = duckdb.connect()
    ingest_partition(con, SOURCES_BY_NAME["hes_apc"], 2021, landing, "clean")
    already = {row for (row,) in con.sql("select distinct row_number from quarantine.rejected_rows").fetchall()}
    unique_key = clean["EPIKEY"].is_unique().to_list()
    rows = [i for i in range(clean.height) if i + 1 not in already and unique_key[i]][:7]
    good_nhs = clean["NEWNHSNO"].drop_nulls()[0]
    bad_nhs = good_nhs[:-1] + str((int(good_nhs[-1]) + 1) % 10)
    changes = (
        {"NEWNHSNO": bad_nhs},
        {"ADMIDATE": "20210230"},
        {"DISDATE": "19990101"},
        {"POSTCODE": "NOT A POSTCODE"},
        {"ADMIMETH": "77"},
        {"DIAG_4_01": "F3.2"},
        {"SEX": None},
    )
    _corrupt(path, dict(zip(rows, changes, strict=True)))
    con = duckdb.connect()
    result = ingest_partition(con, SOURCES_BY_NAME["hes_apc"], 2021, landing, "r")
    rejected = con.sql(
        "select row_number, rule, column_name, offending_value from quarantine.rejected_rows where list_contains(?, row_number) order by 1",
        params=[[i + 1 for i in rows]],
    ).fetchall()
    expected_rules = (
        ("nhs_number_modulus_11", "NEWNHSNO", bad_nhs),
        ("date_format:%Y%m%d", "ADMIDATE", "20210230"),
        ("date_order:DISDATE>=ADMIDATE", "DISDATE,ADMIDATE", f"DISDATE=19990101; ADMIDATE={clean['ADMIDATE'][rows[2]]}"),
        ("postcode_format", "POSTCODE", "NOT A POSTCODE"),
        ("code_list:HES admission method", "ADMIMETH", "77"),
        ("icd10_format", "DIAG_4_01", "F3.2"),
        ("not_nullable", "SEX", None),
    )
    assert rejected == [(row + 1, *rule) for row, rule in zip(rows, expected_rules, strict=True)]
    assert result.files[0].rows_read == result.files[0].rows_loaded + result.files[0].rows_quarantined


def test_school_and_cin_rules(world: Path, tmp_path: Path) -> None:
    landing = _copy_landing(world, tmp_path, "school_census", (2022,))
    path = landing / "school_census" / "2022" / "school_census_2022_autumn.csv"
    attendance = path.with_name("school_census_2022_autumn_attendance.csv")
    frame = pl.read_csv(path, infer_schema=False)
    upn = frame["UPN"].drop_nulls()[0]
    _corrupt(path, {0: {"UPN": ("A" if upn[0] != "A" else "B") + upn[1:]}, 1: {"DOB": "31/02/2015"}})
    # Row 3 misses more sessions than possible; row 4 names a pupil who is not on the roll of that return; row 5's
    # overall absence is not its authorised plus unauthorised absence.
    overall = pl.read_csv(attendance, infer_schema=False)["OverallAbsence"][4]
    _corrupt(attendance, {2: {"OverallAbsence": "999"}, 3: {"PupilMatchingRef": str(frame.height + 1)}, 4: {"OverallAbsence": str(int(overall) + 1)}})
    # Exclusions, one row each: a suspension without its sessions, a reason not on the DfE's list, an unknown category.
    exclusions = path.with_name("school_census_2022_autumn_exclusions.csv")
    _corrupt(exclusions, {0: {"Category": "FIXD", "Sessions": None}, 1: {"Reason": "ZZ"}, 2: {"Category": "SUSP"}})
    con = duckdb.connect()
    result = ingest_partition(con, SOURCES_BY_NAME["school_census"], 2022, landing, "r")
    rules = dict(con.sql(f"select row_number, rule from quarantine.rejected_rows where source_file like '%{path.name}' and row_number <= 3").fetchall())
    assert rules[1] == "upn_check_letter" and rules[2] == "date_format:%d/%m/%Y" and 3 not in rules
    rules = dict(con.sql(f"select row_number, rule from quarantine.rejected_rows where source_file like '%{attendance.name}' and row_number <= 4").fetchall())
    assert rules[3] in {"integer_between:0-200", "overall_absence<=sessions_possible", "overall_absence=authorised+unauthorised"}
    assert rules[4] == "exists_in:school_census.PupilMatchingRef"
    assert con.sql(f"select rule from quarantine.rejected_rows where source_file like '%{attendance.name}' and row_number = 5").fetchall() == [
        ("overall_absence=authorised+unauthorised",)
    ]
    rules = dict(con.sql(f"select row_number, rule from quarantine.rejected_rows where source_file like '%{exclusions.name}' and row_number <= 4").fetchall())
    assert rules == {
        1: "required:Sessions when the exclusion is a suspension or lunchtime exclusion",
        2: "code_list:exclusion reason",
        3: "code_list:exclusion category",
    }
    # Every file of the return reconciles: rows read = rows loaded + rows quarantined.
    files = {f.source_file.split("/")[-1]: f for f in result.files}
    assert files[exclusions.name].rows_quarantined == 3 and files[attendance.name].rows_quarantined >= 3
    assert all(f.rows_read == f.rows_loaded + f.rows_quarantined for f in result.files)

    cin_landing = _copy_landing(world, tmp_path / "cin", "cin_census", (2022,))
    xml = sorted((cin_landing / "cin_census" / "2022").iterdir())[0]
    text = xml.read_text()
    birth = text.split("<PersonBirthDate>", 1)[1].split("<", 1)[0]
    referral = text.split("<CINreferralDate>", 1)[1].split("<", 1)[0]
    xml.write_text(text.replace(f"<CINreferralDate>{referral}<", f"<CINreferralDate>{int(birth[:4]) - 1}{birth[4:]}<", 1))
    ingest_partition(con, SOURCES_BY_NAME["cin_census"], 2022, cin_landing, "r")
    hit = con.sql("select table_name, row_number, rule from quarantine.rejected_rows where rule = 'referral_after_birth'").fetchall()
    assert hit == [("cin_episodes", 1, "referral_after_birth")]


def _dagster_resources(landing: Path, database: Path, thresholds: dict[str, float] | None = None, minimum_rows: int = 2) -> dict:
    return {
        "warehouse": Warehouse(database=str(database)),
        "paths": HearthPaths(landing_dir=str(landing)),
        "gates": IngestionGates(thresholds=thresholds or {}, minimum_rows=minimum_rows),
    }


def test_dagster_asset_loads_a_partition_and_reports_its_checks(world: Path, tmp_path: Path) -> None:
    partitions = dg.StaticPartitionsDefinition([str(y) for y in YEARS])
    asset = build_ingestion_asset(SOURCES_BY_NAME["ssda903"], partitions)
    result = dg.materialize([asset], partition_key="2022", resources=_dagster_resources(world / "landing", tmp_path / "w.duckdb"))
    assert result.success
    checks = {(e.asset_key.path[-1], e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {(t, c): True for t in SOURCES_BY_NAME["ssda903"].tables for c in (RECONCILE_CHECK, GATE_CHECK)}
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    assert con.sql("select distinct _collection_year from raw.ssda903_episodes").fetchall() == [(2022,)]
    metadata = {e.asset_key.path[-1]: e.materialization.metadata for e in result.get_asset_materialization_events()}
    per_rule = con.sql("select rule, count(*) from quarantine.rejected_rows where table_name = 'ssda903_episodes' group by 1").fetchall()
    assert metadata["ssda903_episodes"]["failures_by_rule"].value == dict(per_rule)
    assert metadata["ssda903_episodes"]["rows_loaded"].value == con.sql("select count(*) from raw.ssda903_episodes").fetchone()[0]


def test_a_quarantine_rate_above_the_threshold_blocks_and_says_why(world: Path, tmp_path: Path) -> None:
    partitions = dg.StaticPartitionsDefinition([str(y) for y in YEARS])
    asset = build_ingestion_asset(SOURCES_BY_NAME["hes_apc"], partitions)
    result = dg.materialize(
        [asset], partition_key="2021", resources=_dagster_resources(world / "landing", tmp_path / "w.duckdb", {"hes_apc": 0.0}), raise_on_error=False
    )
    assert not result.success
    (gate,) = [e for e in result.get_asset_check_evaluations() if e.check_name == GATE_CHECK]
    assert not gate.passed and "exceeds the threshold of 0.00%" in gate.description


def test_a_table_with_fewer_quarantined_rows_than_the_minimum_does_not_block(world: Path, tmp_path: Path) -> None:
    partitions = dg.StaticPartitionsDefinition([str(y) for y in YEARS])
    asset = build_ingestion_asset(SOURCES_BY_NAME["hes_apc"], partitions)
    database = tmp_path / "w.duckdb"
    result = dg.materialize([asset], partition_key="2021", resources=_dagster_resources(world / "landing", database, {"hes_apc": 0.0}, minimum_rows=10**6))
    assert result.success
    (gate,) = [e for e in result.get_asset_check_evaluations() if e.check_name == GATE_CHECK]
    quarantined = duckdb.connect(str(database)).sql("select count(distinct (source_file, row_number)) from quarantine.rejected_rows").fetchone()[0]
    assert quarantined > 0 and gate.passed
    assert gate.description.endswith(f"within the threshold of 0.00% or fewer than the {10**6} rows a table needs quarantined to block.")


def test_dagster_names_the_rejected_file(world: Path, tmp_path: Path) -> None:
    landing = _copy_landing(world, tmp_path, "hes_apc", (2019,))
    (path,) = (landing / "hes_apc" / "2019").iterdir()
    path.write_bytes(b"")
    asset = build_ingestion_asset(SOURCES_BY_NAME["hes_apc"], dg.StaticPartitionsDefinition(["2019"]))
    result = dg.materialize([asset], partition_key="2019", resources=_dagster_resources(landing, tmp_path / "w.duckdb"), raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert f"{path}: file is empty" in failure.step_failure_data.user_failure_data.description


def test_loading_all_years_in_one_pass_gives_the_same_verdicts_as_year_by_year(world: Path, loaded, tmp_path: Path) -> None:
    from ingestion.load import ingest

    con = duckdb.connect(str(tmp_path / "together.duckdb"))
    for source in SOURCES:
        ingest(con, source, list(YEARS), world / "landing", "together")
    query = "select table_name, source_file, rows_read, rows_loaded, rows_quarantined from audit.ingested_files order by 1, 2"
    assert con.sql(query).fetchall() == loaded.sql(query).fetchall()
    rules = "select table_name, source_file, row_number, rule from quarantine.rejected_rows order by 1, 2, 3, 4"
    assert con.sql(rules).fetchall() == loaded.sql(rules).fetchall()
