"""`hearth bench`: the whole run per world size, stage by stage, on this machine.

Each stage calls the function its Dagster asset calls (generation aside, which has no asset), so a
benchmark measures the pipeline itself rather than a copy of it. It prints two tables: wall time,
rows/s and peak memory per stage (this process and those it starts, such as dbt's), and ingestion
per source (read, validate, write, and what validation costs against loading); `--until` stops
after a stage, e.g. `--until ingest` to time generation and ingestion alone.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import resource
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import psutil

from disclosure.publication import publish_evaluation_estimates, publish_la_year_indicators
from evaluation.config import load_evaluations
from evaluation.run import evaluate_all, write_results
from hearth.bench_plot import plot_memory
from ingestion.load import IngestionRun, ingest
from ingestion.registry import SOURCES
from linkage.addresses import match_addresses
from linkage.evaluation import evaluate_linkage
from linkage.families import link_families
from linkage.households import form_households
from linkage.persons import link_persons, pseudonym_secret
from orchestration.settings import DBT_PROJECT_DIR, dbt_warehouse_vars
from synthetic_population.config import FaultRates, WorldConfig
from synthetic_population.world import generate_world
from validations.docs_assets import require_vendored
from validations.gates import GATES, run_gates
from warehouse.connection import connect

# --until name -> the stage as the table shows it.
STAGES = {
    "generate": "generate",
    "ingest": "ingest + validate",
    "harmonise": "harmonise (dbt)",
    "addresses": "addresses to UPRN",
    "persons": "records to persons",
    "households": "households + families",
    "marts": "marts (dbt), evaluations + publication",
    "gates": "gates (Great Expectations)",
}
LINKAGE_STAGES = ("addresses", "persons", "households")
STAGE_COLUMNS = {
    "persons": "persons",
    "stage": "stage",
    "seconds": "wall time (s)",
    "rows": "rows",
    "rows_per_s": "rows/s",
    "peak_gib": "peak memory (GiB)",
}
SOURCE_COLUMNS = {
    "persons": "persons",
    "source": "source",
    "files": "files",
    "rows": "rows",
    "read_s": "read (s)",
    "validate_s": "validate (s)",
    "write_s": "write (s)",
    "rows_per_s": "rows/s",
    "validate_vs_load": "validate / load",
}


def _own_peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class MemorySampler:
    """The resident memory of this process and every process it started (dbt runs in one, with its
    own DuckDB), sampled on a thread: a stage's peak is what the machine held for the run, not only
    this process's. This process's exact maximum (getrusage) is a floor where sampling missed a spike."""

    def __init__(self, interval_s: float = 0.2) -> None:
        self.interval_s = interval_s
        self.samples: list[tuple[float, int]] = []  # (seconds since start, bytes)
        self._started = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-sampler", daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        own = psutil.Process()
        while not self._stop.is_set():
            resident = own.memory_info().rss
            for child in own.children(recursive=True):
                with contextlib.suppress(psutil.Error):  # a child may end between listing and reading
                    resident += child.memory_info().rss
            self.samples.append((self.now(), resident))
            self._stop.wait(self.interval_s)

    def now(self) -> float:
        return time.perf_counter() - self._started

    def peak_gib(self, since: float, own_peak_before: int) -> float:
        """The highest memory sampled since `since` (seconds), or this process's own maximum where it rose above that."""
        sampled = max((resident for at, resident in self.samples if at >= since), default=0)
        own_peak = _own_peak_bytes()
        return round(max(sampled, own_peak if own_peak > own_peak_before else 0) / 1024**3, 2)


