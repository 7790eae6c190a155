"""`hearth ui` serves the Dagster UI and runs the daemon on workspace.yaml with a local instance.
Against one running instance: Debian's headless Chromium sees the asset graph and an asset's
checks; runs launched while the `warehouse` pool's one slot is taken wait, then take turns; a
backfill across two years, launched through the UI's own GraphQL API (as one of those runs), is run
by the daemon and shown as succeeded; and after `hearth run` the UI shows its runs, every asset
materialised and its checks. A copy of that world with a file breaking a blocking gate stops
`hearth run` with the explanation, leaving the earlier marts as they were."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from itertools import pairwise
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingestion.registry import SOURCES
from orchestration.jobs import ingestion_job_name
from orchestration.resources import WAREHOUSE_POOL
from synthetic_population.config import WorldConfig
from synthetic_population.world import generate_world

pytestmark = pytest.mark.integration  # Dagster processes end to end; `make check` leaves them out

REPO = Path(__file__).resolve().parent.parent
YEARS = ("2020", "2021")  # the census is in 2021: the whole pipeline can run
BACKFILLED_SOURCES = ("hes_apc", "youth_justice")  # collected every year
OTHER_RUN = ("cin_census", YEARS[0])  # a run of another source, launched while the backfill's run waits
LAUNCH_BACKFILL = """mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }"""
BACKFILL_STATUS = """query($id: String!) { partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status } } }"""
LOCATIONS = """{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename ... on PythonError { message } } } } } }"""
LAUNCH_RUN = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""
# What the daemon's run queue logs (dagster/_daemon/run_coordinator/queued_run_coordinator_daemon.py):
# once for each run it holds back for a concurrency pool, with the pools that block it, and at the
# start of every sweep over the queued runs (every `dequeue_interval_seconds`, 5 by default).
HELD_FOR_A_POOL = re.compile(r"Run (\S+) is blocked by global concurrency limits: (\{.*\})$", re.M)
QUEUE_SWEEP = "Priority sorting and checking tag concurrency limits for queued runs."


@dataclass(frozen=True)
class RunningUI:
    url: str
    home: Path
    warehouse: Path
    log: Path  # what `hearth ui` (webserver, daemon, code server) prints

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def graphql(self, query: str, variables: dict) -> dict:
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query, "variables": variables}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            body = json.load(response)
        assert "errors" not in body, body
        return body["data"]

    def instance(self) -> dg.DagsterInstance:
        return dg.DagsterInstance.from_config(str(self.home))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _text(page: subprocess.CompletedProcess) -> str:
    """The page's visible text once Chromium has run its scripts."""
    text = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page.stdout, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", text)))


