"""The LA's records of what it provided: contacts, early help episodes and services, in the shape of the
Data to Insight Standard Safeguarding Dataset (data-to-insight/ssd-data-model: `ssd_contacts`,
`ssd_early_help_episodes`), beside the `ssd_person` and `ssd_address` files of the same extract.

SSD has no table of services or interventions; `ssd_services` is Hearth's, in SSD's style (a table
prefix on every column, person ids that are `pers_person_id`). Contacts and services of child-in-need
cases are drawn after the simulation from a stream of their own; early help episodes and their services
come from the simulation (early_help.py), since one service there changes who is referred.
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

import code_lists as codes
from code_lists import early_help as eh_codes

from .dynamics import History, day_number
from .formats import ISO, dates
from .population import DAYS_PER_YEAR, draw_codes

if TYPE_CHECKING:
    from .extracts import ExtractWriter
    from .services import Context

SERVICE_INPUTS_STREAM = 1617
# Contacts that end in advice or no further action, per child per year at average hardship: English LAs
# receive about 3-4 contacts for every referral (LA returns; not a national statistic, an assumption).
OTHER_CONTACT_RATE = 0.05
_SERVICE_LABEL = {c.code: c.label for c in eh_codes.SERVICE_TYPE}
_SOURCE_LABEL = {c.code: c.label for c in codes.CIN_REFERRAL_SOURCE}
_OUTCOME_JSON = {chosen: json.dumps({key: "Y" if key == chosen else "N" for key in eh_codes.CONTACT_OUTCOME_KEYS}) for chosen in eh_codes.CONTACT_OUTCOME_KEYS}


def contacts(ctx: Context) -> pl.DataFrame:
    """Every contact (person, day, source, outcome): one before each referral, one before each early help
    episode that was not a step-down, and the contacts that end in advice or nothing further."""
    rng = np.random.default_rng([ctx.config.seed, SERVICE_INPUTS_STREAM])
    cin, early = ctx.history.cin, ctx.history.early_help
    referral = pl.DataFrame(
        {
            "person": cin["child"],
            "day": (cin["referral"] - rng.integers(0, 4, cin.height)).cast(pl.Int32),
            "source": cin["source"],
            "outcome": pl.Series(np.where(cin["nfa"].to_numpy(), "NFA_FLAG", "NEW_REFERRAL_FLAG"), dtype=pl.Utf8),
        }
    )
    offered = early.filter(~pl.col("stepped_down"))
    to_early_help = pl.DataFrame(
        {
            "person": offered["child"],
            "day": (offered["start"] - rng.integers(0, 11, offered.height)).cast(pl.Int32),
            "source": pl.Series(draw_codes(rng, codes.CIN_REFERRAL_SOURCE, offered.height), dtype=pl.Utf8),
            "outcome": pl.Series(["OTHER_OUTCOMES_EXIST_FLAG"] * offered.height, dtype=pl.Utf8),
        }
    )
    return pl.concat([referral, to_early_help, _other_contacts(rng, ctx)]).sort("day", "person")


def _other_contacts(rng: np.random.Generator, ctx: Context) -> pl.DataFrame:
    """Contacts about children living in the area that end in advice or no further action."""
    spells = ctx.history.spells.with_columns(pl.col("end").fill_null(day_number(ctx.config.end) + 1))
    start, end = spells["start"].to_numpy().astype(np.int64), spells["end"].to_numpy().astype(np.int64)
    dob = ctx.population.persons.dob[spells["person"].to_numpy()].astype(np.int64)
    hardship = ctx.population.households.hardship[spells["household"].to_numpy()]
    # The part of each spell before the 18th birthday.
    adult = (dob + 18 * DAYS_PER_YEAR).astype(np.int64)
    child_end = np.minimum(end, adult)
    years = np.clip(child_end - np.maximum(start, dob), 0, None) / DAYS_PER_YEAR
    count = rng.poisson(OTHER_CONTACT_RATE * np.exp(0.6 * hardship) * years)
    idx = np.repeat(np.arange(spells.height), count)
    first = np.maximum(start[idx], dob[idx])
    day = first + (rng.random(len(idx)) * (child_end[idx] - first)).astype(np.int64)
    return pl.DataFrame(
        {
            "person": spells["person"].to_numpy()[idx],
            "day": day.astype(np.int32),
            "source": pl.Series(draw_codes(rng, codes.CIN_REFERRAL_SOURCE, len(idx)), dtype=pl.Utf8),
            "outcome": pl.Series(np.where(rng.random(len(idx)) < 0.6, "ADVICE_FLAG", "NFA_FLAG"), dtype=pl.Utf8),
        }
    )


def cin_services(cin: pl.DataFrame, disabled: np.ndarray, seed: int) -> pl.DataFrame:
    """Services given to children on a child-in-need or protection plan, as the assessment's factors call
    for: key work for most, a family group conference for some facing a protection plan, and help for
    domestic abuse (3A/3B), parental mental health (4B) or substance misuse (1B/2B); short breaks for
    disabled children. None of these changes the simulation."""
    rng = np.random.default_rng([seed, SERVICE_INPUTS_STREAM, 2])
    planned = cin.filter(pl.col("plan") | pl.col("cpp"))
    n = planned.height
    start = np.where(planned["cpp"].to_numpy(), planned["cpp_start"].to_numpy(), planned["plan_start"].to_numpy()).astype(np.int64)
    end = np.maximum(planned["closure"].to_numpy().astype(np.int64), start + 7)
    factors = planned["factors"].fill_null("").to_numpy().astype(str)

    def has(*codes_: str) -> np.ndarray:
        return np.array([any(code in f.split(",") for code in codes_) for f in factors], dtype=bool)

    wanted = {
        "KEYWORK": rng.random(n) < 0.85,
        "FGC": planned["cpp"].to_numpy() & (rng.random(n) < 0.4),
        "DASUPPORT": has("3A", "3B") & (rng.random(n) < 0.7),
        "WELLBEING": has("4B") & (rng.random(n) < 0.5),
        "SUBSTANCE": has("1B", "2B") & (rng.random(n) < 0.6),
        "PARENT": rng.random(n) < 0.15,
        "THERAPY": has("4A", "8E", "22A") & (rng.random(n) < 0.4),
        "SHORTBREAK": disabled[planned["child"].to_numpy()] & (rng.random(n) < 0.5),
    }
    frames = []
    for code, given in wanted.items():
        rows = np.flatnonzero(given)
        first = start[rows] + rng.integers(0, 29, len(rows))
        if code == "FGC":
            last, frequency, sessions = first, np.full(len(rows), "O", dtype=object), np.ones(len(rows), dtype=np.int64)
        elif code == "KEYWORK":
            last = np.maximum(end[rows], first + 7)
            frequency = np.where(planned["cpp"].to_numpy()[rows], "W", "F").astype(object)
            sessions = np.maximum(1, (last - first) // np.where(frequency == "W", 7, 14))
        elif code == "SHORTBREAK":
            last = np.maximum(end[rows], first + 28)
            frequency, sessions = np.full(len(rows), "M", dtype=object), np.maximum(1, (last - first) // 30)
        else:
            weeks = rng.integers(6, 17, len(rows))
            last, frequency, sessions = first + 7 * (weeks - 1), np.full(len(rows), "W", dtype=object), rng.binomial(weeks, 0.8)
        frames.append(
            pl.DataFrame(
                {
                    "person": planned["child"].to_numpy()[rows],
                    "referral": planned["referral"].to_numpy()[rows].astype(np.int64),
                    "episode": np.full(len(rows), -1, dtype=np.int64),
                    "service": np.full(len(rows), code, dtype=object),
                    "start": first,
                    "end": last,
                    "frequency": frequency,
                    "sessions": np.asarray(sessions, dtype=np.int64),
                }
            )
        )
    return pl.concat(frames, how="vertical_relaxed")


class ServiceInputsWriter:
    """Writes `ssd_contacts`, `ssd_early_help_episodes` and `ssd_services` for each LA and collection year:
    a year's file holds the records open at any time in it; an end after the year's 31 March is not yet known.

    The records are placed in the LA the person lived in on their day first (`activity`, from which the
    writer numbers the LA's person ids), then keyed with those ids (`key`) and written."""

    def __init__(self, writer: ExtractWriter, history: History, contact_frame: pl.DataFrame) -> None:
        self.w, self.history = writer, history
        self.contacts = self._in_la(contact_frame, "day")
        early = history.early_help
        self.early = self._in_la(early.rename({"child": "person"}), "start")

    def _in_la(self, frame: pl.DataFrame, day_col: str) -> pl.DataFrame:
        """Each record with the LA the person lived in on its day."""
        homes = self.history.spells.select("person", pl.col("start").alias("_moved_in"), "prop").sort("_moved_in")
        ordered = frame.with_columns(pl.col(day_col).cast(pl.Int32)).with_row_index("_order").sort(day_col)

        def home(strategy: str) -> pl.Series:
            joined = ordered.join_asof(homes, left_on=day_col, right_on="_moved_in", by="person", strategy=strategy, check_sortedness=False)
            return joined["prop"]

        # A contact a few days before a newborn's first home (or a family's arrival) takes the home that followed.
        located = ordered.with_columns(home("backward").fill_null(home("forward")).alias("prop")).sort("_order")
        return located.with_columns(pl.Series("la_index", self.w.gaz.la_index[located["prop"].to_numpy()])).drop("_order", "prop")

    def activity(self) -> pl.DataFrame:
        """(child, la_index, day) of every contact and early help episode."""
        return pl.concat(
            [
                self.contacts.select(pl.col("person").alias("child"), "la_index", "day"),
                self.early.select(pl.col("person").alias("child"), "la_index", pl.col("start").alias("day")),
            ],
            how="vertical_relaxed",
        )

    def key(self, ids: pl.DataFrame, cin: pl.DataFrame) -> None:
        """Give every record its LA person id, and gather the services of early help and of children in need
        (`cin`: episodes with their LA and person id)."""
        by_person = ids.rename({"child": "person"})
        # Ids a case-management system gives once, so a record open across years keeps its id in every extract.
        self.contacts = self.contacts.join(by_person, on=["person", "la_index"], how="left").with_row_index("record_no")
        self.early = self.early.join(by_person, on=["person", "la_index"], how="left")
        early_services = self.history.early_help_services.join(self.early.select("episode", "person", "la_index", "la_child_id"), on="episode")
        frames = [early_services.with_columns(pl.lit(-1, dtype=pl.Int64).alias("referral"))]
        disabled = self.w.cin_disabilities != "NONE"
        episodes = cin.select(pl.col("child").alias("person"), pl.col("referral").cast(pl.Int64), "la_index", "la_child_id")
        frames.append(cin_services(self.history.cin, disabled, self.w.ctx.config.seed).join(episodes, on=["person", "referral"], how="inner"))
        columns = ["person", "la_index", "la_child_id", "episode", "referral", "service", "start", "end", "frequency", "sessions"]
        self.services = pl.concat([frame.select(columns) for frame in frames], how="vertical_relaxed").with_row_index("record_no")

    def _of_year(self, year: int) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        start, end = day_number(date(year - 1, 4, 1)), day_number(date(year, 3, 31))
        contacts = self.contacts.filter(pl.col("day").is_between(start, end))
        early = self.early.filter((pl.col("start") <= end) & (pl.col("end") >= start))
        services = self.services.filter((pl.col("start") <= end) & (pl.col("end") >= start))
        return contacts, early, services

    def people_in(self, year: int) -> pl.DataFrame:
        """The people the year's contacts, episodes and services name (person, la_index, la_child_id)."""
        frames = [frame.select("person", "la_index", "la_child_id") for frame in self._of_year(year) if frame.height]
        if not frames:
            return pl.DataFrame(schema={"person": pl.Int32, "la_index": pl.Int8, "la_child_id": pl.Utf8})
        return pl.concat(frames, how="vertical_relaxed").unique(maintain_order=True)

    def write(self) -> None:
        for year in self.w.ctx.config.years:
            end = day_number(date(year, 3, 31))
            contacts, early, services = self._of_year(year)
            self._contacts(year, contacts)
            self._early_help(year, end, early)
            self._services(year, end, services)

    def _file(self, year: int, table: str, la_index: np.ndarray) -> np.ndarray:
        return self.w.file_of_rows(lambda i: self.w.rel("ssd", year, f"ssd_{self.w.la_codes[i]}_{year}_{table.removeprefix('ssd_')}.csv"), la_index)

    def _contacts(self, year: int, frame: pl.DataFrame) -> None:
        table = "ssd_contacts"
        frame = self.w.with_people(frame)
        columns = {
            "cont_contact_id": _ids("C", frame["record_no"]),
            "cont_person_id": frame["la_child_id"].to_numpy(),
            "cont_contact_date": dates(frame["day"], ISO),
            "cont_contact_source_code": self.w.coded(table, frame, "contact_source", frame["source"].to_numpy()),
            "cont_contact_source_desc": np.array([_SOURCE_LABEL[s] for s in frame["source"].to_numpy()], dtype=object),
            "cont_contact_outcome_json": frame["outcome"].replace_strict(_OUTCOME_JSON).to_numpy(),
        }
        self._finish(table, year, frame, columns, "cont_contact_date")

    def _early_help(self, year: int, year_end: int, frame: pl.DataFrame) -> None:
        table = "ssd_early_help_episodes"
        frame = self.w.with_people(frame)
        ended = frame["end"].to_numpy() <= year_end
        columns = {
            "earl_episode_id": _episode_ids(frame["episode"]),
            "earl_person_id": frame["la_child_id"].to_numpy(),
            "earl_episode_start_date": dates(frame["start"], ISO),
            "earl_episode_end_date": np.where(ended, dates(frame["end"], ISO), "").astype(object),
            "earl_episode_reason": frame["reason"].to_numpy(),
            "earl_episode_end_reason": np.where(ended, frame["end_reason"].to_numpy(), "").astype(object),
            "earl_episode_organisation": frame["organisation"].to_numpy(),
        }
        self._finish(table, year, frame, columns, "earl_episode_start_date")

    def _services(self, year: int, year_end: int, frame: pl.DataFrame) -> None:
        table = "ssd_services"
        frame = self.w.with_people(frame)
        ended = frame["end"].to_numpy() <= year_end
        episode = frame["episode"].to_numpy()
        service = frame["service"].to_numpy()
        columns = {
            "serv_service_id": _ids("S", frame["record_no"]),
            "serv_person_id": frame["la_child_id"].to_numpy(),
            "serv_early_help_episode_id": np.where(episode >= 0, _episode_ids(frame["episode"]), "").astype(object),
            "serv_cin_referral_date": np.where(episode < 0, dates(np.maximum(frame["referral"].to_numpy(), 0), ISO), "").astype(object),
            "serv_service_type_code": self.w.coded(table, frame, "service_type", service),
            "serv_service_type_desc": np.array([_SERVICE_LABEL[s] for s in service], dtype=object),
            "serv_service_start_date": dates(frame["start"], ISO),
            "serv_service_end_date": np.where(ended, dates(frame["end"], ISO), "").astype(object),
            "serv_service_frequency": frame["frequency"].to_numpy(),
            # Sessions delivered so far: all of them once the service has ended.
            "serv_sessions_delivered": np.where(
                ended, frame["sessions"].to_numpy(), np.ceil(frame["sessions"].to_numpy() * _share_done(frame, year_end)).astype(np.int64)
            ),
        }
        self._finish(table, year, frame, columns, "serv_service_start_date")

    def _finish(self, table: str, year: int, frame: pl.DataFrame, columns: dict[str, np.ndarray], order: str) -> None:
        out = self.w.finish(table, frame, self._file(year, table, frame["la_index"].to_numpy()), columns, [order])
        self.w.write_csv(out, list(columns), self.every_la(year, table))

    def every_la(self, year: int, table: str) -> tuple[str, ...]:
        """An LA with nothing to report in a table still sends it, header-only."""
        return tuple(self._file(year, table, np.arange(len(self.w.la_codes))))


def _share_done(frame: pl.DataFrame, year_end: int) -> np.ndarray:
    start, end = frame["start"].to_numpy(), frame["end"].to_numpy()
    return np.clip((year_end - start + 1) / np.maximum(end - start + 1, 1), 0, 1)


def _ids(prefix: str, number: pl.Series, width: int = 8) -> np.ndarray:
    """Record ids as a case-management system numbers its records: a prefix and a serial."""
    return (prefix + (number.cast(pl.Int64) + 1).cast(pl.Utf8).str.zfill(width)).to_numpy().astype(object)


def _episode_ids(episode: pl.Series) -> np.ndarray:
    return _ids("E", episode, 7)
