"""The register of children not in school (CME and EHE): built from the school census truth in its Hearth layout,
its faults caught at the gate with every row reconciled, harmonised by staging, and linked to the child's school
census records."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

import code_lists as codes
from code_lists import not_in_school as cnis
from code_lists.identifiers import is_valid_upn
from ingestion.load import ingest
from ingestion.registry import SOURCES_BY_NAME
from linkage.evaluation import true_persons
from linkage.persons import PERSON_LINKS
from synthetic_population.config import FaultRates, WorldConfig
from synthetic_population.dynamics import day_number
from synthetic_population.not_in_school import LATE_DELAY_DAYS, ehe_probability, end_of_compulsory_school_age
from synthetic_population.world import generate_world
from validations.raw_schemas import RAW_TABLES

# A world with about 500 roll-leavers, and the faults the gate must catch at rates that give some dozens of each.
REGISTER_WORLD = WorldConfig(persons=60_000, seed=21, faults=FaultRates(out_of_list_code=0.05, duplicate_row=0.05, date_off_before_on=0.1, upn_typo=0.05))
DMY = "%d/%m/%Y"
README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(scope="module")
def register_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("not_in_school")
    generate_world(REGISTER_WORLD, root / "landing", root / "truth")
    return root


def _register_rows(world: Path) -> pl.DataFrame:
    """Every row of every extract with its file, row number and true person."""
    landing = world / "landing"
    rows = pl.concat(
        [
            pl.read_csv(path, infer_schema=False).with_columns(pl.lit(str(path.relative_to(landing))).alias("file")).with_row_index("row", offset=1)
            for path in sorted(landing.glob("cnis/*/*.csv"))
        ]
    )
    truth = pl.read_parquet(world / "truth" / "record_person.parquet").filter(pl.col("table") == "cnis_register")
    return rows.with_columns(pl.col("row").cast(pl.Int64), pl.col("DateOnRegister").str.strptime(pl.Date, DMY).alias("date_on")).join(
        truth.select("file", "row", "person_id"), on=["file", "row"], how="left"
    )


def _faults(world: Path) -> pl.DataFrame:
    return pl.read_parquet(world / "truth" / "faults.parquet").filter(pl.col("table") == "cnis_register")


def test_the_layout_is_the_field_map_and_the_readme_documents_it(register_world: Path) -> None:
    columns = [field.column for field in cnis.REGISTER_FIELDS]
    assert list(RAW_TABLES["cnis_register"].column_names) == columns
    files = sorted((register_world / "landing" / "cnis").glob("*/*.csv"))
    # One file per LA and collection year, header-only when the LA had no entry open.
    assert len(files) == len(REGISTER_WORLD.local_authorities) * len(REGISTER_WORLD.years)
    assert all(pl.read_csv(path, infer_schema=False, n_rows=0).columns == columns for path in files)
    readme = README.read_text(encoding="utf-8")
    assert all(f"`{column}`" in readme for column in columns)


def test_every_row_has_its_true_person(register_world: Path) -> None:
    rows = _register_rows(register_world)
    assert rows.height > 500
    assert rows["person_id"].null_count() == 0


def test_a_realistic_share_of_roll_leavers_never_reaches_the_register(register_world: Path) -> None:
    """The indicator the mart reports: of the children who left a roll with no known destination (long enough
    before the last extract for an entry to have shown in it), the share with no register entry. The generator
    loses NEVER_RECORDED (12%) outright, and a few more come back, move away or turn 16 before the LA records
    them: 17% on a 200,000-person world, so the band is about four standard errors either side at this size.
    (`NEVER_RECORDED` in synthetic_population/not_in_school.py sets the first part.)"""
    events = pl.read_parquet(register_world / "truth" / "life_events.parquet")
    last_extract = date(REGISTER_WORLD.last_year, 8, 31)
    left = events.filter(pl.col("event") == "left_roll_unexplained").select("person_id", pl.col("date").alias("left")).sort("left")
    left = left.with_columns(pl.col("left").shift(-1).over("person_id", order_by="left").alias("left_again"))
    entries = _register_rows(register_world).select(pl.col("person_id").cast(pl.Int32), "date_on").unique().sort("date_on")
    episodes = left.join_asof(entries, left_on="left", right_on="date_on", by="person_id", strategy="forward", check_sortedness=False)
    # An entry belongs to the leaving before it, not to a later one.
    episodes = episodes.with_columns(
        pl.when(pl.col("left_again").is_null() | (pl.col("date_on") < pl.col("left_again"))).then(pl.col("date_on")).alias("date_on")
    )
    judged = episodes.filter(pl.col("left") <= pl.lit(last_extract) - pl.duration(days=LATE_DELAY_DAYS[1]))
    assert judged.height > 300
    no_entry = judged["date_on"].null_count() / judged.height
    assert 0.10 < no_entry < 0.26, no_entry
    # Most entries follow within weeks of leaving; some come months later.
    delay = judged.drop_nulls("date_on").select((pl.col("date_on") - pl.col("left")).dt.total_days())["date_on"]
    assert 0.65 <= (delay <= 60).mean() <= 0.92 and (delay > 60).mean() >= 0.08
    assert delay.min() >= 1 and delay.max() < LATE_DELAY_DAYS[1]


def test_the_previous_school_is_one_the_child_was_on_roll_at_before_the_date_on(register_world: Path) -> None:
    landing = register_world / "landing"
    census_day = {term: (month, day) for term, month, day in codes.SCHOOL_TERMS}
    truth = pl.read_parquet(register_world / "truth" / "record_person.parquet").filter(pl.col("table") == "school_census")
    terms = []
    for path in sorted(landing.glob("school_census/*/school_census_????_??????.csv")):
        year, term = int(path.stem.split("_")[2]), path.stem.split("_")[3]
        terms.append(
            pl.read_csv(path, columns=["LA", "Estab"], infer_schema=False)
            .with_row_index("row", offset=1)
            .with_columns(pl.lit(str(path.relative_to(landing))).alias("file"), pl.lit(date(year, *census_day[term])).alias("census_date"))
        )
    on_roll = pl.concat(terms).with_columns(pl.col("row").cast(pl.Int64)).join(truth.select("file", "row", "person_id"), on=["file", "row"])
    rows = _register_rows(register_world)
    schools_before = rows.join(
        on_roll.select("person_id", pl.col("LA").alias("PreviousSchoolLA"), pl.col("Estab").alias("PreviousSchoolEstab"), "census_date"),
        on=["person_id", "PreviousSchoolLA", "PreviousSchoolEstab"],
        how="left",
    ).filter(pl.col("census_date") < pl.col("date_on"))
    assert schools_before.select("file", "row").unique().height == rows.height


def test_reasons_come_from_their_registers_lists_except_logged_faults(register_world: Path) -> None:
    rows = _register_rows(register_world)
    log = _faults(register_world)
    out_of_list = log.filter((pl.col("fault") == "out_of_list_code") & (pl.col("field") == "reason")).select("file", "row")
    assert out_of_list.height > 20
    faulty = rows.join(out_of_list, on=["file", "row"], how="semi")
    # A row written twice repeats its original's faults, so the copies are left out too.
    copies = log.filter(pl.col("fault") == "duplicate_row").select("file", "row")
    clean = rows.join(out_of_list, on=["file", "row"], how="anti").join(copies, on=["file", "row"], how="anti")
    lists = {"EHE": codes.codes_of(cnis.EHE_PRIMARY_REASON), "CME": codes.codes_of(cnis.CME_REASON)}
    for register, reasons in lists.items():
        given = clean.filter(pl.col("Register") == register)["Reason"]
        assert given.len() > 100 and given.is_in(reasons).all(), register
        assert given.n_unique() >= (8 if register == "EHE" else 4), register
    assert not faulty["Reason"].is_in(lists["EHE"] + lists["CME"]).any()
    # Mental health and philosophical or preferential reasons are the commonest given, as EES reports.
    ehe = clean.filter(pl.col("Register") == "EHE").group_by("Reason").len().sort("len", descending=True)["Reason"].head(6).to_list()
    assert {"Mental health", "Philosophical or preferential"} <= set(ehe)
    covid = clean.filter(pl.col("Reason") == cnis.COVID_REASON)
    assert (covid["date_on"] >= date(2020, 3, 23)).all()
    ended = clean.filter(pl.col("DateOffRegister") != "")
    assert ended.height > 100 and set(ended["DateOffReason"]) == set(codes.codes_of(cnis.DATE_OFF_REASON))


@pytest.fixture(scope="module")
def ingested(register_world: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    ingest(con, SOURCES_BY_NAME["cnis"], list(REGISTER_WORLD.years), register_world / "landing", "test")
    return con


def test_every_row_is_loaded_or_quarantined(register_world: Path, ingested: duckdb.DuckDBPyConnection) -> None:
    written = _register_rows(register_world).group_by("file").len().rename({"len": "written"})
    loaded = ingested.sql("select _source_file as file, count(*) as loaded from raw.cnis_register group by 1").pl()
    held = ingested.sql(
        "select source_file as file, count(distinct row_number) as quarantined from quarantine.rejected_rows where table_name = 'cnis_register' group by 1"
    ).pl()
    audit = ingested.sql(
        "select source_file as file, rows_read, rows_loaded, rows_quarantined from audit.ingested_files where table_name = 'cnis_register'"
    ).pl()
    counts = written.join(loaded, on="file", how="left").join(held, on="file", how="left").join(audit, on="file", how="left").fill_null(0)
    assert counts.height > 10
    assert (counts["written"] == counts["loaded"] + counts["quarantined"]).all()
    assert (counts["rows_read"] == counts["written"]).all() and (counts["rows_loaded"] == counts["loaded"]).all()
    assert (counts["rows_quarantined"] == counts["quarantined"]).all() and counts["quarantined"].sum() > 50


def test_the_register_faults_are_caught_at_the_gate(register_world: Path, ingested: duckdb.DuckDBPyConnection) -> None:
    quarantined = ingested.sql("select source_file as file, row_number as row, rule from quarantine.rejected_rows where table_name = 'cnis_register'").pl()
    log = _faults(register_world)
    failing_upn = (log["fault"] == "upn_typo") & pl.Series(~is_valid_upn(log["recorded_value"].to_numpy().astype(str)))
    expected = {
        "date_off_before_on": ("date_order:DateOffRegister>=DateOnRegister", log.filter(pl.col("fault") == "date_off_before_on")),
        "out_of_list_code": ("code_list:CNIS reason", log.filter((pl.col("fault") == "out_of_list_code") & (pl.col("field") == "reason"))),
        "duplicate_row": ("duplicate_row", log.filter(pl.col("fault") == "duplicate_row")),
        "upn_typo": ("upn_check_letter", log.filter(failing_upn)),
    }
    for fault, (rule, logged) in expected.items():
        assert logged.height >= 10, fault
        caught = logged.join(quarantined.filter(pl.col("rule") == rule), on=["file", "row"], how="semi")
        assert caught.height == logged.height, fault
    # Nothing is held back without a logged fault behind it.
    unexplained = quarantined.join(log.select("file", "row"), on=["file", "row"], how="anti")
    assert unexplained.is_empty(), unexplained.head(5).to_dicts()


def test_staging_carries_the_register_for_the_mart(warehouse) -> None:
    """One staging row per raw row, each reaching int_person_records; the school left joins to the child's own
    school census terms by UPN, LA and Estab (blank or mistyped UPNs aside); every date off follows its date on."""
    database, _ = warehouse
    with duckdb.connect(str(database), read_only=True) as con:
        raw, staged = con.sql("select (select count(*) from raw.cnis_register), (select count(*) from staging.stg_cnis__register)").fetchone()
        assert raw == staged > 10
        assert con.sql("select count(*) from intermediate.int_person_records where source = 'cnis'").fetchone()[0] == staged
        joined, with_upn = con.sql(
            """
            select count(distinct register.record_id) filter (where terms.record_id is not null), count(distinct register.record_id)
            from staging.stg_cnis__register as register
            left join staging.stg_school_census__pupil_terms as terms
                on terms.upn = register.upn and terms.la_code = register.previous_school_la_code
                and terms.estab = register.previous_school_estab and terms.census_date < register.date_on_register
            where register.upn is not null
            """
        ).fetchone()
        assert joined >= 0.9 * with_upn > 0
        assert con.sql("select count(*) from staging.stg_cnis__register where date_off_register < date_on_register or sex = 'unknown'").fetchone()[0] == 0
        assert {r for (r,) in con.sql("select distinct register from staging.stg_cnis__register").fetchall()} == {"CME", "EHE"}


def test_register_records_link_to_the_childs_school_census_person(linked_warehouse) -> None:
    """After linkage, a register record is in the same person as most of its child's school census records: all
    of them on the tests' 3,000-person world (24 records in December 2026)."""
    database, truth, _ = linked_warehouse
    with duckdb.connect(str(database), read_only=True) as con:
        keys = con.sql(f"select record_id, person_key from {PERSON_LINKS}").pl()
    records = keys.join(true_persons(truth), on="record_id").with_columns(pl.col("record_id").str.split("|").list.first().alias("table"))
    school_key = (
        records.filter(pl.col("table") == "school_census")
        .group_by("person_id", "person_key")
        .len()
        .sort("len", "person_key", descending=[True, False])
        .group_by("person_id", maintain_order=True)
        .first()
        .select("person_id", pl.col("person_key").alias("school_key"))
    )
    register = records.filter(pl.col("table") == "cnis_register").join(school_key, on="person_id", how="left")
    assert register.height >= 15
    assert (register["person_key"] == register["school_key"]).mean() >= 0.95


def test_compulsory_school_age_ends_on_the_last_friday_in_june_of_the_year_the_child_turns_16() -> None:
    births = np.array([day_number(d) for d in (date(2005, 3, 10), date(2004, 9, 1), date(2004, 8, 31), date(2007, 6, 30))])
    ends = end_of_compulsory_school_age(births)
    assert [str(np.datetime64("1970-01-01") + np.timedelta64(int(d), "D")) for d in ends] == ["2021-06-25", "2021-06-25", "2020-06-26", "2023-06-30"]


def test_ehe_is_likelier_with_sen_absence_social_care_and_age() -> None:
    none = ehe_probability(np.array(["N"]), np.array([False]), np.array([False]), np.array([False]))[0]
    assert none == pytest.approx(0.55)
    for sen, absent, care, secondary in (("K", False, False, False), ("E", False, False, False), ("N", True, False, False), ("N", False, True, False)):
        assert ehe_probability(np.array([sen]), np.array([absent]), np.array([care]), np.array([secondary]))[0] > none
    assert ehe_probability(np.array(["N"]), np.array([False]), np.array([False]), np.array([True]))[0] > none
