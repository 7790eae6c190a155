"""The LA register of children not in school: children missing education (CME) and in elective home education
(EHE), built from the school census truth, and the yearly extract of it each LA sends (`cnis/<year>/`).

A child who leaves a school roll with no known destination (the school census's `left_roll_unexplained`) reaches
the register of the LA they live in, as CME or, when the parents elect it, EHE. Most arrive within weeks: the
school's deletion return reaches the LA when the child comes off the roll, at once for a parent's notice of EHE,
after four weeks of absence and enquiries for a child whose whereabouts are unknown. Some arrive months later,
and some never. An entry ends when the child is on a roll again (`back_on_roll`), moves to another LA, or
ceases to be of compulsory school age; a CME entry may end with the parents electing home education, which
opens an EHE entry. No child-level layout is published, so the extract is a Hearth layout whose columns
`code_lists.not_in_school.REGISTER_FIELDS` ties to the statutory provisions that make an LA hold them.

Every draw, the extract's faults included, comes from this source's own stream (`NOT_IN_SCHOOL_STREAM`), so
the files of every other source stay as they were.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import numpy as np
import polars as pl

from code_lists import Code
from code_lists import not_in_school as cnis

from .dynamics import day_number
from .extracts import ExtractWriter
from .faults import FaultInjector
from .formats import DMY, dates, weekday
from .population import draw_codes
from .services import Context, at_dates

TABLE = "cnis_register"
NOT_IN_SCHOOL_STREAM = 4360  # Education Act 1996 s.436A; sub-streams 0 (the register), 1 and 2 (its extract's faults)

# Assumptions, not published rates: how many roll-leavers the LA never hears of, and how many it hears of late
# (through another service, months after the school's return should have reached it).
NEVER_RECORDED = 0.12
LATE_SHARE = 0.2
LATE_DELAY_DAYS = (60, 240)
# A parent's written notice of EHE is a ground for taking the child off the roll at once, so the school's deletion
# return (reg 13 of the 2024 regulations) follows within days; a child whose whereabouts are unknown comes off it
# after 20 school days of continuous absence and the school's enquiries, about four to six weeks after leaving.
PROMPT_DELAY_DAYS = {"EHE": (1, 15), "CME": (28, 45)}
# Share of roll-leavers the LA records as EHE rather than CME, before the characteristics below. On the
# autumn 2024 census date LAs counted 111,700 children in EHE and 39,200 missing education (EES, Elective
# home education and Children missing education, autumn 2024/25); a CME entry is shorter-lived, so the share
# of new entries that are EHE is lower than the 74% of the stock: 55% is an assumption.
EHE_SHARE = 0.55
# Odds ratios of EHE over CME. EHE children more often have SEN: 16% SEN support and 6% EHC plans against 14%
# and 5% of all pupils (EES, Elective home education, autumn 2024/25); persistent absence before leaving
# and social care involvement are assumptions in the same direction, as is the rise with age (EES autumn
# 2023/24: from 3% of EHE children in year 1 to 19% in year 11).
EHE_ODDS_RATIO = {"sen_support": 1.3, "ehc_plan": 1.4, "persistent_absence": 1.5, "social_care": 1.3, "secondary": 1.5}
# Assumptions: some CME entries end with the parents confirming they educate the child at home, most often
# for a child who is not going back to school (one the simulation never puts on a roll again).
CME_TO_EHE_SHARE = {"returns": 0.1, "stays_out": 0.6}
CME_TO_EHE_AFTER_DAYS = (20, 120)
SEND_REASON_SCALE = {True: 3.0, False: 0.0}  # only a child with SEN leaves over unmet SEND needs
COVID_LOCKDOWN = day_number(date(2020, 3, 23))


def end_of_compulsory_school_age(dob: np.ndarray) -> np.ndarray:
    """The last Friday in June of the school year in which the child turns 16 (Education Act 1996 s.8)."""
    birth = np.datetime64("1970-01-01") + np.asarray(dob, dtype=np.int64).astype("timedelta64[D]")
    year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    month = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    june = (year + 16 + (month >= 9) - 1970).astype("datetime64[Y]").astype("datetime64[M]") + 5
    june_30 = (june.astype("datetime64[D]") + 29 - np.datetime64("1970-01-01")).astype(np.int64)
    return june_30 - (weekday(june_30) - 4) % 7


def ehe_probability(sen_provision: np.ndarray, persistent_absence: np.ndarray, social_care: np.ndarray, secondary: np.ndarray) -> np.ndarray:
    """The chance a roll-leaver's entry is EHE rather than CME (EHE_SHARE, shifted by EHE_ODDS_RATIO)."""
    log_odds = (
        np.log(EHE_SHARE / (1 - EHE_SHARE))
        + np.log(EHE_ODDS_RATIO["sen_support"]) * (sen_provision == "K")
        + np.log(EHE_ODDS_RATIO["ehc_plan"]) * (sen_provision == "E")
        + np.log(EHE_ODDS_RATIO["persistent_absence"]) * persistent_absence
        + np.log(EHE_ODDS_RATIO["social_care"]) * social_care
        + np.log(EHE_ODDS_RATIO["secondary"]) * secondary
    )
    return 1 / (1 + np.exp(-log_odds))


