"""Children's social care: referrals, child-in-need episodes, protection plans and periods looked after.

Each referral's whole course is laid out when it is made; the placements and endings of care
are then carried out month by month, moving children between households through the household
simulation, so household spells stay the one record of where every child lived.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import numpy as np

import code_lists as codes
from code_lists import ssda903 as spec

from .early_help import EarlyHelp
from .formats import weekday
from .population import DAYS_PER_YEAR, FEMALE, KIND_FOSTER, KIND_INSTITUTION, KIND_PRIVATE, draw_codes, sigmoid

if TYPE_CHECKING:
    from .dynamics import Simulation

REFERRAL_RATE = 0.028  # children referred per year at average hardship, before family stresses
CARE_STREAM = 903  # the periods of care's random stream, beside the world's seed

# Placement codes grouped by where the child goes.
_KIN = {"U1", "U2", "U3"}
_FOSTER = {"U4", "U5", "U6", "A3", "A4", "A5", "A6"}
_INDEPENDENT = {"H5", "P2"}
_HOME = {"P1"}
_RETURN_HOME = {"E4A", "E4B", "E13", "E41", "E8", "E14", "E15", "E3", "E7"}
_TO_KIN = {"E46", "E48"}
_ALONE = {"E5", "E6"}
_CUSTODY = {"E9"}
_FOSTER_CARE = ("U4", "U5", "U6")  # with foster carers who are not relatives or friends
_FOSTERING = ("U1", "U2", "U3", *_FOSTER_CARE)  # the placements a special guardianship order can end (rule 516)
_LONG_TERM_OF = {"U6": "U4", "U3": "U1"}  # a short-term foster placement its carers take on long term
_REASON_NEW_CARER = tuple(c for c in codes.REASON_PLACE_CHANGE if c.code != "PLACE")


# Codes the DfE added for the 2022-23 collection (CIN_schema_2023.xsd): referral source 5D (early
# help) and closure reason RC9 (closed after assessment, referred to early help).
_FIRST_RC9_DAY = (date(2022, 4, 1) - date(1970, 1, 1)).days


def _referral_source(drawn: np.ndarray, referral: np.ndarray) -> np.ndarray:
    """Before 5D existed an early-help referral was recorded as another internal LA service (5B)."""
    return np.where((drawn == "5D") & (referral < _FIRST_RC9_DAY), "5B", drawn).astype(object)


def _next_working_day(days: np.ndarray) -> np.ndarray:
    """Saturdays and Sundays move to the Monday: conferences sit on working days (DfE rule 8875)."""
    day_of_week = weekday(days)
    return days + np.where(day_of_week >= 5, 7 - day_of_week, 0)


def _choose(rng: np.random.Generator, weights: dict[str, float]) -> str:
    """One code drawn by its weight."""
    p = np.array(list(weights.values()))
    return str(rng.choice(list(weights), p=p / p.sum()))


class SocialCare:
    """The care side of the simulation, driven by ``Simulation.run`` once a month.

    It reads the simulation's people and households and moves children only through the
    simulation (``relocate``, ``take_vacant``, ``new_households``, ``log``). Referrals and their
    CIN course draw from the simulation's random generator, so the order of those calls within the
    month is part of the output; periods of care draw from ``care_rng``.
    """

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.rng, self.P, self.H, self.gaz = sim.rng, sim.P, sim.H, sim.gaz
        # The periods of care (episodes, placements, endings) draw from a stream of their own, so
        # refining the episode simulation does not reshuffle the referrals or the population.
        self.care_rng = np.random.default_rng([sim.config.seed, CARE_STREAM])
        self.cin_chunks: list[dict[str, np.ndarray]] = []  # child-in-need episodes, a chunk per month
        self.lac_rows: list[dict[str, object]] = []  # one row per SSDA903 episode
        self.cin_open_until = np.zeros(self.P.n, dtype=np.int64)
        self._pending: list[tuple[int, int, str]] = []  # (day, lac row, action)
        self._periods = 0
        self._looked_after: set[int] = set()  # children who have had a period of care
        self._uasc: set[int] = set()  # unaccompanied asylum-seeking children
        self.early_help = EarlyHelp(sim)

    def _grow(self) -> None:
        """Make room for the children born since the last referrals."""
        if len(self.cin_open_until) < self.P.n:
            self.cin_open_until = np.concatenate([self.cin_open_until, np.zeros(self.P.n - len(self.cin_open_until), dtype=np.int64)])

    def referrals(self, m_start: int, days: int, m_next: int) -> None:
        """This month's referrals, likelier in hardship and family stress; an open case is not re-referred.
        A child in early help's outcome window is referred only by the outcome drawn for the episode; then
        this month's early help episodes begin."""
        P, H, rng = self.P, self.H, self.rng
        self._grow()
        present = P.view("present") & (P.view("household") >= 0)
        age = self.sim.age(np.arange(P.n), m_start)
        kids = np.flatnonzero(present & (age >= 0) & (age < 17.5) & (self.cin_open_until[: P.n] < m_start))
        kids = kids[~self.early_help.held(kids, m_start)]
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
        ref = self.sim.day_in_month(m_start, days, len(kids)).astype(np.int64)
        due, due_day = self.early_help.due_referrals(m_start, m_next)
        due_hh = P.household[due]
        still_here = P.present[due] & (due_hh >= 0) & (H.kind[np.maximum(due_hh, 0)] == KIND_PRIVATE) & (self.cin_open_until[due] < due_day)
        kids, hh, ref = np.concatenate([kids, due[still_here]]), np.concatenate([hh, due_hh[still_here]]), np.concatenate([ref, due_day[still_here]])
        if len(kids):
            self._plan_cin(kids, hh, ref, m_next)
        self.early_help.start_episodes(m_start, days, m_next, self.cin_open_until)

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
        icpc_day = _next_working_day(s47_day + rng.integers(5, 16, n))
        # The assessment an S47 enquiry belongs to is authorised once the enquiry has reached its
        # initial conference (or, without one, has begun), so every return that sends the enquiry
        # also sends its assessment (DfE rule 2991Q).
        ass_auth = np.where(icpc, np.maximum(ass_auth, icpc_day), np.where(s47, np.maximum(ass_auth, s47_day), ass_auth))
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
        # After a protection plan the case steps down to a CIN plan for at least a day before it closes
        # (a plan starting and ending on one day is DfE query 4012Q).
        closure = np.select(
            [nfa, lac, cpp, plan, assessed],
            [ref + rng.integers(0, 5, n), lac_end + rng.integers(0, 30, n), cpp_end + rng.integers(1, 121, n), plan_end, ass_auth],
            ref + rng.integers(1, 30, n),
        )
        # A case closes on or after every activity in it (DfE rule 8565): an S47 enquiry or a
        # conference can fall after the assessment that would otherwise have closed it.
        never = np.full(n, np.iinfo(np.int64).min)
        last_activity = np.maximum.reduce(
            [np.where(assessed, ass_auth, never), np.where(s47, s47_day, never), np.where(icpc, icpc_day, never), np.where(cpp, cpp_end, never)]
        )
        closure = np.maximum(closure, last_activity)
        # Closure reasons consistent with the activity (DfE rules 8825Q, 2990): RC8/RC9 (closed after
        # assessment) only for an assessment with nothing after it; RC9 exists from the 2022-23 collection.
        activity = lac | cpp | plan | s47
        after_assessment = np.where((rng.random(n) < 0.55) | (closure < _FIRST_RC9_DAY), "RC8", "RC9")
        reason = np.select(
            [nfa, activity, assessed],
            [np.full(n, "RC7", dtype=object), draw_codes(rng, codes.CIN_REASON_FOR_CLOSURE[4:7], n), after_assessment],
            "RC7",
        )
        need = np.where(cpp | s47, "N1", draw_codes(rng, codes.CIN_PRIMARY_NEED, n))
        factors = self._factors(n, assessed, age, female, hard, da, mh, sub)
        # "No factors identified" (21) closes as RC8/RC9 (rule 8873Q): an assessment that led on found something.
        factors = np.where(activity & (factors == "21"), "20", factors)
        category = draw_codes(rng, codes.CATEGORY_OF_ABUSE, n)
        latest = np.where(rng.random(n) < 0.9, category, draw_codes(rng, codes.CATEGORY_OF_ABUSE, n))
        self.cin_open_until[kids] = closure
        self.early_help.step_down(kids, closure, reason)
        self.cin_chunks.append(
            {
                "child": kids.astype(np.int32),
                "referral": ref,
                "source": _referral_source(draw_codes(rng, codes.CIN_REFERRAL_SOURCE, n), ref),
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
        """Lay out one period of care as episodes: a legal path and a placement path, each episode
        starting where either changes, with the reason for the new episode saying which did (rules
        434-436: L legal status only; P placement and carer; T placement, same carer; U both, new
        carer; B both, same carer)."""
        rng = self.care_rng
        # A few children first coming into care aged 14 or over stand for the unaccompanied asylum
        # seekers; the status stays with the child.
        uasc = child in self._uasc or bool(child not in self._looked_after and age >= 14 and not cpp and child % 12 == 0)
        self._looked_after.add(child)
        if uasc:
            self._uasc.add(child)
        legal, adoption_day = self._legal_path(start, end, age, cpp, uasc)
        placements = self._placement_path(start, end, age, legal, adoption_day)
        days = sorted({day for day, _ in legal} | {day for day, *_ in placements})
        legal_on = dict(legal)
        placed_on = {day: (place, provider, same_carer) for day, place, provider, same_carer in placements}
        period = self._periods
        self._periods += 1
        ls, place, provider = "", "", ""
        for j, decom in enumerate(days):
            dec = days[j + 1] if j + 1 < len(days) else end
            legal_changed, placement_changed = decom in legal_on, decom in placed_on
            ls = legal_on.get(decom, ls)
            same_carer = False
            if placement_changed:
                place, provider, same_carer = placed_on[decom]
            if j == 0:
                rne, action = "S", "place"
            elif not placement_changed:
                rne, action = "L", "legal"
            elif legal_changed:
                rne, action = ("B", "same_carer") if same_carer else ("U", "place")
            else:
                rne, action = ("T", "same_carer") if same_carer else ("P", "place")
            last = j == len(days) - 1
            self.lac_rows.append(
                {
                    "period": period,
                    "child": child,
                    "decom": decom,
                    "dec": dec,
                    "rne": rne,
                    "ls": ls,
                    "cin": need if need != "N9" else "N1",
                    "place": place,
                    "place_provider": provider,
                    "rec": self._reason_ceased(age + (end - start) / DAYS_PER_YEAR, aged_out, ls, place, adoption_day is not None, uasc) if last else "X1",
                    "reason_place_change": "",
                    "placement_prop": -1,
                    "home_prop": -1,
                    "uasc": uasc,
                    "referral": ref,
                }
            )
            row = len(self.lac_rows) - 1
            if placement_changed and j > 0:
                # A placement that ends in a change of placement records why (rule 225); a change of
                # placement type with the same carers is a change in the status of the placement.
                why = "PLACE" if same_carer else str(draw_codes(rng, _REASON_NEW_CARER, 1)[0])
                self.lac_rows[row - 1]["reason_place_change"] = why
            self._pending.append((decom, row, action))
            if last:
                self._pending.append((dec, row, "end"))

    def _legal_path(self, start: int, end: int, age: float, cpp: bool, uasc: bool) -> tuple[list[tuple[int, str]], int | None]:
        """(day, legal status) changes of a period of care, and the day of its adoption placement if
        it ends in adoption. Emergency statuses are short (Children Act 1989 ss. 44 and 46): police
        protection ends within 72 hours (rule 361), an emergency protection order within 8 days plus
        at most one extension of 7 (rule 362 allows 21); then the child is accommodated under s. 20
        (V2) or the court makes an interim care order (C1), a full care order (C2) some 26 weeks on,
        or, for a young child whose plan is adoption, a placement order (E1) before the adoption
        placement (rule 408)."""
        rng = self.care_rng
        if uasc:  # an unaccompanied child is accommodated under s. 20 throughout
            return [(start, "V2")], None
        teen = age >= 13 and not cpp
        first = str(rng.choice(["V2", "L1", "J1"], p=[0.8, 0.12, 0.08]) if teen else rng.choice(["C1", "V2", "L2", "L1"], p=[0.5, 0.35, 0.1, 0.05]))
        path = [(start, first)]
        if first == "J1":  # remanded: the period is the remand
            return path, None
        day, status = start, first
        if first == "L1":
            day, status = start + int(rng.integers(1, 4)), "V2" if teen or rng.random() < 0.6 else "C1"
        elif first == "L2":
            day, status = start + int(rng.integers(3, 16)), "C1"
        if day > start:
            if day >= end:
                return path, None
            path.append((day, status))
        adoption = age < 5 and end - start >= 420 and rng.random() < 0.75
        if status == "V2" and (adoption or rng.random() < (0.08 if teen else 0.5)):
            proceedings = day + 7 + int(rng.random() * max(1, (end - day) // 2 - 7))
            if proceedings < end - 7:
                day, status = proceedings, "C1"
                path.append((day, status))
        if status != "C1":
            return path, None
        if adoption:
            placed = end - int(rng.integers(70, 250))  # an adoption order needs 10 weeks' placement first
            order = placed - int(rng.integers(40, 200))  # the placement order, then matching
            if order > day + 90:
                if order - day > 300 and rng.random() < 0.3:
                    path.append((day + int(rng.integers(120, 270)), "C2"))
                path.append((order, "E1"))
                return path, placed
        full_order = day + int(rng.integers(120, 270))
        if full_order < end - 7:
            path.append((full_order, "C2"))
        return path, None

    def _placement_path(self, start: int, end: int, age: float, legal: list[tuple[int, str]], adoption_day: int | None) -> list[tuple[int, str, str, bool]]:
        """(day, placement, provider, same carers) changes of a period of care. A child whose plan
        is adoption stays with the foster carers from the placement order until placed for adoption,
        with them (A5, RNE T: rule 217) or with new adopters (A6)."""
        rng = self.care_rng
        last_move = end if adoption_day is None else legal[-1][0]
        moves = min(int(rng.poisson(0.8)), 4)
        days = rng.integers(start + 1, max(start + 2, last_move), size=moves)
        if legal[0][1] in ("L1", "L2") and len(legal) > 1 and rng.random() < 0.4:
            days = np.r_[days, legal[1][0]]  # moved on from the emergency placement as the emergency ends
        status_days = np.array([d for d, _ in legal])
        statuses = [ls for _, ls in legal]
        place = self._placement_code(age, statuses[0], "", adoption=adoption_day is not None)
        path = [(start, place, self._provider(place), False)]
        for day in (int(d) for d in np.unique(days) if d < last_move):
            age_now = age + (day - start) / DAYS_PER_YEAR
            if place in _LONG_TERM_OF and rng.random() < 0.25:  # the same carers become long-term carers
                place = _LONG_TERM_OF[place]
                path.append((day, place, path[-1][2], True))
            else:
                legal_now = statuses[int(np.searchsorted(status_days, day, side="right")) - 1]
                place = self._placement_code(age_now, legal_now, place, adoption=adoption_day is not None)
                path.append((day, place, self._provider(place), False))
        if adoption_day is not None:
            with_carers = place in _FOSTER_CARE and rng.random() < 0.2
            adopters = "A5" if with_carers else "A6"
            path.append((adoption_day, adopters, path[-1][2] if with_carers else self._provider(adopters), with_carers))
        return path

    def _placement_code(self, age: float, legal: str, previous: str, adoption: bool) -> str:
        """A placement for the child's age. Placement with parents (P1) is a placement of a child
        in care under a care order (the Placement with Parents Regulations; rule 378 bars it under
        s. 20), after time elsewhere (`previous` is the placement before, "" for the first); not for
        a child whose plan is adoption."""
        rng = self.care_rng
        if age < 1:
            options = {"U6": 0.55, "U4": 0.15, "U3": 0.15, "R3": 0.1, "U5": 0.05}
        elif age < 11:
            options = {"U6": 0.4, "U4": 0.25, "U3": 0.12, "U1": 0.1, "K2": 0.04, "P1": 0.09}
        elif age < 16:
            options = {"U6": 0.33, "U4": 0.24, "K2": 0.2, "U3": 0.08, "P1": 0.09, "K1": 0.02, "U1": 0.04}
        else:
            options = {"H5": 0.35, "K2": 0.25, "U6": 0.2, "U4": 0.15, "P2": 0.05}
        if previous in ("", "P1") or adoption or legal not in ("C1", "C2"):
            options.pop("P1", None)
        if adoption:  # a child whose plan is adoption waits with foster carers, never in a children's home
            options = {code: weight for code, weight in options.items() if code.startswith("U")}
        return _choose(rng, options)

    def _provider(self, place: str) -> str:
        """Who provides the placement: parents (PR0, only for P1: rule 550); the LA's own foster
        carers (PR1) or an agency's for fostering; the LA's adoption service or a voluntary agency for
        adoption; private or voluntary providers otherwise (own provision, PR1, outside fostering
        and adoption must lie in the LA's area: rule 1015)."""
        rng = self.care_rng
        if place == "P1":
            return "PR0"
        if place in _KIN:
            return "PR1"  # connected carers are approved by the LA itself
        if place in _FOSTER_CARE:
            return str(rng.choice(["PR1", "PR4", "PR5"], p=[0.65, 0.3, 0.05]))
        if place in spec.ADOPTION_PLACEMENTS:
            return str(rng.choice(["PR1", "PR5"], p=[0.75, 0.25]))
        if place == "K1":
            return "PR2"  # secure children's homes are run by a few LAs for all
        return str(rng.choice(["PR4", "PR5"], p=[0.8, 0.2]))

    def _reason_ceased(self, age_end: float, aged_out: int, legal: str, place: str, adopted: bool, uasc: bool) -> str:
        """Why the period ended, consistent with the episode it ended in: adoption from an adoption
        placement (rule 390); a special guardianship order only from a foster placement (rule 516);
        independent living from 16 (rule 387)."""
        rng = self.care_rng
        if adopted:
            return str(rng.choice(["E12", "E11"], p=[0.7, 0.3]))
        if aged_out:
            return str(rng.choice(["E5", "E6", "E8"], p=[0.55, 0.3, 0.15]))
        if legal == "J1":
            return "E14"
        if uasc:
            return "E8"
        weights = {"E4A": 30.0, "E4B": 7.0, "E13": 3.0, "E41": 6.0, "E8": 12.0}
        if place in _FOSTERING:
            weights |= {"E45": 10.0, "E46": 8.0}
        if age_end >= 12:
            weights["E9"] = 2.0
        if age_end >= 16:
            weights |= {"E5": 6.0, "E6": 3.0}
        return _choose(rng, weights)

    def care_events(self, m_start: int, m_next: int) -> None:
        """Carry out the placements, legal changes and endings of care that fall in this month.

        Every episode of a period records the home the child left when the period began (the 903's
        home postcode); a change of legal status alone keeps the placement as it was (rule 434), a
        change of placement with the same carers keeps the household, and a new carer is found at
        another postcode than the home and the last placement (rules 392d and 435)."""
        due = sorted(e for e in self._pending if m_start <= e[0] < m_next and e[0] < self.sim.end_day)
        self._pending = [e for e in self._pending if e[0] >= m_next]
        P, H = self.P, self.H
        for day, row_index, action in due:
            row = self.lac_rows[row_index]
            child = row["child"]
            if not P.present[child] or P.household[child] < 0:
                continue
            current = int(P.household[child])
            previous = self.lac_rows[row_index - 1] if row["rne"] != "S" else None
            if action != "end":
                row["home_prop"] = int(H.prop[current]) if previous is None else previous["home_prop"]
            if action == "legal":
                row |= {key: previous[key] for key in ("place", "place_provider", "placement_prop")}
            elif action == "same_carer":
                row["placement_prop"] = int(H.prop[current])
            elif action == "place":
                avoid = {self.gaz.postcode[row["home_prop"]], self.gaz.postcode[H.prop[current]]}
                target = self._placement_household(child, row["place"], current, avoid)
                if target < 0:  # no parent to be placed with: placed with foster carers instead
                    row["place"], row["place_provider"] = "U6", self._provider("U6")
                    target = self._placement_household(child, "U6", current, avoid)
                if target != current:
                    self.sim.relocate(np.array([child]), target, day)
                row["placement_prop"] = int(H.prop[target])
                self.sim.log(np.array([child]), day, "placed")
            else:
                target = self._household_after_care(child, row["rec"], current)
                if target != current:
                    self.sim.relocate(np.array([child]), target, day)
                self.sim.log(np.array([child]), day, "left_care")

    def _la_of(self, household: int) -> int:
        return int(self.gaz.la_index[self.H.prop[household]])

    def _pick(self, kind: int, la: int, avoid: set[str]) -> int:
        """A household of the kind, in the LA where there is one, at none of the `avoid` postcodes."""
        H = self.H
        pool = np.flatnonzero((H.view("kind") == kind) & H.view("active"))
        pool = pool[~np.isin(self.gaz.postcode[H.prop[pool]], list(avoid))]
        recruited = kind == KIND_FOSTER and not len(pool)
        if recruited:  # a small world's few foster carers may all live at the avoided postcodes
            pool = self._couple_households(avoid)
        local = pool[self.gaz.la_index[H.prop[pool]] == la]
        chosen = int(self.care_rng.choice(local if len(local) else pool))
        if recruited:
            H.kind[chosen] = KIND_FOSTER
        return chosen

    def _couple_households(self, avoid: set[str]) -> np.ndarray:
        """Private households of a couple at none of the `avoid` postcodes: where the LA approves new foster carers
        when it has none left to place a child with, as the first carers were couple households."""
        P, H = self.P, self.H
        people = np.flatnonzero(P.view("present") & (P.view("household") >= 0) & (P.view("partner") >= 0))
        household = P.household[people]
        together = P.present[P.partner[people]] & (P.household[P.partner[people]] == household)
        couples = np.unique(household[together])
        couples = couples[(H.kind[couples] == KIND_PRIVATE) & H.active[couples]]
        return couples[~np.isin(self.gaz.postcode[H.prop[couples]], list(avoid))]

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
        props = self.sim.take_vacant(np.array([self._la_of(current)], dtype=np.int8))
        if props[0] < 0:
            return current
        return int(self.sim.new_households(props, np.array([current]))[0])

    def _placement_household(self, child: int, place: str, current: int, avoid: set[str]) -> int:
        """Where the placement is: the parents' household (-1 when there is none), a relative's, a
        foster or institutional household, or a home of the young person's own."""
        la = self._la_of(current)
        if place in _HOME:
            return self._family_household(child)
        if place in _KIN:
            kin = self._kin_household(child)
            return kin if kin >= 0 and self.gaz.postcode[self.H.prop[kin]] not in avoid else self._pick(KIND_FOSTER, la, avoid)
        if place in _FOSTER:
            return self._pick(KIND_FOSTER, la, avoid)
        if place in _INDEPENDENT:
            return self._alone(current)
        return self._pick(KIND_INSTITUTION, la, avoid)

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
            return self._pick(KIND_INSTITUTION, self._la_of(current), set())
        if self.H.kind[current] == KIND_INSTITUTION:
            return self._pick(KIND_FOSTER, self._la_of(current), set())
        return current
