"""Records to persons, persons to household spells and families, on a small world: the targets
hold, twins stay apart, stale addresses do not move people back, keys are pseudonymous HMACs and
the keyed tables carry no direct identifier."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from linkage.evaluation import (
    RECORD_ID,
    TARGET_CLUSTER_PRECISION,
    TARGET_CLUSTER_RECALL,
    TARGET_HOUSEHOLD_SPELL_RECALL,
    evaluate_household_spells,
    evaluate_person_links,
    meets_target,
    true_persons,
)
from linkage.households import HOUSEHOLD_MEMBERS, HOUSEHOLD_SPELLS, form_households
from linkage.persons import DEMO_SECRET, PERSON_LINKS, pseudonymise


@pytest.fixture(scope="module")
def linked(linked_warehouse, tmp_path_factory: pytest.TempPathFactory) -> tuple[duckdb.DuckDBPyConnection, Path, dict]:
    """A copy of the session's linked warehouse, with what person linkage reported."""
    database, truth, result = linked_warehouse
    folder = tmp_path_factory.mktemp("linked_copy")
    shutil.copy(database, folder / "hearth.duckdb")
    (persons,) = [e.materialization for e in result.get_asset_materialization_events() if e.asset_key.path == ["linkage", "person_links"]]
    return duckdb.connect(str(folder / "hearth.duckdb")), truth, {name: value.value for name, value in persons.metadata.items()}


def test_person_linkage_meets_the_cluster_targets(linked) -> None:
    con, truth, summary = linked
    figures = evaluate_person_links(con.sql(f"select record_id, person_key from {PERSON_LINKS}").pl(), true_persons(truth))
    assert figures["records"] == summary["records"] > 10000
    assert figures["cluster_precision"] >= TARGET_CLUSTER_PRECISION
    assert figures["cluster_recall"] >= TARGET_CLUSTER_RECALL
    assert summary["deterministic_edges"] > 0 and summary["splink_pairs"] > 0


def test_twins_are_not_merged(linked) -> None:
    con, truth, _ = linked
    twins = pl.read_parquet(truth / "relationships.parquet").filter(pl.col("relationship") == "twin")
    keys = con.sql(f"select record_id, person_key from {PERSON_LINKS}").pl().join(true_persons(truth), on="record_id")
    per_person = keys.group_by("person_id").agg(pl.col("person_key").unique())
    pairs = twins.join(per_person, left_on="person_a", right_on="person_id").join(per_person, left_on="person_b", right_on="person_id", suffix="_b")
    assert pairs.height > 0
    shared = pairs.filter(pl.col("person_key").list.set_intersection(pl.col("person_key_b")).list.len() > 0)
    assert shared.height == 0


def test_person_keys_are_hmacs_without_direct_identifiers(linked) -> None:
    con, _, summary = linked
    columns = [c for (c,) in con.sql("select column_name from duckdb_columns() where schema_name = 'linkage' and table_name = 'person_links'").fetchall()]
    assert columns == ["record_id", "person_key", "cluster_id", "match_probability"]
    keys = con.sql(f"select distinct person_key from {PERSON_LINKS}").pl()["person_key"]
    assert keys.str.contains(r"^[0-9a-f]{64}$").all()
    assert summary["demo_secret"] is True
    ids = pl.Series(["a", "b"])
    assert pseudonymise(ids, "s1").to_list() == pseudonymise(ids, "s1").to_list() != pseudonymise(ids, "s2").to_list()


