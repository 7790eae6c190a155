"""Scoring linkage against the synthetic ground truth (evaluation only: production has no truth).

The truth names records by (table, file, row); the warehouse by record_id = "table|file|row".
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from ingestion.bookkeeping import create_bookkeeping_table

from .addresses import ADDRESS_MATCHES
from .persons import PERSON_LINKS

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
    return (
        pl.concat([scored, overall])
        .group_by("source")
        .agg(
            pl.len().alias("addresses"),
            pl.col("uprn").is_not_null().mean().alias("match_rate"),
            pl.col("correct").filter(pl.col("uprn").is_not_null()).mean().alias("precision"),
        )
        .sort("source")
    )


def evaluate_person_links(links: pl.DataFrame, truth: pl.DataFrame) -> dict[str, float]:
    """Pairwise precision, recall and F1, and cluster precision and recall, against true persons.

    `links` has record_id, person_key; `truth` has record_id, person_id. A predicted cluster is
    precise when all its records are one true person; a true person is recalled when one
    predicted cluster holds all their records.
    """
    figures = person_link_figures(links.join(truth, on="record_id", how="inner").with_columns(pl.lit("all").alias("category")))
    return {metric: figures[metric][0] for metric in figures.columns if metric != "category"}


def _pairs(counts: pl.Expr) -> pl.Expr:
    return (counts * (counts - 1) // 2).sum()


def person_link_figures(joined: pl.DataFrame) -> pl.DataFrame:
    """The figures of `evaluate_person_links` per `category` of true person (record_id, person_key,
    person_id, category). A true person's pairs and recall count in their own category; a predicted
    cluster's pairs and precision in the category of the true person most of its records belong to,
    so each figure is over the people of one group, as ECHILD and ONS report linkage bias."""
    cluster_category = (
        joined.group_by("person_key", "person_id", "category").len().sort("len", "person_id", descending=[True, False]).group_by("person_key").first()
    )
    predicted = joined.group_by("person_key").agg(pl.len().alias("n"), (pl.col("person_id").n_unique() == 1).alias("precise"))
    predicted = predicted.join(cluster_category.select("person_key", "category"), on="person_key")
    actual = joined.group_by("person_id", "category").agg(pl.len().alias("n"), (pl.col("person_key").n_unique() == 1).alias("recalled"))
    # Pairs both true and predicted: counted for recall in the person's category, for precision in the cluster's.
    both = joined.group_by("person_key", "person_id", "category").len()
    both_in_clusters = both.drop("category").join(cluster_category.select("person_key", "category"), on="person_key")
    figures = (
        actual.group_by("category")
        .agg(
            pl.col("n").sum().alias("records"),
            pl.len().alias("true_persons"),
            _pairs(pl.col("n")).alias("actual"),
            pl.col("recalled").mean().alias("cluster_recall"),
        )
        .join(both.group_by("category").agg(_pairs(pl.col("len")).alias("both")), on="category", how="left")
        .join(both_in_clusters.group_by("category").agg(_pairs(pl.col("len")).alias("both_predicted")), on="category", how="left")
        .join(
            predicted.group_by("category").agg(_pairs(pl.col("n")).alias("predicted"), pl.col("precise").mean().alias("cluster_precision")),
            on="category",
            how="left",
        )
        .with_columns(
            pl.when(pl.col("predicted") > 0).then(pl.col("both_predicted") / pl.col("predicted")).otherwise(1.0).alias("pairwise_precision"),
            pl.when(pl.col("actual") > 0).then(pl.col("both") / pl.col("actual")).otherwise(1.0).alias("pairwise_recall"),
            pl.col("cluster_precision").fill_null(1.0),
        )
        .with_columns(
            pl.when(pl.col("pairwise_precision") + pl.col("pairwise_recall") > 0)
            .then(2 * pl.col("pairwise_precision") * pl.col("pairwise_recall") / (pl.col("pairwise_precision") + pl.col("pairwise_recall")))
            .otherwise(0.0)
            .alias("pairwise_f1")
        )
    )
    columns = ["records", "true_persons", "pairwise_precision", "pairwise_recall", "pairwise_f1", "cluster_precision", "cluster_recall"]
    return figures.select("category", *[pl.col(c).cast(pl.Float64) for c in columns]).sort("category")


# The person attributes linkage quality is broken down by, as ECHILD and ONS publish it.
BREAKDOWNS = ("ethnic_group_19", "ethnic_group_5", "sex", "age_band", "imd_decile")
AGE_BANDS = ((0, "0-4"), (5, "5-10"), (11, "11-15"), (16, "16-17"), (18, "18-24"), (25, "25-44"), (45, "45-64"), (65, "65+"))
MIN_GROUP_PERSONS = 200  # groups smaller than this are shown but not held to the recall-gap target
MAX_RECALL_GAP = 0.015  # a group's cluster recall may fall at most 1.5 points below the overall


def true_person_attributes(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> pl.DataFrame:
    """person_id -> ethnic group (19 and 5), sex, age band on the last day any record describes, and
    the IMD decile of the property the person was most often recorded living at."""
    from code_lists.seeds import BROAD_OF_CENSUS_19

    last_seen = con.sql("select max(coalesce(observed_to, observed_from, address_date)) from intermediate.int_person_records").fetchone()[0]
    imd = con.sql("select uprn, max(imd_decile) as imd_decile from staging.stg_gazetteer__properties group by uprn").pl()
    home = (
        true_addresses(truth_dir)
        .join(true_persons(truth_dir), on="record_id")
        .filter(pl.col("resident_uprn").is_not_null())
        .group_by("person_id", "resident_uprn")
        .len()
        .sort("len", "resident_uprn", descending=[True, False])
        .group_by("person_id")
        .first()
        .join(imd, left_on=pl.col("resident_uprn").cast(pl.Int64), right_on="uprn", how="left")
    )
    persons = pl.read_parquet(truth_dir / "persons.parquet")
    age = ((pl.lit(last_seen) - pl.col("dob")).dt.total_days() // 365.25).cast(pl.Int32)
    band = pl.lit(None, dtype=pl.Utf8)
    for lower, label in AGE_BANDS:
        band = pl.when(age >= lower).then(pl.lit(label)).otherwise(band)
    return persons.select(
        pl.col("person_id").cast(pl.Int64),
        pl.col("ethnic_group_19").cast(pl.Utf8),
        pl.col("ethnic_group_19").cast(pl.Utf8).replace_strict(BROAD_OF_CENSUS_19, default="unknown").alias("ethnic_group_5"),
        pl.col("sex").cast(pl.Utf8),
        band.alias("age_band"),
    ).join(home.select(pl.col("person_id").cast(pl.Int64), pl.col("imd_decile").cast(pl.Utf8)), on="person_id", how="left")


def evaluate_person_links_by_group(links: pl.DataFrame, truth: pl.DataFrame, attributes: pl.DataFrame) -> pl.DataFrame:
    """Person linkage figures per category of each breakdown: rows (breakdown, category, metric, value, records),
    `records` being the category's true persons."""
    joined = links.join(truth, on="record_id", how="inner").with_columns(pl.col("person_id").cast(pl.Int64)).join(attributes, on="person_id", how="left")
    rows = []
    for breakdown in BREAKDOWNS:
        figures = person_link_figures(joined.with_columns(pl.col(breakdown).fill_null("unknown").alias("category")))
        rows.append(
            figures.unpivot(
                index=["category", "true_persons"], on=[c for c in figures.columns if c not in ("category", "true_persons", "records")], variable_name="metric"
            )
            .with_columns(pl.lit(breakdown).alias("breakdown"))
            .select("breakdown", "category", "metric", "value", pl.col("true_persons").cast(pl.Int64).alias("records"))
        )
    return pl.concat(rows)


