"""`hearth run`: every stage of the pipeline in order, each as Dagster runs of its job's assets in the
instance `hearth ui` opens, so the UI shows what ran, what it materialised and what its checks said.

The terminal gets one line per stage (what it did, its checks, its time) with a progress bar while
it runs; Dagster's full event log, and everything the steps print, go to a log file. A blocking
gate stops the run: the stages after it do not run, so their tables keep the last good run's rows,
and the explanation names the gate, its table, its figure and where to look."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import AssetCheckEvaluation
from dagster._core.definitions.repository_definition import RepositoryDefinition
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from hearth.site import build_stewards_site
from orchestration.settings import analysts_snapshot_of

# Dagster's console logger says nothing: the events go to the log file, the summary to the terminal.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
RUN_TAG = "hearth/run"  # every Dagster run of one `hearth run` carries its id, to find them together in the UI
STAGE_TAG = "hearth/stage"
ANSI_CODES = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class Stage:
    """One step of the pipeline: a job's assets (and their checks), run once, once over the
    collection years as a range (`range`), or once per year (`each`)."""

    name: str
    selection: dg.AssetSelection
    partitions: str = ""
    facts: tuple[tuple[str, str], ...] = ()  # (metadata key, what it counts), summed over the stage's tables; `table:key` for one table's


def pipeline_stages(retrain_person_model: bool = False) -> tuple[Stage, ...]:
    """The jobs of `orchestration.jobs` in the order the data flows through them. Imported here,
    not at module level: the partitions read HEARTH_COLLECTION_YEARS when the jobs load."""
    from orchestration import jobs

    linkage = jobs.linkage_job.selection | (jobs.person_model_job.selection if retrain_person_model else dg.AssetSelection.assets())
    return (
        Stage("landing", jobs.landing_inventory_job.selection, facts=(("dagster/row_count", "files inventoried"),)),
        Stage(
            "ingestion",
            jobs.ingestion_job.selection,
            "range",
            (("rows_read", "rows read"), ("rows_loaded", "loaded"), ("rows_quarantined", "quarantined")),
        ),
        Stage("DfE rules", jobs.dfe_rules_job.selection, "each", (("hits", "DfE rule hits"),)),
        Stage("harmonisation", jobs.harmonisation_job.selection),
        Stage(
            "linkage",
            linkage,
            facts=(("linkage/person_links:records", "records"), ("persons", "persons"), ("household_spells", "household spells"), ("families", "families")),
        ),
        Stage("marts", jobs.marts_job.selection, facts=(("cells", "published cells"),)),
    )


@dataclass
class StageOutcome:
    """What a stage's Dagster runs reported: each table's metadata, every check, every failure."""

    stage: Stage
    tables: dict[tuple[str, dg.AssetKey], Mapping[str, object]] = field(default_factory=dict)  # (run, table): metadata values
    checks: list[AssetCheckEvaluation] = field(default_factory=list)
    step_failures: list[str] = field(default_factory=list)
    run_failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def succeeded(self) -> bool:
        return not (self.step_failures or self.run_failures or self.blocking_failures)

    @property
    def blocking_failures(self) -> list[AssetCheckEvaluation]:
        return [check for check in self.checks if not check.passed and check.blocking and check.severity == dg.AssetCheckSeverity.ERROR]

    def summary(self) -> str:
        """What the stage did, e.g. `27 tables, 1,234 rows read, 1,200 loaded, 34 quarantined · checks 54 passed, 0 warned, 0 failed`."""
        tables = len({key for _, key in self.tables})
        counts = [f"{tables} table{'s' if tables != 1 else ''}"]
        for fact, label in self.stage.facts:
            table, _, key = fact.rpartition(":")
            values = [
                value
                for (_, asset), metadata in self.tables.items()
                if table in ("", asset.to_user_string()) and isinstance(value := metadata.get(key), int | float) and not isinstance(value, bool)
            ]
            if values:
                counts.append(f"{sum(values):,} {label}")
        passed = sum(check.passed for check in self.checks)
        warned = sum(not check.passed and check.severity == dg.AssetCheckSeverity.WARN for check in self.checks)
        failed = len(self.checks) - passed - warned
        return ", ".join(counts) + f" · checks {passed:,} passed, {warned:,} warned, {failed:,} failed"


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def stage_line(succeeded: bool, name: str, summary: str, seconds: float) -> str:
    return f"{'[green]✓[/]' if succeeded else '[red]✗[/]'} {name:<15} {summary}  [dim]{duration(seconds)}[/]"


def _metadata_values(metadata: Mapping[str, dg.MetadataValue]) -> dict[str, object]:
    return {key: value.value if isinstance(value, dg.MetadataValue) else value for key, value in metadata.items()}


def log_line(entry: EventLogEntry) -> str:
    """One event as the log file keeps it: time, level, run, step, event type, message, and the
    metadata of materialisations and check results."""
    event = entry.dagster_event
    parts = [
        datetime.fromtimestamp(entry.timestamp).isoformat(sep=" ", timespec="milliseconds"),
        logging.getLevelName(entry.level),
        entry.run_id,
        entry.step_key or "-",
        event.event_type_value if event else "LOG",
        entry.message,
    ]
    metadata = None
    if event and event.is_step_materialization:
        metadata = event.step_materialization_data.materialization.metadata
    elif event and event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
        evaluation = event.event_specific_data
        parts[-1] = f"{evaluation.asset_check_key.to_user_string()}: {'passed' if evaluation.passed else 'failed'} ({evaluation.description or ''})"
        metadata = evaluation.metadata
    line = " - ".join(parts)
    if metadata:
        line += " " + json.dumps(_metadata_values(metadata), default=str, sort_keys=True)
    return line + "\n"


def _step_failure(event: dg.DagsterEvent) -> str | None:
    """The failure's own words: a `Failure`'s description, else the error's message; none for a
    step failed by its blocking checks, which say more themselves."""
    data = event.step_failure_data
    if data.error and data.error.cls_name == "DagsterAssetCheckFailedError":
        return None
    if data.user_failure_data and data.user_failure_data.description:
        return f"{event.step_key}: {data.user_failure_data.description}"
    return f"{event.step_key}: {_condensed(data.error.message if data.error else event.message)}"


def _condensed(message: str, lines: int = 12) -> str:
    """An error's message without colour codes or blank lines, and at most `lines` of it (the log has it whole)."""
    kept = [line.rstrip() for line in ANSI_CODES.sub("", message).splitlines() if line.strip()]
    return "\n    ".join(kept[:lines] + (["(more in the log)"] if len(kept) > lines else []))


