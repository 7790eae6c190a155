"""What the services record about the simulated people: school census terms, hospital admissions,
youth offences and the 2021 census, drawn from the household spells after the simulation.

Each function returns the true facts (person, date, values) of one source; formats, identifiers
and faults are added when the extracts are written. Rates rise with household hardship and
with social care involvement, which is what the research marts later measure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

import code_lists as codes

from .config import WorldConfig
from .dynamics import History, day_number
from .formats import weekday
from .geography import Gazetteer
from .identifiers import make_upns
from .population import DAYS_PER_YEAR, KIND_INSTITUTION, MALE, Population, draw_codes


@dataclass
class Context:
    rng: np.random.Generator
    config: WorldConfig
    gazetteer: Gazetteer
    population: Population
    history: History


def covering(spells: pl.DataFrame, day: int) -> pl.DataFrame:
    """The spell of everyone who lived in the area on `day`."""
    return spells.filter((pl.col("start") <= day) & (pl.col("end").is_null() | (pl.col("end") > day)))


def at_dates(history: History, records: pl.DataFrame, date_col: str) -> pl.DataFrame:
    """Attach the spell (household, property, previous property, move day) in force at each record's date: the
    person's spell that started last on or before it (nulls if none). A binary search over (person, start) does what
    an as-of join by person does, without the sorts of the records it needs, in a third of the time."""
    by_person = history.spells_by_person
    spell_person = by_person["person"].to_numpy().astype(np.int64)
    person, day = records["person"], records[date_col]
    record_person = person.fill_null(-1).to_numpy().astype(np.int64)
    # A day number fits in 32 bits, so (person, day) orders as person * 2**32 + day.
    found = np.searchsorted((spell_person << 32) + by_person["start"].to_numpy(), (record_person << 32) + day.fill_null(0).to_numpy(), side="right") - 1
    matched = (found >= 0) & (spell_person[np.maximum(found, 0)] == record_person) & person.is_not_null().to_numpy() & day.is_not_null().to_numpy()
    spell = pl.Series(found).set(pl.Series(~matched), None)
    return pl.concat([records, by_person.drop("person")[spell]], how="horizontal")


# --- school census ---------------------------------------------------------------------------
# How absence splits into authorised and unauthorised, and each exclusion's date, length and reason, draw from a
# stream of their own beside the world's seed, so the draws that were there before them keep their values.
SCHOOL_DETAIL_STREAM = 1311
# A suspension's length in sessions (half days): most last a day or less, few more than a week.
SUSPENSION_SESSIONS = np.array([1, 2, 3, 4, 6, 10, 20])
SUSPENSION_SESSION_WEIGHTS = np.array([0.12, 0.46, 0.06, 0.16, 0.10, 0.08, 0.02])


def school_census(ctx: Context) -> pl.DataFrame:
    rng, P, H, gaz = ctx.rng, ctx.population.persons, ctx.population.households, ctx.gazetteer
    detail_rng = np.random.default_rng([ctx.config.seed, SCHOOL_DETAIL_STREAM])
    spells = ctx.history.spells
    n_persons = P.n
    sen = np.full(n_persons, -1, dtype=np.int8)
    need = np.full(n_persons, "", dtype=object)
    missing_until = np.zeros(n_persons, dtype=np.int64)
    absence_propensity = rng.normal(0, 0.8, n_persons)
    cin = ctx.history.cin
    _, lsoa_index = np.unique(gaz.lsoa, return_inverse=True)
    frames = []
    events = []
    for year in ctx.config.years:
        for term, month, day_of_month in codes.SCHOOL_TERMS:
            census_day = day_number(date(year, month, day_of_month))
            academic_start = year if month >= 9 else year - 1
            cutoff = day_number(date(academic_start, 8, 31))
            here = covering(spells, census_day)
            person = here["person"].to_numpy()
            age_at_cutoff = (cutoff - P.dob[person]) / DAYS_PER_YEAR
            pupils = (age_at_cutoff >= 4) & (age_at_cutoff < 16) & (missing_until[person] <= census_day)
            person = person[pupils]
            hh = here["household"].to_numpy()[pupils]
            prop = here["prop"].to_numpy()[pupils]
            nc_year = np.floor(age_at_cutoff[pupils]).astype(int) - 4  # 0 = reception
            hardship = H.hardship[hh]
            open_cin = _open_on(cin, person, census_day)
            # SEN: first seen -> draw; later terms -> a little movement between N, K and E.
            new = sen[person] < 0
            sen[person[new]] = rng.choice(3, size=new.sum(), p=[0.85, 0.115, 0.035])
            need[person[new]] = draw_codes(rng, codes.SEN_PRIMARY_NEED, new.sum())
            move = rng.random(len(person))
            s = sen[person]
            s = np.where((s == 0) & (move < 0.012 * np.exp(0.3 * hardship)), 1, s)
            s = np.where((s == 1) & (move > 0.985), 2, s)
            s = np.where((s == 1) & (move < 0.02), 0, s)
            sen[person] = s
            possible = codes.SESSIONS_POSSIBLE[term] - rng.integers(0, 6, len(person))
            rate = np.clip(np.exp(np.log(0.045) + 0.35 * hardship + 0.5 * (s > 0) + 0.7 * open_cin + absence_propensity[person]), 0, 0.98)
            missed = rng.binomial(possible, rate)
            secondary = nc_year >= 7
            semh = need[person] == "SEMH"
            suspensions = rng.poisson(np.where(secondary, 0.03, 0.005) * np.exp(0.5 * hardship + 1.0 * semh * (s > 0) + 0.8 * open_cin))
            permanent = rng.random(len(person)) < np.where(secondary, 0.0008, 0.0001) * np.exp(0.5 * hardship + 0.8 * open_cin)
            # The return reports the exclusions that started since the previous census day of the academic year
            # (1 September for the autumn return), so each falls at the school the pupil is on roll at.
            census_days = [day_number(date(academic_start + (m < 9), m, d)) for _, m, d in codes.SCHOOL_TERMS]
            period_start = max((d for d in census_days if d < census_day), default=day_number(date(academic_start, 9, 1)))
            reasons = (
                codes.SCHOOL_CENSUS_EXCLUSION_REASON_FROM_2020
                if academic_start >= codes.SCHOOL_CENSUS_EXCLUSION_REASONS_REVISED
                else codes.SCHOOL_CENSUS_EXCLUSION_REASON_UNTIL_2020
            )
            la = gaz.la_index[prop]
            school_number = _school_number(lsoa_index[prop], secondary)
            frames.append(
                pl.DataFrame(
                    {
                        "person": person.astype(np.int32),
                        "census_day": np.full(len(person), census_day, dtype=np.int32),
                        "year": year,
                        "term": term,
                        "la_index": la,
                        "estab": school_number,
                        "nc_year": nc_year,
                        "fsm": H.fsm[hh],
                        "sen_provision": np.array(["N", "K", "E"], dtype=object)[s],
                        "sen_need": np.where(s > 0, need[person], ""),
                        "sessions_possible": possible,
                        "sessions_missed": missed,
                        "sessions_unauthorised": _unauthorised_sessions(detail_rng, missed, possible, hardship),
                        "exclusions": _exclusions(detail_rng, suspensions, permanent.astype(np.int64), period_start, census_day, reasons),
                    }
                )
            )
            # Leaving the roll with no known destination; half come back within a year.
            gone = rng.random(len(person)) < 0.002 * np.exp(0.6 * hardship + 0.6 * open_cin)
            back = np.where(rng.random(gone.sum()) < 0.5, census_day + rng.integers(100, 365, gone.sum()), 10**7)
            missing_until[person[gone]] = back
            events.append(
                pl.DataFrame(
                    {"person": person[gone].astype(np.int32), "day": np.full(gone.sum(), census_day + 30, dtype=np.int32), "event": "left_roll_unexplained"}
                )
            )
            # The day each child who comes back is on a roll again (if still in the area and of school age), for the
            # register of children not in school (not_in_school.py); recorded, not drawn, so no census value moves.
            returns = (back < 10**7) & (back <= day_number(ctx.config.end))
            events.append(pl.DataFrame({"person": person[gone][returns].astype(np.int32), "day": back[returns].astype(np.int32), "event": "back_on_roll"}))
    pupils = pl.concat(frames)
    ctx.history.life_events = pl.concat([ctx.history.life_events, *events], how="vertical_relaxed")
    return _allocate_upns(ctx, pupils)


def _unauthorised_sessions(rng: np.random.Generator, missed: np.ndarray, possible: np.ndarray, hardship: np.ndarray) -> np.ndarray:
    """The sessions missed without the school's leave: about a quarter of absence overall (DfE pupil absence
    statistics: roughly 3.5% authorised and 1.3% unauthorised of 4.7% overall before the pandemic), more for
    persistent absentees (10% of sessions or more) and in households under hardship."""
    persistent = missed >= 0.1 * possible
    share = np.clip(0.17 + 0.12 * persistent + 0.03 * hardship, 0.05, 0.9)
    return rng.binomial(missed, share)


def _exclusions(
    rng: np.random.Generator, suspensions: np.ndarray, permanent: np.ndarray, period_start: int, census_day: int, reasons: tuple[codes.Code, ...]
) -> pl.Series:
    """Each pupil's exclusions as the school records them: category, start day (a school day of the period the
    return covers, at most one a day), sessions and reason. A permanent exclusion comes last, as the pupil does
    not come back to that school, and has no sessions (it has no end)."""
    count = suspensions + permanent
    pupil = np.repeat(np.arange(len(count)), count)
    order_in_pupil = np.arange(len(pupil)) - np.repeat(np.cumsum(count) - count, count)
    # Distinct school days per pupil, in order: sorted draws, each moved on by its place in the pupil's list.
    days = np.arange(period_start, census_day)
    school_days = days[weekday(days) < 5]  # Monday to Friday
    drawn = rng.integers(0, len(school_days) - count[pupil] + 1)
    start = school_days[drawn[np.lexsort((drawn, pupil))] + order_in_pupil]
    is_permanent = order_in_pupil >= suspensions[pupil]
    events = pl.DataFrame(
        {
            "pupil": pupil,
            "category": np.where(is_permanent, "PERM", "FIXD"),
            "start_day": start.astype(np.int32),
            "sessions": rng.choice(SUSPENSION_SESSIONS, len(pupil), p=SUSPENSION_SESSION_WEIGHTS),
            "reason": pl.Series(draw_codes(rng, reasons, len(pupil)), dtype=pl.Utf8),
        }
    ).with_columns(pl.when(pl.col("category") == "FIXD").then(pl.col("sessions")).alias("sessions"))
    listed = events.group_by("pupil").agg(pl.struct("category", "start_day", "sessions", "reason").alias("exclusions"))
    return pl.DataFrame({"pupil": np.arange(len(count))}).join(listed, on="pupil", how="left", maintain_order="left")["exclusions"]


def _school_number(lsoa: np.ndarray, secondary: np.ndarray) -> np.ndarray:
    """Pupils go to the school serving their LSOA: ~4 LSOAs per primary, ~12 per secondary."""
    return np.where(secondary, 4000 + (lsoa // 12) % 1000, 2000 + (lsoa // 4) % 1000).astype(np.int32)


def _allocate_upns(ctx: Context, pupils: pl.DataFrame) -> pl.DataFrame:
    """A UPN is allocated once, at the first school, in the year the child entered reception."""
    las = np.array([la.code for la in ctx.config.local_authorities])
    first = pupils.sort("census_day").group_by("person", maintain_order=True).first()
    dob = ctx.population.persons.dob[first["person"].to_numpy()]
    dob_dates = (np.datetime64("1970-01-01") + dob.astype("timedelta64[D]")).astype("datetime64[Y]").astype(int) + 1970
    months = ((np.datetime64("1970-01-01") + dob.astype("timedelta64[D]")).astype("datetime64[M]").astype(int) % 12) + 1
    entry_year = dob_dates + 4 + (months >= 9)
    first = first.with_columns(pl.Series("alloc_year", entry_year), pl.Series("la_code", las[first["la_index"].to_numpy()]))
    first = first.with_columns((pl.int_range(pl.len()).over("la_code", "estab", "alloc_year") + 1).alias("serial"))
    if first["serial"].max() > 999:
        raise RuntimeError("more than 999 UPNs allocated by one school in one year")
    upn = make_upns(first["la_code"].to_numpy(), first["estab"].to_numpy(), first["alloc_year"].to_numpy(), first["serial"].to_numpy())
    upns = pl.DataFrame({"person": first["person"], "upn": upn.astype(object)})
    return pupils.join(upns, on="person", how="left")


def _open_on(cin: pl.DataFrame, person: np.ndarray, day: int) -> np.ndarray:
    if cin.is_empty():
        return np.zeros(len(person), dtype=bool)
    open_kids = cin.filter((pl.col("referral") <= day) & (pl.col("closure") > day))["child"].to_numpy()
    return np.isin(person, open_kids)


# --- hospital admissions ------------------------------------------------------------------------
def hospital_admissions(ctx: Context) -> pl.DataFrame:
    rng, P, H = ctx.rng, ctx.population.persons, ctx.population.households
    spells = ctx.history.spells.with_columns(pl.col("end").fill_null(day_number(ctx.config.end) + 1))
    person = spells["person"].to_numpy()
    hh = spells["household"].to_numpy()
    start, end = spells["start"].to_numpy().astype(np.int64), spells["end"].to_numpy().astype(np.int64)
    years = (end - start) / DAYS_PER_YEAR
    age = ((start + end) / 2 - P.dob[person]) / DAYS_PER_YEAR
    general_rate = np.select([age < 1, age < 16, age < 65], [0.25, 0.05, 0.06 + 0.002 * age], 0.3) * np.exp(0.2 * H.hardship[hh])
    adult = age >= 18
    mh_rate = np.where(adult, 0.004 + 0.12 * H.mental_health[hh] + 0.05 * H.substance_misuse[hh], np.where(age >= 11, 0.003 + 0.02 * H.mental_health[hh], 0.0))
    rows = []
    for rate, kind in ((general_rate, "general"), (mh_rate, "mental_health")):
        count = rng.poisson(rate * years)
        idx = np.repeat(np.arange(len(person)), count)
        day = start[idx] + (rng.random(len(idx)) * (end[idx] - start[idx])).astype(np.int64)
        diag_list = codes.ICD10_GENERAL if kind == "general" else codes.ICD10_MENTAL_HEALTH
        stay = rng.gamma(1.2, 3.0 if kind == "general" else 15.0, len(idx)).astype(np.int64)
        rows.append(
            pl.DataFrame(
                {
                    "person": person[idx],
                    "admission_day": day,
                    "discharge_day": day + stay,
                    "diagnosis": draw_codes(rng, tuple(c for c in diag_list if c.weight > 0), len(idx)),
                    "admission_method": draw_codes(rng, codes.HES_ADMISSION_METHOD[:8], len(idx)),
                }
            )
        )
    births = ctx.history.births
    if not births.is_empty():
        day = births["day"].to_numpy().astype(np.int64)
        stay = rng.integers(1, 4, len(day))
        for who, diag, method in (("mother", codes.BIRTH_DIAGNOSIS_MOTHER, "31"), ("child", codes.BIRTH_DIAGNOSIS_BABY, "82")):
            rows.append(
                pl.DataFrame(
                    {
                        "person": births[who].to_numpy(),
                        "admission_day": day,
                        "discharge_day": day + stay,
                        "diagnosis": np.full(len(day), diag, dtype=object),
                        "admission_method": np.full(len(day), method, dtype=object),
                    }
                )
            )
    admissions = pl.concat(rows, how="vertical_relaxed").unique(subset=["person", "admission_day"], keep="first", maintain_order=True)
    return admissions.sort("admission_day", "person")


# --- youth justice ------------------------------------------------------------------------------
def youth_offences(ctx: Context) -> pl.DataFrame:
    rng, P, H = ctx.rng, ctx.population.persons, ctx.population.households
    spells = ctx.history.spells.with_columns(pl.col("end").fill_null(day_number(ctx.config.end) + 1))
    person = spells["person"].to_numpy()
    hh = spells["household"].to_numpy()
    dob = P.dob[person].astype(np.int64)
    lo = np.maximum(spells["start"].to_numpy(), dob + int(10 * DAYS_PER_YEAR))
    hi = np.minimum(spells["end"].to_numpy(), dob + int(18 * DAYS_PER_YEAR))
    years = np.clip(hi - lo, 0, None) / DAYS_PER_YEAR
    known_to_care = np.zeros(P.n, dtype=bool)
    if not ctx.history.cin.is_empty():
        known_to_care[ctx.history.cin["child"].to_numpy()] = True
    rate = 0.004 * np.exp(0.8 * H.hardship[hh] + 1.1 * (P.sex[person] == MALE) + 1.3 * known_to_care[person])
    rate = np.where(H.kind[hh] == KIND_INSTITUTION, rate * 3, rate)
    count = rng.poisson(rate * years)
    idx = np.repeat(np.arange(len(person)), count)
    day = lo[idx] + (rng.random(len(idx)) * (hi[idx] - lo[idx])).astype(np.int64)
    return pl.DataFrame(
        {
            "person": person[idx],
            "offence_day": day,
            "outcome_day": day + rng.integers(14, 150, len(idx)),
            "offence_type": draw_codes(rng, codes.YJ_OFFENCE_TYPE, len(idx)),
            "outcome": draw_codes(rng, codes.YJ_OUTCOME, len(idx)),
        }
    ).sort("offence_day", "person")


# --- Census 2021 -----------------------------------------------------------------------------------
CENSUS_DAY = date(2021, 3, 21)


def census_2021(ctx: Context) -> pl.DataFrame | None:
    """Residents of private households on census day with their relationship to person 1."""
    if CENSUS_DAY.year not in ctx.config.years:
        return None
    day = day_number(CENSUS_DAY)
    rng, P, H = ctx.rng, ctx.population.persons, ctx.population.households
    here = covering(ctx.history.spells, day)
    here = here.filter(pl.Series(H.kind[here["household"].to_numpy()] != KIND_INSTITUTION))
    households = here["household"].unique().to_numpy()
    responding = households[rng.random(len(households)) >= 0.02]
    here = here.filter(pl.col("household").is_in(responding))
    person = here["person"].to_numpy()
    age = (day - P.dob[person]) / DAYS_PER_YEAR
    # Person 1: the oldest adult under 65 where there is one, else the oldest.
    priority = np.where((age >= 18) & (age < 65), 1000 + age, age)
    frame = here.with_columns(pl.Series("priority", priority)).sort(["household", "priority"], descending=[False, True])
    frame = frame.with_columns(pl.int_range(pl.len()).over("household").alias("person_number0"))
    first = frame.filter(pl.col("person_number0") == 0).select("household", pl.col("person").alias("person_one"))
    frame = frame.join(first, on="household")
    p, one = frame["person"].to_numpy(), frame["person_one"].to_numpy()
    rel = _relationship(P, p, one)
    return frame.with_columns(pl.Series("relationship", rel), (pl.col("person_number0") + 1).alias("person_number")).drop("priority", "person_number0")


def _relationship(P, p: np.ndarray, one: np.ndarray) -> np.ndarray:
    mother, father, partner = P.mother, P.father, P.partner

    def parent_of(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return (mother[y] == x) | (father[y] == x)

    def safe(a: np.ndarray) -> np.ndarray:
        return np.maximum(a, 0)

    married = P.married[p] & P.married[one]
    share_parent = ((mother[p] >= 0) & (mother[p] == mother[one])) | ((father[p] >= 0) & (father[p] == father[one]))
    one_partner = partner[one]
    conditions = [
        p == one,
        partner[p] == one,
        parent_of(one, p),
        (one_partner >= 0) & parent_of(one_partner, p),
        share_parent,
        parent_of(p, one),
        ((mother[p] >= 0) & parent_of(one, safe(mother[p]))) | ((father[p] >= 0) & parent_of(one, safe(father[p]))),
        ((mother[one] >= 0) & parent_of(p, safe(mother[one]))) | ((father[one] >= 0) & parent_of(p, safe(father[one]))),
    ]
    choices = ["0", np.where(married, "1", "3"), "4", "5", "6", "8", "10", "11"]
    return np.select(conditions, [np.broadcast_to(c, p.shape) for c in choices], "13").astype(object)
