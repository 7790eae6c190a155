"""The workforce's extracts: the DfE children's social work workforce census return, and the LA's SSD workforce tables.

- `csww/<year>/csww_<LA>_<year>.xml`: one CSWW return per LA and census year (1 October to 30 September), in the
  element order and codes of the liia-tools XSD (`validations/schemas/csww/`): the LA's vacancies and the agency
  workers covering them at 30 September, and one CSWWWorker per employed social worker in post at any time in the
  year (starters, leavers and those in post at 30 September) and per agency worker in post at 30 September, the only
  agency workers the census collects, with fewer items (role, FTE and cases at 30 September; QualInst, which the
  XSD makes mandatory).
- `ssd/<year>/ssd_<LA>_<year>_professionals.csv` and `..._involvements.csv`: the SSD tables ssd_professionals (every
  worker in post in the collection year to 31 March) and ssd_involvements (each allocation of a social worker to a
  child open in the year), keyed to the year's ssd_person (pers_person_id, the CIN LAchildID).

Faults, logged in the truth: codes out of their list, duplicated rows, an FTE recorded as hours (outside 0-1) and a
leaving date typed before the start. Worker-level rows are no person's records (person -1 among the world's records,
left out of `record_person.parquet`); their (file, row) -> worker go to the truth's `worker_records.parquet`. The
faults draw from the workforce's own stream.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import polars as pl

from code_lists import workforce as wf

from .dynamics import day_number
from .extracts import ExtractWriter
from .faults import OUT_OF_LIST, FaultInjector
from .formats import ISO, dates, iso_day
from .workforce import WORKFORCE_STREAM, Workforce, cases_on, census_years, in_post

_FAULT_STREAM = 2  # beside WORKFORCE_STREAM: the extracts' faults
HOURS_A_WEEK = 37  # a full-time week: an FTE recorded as contracted hours is this times the FTE
WORKER_RECORDS_SCHEMA = {"table": pl.Utf8, "file": pl.Utf8, "row": pl.Int64, "worker": pl.Int32, "rid": pl.Int64}


@contextmanager
def own_stream(faults: FaultInjector, rng: np.random.Generator) -> Iterator[None]:
    """The fault injector draws from `rng` meanwhile, so these extracts move no other source's faults; record ids and
    the fault log stay the world's."""
    saved = faults.rng, faults.profile
    faults.rng = faults.profile = rng
    try:
        yield
    finally:
        faults.rng, faults.profile = saved


