"""`hearth bench evaluation`: how often each adjustment of the parenting-programme evaluation passes the
known-effect test, over many draws of the generator's programme and outcome.

One world runs through the marts (its evaluations included) and its cohort is read as the pipeline
measured it. Then, keeping those children and their measured covariates, the programme and the referral
within 365 days are drawn again and again from the generator's own model (`parenting_propensity`,
`referral_risk`, `PARENTING_RISK_RATIO`), and each adjustment is run on each draw as the evaluation runs
it. A draw passes when the adjusted interval holds the true effect on the exposed children kept, the
naive interval does not, and every standardised mean difference after adjustment is under 0.1: the three
points the known-effect test checks on one world.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from evaluation.cohort import build_cohort, index_window
from evaluation.config import load_evaluations
from evaluation.estimates import estimate
from evaluation.matching import BALANCE_LIMIT, Adjusted, balance, match
from evaluation.weighting import balance_by_weighting
from hearth.bench import WorldBench, markdown_table
from synthetic_population.early_help import PARENTING_RISK_RATIO, deprivation, parenting_propensity, referral_risk
from warehouse.connection import connect

EVALUATION = "parenting_programme"
OUTCOME = "referral_within_365_days"
COLUMNS = {
    "adjustment": "adjustment",
    "draws": "draws",
    "exposed": "exposed kept (mean)",
    "bias": "mean error",
    "spread": "sd of error",
    "coverage": "interval holds the effect",
    "seen_to_work": "upper bound < 0",
    "naive_misses": "naive interval misses",
    "balanced": "every SMD < 0.1",
    "passes": "all three checks",
}


def _adjustments(evaluation) -> dict[str, Callable[[pl.DataFrame], Adjusted]]:
    covariates = evaluation.balance_on
    return {
        "weighting (entropy balancing)": lambda cohort: balance_by_weighting(cohort, covariates),
        "matching 1:1, exact on prior care and ethnicity": lambda cohort: match(cohort, covariates, ("prior_social_care", "ethnicity_broad"), 0.2),
        "matching 1:3, exact on prior care and ethnicity": lambda cohort: match(cohort, covariates, ("prior_social_care", "ethnicity_broad"), 0.2, 3),
    }


def bench_evaluation(persons: int, seed: int, draws: int, workdir: Path, json_path: Path | None, say: Callable[[str], None] = print) -> list[dict]:
    """Run one world to its marts, redraw `draws` times, and `say` a row per adjustment."""
    world = WorldBench(persons, seed, workdir.resolve() / f"evaluation_{persons}")
    world.run("marts")
    index_events, rows = redraw(world.database, seed, draws)
    say(f"{EVALUATION} on a {persons:,}-person world (seed {seed}): {index_events} index events, programme and outcome drawn {draws} times")
    say(markdown_table(rows, COLUMNS))
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps({"evaluation": EVALUATION, "persons": persons, "seed": seed, "rows": rows}, indent=2) + "\n", encoding="utf-8")
    return rows


def redraw(database: Path, seed: int, draws: int) -> tuple[int, list[dict]]:
    """The cohort's index events, and a row per adjustment over `draws` draws on the warehouse's cohort."""
    evaluation = next(e for e in load_evaluations() if e.name == EVALUATION)
    with connect(str(database), read_only=True) as con:
        cohort = build_cohort(con, evaluation, index_window(con, evaluation))
    dep = deprivation(cohort["imd_decile"].to_numpy())
    prior = cohort["prior_social_care"].to_numpy().astype(bool)
    age = cohort["age_years"].to_numpy()
    propensity, risk = parenting_propensity(dep, prior, age), referral_risk(dep, prior, age)
    rng = np.random.default_rng([seed, draws])
    adjustments = _adjustments(evaluation)
    outcomes: dict[str, list[tuple]] = {name: [] for name in adjustments}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' convergence notes on rare levels; the tables say what matters
        for _ in range(draws):
            exposed = rng.random(cohort.height) < propensity
            referred = rng.random(cohort.height) < np.where(exposed, risk * PARENTING_RISK_RATIO, risk)
            drawn = cohort.with_columns(pl.Series("exposed", exposed), pl.Series(OUTCOME, referred.astype(np.int64)))
            for name, adjust in adjustments.items():
                adjusted = adjust(drawn)
                kept = exposed & (adjusted.cohort["weight"].to_numpy() > 0)
                effect = float((risk[kept] * (PARENTING_RISK_RATIO - 1)).mean())
                after, naive = estimate(adjusted.cohort, OUTCOME, weighted=True), estimate(adjusted.cohort, OUTCOME, weighted=False)
                worst = float(balance(adjusted.cohort, evaluation.balance_on)["smd_after"].abs().max())
                outcomes[name].append(
                    (
                        int(kept.sum()),
                        after["difference"] - effect,
                        after["ci_low"] <= effect <= after["ci_high"],
                        after["ci_high"] < 0,
                        not naive["ci_low"] <= effect <= naive["ci_high"],
                        worst < BALANCE_LIMIT,
                    )
                )
    rows = []
    for name, results in outcomes.items():
        kept, error, covered, works, naive_misses, balanced = (np.array(column, dtype=float) for column in zip(*results, strict=True))
        rows.append(
            {
                "adjustment": name,
                "draws": draws,
                "exposed": round(float(kept.mean())),
                "bias": round(float(error.mean()), 3),
                "spread": round(float(error.std()), 3),
                "coverage": round(float(covered.mean()), 2),
                "seen_to_work": round(float(works.mean()), 2),
                "naive_misses": round(float(naive_misses.mean()), 2),
                "balanced": round(float(balanced.mean()), 2),
                "passes": round(float((covered * naive_misses * balanced).mean()), 2),
            }
        )
    return cohort.height, rows
