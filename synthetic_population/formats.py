"""Date formats of the published extracts, shared by the writers."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

ISO, DMY, COMPACT, DMONY = "%Y-%m-%d", "%d/%m/%Y", "%Y%m%d", "%d-%b-%Y"


def dates(days: np.ndarray | pl.Series, fmt: str) -> np.ndarray:
    """Day numbers as text in `fmt`, each distinct day formatted once: a column's rows share a few thousand days."""
    distinct, index = np.unique(np.asarray(days, dtype=np.int64), return_inverse=True)
    series = pl.Series(distinct).cast(pl.Int32).cast(pl.Date)
    return series.dt.strftime(fmt).fill_null("").to_numpy().astype(object)[index]


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def iso_day(day: int) -> str:
    """One day number as an ISO date; the XML writer formats dates one at a time."""
    return date.fromordinal(_EPOCH_ORDINAL + int(day)).isoformat()


def weekday(days: np.ndarray) -> np.ndarray:
    """Day of the week of day numbers, Monday 0 to Sunday 6 (day 0, 1 January 1970, was a Thursday)."""
    return (np.asarray(days) + 3) % 7


def financial_year(days: np.ndarray) -> np.ndarray:
    """The collection year of an event: years end on 31 March, as the DfE and NHS returns do."""
    d = np.datetime64("1970-01-01") + np.asarray(days, dtype=np.int64).astype("timedelta64[D]")
    year = d.astype("datetime64[Y]").astype(int) + 1970
    month = d.astype("datetime64[M]").astype(int) % 12 + 1
    return year + (month >= 4)