class WorkforceWriter:
    """Writes the CSWW returns and the SSD workforce tables of `workforce` through the world's `ExtractWriter`."""

    def __init__(self, writer: ExtractWriter, workforce: Workforce, person_ids: pl.DataFrame | None) -> None:
        self.writer, self.workforce = writer, workforce
        self.person_ids = person_ids  # child, la_index, la_child_id: the LA's person id of each child it recorded
        self.faults = writer.faults
        self.rates = writer.ctx.config.faults
        self.la_codes = writer.la_codes
        self.records: list[pl.DataFrame] = []

    def write(self) -> pl.DataFrame:
        """Write every file; returns the worker records (table, file, row, worker, rid) for the truth."""
        with own_stream(self.faults, np.random.default_rng([self.writer.ctx.config.seed, WORKFORCE_STREAM, _FAULT_STREAM])):
            for year, year_start, reference in census_years(self.writer.ctx.config.years):
                self.csww(year, year_start, reference)
            for year in self.writer.ctx.config.years:
                self.professionals(year)
                self.involvements(year)
        return pl.concat(self.records) if self.records else pl.DataFrame(schema=WORKER_RECORDS_SCHEMA)

    # --- shared pieces -----------------------------------------------------------------------------------------------
    def _out_of_list(self, table: str, rid: np.ndarray, field: str, values: np.ndarray, eligible: np.ndarray) -> np.ndarray:
        """Some of the values that are there replaced by a code outside the list, as `FaultInjector.out_of_list` does."""
        hit = self.faults.mask(len(values), self.rates.out_of_list_code, eligible)
        new = OUT_OF_LIST[self.faults.rng.integers(0, len(OUT_OF_LIST), int(hit.sum()))]
        return self.faults.replace(table, rid, field, "out_of_list_code", values, hit, new)

    def _worker_rows(self, table: str, frame: pl.DataFrame, files: np.ndarray, columns: dict[str, np.ndarray], order: list[str]) -> pl.DataFrame:
        """Duplicate some rows, number each file's rows and keep (file, row) -> worker for the truth."""
        out = pl.DataFrame({"_rid": frame["_rid"], "_worker": frame["worker"], "_file": files, **columns})
        out = self.faults.duplicates(table, out)
        out = out.sort(["_file", *order, "_rid"]).with_columns((pl.int_range(pl.len()).over("_file") + 1).alias("_row"))
        located = out.select(pl.lit(table).alias("table"), pl.col("_file").alias("file"), pl.col("_row").cast(pl.Int64).alias("row"))
        self.records.append(located.with_columns(out["_worker"].cast(pl.Int32).alias("worker"), out["_rid"].alias("rid")))
        # Among the world's records as no person's (person -1), so that its faults name their file and row.
        self.writer.written.records.append(located.with_columns(pl.lit(-1, dtype=pl.Int64).alias("person"), out["_rid"].alias("rid")))
        return out

    def _with_rids(self, frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(pl.Series("_rid", self.faults.new_rids(frame.height)))

    # --- CSWW census return -------------------------------------------------------------------------------------------
    def csww(self, year: int, year_start: int, reference: int) -> None:
        """One return per LA for the census year ending 30 September `year`."""
        table = "csww_worker"
        staff, wfc = self.workforce.staff.filter(pl.col("kind") == "social_worker"), self.workforce
        employed = staff.filter(~pl.col("agency") & (pl.col("start") <= reference) & (pl.col("end").is_null() | (pl.col("end") >= year_start)))
        agency = staff.filter(pl.col("agency") & in_post(reference))
        absences = wfc.absences.filter(pl.col("census_year") == year).drop("census_year")
        frame = (
            pl.concat([employed, agency])
            .join(absences, on="worker", how="left")
            .join(cases_on(wfc.allocations, reference), on="worker", how="left")
            .sort("la_index", "worker")
        )
        frame = self._with_rids(frame)
        rid, n = frame["_rid"].to_numpy(), frame.height
        is_agency = frame["agency"].to_numpy()
        end = frame["end"].fill_null(np.iinfo(np.int32).max).to_numpy()
        start = frame["start"].to_numpy()
        here = ~is_agency
        at_reference = frame.select(in_post(reference)).to_series().to_numpy()
        starter = here & (start >= year_start)
        leaver = here & (end <= reference)
        holder = np.isin(frame["org_role"].to_numpy(), wf.CASE_HOLDING_ROLES)

        def text(column: str, when: np.ndarray) -> np.ndarray:
            return np.where(when, frame[column].fill_null("").to_numpy().astype(object), "").astype(object)

        def flag(column: str, when: np.ndarray) -> np.ndarray:
            return np.where(when, np.where(frame[column].fill_null(False).to_numpy(), "1", "0"), "").astype(object)

        fte = np.array([f"{x:.6f}" for x in frame["fte"].to_numpy()], dtype=object)
        hours = self.faults.mask(n, self.rates.fte_out_of_range)
        recorded_fte = self.faults.replace(
            table, rid, "fte", "fte_out_of_range", fte, hours, np.array([f"{x * HOURS_A_WEEK:.6f}" for x in frame["fte"].to_numpy()[hours]], dtype=object)
        )
        role_end = np.where(leaver, dates(np.minimum(end, reference), ISO), "").astype(object)
        # A leaving date typed a year or more too early lands before the start.
        typo = self.faults.mask(n, self.rates.end_before_start, leaver)
        early = start[typo] - 1 - np.floor(self.faults.rng.random(int(typo.sum())) * 365).astype(np.int64)
        role_end = self.faults.replace(table, rid, "role_end_date", "end_before_start", role_end, typo, dates(early, ISO))
        columns = {
            "AgencyWorker": np.where(is_agency, "1", "0").astype(object),
            "SWENo": frame["swe_no"].to_numpy().astype(object),
            "FTE": recorded_fte,
            "PersonBirthDate": np.where(here, dates(frame["birth"].to_numpy(), ISO), "").astype(object),
            "GenderCurrent": text("gender", here),
            "Ethnicity": self._out_of_list(table, rid, "ethnicity", text("ethnicity", here), here),
            "QualInst": frame["qual_inst"].to_numpy().astype(object),
            "QualLevel": text("qual_level", here),
            "StepUpGrad": flag("step_up", here),
            "OrgRole": self._out_of_list(table, rid, "org_role", frame["org_role"].to_numpy().astype(object), np.ones(n, dtype=bool)),
            "RoleStartDate": np.where(here, dates(start, ISO), "").astype(object),
            "StartOrigin": text("start_origin", starter),
            "RoleEndDate": role_end,
            "LeaverDestination": text("leaver_destination", leaver),
            "ReasonLeave": self._out_of_list(table, rid, "reason_leave", text("reason_leave", leaver), leaver),
            "FTE30": np.where(at_reference, fte, "").astype(object),
            "Cases30": np.where(at_reference & holder, frame["cases"].fill_null(0).cast(pl.Utf8).to_numpy(), "").astype(object),
            "WorkingDaysLost": np.where(here, np.array([f"{x:.2f}" for x in frame["working_days_lost"].fill_null(0.0).to_numpy()], dtype=object), ""),
            "FrontlineGrad": flag("frontline", here),
            "Absat30Sept": flag("absent_at_reference", here & at_reference),
            "ReasonAbsence": text("absence_reason", here & at_reference),
        }
        la = frame["la_index"].to_numpy()
        files = np.array([self.writer.rel("csww", year, f"csww_{self.la_codes[i]}_{year}.xml") for i in la], dtype=object)
        out = self._worker_rows(table, frame, files, {**columns, "_la_index": la}, ["AgencyWorker", "SWENo"])
        vacancies = self._vacancies(reference)
        for (file_name,), part in out.group_by("_file", maintain_order=True):
            la_index = int(part["_la_index"][0])
            path = self.writer.landing / file_name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(self._csww_xml(year, reference, int(self.la_codes[la_index]), vacancies.row(la_index, named=True), part), encoding="utf-8")
            self.writer.written.files.append(file_name)

    def _vacancies(self, reference: int) -> pl.DataFrame:
        """Per LA at the reference date: FTE of posts no employed worker holds, and the agency workers covering them."""
        staff, posts = self.workforce.staff.filter(in_post(reference)), self.workforce.posts
        held = staff.filter(~pl.col("agency") & pl.col("post").is_not_null()).select("post").unique()
        vacant = posts.join(held, on="post", how="anti")
        covering = staff.filter(pl.col("agency") & pl.col("post").is_in(vacant["post"].implode()))
        la = pl.DataFrame({"la_index": np.arange(len(self.la_codes), dtype=np.int8)})
        return (
            la.join(vacant.group_by("la_index").agg(pl.len().cast(pl.Float64).alias("vacancies")), on="la_index", how="left")
            .join(covering.group_by("la_index").agg(pl.col("fte").sum().alias("agency_fte"), pl.len().alias("agency_headcount")), on="la_index", how="left")
            .fill_null(0)
            .sort("la_index")
        )

    @staticmethod
    def _csww_xml(year: int, reference: int, la_code: int, vacancies: dict, workers: pl.DataFrame) -> str:
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            "<Message>",
            f"<Header><CollectionDetails><Collection>CSWW</Collection><Year>{year}</Year><ReferenceDate>{iso_day(reference)}</ReferenceDate></CollectionDetails>",
            f"<Source><SourceLevel>L</SourceLevel><LEA>{la_code}</LEA><SoftwareCode>Hearth synthetic</SoftwareCode>"
            f"<DateTime>{date(year, 10, 31).isoformat()}T00:00:00</DateTime></Source></Header>",
            f"<LALevelVacancies><NumberOfVacancies>{vacancies['vacancies']:.2f}</NumberOfVacancies><NoAgencyFTE>{vacancies['agency_fte']:.2f}</NoAgencyFTE>"
            f"<NoAgencyHeadcount>{int(vacancies['agency_headcount'])}</NoAgencyHeadcount></LALevelVacancies>",
        ]
        for row in workers.select(c for c in wf.CSWW_WORKER_COLUMNS if c in workers.columns).iter_rows(named=True):
            out.append("<CSWWWorker>" + "".join(f"<{tag}>{escape(value)}</{tag}>" for tag, value in row.items() if value) + "</CSWWWorker>")
        out.append("</Message>")
        return "\n".join(out) + "\n"

    # --- SSD workforce tables ----------------------------------------------------------------------------------------
    def _collection_year(self, year: int) -> tuple[int, int]:
        return day_number(date(year - 1, 4, 1)), day_number(date(year, 3, 31))

    def _every_file(self, year: int, table: str) -> tuple[str, ...]:
        return tuple(self.writer.rel("ssd", year, f"ssd_{code}_{year}_{table}.csv") for code in self.la_codes)

    def professionals(self, year: int) -> None:
        """ssd_professionals: every worker in post in the year; caseload as at the 30 September before its end."""
        table = "ssd_professionals"
        start, end = self._collection_year(year)
        staff = self.workforce.staff.filter((pl.col("start") <= end) & (pl.col("end").is_null() | (pl.col("end") >= start)))
        caseload = cases_on(self.workforce.allocations, day_number(date(year - 1, 9, 30)))
        frame = self._with_rids(staff.join(caseload, on="worker", how="left").sort("la_index", "worker"))
        teams = {code.code: code.label for code in wf.WORKFORCE_TEAMS}
        columns = {
            "prof_professional_id": frame["prof_id"].to_numpy().astype(object),
            "prof_staff_id": frame["staff_id"].fill_null("").to_numpy().astype(object),
            "prof_professional_name": (frame["first_name"] + " " + frame["last_name"]).to_numpy().astype(object),
            "prof_social_worker_registration_no": frame["swe_no"].fill_null("").to_numpy().astype(object),
            "prof_agency_worker_flag": np.where(frame["agency"].to_numpy(), "Y", "N").astype(object),
            "prof_professional_job_title": frame["org_role"].replace_strict(wf.JOB_TITLE_OF_ROLE, default="").to_numpy().astype(object),
            "prof_professional_caseload": frame["cases"].fill_null(0).cast(pl.Utf8).to_numpy().astype(object),
            "prof_professional_department": frame["team"].replace_strict(teams, default="").to_numpy().astype(object),
            "prof_full_time_equivalency": np.array([f"{x:g}" for x in frame["fte"].to_numpy()], dtype=object),
        }
        files = np.array([self.writer.rel("ssd", year, f"ssd_{self.la_codes[i]}_{year}_professionals.csv") for i in frame["la_index"].to_numpy()], dtype=object)
        out = self._worker_rows(table, frame, files, columns, ["prof_professional_id"])
        self.writer.write_csv(out, list(wf.SSD_PROFESSIONALS_COLUMNS), self._every_file(year, "professionals"))

    def involvements(self, year: int) -> None:
        """ssd_involvements: each allocation of a social worker to a child open at any time in the year; an end after
        31 March is not yet known to the extract."""
        table = "ssd_involvements"
        start, end = self._collection_year(year)
        allocations = self.workforce.allocations.filter((pl.col("start") <= end) & (pl.col("end").is_null() | (pl.col("end") >= start)))
        if self.person_ids is None or allocations.is_empty():
            self.writer.write_csv(
                pl.DataFrame(schema={"_file": pl.Utf8, **dict.fromkeys(wf.SSD_INVOLVEMENTS_COLUMNS, pl.Utf8)}),
                list(wf.SSD_INVOLVEMENTS_COLUMNS),
                self._every_file(year, "involvements"),
            )
            return
        frame = (
            allocations.join(self.person_ids, on=["child", "la_index"], how="left", validate="m:1")
            .join(self.workforce.staff.select("worker", "prof_id"), on="worker", how="left")
            .rename({"child": "_person"})
            .sort("la_index", "involvement")
        )
        frame = self._with_rids(frame)
        person_id = frame["la_child_id"].to_numpy().astype(object)
        known_end = frame.select(pl.col("end").is_not_null() & (pl.col("end") <= end)).to_series().to_numpy()
        columns = {
            "invo_involvements_id": (frame["involvement"].cast(pl.Int64) + 900_001).cast(pl.Utf8).to_numpy().astype(object),
            "invo_professional_id": frame["prof_id"].to_numpy().astype(object),
            "invo_professional_role_id": np.full(frame.height, wf.ALLOCATED_SOCIAL_WORKER, dtype=object),
            "invo_professional_team": frame["team"].to_numpy().astype(object),
            "invo_person_id": person_id,
            "invo_involvement_start_date": dates(frame["start"].to_numpy(), ISO),
            "invo_involvement_end_date": np.where(known_end, dates(frame["end"].fill_null(0).to_numpy(), ISO), "").astype(object),
            "invo_worker_change_reason": self.writer.coded(table, frame, "change_reason", frame["change_reason"].to_numpy().astype(object)),
            # The CMS's referral id: Hearth writes the person id and the referral date (CIN CINreferralDate) it belongs to.
            "invo_referral_id": (frame["la_child_id"] + "-" + frame["referral"].cast(pl.Date).dt.strftime("%Y%m%d")).to_numpy().astype(object),
        }
        files = np.array([self.writer.rel("ssd", year, f"ssd_{self.la_codes[i]}_{year}_involvements.csv") for i in frame["la_index"].to_numpy()], dtype=object)
        out = self.writer.finish(table, frame, files, columns, ["invo_involvements_id"])
        self.writer.write_csv(out, list(wf.SSD_INVOLVEMENTS_COLUMNS), self._every_file(year, "involvements"))


def write_workforce_truth(folder: Path, workforce: Workforce, worker_records: pl.DataFrame) -> None:
    """The true roster, the true allocations of social workers to children, and which worker each worker-level row is."""
    day = pl.col("start").cast(pl.Date)
    workforce.staff.select(
        "worker", "la_index", "prof_id", "swe_no", "kind", "team", "org_role", "agency", "fte", "post",
        day.alias("start_date"), pl.col("end").cast(pl.Date).alias("end_date"), "reason_leave",
    ).write_parquet(folder / "workforce.parquet")  # fmt: skip
    workforce.allocations.select(
        "worker", pl.col("child").alias("person_id"), day.alias("start_date"), pl.col("end").cast(pl.Date).alias("end_date")
    ).write_parquet(folder / "social_worker_allocations.parquet")
    worker_records.write_parquet(folder / "worker_records.parquet")
