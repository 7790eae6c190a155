"""Marts on a small linked world: each mart's grain and contract, no direct identifier in any mart
(by column name or by value), and publication tables that give nothing away."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
import yaml
from conftest import dbt_build

from disclosure.control import DisclosureRules, disclosure_breaches, protect
from disclosure.publication import TABLE_BY, publish_la_year_indicators
from linkage.evaluation import majority_persons
from orchestration.settings import DBT_PROJECT_DIR, analysts_snapshot_of
from validations.direct_identifiers import direct_identifier_columns

GRAIN = {
    "children": ["person_key"],
    "households": ["household_key"],
    "families": ["family_key"],
    "child_service_episodes": ["person_key", "episode_number"],
    "household_hardship": ["household_key", "census_year"],
    "family_mental_health": ["family_key"],
    "pupil_send_outcomes": ["person_key", "census_year"],
    "pupil_education_engagement": ["person_key", "census_year"],
    "child_dual_system": ["person_key"],
    "assessment_harm_context": ["person_key", "assessment_number"],
    "service_inputs": ["person_key", "service_number"],
    "children_not_in_school": ["person_key", "last_census_date"],
    "workforce_capacity": ["la_code", "census_year"],
    "social_worker_continuity": ["person_key", "collection_year"],
    "la_year_indicators": ["la_code", "collection_year", "indicator"],
}


@pytest.fixture(scope="module")
def marts(linked_warehouse, tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    database, _, _ = linked_warehouse
    folder = tmp_path_factory.mktemp("marts")
    shutil.copy(database, folder / "hearth.duckdb")
    dbt_build(folder / "hearth.duckdb", "after_linkage", folder / "target")
    con = duckdb.connect(str(folder / "hearth.duckdb"))
    yield con
    con.close()


def test_every_mart_is_built_at_its_grain(marts) -> None:
    built = {t for (t,) in marts.execute("select table_name from information_schema.tables where table_schema = 'marts'").fetchall()}
    assert built == set(GRAIN)
    for table, key in GRAIN.items():
        rows, keys = marts.sql(f"select count(*), count(distinct ({', '.join(key)})) from marts.{table}").fetchone()
        assert rows > 0 and rows == keys, table


def test_marts_match_their_documented_contracts(marts) -> None:
    declared = [m for f in sorted((DBT_PROJECT_DIR / "models" / "marts").glob("*.yml")) for m in yaml.safe_load(f.read_text())["models"]]
    assert {m["name"] for m in declared} == set(GRAIN)
    for model in declared:
        assert model["config"]["contract"]["enforced"] is True
        actual = marts.execute(
            "select column_name, lower(data_type) from information_schema.columns where table_schema = 'marts' and table_name = ? order by ordinal_position",
            [model["name"]],
        ).fetchall()
        assert actual == [(c["name"], c["data_type"]) for c in model["columns"]], model["name"]
        assert all(c["description"].strip() for c in model["columns"]), model["name"]


def test_no_direct_identifier_reaches_a_mart(marts) -> None:
    tables = [f"marts.{t}" for t in GRAIN]
    assert direct_identifier_columns(marts, tables) == []
    # Nor by value: no text in any mart is a name, UPN, NHS number, LA child ID or postcode of a
    # record (a forename recorded as an initial identifies nobody, and is a code letter too).
    marts.execute(
        """
        create or replace temp table _identifiers as
        select value from (
            select first_name as value from intermediate.int_person_records union select last_name from intermediate.int_person_records
            union select upn from intermediate.int_person_records union select nhs_number from intermediate.int_person_records
            union select la_child_id from intermediate.int_person_records union select postcode from intermediate.int_person_records
        ) where length(value) > 1
        """
    )
    text_columns = marts.execute(
        "select table_name, column_name from information_schema.columns where table_schema = 'marts' and data_type = 'VARCHAR'"
    ).fetchall()
    assert len(text_columns) > 20
    for table, column in text_columns:
        leaked = marts.sql(f"select count(*) from marts.{table} where {column} in (select value from _identifiers)").fetchone()[0]
        assert leaked == 0, f"{table}.{column}"


def test_assaults_seen_in_emergency_care_cluster_where_assessments_find_domestic_abuse(marts) -> None:
    rates = dict(
        marts.sql(
            "select domestic_abuse, avg(case when household_assault_attendance then 1.0 else 0 end) from marts.assessment_harm_context group by 1"
        ).fetchall()
    )
    # Adults in households with domestic abuse attend for assault several times as often (emergency_care.py).
    assert rates[True] > 1.5 * rates[False] and rates[True] > 0.02, rates
    housed, adults = marts.sql("select count(household_adults), avg(household_adults) from marts.assessment_harm_context").fetchone()
    assert housed > 0.8 * marts.sql("select count(*) from marts.assessment_harm_context").fetchone()[0] and 1 <= adults <= 3


def test_children_who_left_a_roll_for_no_known_reason_are_departures_and_most_are_registered(marts, linked_warehouse) -> None:
    _, truth, _ = linked_warehouse
    departures = marts.sql("select * from marts.children_not_in_school").pl()
    assert departures.height > 20 and departures["censuses_missed"].min() >= 1
    registered = departures.filter(pl.col("on_register"))
    assert registered.height > 5 and registered["register"].is_in(["CME", "EHE"]).all() and (registered["days_to_register"] > 0).all()
    # The truth's leavers (within the censuses' span) are nearly all found as departures of the person they are.
    owners = majority_persons(marts, truth)
    last_census = departures["last_census_date"].max()
    leavers = (
        pl.read_parquet(truth / "life_events.parquet")
        .filter((pl.col("event") == "left_roll_unexplained") & (pl.col("date") < last_census))
        .with_columns(pl.col("person_id").cast(pl.Int64))
    )
    found = leavers.join(departures.join(owners, on="person_key"), on="person_id").filter(
        (pl.col("last_census_date") < pl.col("date")) & (pl.col("date") - pl.col("last_census_date") <= pl.duration(days=200))
    )
    assert leavers.height > 10 and found["person_id"].n_unique() >= 0.8 * leavers["person_id"].n_unique(), (leavers.height, found.height)


def test_workforce_rates_are_shares_and_continuity_counts_changes_of_worker(marts) -> None:
    workforce = marts.sql("select * from marts.workforce_capacity").pl()
    assert workforce.height == workforce.select("la_code", "census_year").n_unique() >= 3
    for rate in ("agency_rate_fte", "turnover_rate_fte", "vacancy_rate_fte"):
        assert workforce[rate].drop_nulls().is_between(0, 1).all(), rate
    assert (workforce["caseload_per_fte"].drop_nulls() > 0).all() and (workforce["spend_per_child_in_need"].drop_nulls() > 0).all()
    continuity = marts.sql("select * from marts.social_worker_continuity").pl()
    assert continuity.height > 50 and (continuity["workers"] >= 1).all()
    # A change of worker brings another worker in: child-years with a change have more workers than those without.
    changed = continuity.filter(pl.col("worker_changes") > 0)
    assert changed.height > 0 and changed["workers"].mean() > continuity.filter(pl.col("worker_changes") == 0)["workers"].mean()


def test_pathways_are_ordered_and_re_entries_follow_an_ended_episode(marts) -> None:
    pathway = marts.sql("select * from marts.child_service_episodes order by person_key, episode_number").pl()
    numbering = pathway.group_by("person_key").agg(pl.col("episode_number").sort(), pl.len())
    assert all(list(n) == list(range(1, k + 1)) for n, k in numbering.select("episode_number", "len").iter_rows())
    starts = pathway.group_by("person_key", maintain_order=True).agg(pl.col("start_date"))
    assert all(s == sorted(s) for (s,) in starts.select("start_date").iter_rows())
    reentries = pathway.filter(pl.col("is_reentry"))
    assert reentries.height > 0
    earlier = pathway.join(reentries.select("person_key", "service", pl.col("start_date").alias("reentered")), on=["person_key", "service"])
    assert earlier.filter(pl.col("end_date") <= pl.col("reentered")).select("person_key").n_unique() == reentries["person_key"].n_unique()


def test_publication_suppresses_small_counts_and_protects_totals(marts) -> None:
    rules = DisclosureRules()
    counts = marts.sql("select la_code, collection_year, indicator, children from marts.la_year_indicators").pl()
    published = protect(counts, TABLE_BY, "la_code", "children", rules)
    assert disclosure_breaches(published, TABLE_BY, "la_code", "children", rules) == []
    shown = published.filter(pl.col("children").is_not_null())
    assert shown.height > 0 and (shown["children"] >= rules.threshold).all() and (shown["children"] % rules.rounding == 0).all()
    # Every count under the threshold is hidden, and some cells are hidden only to protect a total.
    small = counts.filter(pl.col("children") < rules.threshold).join(published, on=[*TABLE_BY, "la_code"])
    assert small.height > 0 and small["children_right"].is_null().all()
    # Where a table has a single primary cell beside a published total, another cell is hidden to protect it.
    single = published.group_by(TABLE_BY).agg(
        ((pl.col("suppressed") == "primary") & (pl.col("la_code") != "all")).sum().alias("primary"),
        ((pl.col("suppressed") == "primary") & (pl.col("la_code") == "all")).any().alias("total_hidden"),
    )
    needing = single.filter((pl.col("primary") == 1) & ~pl.col("total_hidden")).height
    assert needing == 0 or (published["suppressed"] == "secondary").sum() > 0
    # No table shows its total beside exactly one hidden cell.
    tables = published.group_by(TABLE_BY).agg(
        (pl.col("children").is_null() & (pl.col("la_code") != "all")).sum().alias("hidden"),
        (pl.col("children").is_not_null() & (pl.col("la_code") == "all")).any().alias("total_shown"),
    )
    assert tables.filter((pl.col("hidden") == 1) & pl.col("total_shown")).height == 0


def test_disclosure_breaches_catch_a_recoverable_cell() -> None:
    leaky = pl.DataFrame({"year": [2020] * 4, "la": ["352", "870", "925", "all"], "n": [None, 40, 100, 145]})
    assert disclosure_breaches(leaky, ["year"], "la", "n") == ["{'year': 2020}: one hidden cell beside a published total"]
    small = pl.DataFrame({"year": [2020, 2020], "la": ["352", "all"], "n": [7, 15]})
    assert len(disclosure_breaches(small, ["year"], "la", "n")) == 1
    protected = protect(pl.DataFrame({"year": [2020] * 3, "la": ["352", "870", "925"], "n": [5, 40, 100]}), ["year"], "la", "n")
    assert protected.filter(pl.col("la") == "870")["suppressed"].item() == "secondary"


@pytest.fixture(scope="module")
def gated(marts, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list]:
    """A copy of the marts warehouse with its publication table, after every gate ran on it:
    (warehouse, docs folder, gate results)."""
    from validations.gates import GATES, run_gates
    from validations.overview import write_overview

    folder = tmp_path_factory.mktemp("gated")
    database = folder / "hearth.duckdb"
    shutil.copy(marts.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()[0], database)
    with duckdb.connect(str(database)) as con:
        publish_la_year_indicators(con)
    docs = folder / "docs"
    results = run_gates(database, folder / "gx", docs / "gx", "all", GATES, "test-run")
    write_overview(database, docs)
    return database, docs, results


def test_every_gate_holds_on_a_clean_world_and_is_recorded(gated) -> None:
    database, _, results = gated
    assert {r.gate.table for r in results} >= {f"marts.{t}" for t in GRAIN if t != "la_year_indicators"}
    assert all(r.passed for r in results), [(r.gate.name, r.failed_rules) for r in results if not r.passed]
    with duckdb.connect(str(database), read_only=True) as con:
        recorded = con.sql("select count(*), bool_and(passed), count(distinct gate) from audit.gate_results where run_id = 'test-run'").fetchone()
    assert recorded == (sum(r.rules for r in results), True, len(results))


def test_a_broken_key_fails_its_critical_gate(gated, tmp_path: Path) -> None:
    from validations.gates import GATES, run_gates

    database, _, _ = gated
    broken = tmp_path / "broken.duckdb"
    shutil.copy(database, broken)
    with duckdb.connect(str(broken)) as con:
        con.execute("insert into marts.families select * from marts.families limit 1")
    gate = next(g for g in GATES if g.table == "marts.families" and g.critical)
    (result,) = run_gates(broken, tmp_path / "gx", tmp_path / "docs", "broken", (gate,), "broken-run")
    assert not result.passed and result.failed_rules == ("expect_column_values_to_be_unique(column=family_key)",)


def test_stewards_pages_render_in_headless_chromium_without_console_errors(gated, headless_chromium) -> None:
    """The overview and the GX Data Docs, served over HTTP as `hearth docs --serve` does, open in
    Debian's Chromium with every suite listed and nothing in the console."""
    import functools
    import http.server
    import threading

    _, docs, results = gated
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(docs))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    validation_page = next((docs / "gx" / "validations").rglob("*-marts.children.html")).relative_to(docs)
    try:
        for page, expected in (
            ("index.html", ["Blocking failures (0)", "Passing gates", "marts.households", "great_expectations"]),
            ("gx/index.html", sorted({r.gate.name for r in results})),
            (str(validation_page), ["person_key", "values must be unique", "Successful Expectations"]),
        ):
            rendered = headless_chromium(f"http://127.0.0.1:{server.server_address[1]}/{page}", 5000)
            console = [line for line in rendered.stderr.splitlines() if ":CONSOLE" in line]
            assert console == [], f"{page}: {console}"
            missing = [text for text in expected if text not in rendered.stdout]
            assert missing == [], f"{page} does not show {missing}"
    finally:
        server.shutdown()