def test_hearth_link_persons_on_an_analysts_file(warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two rows per person, written differently (surname typo, date format, sex code, case):
    each person's rows share one key and no two persons share a key."""
    from hearth.cli import main

    _, truth = warehouse
    people = pl.read_parquet(truth / "persons.parquet").filter(pl.col("dob").dt.year() >= 1990).head(400)
    first = people.select("person_id", "first_name", "last_name", pl.col("dob").dt.strftime("%Y-%m-%d").alias("dob"), "sex")
    typo = pl.int_range(pl.len()) % 3 == 0  # a third of the second rows drop a letter of the surname
    second = people.select(
        "person_id",
        pl.col("first_name").str.to_uppercase(),
        pl.when(typo).then(pl.col("last_name").str.slice(0, 1) + pl.col("last_name").str.slice(2)).otherwise(pl.col("last_name")).alias("last_name"),
        pl.col("dob").dt.strftime("%d/%m/%Y").alias("dob"),
        pl.col("sex").replace({"M": "1", "F": "2"}),
    )
    rows = pl.concat([first, second]).sample(fraction=1.0, shuffle=True, seed=3)
    rows.drop("person_id").write_csv(tmp_path / "in.csv")
    monkeypatch.setenv("HEARTH_PSEUDONYM_SECRET", "a-test-secret")  # an analyst's file is not marked synthetic
    assert main(["link", "persons", "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / "out.parquet")]) == 0
    out = pl.read_parquet(tmp_path / "out.parquet").with_columns(rows["person_id"])
    assert out.height == 800 and out["person_key"].null_count() == 0
    assert (out.group_by("person_id").agg(pl.col("person_key").n_unique())["person_key"] == 1).mean() >= 0.98
    assert (out.group_by("person_key").agg(pl.col("person_id").n_unique())["person_id"] == 1).all()


@pytest.mark.parametrize("fault", ["name_typo", "nickname", "dob_day_month_swap", "missing_upn", "missing_nhs_number", "stale_address"])
def test_each_fault_class_still_links_to_its_person(linked, fault: str) -> None:
    """A record carrying a fault lands in the cluster that holds most of its person's records."""
    con, truth, _ = linked
    keys = con.sql(f"select record_id, person_key from {PERSON_LINKS}").pl().join(true_persons(truth), on="record_id")
    main_key = (
        keys.group_by("person_id", "person_key")
        .len()
        .sort("len", descending=True)
        .group_by("person_id")
        .first()
        .select("person_id", pl.col("person_key").alias("main_key"))
    )
    faulty = pl.read_parquet(truth / "faults.parquet").filter(pl.col("fault") == fault).select(RECORD_ID).unique()
    judged = keys.join(faulty, on="record_id").join(main_key, on="person_id")
    assert judged.height >= 20, fault
    assert (judged["person_key"] == judged["main_key"]).mean() >= 0.95, fault


@pytest.fixture(scope="module")
def housed(linked) -> tuple[duckdb.DuckDBPyConnection, Path, int]:
    con, truth, _ = linked
    return con, truth, con.sql(f"select count(*) from {HOUSEHOLD_SPELLS}").fetchone()[0]


def test_household_spells_meet_the_target(housed) -> None:
    con, truth, spells = housed
    figures = evaluate_household_spells(con, truth)
    assert figures["true_household_spells"] > 1000
    # A share over this world's spells, held to the target as the pipeline's check holds it (see meets_target);
    # the 20,000-person world of seed 42 meets it within its interval too (0.968 over 12,214 spells).
    assert meets_target(figures, "household_spell_recall", TARGET_HOUSEHOLD_SPELL_RECALL), figures
    assert figures["household_spell_precision"] >= 0.9
    assert spells == figures["formed_household_spells"]


def test_a_person_lives_in_one_place_at_a_time(housed) -> None:
    con, _, _ = housed
    overlapping = con.sql(
        f"""
        select count(*) from {HOUSEHOLD_MEMBERS} as a join {HOUSEHOLD_MEMBERS} as b
        on a.person_key = b.person_key and a.household_key < b.household_key
        and a.resident_from <= b.resident_to and b.resident_from <= a.resident_to
        """
    ).fetchone()[0]
    assert overlapping == 0
    spells = con.sql(f"select household_key, members, spell_from, spell_to from {HOUSEHOLD_SPELLS}").pl()
    assert spells["household_key"].is_unique().all() and (spells["spell_from"] <= spells["spell_to"]).all()
    assert spells["household_key"].str.contains(r"^[0-9a-f]{64}$").all()


def test_stale_addresses_do_not_move_people_back(housed) -> None:
    """A record still giving the address a person left, dated after they were seen at the new one
    (and they had not lived there before), is set aside: no residence at the old UPRN covers its date."""
    con, truth, _ = housed
    stale = (
        pl.read_parquet(truth / "address_uprn.parquet")
        .filter(pl.col("stale"))
        .select(RECORD_ID, pl.col("address_uprn").alias("old_uprn"), pl.col("resident_uprn").alias("new_uprn"))
    )
    con.register("_stale", stale.to_arrow())
    judged = con.sql(
        f"""
        select s.record_id, r.address_date,
            exists (select 1 from {HOUSEHOLD_MEMBERS} as m where m.person_key = l.person_key and m.uprn = s.old_uprn
                    and r.address_date between m.resident_from and m.resident_to) as placed_back
        from _stale as s
        join intermediate.int_person_records as r using (record_id)
        join {PERSON_LINKS} as l using (record_id)
        where exists (select 1 from {HOUSEHOLD_MEMBERS} as m where m.person_key = l.person_key and m.uprn = s.new_uprn and m.resident_from < r.address_date)
          and not exists (
              select 1 from {HOUSEHOLD_MEMBERS} as new join {HOUSEHOLD_MEMBERS} as old using (person_key)
              where new.person_key = l.person_key and new.uprn = s.new_uprn and old.uprn = s.old_uprn and new.resident_from < old.resident_from
          )
        """
    ).pl()
    con.unregister("_stale")
    assert judged.height >= 20
    assert not judged["placed_back"].any()


def test_an_unmatched_census_address_is_placed_where_its_people_were_seen(housed) -> None:
    """A census form whose address matched no UPRN still places everyone on it at the UPRN its
    people were seen at on other records with that address; without those records, nowhere."""
    con, _, _ = housed
    # A form on which someone was seen at its UPRN on other records, and someone was not.
    form, uprn = con.sql(
        f"""
        with on_forms as (
            select a.record_id as form, a.uprn, l.person_key,
                exists (
                    select 1 from {PERSON_LINKS} as other join linkage.address_matches as seen on seen.record_id = other.record_id
                    where other.person_key = l.person_key and seen.uprn = a.uprn
                ) as seen_elsewhere_there
            from linkage.address_matches as a
            join staging.stg_census_2021__households as h on h.record_id = a.record_id
            join staging.stg_census_2021__persons as p using (census_household_id)
            join {PERSON_LINKS} as l on l.record_id = p.record_id
            where a.uprn is not null
        )
        select form, uprn from on_forms group by all
        having bool_or(seen_elsewhere_there) and not bool_and(seen_elsewhere_there)
        order by form limit 1
        """
    ).fetchone()
    people_on_form = f"""
        select l.person_key from staging.stg_census_2021__households as h
        join staging.stg_census_2021__persons as p using (census_household_id)
        join {PERSON_LINKS} as l on l.record_id = p.record_id where h.record_id = '{form}'
    """
    placed_on_census_day = f"""
        select count(distinct person_key) from {HOUSEHOLD_MEMBERS}
        where uprn = {uprn} and date '2021-03-21' between resident_from and resident_to and person_key in ({people_on_form})
    """
    people = con.sql(f"select count(*) from ({people_on_form})").fetchone()[0]
    con.execute("begin")
    try:
        con.execute("update linkage.address_matches set uprn = null where record_id = ?", [form])
        form_households(con, DEMO_SECRET)
        assert con.sql(placed_on_census_day).fetchone()[0] == people >= 2
        con.execute(
            f"update linkage.address_matches set uprn = null where uprn = {uprn} and record_id in "
            f"(select record_id from {PERSON_LINKS} where person_key in ({people_on_form}))"
        )
        form_households(con, DEMO_SECRET)
        assert con.sql(placed_on_census_day).fetchone()[0] == 0
    finally:
        con.execute("rollback")


def test_parent_and_sibling_links_and_family_keys(housed) -> None:
    from linkage.evaluation import evaluate_parent_links
    from linkage.families import FAMILY_MEMBERS, link_families

    con, truth, _ = housed
    counts = link_families(con, DEMO_SECRET)
    assert counts["parent_links"] > 500 and counts["sibling_links"] > 200
    figures = evaluate_parent_links(con, truth)
    assert figures["parent_link_precision"] >= 0.98 and figures["parent_link_recall"] >= 0.6
    assert figures["sibling_link_precision"] >= 0.98 and figures["sibling_link_recall"] >= 0.6
    members = con.sql(f"select family_key, person_key, role from {FAMILY_MEMBERS}").pl()
    anchors = members.filter(pl.col("role").is_in(["mother", "father"])).group_by("family_key").len()
    assert (anchors["len"] == 1).all() and anchors.height == counts["families"]
    assert members["family_key"].str.contains(r"^[0-9a-f]{64}$").all()
    again = link_families(con, DEMO_SECRET)
    assert again == counts
    assert (
        con.sql(f"select family_key, person_key, role from {FAMILY_MEMBERS}")
        .pl()
        .sort("family_key", "person_key", "role")
        .equals(members.sort("family_key", "person_key", "role"))
    )


def test_keyed_tables_carry_no_direct_identifiers(housed) -> None:
    from orchestration.assets.linkage import KEYED_TABLES
    from validations.direct_identifiers import direct_identifier_columns

    con, _, _ = housed
    assert direct_identifier_columns(con, list(KEYED_TABLES)) == []
    assert direct_identifier_columns(con, ["linkage.address_matches"]) == ["linkage.address_matches.address_text", "linkage.address_matches.postcode"]
    con.execute(
        "create or replace table linkage._leaky as select person_key, 'X' as first_name, date '2010-01-01' as mothers_child_date_of_birth "
        "from linkage.person_links limit 1"
    )
    assert direct_identifier_columns(con, ["linkage._leaky"]) == ["linkage._leaky.first_name", "linkage._leaky.mothers_child_date_of_birth"]
    con.execute("drop table linkage._leaky")


def test_the_keys_secret_is_the_users_or_the_demo_one_only_for_synthetic_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ingestion.landing import SYNTHETIC_MARKER
    from linkage.persons import PseudonymSecretMissing, pseudonym_secret

    monkeypatch.delenv("HEARTH_PSEUDONYM_SECRET", raising=False)
    real, synthetic, unmarked = tmp_path / "real", tmp_path / "synthetic", tmp_path / "unmarked"
    for folder in (real, synthetic, unmarked):
        folder.mkdir()
    (synthetic / SYNTHETIC_MARKER).write_text('{"synthetic": true, "seed": 1}', encoding="utf-8")
    (unmarked / SYNTHETIC_MARKER).write_text('{"synthetic": false}', encoding="utf-8")
    assert pseudonym_secret(synthetic) == DEMO_SECRET
    for landing in (real, unmarked, None):
        with pytest.raises(PseudonymSecretMissing) as missing:
            pseudonym_secret(landing)
        assert "\n" not in str(missing.value) and "export HEARTH_PSEUDONYM_SECRET=" in str(missing.value)
    monkeypatch.setenv("HEARTH_PSEUDONYM_SECRET", "our-own")
    assert pseudonym_secret(real) == pseudonym_secret(synthetic) == "our-own"


def test_linkage_on_data_not_marked_synthetic_fails_without_a_secret_and_keeps_the_keys(
    linked_warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run fails with the one-line message and the keyed tables stay as they were; with a
    secret it runs, and the secret is nowhere in what it reports."""
    import dagster as dg

    from orchestration.assets import linkage
    from orchestration.resources import HearthPaths, Warehouse

    source, _, _ = linked_warehouse
    shutil.copy(source, tmp_path / "hearth.duckdb")
    (tmp_path / "landing").mkdir()  # real extracts: no generator's marker

    def run() -> dg.ExecuteInProcessResult:
        resources = {
            "warehouse": Warehouse(database=str(tmp_path / "hearth.duckdb")),
            "paths": HearthPaths(landing_dir=str(tmp_path / "landing"), truth_dir=str(tmp_path / "no_truth")),
            "linkage_settings": linkage.LinkageSettings(),
        }
        tables = ("person_links", "person_match_pairs", "review_queue", "household_spells", "household_members")
        selection = [dg.AssetKey(["linkage", table]) for table in tables]
        return dg.materialize(dg.load_assets_from_modules([linkage]), selection=selection, resources=resources, raise_on_error=False)

    def keys() -> list[tuple[str, str]]:
        with duckdb.connect(str(tmp_path / "hearth.duckdb"), read_only=True) as con:
            return con.sql(f"select record_id, person_key from {PERSON_LINKS} order by record_id").fetchall()

    before = keys()
    monkeypatch.delenv("HEARTH_PSEUDONYM_SECRET", raising=False)
    failed = run()
    assert not failed.success
    (failure,) = [event for event in failed.all_events if event.is_step_failure]
    assert "HEARTH_PSEUDONYM_SECRET is not set" in failure.event_specific_data.error.message
    assert keys() == before

    monkeypatch.setenv("HEARTH_PSEUDONYM_SECRET", "a-secret-that-must-not-leak")
    linked = run()
    assert linked.success
    assert keys() != before  # keys under another secret
    reported = [str(value.value) for event in linked.get_asset_materialization_events() for value in event.materialization.metadata.values()]
    assert reported and not any("a-secret-that-must-not-leak" in text for text in reported)