def leaving_episodes(ctx: Context, pupils: pl.DataFrame) -> pl.DataFrame:
    """Each time a child left a roll with no known destination: the day, the last census the child was on roll at
    (its school, SEN provision, absence and year group), whether children's social care had known the child, and
    the day the child is back on a roll (null: not before the world ends)."""
    events = ctx.history.life_events
    left = events.filter(pl.col("event") == "left_roll_unexplained").select("person", pl.col("day").alias("leave_day")).sort("leave_day")
    back = events.filter(pl.col("event") == "back_on_roll").select("person", pl.col("day").alias("back_day")).sort("back_day")
    last_census = pupils.select("person", "census_day", "la_index", "estab", "nc_year", "sen_provision", "sessions_possible", "sessions_missed", "upn")
    episodes = left.join_asof(
        last_census.sort("census_day"), left_on="leave_day", right_on="census_day", by="person", strategy="backward", check_sortedness=False
    )
    episodes = episodes.join_asof(back, left_on="leave_day", right_on="back_day", by="person", strategy="forward", check_sortedness=False)
    cin = ctx.history.cin
    if cin.is_empty():
        return episodes.with_columns(pl.lit(False).alias("social_care"))
    referrals = cin.select(pl.col("child").cast(pl.Int32).alias("person"), pl.col("referral").cast(pl.Int32).alias("referral_day")).sort("referral_day")
    episodes = episodes.join_asof(referrals, left_on="leave_day", right_on="referral_day", by="person", strategy="backward", check_sortedness=False)
    return episodes.with_columns(pl.col("referral_day").is_not_null().alias("social_care")).drop("referral_day")


def _la_exits(ctx: Context, persons: pl.Series) -> pl.DataFrame:
    """person, exit_day, new_la (-1: out of the area): each day one of `persons` stops living in an LA."""
    spells = ctx.history.spells.filter(pl.col("person").is_in(persons.implode())).sort("person", "start")
    spells = spells.with_columns(pl.Series("la", ctx.gazetteer.la_index[spells["prop"].to_numpy()].astype(np.int32)))
    # Sorted by person, a person's next spell is the row below if it is theirs (no window per person needed).
    theirs = pl.col("person") == pl.col("person").shift(-1)
    spells = spells.with_columns(pl.when(theirs).then(pl.col(name).shift(-1)).alias(f"next_{name}") for name in ("la", "start"))
    moved_on = pl.col("next_start") == pl.col("end")
    exits = spells.filter(pl.col("end").is_not_null() & ~(moved_on & (pl.col("next_la") == pl.col("la"))).fill_null(False))
    return exits.select("person", pl.col("end").alias("exit_day"), pl.when(moved_on).then(pl.col("next_la")).otherwise(-1).alias("new_la")).sort("exit_day")