@dataclass
class WorldBench:
    """One world's run: its folder, what each stage measured, and what validation cost."""

    persons: int
    seed: int
    root: Path
    stages: list[dict] = field(default_factory=list)
    ingestion: list[IngestionRun] = field(default_factory=list)
    validation_seconds: dict[str, float] = field(default_factory=lambda: {"pandera": 0.0, "dbt tests": 0.0, "great expectations": 0.0})
    fault_intensity: float = 1.0
    memory: MemorySampler = field(default_factory=MemorySampler)

    @property
    def database(self) -> Path:
        return self.root / "hearth.duckdb"

    @property
    def config(self) -> WorldConfig:
        return WorldConfig(persons=self.persons, seed=self.seed, faults=FaultRates().scaled(self.fault_intensity))

    def time(self, stage: str, run: Callable[[], int]) -> None:
        """Run one stage and record its wall time, rows and its peak memory."""
        since, own_peak = self.memory.now(), _own_peak_bytes()
        started = time.perf_counter()
        rows = run()
        seconds = time.perf_counter() - started
        self.stages.append(
            {
                "persons": self.persons,
                "stage": STAGES[stage],
                "started_s": round(since, 1),
                "seconds": round(seconds, 1),
                "rows": rows,
                "rows_per_s": round(rows / seconds) if seconds else 0,
                "peak_gib": self.memory.peak_gib(since, own_peak),
            }
        )

    def generate(self) -> int:
        return sum(generate_world(self.config, self.root / "landing", self.root / "truth").records.values())

    def ingest(self) -> int:
        self.database.unlink(missing_ok=True)
        with connect(str(self.database)) as con:
            self.ingestion = [ingest(con, source, list(self.config.years), self.root / "landing", "bench") for source in SOURCES]
        self.validation_seconds["pandera"] += sum(run.seconds_validate for run in self.ingestion)
        return sum(f.rows_read for run in self.ingestion for f in run.files)

    def dbt_build(self, selector: str) -> None:
        """What the dbt assets run: `dbt build` through dagster-dbt's resource on this warehouse."""
        from dagster_dbt import DbtCliResource

        target = self.root / "target"
        with contextlib.redirect_stdout(io.StringIO()):  # dbt's log lines; the tables are the output
            dbt = DbtCliResource(project_dir=str(DBT_PROJECT_DIR))
            dbt.cli(["build", "--selector", selector, *dbt_warehouse_vars(self.database)], target_path=target).wait()
        results = json.loads((target / "run_results.json").read_text())["results"]
        self.validation_seconds["dbt tests"] += sum(r["execution_time"] for r in results if r["unique_id"].startswith(("test.", "unit_test.")))

    def harmonise(self) -> int:
        self.dbt_build("before_linkage")
        with connect(str(self.database)) as con:
            return con.sql("select count(*) from intermediate.int_person_records").fetchone()[0]

    def addresses_to_uprns(self) -> int:
        with connect(str(self.database)) as con:
            return match_addresses(con)["addresses"]

    def records_to_persons(self) -> int:
        with connect(str(self.database)) as con:
            return link_persons(con, pseudonym_secret(self.root / "landing"))["records"]

    def households_and_families(self) -> int:
        secret = pseudonym_secret(self.root / "landing")
        with connect(str(self.database)) as con:
            return form_households(con, secret)["residences"] + link_families(con, secret)["parent_links"]

    def marts_and_publication(self) -> int:
        self.dbt_build("after_linkage")
        with connect(str(self.database)) as con:
            published = publish_la_year_indicators(con)
            write_results(con, evaluate_all(con, load_evaluations())[0])
            estimates = publish_evaluation_estimates(con)
            marts = con.sql("select table_name from information_schema.tables where table_schema = 'marts'").fetchall()
            return sum(con.sql(f"select count(*) from marts.{table}").fetchone()[0] for (table,) in marts) + published.height + estimates.height

    def gates(self) -> int:
        started = time.perf_counter()
        rules = sum(result.rules for result in run_gates(self.database, self.root / "gx", self.root / "docs" / "gx", "bench", GATES, "bench"))
        self.validation_seconds["great expectations"] += time.perf_counter() - started
        return rules

    def run(self, until: str) -> None:
        steps = {
            "generate": self.generate,
            "ingest": self.ingest,
            "harmonise": self.harmonise,
            "addresses": self.addresses_to_uprns,
            "persons": self.records_to_persons,
            "households": self.households_and_families,
            "marts": self.marts_and_publication,
            "gates": self.gates,
        }
        with self.memory:
            for stage in list(STAGES)[: list(STAGES).index(until) + 1]:
                self.time(stage, steps[stage])
        total = sum(row["seconds"] for row in self.stages)
        peak = max(row["peak_gib"] for row in self.stages)
        self.stages.append(
            {"persons": self.persons, "stage": "total", "started_s": 0.0, "seconds": round(total, 1), "rows": 0, "rows_per_s": 0, "peak_gib": peak}
        )

    def per_source(self) -> list[dict]:
        """Ingestion per source, then all sources: where the time goes and what validation costs."""
        rows = []
        for run in self.ingestion:
            seconds = {step: getattr(run, f"seconds_{step}") for step in ("read", "validate", "write")}
            rows.append(_source_row(self.persons, run.source, len({f.source_file for f in run.files}), sum(f.rows_read for f in run.files), seconds))
        if rows:
            totals = {step: sum(row[f"{step}_s"] for row in rows) for step in ("read", "validate", "write")}
            rows.append(_source_row(self.persons, "all sources", sum(r["files"] for r in rows), sum(r["rows"] for r in rows), totals))
        return rows

    def summary(self) -> list[str]:
        """Linkage quality and the share of time spent in validation, where those stages ran."""
        lines = []
        done = {row["stage"] for row in self.stages}
        total = self.stages[-1]["seconds"]
        if STAGES["households"] in done:
            with connect(str(self.database)) as con:
                evaluated = evaluate_linkage(con, self.root / "truth")
            figures = {stage: dict(rows.filter(pl.col("source") == "all").select("metric", "value").iter_rows()) for stage, rows in evaluated.items()}
            linking = sum(row["seconds"] for row in self.stages if row["stage"] in {STAGES[stage] for stage in LINKAGE_STAGES})
            address, person, spells, families = (figures[s] for s in ("address_to_uprn", "record_to_person", "household_spells", "family_links"))
            lines.append(
                f"{self.persons:,} persons: linkage {linking:.0f} s; address precision {address['precision']:.4f} at match rate {address['match_rate']:.4f}; "
                f"person cluster precision {person['cluster_precision']:.4f}, recall {person['cluster_recall']:.4f}; "
                f"household spells reproduced {spells['household_spell_recall']:.4f} (precision {spells['household_spell_precision']:.4f}); "
                f"parent links precision {families['parent_link_precision']:.4f}, recall {families['parent_link_recall']:.4f}"
            )
        gated = sum(self.validation_seconds.values())
        if total:
            lines.append(
                f"{self.persons:,} persons: validation gates {gated:.0f} s = {gated / total:.0%} of the total "
                f"({', '.join(f'{tool} {seconds:.0f} s' for tool, seconds in self.validation_seconds.items())})"
            )
        return lines


