"""Scoring linkage against the synthetic ground truth (evaluation only: production has no truth).

The truth names records by (table, file, row); the warehouse by record_id = "table|file|row".
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from .addresses import ADDRESS_MATCHES

RECORD_ID = pl.concat_str([pl.col("table"), pl.col("file"), pl.col("row").cast(pl.Utf8)], separator="|").alias("record_id")


def true_persons(truth_dir: Path) -> pl.DataFrame:
    """record_id -> the true person_id of every source record."""
    return pl.read_parquet(truth_dir / "record_person.parquet").select(RECORD_ID, "person_id")


def true_addresses(truth_dir: Path) -> pl.DataFrame:
    """record_id -> the UPRN the recorded address describes, where the person lived, and whether it was stale."""
    return pl.read_parquet(truth_dir / "address_uprn.parquet").select(RECORD_ID, "address_uprn", "resident_uprn", "stale")


def evaluate_address_matches(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> pl.DataFrame:
    """Precision and match rate of accepted UPRNs, overall and per source, against the truth."""
    matches = con.sql(f"select record_id, source, uprn from {ADDRESS_MATCHES}").pl().join(true_addresses(truth_dir), on="record_id", how="inner")
    scored = matches.with_columns((pl.col("uprn") == pl.col("address_uprn")).alias("correct"))
    overall = scored.with_columns(pl.lit("all").alias("source"))
    return pl.concat([scored, overall]).group_by("source").agg(
        pl.len().alias("addresses"),
        pl.col("uprn").is_not_null().mean().alias("match_rate"),
        pl.col("correct").filter(pl.col("uprn").is_not_null()).mean().alias("precision"),
    ).sort("source")


def evaluate_person_links(links: pl.DataFrame, truth: pl.DataFrame) -> dict[str, float]:
    """Pairwise precision, recall and F1, and cluster precision and recall, against true persons.

    `links` has record_id, person_key; `truth` has record_id, person_id. A predicted cluster is
    precise when all its records are one true person; a true person is recalled when one
    predicted cluster holds all their records.
    """
    joined = links.join(truth, on="record_id", how="inner")

    def pairs(counts: pl.Series) -> int:
        return int((counts * (counts - 1) // 2).sum())

    predicted = pairs(joined.group_by("person_key").len()["len"])
    actual = pairs(joined.group_by("person_id").len()["len"])
    both = pairs(joined.group_by("person_key", "person_id").len()["len"])
    precision = both / predicted if predicted else 1.0
    recall = both / actual if actual else 1.0
    cluster_precision = joined.group_by("person_key").agg(pl.col("person_id").n_unique() == 1)["person_id"].mean()
    cluster_recall = joined.group_by("person_id").agg(pl.col("person_key").n_unique() == 1)["person_key"].mean()
    return {
        "records": joined.height, "pairwise_precision": precision, "pairwise_recall": recall,
        "pairwise_f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "cluster_precision": float(cluster_precision), "cluster_recall": float(cluster_recall),
    }


def evaluate_parent_links(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> dict[str, float]:
    """Precision and recall of parent-child links between persons, each person taken as the true
    person most of their records belong to; recall counts true mother/father links whose parent
    and child both appear in the linked records."""
    from .families import PARENT_LINKS
    from .persons import PERSON_LINKS

    keys = con.sql(f"select record_id, person_key from {PERSON_LINKS}").pl().join(true_persons(truth_dir), on="record_id")
    majority = keys.group_by("person_key").agg(pl.col("person_id").mode().first())
    found = con.sql(f"select parent_key, child_key from {PARENT_LINKS}").pl().join(
        majority.rename({"person_key": "parent_key", "person_id": "parent_id"}), on="parent_key"
    ).join(majority.rename({"person_key": "child_key", "person_id": "child_id"}), on="child_key").select("parent_id", "child_id").unique()
    true_links = pl.read_parquet(truth_dir / "relationships.parquet").filter(pl.col("relationship").is_in(["mother_of", "father_of"]))
    present = majority["person_id"].unique().implode()
    true_links = true_links.filter(pl.col("person_a").is_in(present) & pl.col("person_b").is_in(present)).select(
        pl.col("person_a").alias("parent_id"), pl.col("person_b").alias("child_id")
    )
    correct = found.join(true_links, on=["parent_id", "child_id"]).height
    return {
        "parent_links": found.height, "parent_link_precision": correct / found.height if found.height else 1.0,
        "parent_link_recall": correct / true_links.height if true_links.height else 1.0,
    }