def _ehe_reasons(rng: np.random.Generator, sen: np.ndarray, day: np.ndarray) -> np.ndarray:
    """EHE primary reasons by their weights; the SEND reason only for children with SEN, the COVID-19 one only from
    the first lockdown on."""
    out = np.empty(len(sen), dtype=object)
    for with_sen in (False, True):
        for covid_era in (False, True):
            weights = {c.code: c.weight * (SEND_REASON_SCALE[with_sen] if c.code in cnis.SEND_REASONS else 1.0) for c in cnis.EHE_PRIMARY_REASON}
            weights[cnis.COVID_REASON] *= covid_era
            code_list = tuple(Code(code, code, weight) for code, weight in weights.items() if weight > 0)
            drawn = draw_codes(rng, code_list, len(sen))
            rows = (sen == with_sen) & ((day >= COVID_LOCKDOWN) == covid_era)
            out[rows] = drawn[rows]
    return out


def register_entries(ctx: Context, pupils: pl.DataFrame) -> pl.DataFrame:
    """The true register: one row per entry (person, la_index, register, reason, date_on, date_off, off_reason, the
    school left and the destination), from every roll-leaver the LA hears of while the child is still off roll,
    in the area and of compulsory school age. Dates are day numbers; date_off is null while the entry is open
    at the end of the world."""
    rng = np.random.default_rng([ctx.config.seed, NOT_IN_SCHOOL_STREAM, 0])
    world_end = day_number(ctx.config.end)
    episodes = leaving_episodes(ctx, pupils)
    n = episodes.height
    sen = episodes["sen_provision"].to_numpy().astype(str)
    persistent = (episodes["sessions_missed"] >= 0.1 * episodes["sessions_possible"]).to_numpy()
    is_ehe = rng.random(n) < ehe_probability(sen, persistent, episodes["social_care"].to_numpy(), episodes["nc_year"].to_numpy() >= 7)
    recorded = rng.random(n) >= NEVER_RECORDED
    late = rng.random(n) < LATE_SHARE
    prompt = np.where(is_ehe, rng.integers(*PROMPT_DELAY_DAYS["EHE"], n), rng.integers(*PROMPT_DELAY_DAYS["CME"], n))
    date_on = episodes["leave_day"].to_numpy().astype(np.int64) + np.where(late, rng.integers(*LATE_DELAY_DAYS, n), prompt)
    episodes = episodes.with_columns(
        pl.Series("is_ehe", is_ehe),
        pl.Series("recorded", recorded),
        pl.Series("date_on", date_on.astype(np.int32)),
        pl.Series("ehe_reason", _ehe_reasons(rng, np.isin(sen, ["K", "E"]), date_on), dtype=pl.Utf8),
        pl.Series("cme_reason", draw_codes(rng, cnis.CME_REASON, n), dtype=pl.Utf8),
        pl.Series("to_ehe", rng.random(n) < np.where(episodes["back_day"].is_null().to_numpy(), CME_TO_EHE_SHARE["stays_out"], CME_TO_EHE_SHARE["returns"])),
        pl.Series("to_ehe_day", (date_on + rng.integers(*CME_TO_EHE_AFTER_DAYS, n)).astype(np.int32)),
    ).sort("date_on", "person")
    episodes = episodes.join_asof(
        _la_exits(ctx, episodes["person"]), left_on="date_on", right_on="exit_day", by="person", strategy="forward", check_sortedness=False
    )
    located = at_dates(ctx.history, episodes.select("person", "date_on"), "date_on")
    in_area = (located["end"].is_null() | (located["end"] > located["date_on"])).to_numpy()
    date_on = episodes["date_on"].to_numpy().astype(np.int64)
    to_ehe_day = episodes["to_ehe_day"].to_numpy().astype(np.int64)
    is_ehe = episodes["is_ehe"].to_numpy()

    never = np.iinfo(np.int64).max
    stops = {
        "Returned to school": episodes["back_day"].fill_null(never).to_numpy().astype(np.int64),
        "Moved to another local authority": episodes["exit_day"].fill_null(never).to_numpy().astype(np.int64),
        "Ceased to be of compulsory school age": end_of_compulsory_school_age(ctx.population.persons.dob[episodes["person"].to_numpy()]),
    }
    stop = np.minimum.reduce(list(stops.values()))
    stop_reason = np.select([stop == day for day in stops.values()], list(stops), "")
    entered = episodes["recorded"].to_numpy() & in_area & (date_on < stop) & (date_on <= world_end)
    switches = entered & ~is_ehe & episodes["to_ehe"].to_numpy() & (to_ehe_day < stop) & (to_ehe_day <= world_end)

    base = episodes.select(
        "person",
        pl.Series("la_index", ctx.gazetteer.la_index[located["prop"].to_numpy()]),
        pl.col("la_index").alias("school_la_index"),
        pl.col("estab").alias("school_estab"),
        "upn",
        "new_la",
    )
    first = base.with_columns(
        pl.Series("register", np.where(is_ehe, "EHE", "CME"), dtype=pl.Utf8),
        pl.Series("reason", np.where(is_ehe, episodes["ehe_reason"].to_numpy(), episodes["cme_reason"].to_numpy()), dtype=pl.Utf8),
        pl.Series("date_on", date_on),
        pl.Series("date_off", np.where(switches, to_ehe_day, stop)),
        pl.Series("off_reason", np.where(switches, "Began elective home education", stop_reason), dtype=pl.Utf8),
    ).filter(pl.Series(entered))
    second = base.with_columns(
        pl.lit("EHE").alias("register"),
        episodes["ehe_reason"].cast(pl.Utf8).alias("reason"),
        pl.Series("date_on", to_ehe_day),
        pl.Series("date_off", stop),
        pl.Series("off_reason", stop_reason, dtype=pl.Utf8),
    ).filter(pl.Series(switches))
    entries = pl.concat([first, second]).with_columns(
        pl.col("date_on").cast(pl.Int32),
        pl.when(pl.col("date_off") <= world_end).then(pl.col("date_off")).cast(pl.Int32).alias("date_off"),
    )
    entries = entries.with_columns(pl.when(pl.col("date_off").is_not_null()).then(pl.col("off_reason")).alias("off_reason"))
    return (
        _destinations(entries, pupils).sort("la_index", "date_on", "person").with_columns((pl.int_range(pl.len()).over("la_index") + 1).alias("entry_number"))
    )


