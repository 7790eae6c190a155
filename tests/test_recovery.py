"""A run killed mid-way and run again leaves the same warehouse as a run that was never
interrupted. Ingestion: each source's load is one transaction, and the file-hash registry lets the
re-run skip what was committed and redo what was not. Linkage, dbt and publication: every table is
replaced whole, so a Dagster run killed inside Splink or inside the dbt build of the marts and run
again rebuilds exactly what an uninterrupted run builds, and leaves no scratch behind."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from linkage.scratch import SCRATCH_TABLES_SQL
from orchestration.resources import WAREHOUSE_POOL
from orchestration.settings import REPO_ROOT, analysts_snapshot_of

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
VOLATILE = {"_load_run_id", "_loaded_at", "load_run_id", "loaded_at", "quarantined_at", "checked_at", "run_id", "evaluated_at"}
# Run history every attempt appends to (run id and time columns): a killed attempt's rows rightly
# stay there, so only what the last run recorded is compared.
RUN_HISTORY = {"audit.gate_results": ("run_id", "checked_at"), "audit.linkage_evaluation": ("run_id", "evaluated_at")}
AFTER_HARMONISATION = "group:linkage,group:linked,group:marts,group:publication,group:analysts"


def _ingest(database: Path, landing: Path, years: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", INGEST_ALL, str(database), str(landing), years], stdout=subprocess.PIPE, text=True)


def _contents(database: Path, schemas: tuple[str, ...] | None = None, skip: frozenset[str] = frozenset()) -> dict[str, list[tuple]]:
    """Every table's rows (of `schemas`, or of every schema), volatile columns left out."""
    with duckdb.connect(str(database), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables where ? or table_schema in (select unnest(?)) order by 1, 2",
            [schemas is None, list(schemas or ())],
        ).fetchall()
        out = {}
        for schema, table in tables:
            name = f"{schema}.{table}"
            if name in skip:
                continue
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from information_schema.columns where table_schema = ? and table_name = ? order by ordinal_position", [schema, table]
                ).fetchall()
                if c not in VOLATILE
            ]
            last_run = ""
            if name in RUN_HISTORY:
                run, at = RUN_HISTORY[name]
                last_run = f" where {run} = (select arg_max({run}, {at}) from {name})"
            out[name] = sorted(con.sql(f"select {', '.join(columns)} from {name}{last_run}").fetchall(), key=repr)
        return out


def _materialise(database: Path, truth: Path) -> subprocess.Popen:
    """`dagster asset materialize` of everything after harmonisation, on its own instance."""
    home = database.parent / "dagster_home"
    home.mkdir(exist_ok=True)
    shutil.copyfile(REPO_ROOT / "deploy" / "local" / "dagster.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "HEARTH_WAREHOUSE_PATH": str(database),
        "HEARTH_TRUTH_DIR": str(truth),
        "HEARTH_DOCS_DIR": str(database.parent / "docs"),
    }
    with open(database.parent / "dagster.log", "a") as log:
        return subprocess.Popen(
            ["dagster", "asset", "materialize", "-m", "orchestration.definitions", "--select", AFTER_HARMONISATION],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _in_the_warehouse_pool(instance: dg.DagsterInstance, run_id: str) -> bool:
    """Whether the run holds, or is queued for, the warehouse slot."""
    pool = instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
    return any(step.run_id == run_id for step in [*pool.claimed_slots, *pool.pending_steps])


def _hearth_recover(home: Path) -> str:
    done = subprocess.run(["hearth", "recover", "--home", str(home)], capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _finish(run: subprocess.Popen, database: Path) -> None:
    try:
        run.wait(timeout=900)
    finally:
        if run.poll() is None:  # a run stuck (waiting for a slot, say) must not outlive the test
            os.killpg(run.pid, signal.SIGKILL)
    log = (database.parent / "dagster.log").read_text()
    assert run.returncode == 0 and log.rstrip().endswith('RUN_SUCCESS - Finished execution of run for "__ASSET_JOB".'), log[-4000:]


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
    # validation_results is per-run history: the killed run's partial attempt is rightly recorded there.
    history = frozenset({"audit.validation_results"})
    assert _contents(killed, ("raw", "quarantine", "audit"), history) == _contents(uninterrupted, ("raw", "quarantine", "audit"), history)
    shutil.copy(killed, tmp_path / "keep.duckdb")  # the recovered file opens and reads like any other
    with duckdb.connect(str(tmp_path / "keep.duckdb"), read_only=True) as con:
        assert con.sql("select count(*) from raw.youth_justice").fetchone()[0] > 0


@pytest.fixture(scope="module")
def uninterrupted_pipeline(warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The harmonised world taken through linkage, marts and publication by one uninterrupted run."""
    database, truth = warehouse
    copy = tmp_path_factory.mktemp("uninterrupted") / "hearth.duckdb"
    shutil.copy(database, copy)
    _finish(_materialise(copy, truth), copy)
    return copy


@pytest.mark.parametrize(
    ("moment", "signal_line", "delay"),
    [
        ("inside Splink", 'Started execution of step "linkage__person_links"', 1.0),
        ("inside the dbt build of the marts", "Materialized value linked linked_persons", 0.0),
    ],
)
def test_a_pipeline_run_killed_mid_way_reruns_to_the_same_warehouse(
    warehouse, uninterrupted_pipeline: Path, tmp_path: Path, moment: str, signal_line: str, delay: float
) -> None:
    database, truth = warehouse
    killed = tmp_path / "hearth.duckdb"
    shutil.copy(database, killed)
    run = _materialise(killed, truth)
    while signal_line not in (tmp_path / "dagster.log").read_text():
        assert run.poll() is None, f"the run ended before reaching {moment}"
        time.sleep(0.2)
    time.sleep(delay)
    home = tmp_path / "dagster_home"
    assert "No dead runs" in _hearth_recover(home)  # a live run is left alone
    os.killpg(run.pid, signal.SIGKILL)  # the run and its dbt or Splink work die at once
    run.wait(timeout=60)
    expected = _contents(uninterrupted_pipeline)
    assert _contents(killed) != expected, f"killed {moment}, yet the run had already finished"

    # The dead run still holds the warehouse slot, so a re-run would wait for ever: recover first.
    with dg.DagsterInstance.from_config(str(home)) as instance:
        (dead,) = instance.get_runs()
        assert dead.status == dg.DagsterRunStatus.STARTED
        assert _in_the_warehouse_pool(instance, dead.run_id)
    assert f"{dead.run_id} (__ASSET_JOB): worker process" in _hearth_recover(home)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE
        assert not _in_the_warehouse_pool(instance, dead.run_id)

    _finish(_materialise(killed, truth), killed)
    assert _contents(killed) == expected
    assert _contents(analysts_snapshot_of(killed)) == _contents(analysts_snapshot_of(uninterrupted_pipeline))
    with duckdb.connect(str(killed), read_only=True) as con:
        assert not con.sql(SCRATCH_TABLES_SQL).fetchall(), "Splink scratch tables left in the warehouse"
