"""Operating Hearth: collection schedules, the landing sensor (one run per new source and year),
and the run-failure sensor that records and reports failures."""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest
from dagster._config import process_config
from dagster._core.instance.ref import InstanceRef
from dagster._serdes.config_class import class_from_code_pointer
from dagster_postgres.utils import pg_url_from_config

from orchestration.definitions import defs
from orchestration.jobs import ingestion_jobs
from orchestration.partitions import collection_year_partitions
from orchestration.resources import HearthPaths, Warehouse
from orchestration.sensors import FailureNotifier, build_landing_sensor, run_failure_sensor
from orchestration.settings import REPO_ROOT

LONDON = ZoneInfo("Europe/London")


def _schedule(name: str) -> dg.ScheduleDefinition:
    return defs.get_repository_def().get_schedule_def(name)


@pytest.mark.parametrize(
    ("schedule", "tick", "partition"),
    [
        ("school_census_collection", datetime(2021, 2, 1, 6, tzinfo=LONDON), "2021"),
        ("school_census_collection", datetime(2023, 11, 1, 6, tzinfo=LONDON), "2023"),
        ("cin_census_collection", datetime(2022, 8, 1, 6, tzinfo=LONDON), "2022"),
        ("hes_apc_collection", datetime(2019, 8, 1, 6, tzinfo=LONDON), "2019"),
    ],
)
def test_a_collection_schedule_asks_for_its_year(schedule: str, tick: datetime, partition: str) -> None:
    definition = _schedule(schedule)
    (request,) = definition.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=tick, repository_def=defs.get_repository_def())).run_requests
    assert request.partition_key == partition
    assert definition.job_name == ingestion_jobs[schedule.removesuffix("_collection")].name


def test_schedules_follow_the_collections() -> None:
    assert _schedule("school_census_collection").cron_schedule == "0 6 1 2,6,11 *"  # after each termly census
    assert _schedule("ssda903_collection").cron_schedule == "0 6 1 8 *"  # when year-to-March returns are due
    names = {s.name for s in defs.get_repository_def().schedule_defs}
    assert "census_2021_collection" not in names and "gazetteer_collection" not in names  # one-off extracts


def test_a_tick_outside_the_collection_years_is_skipped() -> None:
    result = _schedule("youth_justice_collection").evaluate_tick(
        dg.build_schedule_context(scheduled_execution_time=datetime(2031, 8, 1, 6, tzinfo=LONDON), repository_def=defs.get_repository_def())
    )
    assert not result.run_requests and "2031" in result.skip_message


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_the_landing_sensor_starts_ingestion_for_exactly_the_new_file(tmp_path: Path) -> None:
    _write(tmp_path / "school_census" / "2021" / "school_census_2021_spring.csv", "a\n")
    _write(tmp_path / "school_census" / "2022" / "school_census_2022_spring.csv", "a\n")
    _write(tmp_path / "hes_apc" / "2022" / "hes_apc_2022.csv", "a\n")
    _write(tmp_path / "hes_apc" / "2035" / "hes_apc_2035.csv", "a\n")  # not a collection year Hearth partitions by
    _write(tmp_path / "notes" / "2022" / "readme.txt", "not a source\n")
    sensor = build_landing_sensor(ingestion_jobs, collection_year_partitions)
    resources = {"paths": HearthPaths(landing_dir=str(tmp_path))}

    first = sensor(dg.build_sensor_context(resources=resources))
    assert sorted((r.job_name, r.partition_key) for r in first.run_requests) == [
        ("ingest_hes_apc_job", "2022"),
        ("ingest_school_census_job", "2021"),
        ("ingest_school_census_job", "2022"),
    ]
    again = sensor(dg.build_sensor_context(cursor=first.cursor, resources=resources))
    assert again.run_requests == []

    # A new summer census file for 2022 only: one run, for that source and that year.
    _write(tmp_path / "school_census" / "2022" / "school_census_2022_summer.csv", "a\n")
    new = sensor(dg.build_sensor_context(cursor=again.cursor, resources=resources))
    assert [(r.job_name, r.partition_key) for r in new.run_requests] == [("ingest_school_census_job", "2022")]
    assert new.run_requests[0].run_key != first.run_requests[2].run_key


