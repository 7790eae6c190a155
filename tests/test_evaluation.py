"""Evaluations: definitions, matching and balance, disclosure of estimates, and the recovery of the
effect the generator injected (the parenting programme in early help) on a 20,000-person world."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
import yaml
from conftest import dbt_build

from disclosure.control import DisclosureRules, estimate_breaches, protect_estimates
from evaluation.config import DEFINITIONS, Evaluation, load_evaluations
from evaluation.matching import balance, match
from evaluation.run import evaluate, write_results
from evaluation.weighting import balance_by_weighting
from ingestion.load import ingest
from ingestion.registry import SOURCES
from linkage.evaluation import majority_persons
from synthetic_population.config import WorldConfig
from synthetic_population.world import generate_world


def test_every_shipped_definition_loads_and_a_bad_one_names_its_file(tmp_path: Path) -> None:
    shipped = load_evaluations()
    assert [e.name for e in shipped] == ["parenting_programme"]
    definition = yaml.safe_load((DEFINITIONS / "parenting_programme.yml").read_text())
    (tmp_path / "parenting_programme.yml").write_text(yaml.safe_dump({**definition, "exact_on": ["sex"]}))
    with pytest.raises(ValueError, match=r"parenting_programme\.yml"):
        load_evaluations(tmp_path)
    with pytest.raises(ValueError, match="within_days is required"):
        Evaluation.model_validate({**definition, "outcomes": [{"measure": "referral"}]})
    with pytest.raises(ValueError, match="not in balance_on"):
        Evaluation.model_validate({**definition, "adjustment": "matching", "exact_on": ["female"], "balance_on": ["age_years"]})
    with pytest.raises(ValueError, match="caliper_sd, exact_on apply to matching, not to weighting"):
        Evaluation.model_validate({**definition, "adjustment": "weighting", "exact_on": ["female"], "caliper_sd": 0.1})
    assert Evaluation.model_validate({**definition, "adjustment": "matching", "exact_on": ["female"]}).adjusted_method == "matched"


def test_matching_balances_a_confounder_that_the_raw_groups_differ_on() -> None:
    rng = np.random.default_rng(5)
    n = 4000
    deprivation = rng.integers(1, 11, n).astype(float)
    prior = rng.random(n) < 0.3
    exposed = rng.random(n) < 1 / (1 + np.exp(-(-0.5 + 0.35 * (5.5 - deprivation) + 0.8 * prior)))
    cohort = pl.DataFrame({"person_key": [f"p{i}" for i in range(n)], "exposed": exposed, "imd_decile": deprivation, "prior_social_care": prior.astype(int)})
    matched = match(cohort, ("imd_decile", "prior_social_care"), ("prior_social_care",), 0.2)
    table = balance(matched.cohort, ("imd_decile", "prior_social_care")).filter(pl.col("covariate") == "imd_decile")
    assert abs(table["smd_before"][0]) > 0.5
    assert abs(table["smd_after"][0]) < 0.05
    assert matched.exposed_matched > 0.95 * matched.exposed
    # Matched with replacement: each exposed child weighs 1 and the comparison weights sum to the matched exposed.
    weights = matched.cohort["weight"].to_numpy()
    assert weights[exposed].max() == 1 and weights[~exposed].sum() == matched.exposed_matched
    # Three neighbours each: more comparison children used, their weights still summing to the matched exposed.
    three = match(cohort, ("imd_decile", "prior_social_care"), ("prior_social_care",), 0.2, neighbours=3)
    assert three.comparison_used > 1.5 * matched.comparison_used
    assert three.cohort.filter(~pl.col("exposed"))["weight"].sum() == pytest.approx(three.exposed_matched)
    assert abs(balance(three.cohort, ("imd_decile",))["smd_after"][0]) < 0.05
    # Weighting keeps every exposed child and equals the groups' means exactly.
    weighted = balance_by_weighting(cohort, ("imd_decile", "prior_social_care"))
    assert weighted.exposed_matched == weighted.exposed == exposed.sum()
    assert weighted.cohort.filter(~pl.col("exposed"))["weight"].sum() == pytest.approx(exposed.sum())
    assert balance(weighted.cohort, ("imd_decile", "prior_social_care"))["smd_after"].abs().max() < 1e-3


def test_an_estimate_on_too_few_children_is_withheld_and_counts_are_rounded() -> None:
    estimates = pl.DataFrame(
        {
            "outcome": ["a", "b", "c"],
            "exposed_children": [120, 120, 12],
            "exposed_with_outcome": [31, 4, None],
            "comparison_children": [240, 240, 300],
            "comparison_with_outcome": [88, 60, None],
            "difference": [-0.1, -0.2, 0.01],
        }
    )
    groups = {"exposed_children": "exposed_with_outcome", "comparison_children": "comparison_with_outcome"}
    published = protect_estimates(estimates, groups, ["difference"], DisclosureRules(threshold=10, rounding=5))
    assert published["suppressed"].to_list() == [None, "primary", None]
    first = published.row(0, named=True)
    assert (first["exposed_children"], first["exposed_with_outcome"], first["comparison_with_outcome"]) == (120, 30, 90)
    assert published["difference"].to_list() == [-0.1, None, 0.01]
    assert published["exposed_children"].to_list() == [120, None, 10]
    assert estimate_breaches(published, [c for pair in groups.items() for c in pair if c]) == []
    assert estimate_breaches(estimates, ["exposed_with_outcome"]) != []


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory):
    """A 20,000-person world through ingestion, dbt, linkage and dbt again, then its evaluations."""
    import dagster as dg

    from orchestration.assets import linkage
    from orchestration.resources import HearthPaths, Warehouse

    root = tmp_path_factory.mktemp("evaluation")
    config = WorldConfig(persons=20_000, seed=42)
    generate_world(config, root / "landing", root / "truth")
    database = root / "hearth.duckdb"
    with duckdb.connect(str(database)) as con:
        for source in SOURCES:
            ingest(con, source, list(config.years), root / "landing", "test")
    dbt_build(database, "before_linkage", root / "target")
    linked = dg.materialize(
        dg.load_assets_from_modules([linkage]),
        resources={
            "warehouse": Warehouse(database=str(database)),
            "paths": HearthPaths(landing_dir=str(root / "landing"), truth_dir=str(root / "truth")),
            "linkage_settings": linkage.LinkageSettings(),
        },
    )
    assert linked.success
    dbt_build(database, "after_linkage", root / "target")
    with duckdb.connect(str(database)) as con:
        results = [evaluate(con, evaluation) for evaluation in load_evaluations()]
        write_results(con, results)
    yield database, root / "truth", results[0]
    shutil.rmtree(root, ignore_errors=True)


def _true_effect_on_the_kept(database: Path, truth: Path, cohort: pl.DataFrame) -> float:
    """The injected effect averaged over the exposed children the adjustment kept (weight above 0): each index
    event is joined to the true episode through the person its records truly belong to (the majority of the
    person key's records)."""
    with duckdb.connect(str(database), read_only=True) as con:
        owners = majority_persons(con, truth)
    episodes = pl.read_parquet(truth / "early_help_effect.parquet").with_columns(pl.col("person_id").cast(pl.Int64))
    matched = (
        cohort.filter(pl.col("exposed") & (pl.col("weight") > 0))
        .join(owners, on="person_key")
        .join(episodes, left_on=["person_id", "index_date"], right_on=["person_id", "start_date"])
    )
    assert matched.height > 0.9 * cohort.filter(pl.col("exposed") & (pl.col("weight") > 0)).height
    assert matched["treated"].mean() > 0.97  # the exposure the pipeline saw is the programme the generator gave
    return float((matched["risk_treated"] - matched["risk_untreated"]).mean())


def test_the_adjusted_estimate_recovers_the_injected_effect_where_the_naive_comparison_does_not(evaluated) -> None:
    """The shipped definition weights (see `hearth bench evaluation` for how often each adjustment passes)."""
    database, truth, result = evaluated
    effect = _true_effect_on_the_kept(database, truth, result.cohort)
    estimates = {row["method"]: row for row in result.estimates.filter(pl.col("outcome") == "referral_within_365_days").iter_rows(named=True)}
    assert set(estimates) == {"weighted", "naive"}
    adjusted, naive = estimates["weighted"], estimates["naive"]
    assert adjusted["exposed_children"] > 150
    assert adjusted["ci_low"] <= effect <= adjusted["ci_high"], (effect, adjusted)
    assert not naive["ci_low"] <= effect <= naive["ci_high"], (effect, naive)
    assert adjusted["ci_high"] < 0  # the programme is seen to work
    worst = result.balance.sort(pl.col("smd_after").abs(), descending=True).row(0, named=True)
    assert abs(worst["smd_after"]) < 0.1, worst
    assert result.balance.filter(pl.col("covariate") == "imd_decile")["smd_before"].abs()[0] > 0.3


def test_the_published_estimates_withhold_nothing_they_need_not_and_the_readme_query_runs(evaluated) -> None:
    import re

    from disclosure.publication import evaluation_estimate_breaches, publish_evaluation_estimates
    from orchestration.settings import DBT_PROJECT_DIR

    database, _, _ = evaluated
    with duckdb.connect(str(database)) as con:
        published = publish_evaluation_estimates(con)
        assert evaluation_estimate_breaches(con) == (published.height, [])
        readme = (DBT_PROJECT_DIR.parent / "README.md").read_text(encoding="utf-8").split("## Evaluations: what works", 1)[1]
        query = re.search(r"```sql\n(.*?)```", readme, re.DOTALL).group(1)
        shown = con.sql(query).pl()
    main = shown.filter(pl.col("outcome") == "referral_within_365_days")
    assert main["method"].to_list() == ["naive", "weighted"] and main["suppressed"].is_null().all()
    assert (main["exposed_children"] % 5 == 0).all() and main["difference"].is_not_null().all()
    # No child of the cohort is looked after within a year of early help: nothing to publish there.
    assert shown.filter(pl.col("outcome") == "looked_after_within_365_days")["suppressed"].eq("primary").all()


def test_the_evaluation_benchmark_redraws_the_world_and_weighting_balances_every_draw(evaluated) -> None:
    from hearth.bench_evaluation import redraw

    database, _, result = evaluated
    index_events, rows = redraw(database, seed=1, draws=4)
    assert index_events == result.index_events
    by_adjustment = {row["adjustment"]: row for row in rows}
    assert len(by_adjustment) == 3 and all(row["draws"] == 4 for row in rows)
    weighting = by_adjustment["weighting (entropy balancing)"]
    assert weighting["balanced"] == 1.0 and weighting["exposed"] > 150
    assert abs(weighting["bias"]) < 0.15 and 0 < weighting["spread"] < 0.15