def _destinations(entries: pl.DataFrame, pupils: pl.DataFrame) -> pl.DataFrame:
    """Where an ended entry's child went: the school of the first census back on roll, or the LA moved to."""
    returned = pl.col("off_reason") == "Returned to school"
    keyed = entries.with_row_index("_entry").with_columns(pl.when(returned).then(pl.col("date_off")).alias("_back"))
    schools = pupils.select("person", pl.col("census_day").alias("_census"), pl.col("la_index").alias("_to_la"), pl.col("estab").alias("_to_estab"))
    found = (
        keyed.filter(pl.col("_back").is_not_null())
        .sort("_back")
        .join_asof(schools.sort("_census"), left_on="_back", right_on="_census", by="person", strategy="forward", check_sortedness=False)
        .select("_entry", "_to_la", "_to_estab")
    )
    keyed = keyed.join(found, on="_entry", how="left").sort("_entry")
    moved = (pl.col("off_reason") == "Moved to another local authority") & (pl.col("new_la") >= 0)
    return keyed.select(
        pl.exclude("_entry", "_back", "_to_la", "_to_estab", "new_la"),
        pl.when(returned).then(pl.col("_to_la").fill_null(-1)).when(moved).then(pl.col("new_la")).otherwise(-1).alias("destination_la_index"),
        pl.when(returned).then(pl.col("_to_estab").fill_null(-1)).otherwise(-1).alias("destination_estab"),
    )


