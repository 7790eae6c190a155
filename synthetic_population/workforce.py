"""The local authorities' children's social workers over the simulated years, and the worker allocated to each child in need.

Built after the simulation, from a stream of its own (WORKFORCE_STREAM), so no other source's draws move. Each LA has
an establishment of posts sized from its caseload (the child-in-need episodes open on an average day, at the LA of the
child's home at referral, as the extracts place them). A post is held by employed social workers one after another,
with vacancies between them; an agency worker covers most vacancies after a while, and a few agency workers are
additional to the establishment. Employed workers leave at about the published turnover, agency workers sooner.
Every child-in-need episode has an allocated case holder from referral to closure; the allocation changes when the
worker leaves, when the case moves on from assessment (its plan starts, or the child comes into care) and at random
reassignments, which come oftener where an LA's workforce is under more pressure.

National figures the rates aim at: DfE, "Children's social work workforce", reporting year 2023 (explore education
statistics, published 29 February 2024), national row of its indicators file (data set bd4d8c04-716a-4447-af3d-677aa3223917):
33,119.1 FTE social workers in post at 30 September (35,199 headcount, so 0.94 FTE a head); turnover 15.9% of FTE;
agency workers 17.8% of FTE, 80.1% of them covering vacancies; vacancy rate 18.9%, 74.4% of vacancies covered by agency
workers; 16.0 cases per case-holding FTE; sickness absence 3.2% of working days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

import code_lists as codes
from code_lists import workforce as wf

from .dynamics import day_number
from .names import draw_names
from .population import DAYS_PER_YEAR, draw_codes
from .services import Context, at_dates

WORKFORCE_STREAM = 1616  # issue 16: the workforce's own stream beside the world's seed
SOCIAL_WORKER = "social_worker"

TARGET_CASELOAD = 17.0  # cases per case-holding FTE at 30 September: the middle of the 2023-2024 band (DfE 2023: 16.0)
EMPLOYED_LEAVING_RATE = 0.159  # leavers a year per employed FTE: DfE 2023 turnover
VACANCY_SHARE = 0.18  # share of posts with no employed worker; at 0.94 FTE a head, a vacancy rate near DfE 2023's 18.9%
AGENCY_COVER = 0.8  # share of vacancies an agency worker is found for; after delays and gaps, about DfE's 74.4% of vacant FTE
VACANT_TIME_COVERED = 0.744  # what that comes to (DfE 2023), for sizing the establishment
AGENCY_ADDITIONAL_SHARE = 0.2  # agency FTE additional to the establishment: DfE 2023, 1 - 80.1% covering vacancies
AGENCY_LEAVING_RATE = 1.3  # ends of agency assignments a year (about nine months each): an assumption, agency turnover being faster
AGENCY_DELAY_DAYS, AGENCY_GAP_DAYS = 21, 10  # mean days before a vacancy's first agency worker, and between assignments: assumptions
# FTE: 0.94 a head (DfE 2023); about one employed social worker in six part-time (an assumption), agency workers nearly all full-time.
PART_TIME_SHARE, AGENCY_PART_TIME_SHARE = 0.18, 0.05
PART_TIME_FTE, PART_TIME_FTE_WEIGHTS = np.array([0.5, 0.6, 0.8, 0.9]), np.array([0.3, 0.25, 0.3, 0.15])
# LAs differ in how stable their workforce is (published LA turnover runs from under 10% to over 25%): each LA gets a
# pressure, spread evenly from -1 to 1 over the LAs in a random order, that scales turnover, vacancies and reassignments.
PRESSURE_ON_TURNOVER, PRESSURE_ON_VACANCIES, PRESSURE_ON_REASSIGNMENT = 0.35, 0.35, 0.5
# Reassignments of a case for other reasons than a worker leaving or a move between teams: an assumption of about one
# every three years of an open case, oftener under pressure.
REASSIGNMENT_RATE = 0.35
# Sickness absence (DfE 2023: 3.2% of working days): short spells of about 5.5 days a year in all, and a long spell
# (averaging 70 working days) for 4% of workers a year; an assumption of that total. Working days: weekdays.
SHORT_SICKNESS_DAYS, LONG_SICKNESS_RATE, LONG_SICKNESS_DAYS = 5.5, 0.04, (20.0, 2.0, 25.0)
WORKING_DAYS_A_YEAR = 253
# Absent at 30 September for another reason than sickness: maternity (women 25-44, an assumption of 3.5% a year)
# and the other reasons (training, public duties, paid or unpaid leave: 1%).
MATERNITY_RATE, OTHER_ABSENCE_RATE = 0.035, 0.01
OTHER_ABSENCE_REASONS = np.array(["TRN", "OTH", "UNP", "PUB", "UNA"], dtype=object)
# Case-holding posts by team (a Hearth grouping): assessment holds a case until its plan starts or the child comes into care.
CASE_HOLDING_TEAMS = np.array([wf.TEAM_ASSESSMENT, wf.TEAM_LONG_TERM, wf.TEAM_CHILDREN_IN_CARE], dtype=object)
CASE_HOLDING_TEAM_WEIGHTS = np.array([code.weight for code in wf.WORKFORCE_TEAMS[:3]])

_NEVER = np.iinfo(np.int32).max  # the end of a worker still in post at the world's end, in arithmetic


@dataclass
class Workforce:
    """The true social work workforce of every LA.

    staff: one row per worker in a post (an agency worker's assignment is a worker of its own); `end` is the last day in
      post, null when still in post at the world's end. `post` is the establishment post held (null for agency
      workers additional to the establishment).
    posts: the establishment: post, la_index, org_role, team.
    absences: per employed worker and census year in post: working days lost to sickness, absence at 30 September.
    allocations: the allocated social worker of each child-in-need episode, one row per involvement.
    pressure: each LA's workforce pressure (spread over -1 to 1, centred on the caseload-weighted mean).
    """

    staff: pl.DataFrame
    posts: pl.DataFrame
    absences: pl.DataFrame
    allocations: pl.DataFrame
    pressure: np.ndarray


def build_workforce(ctx: Context) -> Workforce:
    """Every LA's social workers over the simulated years, sized from its caseload, and the allocated worker of every
    child-in-need episode; the same world always gets the same workforce."""
    rng = np.random.default_rng([ctx.config.seed, WORKFORCE_STREAM])
    first, last = day_number(ctx.config.start), day_number(ctx.config.end)
    n_la = len(ctx.config.local_authorities)
    episodes = cin_episodes(ctx)
    demand = _open_cases(episodes, n_la, day_number(date(ctx.config.first_year - 1, 10, 1)), last)
    # Centred on the caseload-weighted mean, so the world's rates come out at the national ones whichever LA is under most pressure.
    spread = np.linspace(-1.0, 1.0, n_la)[rng.permutation(n_la)] if n_la > 1 else np.zeros(1)
    pressure = spread - (spread @ demand / demand.sum() if demand.sum() > 0 else 0.0)
    posts = _establishment(rng, demand, pressure)
    staff = _staff(rng, ctx, posts, pressure, first, last)
    absences = _absences(rng, staff, ctx.config.years)
    allocations = _allocations(rng, staff, episodes, pressure, last)
    return Workforce(staff, posts, absences, allocations, pressure)


def cin_episodes(ctx: Context) -> pl.DataFrame:
    """Every child-in-need episode with the LA of the child's home at referral, as `ExtractWriter.social_care` places it."""
    cin = ctx.history.cin
    if cin.is_empty():
        return pl.DataFrame(schema={"child": pl.Int32, "la_index": pl.Int8, "referral": pl.Int32, "closure": pl.Int32})
    located = at_dates(ctx.history, cin.rename({"child": "person"}).with_columns(pl.col("referral").cast(pl.Int32)), "referral")
    steps = [c for c in _EPISODE_STEPS if c in cin.columns]
    return located.select(
        pl.col("person").alias("child"),
        pl.Series("la_index", ctx.gazetteer.la_index[located["prop"].to_numpy()]).cast(pl.Int8),
        "referral",
        pl.col("closure").cast(pl.Int32),
        *steps,
    )


