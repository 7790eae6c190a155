"""A run killed mid-way and run again leaves the same warehouse as a run that was never
interrupted. Ingestion: each source's load is one transaction, and the file-hash registry lets the
re-run skip what was committed and redo what was not. Linkage, dbt and publication: every table is
replaced whole, so a Dagster run killed inside Splink, recovered and run again, killed again inside
the dbt build of the marts, recovered and run again, rebuilds exactly what an uninterrupted run
builds, and leaves no scratch behind."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from linkage.scratch import SCRATCH_TABLES_SQL
from orchestration.resources import WAREHOUSE_POOL
from orchestration.settings import REPO_ROOT, analysts_snapshot_of

pytestmark = pytest.mark.integration  # Dagster processes end to end; `make check` leaves them out

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
VOLATILE |= {"version", "model_version", "trained_at", "training_summary_json"}  # a retrained model's number (every run retrains) and when
# Run history every attempt appends to (run id and time columns): a killed attempt's rows rightly
# stay there, so only what the last run recorded is compared. Each run retrains the person model.
RUN_HISTORY = {
    "audit.gate_results": ("run_id", "checked_at"),
    "audit.linkage_evaluation": ("run_id", "evaluated_at"),
    "linkage.person_linkage_models": ("version", "version"),
}
AFTER_HARMONISATION = "group:linkage,group:linked,group:marts,group:evaluation,group:publication,group:analysts"
SPLINK_STEP = "linkage__person_linkage_models"  # retraining, in the selection as group:linkage
SPLINK_TRAINING = "----- Starting EM training session -----"  # Splink's own progress, mid-step
DBT_MARTS_STEP = "marts"  # the dbt build of the linked models, the marts and their tests
RUN_START = re.compile(r" - ([0-9a-f-]{36}) - \d+ - RUN_START - ")


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
            rows = con.sql(f"select {', '.join(columns)} from {name}{last_run}").fetchall()
            out[name] = sorted((tuple(_rounded(value) for value in row) for row in rows), key=repr)
        return out


def _rounded(value: object, digits: int = 12) -> object:
    """Floats to 12 significant digits: DuckDB's parallel sums (Splink's match weights) may differ
    in the last bit between runs, which is not a difference in the warehouse. A saved model's JSON
    is compared parsed, to 9 digits, as EM iterations carry that jitter further."""
    if isinstance(value, float):
        return float(f"{value:.{digits}g}")
    if isinstance(value, str) and value.startswith('{"'):
        with contextlib.suppress(json.JSONDecodeError):
            return json.dumps(_rounded(json.loads(value), 9), sort_keys=True)
    if isinstance(value, dict):
        return {key: _rounded(item, digits) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item, digits) for item in value]
    return value


@dataclass
class Pipeline:
    """`dagster asset materialize` of everything after harmonisation, on a copy of the harmonised
    warehouse with its own Dagster instance; every run's output is appended to one log."""

    database: Path
    truth: Path
    runs: list[Run] = field(default_factory=list)

    @property
    def home(self) -> Path:
        return self.database.parent / "dagster_home"

    @property
    def log(self) -> Path:
        return self.database.parent / "dagster.log"

    @classmethod
    def copy_of(cls, harmonised: Path, truth: Path, folder: Path) -> Pipeline:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(harmonised, folder / "hearth.duckdb")
        (folder / "dagster_home").mkdir()
        shutil.copyfile(REPO_ROOT / "deploy" / "local" / "dagster.yaml", folder / "dagster_home" / "dagster.yaml")
        return cls(folder / "hearth.duckdb", truth)

    def start(self) -> Run:
        env = {
            **os.environ,
            "DAGSTER_HOME": str(self.home),
            "HEARTH_WAREHOUSE_PATH": str(self.database),
            "HEARTH_TRUTH_DIR": str(self.truth),
            "HEARTH_LANDING_DIR": str(self.truth.parent / "landing"),  # the world's marker: keyed under the demo secret
            "HEARTH_DOCS_DIR": str(self.database.parent / "docs"),
            "PYTHONUNBUFFERED": "1",  # Splink's progress reaches the log as it happens
        }
        offset = self.log.stat().st_size if self.log.exists() else 0
        with open(self.log, "a") as log:
            process = subprocess.Popen(
                ["dagster", "asset", "materialize", "-m", "orchestration.definitions", "--select", AFTER_HARMONISATION],
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.runs.append(Run(process, self.log, offset))
        return self.runs[-1]

    def stop(self) -> None:
        """Kill what is still running (a test that failed mid-way leaves no run behind)."""
        for run in self.runs:
            if run.process.poll() is None:
                run.kill()

    def instance(self) -> dg.DagsterInstance:
        return dg.DagsterInstance.from_config(str(self.home))

    def steps(self, run_id: str) -> dict[str, set[str]]:
        """Each step the run started, with the events it got to (STEP_START, STEP_SUCCESS, ...)."""
        with self.instance() as instance:
            events = instance.all_logs(run_id, of_type={dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE})
        steps: dict[str, set[str]] = {}
        for event in events:
            steps.setdefault(event.step_key, set()).add(event.dagster_event.event_type_value)
        return steps

    def holds_the_warehouse_slot(self, run_id: str) -> bool:
        """Whether the run holds, or is queued for, the warehouse slot."""
        with self.instance() as instance:
            pool = instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
        return any(step.run_id == run_id for step in [*pool.claimed_slots, *pool.pending_steps])

    def recover(self) -> str:
        done = subprocess.run(["hearth", "recover", "--home", str(self.home)], capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
        assert done.returncode == 0, done.stderr
        return done.stdout


@dataclass
class Run:
    process: subprocess.Popen
    log: Path
    offset: int  # where this run's output starts in the log
    end: int | None = None  # and where it ended, once killed (the next run's follows)

    def output(self) -> str:
        with open(self.log, errors="replace") as log:
            log.seek(self.offset)
            return log.read() if self.end is None else log.read(self.end - self.offset)

    @property
    def run_id(self) -> str:
        """The Dagster run this process executes, from its RUN_START line."""
        started = RUN_START.search(self.output())
        assert started, f"the run has not started: {self.output()[-4000:]}"
        return started[1]

    def wait_for(self, line: str, what: str) -> None:
        """Until the run prints `line`; it must still be running."""
        while line not in self.output():
            assert self.process.poll() is None, f"the run ended before {what}: {self.output()[-4000:]}"
            time.sleep(0.05)

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)  # the run and its dbt or Splink work die at once
        self.process.wait(timeout=60)
        self.end = self.log.stat().st_size

    def finish(self) -> None:
        try:
            self.process.wait(timeout=900)
        finally:
            if self.process.poll() is None:  # a run stuck (waiting for a slot, say) must not outlive the test
                self.kill()
        output = self.output()
        assert self.process.returncode == 0 and output.rstrip().endswith('RUN_SUCCESS - Finished execution of run for "__ASSET_JOB".'), output[-4000:]


def _scratch_tables(database: Path) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.sql(SCRATCH_TABLES_SQL).fetchall()


def _without_scratch(contents: dict[str, list[tuple]], database: Path) -> dict[str, list[tuple]]:
    scratch = {f"{schema}.{name}" for schema, name, _ in _scratch_tables(database)}
    return {table: rows for table, rows in contents.items() if table not in scratch}


def test_a_killed_ingestion_run_reruns_to_the_same_warehouse(warehouse, tmp_path: Path) -> None:
    # The session's harmonised warehouse was loaded from this landing folder by one uninterrupted
    # ingestion of every source (conftest), and dbt writes none of raw, quarantine and audit.
    uninterrupted, _ = warehouse
    landing = uninterrupted.parent / "landing"
    years = ",".join(sorted(p.name for p in (landing / "hes_apc").iterdir()))

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
def uninterrupted_run(warehouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Pipeline, Run]]:
    """The harmonised world taken through linkage, marts and publication by one uninterrupted run.
    It is started here and left running: it does its work while the test's killed runs do theirs."""
    database, truth = warehouse
    pipeline = Pipeline.copy_of(database, truth, tmp_path_factory.mktemp("uninterrupted"))
    try:
        yield pipeline, pipeline.start()
    finally:
        pipeline.stop()