def extract_rows(entries: pl.DataFrame, years: tuple[int, ...]) -> pl.DataFrame:
    """Each year's extract: the entries open at any time in the academic year to 31 August, as they stood then
    (an entry ending later is open in it). An entry open across two years is in both."""
    rows = []
    for year in years:
        start, end = day_number(date(year - 1, 9, 1)), day_number(date(year, 8, 31))
        in_year = entries.filter((pl.col("date_on") <= end) & (pl.col("date_off").is_null() | (pl.col("date_off") >= start)))
        closed = pl.col("date_off") <= end
        rows.append(
            in_year.with_columns(
                pl.lit(year).alias("year"),
                pl.when(closed).then(pl.col("date_off")).alias("date_off"),
                pl.when(closed).then(pl.col("off_reason")).alias("off_reason"),
                pl.when(closed).then(pl.col("destination_la_index")).otherwise(-1).alias("destination_la_index"),
                pl.when(closed).then(pl.col("destination_estab")).otherwise(-1).alias("destination_estab"),
            )
        )
    return pl.concat(rows)


@contextmanager
def own_fault_streams(faults: FaultInjector, seed: int) -> Iterator[FaultInjector]:
    """The injector draws this source's faults from streams of its own (NOT_IN_SCHOOL_STREAM 1 and 2), and the
    world's streams are handed back untouched, so no other source's faults move. Record ids still run on."""
    saved = faults.rng, faults.profile
    faults.rng = np.random.default_rng([seed, NOT_IN_SCHOOL_STREAM, 1])
    faults.profile = np.random.default_rng([seed, NOT_IN_SCHOOL_STREAM, 2])
    try:
        yield faults
    finally:
        faults.rng, faults.profile = saved


def write_register(writer: ExtractWriter, pupils: pl.DataFrame) -> None:
    """One CSV per LA and collection year, `cnis/<year>/cnis_<LA>_<year>.csv` (header-only when the LA had no
    entry open that year), with the faults an LA's records have: names, dates of birth, sex, stale or
    re-ordered addresses, missing postcodes and UPNs, mistyped UPNs, reasons out of the list, a date off keyed
    before the date on, and rows written twice."""
    ctx = writer.ctx
    entries = register_entries(ctx, pupils)
    rows = extract_rows(entries, ctx.config.years)
    every_file = tuple(writer.rel("cnis", year, f"cnis_{la}_{year}.csv") for year in ctx.config.years for la in writer.la_codes)
    with own_fault_streams(writer.faults, ctx.config.seed) as faults:
        frame = writer.with_people(rows)
        frame = writer.addresses(TABLE, frame, "date_on")
        rid = frame["_rid"].to_numpy()
        first, last = writer.names(TABLE, frame)
        parts = writer.address_parts(frame["_address_prop"].to_numpy())
        upn = faults.blank(TABLE, rid, "upn", "missing_upn", frame["upn"].fill_null("").to_numpy().astype(object), ctx.config.faults.missing_upn)
        parent_first, parent_last = _parents(writer, frame)
        la = writer.la_codes
        destination_la = frame["destination_la_index"].to_numpy()
        destination_estab = frame["destination_estab"].to_numpy()
        columns = {
            "RegisterEntryID": np.array([f"{n:06d}" for n in frame["entry_number"].to_numpy()], dtype=object),
            "Register": frame["register"].to_numpy(),
            "Forename": first,
            "Surname": last,
            "DOB": writer.dob(TABLE, frame, DMY),
            "Sex": writer.sex(TABLE, frame, cnis.SEX),
            "UPN": faults.upn_typo(TABLE, rid, "upn", upn),
            "AddressLine1": faults.address_variant(TABLE, rid, "address", parts["street_line"]),
            "AddressLine2": parts["locality"],
            "Town": parts["town"],
            "Postcode": writer.postcode(TABLE, frame, parts["postcode"]),
            "ParentForename": parent_first,
            "ParentSurname": parent_last,
            "DateOnRegister": dates(frame["date_on"].to_numpy(), DMY),
            "DateOffRegister": _date_off(faults, rid, frame, ctx.config.seed),
            "Reason": writer.coded(TABLE, frame, "reason", frame["reason"].to_numpy()),
            "DateOffReason": frame["off_reason"].fill_null("").to_numpy().astype(object),
            "PreviousSchoolLA": la[frame["school_la_index"].to_numpy()],
            "PreviousSchoolEstab": frame["school_estab"].to_numpy(),
            "DestinationLA": np.where(destination_la >= 0, la[np.maximum(destination_la, 0)].astype(str), "").astype(object),
            "DestinationEstab": np.where(destination_estab >= 0, destination_estab.astype(str), "").astype(object),
        }
        files = writer.file_of_rows(lambda i, year: writer.rel("cnis", year, f"cnis_{la[i]}_{year}.csv"), frame["la_index"], frame["year"])
        out = writer.finish(TABLE, frame, files, {**columns, "_date_on": frame["date_on"].to_numpy()}, ["_date_on", "RegisterEntryID"])
    writer.write_csv(out, [field.column for field in cnis.REGISTER_FIELDS], every_file)