# The columns of a child-in-need episode that move its case on from assessment (a plan, care), where the simulation has them.
_EPISODE_STEPS = ("plan", "plan_start", "cpp", "cpp_start", "lac", "lac_start")


def _open_cases(episodes: pl.DataFrame, n_la: int, first: int, last: int) -> np.ndarray:
    """Each LA's child-in-need episodes open on an average day from `first` to `last`."""
    start = np.clip(episodes["referral"].to_numpy(), first, last + 1)
    end = np.clip(episodes["closure"].to_numpy(), first - 1, last)
    days = np.maximum(end - start + 1, 0)
    return np.bincount(episodes["la_index"].to_numpy(), weights=days, minlength=n_la) / (last - first + 1)


def _stochastic_round(rng: np.random.Generator, x: np.ndarray | float) -> np.ndarray:
    """Whole numbers whose mean is `x`, so a small LA's posts are right on average."""
    x = np.asarray(x, dtype=float)
    return (np.floor(x) + (rng.random(x.shape) < x - np.floor(x))).astype(np.int64)


def _mean_fte(part_time_share: float) -> float:
    return 1 - part_time_share + part_time_share * float(PART_TIME_FTE @ PART_TIME_FTE_WEIGHTS)


def _establishment(rng: np.random.Generator, demand: np.ndarray, pressure: np.ndarray) -> pl.DataFrame:
    """Each LA's posts: case-holding posts enough for its caseload at the target, once vacancies, agency cover and
    part-time working are allowed for; managers and practitioners without cases in proportion to them."""
    roles = np.array([c.code for c in wf.CSWW_ORG_ROLE], dtype=object)
    weights = np.array([c.weight for c in wf.CSWW_ORG_ROLE]) / sum(c.weight for c in wf.CSWW_ORG_ROLE)
    holding = np.isin(roles, wf.CASE_HOLDING_ROLES)
    frames = []
    for la, cases in enumerate(demand):
        vacancy = VACANCY_SHARE * (1 + PRESSURE_ON_VACANCIES * pressure[la])
        # FTE in post per case-holding post: its employed holder or the agency worker covering it, and the agency
        # case holders additional to the establishment, whose number follows all vacancies, managers' included.
        covering = vacancy * VACANT_TIME_COVERED * _mean_fte(AGENCY_PART_TIME_SHARE)
        additional = covering * AGENCY_ADDITIONAL_SHARE / (1 - AGENCY_ADDITIONAL_SHARE) / weights[holding].sum()
        fill = (1 - vacancy) * _mean_fte(PART_TIME_SHARE) + covering + additional
        case_holding = max(1, int(_stochastic_round(rng, cases / (TARGET_CASELOAD * fill))))
        seniors = int(rng.binomial(case_holding - 1, weights[roles == "4"][0] / weights[holding].sum()))
        others = rng.multinomial(
            int(_stochastic_round(rng, case_holding * weights[~holding].sum() / weights[holding].sum())), weights[~holding] / weights[~holding].sum()
        )
        counts = dict(zip(roles[~holding], others, strict=True)) | {"4": seniors, "5": case_holding - seniors}
        role = np.concatenate([np.full(int(counts[r]), r, dtype=object) for r in roles])
        team = np.where(
            np.isin(role, wf.CASE_HOLDING_ROLES),
            CASE_HOLDING_TEAMS[rng.choice(3, size=len(role), p=CASE_HOLDING_TEAM_WEIGHTS / CASE_HOLDING_TEAM_WEIGHTS.sum())],
            np.where(role == "6", wf.TEAM_QUALITY_ASSURANCE, wf.TEAM_MANAGEMENT),
        )
        # The first case-holding post is in assessment, so every LA can take a new referral into the team for it.
        team[np.flatnonzero(role == "5")[0]] = wf.TEAM_ASSESSMENT
        frames.append(pl.DataFrame({"la_index": np.full(len(role), la, dtype=np.int8), "org_role": role, "team": team}))
    posts = pl.concat(frames)
    return posts.with_row_index("post").with_columns(pl.col("post").cast(pl.Int32))


