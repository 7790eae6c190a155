"""Weighting the comparison group to the exposed: entropy balancing (Hainmueller 2012).

Each comparison child gets a weight, as near equal as the constraint allows (least Kullback-Leibler
divergence from equal weights), such that the weighted mean of every covariate column (every level of a
categorical one) equals the exposed children's mean. Balance on the means is then exact by
construction, where matching one comparison to each exposed child from a pool a few times its size
leaves chance imbalances; and every comparison child counts, so the estimate is steadier. The weights
are those of a logistic propensity model fitted for balance (Zhao and Percival 2017), so the estimate is
of the effect on the exposed (ATT), as after matching. The solver is Google's `empirical_calibration`.
"""

from __future__ import annotations

import empirical_calibration
import numpy as np
import polars as pl

from .matching import Adjusted, design_matrix, propensity_scores, varying_columns


def balance_by_weighting(cohort: pl.DataFrame, covariates: tuple[str, ...]) -> Adjusted:
    """The cohort with `weight` (1 for each exposed child; the comparison weights sum to the exposed
    count) and `propensity` (the logistic score, as matching fits it, to show the groups' overlap). Where exact balance is infeasible, the
    solver relaxes it by the least it must; the balance table shows what was reached."""
    columns = varying_columns(design_matrix(cohort, covariates)).to_numpy()
    exposed = cohort["exposed"].to_numpy()
    comparison_weights, _ = empirical_calibration.maybe_exact_calibrate(columns[~exposed], columns[exposed], objective=empirical_calibration.Objective.ENTROPY)
    weight = np.ones(cohort.height)
    weight[~exposed] = comparison_weights * exposed.sum()
    return Adjusted(
        cohort=cohort.with_columns(pl.Series("propensity", propensity_scores(cohort, covariates)), pl.Series("weight", weight)),
        exposed=int(exposed.sum()),
        exposed_matched=int(exposed.sum()),
        comparison_used=int((weight[~exposed] > 0).sum()),
    )
