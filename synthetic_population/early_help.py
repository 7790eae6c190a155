"""Early help: episodes of family support below the threshold of children's social care, the services
given in them, and one service with a known effect, for the evaluation to recover.

A family is offered early help at a rate rising with hardship and family stresses, or on stepping
down from a child-in-need case closed after assessment. In each episode a parenting programme is
given more often to families in deprived areas and to children known to social care in the past
year, and those same children are more often referred to social care within a year: the confounding
an evaluation must adjust for. The programme cuts that risk by `PARENTING_RISK_RATIO` and nothing
else matters to it; the ground truth keeps both potential outcomes of every episode.

Everything here draws from a stream of its own beside the world's seed. Children in an episode are
held out of the monthly referral hazard for `OUTCOME_WINDOW_DAYS` from its start: their referral (or
none) in that window is the outcome drawn here, made when its day comes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from code_lists import early_help as codes

from .population import DAYS_PER_YEAR, KIND_PRIVATE, draw_codes, sigmoid

if TYPE_CHECKING:
    from .dynamics import Simulation

EARLY_HELP_STREAM = 1616
# Children starting an episode per year at average hardship. English LAs report roughly 300-600
# early help episodes a year per 10,000 children (DfE has no national collection; this is an assumption
# in that range), more in deprived families and those under stress.
EARLY_HELP_RATE = 0.045
# Cases closed after assessment that step down to early help: most closed as RC9 ("referred to early
# help", from 2022-23), some of those closed as RC8 before RC9 existed. Assumptions.
STEP_DOWN_SHARE = {"RC9": 0.85, "RC8": 0.25}
OUTCOME_WINDOW_DAYS = 365
PRIOR_CARE_DAYS = 365  # "known to social care in the past year": a CIN episode open in the year before
EFFECT_SERVICE = "PARENT"  # the parenting programme: the one service whose effect is known
PARENTING_RISK_RATIO = 0.55  # the programme's effect on the risk of referral within the window
PARENTING_SESSIONS = 10  # weekly group sessions, as common evidence-based programmes run
PARENTING_WITHIN_DAYS = 21  # the programme starts within three weeks of the episode


def deprivation(imd_decile: np.ndarray) -> np.ndarray:
    """The area's deprivation on the scale household hardship takes from it: 0 at the middle decile."""
    return (5.5 - imd_decile) / 2.9


def parenting_propensity(dep: np.ndarray, prior_care: np.ndarray, age: np.ndarray) -> np.ndarray:
    """The chance an episode includes the programme: higher in deprived areas, for children known to
    social care, and for children under 11 (programmes are for parents of younger children). About a
    quarter of episodes get it, nine times the odds in the most deprived decile as in the least: places
    on a group programme are limited, and targeted rather than rationed to the neediest alone."""
    return sigmoid(-1.3 + 0.7 * dep + 0.9 * prior_care + 0.3 * (age < 11))


def referral_risk(dep: np.ndarray, prior_care: np.ndarray, age: np.ndarray) -> np.ndarray:
    """The risk of a referral to social care within the window without the programme."""
    return sigmoid(-1.4 + 1.1 * dep + 1.2 * prior_care + 0.2 * (age < 5))


