"""Data-quality faults injected into the extracts, each one logged with its true and recorded value.

Faults are applied to whole columns at once: a mask picks the affected rows at the configured
rate among the rows where the fault can happen, and the log keys each change by the record's
id, which later becomes a file and row number in the ground truth. Record ids are handed out here,
once for the whole world, so an id names one row of one file even for tables written year by year.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from code_lists import NICKNAMES

from .config import FaultRates
from .names import typo

_ABBREVIATIONS = (
    ("Road", "Rd"),
    ("Street", "St"),
    ("Avenue", "Ave"),
    ("Lane", "Ln"),
    ("Close", "Cl"),
    ("Drive", "Dr"),
    ("Crescent", "Cres"),
    ("Gardens", "Gdns"),
    ("Terrace", "Ter"),
    ("Place", "Pl"),
    ("Grove", "Gr"),
)
OUT_OF_LIST = np.array(["XXXX", "ZZ", "99X", "UNK?", "N/A"], dtype=object)


class FaultInjector:
    def __init__(self, rng: np.random.Generator, rates: FaultRates) -> None:
        self.rng, self.rates = rng, rates
        self._log: list[pl.DataFrame] = []
        self._next_rid = 0

    def new_rids(self, n: int) -> np.ndarray:
        """`n` record ids never handed out before in this world."""
        rids = np.arange(self._next_rid, self._next_rid + n, dtype=np.int64)
        self._next_rid += n
        return rids

    def mask(self, n: int, rate: float, eligible: np.ndarray | None = None) -> np.ndarray:
        hit = self.rng.random(n) < rate
        return hit if eligible is None else hit & eligible

    def record(self, table: str, rid: np.ndarray, field: str, fault: str, true: np.ndarray, recorded: np.ndarray) -> None:
        if len(rid):
            self._log.append(
                pl.DataFrame(
                    {
                        "table": np.full(len(rid), table, dtype=object),
                        "rid": rid.astype(np.int64),
                        "field": np.full(len(rid), field, dtype=object),
                        "fault": np.full(len(rid), fault, dtype=object),
                        "true_value": np.asarray(true, dtype=object).astype(str),
                        "recorded_value": np.asarray(recorded, dtype=object).astype(str),
                    }
                )
            )

    def log(self) -> pl.DataFrame:
        schema = {"table": pl.Utf8, "rid": pl.Int64, "field": pl.Utf8, "fault": pl.Utf8, "true_value": pl.Utf8, "recorded_value": pl.Utf8}
        return pl.concat(self._log, how="vertical_relaxed") if self._log else pl.DataFrame(schema=schema)

    # --- one function per kind of fault; each returns the recorded column -----------------------
    def replace(self, table: str, rid: np.ndarray, field: str, fault: str, values: np.ndarray, hit: np.ndarray, new: np.ndarray) -> np.ndarray:
        out = values.copy()
        out[hit] = new
        self.record(table, rid[hit], field, fault, values[hit], new)
        return out

    def names(self, table: str, rid: np.ndarray, field: str, values: np.ndarray, first_name: bool) -> np.ndarray:
        out = values
        if first_name:
            eligible = np.array([v in NICKNAMES for v in values], dtype=bool)
            hit = self.mask(len(values), self.rates.nickname, eligible)
            new = np.array([NICKNAMES[v][int(self.rng.integers(0, len(NICKNAMES[v])))] for v in values[hit]], dtype=object)
            out = self.replace(table, rid, field, "nickname", out, hit, new)
        hit = self.mask(len(values), self.rates.name_typo, np.array([len(v) >= 2 for v in out], dtype=bool))
        new = np.array([typo(self.rng, v) for v in out[hit]], dtype=object)
        return self.replace(table, rid, field, "name_typo", out, hit, new)

    def dob_swap(self, table: str, rid: np.ndarray, field: str, days: np.ndarray) -> np.ndarray:
        dates = np.datetime64("1970-01-01") + days.astype("timedelta64[D]")
        years = dates.astype("datetime64[Y]")
        month = (dates.astype("datetime64[M]") - years.astype("datetime64[M]")).astype(int) + 1
        day = (dates - dates.astype("datetime64[M]")).astype(int) + 1
        hit = self.mask(len(days), self.rates.dob_day_month_swap, (day <= 12) & (day != month))
        swapped = (years[hit].astype("datetime64[M]") + (day[hit] - 1)).astype("datetime64[D]") + (month[hit] - 1)
        new = (swapped - np.datetime64("1970-01-01")).astype(np.int64)
        out = days.astype(np.int64).copy()
        out[hit] = new
        self.record(table, rid[hit], field, "dob_day_month_swap", dates[hit].astype(str), swapped.astype(str))
        return out

    def blank(self, table: str, rid: np.ndarray, field: str, fault: str, values: np.ndarray, rate: float) -> np.ndarray:
        hit = self.mask(len(values), rate, np.array([v not in ("", None) for v in values], dtype=bool))
        return self.replace(table, rid, field, fault, values, hit, np.full(hit.sum(), "", dtype=object))

    def out_of_list(self, table: str, rid: np.ndarray, field: str, values: np.ndarray) -> np.ndarray:
        hit = self.mask(len(values), self.rates.out_of_list_code)
        return self.replace(table, rid, field, "out_of_list_code", values, hit, OUT_OF_LIST[self.rng.integers(0, len(OUT_OF_LIST), hit.sum())])

    def address_variant(self, table: str, rid: np.ndarray, field: str, values: np.ndarray) -> np.ndarray:
        hit = self.mask(len(values), self.rates.address_variant, np.array([bool(v) for v in values], dtype=bool))
        new = np.array([self._variant(v) for v in values[hit]], dtype=object)
        changed = new != values[hit]
        idx = np.flatnonzero(hit)[~changed]
        hit[idx] = False
        return self.replace(table, rid, field, "address_variant", values, hit, new[changed])

    def _variant(self, text: str) -> str:
        """Abbreviate the street type, move the flat to the end, or change the case."""
        choice = int(self.rng.integers(0, 3))
        if choice == 0:
            for long, short in _ABBREVIATIONS:
                if f" {long}" in text:
                    return text.replace(f" {long}", f" {short}", 1)
        if choice == 1 and text.startswith("Flat "):
            flat, _, rest = text.partition(", ")
            if rest:
                return f"{rest}, {flat}" if "," not in rest else f"{flat.replace('Flat ', '')}/{rest}"
        return text.upper() if choice != 2 else text.lower()

    def duplicates(self, table: str, frame: pl.DataFrame) -> pl.DataFrame:
        """Write some records twice; the copy gets a new record id and a logged fault."""
        hit = self.mask(frame.height, self.rates.duplicate_row)
        copies = frame.filter(pl.Series(hit))
        if copies.is_empty():
            return frame
        new_rid = self.new_rids(copies.height)
        self.record(table, new_rid, "*", "duplicate_row", copies["_rid"].to_numpy(), new_rid)
        return pl.concat([frame, copies.with_columns(pl.Series("_rid", new_rid))])