class _Hook(http.server.BaseHTTPRequestHandler):
    received: list[dict] = []  # noqa: RUF012 (one list shared by the handler instances on purpose: the test reads it)

    def do_POST(self) -> None:
        _Hook.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def _report_failure(database: Path, webhook_url: str, error: str) -> dg.ExecuteInProcessResult:
    """Fail a run on an ephemeral instance and hand its failure to the sensor."""

    @dg.asset
    def unreadable_extract() -> None:
        raise OSError(error)

    instance = dg.DagsterInstance.ephemeral()
    failed = dg.materialize([unreadable_extract], instance=instance, raise_on_error=False)
    assert not failed.success
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_sensor",
        dagster_instance=instance,
        dagster_run=failed.dagster_run,
        dagster_event=failed.get_run_failure_event(),
        resources={"warehouse": Warehouse(database=str(database)), "failure_notifier": FailureNotifier(webhook_url=webhook_url)},
    ).for_run_failure()
    run_failure_sensor(context)
    return failed


def test_a_failed_run_is_recorded_and_reported(tmp_path: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    database = tmp_path / "hearth.duckdb"
    try:
        failed = _report_failure(database, f"http://127.0.0.1:{server.server_address[1]}/hook", "the landing share went away")
    finally:
        server.shutdown()
    assert [(h["run_id"], h["job_name"]) for h in _Hook.received] == [(failed.run_id, failed.dagster_run.job_name)]
    with duckdb.connect(str(database), read_only=True) as con:
        (row,) = con.sql("select run_id, notified, message from audit.run_failures").fetchall()
    assert row[0] == failed.run_id and row[1] is True and "unreadable_extract" in row[2]


def test_failures_are_recorded_even_when_the_hook_is_down(tmp_path: Path) -> None:
    _report_failure(tmp_path / "w.duckdb", "http://127.0.0.1:9/nowhere", "disk full")
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        assert con.sql("select count(*), bool_and(not notified) from audit.run_failures").fetchone() == (1, True)


def test_ingestion_retries_transient_errors_but_not_rejected_files() -> None:
    job = defs.resolve_job_def("ingest_school_census_job")
    assert job.op_retry_policy.max_retries == 3 and job.op_retry_policy.backoff == dg.Backoff.EXPONENTIAL
    source = Path(__file__).resolve().parent.parent / "orchestration" / "assets" / "raw.py"
    assert "allow_retries=False" in source.read_text()
    assert defs.resources["failure_notifier"].webhook_url == os.environ.get("HEARTH_FAILURE_WEBHOOK", "")


def _instance_ref(config: Path, folder: Path) -> InstanceRef:
    folder.mkdir()
    shutil.copyfile(config, folder / "dagster.yaml")
    return InstanceRef.from_dir(str(folder))  # validates the file against Dagster's instance schema


def test_the_production_instance_stores_runs_in_postgres_from_its_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = REPO_ROOT / "deploy" / "production" / "dagster.yaml"
    environment = {
        "DAGSTER_PG_HOST": "db.internal",
        "DAGSTER_PG_PORT": "5433",
        "DAGSTER_PG_DB": "dagster",
        "DAGSTER_PG_USER": "hearth",
        "DAGSTER_PG_PASSWORD": "s3cret",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    ref = _instance_ref(config, tmp_path / "production")
    storage = ref.storage_data
    assert (storage.module_name, storage.class_name) == ("dagster_postgres", "DagsterPostgresStorage")
    resolved = process_config(class_from_code_pointer(storage.module_name, storage.class_name).config_type(), storage.config_dict)
    assert resolved.success, resolved.errors
    assert pg_url_from_config(resolved.value) == "postgresql://hearth:s3cret@db.internal:5433/dagster"
    header = config.read_text().split("\nstorage:")[0]
    assert all(name in header for name in re.findall(r"\{env: (\w+)\}", config.read_text())), "an environment variable it reads is not documented"


@pytest.mark.parametrize("deployment", ["local", "production"])
def test_both_instances_serialise_the_warehouse_and_free_crashed_runs_slots(tmp_path: Path, deployment: str) -> None:
    settings = _instance_ref(REPO_ROOT / "deploy" / deployment / "dagster.yaml", tmp_path / deployment).settings
    assert settings["concurrency"]["pools"] == {"granularity": "op", "default_limit": 1}
    assert settings["run_monitoring"]["enabled"] and settings["run_monitoring"]["free_slots_after_run_end_seconds"] > 0