class EarlyHelp:
    """The early help side of the month loop, called from `SocialCare`.

    It reads the simulation's people, households and areas, and hands back the referrals that fall due;
    it moves no one.
    """

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.P, self.H, self.gaz = sim.P, sim.H, sim.gaz
        self.rng = np.random.default_rng([sim.config.seed, EARLY_HELP_STREAM])
        self.held_until = np.zeros(self.P.n, dtype=np.int64)
        self._step_downs: list[tuple[np.ndarray, np.ndarray]] = []  # (children, start days) not yet begun
        self._due: list[tuple[np.ndarray, np.ndarray]] = []  # (children, referral days) drawn as outcomes
        self.episode_chunks: list[dict[str, np.ndarray]] = []
        self.service_chunks: list[dict[str, np.ndarray]] = []
        self._episodes = 0

    def _grow(self) -> None:
        if len(self.held_until) < self.P.n:
            self.held_until = np.concatenate([self.held_until, np.zeros(self.P.n - len(self.held_until), dtype=np.int64)])

    def held(self, kids: np.ndarray, day: int) -> np.ndarray:
        """Children whose referral in this window is the episode's outcome, not the monthly hazard's."""
        self._grow()
        return self.held_until[kids] > day

    def step_down(self, kids: np.ndarray, closure: np.ndarray, reason: np.ndarray) -> None:
        """Schedule early help for some children whose case closes after assessment."""
        share = np.select([reason == code for code in STEP_DOWN_SHARE], list(STEP_DOWN_SHARE.values()), 0.0)
        chosen = self.rng.random(len(kids)) < share
        if chosen.any():
            self._step_downs.append((kids[chosen], closure[chosen] + self.rng.integers(0, 8, chosen.sum())))

    def start_episodes(self, m_start: int, days: int, m_next: int, cin_open_until: np.ndarray) -> None:
        """This month's new episodes: offered by the hazard, or stepped down from a closed case."""
        P, H, rng = self.P, self.H, self.rng
        self._grow()
        present = P.view("present") & (P.view("household") >= 0)
        age = self.sim.age(np.arange(P.n), m_start)
        free = present & (age >= 0) & (age < 17.5) & (cin_open_until[: P.n] < m_start) & (self.held_until[: P.n] <= m_start)
        kids = np.flatnonzero(free)
        kids = kids[H.kind[P.household[kids]] == KIND_PRIVATE]
        hh = P.household[kids]
        rate = EARLY_HELP_RATE * np.exp(0.5 * H.hardship[hh]) * (1 + 1.0 * H.domestic_abuse[hh] + 0.8 * H.mental_health[hh] + 0.6 * H.substance_misuse[hh])
        offered = kids[rng.random(len(kids)) < rate * days / 365.0]
        offered_days = m_start + rng.integers(0, days, len(offered))
        stepped, stepped_days = self._take(self._step_downs, m_start, m_next)
        kids = np.concatenate([offered, stepped]).astype(np.int64)
        start = np.concatenate([offered_days, stepped_days]).astype(np.int64)
        ok = present[kids] & (H.kind[np.maximum(P.household[kids], 0)] == KIND_PRIVATE) & (cin_open_until[kids] <= start) & (self.held_until[kids] <= start)
        kids, start = kids[ok], start[ok]
        kids, first = np.unique(kids, return_index=True)  # one episode a child, the first drawn
        start = start[first]
        stepped_down = np.isin(kids, stepped) & ~np.isin(kids, offered)
        if len(kids):
            self._plan(kids, start, stepped_down, cin_open_until)

    def due_referrals(self, m_start: int, m_next: int) -> tuple[np.ndarray, np.ndarray]:
        """The outcome referrals that fall in this month (children, days)."""
        return self._take(self._due, m_start, m_next)

    @staticmethod
    def _take(pending: list[tuple[np.ndarray, np.ndarray]], m_start: int, m_next: int) -> tuple[np.ndarray, np.ndarray]:
        kids = np.concatenate([k for k, _ in pending]) if pending else np.zeros(0, dtype=np.int64)
        days = np.concatenate([d for _, d in pending]) if pending else np.zeros(0, dtype=np.int64)
        now = (days >= m_start) & (days < m_next)
        pending[:] = [(kids[days >= m_next], days[days >= m_next])] if (days >= m_next).any() else []
        return kids[now].astype(np.int64), days[now].astype(np.int64)

    def _plan(self, kids: np.ndarray, start: np.ndarray, stepped_down: np.ndarray, cin_open_until: np.ndarray) -> None:
        """Lay out each episode: its services, its outcome in the window and its end."""
        rng, P, H = self.rng, self.P, self.H
        n = len(kids)
        hh = P.household[kids]
        age = (start - P.dob[kids]) / DAYS_PER_YEAR
        imd = self.gaz.imd_decile[H.prop[hh]]
        dep = deprivation(imd)
        prior_care = stepped_down | (cin_open_until[kids] >= start - PRIOR_CARE_DAYS)
        treated = rng.random(n) < parenting_propensity(dep, prior_care, age)
        risk_untreated = referral_risk(dep, prior_care, age)
        risk_treated = risk_untreated * PARENTING_RISK_RATIO
        draw = rng.random(n)  # one draw for both potential outcomes: the programme only ever prevents a referral
        referred = draw < np.where(treated, risk_treated, risk_untreated)
        referral_day = start + rng.integers(30, OUTCOME_WINDOW_DAYS + 1, n)
        planned_end = start + (60 + rng.gamma(2.0, 60.0, n)).astype(np.int64)
        stepped_up = referred & (referral_day < planned_end)
        end = np.where(stepped_up, referral_day, planned_end)
        end_reason = np.where(stepped_up, codes.EARLY_HELP_STEP_UP, draw_codes(rng, codes.EARLY_HELP_END_REASON, n))
        ids = np.arange(self._episodes, self._episodes + n)
        self._episodes += n
        self.held_until[kids] = start + OUTCOME_WINDOW_DAYS
        if referred.any():
            self._due.append((kids[referred], referral_day[referred]))
        da, mh, sub = H.domestic_abuse[hh], H.mental_health[hh], H.substance_misuse[hh]
        self.episode_chunks.append(
            {
                "episode": ids,
                "child": kids.astype(np.int32),
                "start": start,
                "end": end,
                "end_reason": end_reason.astype(object),
                "reason": self._reason(age, da, mh, sub),
                "organisation": draw_codes(rng, codes.EARLY_HELP_ORGANISATION, n),
                "stepped_down": stepped_down,
                "imd_decile": imd,
                "prior_care": prior_care,
                "treated": treated,
                "risk_untreated": risk_untreated,
                "risk_treated": risk_treated,
                "referred_untreated": draw < risk_untreated,
                "referred_treated": draw < risk_treated,
                "referral_day": np.where(referred, referral_day, -1),
            }
        )
        self._services(ids, start, end, age, treated, da, mh, dep)

    def _reason(self, age: np.ndarray, da: np.ndarray, mh: np.ndarray, sub: np.ndarray) -> np.ndarray:
        """The need the episode was opened for, as the family's worker records it: the family's stress where
        there is one, else a need of the child's age."""
        rng = self.rng
        n = len(age)
        general = np.where(age >= 11, "Child's behaviour", np.where(age >= 5, "School attendance", "Parenting support"))
        general = np.where(rng.random(n) < 0.2, "Financial hardship or housing", general)
        return np.select(
            [da & (rng.random(n) < 0.8), mh & (rng.random(n) < 0.7), sub & (rng.random(n) < 0.7)],
            ["Domestic abuse", "Parental mental health", "Parental substance misuse"],
            general,
        ).astype(object)

    def _services(self, ids, start, end, age, treated, da, mh, dep) -> None:
        """The services of each episode: the parenting programme where given, key work for most, and the
        specialist help the family's needs call for. Only the programme affects the outcome."""
        rng = self.rng
        n = len(ids)
        wanted = {
            EFFECT_SERVICE: treated,
            "KEYWORK": rng.random(n) < 0.75,
            "DASUPPORT": da & (rng.random(n) < 0.6),
            "WELLBEING": mh & (rng.random(n) < 0.5),
            "YOUTH": (age >= 11) & (rng.random(n) < 0.35),
            "ATTENDANCE": (age >= 5) & (age < 16) & (rng.random(n) < 0.2),
            "EARLYYEARS": (age < 5) & (rng.random(n) < 0.4),
            "MONEY": rng.random(n) < sigmoid(-2.0 + 0.6 * dep),
        }
        for code, given in wanted.items():
            rows = np.flatnonzero(given)
            if not len(rows):
                continue
            first = start[rows] + rng.integers(0, PARENTING_WITHIN_DAYS + 1 if code == EFFECT_SERVICE else 29, len(rows))
            frequency, sessions, last = _course(rng, code, first, end[rows])
            self.service_chunks.append(
                {
                    "episode": ids[rows],
                    "service": np.full(len(rows), code, dtype=object),
                    "start": first,
                    "end": last,
                    "frequency": frequency,
                    "sessions": sessions,
                }
            )

    def episodes(self) -> pl.DataFrame:
        return _frame(self.episode_chunks, EPISODE_SCHEMA)

    def services(self) -> pl.DataFrame:
        return _frame(self.service_chunks, SERVICE_SCHEMA)


