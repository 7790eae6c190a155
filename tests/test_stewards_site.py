"""The stewards' dashboard, built as `hearth docs` builds it, on a copy of the linked world where a
blocking and a warning gate fail in the second of two runs, opened in Debian's headless Chromium:
every chart drawn as SVG, failing gates before warnings before passes, nothing in the console (from
disk and over HTTP), the summary and the quarantine matrix equal to what the warehouse says, and
no name, NHS number, UPN or postcode of the world in any file of the site. Screenshots of the
summary, the failing gate and the quarantine matrix are kept in data/test-artefacts/stewards-site/."""

from __future__ import annotations

import functools
import http.server
import importlib.resources
import re
import shutil
import subprocess
import threading
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path, PurePath

import duckdb
import polars as pl
import pytest

from ingestion.registry import SOURCES
from orchestration.settings import REPO_ROOT

ARTEFACTS = REPO_ROOT / "data" / "test-artefacts" / "stewards-site"
STATUSES = ("blocking", "warning", "passed")
GATED_TABLE = "intermediate.int_person_records"
# Surnames of the world that the site writes as ordinary words: the ethnic groups Black and White,
# SQL's and dbt's DATE and Date, and "Read the dbt viewpoint" in dbt's own project README.
ORDINARY_WORDS = {"black", "white", "date", "read", "young", "more"}  # words of the docs that are also surnames