@pytest.fixture
def pipeline(warehouse, tmp_path: Path) -> Iterator[Pipeline]:
    """The same, on a copy of its own, for runs to kill."""
    database, truth = warehouse
    pipeline = Pipeline.copy_of(database, truth, tmp_path)
    try:
        yield pipeline
    finally:
        pipeline.stop()


def test_a_pipeline_run_killed_inside_splink_then_inside_the_dbt_marts_build_reruns_to_the_same_warehouse(
    pipeline: Pipeline, uninterrupted_run: tuple[Pipeline, Run]
) -> None:
    # Killed inside Splink: while it trains the person model, with its scratch tables in the warehouse.
    run = pipeline.start()
    run.wait_for(SPLINK_TRAINING, "Splink training the person model")
    run.kill()
    # Re-run at once, as an operator might: it cannot touch the warehouse before `hearth recover`
    # frees the slot the dead run holds, so it waits for that (or starts its run after it).
    rerun = pipeline.start()
    assert pipeline.steps(run.run_id)[SPLINK_STEP] == {"STEP_START"}, "not killed inside the Splink step"
    assert _scratch_tables(pipeline.database), "killed inside Splink, yet no Splink scratch tables in the warehouse"
    after_splink_kill = _without_scratch(_contents(pipeline.database), pipeline.database)
    _recover(pipeline, run.run_id)

    # The re-run, killed inside the dbt build of the marts once dbt has rebuilt the first linked model.
    run = rerun
    run.wait_for('Started execution of step "linkage__address_matches"', "linkage")
    assert "No dead runs" in pipeline.recover()  # a live run is left alone
    run.wait_for("Materialized value linked linked_persons", "dbt building the linked models")
    run.kill()
    rerun = pipeline.start()
    steps = pipeline.steps(run.run_id)
    assert steps[DBT_MARTS_STEP] == {"STEP_START"}, "not killed inside the dbt build of the marts"
    assert all(events == {"STEP_START", "STEP_SUCCESS"} for step, events in steps.items() if step != DBT_MARTS_STEP), steps
    assert not _scratch_tables(pipeline.database), "the re-run's linkage left Splink scratch tables"
    after_dbt_kill = _contents(pipeline.database)
    _recover(pipeline, run.run_id)

    # While the last re-run runs: how the killed warehouses compare with the uninterrupted run's.
    reference, uninterrupted = uninterrupted_run
    uninterrupted.finish()
    expected = _contents(reference.database)
    assert after_splink_kill != expected, "killed inside Splink, yet the warehouse was already complete"
    assert after_dbt_kill != expected, "killed inside the dbt build, yet the warehouse was already complete"
    linkage = {table: rows for table, rows in expected.items() if table.startswith("linkage.")}
    assert {table: rows for table, rows in after_dbt_kill.items() if table.startswith("linkage.")} == linkage, "the first re-run's linkage differs"

    rerun.finish()
    assert _contents(pipeline.database) == expected
    assert _contents(analysts_snapshot_of(pipeline.database)) == _contents(analysts_snapshot_of(reference.database))
    assert not _scratch_tables(pipeline.database), "Splink scratch tables left in the warehouse"


def _recover(pipeline: Pipeline, dead: str) -> None:
    """The dead run still holds the warehouse slot, so a re-run would wait for ever: recover frees it."""
    with pipeline.instance() as instance:
        assert instance.get_run_by_id(dead).status == dg.DagsterRunStatus.STARTED
    assert pipeline.holds_the_warehouse_slot(dead)
    assert f"{dead} (__ASSET_JOB): worker process" in pipeline.recover()
    with pipeline.instance() as instance:
        assert instance.get_run_by_id(dead).status == dg.DagsterRunStatus.FAILURE
    assert not pipeline.holds_the_warehouse_slot(dead)