def _course(rng: np.random.Generator, code: str, first: np.ndarray, episode_end: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A service's frequency code, sessions delivered and last day. The programme is a fixed course of
    weekly sessions, some missed; key work runs to the episode's end; others are short courses or one-off."""
    n = len(first)
    if code == EFFECT_SERVICE:
        sessions = rng.binomial(PARENTING_SESSIONS, 0.85, n)
        return np.full(n, "W", dtype=object), sessions, first + 7 * (PARENTING_SESSIONS - 1)
    if code == "KEYWORK":
        last = np.maximum(episode_end, first + 14)
        weekly = rng.random(n) < 0.6
        step = np.where(weekly, 7, 14)
        return np.where(weekly, "W", "F").astype(object), np.maximum(1, (last - first) // step), last
    if code == "MONEY":
        return np.full(n, "O", dtype=object), np.ones(n, dtype=np.int64), first
    weeks = rng.integers(4, 13, n)
    last = first + 7 * (weeks - 1)
    return np.full(n, "W", dtype=object), rng.binomial(weeks, 0.8), last


EPISODE_SCHEMA = {
    "episode": pl.Int64,
    "child": pl.Int32,
    "start": pl.Int64,
    "end": pl.Int64,
    "end_reason": pl.Utf8,
    "reason": pl.Utf8,
    "organisation": pl.Utf8,
    "stepped_down": pl.Boolean,
    "imd_decile": pl.Int64,
    "prior_care": pl.Boolean,
    "treated": pl.Boolean,
    "risk_untreated": pl.Float64,
    "risk_treated": pl.Float64,
    "referred_untreated": pl.Boolean,
    "referred_treated": pl.Boolean,
    "referral_day": pl.Int64,
}
SERVICE_SCHEMA = {"episode": pl.Int64, "service": pl.Utf8, "start": pl.Int64, "end": pl.Int64, "frequency": pl.Utf8, "sessions": pl.Int64}


def _frame(chunks: list[dict[str, np.ndarray]], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    frames = [pl.DataFrame(chunk).select(pl.col(name).cast(dtype) for name, dtype in schema.items()) for chunk in chunks]
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)