class PipelineRun:
    """The stages of one `hearth run`, executed in process against `instance`."""

    def __init__(self, repository: RepositoryDefinition, instance: dg.DagsterInstance, years: list[int], log: TextIO) -> None:
        self.repository, self.instance, self.years, self.log = repository, instance, years, log
        self.run_id = uuid.uuid4().hex[:12]
        self.dagster_runs = 0

    def _partition_runs(self, stage: Stage) -> list[tuple[str | None, dict[str, str]]]:
        """(partition key, tags) of each Dagster run of the stage."""
        if stage.partitions == "range":
            return [(None, {ASSET_PARTITION_RANGE_START_TAG: str(self.years[0]), ASSET_PARTITION_RANGE_END_TAG: str(self.years[-1])})]
        if stage.partitions == "each":
            return [(str(year), {}) for year in self.years]
        return [(None, {})]

    def run_stage(self, stage: Stage, advance: Callable[[], None]) -> StageOutcome:
        graph = self.repository.asset_graph
        keys = stage.selection.resolve(graph)
        job = self.repository.get_implicit_job_def_for_assets(keys)
        outcome = StageOutcome(stage)
        started = time.perf_counter()
        for partition_key, tags in self._partition_runs(stage):
            run_id = str(uuid.uuid4())
            self.instance.add_event_listener(run_id, lambda entry, run_id=run_id: self._record(entry, run_id, outcome, advance))
            job.execute_in_process(
                run_config=QUIET,
                instance=self.instance,
                partition_key=partition_key,
                asset_selection=list(keys),
                run_id=run_id,
                tags={**tags, RUN_TAG: self.run_id, STAGE_TAG: stage.name},
                raise_on_error=False,
            )
            self.dagster_runs += 1
            if not outcome.succeeded:
                break
        outcome.seconds = time.perf_counter() - started
        return outcome

    def steps_of(self, stage: Stage) -> int:
        """How many tables and checks a stage's runs report, for its progress bar."""
        keys = stage.selection.resolve(self.repository.asset_graph)
        checks = [check for check in self.repository.asset_graph.asset_check_keys if check.asset_key in keys]
        return (len(keys) + len(checks)) * len(self._partition_runs(stage))

    def _record(self, entry: EventLogEntry, run_id: str, outcome: StageOutcome, advance: Callable[[], None]) -> None:
        self.log.write(log_line(entry))
        event = entry.dagster_event
        if event is None:
            return
        if event.is_step_materialization:
            key = (run_id, event.asset_key)
            if key not in outcome.tables:
                advance()
            outcome.tables[key] = _metadata_values(event.step_materialization_data.materialization.metadata)
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            outcome.checks.append(event.event_specific_data)
            advance()
        elif event.event_type == dg.DagsterEventType.STEP_FAILURE:
            if failure := _step_failure(event):
                outcome.step_failures.append(failure)
        elif event.event_type == dg.DagsterEventType.RUN_FAILURE and not outcome.step_failures and not outcome.blocking_failures:
            outcome.run_failures.append(entry.message)