def _spells(rng: np.random.Generator, owner: np.ndarray, start: np.ndarray, until: np.ndarray, mean_days: float, mean_gap: float) -> tuple[np.ndarray, ...]:
    """Back-to-back spells in each window [start, until] of `owner`: each lasts an exponential `mean_days`, the next
    begins an exponential `mean_gap` after it, and the last is cut at `until`. Returns (owner, start, end)."""
    owners, starts, ends = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    at, alive = start.astype(np.int64), np.ones(len(owner), dtype=bool)
    while alive.any():
        idx = np.flatnonzero(alive)
        length = np.maximum(1, np.round(rng.exponential(mean_days, len(idx)))).astype(np.int64)
        end = np.minimum(at[idx] + length - 1, until[idx])
        owners.append(owner[idx])
        starts.append(at[idx])
        ends.append(end)
        at[idx] = end + 1 + np.round(rng.exponential(mean_gap, len(idx))).astype(np.int64)
        alive[idx] = at[idx] <= until[idx]
    return np.concatenate(owners), np.concatenate(starts), np.concatenate(ends)


def _staff(rng: np.random.Generator, ctx: Context, posts: pl.DataFrame, pressure: np.ndarray, first: int, last: int) -> pl.DataFrame:
    """Who held each post and when: employed workers with vacancies between them, agency workers in most vacancies
    and in posts of their own, and agency cover wherever an LA would otherwise have had no case holder."""
    post_la = posts["la_index"].to_numpy().astype(np.int64)
    leaving = EMPLOYED_LEAVING_RATE * (1 + PRESSURE_ON_TURNOVER * pressure[post_la])
    vacancy = VACANCY_SHARE * (1 + PRESSURE_ON_VACANCIES * pressure[post_la])
    tenure_days = DAYS_PER_YEAR / leaving
    vacant_days = tenure_days * vacancy / (1 - vacancy)  # so that the post is vacant `vacancy` of the time
    # Employed tenures and vacancies alternate on each post; at the start a post is held (by someone who started
    # some years before) or vacant, in proportion.
    n = posts.height
    held = rng.random(n) >= vacancy
    at = np.full(n, first, dtype=np.int64)
    employed, vacancies = [], []
    backdated = np.where(held, first - np.round(rng.exponential(tenure_days)).astype(np.int64), first)
    alive = np.ones(n, dtype=bool)
    while alive.any():
        idx = np.flatnonzero(alive)
        length = np.maximum(1, np.round(rng.exponential(np.where(held[idx], tenure_days[idx], vacant_days[idx])))).astype(np.int64)
        end = at[idx] + length - 1
        hold = held[idx]
        employed.append((idx[hold], np.where(at[idx][hold] == first, backdated[idx][hold], at[idx][hold]), end[hold]))
        vacancies.append((idx[~hold], at[idx][~hold], end[~hold]))
        at[idx] = end + 1
        held[idx] = ~hold
        alive[idx] = at[idx] <= last
    emp_post, emp_start, emp_end = (np.concatenate(parts) for parts in zip(*employed, strict=True))
    vac_post, vac_start, vac_end = (np.concatenate(parts) for parts in zip(*vacancies, strict=True))
    covered = rng.random(len(vac_post)) < AGENCY_COVER
    cover_start = vac_start[covered] + np.round(rng.exponential(AGENCY_DELAY_DAYS, covered.sum())).astype(np.int64)
    keep = cover_start <= np.minimum(vac_end[covered], last)
    agency_post, agency_start, agency_end = _spells(
        rng,
        vac_post[covered][keep],
        cover_start[keep],
        np.minimum(vac_end[covered][keep], last),
        DAYS_PER_YEAR / AGENCY_LEAVING_RATE,
        AGENCY_GAP_DAYS,
    )
    # Agency workers additional to the establishment: posts of their own, case holders, held throughout.
    vacancy_la = VACANCY_SHARE * (1 + PRESSURE_ON_VACANCIES * pressure)
    per_la = posts.group_by("la_index").len().sort("la_index")
    extra = _stochastic_round(
        rng, per_la["len"].to_numpy() * vacancy_la[per_la["la_index"].to_numpy()] * AGENCY_COVER * AGENCY_ADDITIONAL_SHARE / (1 - AGENCY_ADDITIONAL_SHARE)
    )
    extra_la = np.repeat(per_la["la_index"].to_numpy(), extra)
    extra_owner, extra_start, extra_end = _spells(
        rng,
        np.arange(len(extra_la)),
        first - np.round(rng.uniform(0, DAYS_PER_YEAR / AGENCY_LEAVING_RATE, len(extra_la))).astype(np.int64),
        np.full(len(extra_la), last),
        DAYS_PER_YEAR / AGENCY_LEAVING_RATE,
        AGENCY_GAP_DAYS,
    )
    role, team = posts["org_role"].to_numpy(), posts["team"].to_numpy()
    frame = pl.concat(
        [
            _rows(emp_post, post_la[emp_post], role[emp_post], team[emp_post], emp_start, emp_end, agency=False),
            _rows(agency_post, post_la[agency_post], role[agency_post], team[agency_post], agency_start, agency_end, agency=True),
            _rows(
                None,
                extra_la[extra_owner],
                np.full(len(extra_owner), "5", dtype=object),
                np.full(len(extra_owner), wf.TEAM_LONG_TERM, dtype=object),
                extra_start,
                extra_end,
                agency=True,
            ),
        ]
    )
    frame = frame.filter(pl.col("end") >= first)  # an agency assignment that had ended before the world began
    frame = pl.concat([frame, _emergency_cover(frame, posts, first, last)])
    frame = frame.sort("la_index", "start", "post", "end").with_row_index("worker").with_columns(pl.col("worker").cast(pl.Int32))
    return _describe(rng, ctx, frame, last)


