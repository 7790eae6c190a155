"""Month-by-month life of the population: births, moves, separations, new partners, young adults
leaving home, and children's social care (referral to looked after), whose placements move children.

Every change of a person's household or property closes one household spell and opens the
next, so the spells are the ground truth of who lived where with whom. Each person changes at
most once per calendar month (except scheduled care events), which keeps spells well ordered.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

import code_lists as codes

from .config import WorldConfig
from .geography import Gazetteer
from .names import draw_names
from .population import (
    DAYS_PER_YEAR,
    FEMALE,
    KIND_FOSTER,
    KIND_INSTITUTION,
    KIND_PRIVATE,
    MALE,
    Population,
    child_ethnicity,
    household_circumstances,
    sigmoid,
)

EPOCH = date(1970, 1, 1)

# Age-specific fertility (births per woman per year) for ages 16-44.
_FERTILITY_AGES = np.array([16, 20, 25, 30, 35, 40, 45])
_FERTILITY_RATES = np.array([0.012, 0.05, 0.085, 0.10, 0.06, 0.015])

MOVE_RATE = 0.095  # households moving home per year
SEPARATION_RATE = 0.018
NEW_PARTNER_RATE = 0.04
LEAVE_HOME_RATE = 0.08
REFERRAL_RATE = 0.028  # children referred per year at average hardship, before family stresses

# Placement codes grouped by where the child goes.
_KIN = {"U1", "U2", "U3"}
_FOSTER = {"U4", "U5", "U6", "A3", "A4", "A5", "A6"}
_INDEPENDENT = {"H5", "P2"}
_HOME = {"P1"}
_RETURN_HOME = {"E4A", "E4B", "E13", "E41", "E8", "E14", "E15", "E3", "E7"}
_TO_KIN = {"E46", "E48"}
_ALONE = {"E5", "E6"}
_CUSTODY = {"E9"}


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


def draw_codes(rng: np.random.Generator, code_list: tuple[codes.Code, ...], n: int) -> np.ndarray:
    """n codes drawn by their weights (approximate national shares)."""
    values = np.array([c.code for c in code_list], dtype=object)
    weights = np.array([c.weight for c in code_list], dtype=float)
    return values[rng.choice(len(values), size=n, p=weights / weights.sum())]


@dataclass
class History:
    spells: pl.DataFrame  # person, household, prop, start, end (null: still there), prev_prop; sorted by start
    births: pl.DataFrame  # child, mother, father, day
    cin: pl.DataFrame  # one row per child-in-need episode
    lac: pl.DataFrame  # one row per SSDA903 episode
    life_events: pl.DataFrame  # person, day, event (moved, separated, new_partner, left_home, emigrated, ...)


class Simulation:
    def __init__(self, rng: np.random.Generator, config: WorldConfig, gazetteer: Gazetteer, population: Population) -> None:
        self.rng, self.config, self.gaz, self.pop = rng, config, gazetteer, population
        self.P, self.H = population.persons, population.households
        self.end_day = day_number(config.end) + 1
        self.home = gazetteer.residential & (gazetteer.classification != "RI01")
        self._spells: list[dict[str, np.ndarray]] = []
        self._births: list[dict[str, np.ndarray]] = []
        self._cin: list[dict[str, np.ndarray]] = []
        self._lac_rows: list[dict[str, object]] = []
        self._events: list[dict[str, np.ndarray]] = []
        self.cin_open_until = np.zeros(self.P.n, dtype=np.int64)
        self._pending: list[tuple[int, int, str]] = []  # (day, lac row, action)
        self._periods = 0

    # --- bookkeeping --------------------------------------------------------------------------
    def _log(self, people: np.ndarray, day: np.ndarray | int, event: str) -> None:
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
        self._log(people, person_day, "moved")

    def leave_area(self, households: np.ndarray, day: np.ndarray) -> None:
        people = self.members(households)
        person_day = day[np.argsort(households)][np.searchsorted(households, self.P.household[people], sorter=np.argsort(households))]
        self._close_spells(people, person_day)
        self.P.present[people] = False
        self.P.household[people] = -1
        self.pop.prop_household[self.H.prop[households]] = -1
        self.H.active[households] = False
        self._log(people, person_day, "left_area")

    def _grow(self) -> None:
        if len(self.cin_open_until) < self.P.n:
            self.cin_open_until = np.concatenate([self.cin_open_until, np.zeros(self.P.n - len(self.cin_open_until), dtype=np.int64)])

    def age(self, people: np.ndarray, day: int) -> np.ndarray:
        return (day - self.P.dob[people]) / DAYS_PER_YEAR

    # --- the month ----------------------------------------------------------------------------
    def run(self) -> History:
        starts = month_starts(self.config)
        for m_start, m_next in itertools.pairwise(starts):
            days = m_next - m_start
            self.care_events(m_start, m_next)
            self.births(m_start, days)
            self.separations(m_start, days)
            self.new_partners(m_start, days)
            self.leaving_home(m_start, days)
            self.household_moves(m_start, days)
            self.referrals(m_start, days, m_next)
        self._close_spells(np.flatnonzero(self.P.view("present") & (self.P.view("household") >= 0)), self.end_day)
        return self.history()

    def _day_in_month(self, m_start: int, days: int, n: int) -> np.ndarray:
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
        day = self._day_in_month(m_start, days, len(mothers))
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
        self._grow()
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
        self._log(men, day, "separated")
        self._log(partners, day, "separated")

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
        day = self._day_in_month(m_start, days, len(lone))
        old = P.household[partner]
        self.relocate(partner, P.household[lone], day)
        self.pop.prop_household[H.prop[old]] = -1
        H.active[old] = False
        P.partner[lone], P.partner[partner] = partner, lone
        self._log(partner, day, "new_partner")
        self._log(lone, day, "new_partner")

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
        self._log(young, day, "left_home")

    def set_up_home(self, people: np.ndarray, stay_in_la: float, m_start: int, days: int) -> tuple[np.ndarray, np.ndarray]:
        """Move people out to homes of their own, mostly in the same LA; returns who moved and when."""
        rng, H = self.rng, self.H
        old = self.P.household[people]
        la = self.gaz.la_index[H.prop[old]]
        la = np.where(rng.random(len(people)) < stay_in_la, la, rng.integers(0, len(self.config.local_authorities), len(people))).astype(np.int8)
        props = self.take_vacant(la)
        found = props >= 0
        people, old, props = people[found], old[found], props[found]
        day = self._day_in_month(m_start, days, len(people))
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
        day = self._day_in_month(m_start, days, len(hh))
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

    # --- children's social care ------------------------------------------------------------------
    def referrals(self, m_start: int, days: int, m_next: int) -> None:
        P, H, rng = self.P, self.H, self.rng
        self._grow()
        present = P.view("present") & (P.view("household") >= 0)
        age = self.age(np.arange(P.n), m_start)
        kids = np.flatnonzero(present & (age >= 0) & (age < 17.5) & (self.cin_open_until[: P.n] < m_start))
        hh = P.household[kids]
        kids, hh = kids[H.kind[hh] == KIND_PRIVATE], hh[H.kind[hh] == KIND_PRIVATE]
        rate = (
            REFERRAL_RATE
            * np.exp(0.8 * H.hardship[hh])
            * (1 + 1.5 * H.domestic_abuse[hh] + 0.8 * H.mental_health[hh] + 1.0 * H.substance_misuse[hh])
            * np.where(age[kids] < 1, 1.6, 1.0)
            * days
            / 365.0
        )
        chosen = rng.random(len(kids)) < rate
        kids, hh = kids[chosen], hh[chosen]
        if len(kids):
            self._plan_cin(kids, hh, self._day_in_month(m_start, days, len(kids)), m_next)

    def _plan_cin(self, kids: np.ndarray, hh: np.ndarray, ref: np.ndarray, m_next: int) -> None:
        """Lay out each referral's whole course at once: assessment, s47, plan, care, closure."""
        rng, H, P = self.rng, self.H, self.P
        n = len(kids)
        ref = ref.astype(np.int64)
        age = (ref - P.dob[kids]) / DAYS_PER_YEAR
        hard = H.hardship[hh]
        da, mh, sub = H.domestic_abuse[hh], H.mental_health[hh], H.substance_misuse[hh]
        female = P.sex[kids] == FEMALE
        nfa = rng.random(n) < 0.08
        assessed = ~nfa & (rng.random(n) < 0.93)
        ass_start = ref + rng.integers(0, 8, n)
        ass_auth = ass_start + rng.integers(5, 46, n)
        s47 = assessed & (rng.random(n) < sigmoid(-1.4 + 0.4 * hard + 0.8 * da + 0.4 * sub))
        s47_day = ass_start + rng.integers(0, 15, n)
        icpc = s47 & (rng.random(n) < 0.55)
        icpc_day = s47_day + rng.integers(5, 16, n)
        cpp = icpc & (rng.random(n) < 0.85)
        cpp_len = (30 + rng.gamma(2.0, 140, n)).astype(np.int64)
        cpp_end = icpc_day + cpp_len
        lac = (cpp & (rng.random(n) < 0.16)) | (assessed & ~cpp & (rng.random(n) < 0.015 + 0.04 * (age >= 13)))
        lac_start = np.where(cpp, icpc_day + (rng.random(n) * cpp_len).astype(np.int64), ass_auth + rng.integers(0, 60, n))
        lac_start = np.maximum(lac_start, m_next)
        cpp_end = np.where(lac & cpp, np.minimum(cpp_end, lac_start), cpp_end)
        teen_accommodated = (age >= 13) & ~cpp
        lac_len = np.where(teen_accommodated, 14 + rng.gamma(1.5, 120, n), 30 + rng.gamma(1.3, 420, n)).astype(np.int64)
        eighteen = (P.dob[kids] + np.round(18 * DAYS_PER_YEAR)).astype(np.int64)
        lac_end = np.minimum(lac_start + lac_len, eighteen)
        lac = lac & (lac_end > lac_start + 1)
        plan = assessed & ~cpp & ~lac & (rng.random(n) < 0.55)
        plan_end = ass_auth + (20 + rng.gamma(2.0, 100, n)).astype(np.int64)
        closure = np.select(
            [nfa, lac, cpp, plan, assessed],
            [ref + rng.integers(0, 5, n), lac_end + rng.integers(0, 30, n), cpp_end + rng.integers(0, 120, n), plan_end, ass_auth],
            ref + rng.integers(1, 30, n),
        )
        reason = np.select(
            [nfa, lac | cpp | plan, assessed],
            [np.full(n, "RC8", dtype=object), draw_codes(rng, codes.CIN_REASON_FOR_CLOSURE[4:7], n), np.where(rng.random(n) < 0.55, "RC8", "RC9")],
            "RC7",
        )
        need = np.where(cpp | s47, "N1", draw_codes(rng, codes.CIN_PRIMARY_NEED, n))
        factors = self._factors(n, assessed, age, female, hard, da, mh, sub)
        category = draw_codes(rng, codes.CATEGORY_OF_ABUSE, n)
        latest = np.where(rng.random(n) < 0.9, category, draw_codes(rng, codes.CATEGORY_OF_ABUSE, n))
        self.cin_open_until[kids] = closure
        self._cin.append(
            {
                "child": kids.astype(np.int32),
                "referral": ref,
                "source": draw_codes(rng, codes.CIN_REFERRAL_SOURCE, n),
                "primary_need": need,
                "nfa": nfa,
                "assessed": assessed,
                "assessment_start": ass_start,
                "assessment_auth": ass_auth,
                "factors": factors,
                "plan": plan | (cpp & ~lac),
                "plan_start": np.where(plan, ass_auth, cpp_end),
                "plan_end": np.where(plan, plan_end, closure),
                "s47": s47,
                "s47_day": s47_day,
                "icpc": icpc,
                "icpc_day": icpc_day,
                "cpp": cpp,
                "cpp_start": icpc_day,
                "cpp_end": cpp_end,
                "category": category,
                "latest_category": latest,
                "closure": closure,
                "closure_reason": reason,
                "lac": lac,
                "lac_start": lac_start,
                "lac_end": lac_end,
            }
        )
        for i in np.flatnonzero(lac):
            self._plan_care(int(kids[i]), int(lac_start[i]), int(lac_end[i]), int(lac_end[i] >= eighteen[i]), age[i], bool(cpp[i]), str(need[i]), int(ref[i]))

    def _factors(self, n, assessed, age, female, hard, da, mh, sub) -> np.ndarray:
        rng = self.rng
        teen = age >= 11
        probs = {
            "3B": 0.85 * da,
            "3A": 0.3 * da,
            "4B": 0.75 * mh,
            "1B": 0.5 * sub,
            "2B": 0.6 * sub,
            "4A": 0.12 * teen,
            "8E": teen * sigmoid(-3.0 + 0.5 * hard + 0.9 * female),
            "8D": 0.07 * teen,
            "9A": teen * 0.05 * ~female,
            "22A": teen * sigmoid(-3.2 + 0.5 * hard + 0.8 * ~female),
            "8F": 0.006 * teen,
            "11A": 0.06 * teen,
            "12A": 0.3 + 0 * age,
            "13A": 0.22 + 0 * age,
            "14A": 0.08 + 0 * age,
            "15A": 0.03 + 0 * age,
            "6A": 0.05 + 0 * age,
            "5A": 0.04 + 0 * age,
            "7A": 0.03 + 0 * age,
            "4C": 0.03 + 0 * age,
        }
        names = np.array(list(probs), dtype=object)
        hits = np.column_stack([rng.random(n) < np.asarray(p, dtype=float) for p in probs.values()])
        out = np.full(n, "", dtype=object)
        for i in np.flatnonzero(assessed):
            chosen = names[hits[i]]
            out[i] = ",".join(chosen) if len(chosen) else "21"
        return out

    def _plan_care(self, child: int, start: int, end: int, aged_out: int, age: float, cpp: bool, need: str, ref: int) -> None:
        rng = self.rng
        k = 1 + min(int(rng.poisson(0.8)), 4)
        cuts = np.sort(rng.integers(start + 1, max(start + 2, end), size=k - 1)) if k > 1 else np.array([], dtype=np.int64)
        bounds = np.unique(np.r_[start, cuts, end])
        older_without_plan = age >= 13 and not cpp
        legal = rng.choice(["V2", "L1", "J1"], p=[0.8, 0.12, 0.08]) if older_without_plan else rng.choice(["C1", "V2", "L2", "L1"], p=[0.5, 0.35, 0.1, 0.05])
        period = self._periods
        self._periods += 1
        for j in range(len(bounds) - 1):
            decom, dec = int(bounds[j]), int(bounds[j + 1])
            age_now = age + (decom - start) / DAYS_PER_YEAR
            if j == 0:
                rne = "S"
            else:
                rne = str(rng.choice(["P", "L", "U", "T"], p=[0.6, 0.25, 0.1, 0.05]))
                if rne in ("L", "U"):
                    legal = {"C1": "C2", "V2": "C2", "L1": "V2", "L2": "C1", "J1": "V2"}.get(legal, "E1" if age_now < 5 else legal)
            place = self._placement_code(age_now)
            if j > 0 and rne in ("L",):
                place = self._lac_rows[-1]["place"]
            last = j == len(bounds) - 2
            rec = self._reason_ceased(age_now, end - start, aged_out, legal) if last else "X1"
            self._lac_rows.append(
                {
                    "period": period,
                    "child": child,
                    "decom": decom,
                    "dec": dec,
                    "rne": rne,
                    "ls": legal,
                    "cin": need if need != "N9" else "N1",
                    "place": place,
                    "place_provider": self._provider(place),
                    "rec": rec,
                    "reason_place_change": "",
                    "placement_prop": -1,
                    "home_prop": -1,
                    "referral": ref,
                }
            )
            row = len(self._lac_rows) - 1
            if j > 0 and rne != "L":
                self._lac_rows[row - 1]["reason_place_change"] = str(draw_codes(rng, codes.REASON_PLACE_CHANGE, 1)[0])
            self._pending.append((decom, row, "place" if rne != "L" else "legal"))
            if last:
                self._pending.append((dec, row, "end"))

    def _placement_code(self, age: float) -> str:
        rng = self.rng
        if age < 1:
            return str(rng.choice(["U6", "U4", "U3", "R3", "A6"], p=[0.5, 0.2, 0.15, 0.1, 0.05]))
        if age < 11:
            return str(rng.choice(["U6", "U4", "U3", "U1", "P1", "A6", "K2"], p=[0.38, 0.25, 0.12, 0.08, 0.08, 0.05, 0.04]))
        if age < 16:
            return str(rng.choice(["U6", "U4", "K2", "U3", "P1", "K1"], p=[0.35, 0.25, 0.22, 0.08, 0.08, 0.02]))
        return str(rng.choice(["H5", "K2", "U6", "U4", "P2"], p=[0.35, 0.25, 0.2, 0.15, 0.05]))

    @staticmethod
    def _provider(place: str) -> str:
        if place == "P1":
            return "PR0"
        if place in ("K2", "H5", "K1"):
            return "PR4" if place != "K1" else "PR1"
        return "PR1" if place[0] in "UA" else "PR4"

    def _reason_ceased(self, age_end: float, length: int, aged_out: int, legal: str) -> str:
        rng = self.rng
        if aged_out:
            return str(rng.choice(["E5", "E6", "E8"], p=[0.55, 0.3, 0.15]))
        if legal == "J1":
            return "E14"
        if age_end < 5 and length > 300:
            return str(rng.choice(["E11", "E12", "E45", "E46", "E4A"], p=[0.3, 0.3, 0.15, 0.1, 0.15]))
        return str(rng.choice(["E4A", "E4B", "E41", "E45", "E46", "E8", "E13", "E9"], p=[0.5, 0.1, 0.08, 0.08, 0.08, 0.1, 0.03, 0.03]))

    def care_events(self, m_start: int, m_next: int) -> None:
        """Carry out the placements, legal changes and endings of care that fall in this month."""
        due = sorted(e for e in self._pending if m_start <= e[0] < m_next and e[0] < self.end_day)
        self._pending = [e for e in self._pending if e[0] >= m_next]
        P, H = self.P, self.H
        for day, row_index, action in due:
            row = self._lac_rows[row_index]
            child = row["child"]
            if not P.present[child] or P.household[child] < 0:
                continue
            current = int(P.household[child])
            if action == "legal":
                row["placement_prop"] = self._lac_rows[row_index - 1]["placement_prop"]
                continue
            if action == "place":
                if row["rne"] == "S":
                    row["home_prop"] = int(H.prop[current])
                target = self._placement_household(child, row["place"], current)
                if target != current:
                    self.relocate(np.array([child]), target, day)
                row["placement_prop"] = int(H.prop[target])
                self._log(np.array([child]), day, "placed")
            else:
                target = self._household_after_care(child, row["rec"], current)
                if target != current:
                    self.relocate(np.array([child]), target, day)
                self._log(np.array([child]), day, "left_care")

    def _la_of(self, household: int) -> int:
        return int(self.gaz.la_index[self.H.prop[household]])

    def _pick(self, kind: int, la: int) -> int:
        H = self.H
        pool = np.flatnonzero((H.view("kind") == kind) & H.view("active"))
        local = pool[self.gaz.la_index[H.prop[pool]] == la]
        return int(self.rng.choice(local if len(local) else pool))

    def _family_household(self, child: int) -> int:
        P = self.P
        for parent in (P.mother[child], P.father[child]):
            if parent >= 0 and P.present[parent] and P.household[parent] >= 0 and self.H.kind[P.household[parent]] == KIND_PRIVATE:
                return int(P.household[parent])
        return -1

    def _kin_household(self, child: int) -> int:
        P = self.P
        mother = P.mother[child]
        grandma = P.mother[mother] if mother >= 0 else -1
        for kin in (grandma, P.father[child]):
            if kin >= 0 and P.present[kin] and P.household[kin] >= 0 and P.household[kin] != P.household[child]:
                return int(P.household[kin])
        return -1

    def _alone(self, current: int) -> int:
        props = self.take_vacant(np.array([self._la_of(current)], dtype=np.int8))
        if props[0] < 0:
            return current
        return int(self.new_households(props, np.array([current]))[0])

    def _placement_household(self, child: int, place: str, current: int) -> int:
        la = self._la_of(current)
        if place in _HOME:
            family = self._family_household(child)
            return family if family >= 0 else current
        if place in _KIN:
            kin = self._kin_household(child)
            return kin if kin >= 0 else self._pick(KIND_FOSTER, la)
        if place in _FOSTER:
            return self._pick(KIND_FOSTER, la)
        if place in _INDEPENDENT:
            return self._alone(current)
        return self._pick(KIND_INSTITUTION, la)

    def _household_after_care(self, child: int, rec: str, current: int) -> int:
        if rec in _RETURN_HOME:
            family = self._family_household(child)
            return family if family >= 0 else current
        if rec in _TO_KIN:
            kin = self._kin_household(child)
            return kin if kin >= 0 else current
        if rec in _ALONE:
            return self._alone(current) if self.H.kind[current] != KIND_PRIVATE or self._family_household(child) == current else current
        if rec in _CUSTODY:
            return self._pick(KIND_INSTITUTION, self._la_of(current))
        if self.H.kind[current] == KIND_INSTITUTION:
            return self._pick(KIND_FOSTER, self._la_of(current))
        return current

    # --- results ------------------------------------------------------------------------------
    def history(self) -> History:
        def frame(chunks: list[dict], schema: dict) -> pl.DataFrame:
            if not chunks:
                return pl.DataFrame(schema=schema)
            return pl.concat([pl.DataFrame({k: np.asarray(v) for k, v in c.items()}) for c in chunks], how="vertical_relaxed")

        spells = frame(self._spells, {"person": pl.Int32, "household": pl.Int32, "prop": pl.Int32, "start": pl.Int32, "end": pl.Int32})
        spells = spells.filter(pl.col("end") > pl.col("start")).with_columns(
            pl.when(pl.col("end") >= self.end_day).then(None).otherwise(pl.col("end")).alias("end")
        )
        lac = pl.DataFrame(self._lac_rows) if self._lac_rows else pl.DataFrame()
        spells = spells.sort("person", "start").with_columns(pl.col("prop").shift(1).over("person").alias("prev_prop"))
        return History(
            spells=spells.sort("start"),
            births=frame(self._births, {"child": pl.Int32, "mother": pl.Int32, "father": pl.Int32, "day": pl.Int32}),
            cin=frame(self._cin, {}),
            lac=lac,
            life_events=frame(self._events, {"person": pl.Int32, "day": pl.Int32, "event": pl.Utf8}),
        )
