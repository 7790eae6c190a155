"""dbt harmonisation on a small world: seeds match the code lists, the build passes, nothing is
dropped between raw and staging, and harmonised ethnicity and sex agree with the ground truth."""

from __future__ import annotations

import duckdb
import polars as pl

from code_lists.seeds import BROAD_OF_CENSUS_19, render, seed_tables
from orchestration.settings import REPO_ROOT

DBT_DIR = REPO_ROOT / "dbt_project"


def test_committed_seeds_are_the_code_lists() -> None:
    tables = seed_tables()
    committed = {p.stem for p in (DBT_DIR / "seeds").glob("*.csv")}
    assert committed == set(tables), "run `uv run hearth export-seeds`"
    for name, rows in tables.items():
        assert (DBT_DIR / "seeds" / f"{name}.csv").read_text(encoding="utf-8") == render(rows), name


STAGING_OF_RAW = {
    "school_census": "stg_school_census__pupil_terms",
    "school_census_attendance": "stg_school_census__attendance",
    "school_census_exclusions": "stg_school_census__exclusions",
    "school_census_sen": "stg_school_census__sen",
    "hes_apc": "stg_hes_apc__episodes",
    "ssda903_episodes": "stg_ssda903__episodes",
    "ssda903_header": "stg_ssda903__children",
    "cin_children": "stg_cin_census__children",
    "cin_episodes": "stg_cin_census__episodes",
    "ssd_person": "stg_ssd__persons",
    "ssd_address": "stg_ssd__addresses",
    "ssd_contacts": "stg_ssd__contacts",
    "ssd_early_help_episodes": "stg_ssd__early_help_episodes",
    "ssd_services": "stg_ssd__services",
    "ssd_professionals": "stg_ssd__professionals",
    "ssd_involvements": "stg_ssd__involvements",
    "csww_worker": "stg_csww__workers",
    "csww_la_level": "stg_csww__la_vacancies",
    "census_2021_persons": "stg_census_2021__persons",
    "youth_justice": "stg_youth_justice__offences",
    "ecds": "stg_ecds__attendances",
    "cnis_register": "stg_cnis__register",
    "gazetteer": "stg_gazetteer__properties",
}


def test_staging_keeps_every_raw_row_and_parses_every_date(warehouse) -> None:
    database, _ = warehouse
    with duckdb.connect(str(database), read_only=True) as con:
        for raw, staging in STAGING_OF_RAW.items():
            assert con.sql(f"select count(*) from raw.{raw}").fetchone() == con.sql(f"select count(*) from staging.{staging}").fetchone(), staging
        assert con.sql("select count(*) from intermediate.int_person_records where date_of_birth is null").fetchone()[0] == 0
        sources = dict(con.sql("select source, count(*) from intermediate.int_person_records group by 1").fetchall())
        assert set(sources) == {"census_2021", "school_census", "cin_census", "ssd", "ssda903", "hes_apc", "ecds", "youth_justice", "cnis"}
        # CIN children take their names and addresses from the LA's case-management extract (SSD).
        cin = con.sql(
            "select count(*), count(first_name), count(last_name), count(address_text), count(postcode) "
            "from intermediate.int_person_records where source = 'cin_census'"
        ).fetchone()
        assert cin[0] > 100 and min(cin[1:3]) > 0.97 * cin[0] and cin[3] > 0.97 * cin[0] and cin[4] > 0.9 * cin[0], cin


def test_harmonised_ethnicity_and_sex_agree_with_the_truth(warehouse) -> None:
    database, truth = warehouse
    with duckdb.connect(str(database), read_only=True) as con:
        records = con.sql("select source_file, row_number, ethnicity_19, ethnicity_broad, sex from intermediate.int_person_records").pl()
    truth_records = pl.read_parquet(truth / "record_person.parquet").select(pl.col("file").alias("source_file"), pl.col("row").alias("row_number"), "person_id")
    persons = pl.read_parquet(truth / "persons.parquet").select("person_id", "ethnic_group_19", pl.col("sex").alias("true_sex"))
    joined = records.join(truth_records, on=["source_file", "row_number"]).join(persons, on="person_id")
    assert joined.height == records.height
    # A source that recorded the wrong group or sex (a logged fault) is not harmonisation's error.
    faults = pl.read_parquet(truth / "faults.parquet").select(pl.col("file").alias("source_file"), pl.col("row").alias("row_number"), "fault")
    misrecorded = faults.filter(pl.col("fault").is_in(["ethnicity_variant", "sex_wrong", "sex_unknown"]))
    assert misrecorded.height > 0
    joined = joined.join(misrecorded, on=["source_file", "row_number"], how="anti")
    carried = joined.filter(pl.col("ethnicity_broad").is_not_null()).with_columns(
        pl.when(pl.col("ethnicity_19").is_not_null())
        .then(pl.col("ethnicity_19") == pl.col("ethnic_group_19"))
        .otherwise(pl.col("ethnicity_broad") == pl.col("ethnic_group_19").replace_strict(BROAD_OF_CENSUS_19))
        .alias("agrees")
    )
    per_person = carried.group_by("person_id").agg(pl.col("agrees").all())
    assert per_person.height > 1000
    assert per_person["agrees"].mean() >= 0.99
    sex = joined.with_columns((pl.col("sex") == pl.col("true_sex").replace_strict({"M": "male", "F": "female"})).alias("agrees"))
    assert sex["agrees"].mean() >= 0.99


def test_service_episodes_and_periods_in_care_are_consistent(warehouse) -> None:
    database, _ = warehouse
    with duckdb.connect(str(database), read_only=True) as con:
        services = dict(con.sql("select service, count(*) from intermediate.int_service_episodes group by 1").fetchall())
        assert services.keys() == {"child_in_need", "child_protection", "looked_after"}
        # An episode repeated across years' returns is counted once.
        repeats = con.sql("select count(*) - count(distinct la_code || la_child_id || referral_date) from staging.stg_cin_census__episodes").fetchone()[0]
        distinct = con.sql("select count(distinct la_code || la_child_id || referral_date) from staging.stg_cin_census__episodes").fetchone()[0]
        assert repeats > 0 and services["child_in_need"] == distinct
        periods = con.sql("select count(*) from intermediate.int_looked_after_periods").fetchone()[0]
        starts = con.sql(
            "select count(distinct la_code || la_child_id || episode_start_date) from staging.stg_ssda903__episodes where reason_new_episode_code = 'S'"
        ).fetchone()[0]
        assert periods >= starts > 0