def _rows(post: np.ndarray | None, la: np.ndarray, role: np.ndarray, team: np.ndarray, start: np.ndarray, end: np.ndarray, agency: bool) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "la_index": la.astype(np.int8),
            "post": pl.Series(post, dtype=pl.Int32) if post is not None else pl.Series([None] * len(la), dtype=pl.Int32),
            "org_role": role.astype(object),
            "team": team.astype(object),
            "agency": np.full(len(la), agency),
            "start": start.astype(np.int32),
            "end": end.astype(np.int32),
        },
        schema_overrides={"org_role": pl.Utf8, "team": pl.Utf8},
    )


def _emergency_cover(frame: pl.DataFrame, posts: pl.DataFrame, first: int, last: int) -> pl.DataFrame:
    """An agency case holder for every run of days an LA would otherwise have none in post, covering its first
    assessment post (vacant then, since no case holder is in post): an LA always has someone to allocate a child to."""
    holders = frame.filter(pl.col("org_role").is_in(wf.CASE_HOLDING_ROLES))
    covers = []
    for la in range(int(posts["la_index"].max()) + 1):
        mine = holders.filter(pl.col("la_index") == la)
        count = np.zeros(last - first + 2, dtype=np.int64)
        np.add.at(count, np.clip(mine["start"].to_numpy() - first, 0, last - first + 1), 1)
        np.add.at(count, np.clip(mine["end"].to_numpy() - first + 1, 0, last - first + 1), -1)
        empty = np.cumsum(count)[: last - first + 1] == 0
        edges = np.diff(np.concatenate([[0], empty.astype(np.int8), [0]]))
        run_start, run_end = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
        if len(run_start):
            post = posts.filter((pl.col("la_index") == la) & (pl.col("org_role") == "5") & (pl.col("team") == wf.TEAM_ASSESSMENT))["post"][0]
            n = len(run_start)
            covers.append(
                _rows(
                    np.full(n, post),
                    np.full(n, la),
                    np.full(n, "5", dtype=object),
                    np.full(n, wf.TEAM_ASSESSMENT, dtype=object),
                    run_start + first,
                    run_end + first,
                    agency=True,
                )
            )
    return pl.concat(covers) if covers else frame.clear()


