import hashlib
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingestion.landing import LandingFile, scan_landing, write_file_inventory
from orchestration.assets.landing import every_source_has_files, file_inventory, no_unrecognised_files
from orchestration.resources import HearthPaths, Warehouse
from orchestration.settings import LANDING_SOURCE_NAMES

ASSETS = [file_inventory, every_source_has_files, no_unrecognised_files]


def _write(root: Path, relative: str, content: bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def _materialize(landing: Path, database: Path, raise_on_error: bool = True):
    return dg.materialize(
        ASSETS,
        resources={
            "paths": HearthPaths(landing_dir=str(landing)),
            "warehouse": Warehouse(database=str(database)),
        },
        raise_on_error=raise_on_error,
    )


def _inventory(database: Path) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as conn:
        return conn.execute(
            "SELECT source, collection_year, path, size_bytes, sha256, modified_at, inventoried_at FROM landing.file_inventory ORDER BY path"
        ).fetchall()


def _check(result: dg.ExecuteInProcessResult, name: str) -> dg.AssetCheckEvaluation:
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return evaluation


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    _write(root, "gazetteer/2024/addresses.csv", b"uprn,postcode\n1,AB1 2CD\n")
    _write(root, "census_2021/2021/persons.csv", b"person_id\n1\n2\n")
    _write(root, "census_2021/2021/households.csv", b"household_id\n10\n")
    _write(root, "ssda903/2023/episodes.xml", b"<episodes><episode id='1'/></episodes>")
    _write(root, "notes/readme.txt", b"not an extract")
    return root


def test_inventory_rows_hashes_and_checks(landing: Path, tmp_path: Path):
    database = tmp_path / "wh" / "nested" / "hearth.duckdb"  # parent dirs do not exist yet
    result = _materialize(landing, database)
    assert result.success

    rows = _inventory(database)
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("census_2021", 2021, "census_2021/2021/households.csv"),
        ("census_2021", 2021, "census_2021/2021/persons.csv"),
        ("gazetteer", 2024, "gazetteer/2024/addresses.csv"),
        ("ssda903", 2023, "ssda903/2023/episodes.xml"),
    ]
    for _, _, path, size_bytes, sha256, modified_at, inventoried_at in rows:
        content = (landing / path).read_bytes()
        assert size_bytes == len(content)
        assert sha256 == hashlib.sha256(content).hexdigest()
        expected_mtime = datetime.fromtimestamp((landing / path).stat().st_mtime, tz=UTC)
        assert abs((modified_at - expected_mtime).total_seconds()) < 1e-3
        assert inventoried_at >= modified_at
    assert len({r[6] for r in rows}) == 1  # one inventoried_at per run

    (materialization,) = result.asset_materializations_for_node("landing__file_inventory")
    meta = materialization.metadata
    assert meta["files_per_source"].value == {
        "gazetteer": 1,
        "census_2021": 2,
        "school_census": 0,
        "cin_census": 0,
        "ssd": 0,
        "csww": 0,
        "ssda903": 1,
        "hes_apc": 0,
        "youth_justice": 0,
        "ecds": 0,
        "cnis": 0,
        "s251": 0,
    }
    assert meta["total_bytes"].value == sum(r[3] for r in rows)
    assert meta["unrecognised_count"].value == 1
    assert [u["path"] for u in meta["unrecognised_files"].value] == ["notes/readme.txt"]

    sources_check = _check(result, "every_source_has_files")
    assert not sources_check.passed
    assert sources_check.severity == dg.AssetCheckSeverity.ERROR
    assert sources_check.metadata["missing_sources"].value == [
        "school_census",
        "cin_census",
        "ssd",
        "csww",
        "hes_apc",
        "youth_justice",
        "ecds",
        "cnis",
        "s251",
    ]
    assert "school_census, cin_census, ssd, csww, hes_apc, youth_justice, ecds, cnis, s251" in sources_check.description

    unrecognised_check = _check(result, "no_unrecognised_files")
    assert not unrecognised_check.passed
    assert unrecognised_check.severity == dg.AssetCheckSeverity.WARN
    assert "notes/readme.txt" in unrecognised_check.description


def test_checks_pass_when_every_source_has_a_file(landing: Path, tmp_path: Path):
    database = tmp_path / "hearth.duckdb"
    (landing / "notes/readme.txt").unlink()
    for source in LANDING_SOURCE_NAMES:
        _write(landing, f"{source}/2025/extract.csv", f"{source}\n".encode())

    result = _materialize(landing, database)

    assert _check(result, "every_source_has_files").passed
    assert _check(result, "no_unrecognised_files").passed
    assert len(_inventory(database)) == 4 + len(LANDING_SOURCE_NAMES)


@pytest.mark.parametrize(
    "relative",
    [
        "unknown_source/2024/a.csv",
        "gazetteer/24/a.csv",
        "gazetteer/2024/a.json",
        "gazetteer/2024/deeper/a.csv",
        "stray.csv",
    ],
)
def test_layout_violations_are_unrecognised(tmp_path: Path, relative: str):
    root = tmp_path / "landing"
    _write(root, relative, b"x")
    scan = scan_landing(root)
    assert scan.files == ()
    assert [u.path for u in scan.unrecognised] == [relative]


def test_missing_landing_dir_fails_and_keeps_previous_inventory(landing: Path, tmp_path: Path):
    database = tmp_path / "hearth.duckdb"
    _materialize(landing, database)
    before = _inventory(database)
    assert before

    missing = tmp_path / "no_such_landing"
    with pytest.raises(dg.Failure, match="Landing directory does not exist") as excinfo:
        _materialize(missing, database)
    assert str(missing) in str(excinfo.value)

    assert _inventory(database) == before


def test_failed_write_rolls_back_to_previous_inventory(landing: Path, tmp_path: Path):
    database = tmp_path / "hearth.duckdb"
    _materialize(landing, database)
    before = _inventory(database)

    bad = LandingFile(
        source="gazetteer",
        collection_year="not-a-year",  # type: ignore[arg-type]
        path="gazetteer/2024/bad.csv",
        size_bytes=1,
        sha256="0" * 64,
        modified_at=datetime.now(UTC),
    )
    with duckdb.connect(str(database)) as conn:
        with pytest.raises(duckdb.ConversionException):
            write_file_inventory(conn, [bad], inventoried_at=datetime.now(UTC))
        tables = conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'landing'").fetchall()
    assert tables == [("file_inventory",)]
    assert _inventory(database) == before
