"""Emergency care (ECDS): attendance rates by age as published, the excess of assaults among adults in
households with domestic abuse, codes from the code lists, faults caught at ingestion with every row
reconciled, the analyst's flags in staging, and attendances linked to their person as HES admissions are."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from code_lists import emergency_care as ec
from code_lists.seeds import seed_tables
from linkage.evaluation import true_persons
from linkage.persons import PERSON_LINKS
from synthetic_population.faults import OUT_OF_LIST

YEARS = range(2019, 2024)  # the session world's collection years (tests/conftest.py)
# NHS Digital, Hospital Accident and Emergency Activity 2019-20: about 25 million attendances for 56 million
# people in England, 0.44 a head a year, the most per head among the under-5s and the over-80s, the fewest
# among children of school age.
ENGLAND_RATE_BAND = (0.3, 0.55)


def _read(landing: Path) -> pl.DataFrame:
    frames = [
        pl.read_csv(path, infer_schema=False)
        .with_columns(pl.all().replace("", None))  # a blank field, as the ingestion reads it
        .with_columns(pl.lit(str(path.relative_to(landing))).alias("file"), pl.int_range(1, pl.len() + 1).alias("row"))
        for path in sorted(landing.glob("ecds/*/ecds_*.csv"))
    ]
    return pl.concat(frames)


@pytest.fixture(scope="module")
def extract(warehouse) -> tuple[pl.DataFrame, Path]:
    """(every row of the ECDS extract with its true person and whether it is a duplicated copy, truth folder)."""
    _, truth = warehouse
    rows = _read(truth.parent / "landing")
    records = pl.read_parquet(truth / "record_person.parquet").filter(pl.col("table") == "ecds")
    copies = pl.read_parquet(truth / "faults.parquet").filter((pl.col("table") == "ecds") & (pl.col("fault") == "duplicate_row"))["rid"]
    records = records.select("file", "row", "person_id", pl.col("rid").is_in(copies.implode()).alias("is_copy"))
    joined = rows.join(records, on=["file", "row"], how="left", validate="1:1")
    assert joined["person_id"].null_count() == 0 and joined.height > 3000
    persons = pl.read_parquet(truth / "persons.parquet").select("person_id", pl.col("dob").alias("true_dob"), pl.col("sex").alias("true_sex"))
    return joined.join(persons, on="person_id").with_columns(pl.col("Arrival_Date").str.to_date()), truth


def _person_years(truth: Path) -> pl.DataFrame:
    """(person_id, household_id, year, age at the middle of the piece, years) of every household spell in each
    financial year of the collection."""
    spells = pl.read_parquet(truth / "household_spells.parquet").with_columns(pl.col("end_date").fill_null(date(2100, 1, 1)))
    dob = pl.read_parquet(truth / "persons.parquet").select("person_id", "dob")
    pieces = []
    for year in YEARS:
        lo, hi = date(year - 1, 4, 1), date(year, 4, 1)
        start, end = pl.max_horizontal(pl.col("start_date"), pl.lit(lo)), pl.min_horizontal(pl.col("end_date"), pl.lit(hi))
        pieces.append(spells.select("person_id", "household_id", start.alias("start"), end.alias("end")).filter(pl.col("end") > pl.col("start")))
    days = (pl.col("end") - pl.col("start")).dt.total_days()
    middle = pl.col("start") + pl.duration(days=days // 2)
    return (
        pl.concat(pieces)
        .join(dob, on="person_id")
        .select("person_id", "household_id", "start", "end", ((middle - pl.col("dob")).dt.total_days() / 365.25).alias("age"), (days / 365.25).alias("years"))
    )


def _with_household(rows: pl.DataFrame, truth: Path) -> pl.DataFrame:
    """Each attendance with the household the person lived in on arrival."""
    spells = pl.read_parquet(truth / "household_spells.parquet").select(pl.col("person_id").cast(pl.Int64), "household_id", "start_date").sort("start_date")
    return (
        rows.with_columns(pl.col("person_id").cast(pl.Int64))
        .sort("Arrival_Date")
        .join_asof(spells, left_on="Arrival_Date", right_on="start_date", by="person_id", strategy="backward", check_sortedness=False)
    )


def _band(age: pl.Expr) -> pl.Expr:
    return (
        pl.when(age < 5)
        .then(pl.lit("0-4"))
        .when(age < 16)
        .then(pl.lit("5-15"))
        .when(age < 65)
        .then(pl.lit("16-64"))
        .when(age < 80)
        .then(pl.lit("65-79"))
        .otherwise(pl.lit("80+"))
    )


def test_attendance_rates_by_age_have_the_published_shape(extract) -> None:
    rows, truth = extract
    attendances = rows.filter(~pl.col("is_copy")).with_columns(((pl.col("Arrival_Date") - pl.col("true_dob")).dt.total_days() / 365.25).alias("age"))
    exposure = _person_years(truth)
    overall = attendances.height / exposure["years"].sum()
    assert ENGLAND_RATE_BAND[0] <= overall <= ENGLAND_RATE_BAND[1], overall
    counts = dict(attendances.group_by(_band(pl.col("age")).alias("band")).len().iter_rows())
    years = dict(exposure.group_by(_band(pl.col("age")).alias("band")).agg(pl.col("years").sum()).iter_rows())
    rate = {band: counts[band] / years[band] for band in years}
    assert rate["0-4"] > 1.3 * overall and rate["80+"] > 1.5 * overall, rate
    assert rate["5-15"] < overall and rate["5-15"] == min(rate.values()), rate


def test_adults_in_households_with_domestic_abuse_attend_after_assaults_several_times_as_often(extract) -> None:
    rows, truth = extract
    abusive = pl.read_parquet(truth / "domestic_abuse_households.parquet")["household_id"].implode()
    exposure = _person_years(truth).filter(pl.col("age") >= 18).join(pl.read_parquet(truth / "persons.parquet").select("person_id", "sex"), on="person_id")
    exposure = exposure.with_columns(pl.col("household_id").is_in(abusive).alias("abuse"))
    assaults = _with_household(rows.filter(~pl.col("is_copy") & (pl.col("EC_Injury_Intent_SNOMED_CT") == ec.ASSAULT)), truth)
    assaults = assaults.filter((pl.col("Arrival_Date") - pl.col("true_dob")).dt.total_days() >= 18 * 365.25).with_columns(
        pl.col("household_id").is_in(abusive).alias("abuse"), pl.col("true_sex").alias("sex")
    )

    def rate(abuse: bool, sex: str | None = None) -> float:
        who = (pl.col("abuse") == abuse) & (pl.col("sex") == sex if sex else pl.lit(True))
        return assaults.filter(who).height / exposure.filter(who)["years"].sum()

    assert assaults.filter(pl.col("abuse")).height >= 10
    assert rate(True) > 3 * rate(False), (rate(True), rate(False))
    assert rate(True, "F") > 5 * rate(False, "F"), (rate(True, "F"), rate(False, "F"))
    assert rate(True, "F") > rate(True, "M")  # most victims attending are women


def test_the_truth_names_every_assault_and_links_only_those_in_abusive_households(extract) -> None:
    rows, truth = extract
    recorded = pl.read_parquet(truth / "ecds_assaults.parquet")
    in_extract = rows.filter(pl.col("EC_Injury_Intent_SNOMED_CT") == ec.ASSAULT).select("file", "row")
    assert sorted(recorded.select("file", "row").rows()) == sorted(in_extract.rows())
    linked = _with_household(recorded.filter(pl.col("domestic_abuse")).rename({"arrival_date": "Arrival_Date"}), truth)
    abusive = pl.read_parquet(truth / "domestic_abuse_households.parquet")["household_id"]
    assert linked.height >= 10 and linked["household_id"].is_in(abusive.implode()).all()
    # Copies of one attendance share it; every attendance is one person's.
    assert recorded.group_by("attendance").agg(pl.col("person_id").n_unique())["person_id"].max() == 1


CODED = {
    "EC_Arrival_Mode_SNOMED_CT": ("arrival_mode", ec.ARRIVAL_MODE),
    "EC_Chief_Complaint_SNOMED_CT": ("chief_complaint", ec.CHIEF_COMPLAINT),
    "Discharge_Destination_SNOMED_CT": ("discharge_destination", ec.DISCHARGE_DESTINATION),
}


def test_codes_come_from_the_code_lists_except_logged_faults(extract) -> None:
    rows, truth = extract
    log = pl.read_parquet(truth / "faults.parquet").filter(pl.col("table") == "ecds")
    for column, (field, code_list) in CODED.items():
        outside = rows.filter(~pl.col(column).is_in([c.code for c in code_list]))
        logged = log.filter((pl.col("field") == field) & (pl.col("fault") == "out_of_list_code")).select("file", "row")
        # A duplicated faulty row repeats the fault in its copy.
        assert set(outside.select("file", "row").rows()) - set(logged.rows()) <= set(rows.filter(pl.col("is_copy")).select("file", "row").rows()), column
        assert set(outside[column]) <= set(OUT_OF_LIST), column
    for column, code_list in (
        ("EC_Injury_Intent_SNOMED_CT", ec.INJURY_INTENT),
        ("EC_Department_Type", ec.DEPARTMENT_TYPE),
        ("EC_AttendanceCategory", ec.ATTENDANCE_CATEGORY),
    ):
        assert set(rows[column].drop_nulls()) <= {c.code for c in code_list}, column
    diagnoses = rows["Der_EC_Diagnosis_All"].str.split(",").explode()
    assert set(diagnoses) <= {c.code for c in ec.DIAGNOSIS}
    # Each kind of attendance carries its intent: assaults and self-harm as coded, illness none.
    intents = dict(rows.group_by("EC_Injury_Intent_SNOMED_CT").len().iter_rows())
    assert intents[ec.ASSAULT] > 30 and intents[ec.SELF_INFLICTED] > 10 and intents[None] > rows.height / 2


def test_every_code_says_how_far_it_was_confirmed_and_no_made_up_intent() -> None:
    for field, code_list in ec.FIELDS.items():
        codes = [c.code for c in code_list]
        assert len(codes) == len(set(codes)), field
        assert all(c.source in ec.SOURCES and c.confirmed in ("ecds", "snomed", "nhs_data_dictionary") for c in code_list), field
    # Only the self-inflicted intent is confirmed as a member of the ECDS injury intent refset; 371708003 is
    # "Injury caused by electrical exposure", not assault.
    assert {c.code for c in ec.INJURY_INTENT if c.confirmed == "ecds"} == {ec.SELF_INFLICTED}
    assert "371708003" not in {c.code for code_list in ec.FIELDS.values() for c in code_list}
    seed = seed_tables()["ecds_codes"]
    assert len(seed) == sum(len(code_list) for code_list in ec.FIELDS.values())
    assert {row["field"] for row in seed} == set(ec.FIELDS)


def test_faults_are_caught_and_every_row_reconciles(warehouse, extract) -> None:
    database, _ = warehouse
    rows, truth = extract
    log = pl.read_parquet(truth / "faults.parquet").filter(pl.col("table") == "ecds")
    with duckdb.connect(str(database), read_only=True) as con:
        files = con.sql("select source_file, rows_read, rows_loaded, rows_quarantined from audit.ingested_files where table_name = 'ecds'").pl()
        quarantined = con.sql("select source_file as file, row_number as row, rule from quarantine.rejected_rows where table_name = 'ecds'").pl()
        loaded = con.sql("select _source_file as file, count(*) as loaded from raw.ecds group by 1").pl()
    assert files.height == len(YEARS)
    per_file = rows.group_by("file").len().join(loaded, on="file").join(quarantined.group_by("file").agg(pl.col("row").n_unique().alias("held")), on="file")
    assert (per_file["len"] == per_file["loaded"] + per_file["held"]).all()
    assert (files["rows_read"] == files["rows_loaded"] + files["rows_quarantined"]).all() and files["rows_read"].sum() == rows.height
    copies = set(rows.filter(pl.col("is_copy")).select("file", "row").rows())
    for fault, field, rule in (
        ("departure_before_arrival", "departure_date", "date_order:EC_Departure_Date>=Arrival_Date"),
        ("out_of_list_code", "chief_complaint", "code_list:ECDS chief complaint"),
        ("out_of_list_code", "discharge_destination", "code_list:ECDS discharge destination"),
        ("duplicate_row", "*", "duplicate_row"),
    ):
        logged = set(log.filter((pl.col("fault") == fault) & (pl.col("field") == field)).select("file", "row").rows())
        caught = set(quarantined.filter(pl.col("rule") == rule).select("file", "row").rows())
        assert logged and logged <= caught and caught <= logged | copies, (fault, field)
    # An NHS number typo that fails Modulus 11 is held back; one whose check digit was recomputed passes.
    typos = log.filter(pl.col("fault") == "nhs_number_typo").select("file", "row").rows()
    caught = set(quarantined.filter(pl.col("rule") == "nhs_number_modulus_11").select("file", "row").rows())
    assert 0 < len(caught & set(typos)) < len(typos)
    # The provider's extract has the faults HES has: names, dates of birth, missing NHS numbers, stale addresses.
    assert {"name_typo", "dob_day_month_swap", "missing_nhs_number", "stale_address", "address_variant", "missing_postcode"} <= set(log["fault"])


def test_staging_keeps_every_row_and_flags_what_an_analyst_needs(warehouse) -> None:
    database, _ = warehouse
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.sql("select count(*) from raw.ecds").fetchone() == con.sql("select count(*) from staging.stg_ecds__attendances").fetchone()
        raw = con.sql(
            f"""select count(*) filter (where EC_Injury_Intent_SNOMED_CT = '{ec.ASSAULT}'),
                       count(*) filter (where EC_Injury_Intent_SNOMED_CT = '{ec.SELF_INFLICTED}' or EC_Chief_Complaint_SNOMED_CT = '248062006'),
                       count(*) filter (where EC_Injury_Date is not null)
                from raw.ecds"""
        ).fetchone()
        flags = con.sql(
            "select count(*) filter (where is_assault), count(*) filter (where is_self_harm), count(*) filter (where is_injury), "
            "count(*) filter (where is_mental_health), avg(is_admitted::int), count(*) filter (where arrival_date is null or departure_date < arrival_date) "
            "from staging.stg_ecds__attendances"
        ).fetchone()
        persons = con.sql(
            "select count(*), count(nhs_number), count(address_text), (select count(*) from raw.ecds) "
            "from intermediate.int_person_records where source = 'ecds'"
        ).fetchone()
    assert flags[:3] == raw and raw[0] > 30
    assert flags[3] > flags[1]  # mental health includes self-harm and more
    assert 0.15 < flags[4] < 0.4  # about 3 in 10 attendances end in admission
    assert flags[5] == 0
    # Every attendance is a person record for linkage, most with an NHS number and all with an address.
    assert persons[0] == persons[3] and persons[1] > 0.95 * persons[0] and persons[2] > 0.99 * persons[0]


def test_attendances_link_to_their_person_as_hospital_admissions_do(linked_warehouse) -> None:
    database, truth, _ = linked_warehouse
    with duckdb.connect(str(database), read_only=True) as con:
        links = con.sql(f"select record_id, person_key from {PERSON_LINKS}").pl()
        addresses = con.sql("select source, avg(case when uprn is not null then 1.0 else 0 end) as matched from linkage.address_matches group by 1").pl()
    keys = links.join(true_persons(truth), on="record_id").with_columns(pl.col("record_id").str.split("|").list.first().alias("table"))
    main_key = (
        keys.group_by("person_id", "person_key")
        .len()
        .sort("len", descending=True)
        .group_by("person_id")
        .first()
        .select("person_id", pl.col("person_key").alias("main_key"))
    )
    share = dict(keys.join(main_key, on="person_id").group_by("table").agg((pl.col("person_key") == pl.col("main_key")).mean().alias("share")).iter_rows())
    assert share["ecds"] >= 0.98 and share["ecds"] >= share["hes_apc"] - 0.01, share
    matched = dict(addresses.iter_rows())
    assert matched["ecds"] >= 0.98 and matched["ecds"] >= matched["hes_apc"] - 0.01, matched