@pytest.fixture(scope="module")
def site(linked_warehouse, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(warehouse, its truth folder, the site folder): the person records' two gates ran clean, then
    again after a duplicated record (the critical gate) and an unknown sex code (the warning gate)."""
    from hearth.site import build_stewards_site
    from orchestration.settings import gx_project_of
    from validations.gates import GATES, run_gates

    source, truth, _ = linked_warehouse
    folder = tmp_path_factory.mktemp("stewards_site")
    database = folder / "hearth.duckdb"
    shutil.copy(source, database)
    docs = folder / "docs"
    gates = tuple(g for g in GATES if g.table == GATED_TABLE)
    assert [g.critical for g in gates] == [True, False]
    assert all(r.passed for r in run_gates(database, gx_project_of(database), docs / "gx", "harmonisation", gates, "clean-run"))
    with duckdb.connect(str(database)) as con:
        con.execute(f"insert into {GATED_TABLE} select * from {GATED_TABLE} where record_id = (select min(record_id) from {GATED_TABLE})")
        con.execute(f"update {GATED_TABLE} set sex = 'x' where record_id = (select max(record_id) from {GATED_TABLE})")
    assert [r.passed for r in run_gates(database, gx_project_of(database), docs / "gx", "harmonisation", gates, "broken-run")] == [False, False]
    build_stewards_site(database, docs)
    return database, truth, docs


class Dom(HTMLParser):
    """What the tests read of the rendered page: each chart's drawn marks, the gates' statuses in
    document order, the summary's cells and the quarantine matrix's cells."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: list[Counter] = []  # per chart: svg elements and mark items drawn with a path
        self.in_chart = 0
        self.gate_order: list[str] = []
        self.cells: list[dict] = []  # attributes of the summary and matrix cells, with their text
        self.cell: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if self.in_chart:
            self.in_chart += tag not in ("path", "rect", "line", "circle", "text")
            self.charts[-1][tag] += 1
            if tag == "path" and attributes.get("d", "").startswith("M") and attributes.get("role") == "graphics-symbol":
                self.charts[-1]["marks"] += 1
        elif "hearth-chart" in classes:
            self.in_chart = 1
            self.charts.append(Counter())
        if "data-gate-status" in attributes:
            self.gate_order.append(attributes["data-gate-status"])
        if tag == "td" and ("data-status" in attributes or "data-rate" in attributes):
            self.cell = {**attributes, "text": ""}
            self.cells.append(self.cell)

    def handle_endtag(self, tag: str) -> None:
        if self.in_chart and tag not in ("path", "rect", "line", "circle", "text"):
            self.in_chart -= 1
        if tag == "td":
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell["text"] += data


def _screenshot(url: str, target: Path) -> None:
    """Chromium's headless screenshot draws the top of the page only, scrolled or not; a frame
    scrolled to the URL's fragment inside an unscrolled page is drawn as shown."""
    frame = target.with_suffix(".frame.html")
    frame.write_text(f'<body style="margin:0"><iframe src="{url}" style="border:0;width:1280px;height:2400px"></iframe></body>')
    shot = subprocess.run(
        [shutil.which("chromium"), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--virtual-time-budget=8000",
         "--window-size=1280,2400", f"--screenshot={target}", frame.as_uri()],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    frame.unlink()
    assert shot.returncode == 0 and target.stat().st_size > 10_000, shot.stderr[-2000:]


@pytest.fixture(scope="module")
def rendered(site, headless_chromium) -> tuple[Dom, str, str]:
    """The page from disk, as Chromium leaves it after drawing: (parsed DOM, DOM text, console)."""
    _, _, docs = site
    page = headless_chromium((docs / "index.html").as_uri(), 8000)
    dom = Dom()
    dom.feed(page.stdout)
    return dom, page.stdout, "\n".join(line for line in page.stderr.splitlines() if ":CONSOLE" in line)


def test_charts_are_drawn_and_the_console_is_empty_from_disk_and_over_http(site, rendered, headless_chromium) -> None:
    _, _, docs = site
    dom, _, console = rendered
    assert console == ""
    # Two gate trends, the quarantine rates, linkage over time.
    assert len(dom.charts) >= 4
    assert all(chart["svg"] == 1 and chart["marks"] > 0 for chart in dom.charts), dom.charts
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(docs))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        served = headless_chromium(f"http://127.0.0.1:{server.server_address[1]}/index.html", 8000)
    finally:
        server.shutdown()
    assert [line for line in served.stderr.splitlines() if ":CONSOLE" in line] == []
    assert served.stdout.count('class="marks"') == len(dom.charts)


def test_failing_gates_come_first_each_with_its_figure_threshold_trend_and_validation_page(site, rendered) -> None:
    _, _, docs = site
    dom, text, _ = rendered
    assert dom.gate_order == sorted(dom.gate_order, key=STATUSES.index)
    assert {"blocking", "warning", "passed"} <= set(dom.gate_order)
    for severity, figure, threshold in (
        ("critical", "2 unexpected", "no duplicate values"),
        ("warning", "1 unexpected", "every value one of female, male, unknown"),
    ):
        card = re.search(rf'<div class="govuk-summary-card hearth-gate[^"]*" id="[^"]*{severity}[^"]*"(.*?)Every rule of this gate', text, re.DOTALL)
        assert card, severity
        assert figure in card.group(1) and threshold in card.group(1)
        assert "last 2 runs, oldest first" in card.group(1)
        (link,) = re.findall(r'href="(gx/validations/[^"]+\.html)"', card.group(1))
        assert (docs / link).exists() and f"/{severity}/broken-run/" in link


def test_summary_counts_are_the_warehouses_own(site, rendered) -> None:
    """GX and dbt gates as audit.gate_results holds them (latest run of each gate); ingestion's
    quarantine-rate gate per raw table from rows in raw and rows held in quarantine."""
    database, _, _ = site
    dom, _, _ = rendered
    thresholds = {table: source.failure_threshold for source in SOURCES for table in source.tables}
    expected: Counter = Counter()
    with duckdb.connect(str(database), read_only=True) as con:
        runs = con.sql(
            """
            with runs as (
                select layer, table_name, gate, checked_at, bool_and(passed) as passed, bool_or(critical) as critical
                from audit.gate_results group by all
            )
            select layer, table_name, passed, critical from runs
            qualify checked_at = max(checked_at) over (partition by table_name, gate)
            """
        ).fetchall()
        for layer, _, passed, critical in runs:
            expected[layer, "passed" if passed else "blocking" if critical else "warning"] += 1
        for table in thresholds:
            if not con.sql(f"select count(*) from information_schema.tables where table_schema = 'raw' and table_name = '{table}'").fetchone()[0]:
                continue
            loaded = con.sql(f"select count(*) from raw.{table}").fetchone()[0]
            held = con.sql(
                f"select count(distinct (source_file, row_number)) from quarantine.rejected_rows where table_name = '{table}' and release_run_id is null"
            ).fetchone()[0]
            blocking = held >= 2 and held / (loaded + held) > thresholds[table]
            expected["raw", "blocking" if blocking else "passed"] += 1
    shown = Counter({(c["data-stage"], c["data-status"]): int(c["text"].replace(",", "")) for c in dom.cells if "data-stage" in c})
    assert +shown == +expected
    assert expected["intermediate", "blocking"] == 1 and expected["intermediate", "warning"] == 1
    by_source = Counter()
    for c in dom.cells:
        if "data-source" in c and "data-status" in c:
            by_source[c["data-status"]] += int(c["text"].replace(",", ""))
    assert by_source == Counter({status: sum(n for (_, s), n in expected.items() if s == status) for status in STATUSES})


def test_the_quarantine_matrix_is_held_rows_over_rows_read_by_source_and_year(site, rendered) -> None:
    database, _, _ = site
    dom, text, _ = rendered
    with duckdb.connect(str(database), read_only=True) as con:
        expected = {
            (source, str(year)): held / read
            for source, year, held, read in con.sql(
                "select source, collection_year, sum(rows_quarantined), sum(rows_read) from audit.ingested_files group by all"
            ).fetchall()
        }
        rules = con.sql("select count(distinct (table_name, rule)) from quarantine.rejected_rows where release_run_id is null").fetchone()[0]
    shown = {(c["data-source"], c["data-year"]): float(c["data-rate"]) for c in dom.cells if "data-rate" in c}
    assert shown.keys() == expected.keys()
    assert all(abs(shown[key] - rate) < 1e-8 for key, rate in expected.items()), {k: (shown[k], r) for k, r in expected.items()}
    assert any(rate > 0 for rate in expected.values()) and rules > 0
    # The drill-down: one details per source and year with held rows, each naming its rules, files and row numbers.
    held = [key for key, rate in expected.items() if rate > 0]
    for source, year in held:
        assert f'id="q-{source}-{year}"' in text
    assert text.count("Row numbers by file") == len(held)


def _package_copy(relative: PurePath, fresh: Path) -> Path | None:
    """The package file a third-party file of the site is a copy of: the vendored npm files (the
    dashboard's, and Data Docs' after `localise`), GX's own static files and dbt's docs app."""
    import great_expectations

    from validations.docs_assets import CACHE_DIR

    parts = relative.parts
    if parts[:2] == ("static", "vendor"):
        return fresh / relative  # the GOV.UK styles are copied without their font faces
    if parts[:3] == ("gx", "static", "vendor"):
        return CACHE_DIR / Path(*parts[3:])
    if parts[:2] == ("gx", "static"):
        return Path(great_expectations.__file__).parent / "render" / "view" / "static" / Path(*parts[2:])
    if relative == PurePath("dbt", "index.html"):
        return Path(str(importlib.resources.files("dbt.task.docs") / "index.html"))
    return None


def test_no_direct_identifier_of_the_world_is_anywhere_in_the_site(site, tmp_path: Path) -> None:
    """Every file of the site. Third-party files (scripts, styles, fonts, GX's images, dbt's docs
    app) are the bytes of their packages, so hold nothing of the world; every other file (the
    dashboard, the GX pages, dbt's manifest, catalog, run results and compiled SQL) is searched for
    the world's names of four letters or more as written (as sent, in capitals, in title case),
    NHS numbers, UPNs and postcodes."""
    from validations.docs_assets import copy_site_files

    database, truth, docs = site
    persons = pl.read_parquet(truth / "persons.parquet")
    with duckdb.connect(str(database), read_only=True) as con:
        records = con.sql("select first_name, last_name, nhs_number, upn, postcode from intermediate.int_person_records").pl()
    names = {
        form
        for name in (*persons["first_name"], *persons["last_name"], *records["first_name"], *records["last_name"])
        if name and len(name) >= 4 and name.casefold() not in ORDINARY_WORDS
        for form in (name, name.upper(), name.title())
    }
    numbers = {n for n in (*persons["nhs_number"], *persons["upn"], *records["nhs_number"], *records["upn"]) if n}
    postcodes = {p for p in records["postcode"] if p}
    assert len(names) > 1000 and len(numbers) > 1000 and len(postcodes) > 50
    postcode = re.compile(r"\b[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}\b")
    # NHS numbers as ten digits or 3-3-4 with spaces, UPNs as a letter and twelve characters.
    number = re.compile(r"(?<![0-9A-Z])(?:[0-9]{3} ?[0-9]{3} ?[0-9]{4}|[A-Z][0-9]{11}[0-9A-Z])(?![0-9A-Z])")
    copy_site_files(tmp_path / "fresh")
    searched, copies, found = [], [], {}
    for path in sorted(p for p in docs.rglob("*") if p.is_file()):
        relative = path.relative_to(docs)
        package = _package_copy(PurePath(relative), tmp_path / "fresh")
        if package is not None:
            copies.append(relative)
            assert package.read_bytes() == path.read_bytes(), relative
            continue
        searched.append(relative.as_posix())
        content = path.read_text(encoding="utf-8", errors="replace")
        words = set(re.findall(r"[^\W\d]+(?:['\u2019-][^\W\d]+)*", content))  # FOSTER_CARE is a column, not a name
        hits = (
            (words & names)
            | ({n.replace(" ", "") for n in number.findall(content)} & numbers)
            | ({p if " " in p else f"{p[:-3]} {p[-3:]}" for p in postcode.findall(content)} & postcodes)
        )
        if hits:
            found[relative.as_posix()] = sorted(hits)[:10]
    assert found == {}
    assert {"index.html", "dbt/manifest.json", "dbt/catalog.json", "gx/index.html"} <= set(searched)
    assert sum(p.startswith("gx/validations/") for p in searched) == 4 and len(copies) > 10


def test_screenshots_of_the_summary_a_failing_gate_and_the_quarantine_matrix(site, rendered) -> None:
    _, _, docs = site
    _, text, _ = rendered
    (blocking,) = re.findall(r'id="([^"]+)" data-gate-status="blocking"', text)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page = (docs / "index.html").as_uri()
    for name, url in (("summary", page), ("failing-gate", f"{page}#{blocking}"), ("quarantine-matrix", f"{page}#quarantine")):
        _screenshot(url, ARTEFACTS / f"{name}.png")


def test_gate_results_gain_a_threshold_and_writers_without_one_leave_it_null() -> None:
    """An old warehouse's audit.gate_results gains the column; dbt's rows (ten values) read null there."""
    from datetime import UTC, datetime

    from validations.gates import record_gate_results

    con = duckdb.connect()
    con.execute("create schema audit")
    con.execute(
        "create table audit.gate_results (run_id varchar, checked_at timestamptz, tool varchar, layer varchar, table_name varchar, gate varchar, "
        "rule varchar, critical boolean, passed boolean, observed varchar)"
    )
    now = datetime.now(UTC)
    dbt = ("r", now, "dbt", "marts", "marts.children", "unique_children_person_key", "test.hearth.unique", True, True, "0")
    gx = ("r", now, "great_expectations", "marts", "marts.children", "marts.children.warning", "between", False, False, "3", "every value from 1 to 12")
    record_gate_results(con, [dbt, gx])
    assert con.sql("select tool, observed, threshold from audit.gate_results order by tool").fetchall() == [
        ("dbt", "0", None),
        ("great_expectations", "3", "every value from 1 to 12"),
    ]


def test_a_long_run_stops_at_once_when_the_sites_assets_are_not_vendored(tmp_path: Path, monkeypatch) -> None:
    """`hearth bench` checks the vendored files before it generates anything, not after the gates."""
    from hearth.bench import bench
    from validations import docs_assets

    docs_assets.require_vendored()  # `make test` vendors them first
    monkeypatch.setattr(docs_assets, "CACHE_DIR", tmp_path / "vendor")
    with pytest.raises(FileNotFoundError, match=r"jquery@3\.7\.1/dist/jquery\.min\.js is missing: run `make docs-assets`"):
        bench([1_000], 1, tmp_path / "bench")
    assert not (tmp_path / "bench").exists()
