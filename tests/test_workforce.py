"""The social work workforce: the roster and its rates, the allocation of a social worker to every child in need, the
CSWW census returns against their XSD, and the CSWW and SSD workforce files through ingestion and staging."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
import xmlschema

import code_lists as codes
import synthetic_population.world as world_module
from code_lists import workforce as wf
from ingestion.files import FileRejected, read_csww_xml
from ingestion.load import ingest
from ingestion.registry import SOURCES_BY_NAME
from synthetic_population.config import FaultRates, WorldConfig
from synthetic_population.dynamics import day_number
from synthetic_population.services import Context
from synthetic_population.workforce import Workforce, build_workforce, census_years, cin_episodes

CSWW_SCHEMA = Path(__file__).parents[1] / "validations" / "schemas" / "csww" / "social_work_workforce_2022.xsd"
# A world large enough for the workforce's rates to be measured (about 110 CSWW records a year), with the workforce
# faults at rates that put some of each kind in it.
CONFIG = WorldConfig(persons=150_000, seed=16, faults=FaultRates(out_of_list_code=0.01, duplicate_row=0.01, fte_out_of_range=0.03, end_before_start=0.05))
YEARS = list(CONFIG.years)
WORKFORCE_TABLES = ("csww_worker", "csww_la_level", "ssd_professionals", "ssd_involvements")


@dataclass
class World:
    root: Path
    ctx: Context
    workforce: Workforce

    def truth(self, name: str) -> pl.DataFrame:
        return pl.read_parquet(self.root / "truth" / f"{name}.parquet")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The world's files and truth, and the simulation and workforce they were written from."""
    root = tmp_path_factory.mktemp("workforce")
    seen = {}

    def recording(ctx: Context) -> Workforce:
        seen["ctx"], seen["workforce"] = ctx, build_workforce(ctx)
        return seen["workforce"]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(world_module, "build_workforce", recording)
        world_module.generate_world(CONFIG, root / "landing", root / "truth")
    return World(root, seen["ctx"], seen["workforce"])


@pytest.fixture(scope="module")
def loaded(world: World, tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path_factory.mktemp("workforce_db") / "hearth.duckdb"))
    for source in ("csww", "ssd"):
        ingest(con, SOURCES_BY_NAME[source], YEARS, world.root / "landing", "run-1")
    return con


def _returns(world: World) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every CSWW return's workers and LA-level rows, with its LA and census year, read as the ingestion reads them."""
    workers, la_level = [], []
    for path in sorted((world.root / "landing" / "csww").rglob("*.xml")):
        la, year = re.search(r"csww_(\d{3})_(\d{4})\.xml$", path.name).groups()
        tables = read_csww_xml(path)
        tags = (pl.lit(la).alias("la"), pl.lit(int(year)).alias("year"), pl.lit(str(path.relative_to(world.root / "landing"))).alias("file"))
        workers.append(tables["csww_worker"].with_columns(*tags))
        la_level.append(tables["csww_la_level"].with_columns(*tags))
    return pl.concat(workers), pl.concat(la_level)


