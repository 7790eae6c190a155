"""Matching the exposed to a comparison group, and the balance it achieves.

The propensity score is a logistic regression of exposure on the covariates (statsmodels). Each exposed
child is matched, with replacement, to an unexposed child of the same exact stratum within a caliper on
the logit of the score (scikit-learn's nearest neighbours), the nearest in its covariates; an exposed
child with no comparison that close is left out and counted. Matching with replacement keeps every exposed child that has a near match, so the
estimate is of the effect on the exposed (ATT); a comparison child used twice weighs twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import statsmodels.api as sm
from sklearn.neighbors import NearestNeighbors

from .cohort import COVARIATES

BALANCE_LIMIT = 0.1  # the usual bound on a standardised mean difference for a covariate to count as balanced
CANDIDATES = 25  # controls nearest on the score among which the covariate distance chooses


def design_matrix(cohort: pl.DataFrame, covariates: tuple[str, ...], drop_first: bool = True) -> pl.DataFrame:
    """Covariates as numeric columns: a categorical one as an indicator of each level (`name=level`), the first
    level (alphabetically) left out for a model, kept for a balance table."""
    columns = []
    for name in covariates:
        if COVARIATES[name][1]:
            levels = sorted(cohort[name].unique().to_list())
            columns += [(cohort[name] == level).cast(pl.Float64).alias(f"{name}={level}") for level in levels[drop_first:]]
        else:
            columns.append(cohort[name].cast(pl.Float64).alias(name))
    return pl.DataFrame(columns)


def varying_columns(design: pl.DataFrame) -> pl.DataFrame:
    """The design's columns that vary: a constant column says nothing to a model or a balance constraint."""
    return design.select(column for column in design.columns if design[column].n_unique() > 1)


def propensity_scores(cohort: pl.DataFrame, covariates: tuple[str, ...]) -> np.ndarray:
    """The probability of exposure given the covariates, from a logistic regression."""
    design = varying_columns(design_matrix(cohort, covariates))
    model = sm.Logit(cohort["exposed"].cast(pl.Float64).to_numpy(), sm.add_constant(design.to_numpy(), has_constant="add")).fit(disp=0, maxiter=200)
    return np.asarray(model.predict())


@dataclass(frozen=True)
class Adjusted:
    """A cohort made comparable, by matching or by weighting: the exposed children kept and the comparisons used."""

    cohort: pl.DataFrame  # the cohort with propensity and weight (0 for a child left out)
    exposed: int
    exposed_matched: int
    comparison_used: int


def match(cohort: pl.DataFrame, covariates: tuple[str, ...], exact_on: tuple[str, ...], caliper_sd: float, neighbours: int = 1) -> Adjusted:
    """Each exposed child's match: among the unexposed of its exact stratum whose logit propensity score lies
    within the caliper, the nearest by Mahalanobis distance on the covariates (Rubin and Thomas 2000), with
    replacement. The score keeps the groups alike on what predicts exposure; the distance keeps each pair
    alike on every covariate, which a misspecified score alone would not."""
    score = np.clip(propensity_scores(cohort, covariates), 1e-6, 1 - 1e-6)
    logit = np.log(score / (1 - score))
    caliper = caliper_sd * float(np.std(logit))
    design = design_matrix(cohort, covariates).to_numpy()
    precision = np.linalg.pinv(np.atleast_2d(np.cov(design, rowvar=False)))
    exposed = cohort["exposed"].to_numpy()
    weight = np.zeros(cohort.height)
    strata = cohort.with_row_index("_row").select("_row", *(exact_on or [pl.lit(0).alias("_all")]))
    for _, stratum in strata.group_by([c for c in strata.columns if c != "_row"]):
        rows = stratum["_row"].to_numpy()
        treated, control = rows[exposed[rows]], rows[~exposed[rows]]
        if not len(treated) or not len(control):
            continue
        # Candidates: the controls nearest on the score; of those inside the caliper, the nearest in covariates.
        candidates = min(CANDIDATES, len(control))
        score_distance, nearest = NearestNeighbors(n_neighbors=candidates).fit(logit[control, None]).kneighbors(logit[treated, None])
        difference = design[treated][:, None, :] - design[control[nearest]]
        covariate_distance = np.einsum("tci,ij,tcj->tc", difference, precision, difference)
        covariate_distance[score_distance > caliper] = np.inf
        best = np.argsort(covariate_distance, axis=1, kind="stable")[:, :neighbours]
        close = np.isfinite(np.take_along_axis(covariate_distance, best, axis=1))
        found = close.sum(axis=1)
        weight[treated[found > 0]] = 1.0
        # Each exposed child's matches share its weight of one.
        share = np.where(close, 1.0 / np.maximum(found, 1)[:, None], 0.0)
        np.add.at(weight, control[np.take_along_axis(nearest, best, axis=1)].ravel(), share.ravel())
    matched = cohort.with_columns(pl.Series("propensity", score), pl.Series("weight", weight))
    return Adjusted(
        cohort=matched,
        exposed=int(exposed.sum()),
        exposed_matched=int((weight[exposed] > 0).sum()),
        comparison_used=int((weight[~exposed] > 0).sum()),
    )


def balance(matched: pl.DataFrame, covariates: tuple[str, ...]) -> pl.DataFrame:
    """Standardised mean differences of each covariate (each level of a categorical one), before matching
    (all exposed against all unexposed) and after (matched exposed against weighted comparisons), over the
    same denominator: the pooled standard deviation before matching (Austin 2009)."""
    design = design_matrix(matched, covariates, drop_first=False)
    exposed = matched["exposed"].to_numpy()
    weight = matched["weight"].to_numpy()
    kept = exposed & (weight > 0)
    rows = []
    for column in design.columns:
        values = design[column].to_numpy()
        treated, control = values[exposed], values[~exposed]
        pooled_sd = float(np.sqrt((treated.var(ddof=1) + control.var(ddof=1)) / 2))
        treated_after = float(values[kept].mean()) if kept.any() else float("nan")
        control_after = float(np.average(control, weights=weight[~exposed])) if weight[~exposed].sum() > 0 else float("nan")
        covariate, _, level = column.partition("=")
        rows.append(
            {
                "covariate": covariate,
                "level": level or None,
                "mean_exposed_before": float(treated.mean()),
                "mean_comparison_before": float(control.mean()),
                "mean_exposed_after": treated_after,
                "mean_comparison_after": control_after,
                "smd_before": _standardised(treated.mean() - control.mean(), pooled_sd),
                "smd_after": _standardised(treated_after - control_after, pooled_sd),
            }
        )
    return pl.DataFrame(rows, schema_overrides={"level": pl.Utf8})


def _standardised(difference: float, pooled_sd: float) -> float:
    """A difference in pooled standard deviations; 0 where the covariate does not vary at all."""
    return float(difference / pooled_sd) if pooled_sd > 0 else 0.0