def _wait(what: str, ready, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout:.0f} s"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningUI]:
    root = tmp_path_factory.mktemp("ui")
    generate_world(WorldConfig(persons=3000, seed=11, first_year=int(YEARS[0]), last_year=int(YEARS[-1])), root / "landing", root / "truth")
    port = _free_port()
    running = RunningUI(url=f"http://127.0.0.1:{port}", home=root / "dagster_home", warehouse=root / "hearth.duckdb", log=root / "hearth_ui.log")
    env = {
        **os.environ,
        "HEARTH_LANDING_DIR": str(root / "landing"),
        "HEARTH_WAREHOUSE_PATH": str(running.warehouse),
        "HEARTH_TRUTH_DIR": str(root / "truth"),
        "HEARTH_DOCS_DIR": str(root / "docs"),
        "HEARTH_COLLECTION_YEARS": "-".join((YEARS[0], YEARS[-1])),
    }
    with open(running.log, "w") as log:
        process = subprocess.Popen(
            ["hearth", "ui", "--port", str(port), "--home", str(running.home)],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def loaded() -> bool:
        """The webserver answers and has loaded the `hearth` code location."""
        assert process.poll() is None, f"hearth ui exited: {running.log_text()[-4000:]}"
        try:
            workspace = running.graphql(LOCATIONS, {})["workspaceOrError"]
        except OSError:
            return False
        entry = next((e for e in workspace.get("locationEntries", []) if e["name"] == "hearth"), None)
        if entry is None or entry["loadStatus"] != "LOADED":
            return False
        assert entry["locationOrLoadError"]["__typename"] == "RepositoryLocation", entry
        return True

    try:
        _wait("the Dagster UI loading the hearth code location", loaded, timeout=240)
        yield running
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def test_hearth_ui_shows_the_asset_graph_and_checks(ui: RunningUI, headless_chromium) -> None:
    assert (ui.home / "dagster.yaml").read_text() == (REPO / "deploy" / "local" / "dagster.yaml").read_text()
    graph = _text(headless_chromium(f"{ui.url}/locations/hearth/asset-groups/linkage", 20000))
    # The graph draws the nodes in view (at Chromium's default window size, all but family_members and linkage_evaluation).
    linkage_assets = ("address_matches", "person_links", "household_spells", "household_members", "parent_links", "sibling_links")
    assert all(name in graph for name in linkage_assets), f"linkage assets missing: {[n for n in linkage_assets if n not in graph]}"
    checks = _text(headless_chromium(f"{ui.url}/assets/linkage/household_spells?view=checks", 20000))
    assert "keyed_without_direct_identifiers" in checks


@dataclass(frozen=True)
class BusyWarehouse:
    """What became of a backfill and a run launched while another step held the `warehouse` slot."""

    backfill: str
    runs: tuple[str, str]  # the backfill's run, and the run launched after it
    held: dict[str, dict]  # what the run queue logged holding each back for: {pool: its state}
    statuses_when_freed: frozenset[dg.DagsterRunStatus]


@pytest.fixture(scope="module")
def busy_warehouse(ui: RunningUI) -> BusyWarehouse:
    """Another step holds the one `warehouse` slot. Meanwhile a backfill of two sources over two
    years is launched through the UI's GraphQL API, and once the daemon has submitted its run, a run
    of a third source. The run queue launches a free run at its next sweep: these it holds back
    (its log says for which pool), and passes over again at the sweep after; then the slot is freed
    and both runs are left to finish."""
    with ui.instance() as instance:
        storage = instance.event_log_storage
        storage.initialize_concurrency_limit_to_default(WAREHOUSE_POOL)  # as a step does before its first claim
        assert storage.get_concurrency_info(WAREHOUSE_POOL).slot_count == 1
        assert storage.claim_concurrency_slot(WAREHOUSE_POOL, "another-run", "long-step").is_claimed
        launched = ui.graphql(
            LAUNCH_BACKFILL,
            {
                "params": {
                    "assetSelection": [{"path": ["raw", source]} for source in BACKFILLED_SOURCES],
                    "partitionNames": list(YEARS),
                    "title": "Reload two years",
                }
            },
        )["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        backfill = launched["backfillId"]

        def backfill_runs() -> list[dg.DagsterRun]:
            return instance.get_runs(filters=dg.RunsFilter(tags={"dagster/backfill": backfill}))

        _wait("the daemon submitting the backfill's run", backfill_runs, timeout=120)  # its loop runs every 30 s
        (backfill_run,) = backfill_runs()
        source, year = OTHER_RUN
        launched = ui.graphql(
            LAUNCH_RUN,
            {
                "params": {
                    "selector": {"repositoryLocationName": "hearth", "repositoryName": "__repository__", "jobName": ingestion_job_name(source)},
                    "executionMetadata": {"tags": [{"key": "dagster/partition", "value": year}]},
                }
            },
        )["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        runs = (backfill_run.run_id, launched["run"]["runId"])

        def held() -> dict[str, dict]:
            return {run_id: json.loads(pools) for run_id, pools in HELD_FOR_A_POOL.findall(ui.log_text()) if run_id in runs}

        _wait("the run queue holding both runs back", lambda: len(held()) == len(runs), timeout=120)
        sweeps = ui.log_text().count(QUEUE_SWEEP)
        _wait("the run queue's next sweep", lambda: ui.log_text().count(QUEUE_SWEEP) > sweeps, timeout=120)
        statuses = frozenset(instance.get_run_by_id(r).status for r in runs)
        storage.free_concurrency_slot_for_step("another-run", "long-step")
        _wait("both runs finishing", lambda: all(instance.get_run_by_id(r).is_finished for r in runs))
    return BusyWarehouse(backfill, runs, held(), statuses)


def test_runs_wait_while_the_warehouse_is_busy_then_take_turns(ui: RunningUI, busy_warehouse: BusyWarehouse) -> None:
    """Runs launched while another step holds the one `warehouse` slot (a backfill's and an
    ingestion job's) stay queued, held back for that pool. Once it is free both run, and their
    warehouse steps never overlap."""
    assert all(WAREHOUSE_POOL in pools for pools in busy_warehouse.held.values()), busy_warehouse.held
    assert busy_warehouse.statuses_when_freed == {dg.DagsterRunStatus.QUEUED}
    with ui.instance() as instance:
        assert [instance.get_run_by_id(r).status for r in busy_warehouse.runs] == [dg.DagsterRunStatus.SUCCESS] * 2
        steps: dict[tuple[str, str], list[float]] = {}
        for run in busy_warehouse.runs:
            for event in instance.all_logs(run, of_type={dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS}):
                steps.setdefault((event.run_id, event.step_key), []).append(event.timestamp)
    assert {run for run, _ in steps} == set(busy_warehouse.runs)
    turns = sorted(tuple(times) for times in steps.values())
    assert all(end <= next_start for (_, end), (next_start, _) in pairwise(turns)), f"warehouse steps overlapped: {steps}"
    with duckdb.connect(str(ui.warehouse), read_only=True) as con:
        loaded = set(con.sql("select source, collection_year::varchar from audit.ingested_files").fetchall())
    assert OTHER_RUN in loaded


def test_a_backfill_across_years_from_the_ui_is_run_by_the_daemon(ui: RunningUI, busy_warehouse: BusyWarehouse, headless_chromium) -> None:
    def status() -> str:
        return ui.graphql(BACKFILL_STATUS, {"id": busy_warehouse.backfill})["partitionBackfillOrError"]["status"]

    _wait("the daemon finishing the backfill", lambda: status() != "REQUESTED")  # at its first loop after the run
    assert status() == "COMPLETED_SUCCESS"
    page = _text(headless_chromium(f"{ui.url}/runs/b/{busy_warehouse.backfill}", 20000))
    assert "Succeeded" in page and all(year in page for year in YEARS)
    with duckdb.connect(str(ui.warehouse), read_only=True) as con:
        loaded = set(con.sql("select source, collection_year::varchar from audit.ingested_files").fetchall())
    assert {(source, year) for source in BACKFILLED_SOURCES for year in YEARS} <= loaded


HEARTH_RUNS = """query($tag: String!) { runsOrError(filter: {tags: [{key: "hearth/run", value: $tag}]}) {
  ... on Runs { results { runId status tags { key value } } } } }"""
ASSET_NODES = """{ assetNodes { assetKey { path } assetMaterializations(limit: 1) { runId }
  assetChecksOrError { ... on AssetChecks { checks { name executionForLatestMaterialization { runId status } } } } } }"""
STAGE_LINE = re.compile(r"^([✓✗]) (.{15}) (.*)  (\S+ s|\d+ min \d+ s)$", re.M)
SECRET = "hearth-ui-test-secret-8c1f"  # set for `hearth run`: it must not show anywhere


def _fingerprints(warehouse: Path) -> list[str]:
    """`hearth status --fingerprint`'s lines for the tables built after ingestion: name, rows, hash of the rows."""
    status = subprocess.run(["hearth", "status", "--fingerprint", "--warehouse", str(warehouse)], capture_output=True, text=True, check=True, cwd=REPO)
    built = [line for line in status.stdout.splitlines() if line.strip().startswith(("staging.", "intermediate.", "linkage.", "marts.", "publication."))]
    assert len(built) > 50, status.stdout
    return built


@dataclass(frozen=True)
class HearthRun:
    run: subprocess.CompletedProcess
    tag: str  # the hearth/run tag of its Dagster runs
    log: Path
    docs: Path


def _hearth_run(ui: RunningUI, landing: Path, warehouse: Path, home: Path, docs: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "HEARTH_DOCS_DIR": str(docs),
        "HEARTH_TRUTH_DIR": str(ui.home.parent / "truth"),  # this world's, never the checkout's data/truth (make demo's)
        "HEARTH_COLLECTION_YEARS": "-".join((YEARS[0], YEARS[-1])),
        "HEARTH_PSEUDONYM_SECRET": SECRET,
        "COLUMNS": "200",  # rich's width, where stdout is not a terminal
    }
    command = ["hearth", "run", "--landing", str(landing), "--warehouse", str(warehouse), "--home", str(home), "--log-dir", str(ui.home.parent / "logs")]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def hearth_run(ui: RunningUI) -> HearthRun:
    """`hearth run` over the UI's world, recorded in the instance the UI runs on."""
    docs = ui.home.parent / "docs"
    run = _hearth_run(ui, ui.home.parent / "landing", ui.warehouse, ui.home, docs)
    assert run.returncode == 0, run.stdout + run.stderr
    tag = re.search(r"tagged hearth/run=(\w+)\.", run.stdout)
    log = re.search(r"full log +(\S+)$", run.stdout, re.M)
    assert tag and log, run.stdout
    return HearthRun(run, tag[1], REPO / log[1] if not Path(log[1]).is_absolute() else Path(log[1]), docs)


def test_hearth_run_says_one_line_per_stage_and_logs_every_event(hearth_run: HearthRun) -> None:
    out = hearth_run.run.stdout
    stages = STAGE_LINE.findall(out)
    assert [(mark, name.strip()) for mark, name, _, _ in stages] == [
        ("✓", name) for name in ("landing", "ingestion", "DfE rules", "harmonisation", "linkage", "marts", "stewards' site")
    ], out
    figures = {name.strip(): summary for _, name, summary, _ in stages}
    # Every raw table of every source, each with its two checks (rows reconcile, quarantine rate).
    tables = sum(len(source.tables) for source in SOURCES)
    ingested = rf"{tables} tables, [\d,]+ rows read, [\d,]+ loaded, [\d,]+ quarantined · checks {2 * tables} passed, 0 warned, 0 failed"
    assert re.search(ingested, figures["ingestion"]), out
    assert re.search(r"[\d,]+ records, [\d,]+ persons, [\d,]+ household spells, [\d,]+ families · checks \d+ passed, 0 warned", figures["linkage"]), out
    assert len(out.splitlines()) <= 20 and hearth_run.run.stderr == "", out + hearth_run.run.stderr
    log = hearth_run.log.read_text()
    assert log.count("PIPELINE_SUCCESS") == 1 + 1 + len(YEARS) + 3  # one run per stage, the DfE rules' per year
    assert "Concurrency" in log or "dbt build" in log  # what the steps printed is there too
    assert "ASSET_CHECK_EVALUATION - raw/youth_justice:quarantine_rate_within_threshold: passed" in log


def test_the_secret_is_in_no_log_event_or_page(ui: RunningUI, hearth_run: HearthRun) -> None:
    written = [hearth_run.log, *ui.home.rglob("*"), *hearth_run.docs.rglob("*"), ui.log]
    holding = [path for path in written if path.is_file() and SECRET.encode() in path.read_bytes()]
    assert len(written) > 100 and holding == []


def test_the_ui_shows_hearth_runs_every_asset_materialised_and_its_checks(ui: RunningUI, hearth_run: HearthRun, headless_chromium) -> None:
    runs = ui.graphql(HEARTH_RUNS, {"tag": hearth_run.tag})["runsOrError"]["results"]
    assert [run["status"] for run in runs] == ["SUCCESS"] * (1 + 1 + len(YEARS) + 3)
    run_ids = {run["runId"] for run in runs}
    nodes = ui.graphql(ASSET_NODES, {})["assetNodes"]
    unmaterialised = ["/".join(n["assetKey"]["path"]) for n in nodes if not n["assetMaterializations"] or n["assetMaterializations"][0]["runId"] not in run_ids]
    assert unmaterialised == ["linkage/person_linkage_models"]  # retraining is its own job, outside `hearth run`
    checks = {("/".join(n["assetKey"]["path"]), c["name"]): c["executionForLatestMaterialization"] for n in nodes for c in n["assetChecksOrError"]["checks"]}
    assert len(checks) > 300
    gate = checks[("raw/youth_justice", "quarantine_rate_within_threshold")]
    assert gate["status"] == "SUCCEEDED" and gate["runId"] in run_ids
    assert {c["status"] for c in checks.values() if c and c["runId"] in run_ids} <= {"SUCCEEDED", "FAILED"}
    page = _text(headless_chromium(f"{ui.url}/runs?q%5B0%5D=tag%3Ahearth%2Frun%3D{hearth_run.tag}", 20000))
    assert page.count("Success") >= len(runs), page[:3000]


def test_a_blocking_gate_stops_hearth_run_and_the_marts_keep_the_last_good_run(ui: RunningUI, hearth_run: HearthRun, tmp_path: Path) -> None:
    shutil.copytree(ui.home.parent / "landing", tmp_path / "landing")
    shutil.copy(ui.warehouse, tmp_path / "hearth.duckdb")
    offences = tmp_path / "landing" / "youth_justice" / YEARS[-1] / f"youth_offences_{YEARS[-1]}.csv"
    with open(offences, "a") as extract:  # dates no one was born or offended on: quarantined, over the source's 5%
        extract.writelines(f'Lincolnshire,Bad,Row{n},31-Feb-2009,Male,White,"{n} Nowhere",LN5 8BS,not-a-date,CRIMDAM,RO,06-Jul-2021\n' for n in range(8))
    before = _fingerprints(tmp_path / "hearth.duckdb")
    stopped = _hearth_run(ui, tmp_path / "landing", tmp_path / "hearth.duckdb", tmp_path / "dagster_home", tmp_path / "docs")
    assert stopped.returncode == 1, stopped.stdout + stopped.stderr
    assert [name.strip() for _, name, _, _ in STAGE_LINE.findall(stopped.stdout)] == ["landing", "ingestion"], stopped.stdout
    assert "Stopped at ingestion" in stopped.stdout
    assert re.search(
        r"Blocking gate quarantine_rate_within_threshold on raw/youth_justice failed: 8 of \d+ rows quarantined \(\d+\.\d\d%\) exceeds the threshold of 5\.00%",
        stopped.stdout,
    ), stopped.stdout
    assert "/assets/raw/youth_justice?view=checks" in stopped.stdout and "quarantine.rejected_rows" in stopped.stdout
    assert _fingerprints(tmp_path / "hearth.duckdb") == before
