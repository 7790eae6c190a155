"""Linkage quality without a truth, and linkage bias by person group with one, on tiny hand-made links."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from linkage.evaluation import evaluate_person_links, person_link_figures, person_linkage_quality, recall_gaps

# Six records of four true persons: person 1's two records are split (a missed link), persons 2 and 3
# are merged (a false link), person 4 is linked right.
LINKS = pl.DataFrame(
    {
        "record_id": ["a", "b", "c", "d", "e", "f"],
        "person_key": ["k1", "k2", "k3", "k3", "k4", "k4"],
        "person_id": [1, 1, 2, 3, 4, 4],
        "category": ["x", "x", "y", "y", "y", "y"],
    }
)


def test_figures_by_group_put_each_error_on_its_group() -> None:
    by_group = {row["category"]: row for row in person_link_figures(LINKS).iter_rows(named=True)}
    # Group x: one true person, one true pair, not found; no predicted pair.
    assert by_group["x"]["true_persons"] == 1 and by_group["x"]["cluster_recall"] == 0.0 and by_group["x"]["pairwise_recall"] == 0.0
    assert by_group["x"]["cluster_precision"] == 1.0  # its two clusters each hold only person 1
    # Group y: persons 2, 3, 4 all recalled; of its two predicted pairs one is true; one of two clusters precise.
    assert by_group["y"]["cluster_recall"] == 1.0
    assert by_group["y"]["pairwise_precision"] == pytest.approx(0.5) and by_group["y"]["cluster_precision"] == pytest.approx(0.5)


def test_overall_figures_are_the_one_group_case() -> None:
    overall = evaluate_person_links(LINKS.select("record_id", "person_key"), LINKS.select("record_id", "person_id"))
    assert overall["pairwise_precision"] == pytest.approx(0.5) and overall["pairwise_recall"] == pytest.approx(0.5)
    assert overall["cluster_precision"] == pytest.approx(3 / 4) and overall["cluster_recall"] == pytest.approx(3 / 4)
    assert overall["true_persons"] == 4


def test_recall_gaps_hold_only_groups_large_enough() -> None:
    by_group = pl.DataFrame(
        {
            "breakdown": ["ethnic_group_19"] * 3 + ["sex"],
            "category": ["6", "13", "18", "F"],
            "metric": ["cluster_recall"] * 4,
            "value": [0.95, 0.99, 0.80, 0.90],
            "records": [250, 5000, 120, 6000],
        }
    )
    gaps = recall_gaps(by_group, overall_recall=0.985)
    assert gaps["category"].to_list() == ["6", "13"]  # group 18 has too few persons; sex is another breakdown
    assert gaps["gap"].to_list() == pytest.approx([-0.035, 0.005])


def test_quality_without_truth_from_links_sources_and_scored_pairs() -> None:
    with duckdb.connect() as con:
        con.execute("create schema intermediate; create schema linkage")
        con.execute(
            "create table intermediate.int_person_records as select * from (values ('a', 'hes_apc'), ('b', 'school_census'), ('c', 'school_census'), "
            "('d', 'hes_apc')) as t(record_id, source)"
        )
        con.execute(
            "create table linkage.person_links as select * from (values ('a', 'k1'), ('b', 'k1'), ('c', 'k2'), ('d', 'k3')) as t(record_id, person_key)"
        )
        con.execute(
            "create table linkage.person_match_pairs as select * from (values ('a', 'b', 0.999, 'link'), ('c', 'd', 0.7, 'review'), "
            "('a', 'c', 0.6, 'review')) as t(record_id_l, record_id_r, match_probability, band)"
        )
        quality = person_linkage_quality(con)
    overall = dict(quality.filter(pl.col("breakdown").is_null()).select("metric", "value").iter_rows())
    assert overall == pytest.approx({"records": 4, "persons": 3, "unlinked_share": 0.5, "accepted_pairs": 1, "review_pairs": 2, "estimated_precision": 0.999})
    by_source = {(row["category"], row["metric"]): row["value"] for row in quality.filter(pl.col("breakdown") == "source").iter_rows(named=True)}
    assert by_source[("hes_apc", "linked_to_another_source")] == 0.5 and by_source[("school_census", "unlinked_share")] == 0.5
    pairs = dict(quality.filter(pl.col("breakdown") == "source_pair").select("category", "value").iter_rows())
    assert pairs == pytest.approx({"hes_apc in school_census": 0.5, "school_census in hes_apc": 0.5})
