"""Row-level checks for raw extracts, as pandera (polars backend) checks.

Each check is a vectorised polars expression over the whole column or frame, never a Python
loop over rows. A null value passes every value check (whether a field may be blank is the
column's `nullable` setting), so each failure names exactly one broken rule. Check names are
the rule names stewards see in the quarantine table.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandera.polars as pa
import polars as pl

from code_lists.identifiers import is_valid_nhs_number, is_valid_upn

UK_POSTCODE = r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][ABD-HJLNP-UW-Z]{2}$"


RULE_MESSAGES: dict[str, str] = {}
RULE_COLUMNS: dict[str, tuple[str, ...]] = {}


def rule(check_fn, name: str, message: str, columns: tuple[str, ...] = ()) -> pa.Check:
    """A pandera check named by its rule; the message is what the quarantine shows a steward.

    Frame-level rules name the columns they read, so a quarantined row shows those values.
    """
    RULE_MESSAGES[name] = message
    if columns:
        RULE_COLUMNS[name] = columns
    return pa.Check(check_fn, name=name)


def _passes_when_null(column: str, expr: pl.Expr) -> pl.Expr:
    return pl.col(column).is_null() | expr.fill_null(False)


def _parsed(column: str, fmt: str) -> pl.Expr:
    return pl.col(column).str.strptime(pl.Date, fmt, strict=False)


def code_list(codes: Iterable[str], list_name: str) -> pa.Check:
    allowed = sorted(set(codes))
    return rule(
        lambda d: d.lazyframe.select(_passes_when_null(d.key, pl.col(d.key).is_in(allowed))),
        f"code_list:{list_name}",
        f"value not in the {list_name} code list",
    )


def code_list_items(codes: Iterable[str], list_name: str, separator: str = ",") -> pa.Check:
    """Every item of a list (comma-separated, or by `separator`) is a valid code (e.g. assessment factors)."""
    allowed = sorted(set(codes))

    def check(d):
        items = pl.col(d.key).str.split(separator)
        return d.lazyframe.select(_passes_when_null(d.key, items.list.eval(pl.element().is_in(allowed)).list.all()))

    return rule(check, f"code_list:{list_name}", f"an item is not in the {list_name} code list")


def matches(pattern: str, rule_name: str) -> pa.Check:
    return rule(lambda d: d.lazyframe.select(_passes_when_null(d.key, pl.col(d.key).str.contains(pattern))), rule_name, f"does not match {pattern}")


def json_flags(keys: Iterable[str], values: tuple[str, ...], object_name: str) -> pa.Check:
    """A JSON object holding every one of `keys`, each with one of `values` (e.g. SSD's contact outcome flags)."""
    alternatives = "|".join(values)

    def check(d):
        present = [pl.col(d.key).str.contains(f'"{key}"\\s*:\\s*"({alternatives})"') for key in keys]
        return d.lazyframe.select(_passes_when_null(d.key, pl.all_horizontal(present)))

    return rule(check, f"json_flags:{object_name}", f"not a {object_name} object with every key set to {' or '.join(values)}")


def decimal_between(low: float, high: float, places: int) -> pa.Check:
    """A decimal number from `low` to `high` with at most `places` decimal places (e.g. an FTE, 0 to 1 to 6 places)."""
    pattern = rf"^-?[0-9]+(\.[0-9]{{1,{places}}})?$"
    return rule(
        lambda d: d.lazyframe.select(
            _passes_when_null(d.key, pl.col(d.key).str.contains(pattern) & pl.col(d.key).cast(pl.Float64, strict=False).is_between(low, high))
        ),
        f"decimal_between:{low:g}-{high:g}",
        f"not a number from {low:g} to {high:g} with at most {places} decimal places",
    )


def date_format(fmt: str) -> pa.Check:
    """A real calendar date in the source's own format (31/02/2020 fails)."""
    return rule(
        lambda d: d.lazyframe.select(_passes_when_null(d.key, _parsed(d.key, fmt).is_not_null())), f"date_format:{fmt}", f"not a valid date in format {fmt}"
    )


def dates_in_list(fmt: str) -> pa.Check:
    def check(d):
        items = pl.col(d.key).str.split(",")
        return d.lazyframe.select(_passes_when_null(d.key, items.list.eval(pl.element().str.strptime(pl.Date, fmt, strict=False).is_not_null()).list.all()))

    return rule(check, f"date_format:{fmt}", f"an item is not a valid date in format {fmt}")


def integer_between(low: int, high: int) -> pa.Check:
    return rule(
        lambda d: d.lazyframe.select(
            _passes_when_null(d.key, pl.col(d.key).str.contains(r"^-?\d+$") & pl.col(d.key).cast(pl.Int64, strict=False).is_between(low, high))
        ),
        f"integer_between:{low}-{high}",
        f"not a whole number from {low} to {high}",
    )


def _numpy_rule(function, rule_name: str, message: str) -> pa.Check:
    """A check whose logic lives in a vectorised numpy function shared with the generator."""

    def check(d):
        return d.lazyframe.select(
            pl.col(d.key).map_batches(lambda s: pl.Series(s.is_null().to_numpy() | function(s.fill_null("").to_numpy())), return_dtype=pl.Boolean)
        )

    return rule(check, rule_name, message)


def upn_check_letter() -> pa.Check:
    return _numpy_rule(is_valid_upn, "upn_check_letter", "UPN check letter does not match (DfE modulus 23)")


def upn_or_unknown_reason(reasons: Iterable[str], list_name: str) -> pa.Check:
    """A UPN with a valid check letter, or the code saying why there is none (the SSDA903 header holds either in its UPN field)."""
    allowed = np.array(sorted(set(reasons)), dtype=object)
    return _numpy_rule(
        lambda values: np.isin(values, allowed) | is_valid_upn(values),
        "upn_or_unknown_reason",
        f"neither a UPN with a valid check letter (DfE modulus 23) nor a {list_name} code",
    )


def nhs_modulus_11() -> pa.Check:
    return _numpy_rule(is_valid_nhs_number, "nhs_number_modulus_11", "NHS number check digit fails Modulus 11")


# --- frame-level rules ------------------------------------------------------------------------
def unique_key(columns: tuple[str, ...], within: str) -> pa.Check:
    """Within one file, the first record of a key is kept; later ones with the same key are rejected."""
    key = pl.struct(within, *columns)
    any_null = pl.any_horizontal([pl.col(c).is_null() for c in columns])
    return rule(
        lambda d: d.lazyframe.select(any_null | key.is_first_distinct()), f"unique_key:{'+'.join(columns)}", "repeats the key of an earlier row", columns
    )


def no_duplicate_rows(columns: tuple[str, ...], within: str) -> pa.Check:
    """Within one file, an exact copy of an earlier row is rejected."""
    return rule(lambda d: d.lazyframe.select(pl.struct(within, *columns).is_first_distinct()), "duplicate_row", "an exact copy of an earlier row", columns[:3])


def date_order(later: str, later_fmt: str, earlier: str, earlier_fmt: str) -> pa.Check:
    """`later` is on or after `earlier` whenever both are valid dates."""
    a, b = _parsed(later, later_fmt), _parsed(earlier, earlier_fmt)
    return rule(
        lambda d: d.lazyframe.select((a.is_null() | b.is_null() | (a >= b)).alias("ok")),
        f"date_order:{later}>={earlier}",
        f"{later} is before {earlier}",
        (later, earlier),
    )


def min_age_at(event: str, event_fmt: str, birth: str, birth_fmt: str, years: int) -> pa.Check:
    """The person was at least `years` old on the event date (e.g. the age of criminal responsibility)."""
    a, b = _parsed(event, event_fmt), _parsed(birth, birth_fmt)
    return rule(
        lambda d: d.lazyframe.select((a.is_null() | b.is_null() | (a >= b.dt.offset_by(f"{years}y"))).alias("ok")),
        f"age_at_least_{years}:{event}",
        f"younger than {years} on {event}",
        (event, birth),
    )


def required_when(column: str, condition: pl.Expr, description: str) -> pa.Check:
    return rule(
        lambda d: d.lazyframe.select((~condition.fill_null(False) | pl.col(column).is_not_null()).alias("ok")),
        f"required:{column} when {description}",
        f"{column} is blank although {description}",
        (column,),
    )


def allowed_only_when(column: str, condition: pl.Expr, description: str) -> pa.Check:
    return rule(
        lambda d: d.lazyframe.select((condition.fill_null(False) | pl.col(column).is_null()).alias("ok")),
        f"only:{column} when {description}",
        f"{column} is filled although not {description}",
        (column,),
    )


def _scoped(scope: str, key: str) -> pl.Expr:
    return pl.concat_str([pl.col(scope), pl.col(key)], separator="\x1f")


def exists_in(column: str, scope: str, known: pl.DataFrame, reference: str) -> pa.Check:
    """A cross-table rule within one return (`scope`): the value must be a key of a companion table
    (e.g. every 903 episode's CHILD has a row in the same LA's header). `known` has columns scope, key."""
    values = known.select(_scoped(scope, column)).to_series().unique().to_list()
    return rule(
        lambda d: d.lazyframe.select((pl.col(column).is_null() | _scoped(scope, column).is_in(values)).alias("ok")),
        f"exists_in:{reference}",
        f"{column} has no record in {reference}",
        (column,),
    )


def after_looked_up_date(
    date_col: str, date_fmt: str, scope: str, key: str, lookup: pl.DataFrame, lookup_col: str, lookup_fmt: str, rule_name: str
) -> pa.Check:
    """`date_col` falls after a date looked up by key in a companion table of the same return
    (e.g. a CIN referral after the child's birth). `lookup` has columns scope, key, lookup_col."""
    pairs = lookup.select(_scoped(scope, key).alias("k"), pl.col(lookup_col).alias("v")).drop_nulls().unique("k", keep="first")
    other = _scoped(scope, key).replace_strict(pairs["k"], pairs["v"], default=None, return_dtype=pl.Utf8).str.strptime(pl.Date, lookup_fmt, strict=False)
    mine = _parsed(date_col, date_fmt)
    return rule(
        lambda d: d.lazyframe.select((mine.is_null() | other.is_null() | (mine >= other)).alias("ok")),
        rule_name,
        f"{date_col} is before the date it must follow",
        (key, date_col),
    )


def not_after_period_end(date_col: str, fmt: str, period_end_col: str) -> pa.Check:
    """A date cannot be after the end of the row's collection period (e.g. a birth after the return's reference date)."""
    parsed = _parsed(date_col, fmt)
    return rule(
        lambda d: d.lazyframe.select((parsed.is_null() | (parsed <= pl.col(period_end_col))).alias("ok")),
        f"not_in_future:{date_col}",
        f"{date_col} is after the end of the collection period",
        (date_col, period_end_col),
    )