def _describe(rng: np.random.Generator, ctx: Context, frame: pl.DataFrame, last: int) -> pl.DataFrame:
    """Each worker's identity and record: FTE, who they are, how they came and why they went."""
    n = frame.height
    agency = frame["agency"].to_numpy()
    start, end = frame["start"].to_numpy().astype(np.int64), frame["end"].to_numpy().astype(np.int64)
    part_time = rng.random(n) < np.where(agency, AGENCY_PART_TIME_SHARE, PART_TIME_SHARE)
    fte = np.where(part_time, PART_TIME_FTE[rng.choice(len(PART_TIME_FTE), size=n, p=PART_TIME_FTE_WEIGHTS)], 1.0)
    origin = np.where(agency, None, draw_codes(rng, wf.CSWW_START_ORIGIN, n))
    newly_qualified = origin == "1"
    age_at_start = np.where(newly_qualified, 22 + rng.gamma(2.0, 1.5, n), 25 + rng.gamma(2.5, 5.0, n)).clip(21, 62)
    birth = (start - np.round(age_at_start * DAYS_PER_YEAR)).astype(np.int64)
    left = (end < last) & ~agency
    reason = np.where(left, draw_codes(rng, wf.CSWW_REASON_LEAVE, n), None)
    age_at_end = (end - birth) / DAYS_PER_YEAR
    reason = np.where((reason == wf.REASON_LEAVE_RETIRED) & (age_at_end < 55), wf.REASON_LEAVE_RESIGNED, reason)
    reason = np.where(left & (age_at_end >= 66), wf.REASON_LEAVE_RETIRED, reason)
    destination = np.where(left, draw_codes(rng, wf.CSWW_LEAVER_DESTINATION, n), None)
    destination = np.where(reason == wf.REASON_LEAVE_RETIRED, "6", np.where(reason == wf.REASON_LEAVE_DECEASED, "8", destination))
    gender = draw_codes(rng, wf.CSWW_GENDER, n)
    ethnicity = draw_codes(rng, wf.CSWW_ETHNICITY, n)
    group = np.array([_NAME_GROUP.get(e, "13") for e in ethnicity], dtype=object)
    first_name = draw_names(rng, group, np.where(gender == "1", "male", "female"))
    last_name = draw_names(rng, group, "last")
    swe = 1_000_000_000 + rng.choice(9_000_000_000, size=n, replace=False)
    la_codes = np.array([la.code for la in ctx.config.local_authorities])
    worker = frame["worker"].to_numpy()
    # An employee's HR number (agency workers have none): the LA's number, E and a serial.
    staff_ids = [f"{la}E{w + 1:06d}" for la, w in zip(la_codes[frame["la_index"].to_numpy()], worker, strict=True)]
    return frame.with_columns(
        pl.lit(SOCIAL_WORKER).alias("kind"),
        pl.Series("prof_id", (worker.astype(np.int64) + 700_001).astype(str)),
        _text("staff_id", np.where(agency, None, staff_ids)),
        pl.Series("swe_no", np.char.add("SW", swe.astype(str))),
        pl.Series("fte", fte),
        pl.when(pl.col("end") >= last).then(None).otherwise(pl.col("end")).alias("end"),
        pl.Series("birth", birth.astype(np.int32)),
        _text("gender", gender),
        _text("ethnicity", ethnicity),
        _text("first_name", first_name),
        _text("last_name", last_name),
        _text("qual_inst", draw_codes(rng, wf.QUALIFYING_INSTITUTIONS, n)),
        _text("qual_level", draw_codes(rng, wf.CSWW_QUALIFICATION_LEVEL, n)),
        # Step Up to Social Work and Frontline graduates: a few percent of social workers each (assumptions).
        pl.Series("step_up", rng.random(n) < 0.03),
        pl.Series("frontline", rng.random(n) < np.where(newly_qualified, 0.15, 0.04)),
        _text("start_origin", origin),
        _text("leaver_destination", destination),
        _text("reason_leave", reason),
    ).select(
        "worker", "la_index", "prof_id", "staff_id", "swe_no", "kind", "team", "org_role", "agency", "fte", "start", "end", "post",
        "birth", "gender", "ethnicity", "first_name", "last_name", "qual_inst", "qual_level", "step_up", "frontline",
        "start_origin", "leaver_destination", "reason_leave",
    )  # fmt: skip