def test_the_returns_give_the_national_rates_of_the_dfe_publication(world: World) -> None:
    """The DfE's indicators, computed from the returns as the publication defines them and pooled over the five
    census years (about 80 FTE a year, so bands a few standard errors wide around DfE 2023): caseload per
    case-holding FTE 16.0, agency rate 17.8%, turnover 15.9%, vacancy rate 18.9%, 74.4% of vacancies covered by
    agency workers, sickness absence 3.2% of working days. The faulty rows the gate would quarantine are left out."""
    workers, la_level = _returns(world)
    workers = workers.unique(maintain_order=True).with_columns(
        pl.col("FTE").cast(pl.Float64, strict=False),
        pl.col("FTE30").cast(pl.Float64, strict=False),
        pl.col("Cases30").cast(pl.Int64),
        pl.col("WorkingDaysLost").cast(pl.Float64),
    )
    workers = workers.filter((pl.col("FTE") <= 1) & pl.col("OrgRole").is_in(codes.codes_of(wf.CSWW_ORG_ROLE)))
    employed, agency = workers.filter(pl.col("AgencyWorker") == "0"), workers.filter(pl.col("AgencyWorker") == "1")
    in_post = employed["FTE30"].sum()
    holders = workers.filter(pl.col("OrgRole").is_in(wf.CASE_HOLDING_ROLES) & pl.col("FTE30").is_not_null())
    vacancies = la_level["NumberOfVacancies"].cast(pl.Float64).sum()
    rates = {
        "caseload": holders["Cases30"].sum() / holders["FTE30"].sum(),
        "agency": agency["FTE30"].sum() / (agency["FTE30"].sum() + in_post),
        "turnover": employed.filter(pl.col("RoleEndDate").is_not_null())["FTE"].sum() / in_post,
        "vacancy": vacancies / (vacancies + in_post),
        "covered": la_level["NoAgencyFTE"].cast(pl.Float64).sum() / vacancies,
        "absence": employed["WorkingDaysLost"].sum() / (in_post * 253),
        "fte_a_head": employed.filter(pl.col("FTE30").is_not_null())["FTE30"].mean(),
        "case_holding_share": employed.filter(pl.col("OrgRole").is_in(wf.CASE_HOLDING_ROLES))["FTE30"].sum() / in_post,
    }
    bands = {
        "caseload": (15.0, 19.0),
        "agency": (0.12, 0.24),
        "turnover": (0.10, 0.22),
        "vacancy": (0.13, 0.25),
        "covered": (0.55, 0.92),
        "absence": (0.025, 0.042),
        "fte_a_head": (0.9, 0.97),
        "case_holding_share": (0.6, 0.8),
    }
    assert {name: low <= rates[name] <= high for name, (low, high) in bands.items()} == dict.fromkeys(bands, True), rates
    # Every LA holds every part of the return: starters, leavers, agency workers and the LA-level vacancies.
    assert la_level.height == len(YEARS) * len(CONFIG.local_authorities)
    assert employed.filter(pl.col("StartOrigin").is_not_null()).height > 20 and agency.height > 30
    # Leavers give many reasons, resignation the commonest (about 60 leavers over the five years: retirement, 7% of
    # reasons and only from 55, may not be among them).
    reasons = employed.filter(pl.col("RoleEndDate").is_not_null())["ReasonLeave"].drop_nulls()
    assert reasons.mode().to_list() == ["1"] and reasons.n_unique() >= 4


def test_agency_workers_turn_over_faster_and_the_roster_is_consistent(world: World) -> None:
    staff = world.workforce.staff
    last = day_number(CONFIG.end)
    ended = staff.filter(pl.col("end").is_not_null() & (pl.col("start") >= day_number(CONFIG.start)))
    tenure = ended.group_by("agency").agg((pl.col("end") - pl.col("start")).mean().alias("days")).sort("agency")["days"].to_list()
    assert tenure[1] < 0.5 * tenure[0], tenure  # agency assignments last well under half an employed worker's tenure
    assert staff["worker"].is_unique().all() and staff["swe_no"].is_unique().all() and staff["prof_id"].is_unique().all()
    assert staff["swe_no"].str.contains(r"^SW[0-9]{10}$").all()
    assert staff.filter(pl.col("end").is_not_null())["end"].max() < last
    assert (staff.filter(pl.col("end").is_not_null()).select(pl.col("end") >= pl.col("start")).to_series()).all()
    assert staff["fte"].is_between(0.5, 1.0).all() and (staff["fte"] < 1).mean() > 0.05
    assert {"3", "4", "5", "6"} <= set(staff["org_role"]) <= set(codes.codes_of(wf.CSWW_ORG_ROLE))
    # Employed leavers have a reason and a destination; agency workers neither, nor a start origin.
    leavers = staff.filter(~pl.col("agency") & pl.col("end").is_not_null())
    assert leavers["reason_leave"].null_count() == 0 and leavers["leaver_destination"].null_count() == 0
    assert staff.filter(pl.col("agency")).select("reason_leave", "start_origin").null_count().row(0) == (staff["agency"].sum(),) * 2


