"""Ingestion takes files as local authorities send them: any header order and letter case, padded
values, a byte-order mark, CRLF, Windows-1252, columns a year lacks and columns nobody declared.
Only a missing required column or an undecodable file is refused. Every file here is written by
the test, and every load reconciles: rows read = rows loaded + rows quarantined."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingestion.files import EXTRA_COLUMNS, FileRejected, read_cin_xml
from ingestion.load import IngestionRun, ingest_partition
from ingestion.registry import SOURCES_BY_NAME
from orchestration.assets.raw import IngestionGates, build_ingestion_asset
from orchestration.resources import HearthPaths, Warehouse
from validations.overview import write_overview
from validations.raw_schemas import RAW_TABLES, col

YEAR = 2022
SSDA903 = SOURCES_BY_NAME["ssda903"]
YOUTH_JUSTICE = SOURCES_BY_NAME["youth_justice"]
HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n100001,1,04/05/2010,WBRI,,,\n100002,2,17/11/2012,BAFR,,0,\n"
# A real episodes file: URN last, as the DfE specification lists it.
EPISODES = [
    ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC", "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"],
    ["100001", "01/06/2021", "S", "C2", "N1", "U1", "PR1", "", "", "", "AB1 2DE", "AB3 4EF", "SC123456"],
    ["100002", "15/09/2021", "S", "V2", "N2", "U3", "PR2", "10/01/2022", "E11", "", "AB1 2DE", "AB3 4EF", "XXXXXXX"],
]


def write_return(landing: Path, episodes: list[list[str]], *, bom: bool = True, newline: str = "\r\n") -> Path:
    """A 903 return for one LA: the header plain, the episodes as given (with a BOM and CRLF by default)."""
    folder = landing / "ssda903" / str(YEAR)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"ssda903_951_{YEAR}_header.csv").write_text(HEADER, encoding="utf-8")
    path = folder / f"ssda903_951_{YEAR}_episodes.csv"
    text = newline.join(",".join(row) for row in episodes) + newline
    path.write_bytes(text.encode("utf-8-sig" if bom else "utf-8"))
    return path


def reconciled(con: duckdb.DuckDBPyConnection, run: IngestionRun, table: str) -> tuple[int, int, int]:
    """(rows read, rows loaded, rows quarantined) of the table's files, checked against raw and quarantine themselves."""
    files = run.for_table(table)
    read, loaded, quarantined = (sum(getattr(f, n) for f in files) for n in ("rows_read", "rows_loaded", "rows_quarantined"))
    in_raw = con.execute(f"select count(*) from raw.{table}").fetchone()[0]
    in_quarantine = con.execute("select count(distinct (source_file, row_number)) from quarantine.rejected_rows where table_name = ?", [table]).fetchone()[0]
    assert read == loaded + quarantined and (loaded, quarantined) == (in_raw, in_quarantine)
    return read, loaded, quarantined


def test_a_903_episodes_file_with_urn_a_bom_and_crlf_loads_with_nothing_quarantined(tmp_path: Path) -> None:
    write_return(tmp_path, EPISODES)
    con = duckdb.connect()
    run = ingest_partition(con, SSDA903, YEAR, tmp_path, "r")
    assert reconciled(con, run, "ssda903_episodes") == (2, 2, 0)
    assert reconciled(con, run, "ssda903_header") == (2, 2, 0)
    (episodes,) = run.for_table("ssda903_episodes")
    assert episodes.encoding == "utf-8-sig"
    assert con.sql("select encoding from audit.ingested_files where table_name = 'ssda903_episodes'").fetchone() == ("utf-8-sig",)
    # The first header name carried the byte-order mark, and the last value the CR: neither reached raw.
    rows = con.sql(f"select CHILD, REC, PL_POST, {EXTRA_COLUMNS} from raw.ssda903_episodes order by _row_number").fetchall()
    assert [r[:3] for r in rows] == [("100001", None, "AB3 4EF"), ("100002", "E11", "AB3 4EF")]
    # URN is kept whether or not the table declares it: as its own column, or among the extra columns.
    if "URN" in RAW_TABLES["ssda903_episodes"].columns:
        assert con.sql("select URN from raw.ssda903_episodes order by _row_number").fetchall() == [("SC123456",), ("XXXXXXX",)]
        assert episodes.extra_columns == ()
    else:
        assert [json.loads(r[3]) for r in rows] == [{"URN": "SC123456"}, {"URN": "XXXXXXX"}]
        assert episodes.extra_columns == ("URN",)