def _figures(metadata: Mapping[str, dg.MetadataValue]) -> str:
    """A check's metadata as its figures, for a check that gives no description (the DfE validators')."""
    return "; ".join(f"{key} {json.dumps(value, default=str)}" for key, value in _metadata_values(metadata).items()) or "it reported no figures"


def explain(outcome: StageOutcome, log_path: Path) -> list[str]:
    """Why a stage stopped the run: each blocking gate with its table and figure, or the error, and where to look."""
    lines = [f"Stopped at {outcome.stage.name}: the stages after it did not run, so their tables keep the last good run's rows."]
    for check in outcome.blocking_failures:
        table = check.asset_key.to_user_string()
        lines.append(f"  Blocking gate {check.check_name} on {table} failed: {check.description or _figures(check.metadata)}")
        lines.append(f"    Its result, with the figures: `hearth ui`, then /assets/{table}?view=checks")
    lines += [f"  {failure}" for failure in outcome.step_failures + outcome.run_failures]
    if any(check.asset_key.path[0] == "raw" for check in outcome.blocking_failures):
        lines.append("  The rows and the rules they broke: quarantine.rejected_rows (`hearth status` counts them by rule).")
    lines.append(f"  Every event and step output: {shown(log_path)}")
    return lines


def run_pipeline(
    repository: RepositoryDefinition,
    instance: dg.DagsterInstance,
    stages: tuple[Stage, ...],
    years: list[int],
    warehouse: Path,
    docs_dir: Path,
    console: Console,
    log_path: Path,
) -> int:
    """Run every stage, then build the stewards' site; 0 if all passed, 1 if a stage stopped the run."""
    started = time.perf_counter()
    with open(log_path, "a", buffering=1, encoding="utf-8") as log:
        pipeline = PipelineRun(repository, instance, years, log)
        log.write(f"hearth run {pipeline.run_id}: years {years[0]}-{years[-1]}, warehouse {warehouse}, Dagster instance {instance.root_directory}\n")
        columns = (SpinnerColumn(), TextColumn("{task.description:<15}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        # Progress must not take over sys.stdout and sys.stderr, which carry what the steps print to the log.
        live = {"redirect_stdout": False, "redirect_stderr": False}
        with Progress(*columns, console=console, transient=True, disable=not console.is_terminal, **live) as progress:
            for stage in stages:
                task = progress.add_task(stage.name, total=pipeline.steps_of(stage))
                outcome = pipeline.run_stage(stage, lambda task=task: progress.advance(task))
                progress.remove_task(task)
                console.print(stage_line(outcome.succeeded, stage.name, outcome.summary(), outcome.seconds))
                for check in outcome.checks:
                    if not check.passed and check.severity == dg.AssetCheckSeverity.ERROR and not check.blocking:
                        console.print(f"  [yellow]![/] {check.check_name} on {check.asset_key.to_user_string()} failed (not blocking): {check.description}")
                if not outcome.succeeded:
                    console.print("\n".join(explain(outcome, log_path)), style="red")
                    return 1
            task = progress.add_task("stewards' site", total=None)
            site_started = time.perf_counter()
            site = build_stewards_site(warehouse, docs_dir)
            progress.remove_task(task)
        console.print(stage_line(True, "stewards' site", str(shown(site.overview)), time.perf_counter() - site_started))
        console.print(f"Done in {duration(time.perf_counter() - started)}, as {pipeline.dagster_runs} Dagster runs tagged {RUN_TAG}={pipeline.run_id}.")
    console.print(
        "\n".join(
            (
                f"Built: the warehouse {shown(warehouse)} and the analysts' read-only copy {shown(analysts_snapshot_of(warehouse))}.",
                "Look around:",
                f"  stewards' site  {shown(site.overview)} (uv run hearth docs --serve)",
                f"  Dagster UI      uv run hearth ui (runs, assets and checks in {shown(Path(instance.root_directory))})",
                f"  SQL             uv run duckdb -readonly {shown(analysts_snapshot_of(warehouse))}",
                f"  full log        {shown(log_path)}",
            )
        )
    )
    return 0


def shown(path: Path) -> Path:
    """A path as short as it can be said: from the current folder, where it lies under it."""
    return path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