def test_analysts_snapshot_holds_only_marts_and_publication_and_never_blocks_a_run(gated) -> None:
    import dagster as dg

    from orchestration.assets.analysts import warehouse_snapshot
    from orchestration.resources import Warehouse

    database, _, _ = gated
    resources = {"warehouse": Warehouse(database=str(database))}
    assert dg.materialize([warehouse_snapshot], resources=resources).success
    snapshot = analysts_snapshot_of(database)
    reader = duckdb.connect(str(snapshot), read_only=True)  # an analyst with the file open
    try:
        schemas = {s for (s,) in reader.sql("select distinct table_schema from information_schema.tables").fetchall()}
        assert schemas == {"marts", "publication"}
        tables = [f"{s}.{t}" for s, t in reader.sql("select table_schema, table_name from information_schema.tables").fetchall()]
        assert len(tables) == len(GRAIN) + 1 and direct_identifier_columns(reader, tables) == []
        with duckdb.connect(str(database), read_only=True) as source:
            assert reader.sql("select count(*) from marts.children").fetchone() == source.sql("select count(*) from marts.children").fetchone()
        # The next run replaces the snapshot while the analyst still reads the old one.
        assert dg.materialize([warehouse_snapshot], resources=resources).success
        assert reader.sql("select count(*) from marts.households").fetchone()[0] > 0
    finally:
        reader.close()
    with duckdb.connect(str(snapshot), read_only=True) as fresh:
        assert fresh.sql("select count(*) from publication.la_year_indicators").fetchone()[0] > 0