def test_every_open_episode_has_exactly_one_allocated_case_holder_of_its_la(world: World) -> None:
    """On sampled days, every child-in-need episode open then has one allocation, to a case holder (OrgRole 4 or 5)
    of the episode's LA in post that day."""
    episodes = cin_episodes(world.ctx).with_columns(pl.col("referral").cast(pl.Int32))
    allocations = world.workforce.allocations
    staff = world.workforce.staff.select(
        "worker", pl.col("la_index").alias("worker_la"), "org_role", pl.col("start").alias("in_post_from"), pl.col("end").alias("in_post_to")
    )
    last = day_number(CONFIG.end)
    for day in np.linspace(day_number(date(2018, 6, 1)), last, 40).astype(int):
        open_then = episodes.filter((pl.col("referral") <= day) & (pl.col("closure") >= day))
        held = allocations.filter((pl.col("start") <= day) & (pl.col("end").is_null() | (pl.col("end") >= day)))
        per_episode = (
            open_then.join(held, on=["child", "referral"], how="left").group_by("child", "referral").agg(pl.col("worker").drop_nulls().len().alias("workers"))
        )
        assert open_then.height > 100 and (per_episode["workers"] == 1).all(), (day, per_episode.filter(pl.col("workers") != 1).head())
        checked = held.join(staff, on="worker", how="left")
        assert (checked["worker_la"] == checked["la_index"]).all() and checked["org_role"].is_in(wf.CASE_HOLDING_ROLES).all()
        assert ((checked["in_post_from"] <= day) & (checked["in_post_to"].is_null() | (checked["in_post_to"] >= day))).all()
    # Involvements of an episode follow one another without a gap, each starting with a reason from SSD's list.
    ordered = allocations.sort("child", "referral", "start")
    follows = ordered.with_columns(pl.col("end").shift(1).over("child", "referral").alias("previous_end")).filter(pl.col("previous_end").is_not_null())
    assert (follows["start"] == follows["previous_end"] + 1).all()
    assert set(allocations["change_reason"]) <= set(codes.codes_of(wf.SSD_WORKER_CHANGE_REASON))
    firsts = ordered.group_by("child", "referral", maintain_order=True).first()
    assert (firsts["change_reason"] == wf.FIRST_ALLOCATION).all() and (firsts["start"] == firsts["referral"]).all()


def test_workers_change_oftener_where_the_workforce_is_under_more_pressure(world: World) -> None:
    """Changes of allocated worker per child-year, with leaving workers and reassignments, are higher in the LA under
    most pressure (its turnover, vacancies and reassignments scaled up) than in the one under least."""
    allocations = world.workforce.allocations.with_columns(pl.col("end").fill_null(day_number(CONFIG.end)))
    per_la = allocations.group_by("la_index").agg(
        (pl.col("change_reason") != wf.FIRST_ALLOCATION).sum().alias("changes"),
        (~pl.col("change_reason").is_in([wf.FIRST_ALLOCATION, wf.TEAM_TRANSFER])).sum().alias("unplanned"),
        (pl.col("change_reason") == wf.WORKER_LEFT).sum().alias("left"),
        ((pl.col("end") - pl.col("start") + 1).sum() / 365.25).alias("child_years"),
    )
    per_la = per_la.with_columns((pl.col("changes", "unplanned", "left") / pl.col("child_years")).name.suffix("_rate"))
    pressure = world.workforce.pressure
    most, least = (per_la.filter(pl.col("la_index") == int(i)) for i in (np.argmax(pressure), np.argmin(pressure)))
    # Changes other than the planned moves between teams: about twice as many under the most pressure.
    assert most["unplanned_rate"][0] > 1.5 * least["unplanned_rate"][0] and most["left_rate"][0] > 1.2 * least["left_rate"][0], per_la
    assert per_la["changes_rate"].min() > 0.5 and per_la["changes_rate"].max() < 3.0, per_la  # changes a child-year, moves between teams included


def test_involvements_in_the_extract_are_of_case_holders_of_the_childs_la_in_post(world: World) -> None:
    """Every ssd_involvements row's worker is, in the truth, a case holder of the LA whose extract it is, in post
    from the involvement's start to its end; and one worker-level row of every file is in worker_records."""
    roster = world.truth("workforce").select("prof_id", "la_index", "org_role", "start_date", "end_date")
    la_of = pl.DataFrame({"la_index": np.arange(3, dtype=np.int8), "la": [str(la.code) for la in CONFIG.local_authorities]})
    rows = pl.concat(
        [
            pl.read_csv(path, infer_schema=False).with_columns(pl.lit(path.name[4:7]).alias("la"))
            for path in sorted((world.root / "landing" / "ssd").rglob("*_involvements.csv"))
        ]
    ).unique(maintain_order=True)
    rows = rows.filter(pl.col("invo_worker_change_reason").is_in(codes.codes_of(wf.SSD_WORKER_CHANGE_REASON)))
    joined = rows.join(roster.join(la_of, on="la_index").rename({"la": "worker_la"}), left_on="invo_professional_id", right_on="prof_id", how="left")
    start, end = pl.col("invo_involvement_start_date").str.to_date(), pl.col("invo_involvement_end_date").str.to_date(strict=False)
    assert joined.height > 10_000 and joined["worker_la"].null_count() == 0
    assert (joined["worker_la"] == joined["la"]).all() and joined["org_role"].is_in(wf.CASE_HOLDING_ROLES).all()
    assert joined.select((start >= pl.col("start_date")) & (pl.col("end_date").is_null() | end.is_null() | (end <= pl.col("end_date")))).to_series().all()
    records = world.truth("worker_records")
    assert set(records["table"]) == {"csww_worker", "ssd_professionals"}
    files = {
        str(p.relative_to(world.root / "landing"))
        for p in (world.root / "landing").rglob("*")
        if re.search(r"(csww_\d{3}_\d{4}\.xml|_professionals\.csv)$", p.name)
    }
    assert set(records["file"]) == files