def test_header_names_match_in_any_order_and_case_and_padding_is_trimmed(tmp_path: Path) -> None:
    shuffled = [[row[i] for i in (12, 1, 0, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2)] for row in EPISODES]
    shuffled[0] = [f"  {name.lower()} " if i % 2 else name.title() for i, name in enumerate(shuffled[0])]
    shuffled[1] = [f" {value}  " for value in shuffled[1]]
    write_return(tmp_path, shuffled, bom=False, newline="\n")
    con = duckdb.connect()
    run = ingest_partition(con, SSDA903, YEAR, tmp_path, "r")
    assert reconciled(con, run, "ssda903_episodes") == (2, 2, 0)
    assert run.for_table("ssda903_episodes")[0].encoding == "utf-8"
    assert con.sql("select CHILD, DECOM, DEC, HOME_POST from raw.ssda903_episodes order by _row_number").fetchall() == [
        ("100001", "01/06/2021", None, "AB1 2DE"),
        ("100002", "15/09/2021", "10/01/2022", "AB1 2DE"),
    ]


def test_the_episodes_file_without_decom_is_refused_naming_the_file_and_the_column(tmp_path: Path) -> None:
    con = duckdb.connect()
    write_return(tmp_path, EPISODES)
    ingest_partition(con, SSDA903, YEAR, tmp_path, "good")
    before = con.sql("select count(*) from raw.ssda903_episodes").fetchone()
    path = write_return(tmp_path, [row[:1] + row[2:] for row in EPISODES])
    with pytest.raises(FileRejected) as refused:
        ingest_partition(con, SSDA903, YEAR, tmp_path, "bad")
    assert refused.value.path == str(path) and refused.value.problem.startswith("missing column(s) DECOM")
    assert con.sql("select count(*) from raw.ssda903_episodes").fetchone() == before


YOUTH_JUSTICE_FILE = (
    "YOT,FORENAME,SURNAME,DOB,SEX,ETHNICITY,ADDRESS,POSTCODE,OFFENCE_DATE,OFFENCE_TYPE,OUTCOME,OUTCOME_DATE\r\n"
    'Northbridge,Zoë,Brontë,04-May-2006,Female,White,"12 Café Road, Northbridge",AB1 2DE,01-Jun-2021,THEFT,YC,\r\n'
)


def test_a_windows_1252_extract_loads_with_its_accented_names_decoded(tmp_path: Path) -> None:
    folder = tmp_path / "youth_justice" / str(YEAR)
    folder.mkdir(parents=True)
    (folder / f"youth_offences_{YEAR}.csv").write_bytes(YOUTH_JUSTICE_FILE.encode("cp1252"))
    con = duckdb.connect()
    run = ingest_partition(con, YOUTH_JUSTICE, YEAR, tmp_path, "r")
    assert reconciled(con, run, "youth_justice") == (1, 1, 0)
    assert con.sql("select FORENAME, SURNAME, ADDRESS from raw.youth_justice").fetchone() == ("Zoë", "Brontë", "12 Café Road, Northbridge")
    assert con.sql("select encoding from audit.ingested_files").fetchone() == ("cp1252",)