def _text(name: str, values: np.ndarray | list) -> pl.Series:
    """A text column from an object array of strings and None (numpy strings among them made plain)."""
    return pl.Series(name, np.asarray(values, dtype=object).tolist(), dtype=pl.Utf8)


# The census group whose names a worker of each CSWW ethnicity is given (REFU and NOBT: the most common group's).
_NAME_GROUP = {dfe: census for census, dfe in codes.CENSUS19_TO_DFE.items()}


def census_years(years: tuple[int, ...]) -> list[tuple[int, int, int]]:
    """(census year, its first day, its reference date): the CSWW year runs 1 October to 30 September."""
    return [(year, day_number(date(year - 1, 10, 1)), day_number(date(year, 9, 30))) for year in years]


def _absences(rng: np.random.Generator, staff: pl.DataFrame, years: tuple[int, ...]) -> pl.DataFrame:
    """Per employed worker and census year in post: working days lost to sickness, and absence at 30 September."""
    employed = staff.filter(~pl.col("agency"))
    start, end = employed["start"].to_numpy().astype(np.int64), employed["end"].fill_null(_NEVER).to_numpy().astype(np.int64)
    frames = []
    for year, year_start, reference in census_years(years):
        lo, hi = np.maximum(start, year_start), np.minimum(end, reference)
        here = np.flatnonzero(hi >= lo)
        n = len(here)
        working = (hi[here] - lo[here] + 1) * 5 / 7
        fte = employed["fte"].to_numpy()[here]
        long_spell = rng.random(n) < LONG_SICKNESS_RATE * working / WORKING_DAYS_A_YEAR
        long_days = np.where(long_spell, LONG_SICKNESS_DAYS[0] + rng.gamma(LONG_SICKNESS_DAYS[1], LONG_SICKNESS_DAYS[2], n), 0.0)
        long_from = lo[here] + np.floor(rng.random(n) * (hi[here] - lo[here] + 1)).astype(np.int64)
        lost = np.minimum(rng.poisson(SHORT_SICKNESS_DAYS * working / WORKING_DAYS_A_YEAR) + np.round(long_days), working)
        in_post_at_reference = end[here] > reference
        age = (reference - employed["birth"].to_numpy()[here]) / DAYS_PER_YEAR
        sick = long_spell & (long_from <= reference) & (long_from + long_days * 7 / 5 >= reference)
        maternity = (employed["gender"].to_numpy()[here] == "2") & (age >= 25) & (age < 45) & (rng.random(n) < MATERNITY_RATE)
        other = rng.random(n) < OTHER_ABSENCE_RATE
        reason = np.select([sick, maternity, other], ["SIC", "MAT", OTHER_ABSENCE_REASONS[rng.integers(0, len(OTHER_ABSENCE_REASONS), n)]], None)
        reason = np.where(in_post_at_reference, reason, None)
        frames.append(
            pl.DataFrame(
                {
                    "worker": employed["worker"].to_numpy()[here],
                    "census_year": np.full(n, year, dtype=np.int16),
                    "working_days_lost": np.round(lost * fte, 2),
                    "absent_at_reference": pl.Series(np.where(in_post_at_reference, reason != None, None).tolist(), dtype=pl.Boolean),  # noqa: E711 (element-wise)
                    "absence_reason": pl.Series(reason.tolist(), dtype=pl.Utf8),
                }
            )
        )
    return pl.concat(frames)


def allocate(staff: pl.DataFrame, la_index: np.ndarray, days: np.ndarray, kind: str, rng: np.random.Generator, teams: np.ndarray | None = None) -> np.ndarray:
    """For each (LA, day), a `worker` of that kind in post that day (for social workers, a case holder: OrgRole 4 or 5),
    drawn with chance in proportion to FTE, so cases spread evenly over the FTE in post and caseloads stay near what the
    establishment was sized for. With `teams`, a worker of that team where one is in post, else any of the LA's.
    Raises ValueError where the LA has none of that kind in post."""
    pool = staff.filter(pl.col("kind") == kind)
    if kind == SOCIAL_WORKER:
        pool = pool.filter(pl.col("org_role").is_in(wf.CASE_HOLDING_ROLES))
    la_index, days = np.asarray(la_index), np.asarray(days, dtype=np.int64)
    out = np.full(len(days), -1, dtype=np.int32)
    for la in np.unique(la_index):
        asked = np.flatnonzero(la_index == la)
        mine = pool.filter(pl.col("la_index") == la)
        if teams is not None:
            for team in np.unique(teams[asked]):
                wanted = asked[teams[asked] == team]
                out[wanted] = _draw_in_post(mine.filter(pl.col("team") == team), days[wanted], rng)
            asked = asked[out[asked] < 0]
        out[asked] = _draw_in_post(mine, days[asked], rng)
    if (out < 0).any():
        missing = np.flatnonzero(out < 0)[0]
        raise ValueError(f"no {kind} in post in LA {la_index[missing]} on day {days[missing]}")
    return out