def _schema_errors(world: World) -> tuple[set, set]:
    """(errors, errors the fault log explains) of every CSWW return against the XSD; an error is (file, worker row, element)."""
    schema = xmlschema.XMLSchema(CSWW_SCHEMA)
    found = set()
    for path in sorted((world.root / "landing" / "csww").rglob("*.xml")):
        rel = str(path.relative_to(world.root / "landing"))
        for error in schema.iter_errors(str(path)):
            worker = re.search(r"/CSWWWorker\[(\d+)\]", error.path or "")
            found.add((rel, int(worker.group(1)) if worker else 0, error.elem.tag if error.elem is not None else error.path))
    faults = world.truth("faults").filter(pl.col("table") == "csww_worker")
    element = {"fte": "FTE", "org_role": "OrgRole", "ethnicity": "Ethnicity", "reason_leave": "ReasonLeave"}
    invalid = faults.filter(pl.col("fault").is_in(["fte_out_of_range", "out_of_list_code"]))
    records = world.truth("worker_records").filter(pl.col("table") == "csww_worker")
    copies = faults.filter(pl.col("fault") == "duplicate_row").select("rid", pl.col("true_value").cast(pl.Int64).alias("original"))
    explained = set()
    for fault in invalid.iter_rows(named=True):
        rids = [fault["rid"], *copies.filter(pl.col("original") == fault["rid"])["rid"].to_list()]
        for file, row in records.filter(pl.col("rid").is_in(rids)).select("file", "row").iter_rows():
            explained.add((file, row, element[fault["field"]]))
    return found, explained


def test_every_return_is_valid_against_the_csww_xsd_except_where_a_logged_fault_made_it_invalid(world: World) -> None:
    found, explained = _schema_errors(world)
    assert found == explained, (sorted(found - explained)[:5], sorted(explained - found)[:5])
    assert len(explained) > 10


def test_the_workforce_files_reconcile_and_the_gate_quarantines_each_logged_fault(world: World, loaded: duckdb.DuckDBPyConnection) -> None:
    files = loaded.sql("select table_name, source_file, rows_read, rows_loaded, rows_quarantined from audit.ingested_files").pl()
    assert set(WORKFORCE_TABLES) <= set(files["table_name"])
    for row in files.filter(pl.col("table_name").is_in(WORKFORCE_TABLES)).iter_rows(named=True):
        in_raw = loaded.execute(f"select count(*) from raw.{row['table_name']} where _source_file = ?", [row["source_file"]]).fetchone()[0]
        held = loaded.execute(
            "select count(distinct row_number) from quarantine.rejected_rows where table_name = ? and source_file = ?", [row["table_name"], row["source_file"]]
        ).fetchone()[0]
        assert row["rows_read"] == in_raw + held == row["rows_loaded"] + row["rows_quarantined"], row
    assert files.filter(pl.col("table_name") == "csww_la_level")["rows_read"].sum() == len(YEARS) * 3
    quarantine = loaded.sql("select table_name, source_file as file, row_number as row, rule, column_name from quarantine.rejected_rows").pl()
    faults = world.truth("faults").filter(pl.col("table").is_in(["csww_worker", "ssd_involvements", "ssd_professionals"]))
    for table, fault, field, rule in (
        ("csww_worker", "fte_out_of_range", "fte", "decimal_between:0-1"),
        ("csww_worker", "end_before_start", "role_end_date", "date_order:RoleEndDate>=RoleStartDate"),
        ("csww_worker", "out_of_list_code", "org_role", "code_list:CSWW organisational role"),
        ("csww_worker", "duplicate_row", "*", "duplicate_row"),
        ("ssd_involvements", "out_of_list_code", "change_reason", "code_list:SSD worker change reason"),
        ("ssd_involvements", "duplicate_row", "*", "duplicate_row"),
        ("ssd_professionals", "duplicate_row", "*", "duplicate_row"),
    ):
        injected = faults.filter((pl.col("table") == table) & (pl.col("fault") == fault) & (pl.col("field") == field))
        # A copy of a faulty row breaks the same rule as its original.
        copies = faults.filter(
            (pl.col("table") == table) & (pl.col("fault") == "duplicate_row") & pl.col("true_value").is_in(injected["rid"].cast(pl.Utf8).implode())
        )
        expected = set(injected.select("file", "row").rows()) | (set(copies.select("file", "row").rows()) if fault != "duplicate_row" else set())
        caught = set(quarantine.filter((pl.col("table_name") == table) & (pl.col("rule") == rule)).select("file", "row").rows())
        assert injected.height > 0 and caught == expected, (table, fault, sorted(caught ^ expected)[:5])


