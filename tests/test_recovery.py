"""A run killed mid-way and run again leaves the same warehouse as a run that was never
interrupted: each source's load is one transaction, and the file-hash registry lets the re-run
skip what was committed and redo what was not."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

INGEST_ALL = """
import sys, duckdb
from pathlib import Path
from ingestion.load import ingest
from ingestion.registry import SOURCES
years = [int(y) for y in sys.argv[3].split(",")]
with duckdb.connect(sys.argv[1]) as con:
    for source in SOURCES:
        ingest(con, source, years, Path(sys.argv[2]), "run")
        print(source.name, flush=True)
"""
# Everything but run ids and load times, which differ between any two runs.
VOLATILE = {"_load_run_id", "_loaded_at", "load_run_id", "loaded_at", "quarantined_at", "checked_at"}


def _ingest(database: Path, landing: Path, years: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", INGEST_ALL, str(database), str(landing), years], stdout=subprocess.PIPE, text=True)


def _contents(database: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(database), read_only=True) as con:
        tables = con.sql("select table_schema, table_name from information_schema.tables where table_schema in ('raw', 'quarantine', 'audit') order by 1, 2").fetchall()
        out = {}
        for schema, table in tables:
            if (schema, table) == ("audit", "validation_results"):
                continue  # per-run history: the killed run's partial attempt is rightly recorded there
            columns = [c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ? order by ordinal_position", [schema, table]
            ).fetchall() if c not in VOLATILE]
            out[f"{schema}.{table}"] = sorted(con.sql(f"select {', '.join(columns)} from {schema}.{table}").fetchall(), key=repr)
        return out


def test_a_killed_ingestion_run_reruns_to_the_same_warehouse(warehouse, tmp_path: Path) -> None:
    database, _ = warehouse
    landing = database.parent / "landing"
    years = ",".join(sorted(p.name for p in (landing / "hes_apc").iterdir()))

    uninterrupted = tmp_path / "uninterrupted.duckdb"
    assert _ingest(uninterrupted, landing, years).wait(timeout=300) == 0

    killed = tmp_path / "killed.duckdb"
    run = _ingest(killed, landing, years)
    assert run.stdout.readline().strip() == "gazetteer"  # the first source committed ...
    time.sleep(0.1)
    run.send_signal(signal.SIGKILL)  # ... and the run dies part-way through the rest
    run.wait(timeout=60)
    with duckdb.connect(str(killed), read_only=True) as con:
        loaded = {t for (t,) in con.sql("select distinct table_name from audit.ingested_files").fetchall()}
    assert "gazetteer" in loaded and "youth_justice" not in loaded  # it really stopped mid-way

    assert _ingest(killed, landing, years).wait(timeout=300) == 0
    assert _contents(killed) == _contents(uninterrupted)
    shutil.copy(killed, tmp_path / "keep.duckdb")  # the recovered file opens and reads like any other
    with duckdb.connect(str(tmp_path / "keep.duckdb"), read_only=True) as con:
        assert con.sql("select count(*) from raw.youth_justice").fetchone()[0] > 0