def _source_row(persons: int, source: str, files: int, rows: int, seconds: dict[str, float]) -> dict:
    total = sum(seconds.values())
    loading = seconds["read"] + seconds["write"]
    return {
        "persons": persons,
        "source": source,
        "files": files,
        "rows": rows,
        **{f"{step}_s": round(value, 2) for step, value in seconds.items()},
        "rows_per_s": round(rows / total) if total else 0,
        "validate_vs_load": round(seconds["validate"] / loading, 2) if loading else 0.0,
    }


def markdown_table(rows: list[dict], columns: dict[str, str]) -> str:
    """Rows as a markdown table, numbers right-aligned."""
    lines = ["| " + " | ".join(columns.values()) + " |", "|" + "|".join("---:" if isinstance(rows[0][k], int | float) else "---" for k in columns) + "|"]
    lines += ["| " + " | ".join(f"{row[k]:,}" if isinstance(row[k], int) else str(row[k]) for k in columns) + " |" for row in rows]
    return "\n".join(lines)


def bench(
    persons: list[int],
    seed: int,
    workdir: Path,
    until: str = "gates",
    json_path: Path | None = None,
    fault_intensity: float = 1.0,
    say: Callable[[str], None] = print,
    plot_path: Path | None = None,
) -> list[WorldBench]:
    """Run the benchmark for each world size and `say` its tables; with `json_path`, save them and
    the memory samples as JSON; with `plot_path`, draw the memory over time as a PNG."""
    if until not in STAGES:
        raise ValueError(f"--until must be one of {', '.join(STAGES)}; got {until!r}")
    if until == "gates":
        require_vendored()
    logging.getLogger("splink").setLevel(logging.WARNING)
    worlds = []
    for size in persons:
        world = WorldBench(size, seed, workdir.resolve() / f"e2e_{size}", fault_intensity=fault_intensity)
        world.run(until)
        say("\n".join(world.summary()))
        worlds.append(world)
    stages = [row for world in worlds for row in world.stages]
    sources = [row for world in worlds for row in world.per_source()]
    say(markdown_table(stages, STAGE_COLUMNS))
    if sources:
        say("")
        say(markdown_table(sources, SOURCE_COLUMNS))
    memory = {world.persons: [[round(at, 1), round(resident / 1024**3, 3)] for at, resident in world.memory.samples] for world in worlds}
    document = {"stages": stages, "ingestion_by_source": sources, "memory_gib_over_seconds": memory}
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    if plot_path:
        plot_memory(document, plot_path)
    return worlds
