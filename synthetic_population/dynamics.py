"""Month-by-month life of the population: births, moves, separations, new partners and young adults
leaving home. Children's social care (social_care.py) runs inside the same month loop, since its
placements move children between households.

Every change of a person's household or property closes one household spell and opens the
next, so the spells are the ground truth of who lived where with whom. Each person changes at
most once per calendar month (except scheduled care events), which keeps spells well ordered.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from .chunks import concat_chunks
from .config import WorldConfig
from .geography import Gazetteer
from .names import draw_names
from .population import DAYS_PER_YEAR, FEMALE, KIND_PRIVATE, MALE, Population, child_ethnicity, household_circumstances
from .social_care import SocialCare

EPOCH = date(1970, 1, 1)

# Age-specific fertility (births per woman per year) for ages 16-44.
_FERTILITY_AGES = np.array([16, 20, 25, 30, 35, 40, 45])
_FERTILITY_RATES = np.array([0.012, 0.05, 0.085, 0.10, 0.06, 0.015])

MOVE_RATE = 0.095  # households moving home per year
SEPARATION_RATE = 0.018
NEW_PARTNER_RATE = 0.04
LEAVE_HOME_RATE = 0.08


def day_number(d: date) -> int:
    return (d - EPOCH).days


def month_starts(config: WorldConfig) -> list[int]:
    starts, y, m = [], config.start.year, config.start.month
    while date(y, m, 1) <= config.end:
        starts.append(day_number(date(y, m, 1)))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    starts.append(day_number(date(y, m, 1)))
    return starts


def pair_by_key(wanted: np.ndarray, offered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Match each wanted item to a distinct offered item with the same key, in offered order.

    Returns the indices of the matched wanted items and of the offered items they got; the
    k-th wanted item of a key gets the k-th offered item of that key, if there is one.
    """

    def ranked(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        rank = np.arange(len(keys)) - np.searchsorted(sorted_keys, sorted_keys)
        return order, sorted_keys * 10_000_000 + rank

    want_order, want_key = ranked(wanted)
    offer_order, offer_key = ranked(offered)
    pos = np.searchsorted(offer_key, want_key)
    found = (pos < len(offer_key)) & (offer_key[np.minimum(pos, len(offer_key) - 1)] == want_key)
    return want_order[found], offer_order[pos[found]]


@dataclass
class History:
    spells: pl.DataFrame  # person, household, prop, start, end (null: still there), prev_prop; sorted by start
    births: pl.DataFrame  # child, mother, father, day
    cin: pl.DataFrame  # one row per child-in-need episode
    lac: pl.DataFrame  # one row per SSDA903 episode
    life_events: pl.DataFrame  # person, day, event (moved, separated, new_partner, left_home, emigrated, ...)
    partnerships: pl.DataFrame  # person (a lone parent), partner, day: the couples new_partner formed
    early_help: pl.DataFrame  # one row per early help episode, with both potential outcomes (early_help.py)
    early_help_services: pl.DataFrame  # episode, service, start, end, frequency, sessions

    @functools.cached_property
    def spells_by_person(self) -> pl.DataFrame:
        """The spells sorted by person and start, as `services.at_dates` searches them: sorted once, not per search."""
        return self.spells.sort("person", "start")


class Simulation:
    def __init__(self, rng: np.random.Generator, config: WorldConfig, gazetteer: Gazetteer, population: Population) -> None:
        self.rng, self.config, self.gaz, self.pop = rng, config, gazetteer, population
        self.P, self.H = population.persons, population.households
        self.end_day = day_number(config.end) + 1
        self.home = gazetteer.residential & (gazetteer.classification != "RI01")
        self._spells: list[dict[str, np.ndarray]] = []
        self._births: list[dict[str, np.ndarray]] = []
        self._events: list[dict[str, np.ndarray]] = []
        self._partnerships: list[dict[str, np.ndarray]] = []
        self.care = SocialCare(self)

    # --- bookkeeping --------------------------------------------------------------------------
    def log(self, people: np.ndarray, day: np.ndarray | int, event: str) -> None:
        if len(people):
            self._events.append(
                {
                    "person": people.astype(np.int32),
                    "day": np.broadcast_to(day, people.shape).astype(np.int32),
                    "event": np.full(len(people), event, dtype=object),
                }
            )

    def _close_spells(self, people: np.ndarray, day: np.ndarray | int) -> None:
        p = self.P.data
        hh = p["household"][people]
        keep = hh >= 0
        people, hh = people[keep], hh[keep]
        if len(people):
            self._spells.append(
                {
                    "person": people.astype(np.int32),
                    "household": hh,
                    "prop": self.H.prop[hh],
                    "start": p["spell_start"][people].copy(),
                    "end": np.broadcast_to(day, keep.shape)[keep].astype(np.int32),
                }
            )

    def relocate(self, people: np.ndarray, new_household: np.ndarray | int, day: np.ndarray | int) -> None:
        self._close_spells(people, day)
        self.P.household[people] = new_household
        self.P.spell_start[people] = day

    def members(self, households: np.ndarray) -> np.ndarray:
        hh = self.P.view("household")
        mask = np.zeros(self.H.n, dtype=bool)
        mask[households] = True
        return np.flatnonzero((hh >= 0) & mask[np.maximum(hh, 0)] & self.P.view("present"))

    def changed_households(self, since: int) -> np.ndarray:
        """Households with a member whose spell began on or after `since` (this month)."""
        hh = self.P.view("household")
        recent = (self.P.view("spell_start") >= since) & (hh >= 0)
        out = np.zeros(self.H.n, dtype=bool)
        out[hh[recent]] = True
        return out

    def take_vacant(self, la_index: np.ndarray) -> np.ndarray:
        """A random vacant home in each requested LA (-1 where the LA has none left)."""
        out = np.full(len(la_index), -1, dtype=np.int32)
        vacant = self.home & (self.pop.prop_household == -1)
        for la in np.unique(la_index):
            rows = np.flatnonzero(la_index == la)
            pool = np.flatnonzero(vacant & (self.gaz.la_index == la))
            picks = self.rng.choice(pool, size=min(len(rows), len(pool)), replace=False)
            out[rows[: len(picks)]] = picks
        return out

    def take_vacant_on_street(self, streets: np.ndarray) -> np.ndarray:
        """A vacant home on the same street where there is one (-1 otherwise)."""
        vacant = np.flatnonzero(self.home & (self.pop.prop_household == -1))
        vacant = vacant[self.rng.permutation(len(vacant))]
        movers, homes = pair_by_key(streets.astype(np.int64), self.gaz.street_id[vacant].astype(np.int64))
        out = np.full(len(streets), -1, dtype=np.int32)
        out[movers] = vacant[homes]
        return out

    def occupy(self, households: np.ndarray, props: np.ndarray) -> None:
        old = self.H.prop[households]
        self.pop.prop_household[old[old >= 0]] = -1
        self.H.prop[households] = props
        self.pop.prop_household[props] = households

    def new_households(self, props: np.ndarray, like: np.ndarray) -> np.ndarray:
        """Households for people setting up home alone, with circumstances of their own."""
        rows = self.H.add(len(props), prop=props)
        self.pop.prop_household[props] = rows
        household_circumstances(self.rng, self.H, rows, self.gaz.imd_decile[props], np.zeros(len(rows)))
        self.H.hardship[rows] = 0.5 * self.H.hardship[rows] + 0.5 * self.H.hardship[like]
        return rows

    def move_households(self, households: np.ndarray, props: np.ndarray, day: np.ndarray) -> None:
        people = self.members(households)
        order = np.searchsorted(households, self.P.household[people], sorter=np.argsort(households))
        person_day = day[np.argsort(households)][order]
        self._close_spells(people, person_day)
        self.P.spell_start[people] = person_day
        self.occupy(households, props)
        self.log(people, person_day, "moved")

    def leave_area(self, households: np.ndarray, day: np.ndarray) -> None:
        people = self.members(households)
        person_day = day[np.argsort(households)][np.searchsorted(households, self.P.household[people], sorter=np.argsort(households))]
        self._close_spells(people, person_day)
        self.P.present[people] = False
        self.P.household[people] = -1
        self.pop.prop_household[self.H.prop[households]] = -1
        self.H.active[households] = False
        self.log(people, person_day, "left_area")

    def age(self, people: np.ndarray, day: int) -> np.ndarray:
        return (day - self.P.dob[people]) / DAYS_PER_YEAR

    # --- the month ----------------------------------------------------------------------------
    def run(self) -> History:
        starts = month_starts(self.config)
        for m_start, m_next in itertools.pairwise(starts):  # one random generator: this order fixes every draw
            days = m_next - m_start
            self.care.care_events(m_start, m_next)
            self.births(m_start, days)
            self.separations(m_start, days)
            self.new_partners(m_start, days)
            self.leaving_home(m_start, days)
            self.household_moves(m_start, days)
            self.care.referrals(m_start, days, m_next)
        self._close_spells(np.flatnonzero(self.P.view("present") & (self.P.view("household") >= 0)), self.end_day)
        return self.history()

    def day_in_month(self, m_start: int, days: int, n: int) -> np.ndarray:
        return (m_start + self.rng.integers(0, days, n)).astype(np.int32)

    def births(self, m_start: int, days: int) -> None:
        P, rng = self.P, self.rng
        women = np.flatnonzero((P.view("sex") == FEMALE) & P.view("present") & (P.view("household") >= 0) & (P.view("spell_start") < m_start))
        age = self.age(women, m_start)
        band = np.searchsorted(_FERTILITY_AGES, age, side="right") - 1
        fertile = (band >= 0) & (band < len(_FERTILITY_RATES))
        women, band = women[fertile], band[fertile]
        hardship = self.H.hardship[P.household[women]]
        rate = _FERTILITY_RATES[band] * np.exp(0.15 * hardship) * days / 365.0
        mothers = women[rng.random(len(women)) < rate]
        if not len(mothers):
            return
        twins = rng.random(len(mothers)) < 0.016
        mothers = np.concatenate([mothers, mothers[twins]])
        day = self.day_in_month(m_start, days, len(mothers))
        day[len(mothers) - twins.sum() :] = day[: len(mothers) - twins.sum()][twins]
        partner = P.partner[mothers]
        cohabiting = (partner >= 0) & (P.household[np.maximum(partner, 0)] == P.household[mothers])
        father = np.where(cohabiting, partner, -1).astype(np.int32)
        father_eth = np.where(father >= 0, P.ethnic[np.maximum(father, 0)], 0).astype(np.int8)
        eth = child_ethnicity(P.ethnic[mothers], father_eth)
        sex = (rng.random(len(mothers)) < 0.512).astype(np.int8)
        surname = np.where((father >= 0) & (rng.random(len(mothers)) < 0.85), P.last_name[np.maximum(father, 0)], P.last_name[mothers])
        babies = P.add(
            len(mothers),
            sex=sex,
            dob=day,
            ethnic=eth,
            mother=mothers,
            father=father,
            household=P.household[mothers],
            spell_start=day,
            first_name=draw_names(rng, eth.astype(str), np.where(sex == MALE, "male", "female")),
        )
        P.last_name[babies] = surname
        self._births.append({"child": babies.astype(np.int32), "mother": mothers.astype(np.int32), "father": father, "day": day})

    def separations(self, m_start: int, days: int) -> None:
        P, H, rng = self.P, self.H, self.rng
        changed = self.changed_households(m_start)
        men = np.flatnonzero(P.view("present") & (P.view("partner") >= 0) & (P.view("sex") == MALE) & (P.view("household") >= 0))
        hh = P.household[men]
        together = (P.household[P.partner[men]] == hh) & (H.kind[hh] == KIND_PRIVATE) & ~changed[hh]
        men, hh = men[together], hh[together]
        rate = SEPARATION_RATE * np.exp(0.3 * H.hardship[hh]) * (1 + 1.5 * H.domestic_abuse[hh]) * days / 365.0
        leaving = rng.random(len(men)) < rate
        men, day = self.set_up_home(men[leaving], 0.85, m_start, days)
        if not len(men):
            return
        partners = P.partner[men]
        P.partner[partners] = -1
        P.partner[men] = -1
        self.log(men, day, "separated")
        self.log(partners, day, "separated")

    def new_partners(self, m_start: int, days: int) -> None:
        P, H, rng = self.P, self.H, self.rng
        changed = self.changed_households(m_start)
        present = P.view("present") & (P.view("household") >= 0)
        hh_all = P.view("household")
        sizes = np.bincount(hh_all[present], minlength=H.n)
        # Lone parents: an adult without a partner whose own child lives with them.
        kids = np.flatnonzero(present & (self.age(np.arange(P.n), m_start) < 18))
        parent = np.concatenate([P.mother[kids], P.father[kids]])
        same = np.concatenate([kids, kids])
        parent_ok = parent >= 0
        parent, same = parent[parent_ok], same[parent_ok]
        lone = np.unique(parent[(P.household[parent] == P.household[same]) & (P.partner[parent] == -1) & P.present[parent]])
        lone = lone[(H.kind[P.household[lone]] == KIND_PRIVATE) & ~changed[P.household[lone]]]
        lone = lone[rng.random(len(lone)) < NEW_PARTNER_RATE * days / 365.0]
        age = self.age(np.arange(P.n), m_start)
        singles = np.flatnonzero(present & (sizes[np.maximum(hh_all, 0)] == 1) & (P.view("partner") == -1) & (age >= 20) & (age < 55))
        singles = singles[(H.kind[P.household[singles]] == KIND_PRIVATE) & ~changed[P.household[singles]]]
        if not len(lone) or not len(singles):
            return
        # Pair each lone parent with a single adult of the other sex in the same LA.
        singles = singles[rng.permutation(len(singles))]
        key_single = self.gaz.la_index[H.prop[P.household[singles]]].astype(np.int64) * 2 + P.sex[singles]
        key_lone = self.gaz.la_index[H.prop[P.household[lone]]].astype(np.int64) * 2 + (1 - P.sex[lone])
        matched, offered = pair_by_key(key_lone, key_single)
        lone, partner = lone[matched], singles[offered]
        if not len(lone):
            return
        day = self.day_in_month(m_start, days, len(lone))
        old = P.household[partner]
        self.relocate(partner, P.household[lone], day)
        self.pop.prop_household[H.prop[old]] = -1
        H.active[old] = False
        P.partner[lone], P.partner[partner] = partner, lone
        self._partnerships.append({"person": lone.astype(np.int32), "partner": partner.astype(np.int32), "day": np.asarray(day, dtype=np.int32)})
        self.log(partner, day, "new_partner")
        self.log(lone, day, "new_partner")

    def leaving_home(self, m_start: int, days: int) -> None:
        P, H, rng = self.P, self.H, self.rng
        changed = self.changed_households(m_start)
        present = P.view("present") & (P.view("household") >= 0)
        age = self.age(np.arange(P.n), m_start)
        young = np.flatnonzero(present & (age >= 18) & (age < 30) & (P.view("spell_start") < m_start))
        hh = P.household[young]
        with_parent = ((P.mother[young] >= 0) & (P.household[np.maximum(P.mother[young], 0)] == hh)) | (
            (P.father[young] >= 0) & (P.household[np.maximum(P.father[young], 0)] == hh)
        )
        young = young[with_parent & ~changed[hh] & (H.kind[hh] == KIND_PRIVATE)]
        young = young[rng.random(len(young)) < LEAVE_HOME_RATE * days / 365.0]
        young, day = self.set_up_home(young, 0.8, m_start, days)
        self.log(young, day, "left_home")

    def set_up_home(self, people: np.ndarray, stay_in_la: float, m_start: int, days: int) -> tuple[np.ndarray, np.ndarray]:
        """Move people out to homes of their own, mostly in the same LA; returns who moved and when."""
        rng, H = self.rng, self.H
        old = self.P.household[people]
        la = self.gaz.la_index[H.prop[old]]
        la = np.where(rng.random(len(people)) < stay_in_la, la, rng.integers(0, len(self.config.local_authorities), len(people))).astype(np.int8)
        props = self.take_vacant(la)
        found = props >= 0
        people, old, props = people[found], old[found], props[found]
        day = self.day_in_month(m_start, days, len(people))
        if len(people):
            self.relocate(people, self.new_households(props, old), day)
        return people, day

    def household_moves(self, m_start: int, days: int) -> None:
        H, rng, gaz = self.H, self.rng, self.gaz
        changed = self.changed_households(m_start)
        occupied = np.zeros(H.n, dtype=bool)
        occupied[self.P.view("household")[self.P.view("present") & (self.P.view("household") >= 0)]] = True
        hh = np.flatnonzero(occupied & H.view("active") & (H.view("kind") == KIND_PRIVATE) & ~changed)
        hh = hh[rng.random(len(hh)) < MOVE_RATE * np.exp(0.3 * H.hardship[hh]) * days / 365.0]
        if not len(hh):
            return
        where = rng.choice(4, size=len(hh), p=[0.2, 0.62, 0.12, 0.06])
        day = self.day_in_month(m_start, days, len(hh))
        leaving = where == 3
        if leaving.any():
            self.leave_area(hh[leaving], day[leaving])
        hh, where, day = hh[~leaving], where[~leaving], day[~leaving]
        props = np.full(len(hh), -1, dtype=np.int32)
        street = where == 0
        props[street] = self.take_vacant_on_street(gaz.street_id[H.prop[hh[street]]])
        la = gaz.la_index[H.prop[hh]]
        la = np.where(where == 2, (la + rng.integers(1, len(self.config.local_authorities), len(hh))) % len(self.config.local_authorities), la)
        need = props < 0
        props[need] = self.take_vacant(la[need].astype(np.int8))
        ok = props >= 0
        if ok.any():
            self.move_households(hh[ok], props[ok], day[ok])

    # --- results ------------------------------------------------------------------------------
    def history(self) -> History:
        def frame(chunks: list[dict], schema: dict) -> pl.DataFrame:
            return concat_chunks(chunks) if chunks else pl.DataFrame(schema=schema)

        spells = frame(self._spells, {"person": pl.Int32, "household": pl.Int32, "prop": pl.Int32, "start": pl.Int32, "end": pl.Int32})
        spells = spells.filter(pl.col("end") > pl.col("start")).with_columns(
            pl.when(pl.col("end") >= self.end_day).then(None).otherwise(pl.col("end")).alias("end")
        )
        lac = pl.DataFrame(self.care.lac_rows) if self.care.lac_rows else pl.DataFrame()
        # Sorted by person, a person's previous spell is the row above if it is theirs: a shift over the whole column
        # does what a shift within each person's window does, without the hundreds of thousands of windows.
        spells = spells.sort("person", "start")
        spells = spells.with_columns(pl.when(pl.col("person") == pl.col("person").shift(1)).then(pl.col("prop").shift(1)).alias("prev_prop"))
        return History(
            spells=spells.sort("start"),
            births=frame(self._births, {"child": pl.Int32, "mother": pl.Int32, "father": pl.Int32, "day": pl.Int32}),
            cin=frame(self.care.cin_chunks, {}),
            lac=lac,
            life_events=frame(self._events, {"person": pl.Int32, "day": pl.Int32, "event": pl.Utf8}),
            partnerships=frame(self._partnerships, {"person": pl.Int32, "partner": pl.Int32, "day": pl.Int32}),
            early_help=self.care.early_help.episodes(),
            early_help_services=self.care.early_help.services(),
        )