# The LA's case-management extract (SSD layout) as SQL Server Management Studio or Excel saves it:
# Windows-1252, CRLF, the identity columns in upper case.
SSD_PERSON_FILE = "PERS_PERSON_ID,PERS_UPN,PERS_FORENAME,PERS_SURNAME,PERS_SEX,PERS_ETHNICITY,PERS_DOB\r\n100001,,Zoë,Brontë,F,WBRI,2012-05-04\r\n"
SSD_ADDRESS_FILE = (
    "addr_table_id,addr_person_id,addr_address_type,addr_address_start_date,addr_address_end_date,addr_address_postcode,addr_address_json\r\n"
    '352-2022-1,100001,HOME,2020-01-06,,M8 0AA,"{""FLAT"": """", ""HOUSE"": ""12"", ""STREET"": ""Café Road"", ""TOWN"": ""Manchester""}"\r\n'
)


def test_an_identity_extract_in_windows_1252_loads_with_its_names_decoded(tmp_path: Path) -> None:
    folder = tmp_path / "ssd" / str(YEAR)
    folder.mkdir(parents=True)
    (folder / f"ssd_352_{YEAR}_person.csv").write_bytes(SSD_PERSON_FILE.encode("cp1252"))
    (folder / f"ssd_352_{YEAR}_address.csv").write_bytes(SSD_ADDRESS_FILE.encode("cp1252"))
    con = duckdb.connect()
    run = ingest_partition(con, SOURCES_BY_NAME["ssd"], YEAR, tmp_path, "r")
    assert reconciled(con, run, "ssd_person") == (1, 1, 0)
    assert reconciled(con, run, "ssd_address") == (1, 1, 0)
    assert con.sql("select pers_forename, pers_surname from raw.ssd_person").fetchone() == ("Zoë", "Brontë")
    assert json.loads(con.sql("select addr_address_json from raw.ssd_address").fetchone()[0])["STREET"] == "Café Road"
    assert con.sql("select distinct encoding from audit.ingested_files").fetchall() == [("cp1252",)]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (YOUTH_JUSTICE_FILE.encode("utf-16"), "wrong encoding: UTF-16 or UTF-32 byte-order mark"),
        (YOUTH_JUSTICE_FILE.encode("utf-16-le"), "wrong encoding: not text (control byte b'\\x00'"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "wrong encoding: not text"),
        (b"\x81\x8d\x8f\x90\x9d", "wrong encoding: neither UTF-8 nor Windows-1252"),
        (b"\xef\xbb\xbfYOT\r\nZo\xeb\r\n", "wrong encoding: a UTF-8 byte-order mark, but not valid UTF-8 at byte 10"),
    ],
)
def test_a_file_that_is_neither_utf8_nor_windows_1252_is_refused_whole(tmp_path: Path, content: bytes, problem: str) -> None:
    folder = tmp_path / "youth_justice" / str(YEAR)
    folder.mkdir(parents=True)
    (folder / f"youth_offences_{YEAR}.csv").write_bytes(content)
    with pytest.raises(FileRejected) as refused:
        ingest_partition(duckdb.connect(), YOUTH_JUSTICE, YEAR, tmp_path, "r")
    assert refused.value.path == str(folder / f"youth_offences_{YEAR}.csv") and refused.value.problem.startswith(problem)


