"""Every DuckDB connection Hearth opens is bounded: a memory limit derived from the machine, and a
folder beside the warehouse to spill to; both can be set for the whole run."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from orchestration.resources import Warehouse
from orchestration.settings import DBT_PROJECT_DIR, dbt_warehouse_vars
from warehouse.connection import DEFAULT_MEMORY_SHARE, MEMORY_LIMIT_ENV, TEMP_DIRECTORY_ENV, connect, duckdb_settings, machine_memory_bytes


def _settings(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    return con.sql("select current_setting('memory_limit'), current_setting('temp_directory')").fetchone()


def test_the_default_limit_is_a_share_of_the_machine_and_spills_go_beside_the_file(tmp_path: Path) -> None:
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    settings = duckdb_settings(tmp_path / "hearth.duckdb", environ={})
    assert settings == {"memory_limit": f"{int(physical * DEFAULT_MEMORY_SHARE) // 2**20}MiB", "temp_directory": str(tmp_path / "hearth.duckdb.tmp")}
    assert duckdb_settings(None, environ={})["temp_directory"].endswith("hearth-duckdb")


def test_a_containers_lower_limit_is_the_machines_memory(tmp_path: Path) -> None:
    cgroup = tmp_path / "memory.max"
    cgroup.write_text("2147483648\n")
    assert machine_memory_bytes(cgroup) == 2 * 1024**3
    cgroup.write_text("max\n")
    assert machine_memory_bytes(cgroup) == os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def test_the_environment_sets_both_for_every_kind_of_connection(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "3GiB")
    monkeypatch.setenv(TEMP_DIRECTORY_ENV, str(tmp_path / "spill"))
    database = tmp_path / "hearth.duckdb"
    with connect(database) as con:
        assert _settings(con) == ("3.0 GiB", str(tmp_path / "spill"))
        with duckdb.connect(str(database)) as other:  # SET, not connect config: a plain second connection still opens
            assert _settings(other) == ("3.0 GiB", str(tmp_path / "spill"))
    with Warehouse(database=str(database)).get_connection() as con:
        assert _settings(con) == ("3.0 GiB", str(tmp_path / "spill"))
    with connect() as con:
        assert _settings(con) == ("3.0 GiB", str(tmp_path / "spill"))
    dbt_vars = json.loads(dbt_warehouse_vars(database)[1])
    assert dbt_vars == {"warehouse_path": str(database), "memory_limit": "3GiB", "temp_directory": str(tmp_path / "spill")}


def test_data_larger_than_the_limit_spills_to_the_folder(tmp_path: Path, monkeypatch) -> None:
    """An in-memory database holding three times its limit: the rest is in the spill folder, not lost."""
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "100MiB")
    monkeypatch.setenv(TEMP_DIRECTORY_ENV, str(tmp_path / "spill"))
    with connect() as con:
        con.execute("create table wide as select range as key, md5(range::varchar) || md5((range + 1)::varchar) as payload from range(4000000)")
        spill_files = con.sql("select path, size from duckdb_temporary_files()").fetchall()
        rows, keys = con.sql("select count(*), count(distinct payload) from wide").fetchone()
    assert (rows, keys) == (4_000_000, 4_000_000)
    assert spill_files, "nothing was spilled"
    assert all(Path(path).parent == tmp_path / "spill" for path, _ in spill_files)
    assert sum(size for _, size in spill_files) > 100 * 2**20


@pytest.mark.integration
def test_dbts_connection_is_bounded_by_the_same_settings(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "3GiB")
    monkeypatch.setenv(TEMP_DIRECTORY_ENV, str(tmp_path / "spill"))
    shown = subprocess.run(
        [
            "dbt",
            "show",
            "--profiles-dir",
            ".",
            "--target-path",
            str(tmp_path / "target"),
            "--output",
            "json",
            "--log-format",
            "text",
            "--inline",
            "select current_setting('memory_limit') as memory_limit, current_setting('temp_directory') as temp_directory",
            *dbt_warehouse_vars(tmp_path / "hearth.duckdb"),
        ],
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    preview = json.loads(shown[shown.index("{") : shown.rindex("}") + 1])
    assert preview["show"] == [{"memory_limit": "3.0 GiB", "temp_directory": str(tmp_path / "spill")}]