def _date_off(faults: FaultInjector, rid: np.ndarray, frame: pl.DataFrame, seed: int) -> np.ndarray:
    """The date off as keyed: some typed as a day before the date on (a logged fault, `date_off_before_on`)."""
    closed = frame["date_off"].is_not_null().to_numpy()
    written = np.where(closed, dates(frame["date_off"].fill_null(0).to_numpy(), DMY), "").astype(object)
    hit = faults.mask(len(written), faults.rates.date_off_before_on, closed)
    keyed = frame["date_on"].to_numpy()[hit].astype(np.int64) - np.random.default_rng([seed, NOT_IN_SCHOOL_STREAM, 3]).integers(1, 60, int(hit.sum()))
    return faults.replace(TABLE, rid, "date_off", "date_off_before_on", written, hit, dates(keyed, DMY))


def _parents(writer: ExtractWriter, frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The name of a parent the child lives with on the date on: the mother where she does, else the father (blank
    for a child living with neither), with the surname the parent had that day."""
    P = writer.ctx.population.persons
    child = frame["_person"].to_numpy()
    household = frame["household"].to_numpy()
    chosen = np.full(len(child), -1, dtype=np.int64)
    for parent in (P.view("father")[child], P.view("mother")[child]):  # the mother, written last, wins
        known = parent >= 0
        at_home = at_dates(writer.ctx.history, pl.DataFrame({"person": np.maximum(parent, 0).astype(np.int32), "date_on": frame["date_on"]}), "date_on")
        lives_with = known & (at_home["household"].to_numpy() == household) & (at_home["end"].is_null() | (at_home["end"] > at_home["date_on"])).to_numpy()
        chosen = np.where(lives_with, parent, chosen)
    has_parent = chosen >= 0
    safe = np.maximum(chosen, 0)
    first = np.where(has_parent, P.view("first_name")[safe], "").astype(object)
    keyed = pl.DataFrame({"person": safe.astype(np.int32), "_day": frame["date_on"].cast(pl.Int32)}).with_row_index("_i")
    changes = writer.surname_changes.select("person", pl.col("day").alias("_change_day"), pl.col("last_name").alias("_new_surname"))
    changed = (
        keyed.sort("_day")
        .join_asof(changes.sort("_change_day"), left_on="_day", right_on="_change_day", by="person", strategy="backward", check_sortedness=False)
        .sort("_i")
    )
    surname = changed.select(pl.coalesce("_new_surname", pl.Series("_first", P.view("last_name")[safe], dtype=pl.String))).to_series().to_numpy()
    return first, np.where(has_parent, surname, "").astype(object)
