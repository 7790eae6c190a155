"""Addresses to UPRNs on a small world: the targets hold, stale addresses match the property they
describe, and a stricter threshold leaves records unmatched rather than guessed."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import polars as pl

from linkage.addresses import ADDRESS_MATCHES, AddressMatchThresholds, match_addresses
from linkage.evaluation import TARGET_MATCH_RATE, TARGET_PRECISION, evaluate_address_matches, true_addresses


def _scratch_copy(warehouse: tuple[Path, Path], tmp_path: Path) -> duckdb.DuckDBPyConnection:
    database, _ = warehouse
    copy = tmp_path / "hearth.duckdb"
    shutil.copy(database, copy)
    return duckdb.connect(str(copy))


def test_address_matching_meets_the_targets(warehouse, tmp_path: Path) -> None:
    _, truth = warehouse
    con = _scratch_copy(warehouse, tmp_path)
    summary = match_addresses(con)
    figures = evaluate_address_matches(con, truth)
    overall = figures.filter(pl.col("source") == "all").row(0, named=True)
    assert overall["addresses"] == summary["addresses"] > 5000
    assert overall["precision"] >= TARGET_PRECISION
    assert overall["match_rate"] >= TARGET_MATCH_RATE
    assert set(figures["source"]) == {"all", "census_2021_households", "school_census", "cin_census", "ssd", "hes_apc", "ecds", "youth_justice", "cnis"}


def test_stale_addresses_match_the_property_they_describe(warehouse, tmp_path: Path) -> None:
    _, truth = warehouse
    con = _scratch_copy(warehouse, tmp_path)
    match_addresses(con)
    stale = true_addresses(truth).filter(pl.col("stale"))
    matched = con.sql(f"select record_id, uprn from {ADDRESS_MATCHES} where uprn is not null").pl().join(stale, on="record_id")
    assert matched.height > 50
    assert (matched["uprn"] == matched["address_uprn"]).mean() >= 0.99
    assert (matched["uprn"] != matched["resident_uprn"]).all()


def test_a_stricter_threshold_leaves_records_unmatched_not_guessed(warehouse, tmp_path: Path) -> None:
    con = _scratch_copy(warehouse, tmp_path)
    default = match_addresses(con)
    strict = match_addresses(con, AddressMatchThresholds(min_match_weight=1000.0))
    assert strict["matched"] < default["matched"]
    reasons = con.sql(f"select distinct match_reason from {ADDRESS_MATCHES} where uprn is not null order by 1").fetchall()
    assert reasons == [("exact: address and postcode as in the gazetteer",), ("exact: full match",)]
    unmatched = con.sql(f"select count(*) from {ADDRESS_MATCHES} where uprn is null and candidate_uprn is not null").fetchone()[0]
    assert (
        unmatched
        == default["matched"]
        - strict["matched"]
        + (default["addresses"] - default["matched"])
        - con.sql(f"select count(*) from {ADDRESS_MATCHES} where candidate_uprn is null").fetchone()[0]
    )


def test_dagster_linkage_assets_evaluate_and_check_the_targets(linked_warehouse, tmp_path: Path) -> None:
    """The linkage assets as `linkage_job` runs them: every check passes, the evaluation is recorded
    once per stage, and without a truth only what linkage can say of itself is recorded."""
    import dagster as dg

    from orchestration.assets.linkage import linkage_evaluation
    from orchestration.resources import HearthPaths, Warehouse

    database, _, result = linked_warehouse
    assert result.success
    checks = {check.check_name: check for check in result.get_asset_check_evaluations()}
    assert {"address_match_meets_targets", "person_links_meet_targets", "household_spells_meet_target", "keyed_without_direct_identifiers"} <= set(checks)
    assert all(check.passed for check in result.get_asset_check_evaluations())
    address = checks["address_match_meets_targets"].metadata
    assert address["precision"].value >= TARGET_PRECISION and address["match_rate"].value >= TARGET_MATCH_RATE
    with duckdb.connect(str(database), read_only=True) as con:
        stages = dict(con.sql("select stage, count(*) from audit.linkage_evaluation group by 1").fetchall())
        runs = con.sql("select count(distinct run_id) from audit.linkage_evaluation").fetchone()[0]
    assert runs == 1
    assert stages["address_to_uprn"] == 18  # eight sources and "all", each with precision and match rate
    assert set(stages) == {"address_to_uprn", "record_to_person", "record_to_person_by_group", "household_spells", "family_links", "person_linkage_quality"}
    assert checks["person_recall_even_across_ethnic_groups"].passed

    copy = tmp_path / "hearth.duckdb"
    shutil.copy(database, copy)
    no_truth = {"warehouse": Warehouse(database=str(copy)), "paths": HearthPaths(truth_dir=str(tmp_path / "nowhere"))}
    result = dg.materialize([linkage_evaluation], resources=no_truth)
    (event,) = result.get_asset_materialization_events()
    assert event.materialization.metadata["evaluated"].value is False
    with duckdb.connect(str(copy), read_only=True) as con:
        newest = con.sql(
            "select distinct stage from audit.linkage_evaluation where evaluated_at = (select max(evaluated_at) from audit.linkage_evaluation)"
        ).fetchall()
    assert newest == [("person_linkage_quality",)]
    assert 0 < event.materialization.metadata["person_linkage_quality.unlinked_share"].value < 1


def test_missing_postcodes_match_exactly_only_where_the_address_is_unique(warehouse, tmp_path: Path) -> None:
    """Without a postcode, an address found once in the gazetteer takes that UPRN directly; one found
    in two places (a shared key made here by copying a property under another postcode) does not."""
    _, truth = warehouse
    con = _scratch_copy(warehouse, tmp_path)
    match_addresses(con)
    no_postcode = (
        con.sql(f"select record_id, uprn, match_reason from {ADDRESS_MATCHES} where postcode is null").pl().join(true_addresses(truth), on="record_id")
    )
    exact = no_postcode.filter(pl.col("match_reason") == "exact: address and postcode as in the gazetteer")
    assert exact.height > 20
    assert (exact["uprn"] == exact["address_uprn"]).all()

    uprn = exact["uprn"][0]
    con.execute(
        "insert into staging.stg_gazetteer__properties by name "
        "select * replace (uprn + 1000000000000 as uprn, 'ZZ9 9ZZ' as postcode) from staging.stg_gazetteer__properties where uprn = ?",
        [uprn],
    )
    match_addresses(con)
    again = con.execute(f"select uprn, match_reason from {ADDRESS_MATCHES} where record_id = ?", [exact["record_id"][0]]).fetchone()
    assert again[1] != "exact: address and postcode as in the gazetteer" and again[0] != uprn
