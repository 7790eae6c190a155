"""Clerical review of uncertain person pairs, as ONS and ECHILD run it.

Splink pairs between the review lower bound and the match threshold go to `linkage.review_queue`
with the evidence of each comparison (the level it fell in and its weight in bits) and the two
records' sources, but no names, dates or identifiers: a reviewer looks the two record ids up in
the restricted warehouse if the evidence alone does not settle it. Decisions (match or non-match,
who, when, why) are rows of a CSV under version control (`HEARTH_REVIEW_DECISIONS`, by default
`linkage/review_decisions.csv`), keyed on the stable record ids `table|file|row`, so they hold
across re-runs and retraining. The next run applies a match as a must-link and a non-match as a
cannot-link, which clustering refuses to bridge, however strong the links between the two records.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

REVIEW_QUEUE = "linkage.review_queue"
DECISIONS_ENV = "HEARTH_REVIEW_DECISIONS"
DEFAULT_DECISIONS_PATH = Path(__file__).with_name("review_decisions.csv")
DECISION_SCHEMA = {"record_id_l": pl.Utf8, "record_id_r": pl.Utf8, "decision": pl.Utf8, "reviewer": pl.Utf8, "decided_at": pl.Utf8, "note": pl.Utf8}
DECISIONS = ("match", "non-match")
COMPARISONS = ("name", "date_of_birth", "sex", "location", "upn", "nhs_number")
TF_COMPARISONS = ("name",)  # with term-frequency adjustments


def read_decisions(path: Path) -> pl.DataFrame:
    """The reviewers' decisions, newest last; a pair decided twice keeps its latest decision."""
    if not path.exists():
        return pl.DataFrame(schema=DECISION_SCHEMA)
    decisions = pl.read_csv(path, schema=DECISION_SCHEMA)
    unknown = decisions.filter(~pl.col("decision").is_in(DECISIONS))
    if not unknown.is_empty():
        raise ValueError(f"{path}: decisions must be one of {', '.join(DECISIONS)}; found {unknown['decision'].unique().to_list()}")
    ordered = decisions.with_columns(
        pl.min_horizontal("record_id_l", "record_id_r").alias("record_id_l"), pl.max_horizontal("record_id_l", "record_id_r").alias("record_id_r")
    )
    return ordered.unique(["record_id_l", "record_id_r"], keep="last", maintain_order=True)


def record_decision(path: Path, record_id_l: str, record_id_r: str, decision: str, reviewer: str, note: str = "") -> pl.DataFrame:
    """Append one decision to the CSV (creating it with its header); returns the row written."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, got {decision!r}")
    row = pl.DataFrame(
        [[record_id_l, record_id_r, decision, reviewer, datetime.now(UTC).isoformat(timespec="seconds"), note]], schema=DECISION_SCHEMA, orient="row"
    )
    existing = pl.read_csv(path, schema=DECISION_SCHEMA) if path.exists() else pl.DataFrame(schema=DECISION_SCHEMA)
    pl.concat([existing, row]).write_csv(path)
    return row


def write_review_queue(con: duckdb.DuckDBPyConnection, model_version: str, decisions: pl.DataFrame | None) -> int:
    """(Re)write `linkage.review_queue` from the review band of `_scored_pairs` (left by the person
    linkage run), less the pairs already decided; returns how many pairs it holds."""
    # Predictions keep each comparison's Bayes factor, not its level: a level is known by its factor
    # (the name's term-frequency adjustment aside, which the weight shown includes).
    adjusted = {c: f"bf_{c} * bf_tf_adj_{c}" if c in TF_COMPARISONS else f"bf_{c}" for c in COMPARISONS}
    evidence = " union all ".join(
        f"select unique_id_l, unique_id_r, '{c}' as comparison, log2(bf_{c}) as level_weight, log2({adjusted[c]}) as weight "
        "from _scored_pairs where band = 'review'"
        for c in COMPARISONS
    )
    con.register("_decided", (decisions if decisions is not None else pl.DataFrame(schema=DECISION_SCHEMA)).select("record_id_l", "record_id_r").to_arrow())
    con.execute(
        f"""
        create or replace table {REVIEW_QUEUE} as
        with evidence as (
            select e.unique_id_l, e.unique_id_r,
                string_agg(e.comparison || ': ' || l.label_for_charts || ' (' || round(e.weight, 1) || ')', '; ' order by e.comparison) as evidence
            from ({evidence}) as e
            join (select comparison_name, round(log2_bayes_factor, 6) as level_weight, any_value(label_for_charts) as label_for_charts
                  from _comparison_levels group by all) as l on l.comparison_name = e.comparison and l.level_weight = round(e.level_weight, 6)
            group by all
        )
        select l.record_id as record_id_l, r.record_id as record_id_r,
            split_part(l.record_id, '|', 1) as source_l, split_part(r.record_id, '|', 1) as source_r,
            p.match_probability, p.match_weight, e.evidence, '{model_version}' as model_version
        from _scored_pairs as p
        join evidence as e using (unique_id_l, unique_id_r)
        join _person_signatures as l on l.unique_id = p.unique_id_l
        join _person_signatures as r on r.unique_id = p.unique_id_r
        where p.band = 'review'
          and (least(l.record_id, r.record_id), greatest(l.record_id, r.record_id)) not in (select (record_id_l, record_id_r) from _decided)
        order by p.match_probability desc
        """
    )
    con.unregister("_decided")
    return con.sql(f"select count(*) from {REVIEW_QUEUE}").fetchone()[0]
