"""The linkage benchmark: the public FEBRL sets as records with true persons, Hearth against the
plain Splink baseline on one of them, and the targets judged from the table."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from hearth.bench_linkage import BASELINE, HEARTH, baseline_settings, febrl_directory, febrl_set, score, target_lines
from linkage.persons import NODE_COLUMNS


@pytest.fixture(scope="module")
def febrl() -> Path:
    return febrl_directory()


def test_febrl_sets_are_records_with_their_true_persons(febrl: Path) -> None:
    dedupe, two_files = febrl_set("febrl3", febrl), febrl_set("febrl4", febrl)
    assert (dedupe.nodes.height, dedupe.truth["person_id"].n_unique()) == (5000, 2000)
    assert (two_files.nodes.height, two_files.truth["person_id"].n_unique()) == (10000, 5000)
    assert tuple(two_files.nodes.columns) == NODE_COLUMNS
    assert two_files.nodes["unique_id"].to_list() == two_files.truth["record_id"].to_list()
    # Names upper-cased, dates parsed from YYYYMMDD, no sex column in FEBRL, so none invented.
    first = two_files.nodes.row(0, named=True)
    assert (first["first_name"], first["last_name"], str(first["date_of_birth"])) == ("MICHAELA", "NEUMANN", "1915-11-11")
    assert two_files.nodes["sex"].null_count() == two_files.nodes.height
    assert two_files.nodes["date_of_birth"].null_count() < 0.05 * two_files.nodes.height


def test_the_baseline_compares_and_blocks_on_the_columns_a_set_has() -> None:
    settings = baseline_settings(["first_name", "last_name", "date_of_birth", "postcode"]).get_settings("duckdb").as_dict()
    assert [c["output_column_name"] for c in settings["comparisons"]] == ["first_name", "last_name", "date_of_birth", "postcode"]
    assert len(settings["blocking_rules_to_generate_predictions"]) == 3  # both names, date of birth, postcode with first name


@pytest.mark.integration
def test_hearth_trained_on_febrl4_links_at_least_as_well_as_the_plain_baseline(febrl: Path) -> None:
    two_files = febrl_set("febrl4", febrl)
    hearth, _ = score(two_files, HEARTH)
    baseline, _ = score(two_files, BASELINE)
    assert hearth["pairwise_f1"] >= baseline["pairwise_f1"] > 0.9
    assert hearth["cluster_precision"] >= 0.99


def test_targets_are_judged_against_the_baseline_in_the_same_table() -> None:
    figures = {"pairwise_f1": 0.0, "cluster_precision": 1.0, "cluster_recall": 1.0}
    results = [
        {"set": "synthetic, intensity 1", "method": HEARTH, **figures, "cluster_precision": 0.996, "cluster_recall": 0.97},
        {"set": "synthetic, intensity 3", "method": HEARTH, **figures, "pairwise_f1": 0.995, "cluster_precision": 0.995},
        {"set": "synthetic, intensity 3", "method": BASELINE, **figures, "pairwise_f1": 0.982},
        {"set": "febrl4", "method": HEARTH, **figures, "pairwise_f1": 0.95},
        {"set": "febrl4", "method": BASELINE, **figures, "pairwise_f1": 0.96},
    ]
    worst = {"set": "synthetic, intensity 1", "method": HEARTH, "category": "8", "true_persons": 250, "cluster_recall": 0.95, "gap": -0.02}
    gaps = pl.DataFrame([worst])
    lines = target_lines(results, gaps)
    assert [line.rsplit(": ", 1)[1] for line in lines] == ["NOT met", "met", "NOT met", "NOT met"]
    assert lines[0].startswith("synthetic, intensity 1: cluster precision 0.996") and "worst ethnic group 8" in lines[3]
