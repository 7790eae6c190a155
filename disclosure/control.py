"""Statistical disclosure control for published counts.

Within each table (the cells sharing `by`, with their total), a count under the threshold is
suppressed (primary). Where that leaves a single hidden cell beside a published total, the total
minus the others would reveal it, so the smallest published cell is hidden too (secondary); a
table with one cell hides its total instead. Published counts are rounded to a base.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

TOTAL = "all"


@dataclass(frozen=True)
class DisclosureRules:
    threshold: int = 10  # counts below this are never published
    rounding: int = 5  # published counts are rounded to a multiple of this


def protect(counts: pl.DataFrame, by: list[str], cell: str, value: str, rules: DisclosureRules = DisclosureRules()) -> pl.DataFrame:
    """`counts` has one row per (by..., cell) with an integer `value`. Returns the same rows plus a
    total row per table (cell = "all"), with `value` rounded or null, and `suppressed` naming why:
    primary, secondary, or null where published."""
    totals = counts.group_by(by).agg(pl.col(value).sum()).with_columns(pl.lit(TOTAL).alias(cell))
    table = pl.concat([counts.select(*by, cell, value), totals.select(*by, cell, value)])
    is_total = pl.col(cell) == TOTAL
    primary = pl.col(value) < rules.threshold
    table = table.with_columns(is_total.alias("_total"), primary.alias("_primary"))
    cells = ~pl.col("_total")
    hidden_cells = (cells & pl.col("_primary")).sum().over(by)
    shown_cells = (cells & ~pl.col("_primary")).sum().over(by)
    total_shown = (pl.col("_total") & ~pl.col("_primary")).any().over(by)
    # The smallest published cell of each table (ties to the first cell name).
    candidate_rank = pl.when(cells & ~pl.col("_primary")).then(pl.struct(value, cell)).rank("ordinal").over(by)
    exposed = (hidden_cells == 1) & total_shown
    secondary = exposed & ((cells & ~pl.col("_primary") & (candidate_rank == 1)) | (pl.col("_total") & (shown_cells == 0)))
    return (
        table.with_columns(pl.when(pl.col("_primary")).then(pl.lit("primary")).when(secondary).then(pl.lit("secondary")).alias("suppressed"))
        .with_columns(pl.when(pl.col("suppressed").is_null()).then(((pl.col(value) / rules.rounding).round(0) * rules.rounding).cast(pl.Int64)).alias(value))
        .drop("_total", "_primary")
        .sort(*by, cell)
    )


def disclosure_breaches(published: pl.DataFrame, by: list[str], cell: str, value: str, rules: DisclosureRules = DisclosureRules()) -> list[str]:
    """What a published table would give away: a count under the threshold or off the rounding
    base, or a single hidden cell beside a published total. Empty when it is safe."""
    breaches = [
        f"{dict(zip([*by, cell], key, strict=True))}: {v} is below {rules.threshold} or not a multiple of {rules.rounding}"
        for *key, v in published.filter(pl.col(value).is_not_null() & ((pl.col(value) < rules.threshold) | (pl.col(value) % rules.rounding != 0)))
        .select(*by, cell, value)
        .iter_rows()
    ]
    tables = published.group_by(by).agg(
        (pl.col(value).is_null() & (pl.col(cell) != TOTAL)).sum().alias("hidden"),
        (pl.col(value).is_not_null() & (pl.col(cell) == TOTAL)).any().alias("total_shown"),
    )
    breaches += [
        f"{dict(zip(by, key, strict=True))}: one hidden cell beside a published total"
        for *key, _, _ in tables.filter((pl.col("hidden") == 1) & pl.col("total_shown")).select(*by, "hidden", "total_shown").iter_rows()
    ]
    return breaches


def protect_estimates(
    estimates: pl.DataFrame, groups: dict[str, str | None], statistics: list[str], rules: DisclosureRules = DisclosureRules()
) -> pl.DataFrame:
    """Estimates (one row each) made safe to publish. `groups` names each group's count of children and,
    where the outcome is an event, its count with the event (None for a mean). A row whose children, with or
    without the event, number under the threshold in any group has its counts and `statistics` withheld
    (`suppressed` = primary), since a risk and a count give away the count with the event; the rest have
    their counts rounded. The statistics themselves are not counts and are published as computed."""
    small = pl.lit(False)
    for children, with_event in groups.items():
        small = small | (pl.col(children) < rules.threshold)
        if with_event is not None:
            small = small | (pl.col(with_event) < rules.threshold) | ((pl.col(children) - pl.col(with_event)) < rules.threshold)
    counts = [c for pair in groups.items() for c in pair if c is not None]
    rounded = [((pl.col(c) / rules.rounding).round(0) * rules.rounding).cast(pl.Int64).alias(c) for c in counts]
    return (
        estimates.with_columns(small.fill_null(False).alias("_small"))
        .with_columns(
            *(pl.when(~pl.col("_small")).then(expr) for expr in rounded),
            *(pl.when(~pl.col("_small")).then(pl.col(s)).alias(s) for s in statistics),
            pl.when(pl.col("_small")).then(pl.lit("primary")).alias("suppressed"),
        )
        .drop("_small")
    )


def estimate_breaches(published: pl.DataFrame, counts: list[str], rules: DisclosureRules = DisclosureRules()) -> list[str]:
    """Published counts under the threshold or off the rounding base; empty when the table is safe."""
    return [
        f"row {index}: {column} = {value} is below {rules.threshold} or not a multiple of {rules.rounding}"
        for column in counts
        for index, value in enumerate(published[column].to_list())
        if value is not None and (value < rules.threshold or value % rules.rounding != 0)
    ]