def test_extra_columns_are_kept_as_json_and_reported_to_dagster_and_the_stewards(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    folder = landing / "youth_justice" / str(YEAR)
    folder.mkdir(parents=True)
    lines = YOUTH_JUSTICE_FILE.split("\r\n")
    # Two rows: the second is quarantined (offence before the age of 10) and keeps its extra values too.
    second = lines[1].replace("Zoë", "Ann").replace("04-May-2006", "04-May-2015")
    (folder / f"youth_offences_{YEAR}.csv").write_text(f"{lines[0]},Case Worker, la ref\n{lines[1]},J. Smith,7\n{second},,8\n", encoding="utf-8")
    database = tmp_path / "w.duckdb"
    asset = build_ingestion_asset(YOUTH_JUSTICE, dg.StaticPartitionsDefinition([str(YEAR)]))
    resources = {
        "warehouse": Warehouse(database=str(database)),
        "paths": HearthPaths(landing_dir=str(landing)),
        "gates": IngestionGates(thresholds={"youth_justice": 1.0}),
    }
    result = dg.materialize([asset], partition_key=str(YEAR), resources=resources)
    (metadata,) = [e.materialization.metadata for e in result.get_asset_materialization_events()]
    assert metadata["extra_columns"].value == {f"youth_justice/{YEAR}/youth_offences_{YEAR}.csv": ["Case Worker", "la ref"]}
    assert metadata["encodings"].value == {"utf-8": 1}
    assert metadata["rows_read"].value == 2 == metadata["rows_loaded"].value + metadata["rows_quarantined"].value
    assert metadata["rows_quarantined"].value == 1
    with duckdb.connect(str(database)) as con:
        assert json.loads(con.sql(f"select {EXTRA_COLUMNS} from raw.youth_justice").fetchone()[0]) == {"Case Worker": "J. Smith", "la ref": "7"}
        (record,) = con.sql("select record from quarantine.rejected_rows").fetchone()
        assert json.loads(json.loads(record)[EXTRA_COLUMNS]) == {"Case Worker": None, "la ref": "8"}
        warning = con.sql("select rule, failures, rows_checked from audit.validation_results where rule like 'unexpected_columns%'").fetchall()
        assert warning == [("unexpected_columns:Case Worker,la ref", 2, 2)]
    page = write_overview(database, tmp_path / "docs").read_text()
    assert "columns kept that the table does not declare" in page and "Case Worker,la ref" in page


def test_a_column_sent_twice_in_different_cases_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "youth_justice" / str(YEAR)
    folder.mkdir(parents=True)
    header, row = YOUTH_JUSTICE_FILE.splitlines()
    (folder / f"youth_offences_{YEAR}.csv").write_text(f"{header},dob\n{row},05-May-2006\n", encoding="utf-8")
    with pytest.raises(FileRejected) as refused:
        ingest_partition(duckdb.connect(), YOUTH_JUSTICE, YEAR, tmp_path, "r")
    assert refused.value.path == str(folder / f"youth_offences_{YEAR}.csv") and refused.value.problem == "repeated column(s) DOB"


def test_blank_header_cells_from_trailing_commas_are_kept_by_position(tmp_path: Path) -> None:
    folder = tmp_path / "youth_justice" / str(YEAR)
    folder.mkdir(parents=True)
    (folder / f"youth_offences_{YEAR}.csv").write_text(YOUTH_JUSTICE_FILE.replace("\r\n", ",,\r\n"), encoding="utf-8")
    con = duckdb.connect()
    run = ingest_partition(con, YOUTH_JUSTICE, YEAR, tmp_path, "r")
    assert reconciled(con, run, "youth_justice") == (1, 1, 0)
    assert run.files[0].extra_columns == ("(unnamed column 13)", "(unnamed column 14)")
    assert json.loads(con.sql(f"select {EXTRA_COLUMNS} from raw.youth_justice").fetchone()[0]) == {"(unnamed column 13)": None, "(unnamed column 14)": None}


def test_a_column_required_from_a_later_year_may_be_missing_before_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = RAW_TABLES["youth_justice"]
    columns = {**rules.columns, "COURT_REF": col(required=True, since=YEAR), "CASE_NOTE": col(optional=True)}
    monkeypatch.setitem(RAW_TABLES, "youth_justice", dataclasses.replace(rules, columns=columns))
    earlier = tmp_path / "youth_justice" / str(YEAR - 1)
    earlier.mkdir(parents=True)
    (earlier / f"youth_offences_{YEAR - 1}.csv").write_text(YOUTH_JUSTICE_FILE.replace("2021", "2020"), encoding="utf-8")
    con = duckdb.connect()
    run = ingest_partition(con, YOUTH_JUSTICE, YEAR - 1, tmp_path, "r")
    assert reconciled(con, run, "youth_justice") == (1, 1, 0)
    assert con.sql("select COURT_REF, CASE_NOTE from raw.youth_justice").fetchall() == [(None, None)]

    later = tmp_path / "youth_justice" / str(YEAR)
    later.mkdir(parents=True)
    path = later / f"youth_offences_{YEAR}.csv"
    path.write_text(YOUTH_JUSTICE_FILE, encoding="utf-8")
    with pytest.raises(FileRejected, match=r"missing column\(s\) COURT_REF$"):
        ingest_partition(con, YOUTH_JUSTICE, YEAR, tmp_path, "r")
    header, row = YOUTH_JUSTICE_FILE.splitlines()
    path.write_text(f"{header},COURT_REF\n{row},C-1\n{row.replace('Zoë', 'Ann')},\n", encoding="utf-8")
    run = ingest_partition(con, YOUTH_JUSTICE, YEAR, tmp_path, "r")
    (file,) = run.files
    assert (file.rows_read, file.rows_loaded, file.rows_quarantined) == (2, 1, 1)
    assert file.failures_by_rule == {f"required:COURT_REF when collection year {YEAR} or later": 1}


def test_col_keeps_its_old_signature_and_refuses_a_contradiction() -> None:
    assert col(required=True) == dataclasses.replace(col(), required=True)
    assert col().expected_in(2019) and not col(since=2021).expected_in(2020) and not col(until=2020).expected_in(2021)
    assert not col(optional=True).expected_in(2021)
    with pytest.raises(ValueError, match="cannot require values"):
        col(required=True, optional=True)


def test_an_existing_warehouse_gains_the_encoding_and_extra_columns(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute("create schema audit; create schema raw")
    con.execute(
        "create table audit.ingested_files (source varchar, collection_year integer, table_name varchar, source_file varchar, sha256 varchar, "
        "rows_read bigint, rows_loaded bigint, rows_quarantined bigint, load_run_id varchar, loaded_at timestamptz, primary key (table_name, source_file))"
    )
    names = ", ".join(f'"{c}" varchar' for c in RAW_TABLES["youth_justice"].column_names)
    con.execute(
        f"create table raw.youth_justice ({names}, _source_file varchar, _sha256 varchar, _row_number bigint, "
        "_collection_year integer, _load_run_id varchar, _loaded_at timestamptz)"
    )
    folder = tmp_path / "youth_justice" / str(YEAR)
    folder.mkdir(parents=True)
    (folder / f"youth_offences_{YEAR}.csv").write_text(
        YOUTH_JUSTICE_FILE.replace("\r\n", ",x\r\n").replace("OUTCOME_DATE,x", "OUTCOME_DATE,NOTE"), encoding="utf-8"
    )
    run = ingest_partition(con, YOUTH_JUSTICE, YEAR, tmp_path, "r")
    assert reconciled(con, run, "youth_justice") == (1, 1, 0)
    assert con.sql("select encoding from audit.ingested_files").fetchall() == [("utf-8",)]
    assert con.sql(f"select {EXTRA_COLUMNS}->>'NOTE' from raw.youth_justice").fetchall() == [("x",)]


def test_cin_xml_with_a_byte_order_mark_still_parses(tmp_path: Path) -> None:
    path = tmp_path / "cin_951_2022.xml"
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\r\n<Message><Header/><Children><Child><ChildIdentifiers><LAchildID>100001</LAchildID>'
        "<PersonBirthDate>2012-11-17</PersonBirthDate><GenderCurrent>2</GenderCurrent></ChildIdentifiers>"
        "<ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics><CINdetails><CINreferralDate>2021-06-01</CINreferralDate>"
        "</CINdetails></Child></Children></Message>\r\n"
    )
    path.write_bytes(xml.encode("utf-8-sig"))
    frames = read_cin_xml(path)
    assert frames["cin_children"].select("LAchildID", "Ethnicity").rows() == [("100001", "WBRI")]
    assert frames["cin_episodes"]["CINreferralDate"].to_list() == ["2021-06-01"]
