"""Outcome estimates: the difference between exposed and comparison children, naive and after adjustment.

Each is the coefficient of exposure in a linear model of the outcome (statsmodels WLS): for an event, a
risk difference; for absence, a difference in mean rate. Naive: every child, unweighted. Matched or
weighted: the exposed kept and their comparisons, each comparison weighted by how often it was used or by
its balancing weight. Standard errors are robust and clustered on the child, since a comparison child
used twice and a child with two index events are not independent observations; they take the weights
as given (not as estimated), which in repeated draws of the generator's world erred wide, not narrow.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import statsmodels.api as sm

CONFIDENCE = 0.95


def estimate(cohort: pl.DataFrame, outcome: str, weighted: bool) -> dict[str, float | int | None]:
    """One estimate of `outcome` (a column of `cohort`, null where it cannot be measured)."""
    rows = cohort.filter(pl.col(outcome).is_not_null() & ((pl.col("weight") > 0) if weighted else pl.lit(True)))
    exposed = rows["exposed"].to_numpy()
    y = rows[outcome].cast(pl.Float64).to_numpy()
    weight = rows["weight"].to_numpy() if weighted else np.ones(rows.height)
    groups = rows["person_key"].cast(pl.Categorical).to_physical().to_numpy()
    fit = sm.WLS(y, sm.add_constant(exposed.astype(float), has_constant="add"), weights=weight).fit(cov_type="cluster", cov_kwds={"groups": groups})
    low, high = fit.conf_int(alpha=1 - CONFIDENCE)[1]
    is_event = rows[outcome].dtype.is_integer()
    return {
        "exposed_children": int(rows.filter(pl.col("exposed"))["person_key"].n_unique()),
        "comparison_children": int(rows.filter(~pl.col("exposed"))["person_key"].n_unique()),
        # Children with the event in each group (counted once however often used), for disclosure control.
        "exposed_with_outcome": _children_with(rows, outcome, exposed=True) if is_event else None,
        "comparison_with_outcome": _children_with(rows, outcome, exposed=False) if is_event else None,
        "mean_exposed": float(np.average(y[exposed], weights=weight[exposed])),
        "mean_comparison": float(np.average(y[~exposed], weights=weight[~exposed])),
        "difference": float(fit.params[1]),
        "ci_low": _finite(low),
        "ci_high": _finite(high),
        "p_value": _finite(fit.pvalues[1]),
    }


def _finite(value: float) -> float | None:
    """A statistic, or null where the data leave it undefined (no child with the outcome in either group
    gives a standard error of 0 and a p-value of NaN): a NaN would compare unequal to itself."""
    return float(value) if np.isfinite(value) else None


def _children_with(rows: pl.DataFrame, outcome: str, exposed: bool) -> int:
    return int(rows.filter((pl.col("exposed") == exposed) & (pl.col(outcome) == 1))["person_key"].n_unique())