def test_the_readmes_example_queries_run_in_the_duckdb_shell_on_the_analysts_copy(gated) -> None:
    """The README's command, `duckdb -readonly` on the analysts' copy, with every example query it shows."""
    import re
    import subprocess
    import sys

    import dagster as dg

    from orchestration.assets.analysts import warehouse_snapshot
    from orchestration.resources import Warehouse

    database, _, _ = gated
    assert dg.materialize([warehouse_snapshot], resources={"warehouse": Warehouse(database=str(database))}).success
    readme = (DBT_PROJECT_DIR.parent / "README.md").read_text(encoding="utf-8")
    examples = readme.split("One example per research question", 1)[1]
    queries = re.search(r"```sql\n(.*?)```", examples, re.DOTALL).group(1)
    statements = [s for s in queries.split(";") if s.strip() and not all(line.startswith("--") for line in s.strip().splitlines())]
    assert len(statements) == 12
    shell = Path(sys.executable).with_name("duckdb")  # the duckdb-cli of Hearth's environment, as `uv run duckdb` finds it
    shown = subprocess.run([str(shell), "-readonly", "-bail", "-csv", str(analysts_snapshot_of(database))], input=queries, capture_output=True, text=True)
    assert shown.returncode == 0 and shown.stderr == "", shown.stderr
    headers = [line for line in shown.stdout.splitlines() if line.startswith(("service,", "census_deprivation_dimensions,", "imd_decile,"))]
    assert len(headers) == 3  # and the other nine, each with its own first column
    others = ("parent_contact,", "sen_provision_code,", "known_to_social_care,", "offenders,", "domestic_abuse,", "service_type_code,")
    others += ("no_register_entry,", "la_code,", "worker_changes,")
    for first_column in others:
        assert any(line.startswith(first_column) for line in shown.stdout.splitlines()), first_column
