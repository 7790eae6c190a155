"""The SSDA903 return: every table of the children looked after collection, per local authority and year.

Every table follows from the episodes the simulation already carried out, so the tables agree the
way a real return does: reviews at the statutory intervals of each period of care, missing episodes
inside it, OC2 for children looked after for 12 months at 31 March, OC3 for care leavers in the year
of their 17th to 21st birthday, the adoption tables for children with a plan for adoption, previous
permanence for children starting to be looked after. Tables and codes: `code_lists.ssda903`. An LA
with no rows for a table in a year still sends the table, as a header-only file.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

import code_lists as codes
from code_lists import ssda903 as spec

from .dynamics import day_number
from .formats import DMY, dates
from .population import draw_codes

if TYPE_CHECKING:
    from .extracts import ExtractWriter

# Statutory reviews: the first within 20 working days of coming into care, the second within three
# months of the first, then at most six months apart (Care Planning Regulations 2010, reg. 33).
FIRST_REVIEW_DAYS, SECOND_REVIEW_DAYS, LATER_REVIEW_DAYS = 28, 91, 182
ADOPTION_STREAM = 9031  # the adoption plans' random stream, beside the world's seed: drawn once, before the tables, they move no other draw
_PROVIDER_NUMBER = {code: number for number, code in enumerate(codes.codes_of(codes.PLACEMENT_PROVIDER))}


def file_name(la_code: str, year: int, suffix: str) -> str:
    return f"ssda903_{la_code}_{year}_{suffix}.csv"


def _age(dob: pl.Expr, day: pl.Expr) -> pl.Expr:
    """Whole years of age on `day` (both day numbers)."""
    born, on = dob.cast(pl.Int32).cast(pl.Date), day.cast(pl.Int32).cast(pl.Date)
    before_birthday = (on.dt.month() < born.dt.month()) | ((on.dt.month() == born.dt.month()) & (on.dt.day() < born.dt.day()))
    return on.dt.year().cast(pl.Int32) - born.dt.year().cast(pl.Int32) - before_birthday.cast(pl.Int32)


def _birthday(dob: pl.Expr, age: pl.Expr) -> pl.Expr:
    """The day number of the `age`th birthday (29 February birthdays fall on 28 February)."""
    born = dob.cast(pl.Int32).cast(pl.Date)
    return pl.date(born.dt.year().cast(pl.Int32) + age, born.dt.month(), pl.min_horizontal(born.dt.day(), 28 + (born.dt.month() != 2) * 3)).cast(pl.Int32)


class SSDA903Writer:
    def __init__(self, writer: ExtractWriter, lac: pl.DataFrame, births: pl.DataFrame) -> None:
        self.w, self.births = writer, births
        self.rng = writer.rng
        self.la_codes = writer.la_codes
        self.returning: set[int] = set()  # the LAs (by index) making a return in the year being written: set by `header`
        self.episodes = lac.filter(pl.col("placement_prop") >= 0)
        self.periods = self._periods(self.episodes)
        self.adoption_plans = self._adoption_plans()

    @staticmethod
    def _periods(episodes: pl.DataFrame) -> pl.DataFrame:
        """One row per period of care: its start, end, how it ended, whether the child is an unaccompanied
        asylum seeker, and its steps towards adoption (a placement order or an adoption placement: the
        first starts, the last ends; the first adoption placement)."""
        in_order = episodes.sort("period", "decom")
        adoption_step = pl.col("ls").is_in(spec.ADOPTION_LEGAL_STATUSES) | pl.col("place").is_in(spec.ADOPTION_PLACEMENTS)
        return in_order.group_by("period", maintain_order=True).agg(
            pl.col("child").first(),
            pl.col("la_index").first(),
            pl.col("la_child_id").first(),
            pl.col("upn").first(),
            pl.col("decom").min().alias("start"),
            pl.col("dec").max().alias("end"),
            pl.col("rec").last().alias("final_rec"),
            pl.col("place").last().alias("final_place"),
            pl.col("decom").last().alias("final_decom"),
            pl.col("decom").filter(adoption_step).min().alias("adoption_step"),
            pl.col("uasc").any(),
            pl.col("dec").filter(adoption_step).max().alias("adoption_step_end"),
            pl.col("decom").filter(pl.col("place").is_in(spec.ADOPTION_PLACEMENTS)).min().alias("placed_for_adoption"),
        )

    # --- writing ---------------------------------------------------------------------------------
    def write(self) -> None:
        for year in self.w.ctx.config.years:
            start, end = day_number(date(year - 1, 4, 1)), day_number(date(year, 3, 31))
            episodes = self.episodes.filter((pl.col("decom") <= end) & (pl.col("dec") >= start))
            periods = self.periods.filter((pl.col("start") <= end) & (pl.col("end") >= start))
            leavers = self.care_leavers(start, end)
            self.header(year, episodes, leavers, end)
            self.episodes_table(year, episodes, end)
            self.uasc(year, periods)
            self.reviews(year, periods, start, end)
            self.missing(year, periods, start, end)
            self.oc2(year, periods, start, end)
            self.oc3(year, leavers, end)
            self.ad1(year, start, end)
            self.placed_for_adoption(year, start, end)
            self.previous_permanence(year, episodes, start)

    def _write(self, suffix: str, year: int, frame: pl.DataFrame | None, columns: dict[str, np.ndarray], order: list[str]) -> None:
        """Write one table for every LA making a return this year: its rows, or the header alone when the LA has none."""
        table = f"ssda903_{suffix}"
        names = list(spec.TABLE_COLUMNS[suffix])
        every_la = tuple(self.w.rel("ssda903", year, file_name(la_code, year, suffix)) for i, la_code in enumerate(self.la_codes) if i in self.returning)
        if frame is not None and frame.height:
            files = self.w.file_of_rows(lambda i: self.w.rel("ssda903", year, file_name(self.la_codes[i], year, suffix)), frame["la_index"])
            out = self.w.finish(table, frame, files, columns, order)
        else:
            out = pl.DataFrame(schema={"_file": pl.Utf8, **dict.fromkeys(names, pl.Utf8)})
        self.w.write_csv(out, names, every_la)

    def _people(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The rows with their people and record ids (unique across the world, so the fault log names one year's file)."""
        return self.w.with_people(frame.rename({"child": "person"}))

    # --- the tables ------------------------------------------------------------------------------
    def header(self, year: int, episodes: pl.DataFrame, leavers: pl.DataFrame, end: int) -> None:
        """One row per child of the return: looked after in the year, or a care leaver in OC3 (whose
        motherhood is not asked: validator rule 628). MOTHER/MC_DOB say whether a looked-after girl became
        a mother by the year's end or the day she ceased to be looked after, whichever came first (rule 625)."""
        table = "ssda903_header"
        keys = ["child", "la_index", "la_child_id", "upn"]
        looked_after = episodes.group_by(keys, maintain_order=True).agg(pl.min_horizontal(pl.col("dec").max(), pl.lit(end)).alias("last_day"))
        leaving = leavers.select(keys).join(looked_after, on=["child", "la_index"], how="anti").with_columns(pl.lit(None, pl.Int64).alias("last_day"))
        first_birth = self.births.group_by("mother").agg(pl.col("day").min().alias("first_birth"))
        children = pl.concat([looked_after, leaving], how="vertical_relaxed").join(
            first_birth, left_on="child", right_on="mother", how="left", maintain_order="left"
        )
        frame = self._people(children)
        # The header goes first: an LA with no child in it this year (a small world's) makes no return,
        # as no real LA does, and the DfE validator refuses a return of empty tables.
        self.returning = set(frame["la_index"].to_list())
        mother_dob = frame.select(pl.when(pl.col("first_birth") <= pl.col("last_day")).then("first_birth").fill_null(-1)).to_series().to_numpy()
        female = (frame["sex"].to_numpy() == 0) & frame["last_day"].is_not_null().to_numpy()
        columns = {
            "CHILD": frame["la_child_id"].to_numpy(),
            "SEX": np.array(codes.SSDA903_SEX, dtype=object)[frame["sex"].to_numpy()],
            "DOB": self.w.dob(table, frame, DMY, typos=False),
            "ETHNIC": self.w.ethnicity(table, frame, "ethnic", codes.CENSUS19_TO_DFE, ("REFU", "NOBT")),
            "UPN": self._upn(table, frame, year),
            "MOTHER": np.where(female, np.where(mother_dob >= 0, "1", "0"), "").astype(object),
            "MC_DOB": np.where(female & (mother_dob >= 0), dates(np.maximum(mother_dob, 0), DMY), "").astype(object),  # only a mother's (rule 612)
        }
        self._write("header", year, frame, columns, ["CHILD"])

    def _upn(self, table: str, frame: pl.DataFrame, year: int) -> np.ndarray:
        """The child's UPN, or why there is none: UN1 before school age (not yet 4 on the 31 August before
        the collection year, validator rule 209), otherwise UN2 (never in a maintained school in England).
        A UPN the LA failed to record (a missing_upn fault) is left blank: that is the fault (rule 442)."""
        known = frame["upn"].fill_null("").to_numpy().astype(object)
        rid = frame["_rid"].to_numpy()
        upn = self.w.faults.blank(table, rid, "upn", "missing_upn", known, self.w.ctx.config.faults.missing_upn)
        upn = self.w.faults.temporary_upn(table, rid, "upn", upn, self.la_codes[frame["la_index"].to_numpy()], np.full(frame.height, year))
        school_age = frame.select(_age(pl.col("dob"), pl.lit(day_number(date(year - 2, 8, 31)))) >= 4).to_series().to_numpy()
        return np.where(known == "", np.where(school_age, "UN2", "UN1"), upn).astype(object)

    def _urn(self, frame: pl.DataFrame) -> np.ndarray:
        """The Ofsted URN of the placement's provider: the establishment for homes and schools, the
        LA's (or agency's) fostering or adoption service otherwise; none for placements without one."""
        place = frame["place"].to_numpy().astype(str)
        establishment = np.isin(place, ("K1", "K2", "R3", "S1"))
        provider = np.array([_PROVIDER_NUMBER[p] for p in frame["place_provider"].to_numpy()], dtype=np.int64)
        service = 1_000_000 + frame["la_index"].to_numpy().astype(np.int64) * 10 + provider
        key = np.where(establishment, frame["placement_prop"].to_numpy().astype(np.int64), service)
        urn = np.array([f"SC{100_000 + (k * 7_919) % 900_000}" for k in key], dtype=object)
        return np.where(np.isin(place, spec.PLACEMENTS_WITHOUT_URN), "", urn).astype(object)

    def episodes_table(self, year: int, episodes: pl.DataFrame, end: int) -> None:
        table = "ssda903_episodes"
        rates = self.w.ctx.config.faults
        frame = self._people(episodes)
        rid = frame["_rid"].to_numpy()
        home = frame["home_prop"].to_numpy()
        placement = frame["placement_prop"].to_numpy()
        # The home postcode is the home the child left when the period of care began; an
        # unaccompanied asylum-seeking child has none, and no placement distance (rule 406).
        gaz = self.w.gaz
        home_postcode = np.where(frame["uasc"].to_numpy(), "", gaz.postcode[home]).astype(object)
        ongoing = frame["dec"].to_numpy() > end
        child_id = frame["la_child_id"].to_numpy().astype(object)
        orphan = self.w.faults.mask(frame.height, rates.unknown_child)
        unknown = np.array([f"9{int(self.rng.integers(10**5, 10**6))}" for _ in range(orphan.sum())], dtype=object)
        child_id = self.w.faults.replace(table, rid, "CHILD", "unknown_child", child_id, orphan, unknown)
        columns = {
            "CHILD": child_id,
            "DECOM": dates(frame["decom"].to_numpy(), DMY),
            "RNE": frame["rne"].to_numpy(),
            "LS": self.w.coded(table, frame, "ls", frame["ls"].to_numpy()),
            "CIN": frame["cin"].to_numpy(),
            "PLACE": self.w.coded(table, frame, "place", frame["place"].to_numpy()),
            "PLACE_PROVIDER": frame["place_provider"].to_numpy(),
            "DEC": np.where(ongoing, "", dates(frame["dec"].to_numpy(), DMY)).astype(object),
            "REC": np.where(ongoing, "", frame["rec"].to_numpy()).astype(object),
            "REASON_PLACE_CHANGE": np.where(ongoing, "", frame["reason_place_change"].to_numpy()).astype(object),
            "HOME_POST": self.w.postcode(table, frame, home_postcode),
            "PL_POST": gaz.postcode[placement],
            "URN": self._urn(frame),
        }
        truth = frame.with_columns(
            pl.Series("_address_uprn", gaz.uprn[home]),
            pl.Series("_resident_uprn", gaz.uprn[home]),
            pl.Series("_stale", np.zeros(frame.height, dtype=bool)),
        )
        self._write("episodes", year, truth, columns, ["CHILD", "DECOM"])

    def uasc(self, year: int, periods: pl.DataFrame) -> None:
        """Unaccompanied asylum-seeking children looked after in the year (the simulation marks a few
        who first came into care aged 14 or over); their UASC status ends on their 18th birthday."""
        frame = self._people(periods.filter(pl.col("uasc")).unique(["child", "la_index"], maintain_order=True))
        eighteenth = frame.select(_birthday(pl.col("dob"), pl.lit(18))).to_series().to_numpy()
        columns = {
            "CHILD": frame["la_child_id"].to_numpy(),
            "SEX": np.array(codes.SSDA903_SEX, dtype=object)[frame["sex"].to_numpy()],
            "DOB": dates(frame["dob"].to_numpy(), DMY),
            "DUC": dates(eighteenth, DMY),
        }
        self._write("uasc", year, frame, columns, ["CHILD"])

    def reviews(self, year: int, periods: pl.DataFrame, start: int, end: int) -> None:
        table = "ssda903_reviews"
        longest = int((periods["end"].clip(upper_bound=end) - periods["start"]).max() or 0) // LATER_REVIEW_DAYS + 3
        due = (
            periods.with_columns(pl.int_ranges(0, longest).alias("n"))
            .explode("n")
            .with_columns(
                (
                    pl.col("start")
                    + pl.when(pl.col("n") == 0)
                    .then(FIRST_REVIEW_DAYS)
                    .otherwise(FIRST_REVIEW_DAYS + SECOND_REVIEW_DAYS + (pl.col("n") - 1) * LATER_REVIEW_DAYS)
                    - (pl.col("period") * 7 + pl.col("n") * 3) % 10
                ).alias("review")
            )
            .filter((pl.col("review") < pl.col("end")) & pl.col("review").is_between(start, end))
        )
        frame = self._people(due)
        under_four = frame.select(_age(pl.col("dob"), pl.col("review")) < 4).to_series().to_numpy()
        participation = np.where(under_four, "PN0", draw_codes(self.rng, spec.REVIEW_PARTICIPATION, frame.height)).astype(object)
        columns = {
            "CHILD": frame["la_child_id"].to_numpy(),
            "DOB": dates(frame["dob"].to_numpy(), DMY),
            "REVIEW": dates(frame["review"].to_numpy(), DMY),
            "REVIEW_CODE": self.w.coded(table, frame, "review_code", participation),
        }
        self._write("reviews", year, frame, columns, ["CHILD", "REVIEW"])

    def missing(self, year: int, periods: pl.DataFrame, start: int, end: int) -> None:
        """Missing or away episodes, mostly of older children, one at a time, each ending before the period of care does."""
        table = "ssda903_missing"
        people = self._people(periods)
        first = np.maximum(people["start"].to_numpy(), start)
        last = np.minimum(people["end"].to_numpy() - 2, end)
        age = people.select(_age(pl.col("dob"), pl.lit(end))).to_series().to_numpy()
        rate = np.where(age >= 13, 0.6, np.where(age >= 10, 0.15, 0.0)) * np.clip((last - first) / 365, 0, 1)
        rows = np.repeat(np.arange(periods.height), np.where(last > first, self.rng.poisson(rate), 0))
        began = first[rows] + (self.rng.random(len(rows)) * (last[rows] - first[rows])).astype(np.int64)
        returned = np.minimum(began + self.rng.geometric(0.5, len(rows)) - 1, people["end"].to_numpy()[rows] - 1)
        spells = periods[rows].with_columns(pl.Series("began", began), pl.Series("returned", returned)).sort("period", "began")
        # A child is missing from one spell at a time: a spell starts after every earlier one ended (rule 574).
        spells = spells.filter((pl.col("began") > pl.col("returned").cum_max().shift(1).over("period")).fill_null(True))
        frame = self._people(spells)
        kind = draw_codes(self.rng, spec.MISSING_TYPE, frame.height)
        returned = frame["returned"].to_numpy()
        columns = {
            "CHILD": frame["la_child_id"].to_numpy(),
            "DOB": dates(frame["dob"].to_numpy(), DMY),
            "MISSING": self.w.coded(table, frame, "missing", kind),
            "MIS_START": dates(frame["began"].to_numpy(), DMY),
            "MIS_END": np.where(returned <= end, dates(returned, DMY), "").astype(object),
        }
        self._write("missing", year, frame, columns, ["CHILD", "MIS_START"])

    def oc2(self, year: int, periods: pl.DataFrame, start: int, end: int) -> None:
        """Children looked after continuously for 12 months at 31 March; which outcomes apply depends on age."""
        cohort = periods.filter((pl.col("start") <= end - 365) & (pl.col("end") > end)).unique("child", maintain_order=True)
        frame = self._people(cohort)
        n = frame.height
        age_end = frame.select(_age(pl.col("dob"), pl.lit(end))).to_series().to_numpy()
        age_start = frame.select(_age(pl.col("dob"), pl.lit(start))).to_series().to_numpy()
        rng = self.rng

        def flag(share: float, applies: np.ndarray | bool = True) -> np.ndarray:
            return np.where(applies, np.where(rng.random(n) < share, "1", "0"), "").astype(object)

        sdq_due = (age_end >= 4) & (age_start < 17)
        scored = sdq_due & (rng.random(n) < 0.85)
        substance = np.where(age_end >= 10, flag(0.04), "0").astype(object)
        received = flag(0.6, substance == "1")
        columns = {
            "CHILD": frame["la_child_id"].to_numpy(),
            "DOB": dates(frame["dob"].to_numpy(), DMY),
            "SDQ_SCORE": np.where(scored, np.clip(rng.normal(14, 6, n), 0, 40).astype(int).astype(str), "").astype(object),
            "SDQ_REASON": np.where(sdq_due & ~scored, draw_codes(rng, spec.SDQ_REASON, n), "").astype(object),
            "CONVICTED": flag(0.04, age_end >= 10),
            "HEALTH_CHECK": flag(0.9, age_end < 5),  # developmental checks: under-fives only (rule 546)
            "IMMUNISATIONS": flag(0.88),
            "TEETH_CHECK": flag(0.85),
            "HEALTH_ASSESSMENT": flag(0.9),
            "SUBSTANCE_MISUSE": substance,
            "INTERVENTION_RECEIVED": received,
            # Whether one was offered is asked only of a child who received none (rules 158, 159).
            "INTERVENTION_OFFERED": flag(0.7, received == "0"),
        }
        self._write("oc2", year, frame, columns, ["CHILD"])

    def care_leavers(self, start: int, end: int) -> pl.DataFrame:
        """The OC3 cohort: care leavers in the year of their 17th to 21st birthday who were looked after for
        at least 13 weeks in all since their 14th birthday and left care after their 16th (eligible and
        relevant children), are not looked after on that birthday (rule 1007), and whose last period of care
        so far did not end in death or a transfer to another LA (rules 1000, 1011)."""
        born = self.w.people.select(pl.col("_person").alias("child"), "dob")
        so_far = self.periods.filter(pl.col("start") <= end).join(born, on="child")
        since_14 = (pl.min_horizontal("end", pl.lit(end)) - pl.max_horizontal("start", _birthday(pl.col("dob"), pl.lit(14)))).clip(lower_bound=0)
        so_far = so_far.with_columns(since_14.sum().over("child").alias("days_since_14"))
        last = so_far.sort("end").unique("child", keep="last", maintain_order=True)
        last = last.with_columns(_age(pl.col("dob"), pl.lit(end)).alias("age"))
        last = last.with_columns(_birthday(pl.col("dob"), pl.col("age")).alias("birthday"))
        return last.filter(
            pl.col("age").is_between(17, 21)
            & (pl.col("birthday") >= start)
            & (pl.col("end") < pl.col("birthday"))
            & (_age(pl.col("dob"), pl.col("end")) >= 16)
            & (pl.col("days_since_14") >= 91)
            & ~pl.col("final_rec").is_in(["E2", "E3"])
        ).drop("dob", "age", "birthday", "days_since_14")

    def oc3(self, year: int, leavers: pl.DataFrame, end: int) -> None:
        table = "ssda903_oc3"
        frame = self._people(leavers)
        n = frame.height
        in_touch = draw_codes(self.rng, spec.IN_TOUCH, n)
        reached = in_touch == "YES"
        seventeen = frame.select(_age(pl.col("dob"), pl.lit(end)) == 17).to_series().to_numpy()
        accommodation = np.where(seventeen, draw_codes(self.rng, spec.OC3_ACCOMMODATION_AT_17, n), draw_codes(self.rng, spec.OC3_ACCOMMODATION, n))
        columns = {
            "CHILD": frame["la_child_id"].to_numpy(),
            "DOB": dates(frame["dob"].to_numpy(), DMY),
            "IN_TOUCH": self.w.coded(table, frame, "in_touch", in_touch),
            "ACTIV": np.where(reached, draw_codes(self.rng, spec.oc3_activity(year), n), "0").astype(object),
            "ACCOM": np.where(reached, accommodation, "0").astype(object),
        }
        self._write("oc3", year, frame, columns, ["CHILD"])

    def _adoption_plans(self) -> pl.DataFrame:
        """One decision that the child should be placed for adoption per period of care with a placement
        order, an adoption placement or an adoption, drawn once so every year's return agrees.

        The decision (DATE_PLACED, AD1's DATE_INT) comes two to six months before the first of those steps
        and not before the period started (validator rules 1003, 334, 552, 554). An adopted child is matched
        with the adopters one to six weeks before moving in with them (the first adoption placement, or the
        episode that ended in adoption when there was none), and not before the decision (rules 331, 333,
        582). A plan that did not end in adoption ceases, with a reason, when its last step ends: the
        placement order or adoption placement ended, or the child left care (rules 553, 557)."""
        planned = self.periods.filter(pl.col("adoption_step").is_not_null() | pl.col("final_rec").is_in(spec.ADOPTED))
        n = planned.height
        rng = np.random.default_rng((self.w.ctx.config.seed, ADOPTION_STREAM))
        moved_in = pl.coalesce("placed_for_adoption", "final_decom")
        first_step = pl.coalesce("adoption_step", moved_in)
        decision = pl.max_horizontal("start", first_step - pl.Series(rng.integers(60, 181, n)))
        return (
            planned.with_columns(decision.alias("decision"), moved_in.alias("moved_in"))
            .with_columns(
                pl.max_horizontal("decision", pl.col("moved_in") - pl.Series(rng.integers(7, 43, n))).alias("matched"),
                pl.when(~pl.col("final_rec").is_in(spec.ADOPTED)).then(pl.coalesce("adoption_step_end", "end")).alias("ceased"),
                pl.Series("ceased_reason", draw_codes(rng, spec.REASON_PLACED_CEASED, n), dtype=pl.Utf8),
            )
            .drop("moved_in")
        )

    def ad1(self, year: int, start: int, end: int) -> None:
        """Children adopted in the year, with the dates of the decision and the match, and the adopters."""
        adopted = self.adoption_plans.filter(pl.col("final_rec").is_in(spec.ADOPTED) & pl.col("end").is_between(start, end))
        frame = self._people(adopted)
        n = frame.height
        single = self.rng.random(n) < 0.12
        same_sex = ~single & (self.rng.random(n) < 0.1)
        couple = np.where(same_sex, np.where(self.rng.random(n) < 0.5, "MM", "FF"), "MF")
        columns = {
            "CHILD": frame["la_child_id"].to_numpy(),
            "DOB": dates(frame["dob"].to_numpy(), DMY),
            "DATE_INT": dates(frame["decision"].to_numpy(), DMY),
            "DATE_MATCH": dates(frame["matched"].to_numpy(), DMY),
            "FOSTER_CARE": np.where(np.isin(frame["final_place"].to_numpy().astype(str), ("A3", "A5")), "1", "0").astype(object),
            "NB_ADOPTR": np.where(single, "1", "2").astype(object),
            "SEX_ADOPTR": np.where(single, np.where(self.rng.random(n) < 0.8, "F1", "M1"), couple).astype(object),
            "LS_ADOPTR": np.where(single, "L0", np.where(same_sex, "L12", "L11")).astype(object),
        }
        self._write("ad1", year, frame, columns, ["CHILD"])

    def placed_for_adoption(self, year: int, start: int, end: int) -> None:
        """Every decision that a child looked after in the year should be placed for adoption, made by the
        year's end and not ceased before it began (rule 118); the date it ceased and why, when that was in the year."""
        plans = self.adoption_plans.filter(
            (pl.col("start") <= end) & (pl.col("end") >= start) & (pl.col("decision") <= end) & (pl.col("ceased").is_null() | (pl.col("ceased") >= start))
        )
        frame = self._people(plans)
        ceased = frame["ceased"].fill_null(end + 1).to_numpy() <= end
        columns = {
            "CHILD": frame["la_child_id"].to_numpy(),
            "DOB": dates(frame["dob"].to_numpy(), DMY),
            "DATE_PLACED": dates(frame["decision"].to_numpy(), DMY),
            "DATE_PLACED_CEASED": np.where(ceased, dates(frame["ceased"].fill_null(0).to_numpy(), DMY), "").astype(object),
            "REASON_PLACED_CEASED": np.where(ceased, frame["ceased_reason"].to_numpy(), "").astype(object),
        }
        self._write("placed_for_adoption", year, frame, columns, ["CHILD", "DATE_PLACED"])

    def previous_permanence(self, year: int, episodes: pl.DataFrame, start: int) -> None:
        """Children who started to be looked after in the year: whether an earlier permanence order ended."""
        table = "ssda903_previous_permanence"
        starts = episodes.filter((pl.col("rne") == "S") & (pl.col("decom") >= start)).sort("decom").unique("child", maintain_order=True)
        frame = self._people(starts)
        option = draw_codes(self.rng, spec.PREVIOUS_PERMANENCE, frame.height)
        had = option != "Z1"
        dob, decom = frame["dob"].to_numpy().astype(np.int64), frame["decom"].to_numpy().astype(np.int64)
        order_day = dob + (self.rng.random(frame.height) * np.maximum(decom - dob, 1)).astype(np.int64)
        columns = {
            "CHILD": frame["la_child_id"].to_numpy(),
            "DOB": dates(dob, DMY),
            "PREV_PERM": self.w.coded(table, frame, "prev_perm", option),
            "LA_PERM": np.where(had, self.la_codes.astype(str)[frame["la_index"].to_numpy()], "").astype(object),
            "DATE_PERM": np.where(had, dates(order_day, DMY), "").astype(object),
        }
        self._write("previous_permanence", year, frame, columns, ["CHILD"])