def recall_gaps(by_group: pl.DataFrame, overall_recall: float, breakdown: str = "ethnic_group_19", min_persons: int = MIN_GROUP_PERSONS) -> pl.DataFrame:
    """Each category's cluster recall minus the overall, for categories of at least `min_persons` true
    persons (smaller groups' shares are too noisy to hold to a 1.5-point target), worst first."""
    return (
        by_group.filter((pl.col("breakdown") == breakdown) & (pl.col("metric") == "cluster_recall") & (pl.col("records") >= min_persons))
        .select("category", pl.col("records").alias("true_persons"), pl.col("value").alias("cluster_recall"), (pl.col("value") - overall_recall).alias("gap"))
        .sort("gap")
    )


def evaluate_parent_links(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> dict[str, float]:
    """Precision and recall of parent-child and sibling links between persons, each person taken as
    the true person most of their records belong to; recall counts true links whose two people
    both appear in the linked records."""
    from .families import PARENT_LINKS, SIBLING_LINKS

    majority = majority_persons(con, truth_dir)
    truth = pl.read_parquet(truth_dir / "relationships.parquet")
    present = majority["person_id"].unique().implode()
    truth = truth.filter(pl.col("person_a").is_in(present) & pl.col("person_b").is_in(present))
    figures = {}
    for kind, table, key_a, key_b, relationships in (
        ("parent_link", PARENT_LINKS, "parent_key", "child_key", ["mother_of", "father_of"]),
        ("sibling_link", SIBLING_LINKS, "person_key_a", "person_key_b", ["sibling", "half_sibling", "twin"]),
    ):
        found = (
            con.sql(f"select {key_a} as key_a, {key_b} as key_b from {table}")
            .pl()
            .join(majority.rename({"person_key": "key_a", "person_id": "person_a"}), on="key_a")
            .join(majority.rename({"person_key": "key_b", "person_id": "person_b"}), on="key_b")
        )
        # Siblings are unordered pairs; parent links are ordered.
        ordered = (
            (lambda f: f)
            if kind == "parent_link"
            else (lambda f: f.select(pl.min_horizontal("person_a", "person_b").alias("person_a"), pl.max_horizontal("person_a", "person_b").alias("person_b")))
        )
        found = ordered(found.select("person_a", "person_b")).unique()
        expected = ordered(truth.filter(pl.col("relationship").is_in(relationships)).select("person_a", "person_b")).unique()
        correct = found.join(expected, on=["person_a", "person_b"]).height
        figures |= {
            f"{kind}s": found.height,
            f"{kind}_precision": correct / found.height if found.height else 1.0,
            f"{kind}_recall": correct / expected.height if expected.height else 1.0,
        }
    return figures


def majority_persons(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> pl.DataFrame:
    """person_key -> the true person most of its records belong to."""
    from .persons import PERSON_LINKS

    keys = con.sql(f"select record_id, person_key from {PERSON_LINKS}").pl().join(true_persons(truth_dir), on="record_id")
    return keys.group_by("person_key").agg(pl.col("person_id").cast(pl.Int64).mode().min())


def true_household_spells(truth_dir: Path, address_dates: pl.DataFrame) -> pl.DataFrame:
    """The truth's household spells, the members a source saw there, and who else a method may
    fairly place in them.

    A true household spell is a run of overlapping residences at one UPRN (one ending the day
    the next begins do not overlap). A member is observable when some loaded record shows them at
    that UPRN during their residence there (its address neither stale nor elsewhere): no method
    can place anyone else there for certain. A record with a stale address (the one they had
    left) also shows who lived in the spell of their residence there before it: a method may
    place them in it, or set the sighting aside as stale; neither is wrong (`may_include`).
    `address_dates` has record_id, address_date.
    """
    far = pl.date(9999, 12, 31)
    residences = (
        pl.read_parquet(truth_dir / "household_spells.parquet")
        .select("person_id", "uprn", pl.col("start_date").alias("start"), pl.col("end_date").fill_null(far).alias("end"))
        .sort("uprn", "start", "person_id")
    )
    residences = residences.with_columns(pl.col("end").cum_max().shift(1).over("uprn").alias("reach")).with_columns(
        (pl.col("reach").is_null() | (pl.col("start") >= pl.col("reach"))).cast(pl.Int32).cum_sum().over("uprn").alias("spell")
    )
    seen = (
        pl.read_parquet(truth_dir / "address_uprn.parquet")
        .select(RECORD_ID, pl.col("address_uprn").alias("uprn"), "stale")
        .join(true_persons(truth_dir), on="record_id")
        .join(address_dates, on="record_id")
    )
    # Each sighting belongs to the person's latest residence at the UPRN begun by its date: the one it
    # was made during, or, for a stale address, the one before.
    placed = (
        residences.join(seen, on=["person_id", "uprn"])
        .filter(pl.col("address_date") >= pl.col("start"))
        .filter(pl.col("start") == pl.col("start").max().over("record_id"))
        .with_columns((~pl.col("stale") & (pl.col("address_date") < pl.col("end"))).alias("during"))
    )
    spells = placed.group_by("uprn", "spell").agg(
        pl.col("person_id").filter("during").cast(pl.Int64).unique().sort().alias("members"),
        pl.col("person_id").cast(pl.Int64).unique().sort().alias("may_include"),
        pl.col("start").filter("during").min().alias("start"),
        pl.col("end").filter("during").max().alias("end"),
    )
    return spells.filter(pl.col("members").list.len() > 0)


def evaluate_household_spells(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> dict[str, float]:
    """Share of observable true household spells reproduced at the same UPRN, overlapping in time,
    with every observable member and no one the spell's `may_include` lacks (recall), and share of
    formed spells that are one (precision)."""
    from .households import HOUSEHOLD_MEMBERS

    truth = true_household_spells(truth_dir, con.sql("select record_id, address_date from intermediate.int_person_records where address_date is not null").pl())
    majority = majority_persons(con, truth_dir)
    formed = (
        con.sql(f"select household_key, uprn, person_key, resident_from, resident_to from {HOUSEHOLD_MEMBERS}")
        .pl()
        .join(majority, on="person_key")
        .group_by("household_key", "uprn")
        .agg(
            pl.col("person_id").unique().sort().alias("formed_members"),
            pl.col("resident_from").min().alias("formed_from"),
            pl.col("resident_to").max().alias("formed_to"),
        )
    )
    same = (
        truth.join(formed, on="uprn")
        .filter((pl.col("formed_from") < pl.col("end")) & (pl.col("formed_to") >= pl.col("start")))
        .filter(
            (pl.col("members").list.set_difference("formed_members").list.len() == 0)
            & (pl.col("formed_members").list.set_difference("may_include").list.len() == 0)
        )
    )
    reproduced = same.select("uprn", "spell").unique().height
    exact = same.select("household_key").unique().height
    return {
        "true_household_spells": truth.height,
        "formed_household_spells": formed.height,
        "household_spell_recall": reproduced / truth.height if truth.height else 1.0,
        "household_spell_precision": exact / formed.height if formed.height else 1.0,
    }


# What each stage must reach on a synthetic world, checked after every evaluated run.
TARGET_PRECISION = 0.996  # the ASSIGN algorithm's published PPV
TARGET_MATCH_RATE = 0.985
TARGET_CLUSTER_PRECISION = 0.995
TARGET_CLUSTER_RECALL = 0.98
TARGET_HOUSEHOLD_SPELL_RECALL = 0.97
STAGE_TARGETS: dict[str, dict[str, float]] = {
    "address_to_uprn": {"precision": TARGET_PRECISION, "match_rate": TARGET_MATCH_RATE},
    "record_to_person": {"cluster_precision": TARGET_CLUSTER_PRECISION, "cluster_recall": TARGET_CLUSTER_RECALL},
    "household_spells": {"household_spell_recall": TARGET_HOUSEHOLD_SPELL_RECALL},
}
# The count a target's share is taken over, where the stage's figures hold it. A synthetic world is a
# sample: on some 1,700 household spells (the test suite's world) a recall moves by about 0.7 points
# from one world to the next, so such a share misses its target only when even the upper end of its
# one-sided 95% Wilson interval does.
TARGET_DENOMINATORS = {"household_spell_recall": "true_household_spells"}
WILSON_Z = 1.645  # one-sided 95%


def wilson_upper_bound(share: float, count: int, z: float = WILSON_Z) -> float:
    """Upper end of the one-sided Wilson score interval for a share observed over `count` items."""
    if count <= 0:
        return 1.0
    centre = share + z * z / (2 * count)
    spread = z * math.sqrt(share * (1 - share) / count + z * z / (4 * count * count))
    return min(1.0, (centre + spread) / (1 + z * z / count))


def meets_target(figures: dict[str, float], metric: str, target: float) -> bool:
    """Whether a stage's figure reaches its target, or, for a share whose count the figures hold,
    whether the world leaves the target inside the share's interval (no evidence it is missed)."""
    value = figures[metric]
    count = figures.get(TARGET_DENOMINATORS.get(metric, ""))
    return value >= target or (count is not None and wilson_upper_bound(value, int(count)) >= target)


EVALUATION_TABLE = "audit.linkage_evaluation"
# The truth file each stage needs: a world without one (production) is not evaluated.
TRUTH_FILES = {
    "address_to_uprn": "address_uprn.parquet",
    "record_to_person": "record_person.parquet",
    "household_spells": "household_spells.parquet",
    "family_links": "relationships.parquet",
}


def _overall(figures: dict[str, float], count: str) -> pl.DataFrame:
    return pl.DataFrame({"source": "all", "metric": list(figures), "value": [float(v) for v in figures.values()], "records": int(figures[count])})


def evaluate_linkage(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> dict[str, pl.DataFrame]:
    """Every linkage stage scored against the truth: stage -> rows (source, metric, value, records),
    person linkage also by person group (breakdown, category)."""
    addresses = evaluate_address_matches(con, truth_dir).rename({"addresses": "records"})
    links, truth = con.sql(f"select record_id, person_key from {PERSON_LINKS}").pl(), true_persons(truth_dir)
    by_group = evaluate_person_links_by_group(links, truth, true_person_attributes(con, truth_dir))
    return {
        "address_to_uprn": addresses.unpivot(index=["source", "records"], on=["match_rate", "precision"], variable_name="metric"),
        "record_to_person": _overall(evaluate_person_links(links, truth), "records"),
        "record_to_person_by_group": by_group.with_columns(pl.lit("all").alias("source")),
        "household_spells": _overall(evaluate_household_spells(con, truth_dir), "true_household_spells"),
        "family_links": _overall(evaluate_parent_links(con, truth_dir), "parent_links"),
    }


QUALITY_STAGE = "person_linkage_quality"


def person_linkage_quality(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """What person linkage can say of itself without a truth (production): per source, the share of
    its records linked to another source's record and the share linked to nothing; per source pair,
    the share of one source's persons also found in the other; overall, the records left unlinked,
    the pairs waiting in the uncertain (review) band, and the model's estimated precision: the mean
    match probability of the Splink pairs it accepted. Rows (source, breakdown, category, metric, value, records)."""
    from .persons import PERSON_MATCH_PAIRS

    records = con.sql(
        f"""
        select records.source, links.person_key,
               count(*) over (partition by links.person_key) as cluster_records,
               count(distinct records.source) over (partition by links.person_key) as cluster_sources
        from {PERSON_LINKS} as links join intermediate.int_person_records as records using (record_id)
        """
    ).pl()
    by_source = records.group_by("source").agg(
        pl.len().alias("records"),
        (pl.col("cluster_sources") > 1).mean().alias("linked_to_another_source"),
        (pl.col("cluster_records") == 1).mean().alias("unlinked_share"),
    )
    persons = records.select("person_key", "source").unique()
    pairs = (
        persons.join(persons, on="person_key", suffix="_other")
        .group_by("source", "source_other")
        .len()
        .join(persons.group_by("source").len().rename({"len": "persons"}), on="source")
        .filter(pl.col("source") != pl.col("source_other"))
    )
    scored = con.sql(
        f"""select count(*) filter (where band = 'link'), count(*) filter (where band = 'review'), avg(match_probability) filter (where band = 'link')
        from {PERSON_MATCH_PAIRS}"""
    ).fetchone()
    overall = {
        "records": records.height,
        "persons": persons["person_key"].n_unique(),
        "unlinked_share": float((records["cluster_records"] == 1).mean()) if records.height else 0.0,
        "accepted_pairs": scored[0],
        "review_pairs": scored[1],
        "estimated_precision": scored[2] if scored[2] is not None else 1.0,
    }
    return pl.concat(
        [
            _overall(overall, "records").with_columns(pl.lit(None, dtype=pl.Utf8).alias("breakdown"), pl.lit(None, dtype=pl.Utf8).alias("category")),
            by_source.unpivot(index=["source", "records"], variable_name="metric").with_columns(
                pl.lit("source").alias("breakdown"), pl.col("source").alias("category"), pl.lit("all").alias("source")
            ),
            pairs.select(
                pl.lit("all").alias("source"),
                pl.lit("source_pair").alias("breakdown"),
                (pl.col("source") + " in " + pl.col("source_other")).alias("category"),
                pl.lit("persons_also_in").alias("metric"),
                (pl.col("len") / pl.col("persons")).alias("value"),
                pl.col("persons").alias("records"),
            ),
        ],
        how="diagonal_relaxed",
    ).select("source", "breakdown", "category", "metric", pl.col("value").cast(pl.Float64), pl.col("records").cast(pl.Int64))


def append_evaluation(con: duckdb.DuckDBPyConnection, run_id: str, evaluated: dict[str, pl.DataFrame]) -> None:
    """Append each stage's figures to `audit.linkage_evaluation` with the run id and time, so the trend stays visible."""
    create_bookkeeping_table(con, EVALUATION_TABLE)
    now = datetime.now(UTC)
    for stage, rows in evaluated.items():
        stamped = rows.with_columns(pl.lit(stage).alias("stage"), pl.lit(run_id).alias("run_id"), pl.lit(now).alias("evaluated_at"))
        for column in ("breakdown", "category"):
            if column not in stamped.columns:
                stamped = stamped.with_columns(pl.lit(None, dtype=pl.Utf8).alias(column))
        con.register("_evaluation", stamped.to_arrow())
        con.execute(
            f"insert into {EVALUATION_TABLE} by name select run_id, evaluated_at, stage, source, breakdown, category, metric, value, records from _evaluation"
        )
        con.unregister("_evaluation")


def latest_evaluation(con: duckdb.DuckDBPyConnection, stage: str) -> dict[str, float]:
    """The newest run's overall figures for a stage ({} where none was ever evaluated)."""
    create_bookkeeping_table(con, EVALUATION_TABLE)
    return dict(
        con.execute(
            f"select metric, value from {EVALUATION_TABLE} where stage = ? and source = 'all' and breakdown is null and run_id = "
            f"(select run_id from {EVALUATION_TABLE} where stage = ? order by evaluated_at desc limit 1)",
            [stage, stage],
        ).fetchall()
    )


def latest_evaluation_rows(con: duckdb.DuckDBPyConnection, stage: str) -> pl.DataFrame:
    """The newest run's rows of a stage, every breakdown (breakdown, category, metric, value, records)."""
    create_bookkeeping_table(con, EVALUATION_TABLE)
    return con.execute(
        f"select breakdown, category, metric, value, records from {EVALUATION_TABLE} where stage = ? and run_id = "
        f"(select run_id from {EVALUATION_TABLE} where stage = ? order by evaluated_at desc limit 1)",
        [stage, stage],
    ).pl()
