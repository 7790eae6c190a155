"""Runs whose worker process died (killed, out of memory, machine restarted) stay `STARTED` in
Dagster's run storage, and the `warehouse` pool slot their step held stays claimed, so every later
run waits for it for ever. The local run launcher cannot ask a worker whether it is alive, so
`hearth recover` does it: a run whose worker process on this machine is gone is marked failed
(the failure sensor records and reports it) and its pool slots are freed. Re-running it is then
safe: ingestion skips what was committed, and later stages replace their tables whole.

It reads process ids, so run it on the machine that runs the runs (the local instance). A
production deployment whose run launcher checks worker health gets the same from Dagster's run
monitoring, which frees a finished run's slots after `free_slots_after_run_end_seconds`."""

from __future__ import annotations

import os
from dataclasses import dataclass

import dagster as dg

RUNNING = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


@dataclass(frozen=True)
class RecoveredRun:
    run_id: str
    job_name: str
    worker_pid: int


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True


def _worker_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The process that executed the run: the one that logged its start."""
    started = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_START)
    return started[-1].dagster_event.pid if started else None


def recover_dead_runs(instance: dg.DagsterInstance) -> list[RecoveredRun]:
    """Mark failed every unfinished run whose worker process is gone, and free its pool slots."""
    recovered = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=RUNNING)):
        run = record.dagster_run
        pid = _worker_pid(instance, run.run_id)
        if pid is None or _alive(pid):
            continue
        instance.report_run_failed(run, f"Run worker process {pid} is gone: the run was killed or its machine restarted (hearth recover).")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        recovered.append(RecoveredRun(run.run_id, run.job_name, pid))
    return recovered
