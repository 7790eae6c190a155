"""Sensors: new extracts in the landing zone start ingestion for exactly their source and year, and
a failed run is recorded and reported."""

import hashlib
import json
import urllib.request
from datetime import UTC, datetime

import dagster as dg

from ingestion.bookkeeping import create_bookkeeping_table
from ingestion.landing import landing_fingerprints
from orchestration.jobs import AssetJob, ingestion_jobs
from orchestration.partitions import collection_year_partitions
from orchestration.resources import HearthPaths, Warehouse


def build_landing_sensor(jobs: dict[str, AssetJob], partitions: dg.StaticPartitionsDefinition) -> dg.SensorDefinition:
    @dg.sensor(
        name="landing_sensor",
        jobs=list(jobs.values()),
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="New or changed files under data/landing/<source>/<year>/ start that source's ingestion for that year only.",
    )
    def landing_sensor(context: dg.SensorEvaluationContext, paths: HearthPaths) -> dg.SensorResult:
        seen = json.loads(context.cursor) if context.cursor else {}
        now = landing_fingerprints(paths.landing) if paths.landing.is_dir() else {}
        requests, skipped = [], []
        for folder, fingerprint in now.items():
            if seen.get(folder) == fingerprint:
                continue
            source, year = folder.split("/")
            if year not in partitions.get_partition_keys():
                skipped.append(folder)
                continue
            requests.append(
                dg.RunRequest(
                    run_key=f"{folder}|{hashlib.sha256(fingerprint.encode()).hexdigest()[:16]}",
                    job_name=jobs[source].name,
                    partition_key=year,
                    tags={"hearth/source": source},
                )
            )
        if skipped:
            context.log.info(f"Not a collection year Hearth partitions by (HEARTH_COLLECTION_YEARS): {', '.join(skipped)}")
        return dg.SensorResult(run_requests=requests, cursor=json.dumps(now))

    return landing_sensor


class FailureNotifier(dg.ConfigurableResource):
    """Where failed runs are reported: a webhook that receives a JSON POST (empty: record only)."""

    webhook_url: str = ""

    def notify(self, payload: dict) -> bool:
        if not self.webhook_url:
            return False
        request = urllib.request.Request(self.webhook_url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return 200 <= response.status < 300


@dg.run_failure_sensor(
    name="run_failure_sensor",
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Records every failed run in audit.run_failures and notifies the configured hook.",
)
def run_failure_sensor(context: dg.RunFailureSensorContext, warehouse: Warehouse, failure_notifier: FailureNotifier) -> None:
    run = context.dagster_run
    payload = {
        "run_id": run.run_id,
        "job_name": run.job_name,
        "partition_key": run.tags.get("dagster/partition"),
        "message": context.failure_event.message or "",
        "failed_at": datetime.now(UTC).isoformat(),
    }
    try:
        notified = failure_notifier.notify(payload)
    except OSError as exc:  # the hook being down must not hide the failure itself
        context.log.warning(f"failure hook {failure_notifier.webhook_url} unreachable: {exc}")
        notified = False
    with warehouse.get_connection() as con:
        create_bookkeeping_table(con, "audit.run_failures")
        con.execute(
            "insert into audit.run_failures values (?, ?, ?, ?, ?, ?)",
            [payload["run_id"], payload["job_name"], datetime.now(UTC), payload["partition_key"], payload["message"], notified],
        )


landing_sensor = build_landing_sensor(ingestion_jobs, collection_year_partitions)