def _draw_in_post(pool: pl.DataFrame, days: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each day, a worker of `pool` in post, chance in proportion to FTE; -1 where none is. The days between two
    starts or ends of posts share one set of workers in post, so each day looks up its set's cumulative FTE."""
    if pool.is_empty() or not len(days):
        return np.full(len(days), -1, dtype=np.int32)
    start = pool["start"].to_numpy().astype(np.int64)
    end = pool["end"].fill_null(_NEVER).to_numpy().astype(np.int64)
    bounds = np.unique(np.concatenate([start, end + 1]))
    in_post = (start[None, :] <= bounds[:, None]) & (end[None, :] >= bounds[:, None])
    cumulative = np.cumsum(in_post * pool["fte"].to_numpy()[None, :], axis=1)
    total = cumulative[:, -1]
    period = np.searchsorted(bounds, days, side="right") - 1
    usable = (period >= 0) & (total[np.maximum(period, 0)] > 0)
    # One sorted array for all periods: each period's cumulative FTE lifted above the one before.
    offset = np.arange(len(bounds)) * (total.max() + 1.0)
    lifted = (cumulative + offset[:, None]).ravel()
    period = np.maximum(period, 0)
    target = offset[period] + rng.random(len(days)) * total[period]
    position = np.minimum(np.searchsorted(lifted, target, side="right"), len(lifted) - 1)
    chosen = pool["worker"].to_numpy()[position % pool.height]
    return np.where(usable, chosen, -1).astype(np.int32)


def _allocations(rng: np.random.Generator, staff: pl.DataFrame, episodes: pl.DataFrame, pressure: np.ndarray, last: int) -> pl.DataFrame:
    """The allocated social worker of every child-in-need episode from referral to closure (to the world's end for an
    episode still open then): one row per involvement, with SSD's reason for each change of worker."""
    schema = {
        "involvement": pl.Int32,
        "worker": pl.Int32,
        "child": pl.Int32,
        "la_index": pl.Int8,
        "referral": pl.Int32,
        "start": pl.Int32,
        "end": pl.Int32,
        "change_reason": pl.Utf8,
        "team": pl.Utf8,
    }
    episodes = episodes.filter(pl.col("referral") <= last)
    if episodes.is_empty():
        return pl.DataFrame(schema=schema)
    n = episodes.height
    referral = episodes["referral"].to_numpy().astype(np.int64)
    closure = np.minimum(episodes["closure"].to_numpy().astype(np.int64), last)
    la = episodes["la_index"].to_numpy().astype(np.int64)
    # The case moves on from assessment when its first plan starts (child protection or child in need), and to the
    # children in care team when the child comes into care.
    never = np.iinfo(np.int64).max
    plan_start = np.minimum(_day_if(episodes, "cpp", "cpp_start", never), _day_if(episodes, "plan", "plan_start", never))
    care_start = _day_if(episodes, "lac", "lac_start", never)
    breaks = [(np.arange(n), referral, np.full(n, wf.FIRST_ALLOCATION, dtype=object))]
    for day in (plan_start, care_start):
        moves = np.flatnonzero((day > referral) & (day <= closure))
        breaks.append((moves, day[moves], np.full(len(moves), wf.TEAM_TRANSFER, dtype=object)))
    years = (closure - referral + 1) / DAYS_PER_YEAR
    count = rng.poisson(REASSIGNMENT_RATE * (1 + PRESSURE_ON_REASSIGNMENT * pressure[la]) * years)
    owner = np.repeat(np.arange(n), count)
    day = referral[owner] + 1 + np.floor(rng.random(len(owner)) * (closure[owner] - referral[owner])).astype(np.int64)
    breaks.append((owner, day, draw_codes(rng, wf.SSD_WORKER_CHANGE_REASON, len(owner))))
    segments = (
        pl.DataFrame(
            {
                "episode": np.concatenate([b[0] for b in breaks]).astype(np.int32),
                "start": np.concatenate([b[1] for b in breaks]).astype(np.int32),
                "change_reason": np.concatenate([b[2] for b in breaks]),
                "priority": np.concatenate([np.full(len(b[0]), i) for i, b in enumerate(breaks)]).astype(np.int8),
            },
            schema_overrides={"change_reason": pl.Utf8},
        )
        .sort("episode", "start", "priority")
        .unique(["episode", "start"], keep="first", maintain_order=True)
    )
    episode = segments["episode"].to_numpy()
    seg_start = segments["start"].to_numpy().astype(np.int64)
    following = np.concatenate([seg_start[1:], [0]])
    same = np.concatenate([episode[1:] == episode[:-1], [False]])
    seg_end = np.where(same, following - 1, closure[episode])
    team = np.where(
        seg_start >= care_start[episode], wf.TEAM_CHILDREN_IN_CARE, np.where(seg_start >= plan_start[episode], wf.TEAM_LONG_TERM, wf.TEAM_ASSESSMENT)
    )
    reason = segments["change_reason"].to_numpy()
    # Allocate each segment; where the worker leaves before it ends, a new worker takes the child from the next day.
    end_of_worker = np.full(int(staff["worker"].max()) + 1, _NEVER, dtype=np.int64)
    end_of_worker[staff["worker"].to_numpy()] = staff["end"].fill_null(_NEVER).to_numpy()
    died = staff.filter(pl.col("reason_leave") == wf.REASON_LEAVE_DECEASED)["worker"].to_numpy()
    rows = []
    pending = np.arange(len(episode))
    starts, ends, reasons, teams = seg_start, seg_end, reason, team
    while len(pending):
        workers = allocate(staff, la[episode[pending]], starts[pending], SOCIAL_WORKER, rng, teams[pending])
        leaves = end_of_worker[workers]
        cut = leaves < ends[pending]
        rows.append((episode[pending], workers, starts[pending], np.minimum(ends[pending], leaves), reasons[pending]))
        carried = pending[cut]
        starts, ends, reasons = starts.copy(), ends.copy(), reasons.copy()
        starts[carried] = leaves[cut] + 1
        reasons[carried] = np.where(np.isin(workers[cut], died), wf.WORKER_DIED, wf.WORKER_LEFT)
        pending = carried
    allocated = pl.DataFrame(
        {
            "episode": np.concatenate([r[0] for r in rows]).astype(np.int32),
            "worker": np.concatenate([r[1] for r in rows]).astype(np.int32),
            "start": np.concatenate([r[2] for r in rows]).astype(np.int32),
            "end": np.concatenate([r[3] for r in rows]).astype(np.int32),
            "change_reason": np.concatenate([r[4] for r in rows]),
        },
        schema_overrides={"change_reason": pl.Utf8},
    ).sort("episode", "start")
    # One involvement while the same worker goes on holding the case (a reassignment that drew them again).
    allocated = allocated.with_columns(
        ((pl.col("worker") != pl.col("worker").shift(1)) | (pl.col("episode") != pl.col("episode").shift(1))).fill_null(True).cum_sum().alias("run")
    )
    allocated = allocated.group_by("run", maintain_order=True).agg(
        pl.col("episode").first(), pl.col("worker").first(), pl.col("start").min(), pl.col("end").max(), pl.col("change_reason").first()
    )
    still_open = episodes["closure"].to_numpy() > last
    info = pl.DataFrame(
        {
            "episode": np.arange(n, dtype=np.int32),
            "child": episodes["child"].cast(pl.Int32),
            "la_index": episodes["la_index"],
            "referral": episodes["referral"].cast(pl.Int32),
            "open": still_open,
        }
    )
    return (
        allocated.join(info, on="episode", how="left")
        .join(staff.select("worker", "team"), on="worker", how="left")
        .with_columns(pl.when(pl.col("open") & (pl.col("end") >= last)).then(None).otherwise(pl.col("end")).alias("end"))
        .sort("la_index", "child", "start")
        .with_row_index("involvement")
        .select(pl.col("involvement").cast(pl.Int32), *[c for c in schema if c != "involvement"])
    )


def _day_if(episodes: pl.DataFrame, flag: str, column: str, never: int) -> np.ndarray:
    """The episode's `column` day where its `flag` is set (and the columns exist), else `never`."""
    if flag not in episodes.columns or column not in episodes.columns:
        return np.full(episodes.height, never, dtype=np.int64)
    return np.where(episodes[flag].to_numpy().astype(bool), episodes[column].to_numpy().astype(np.int64), never)


def in_post(day: int) -> pl.Expr:
    """Workers in post on `day` but not leaving on it (the CSWW counts a worker leaving on 30 September as a leaver)."""
    return (pl.col("start") <= day) & (pl.col("end").is_null() | (pl.col("end") > day))


def cases_on(allocations: pl.DataFrame, day: int) -> pl.DataFrame:
    """Children each worker was allocated on `day`: worker, cases."""
    open_then = allocations.filter((pl.col("start") <= day) & (pl.col("end").is_null() | (pl.col("end") >= day)))
    return open_then.group_by("worker").agg(pl.len().cast(pl.Int32).alias("cases"))