def test_the_reader_refuses_a_file_that_is_not_a_csww_return(tmp_path: Path) -> None:
    cin = tmp_path / "csww_352_2022.xml"
    cin.write_text("<Message><Header><CollectionDetails><Collection>CIN</Collection></CollectionDetails></Header><Children/></Message>", encoding="utf-8")
    with pytest.raises(FileRejected, match="not a children's social work workforce census message"):
        read_csww_xml(cin)
    twice = tmp_path / "csww_870_2022.xml"
    vacancies = (
        "<LALevelVacancies><NumberOfVacancies>1.00</NumberOfVacancies><NoAgencyFTE>0.00</NoAgencyFTE>"
        "<NoAgencyHeadcount>0</NoAgencyHeadcount></LALevelVacancies>"
    )
    worker = "<CSWWWorker><AgencyWorker>1</AgencyWorker><SWENo>SW0000000001</SWENo><QualInst>A, B</QualInst><QualInst>C</QualInst></CSWWWorker>"
    twice.write_text(f"<Message>{vacancies}{vacancies}{worker}</Message>", encoding="utf-8")
    with pytest.raises(FileRejected, match="one <LALevelVacancies>, this one 2"):
        read_csww_xml(twice)
    good = tmp_path / "csww_925_2022.xml"
    good.write_text(f"<Message>{vacancies}{worker}</Message>", encoding="utf-8")
    tables = read_csww_xml(good)
    assert tables["csww_worker"].select("SWENo", "QualInst", "Absat30Sept", "_row_number").rows() == [("SW0000000001", "A, B|C", None, 1)]
    assert tables["csww_la_level"].select("NumberOfVacancies", "NoAgencyHeadcount").rows() == [("1.00", "0")]


STAGING = {
    "csww_worker": "stg_csww__workers",
    "csww_la_level": "stg_csww__la_vacancies",
    "ssd_professionals": "stg_ssd__professionals",
    "ssd_involvements": "stg_ssd__involvements",
}


def test_staging_keeps_every_row_and_keys_involvements_to_the_years_persons(warehouse) -> None:
    """On the harmonised 3,000-person world: staging holds every raw row of the four tables; each return's LA and year
    is there; an involvement's person is in the same LA's ssd_person of its year; flags agree with dates."""
    database, _ = warehouse
    with duckdb.connect(str(database), read_only=True) as con:
        for raw, staging in STAGING.items():
            assert con.sql(f"select count(*) from raw.{raw}").fetchone() == con.sql(f"select count(*) from staging.{staging}").fetchone(), staging
        returns = con.sql("select count(distinct la_code || census_year) from staging.stg_csww__la_vacancies").fetchone()[0]
        assert returns == len(YEARS) * 3
        unmatched = con.sql(
            """select count(*) from staging.stg_ssd__involvements as involvements
               left join staging.stg_ssd__persons as persons
                 on involvements.la_code = persons.la_code and involvements.collection_year = persons.collection_year
                and involvements.person_id = persons.person_id
               where persons.person_id is null"""
        ).fetchone()[0]
        assert con.sql("select count(*) from staging.stg_ssd__involvements").fetchone()[0] > 100 and unmatched == 0
        flags = con.sql(
            """select count(*) filter (where is_leaver <> (role_end_date is not null)),
                      count(*) filter (where is_in_post_at_30_september = is_leaver),
                      count(*) filter (where is_agency_worker and date_of_birth is not null),
                      count(*) filter (where holds_cases is null)
               from staging.stg_csww__workers"""
        ).fetchone()
        assert flags == (0, 0, 0, 0)
        census_year_days = con.sql(
            "select min(reference_date - census_year_start), max(reference_date - census_year_start) from staging.stg_csww__workers"
        ).fetchone()
        assert census_year_days[0] >= 364 and census_year_days[1] <= 365


def test_census_years_run_from_october_to_september() -> None:
    (year, first, reference), *_ = census_years((2022,))
    assert (year, first, reference) == (2022, day_number(date(2021, 10, 1)), day_number(date(2022, 9, 30)))
