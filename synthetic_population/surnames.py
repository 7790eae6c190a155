"""Surname changes over a life: a woman taking her new partner's surname, a child taking a step-parent's,
an adopted child taking the adopters' surname (and, as the DfE issues one, a new UPN).

Records dated before a change carry the old surname, those after it the new one; the truth keeps the
surname a person started with, and each changed record is logged as a fault (`surname_change_<kind>`),
so linkage is scored on finding the same person under two surnames.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from code_lists.ssda903 import ADOPTED

from .config import FaultRates
from .dynamics import History
from .identifiers import make_upns
from .names import draw_names
from .population import DAYS_PER_YEAR, FEMALE, Columns

# The changes draw from a stream of their own, beside the world's seed, so they moved no other draw.
SURNAME_CHANGE_STREAM = 1416


def surname_changes(seed: int, persons: Columns, history: History, la_codes: np.ndarray, rates: FaultRates) -> pl.DataFrame:
    """person, day, last_name, kind ('marriage', 'step_parent', 'adoption') and, for an adoption, the new upn;
    how often a woman or a child takes a new partner's surname is `rates.partner_surname` and `rates.step_parent_surname`."""
    rng = np.random.default_rng([seed, SURNAME_CHANGE_STREAM])
    sex, surname, dob, mother = persons.view("sex"), persons.view("last_name"), persons.view("dob"), persons.view("mother")
    pairs = history.partnerships
    lone, partner = pairs["person"].to_numpy(), pairs["partner"].to_numpy()
    woman = np.where(sex[lone] == FEMALE, lone, partner)
    man = np.where(sex[lone] == FEMALE, partner, lone)
    day = pairs["day"].to_numpy() + rng.integers(180, 3 * 365, len(lone))
    takes = (rng.random(len(lone)) < rates.partner_surname) & (surname[woman] != surname[man])
    marriages = pl.DataFrame({"person": woman[takes], "day": day[takes], "last_name": surname[man[takes]], "kind": "marriage"})
    # A lone mother's children under 16 when she re-partners may take her new partner's surname.
    step = pl.DataFrame({"mother": woman, "man": man, "day": day}).filter(pl.Series(sex[lone] == FEMALE))
    children = pl.DataFrame({"person": np.arange(persons.n, dtype=np.int32), "mother": mother, "dob": dob}).join(step, on="mother")
    children = children.filter((pl.col("dob") < pl.col("day")) & (pl.col("day") - pl.col("dob") < 16 * DAYS_PER_YEAR))
    child_takes = (rng.random(children.height) < rates.step_parent_surname) & (surname[children["person"].to_numpy()] != surname[children["man"].to_numpy()])
    children = children.filter(pl.Series(child_takes))
    step_parent = children.select("person", "day", pl.Series("last_name", surname[children["man"].to_numpy()]), pl.lit("step_parent").alias("kind"))
    adoptions = _adoptions(rng, persons, history, la_codes)
    return (
        pl.concat(
            [marriages.with_columns(pl.lit(None, pl.Utf8).alias("upn")), step_parent.with_columns(pl.lit(None, pl.Utf8).alias("upn")), adoptions],
            how="vertical_relaxed",
        )
        .with_columns(pl.col("person").cast(pl.Int32), pl.col("day").cast(pl.Int32))
        .sort("day", "person")
    )


def _adoptions(rng: np.random.Generator, persons: Columns, history: History, la_codes: np.ndarray) -> pl.DataFrame:
    """Each child adopted from care: the adopters' surname (from the child's ethnic group's pool) and a new UPN
    from the adopting LA's range, from the day the period of care ended in adoption."""
    schema = {"person": pl.Int32, "day": pl.Int32, "last_name": pl.Utf8, "kind": pl.Utf8, "upn": pl.Utf8}
    if history.lac.is_empty():
        return pl.DataFrame(schema=schema)
    adopted = history.lac.filter(pl.col("rec").is_in(ADOPTED)).group_by("child").agg(pl.col("dec").max()).sort("child")
    child = adopted["child"].to_numpy()
    day = adopted["dec"].to_numpy()
    n = len(child)
    new_surname = draw_names(rng, persons.view("ethnic")[child].astype(str), "last")
    year = (day / DAYS_PER_YEAR + 1970).astype(np.int64)
    upn = make_upns(la_codes[rng.integers(0, len(la_codes), n)], rng.integers(2000, 8000, n), year, rng.integers(0, 1000, n))
    return pl.DataFrame({"person": child, "day": day, "last_name": new_surname, "kind": "adoption", "upn": upn.astype(object)}, schema=schema)
