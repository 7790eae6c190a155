"""Run an evaluation on the warehouse and write what it found: the cohort, the balance and the estimates.

`evaluation.cohorts`, `evaluation.balance` and `evaluation.estimates` hold every evaluation's rows, keyed by
its name, and are restricted like the linked layer (the cohort lists children's index dates); what analysts
see is the disclosure-controlled `publication.evaluation_estimates` (disclosure/publication.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from .cohort import build_cohort, follow_up_days, index_window
from .columns import COUNTS, STATISTICS
from .config import Evaluation
from .estimates import estimate
from .matching import balance, match
from .weighting import balance_by_weighting

TABLES = ("evaluation.cohorts", "evaluation.balance", "evaluation.estimates")
_SHARES = ("mean_exposed_before", "mean_comparison_before", "mean_exposed_after", "mean_comparison_after", "smd_before", "smd_after")
SCHEMAS = {
    "evaluation.cohorts": {
        "evaluation": pl.Utf8,
        "person_key": pl.Utf8,
        "index_date": pl.Date,
        "exposed": pl.Boolean,
        "propensity": pl.Float64,
        "weight": pl.Float64,
    },
    "evaluation.balance": {"evaluation": pl.Utf8, "covariate": pl.Utf8, "level": pl.Utf8, **dict.fromkeys(_SHARES, pl.Float64)},
    "evaluation.estimates": {
        "evaluation": pl.Utf8,
        "outcome": pl.Utf8,
        "method": pl.Utf8,
        **dict.fromkeys(COUNTS, pl.Int64),
        **dict.fromkeys(STATISTICS, pl.Float64),
    },
}


class EvaluationNotPossible(ValueError):
    """The data cannot hold this evaluation (too short a span for its windows, or no one exposed or unexposed):
    it is skipped and said so, and the other evaluations and the rest of the run go on."""


@dataclass(frozen=True)
class EvaluationResult:
    name: str
    index_events: int
    exposed: int
    exposed_matched: int
    comparison_used: int
    cohort: pl.DataFrame
    balance: pl.DataFrame
    estimates: pl.DataFrame

    @property
    def worst_smd_after(self) -> float:
        return float(self.balance["smd_after"].abs().max())


def evaluate(con: duckdb.DuckDBPyConnection, evaluation: Evaluation) -> EvaluationResult:
    start, end = index_window(con, evaluation)
    if start > end:
        raise EvaluationNotPossible(
            f"evaluation {evaluation.name}: the collection years leave no index day with a year of history before it and "
            f"{follow_up_days(evaluation)} days of follow-up after it (window {start} to {end})"
        )
    cohort = build_cohort(con, evaluation, (start, end))
    if cohort.filter(pl.col("exposed")).is_empty() or cohort.filter(~pl.col("exposed")).is_empty():
        raise EvaluationNotPossible(
            f"evaluation {evaluation.name}: between {start} and {end} there are {cohort['exposed'].sum()} exposed and "
            f"{(~cohort['exposed']).sum()} unexposed index events; both groups are needed"
        )
    if evaluation.adjustment == "weighting":
        adjusted = balance_by_weighting(cohort, evaluation.balance_on)
    else:
        adjusted = match(cohort, evaluation.balance_on, evaluation.exact_on, evaluation.caliper_sd, evaluation.neighbours)
    estimates = pl.DataFrame(
        [
            {"outcome": outcome.name, "method": method, **estimate(adjusted.cohort, outcome.name, weighted=method != "naive")}
            for outcome in evaluation.outcomes
            for method in ("naive", evaluation.adjusted_method)
        ]
    )
    name = pl.lit(evaluation.name).alias("evaluation")
    return EvaluationResult(
        name=evaluation.name,
        index_events=cohort.height,
        exposed=adjusted.exposed,
        exposed_matched=adjusted.exposed_matched,
        comparison_used=adjusted.comparison_used,
        cohort=adjusted.cohort.select(name, "person_key", "index_date", "exposed", "propensity", "weight"),
        balance=balance(adjusted.cohort, evaluation.balance_on).select(name, pl.all()),
        estimates=estimates.select(name, pl.all()),
    )


def evaluate_all(con: duckdb.DuckDBPyConnection, evaluations: list[Evaluation]) -> tuple[list[EvaluationResult], dict[str, str]]:
    """Every evaluation the data can hold, and why each other one was skipped (by name)."""
    results, skipped = [], {}
    for evaluation in evaluations:
        try:
            results.append(evaluate(con, evaluation))
        except EvaluationNotPossible as reason:
            skipped[evaluation.name] = str(reason)
    return results, skipped


def write_results(con: duckdb.DuckDBPyConnection, results: list[EvaluationResult]) -> dict[str, int]:
    """Replace the three evaluation tables with `results` in one transaction; returns rows per table."""
    parts = {"evaluation.cohorts": [r.cohort for r in results], "evaluation.balance": [r.balance for r in results]}
    parts["evaluation.estimates"] = [r.estimates for r in results]
    frames = {
        table: pl.concat([pl.DataFrame(schema=SCHEMAS[table]), *(frame.select(pl.col(c).cast(t) for c, t in SCHEMAS[table].items()) for frame in parts[table])])
        for table in TABLES
    }
    con.execute("begin transaction")
    try:
        con.execute("create schema if not exists evaluation")
        for table, frame in frames.items():
            con.register("_evaluation_rows", frame.to_arrow())
            con.execute(f"create or replace table {table} as select * from _evaluation_rows")
            con.unregister("_evaluation_rows")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return {table: frame.height for table, frame in frames.items()}
