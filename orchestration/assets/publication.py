"""Publication: local-authority-by-year counts with statistical disclosure control, for release
outside the secure setting. The marts stay row-level and restricted to analysts; only these tables
are meant to leave."""

import dagster as dg

from disclosure.control import DisclosureRules
from disclosure.publication import (
    COUNTS_MART,
    EVALUATION_ESTIMATES,
    LA_YEAR_INDICATORS,
    evaluation_estimate_breaches,
    la_year_indicator_breaches,
    publish_evaluation_estimates,
    publish_la_year_indicators,
)
from orchestration.assets.evaluation import EVALUATION_KEYS
from orchestration.resources import WAREHOUSE_POOL, Warehouse

LA_YEAR_INDICATORS_KEY = dg.AssetKey(LA_YEAR_INDICATORS.split("."))
EVALUATION_ESTIMATES_KEY = dg.AssetKey(EVALUATION_ESTIMATES.split("."))


class DisclosureSettings(dg.ConfigurableResource):
    """Counts under `threshold` are suppressed and the rest rounded to a multiple of `rounding`."""

    threshold: int = DisclosureRules.threshold
    rounding: int = DisclosureRules.rounding

    def rules(self) -> DisclosureRules:
        return DisclosureRules(self.threshold, self.rounding)


@dg.asset(pool=WAREHOUSE_POOL, key=LA_YEAR_INDICATORS_KEY, deps=[dg.AssetKey(COUNTS_MART.split("."))], kinds={"duckdb", "polars"})
def la_year_indicators(warehouse: Warehouse, disclosure: DisclosureSettings) -> dg.MaterializeResult:
    """The LA-by-year counts of the marts made safe to publish: a total per indicator and year, small
    counts suppressed, totals protected from subtraction by secondary suppression, counts rounded."""
    with warehouse.get_connection() as con:
        published = publish_la_year_indicators(con, disclosure.rules())
    reasons = published["suppressed"].value_counts().drop_nulls()
    return dg.MaterializeResult(
        metadata={
            "cells": published.height,
            "published": int(published["children"].is_not_null().sum()),
            "suppressed": dg.MetadataValue.json(dict(zip(reasons["suppressed"].to_list(), reasons["count"].to_list(), strict=True))),
            "threshold": disclosure.threshold,
            "rounding": disclosure.rounding,
        }
    )


@dg.asset_check(
    pool=WAREHOUSE_POOL,
    asset=LA_YEAR_INDICATORS_KEY,
    blocking=True,
    description="No published count is under the threshold or off the rounding base, and no hidden cell can be recovered from a total.",
)
def la_year_indicators_are_disclosure_safe(warehouse: Warehouse, disclosure: DisclosureSettings) -> dg.AssetCheckResult:
    with warehouse.get_connection() as con:
        cells, breaches = la_year_indicator_breaches(con, disclosure.rules())
    return dg.AssetCheckResult(
        passed=not breaches,
        metadata={"cells": cells, "breaches": len(breaches)},
        description="; ".join(breaches[:10]) if breaches else f"{cells} cells checked; nothing recoverable.",
    )


@dg.asset(pool=WAREHOUSE_POOL, key=EVALUATION_ESTIMATES_KEY, deps=[EVALUATION_KEYS["evaluation.estimates"]], kinds={"duckdb", "polars"})
def evaluation_estimates(warehouse: Warehouse, disclosure: DisclosureSettings) -> dg.MaterializeResult:
    """Every evaluation's outcome estimates made safe to publish: counts of children rounded, and an estimate
    resting on fewer children than the threshold in either group, with or without the outcome, withheld."""
    with warehouse.get_connection() as con:
        published = publish_evaluation_estimates(con, disclosure.rules())
    return dg.MaterializeResult(
        metadata={
            "estimates": published.height,
            "withheld": int(published["suppressed"].is_not_null().sum()),
            "threshold": disclosure.threshold,
            "rounding": disclosure.rounding,
        }
    )


@dg.asset_check(
    pool=WAREHOUSE_POOL,
    asset=EVALUATION_ESTIMATES_KEY,
    blocking=True,
    description="No published count of children is under the threshold or off the rounding base.",
)
def evaluation_estimates_are_disclosure_safe(warehouse: Warehouse, disclosure: DisclosureSettings) -> dg.AssetCheckResult:
    with warehouse.get_connection() as con:
        rows, breaches = evaluation_estimate_breaches(con, disclosure.rules())
    return dg.AssetCheckResult(
        passed=not breaches,
        metadata={"estimates": rows, "breaches": len(breaches)},
        description="; ".join(breaches[:10]) if breaches else f"{rows} estimates checked; every count safe.",
    )
