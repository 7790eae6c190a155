"""The synthetic world: deterministic, valid identifiers, source code lists, logged faults, complete truth."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import xmlschema

import code_lists as codes
from code_lists import expenditure as s251_codes
from code_lists import ssda903 as s903
from code_lists.identifiers import is_valid_nhs_number, is_valid_upn
from synthetic_population.config import FaultRates, WorldConfig
from synthetic_population.geography import real_postcodes
from synthetic_population.world import generate_world

SMALL = WorldConfig(persons=4000, seed=7)
DMY = "%d/%m/%Y"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("world")
    generate_world(SMALL, root / "landing", root / "truth", root / "malformed")
    return root


# The pupil-on-roll files (school_census_<year>_<term>.csv), not the attendance, exclusions and SEN files beside them.
PUPILS = "school_census/*/school_census_????_??????.csv"
# Duplicated rows are logged against the pupil-on-roll table; the SEN file repeats each duplicated pupil.
DUPLICATED_AS = {"school_census_sen": "school_census"}


def read(world: Path, pattern: str) -> pl.DataFrame:
    files = sorted((world / "landing").glob(pattern))
    assert files, pattern
    return pl.concat([pl.read_csv(f, infer_schema=False).with_columns(pl.lit(str(f.relative_to(world / "landing"))).alias("_file")) for f in files])


def faults(world: Path) -> pl.DataFrame:
    return pl.read_parquet(world / "truth" / "faults.parquet")


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_writes_identical_files_and_another_seed_does_not(world: Path, tmp_path: Path) -> None:
    """The same seed gives the same files in another process too, whose string hashing (and so the
    order of any set) differs: `hearth generate` with a fixed PYTHONHASHSEED against this process's random one."""
    same = [
        "hearth",
        "generate",
        "--persons",
        str(SMALL.persons),
        "--seed",
        str(SMALL.seed),
        "--out",
        str(tmp_path / "a" / "landing"),
        "--truth",
        str(tmp_path / "a" / "truth"),
    ]
    subprocess.run(same, env={**os.environ, "PYTHONHASHSEED": "0"}, check=True, capture_output=True)
    assert digests(tmp_path / "a" / "landing") == digests(world / "landing")
    assert digests(tmp_path / "a" / "truth") == digests(world / "truth")
    generate_world(SMALL.model_copy(update={"seed": 8}), tmp_path / "b" / "landing", tmp_path / "b" / "truth")
    assert digests(tmp_path / "b" / "landing") != digests(world / "landing")


def test_every_source_is_written_for_every_year(world: Path) -> None:
    landing = world / "landing"
    for source in ("school_census", "cin_census", "ssda903", "hes_apc", "ecds", "s251", "csww"):
        assert sorted(p.name for p in (landing / source).iterdir()) == [str(y) for y in SMALL.years]
    assert (landing / "census_2021" / "2021" / "census2021_persons.csv").exists()
    assert (landing / "gazetteer" / "2023" / "gazetteer_2023.csv").exists()
    # Each termly return is four files: pupil on roll, attendance, exclusions and SEN.
    assert len(list((landing / "school_census" / "2021").glob(PUPILS.split("/")[-1]))) == 3
    for part in ("attendance", "exclusions", "sen"):
        assert len(list((landing / "school_census" / "2021").glob(f"*_{part}.csv"))) == 3


# Small worlds in which a source has nothing to write, each of which once stopped its writer: no child on the
# not-in-school register; no youth offence and no special guardianship order in the year; every foster carer at
# the postcode of the home or the placement a child moves from.
TINY_WORLDS = [
    WorldConfig(persons=300, seed=2),
    WorldConfig(persons=200, seed=2, first_year=2021, last_year=2021),
    WorldConfig(persons=200, seed=5),
]
# An LA makes an SSDA903 or CIN census return only for a year it has a child in (the DfE validator refuses a return
# of empty tables), so a small world may have neither in a year; a return it does make is whole.
RETURNS_ONLY_WITH_A_CHILD = ("ssda903", "cin_census")


@pytest.mark.integration  # three small worlds generated: about 10 s
@pytest.mark.parametrize("config", TINY_WORLDS, ids=lambda c: f"{c.persons}-persons-seed-{c.seed}-{c.first_year}-{c.last_year}")
def test_tiny_worlds_generate(config: WorldConfig, tmp_path: Path) -> None:
    """A world too small for some sources to hold a record still writes every source's files (header-only where
    empty): each of its file kinds in `<source>/<year>/` for every year, or once for a one-off extract."""
    from ingestion.registry import SOURCES

    landing = tmp_path / "landing"
    generate_world(config, landing, tmp_path / "truth")
    years = [str(year) for year in config.years]
    for source in SOURCES:
        folder = landing / source.name
        if not source.collected_every_year:
            folders = [folder]
        elif source.name in RETURNS_ONLY_WITH_A_CHILD:
            folders = sorted(folder.iterdir()) if folder.is_dir() else []
            assert {p.name for p in folders} <= set(years), source.name
        else:
            assert sorted(p.name for p in folder.iterdir()) == years, source.name
            folders = [folder / year for year in years]
        for each in folders:
            kinds = {source.kind_of(p.name) for p in each.rglob("*") if p.is_file()}
            missing = [kind.pattern for kind in source.files if kind not in kinds]
            assert not missing, f"{each.relative_to(landing)} holds no {', '.join(missing)}"


def _year_and_term(file: str) -> tuple[int, str]:
    year, term = re.search(r"school_census_(\d{4})_([a-z]+)", file).groups()
    return int(year), term


def _census_day(file: str) -> date:
    year, term = _year_and_term(file)
    month, day = next((m, d) for t, m, d in codes.SCHOOL_TERMS if t == term)
    return date(year, month, day)


# The first day an exclusion in each term's return may start: the previous census day of the academic year, or 1 September.
PERIOD_START = {"spring": (-1, 10, 5), "summer": (0, 1, 19), "autumn": (0, 9, 1)}


def _period_start(file: str) -> date:
    year, term = _year_and_term(file)
    years_back, month, day = PERIOD_START[term]
    return date(year + years_back, month, day)


def test_exclusions_are_one_row_each_in_the_period_their_return_covers(world: Path) -> None:
    """One row per exclusion, as the NPD holds them, each keyed to a pupil of its own return and registered as a
    record of its own: suspensions with their sessions, at most one permanent exclusion, the pupil's last and
    without sessions, each on a school day since the previous census day of the academic year."""
    exclusions = read(world, "school_census/*/*_exclusions.csv").with_columns(
        pl.col("_file").str.replace("_exclusions.csv", ".csv", literal=True).alias("return")
    )
    pupils = read(world, PUPILS).select(pl.col("_file").alias("return"), "PupilMatchingRef", pl.col("UPN").alias("pupil_upn"))
    joined = exclusions.join(pupils, on=["return", "PupilMatchingRef"], how="left", validate="m:1")
    assert (joined["pupil_upn"].fill_null("-") == joined["UPN"].fill_null("-")).all() and joined.height > 50
    assert set(joined["Category"]) == {"FIXD", "PERM"}
    assert (joined["Sessions"].is_null() == (joined["Category"] == "PERM")).all()
    assert joined["Sessions"].drop_nulls().cast(pl.Int64).is_between(1, 20).all()

    start = joined["StartDate"].str.strptime(pl.Date, DMY)
    census_day = pl.Series([_census_day(f) for f in joined["return"]])
    academic_start = census_day.dt.year() - (census_day.dt.month() < 9)
    assert (start < census_day).all() and (start.dt.weekday() <= 5).all()
    assert (start >= pl.Series([_period_start(f) for f in joined["return"]])).all()
    per_pupil = joined.with_columns(start.alias("start")).group_by("return", "PupilMatchingRef")
    assert per_pupil.agg(pl.col("start").n_unique() == pl.len())["start"].all()
    assert per_pupil.agg(((pl.col("Category") == "PERM") & (pl.col("start") < pl.col("start").max())).any())["Category"].not_().all()
    revised = academic_start >= codes.SCHOOL_CENSUS_EXCLUSION_REASONS_REVISED
    assert joined.filter(revised)["Reason"].is_in(codes.codes_of(codes.SCHOOL_CENSUS_EXCLUSION_REASON_FROM_2020)).all()
    assert joined.filter(~revised)["Reason"].is_in(codes.codes_of(codes.SCHOOL_CENSUS_EXCLUSION_REASON_UNTIL_2020)).all()

    records = pl.read_parquet(world / "truth" / "record_person.parquet")
    own = records.filter(pl.col("table") == "school_census_exclusions")
    assert own.height == exclusions.height and own["rid"].n_unique() == own.height
    assert not own["rid"].is_in(records.filter(pl.col("table") != "school_census_exclusions")["rid"].implode()).any()


def test_absence_is_split_into_authorised_and_unauthorised_as_published(world: Path) -> None:
    """Overall absence is authorised plus unauthorised; about three quarters is authorised (DfE pupil absence
    statistics), less of a persistent absentee's."""
    columns = ("SessionsPossible", "AuthorisedAbsence", "UnauthorisedAbsence", "OverallAbsence")
    attendance = read(world, "school_census/*/*_attendance.csv").select(pl.col(c).cast(pl.Int64) for c in columns)
    assert (attendance["OverallAbsence"] == attendance["AuthorisedAbsence"] + attendance["UnauthorisedAbsence"]).all()
    persistent = attendance["OverallAbsence"] >= 0.1 * attendance["SessionsPossible"]

    def authorised_share(rows: pl.DataFrame) -> float:
        return rows["AuthorisedAbsence"].sum() / rows["OverallAbsence"].sum()

    assert 0.68 <= authorised_share(attendance) <= 0.8
    assert authorised_share(attendance.filter(persistent)) < authorised_share(attendance.filter(~persistent)) - 0.05


def test_nhs_numbers_and_upns_are_valid_where_present(world: Path) -> None:
    hes = read(world, "hes_apc/*/*.csv")
    nhs = hes["NEWNHSNO"].fill_null("").to_numpy()
    present = nhs != ""
    assert present.sum() > 0.95 * len(nhs)
    # An invalid number or UPN is a logged one-digit typo whose check was not recomputed, and no more than those.
    typos = faults(world).filter(pl.col("fault").is_in(["nhs_number_typo", "upn_typo"]))
    invalid_nhs = set(nhs[present][~is_valid_nhs_number(nhs[present])])
    assert invalid_nhs <= set(typos.filter(pl.col("table") == "hes_apc")["recorded_value"])
    for pattern, table in ((PUPILS, "school_census"), ("ssda903/*/*_header.csv", "ssda903_header")):
        # The 903 header holds a UN1-UN5 reason in place of a UPN the child has none of.
        upn = read(world, pattern)["UPN"].fill_null("").to_numpy()
        upn = upn[(upn != "") & ~np.isin(upn, codes.codes_of(s903.UPN_UNKNOWN))]
        invalid_upn = set(upn[~is_valid_upn(upn)])
        assert invalid_upn <= set(typos.filter(pl.col("table") == table)["recorded_value"])
    # Blanks are exactly the logged missing-identifier faults, and the duplicated copies of those rows.
    log = faults(world).filter(pl.col("table") == "hes_apc")
    blanked = set(log.filter(pl.col("fault") == "missing_nhs_number")["rid"].to_list())
    copies = log.filter(pl.col("fault") == "duplicate_row").filter(pl.col("true_value").cast(pl.Int64).is_in(list(blanked))).height
    assert len(blanked) + copies == (~present).sum()


CODED_FIELDS = [
    (PUPILS, "school_census", "EthnicGroupMinor", "ethnicity", set(codes.codes_of(codes.DFE_ETHNICITY)) | set(codes.DFE_ETHNICITY_EXTENDED)),
    ("school_census/*/*_sen.csv", "school_census_sen", "SENprovision", "sen_provision", set(codes.codes_of(codes.SEN_PROVISION))),
    ("ssda903/*/*_episodes.csv", "ssda903_episodes", "LS", "ls", set(codes.codes_of(codes.LEGAL_STATUS))),
    ("ssda903/*/*_episodes.csv", "ssda903_episodes", "PLACE", "place", set(codes.codes_of(codes.PLACEMENT_TYPE))),
    ("ssda903/*/*_header.csv", "ssda903_header", "ETHNIC", "ethnic", set(codes.codes_of(codes.DFE_ETHNICITY))),
    ("hes_apc/*/*.csv", "hes_apc", "ETHNOS", "ethnos", set(codes.codes_of(codes.HES_ETHNIC_CATEGORY))),
    ("ecds/*/*.csv", "ecds", "Ethnic_Category", "ethnic_category", set(codes.codes_of(codes.HES_ETHNIC_CATEGORY))),
    ("census_2021/*/census2021_persons.csv", "census_2021_persons", "ETHNIC_GROUP", "ethnic_group", set(codes.codes_of(codes.CENSUS_ETHNIC_GROUP_19))),
]


@pytest.mark.parametrize(("pattern", "table", "column", "field", "valid"), CODED_FIELDS)
def test_codes_come_from_the_source_code_list_except_logged_faults(world: Path, pattern, table, column, field, valid) -> None:
    frame = read(world, pattern)
    outside = frame.filter(~pl.col(column).is_in(list(valid)))
    logged = faults(world).filter((pl.col("table") == table) & (pl.col("field") == field) & (pl.col("fault") == "out_of_list_code"))
    dup_rows = faults(world).filter((pl.col("table") == DUPLICATED_AS.get(table, table)) & (pl.col("fault") == "duplicate_row"))
    # A duplicated faulty row repeats the fault, so compare the distinct (file, row) sets allowing for copies.
    assert outside.height >= logged.height
    assert outside.height <= logged.height + dup_rows.height
    assert set(outside[column].to_list()) <= {"XXXX", "ZZ", "99X", "UNK?", "N/A"}


def test_sources_keep_their_own_sex_codes_and_date_formats(world: Path) -> None:
    assert set(read(world, PUPILS)["Gender"]) == {"M", "F"}
    assert set(read(world, "census_2021/*/census2021_persons.csv")["SEX"]) == {"1", "2"}
    assert set(read(world, "youth_justice/*/*.csv")["SEX"]) <= {"Male", "Female"}
    assert read(world, "ssda903/*/*_header.csv")["DOB"].str.contains(r"^\d{2}/\d{2}/\d{4}$").all()
    assert read(world, "hes_apc/*/*.csv")["ADMIDATE"].str.contains(r"^\d{8}$").all()
    assert read(world, "census_2021/*/census2021_persons.csv")["DATE_OF_BIRTH"].str.contains(r"^\d{4}-\d{2}-\d{2}$").all()
    assert read(world, "youth_justice/*/*.csv")["DOB"].str.contains(r"^\d{2}-[A-Z][a-z]{2}-\d{4}$").all()


def test_cin_xml_parses_with_the_dfe_structure_and_every_child_has_a_true_person(world: Path) -> None:
    truth = pl.read_parquet(world / "truth" / "record_person.parquet")
    files = sorted((world / "landing" / "cin_census").rglob("*.xml"))
    assert files
    for path in files:
        root = ET.parse(path).getroot()
        assert root.tag == "Message"
        children = root.findall("./Children/Child")
        assert children
        for child in children:
            assert child.find("ChildIdentifiers/LAchildID").text
            assert child.find("ChildCharacteristics/Ethnicity") is not None
            details = child.findall("CINdetails")
            assert details and all(d.find("CINreferralDate").text for d in details)
        rel = str(path.relative_to(world / "landing"))
        assert truth.filter(pl.col("file") == rel).height == len(children)


CIN_SCHEMAS = Path(__file__).parents[1] / "validations" / "schemas" / "cin"
# The CIN elements that a logged fault may legitimately make invalid: element -> (logged field, fault).
# Names and addresses are not in the census; UPN blanks and DOB swaps leave the return valid.
CIN_FAULTED_ELEMENTS = {"Ethnicity": ("ethnicity", "out_of_list_code")}


def cin_schema_errors(root: Path) -> tuple[set, set, dict[int, int]]:
    """(errors found, errors the fault log explains, errors per year) of every CIN return under
    `root` against its year's DfE XSD; an error is (file, child's row, element)."""
    log = faults(root).filter(pl.col("table") == "cin_children")
    records = pl.read_parquet(root / "truth" / "record_person.parquet").filter(pl.col("table") == "cin_children")
    copies = log.filter(pl.col("fault") == "duplicate_row").select(pl.col("rid"), pl.col("true_value").cast(pl.Int64).alias("original"))
    explained = set()
    for element, (field, fault) in CIN_FAULTED_ELEMENTS.items():
        faulty = log.filter((pl.col("field") == field) & (pl.col("fault") == fault))["rid"]
        rids = pl.concat([faulty, copies.filter(pl.col("original").is_in(faulty.implode()))["rid"]])
        rows = records.filter(pl.col("rid").is_in(rids.implode()))
        explained |= {(file, row, element) for file, row in rows.select("file", "row").iter_rows()}
    found, per_year = set(), {}
    for path in sorted((root / "landing" / "cin_census").rglob("*.xml")):
        year = int(path.parent.name)
        schema = xmlschema.XMLSchema(CIN_SCHEMAS / f"CIN_schema_{year}.xsd")
        rel = str(path.relative_to(root / "landing"))
        for error in schema.iter_errors(str(path)):
            per_year[year] = per_year.get(year, 0) + 1
            child = re.search(r"/Child\[(\d+)\]", error.path or "")
            found.add((rel, int(child.group(1)) if child else 0, error.elem.tag if error.elem is not None else error.path))
    return found, explained, per_year


def test_every_cin_return_is_valid_against_its_years_dfe_schema_except_logged_faults(world: Path, tmp_path: Path) -> None:
    """Each year's return against that year's DfE XSD: the only errors are on the elements a logged
    fault changed (an out-of-list code), in exactly the children the fault log names, copies included.
    A second world with many out-of-list codes shows the exclusion is no wider than the faults."""
    found, explained, per_year = cin_schema_errors(world)
    assert found == explained, (per_year, sorted(found - explained)[:10], sorted(explained - found)[:10])
    faulty = tmp_path / "faulty"
    generate_world(WorldConfig(persons=2000, seed=11, faults=FaultRates(out_of_list_code=0.2)), faulty / "landing", faulty / "truth")
    found, explained, per_year = cin_schema_errors(faulty)
    assert found == explained, (per_year, sorted(found - explained)[:10], sorted(explained - found)[:10])
    assert len(explained) > 10 and sum(per_year.values()) == len(found)


def test_ground_truth_covers_every_record_of_every_csv(world: Path) -> None:
    truth = pl.read_parquet(world / "truth" / "record_person.parquet")
    persons = pl.read_parquet(world / "truth" / "persons.parquet")
    for path in sorted((world / "landing").rglob("*.csv")):
        # Tables of properties, households and LAs (the s251 outturn) hold no person's record.
        if path.parts[-3] in ("gazetteer", "s251") or path.name == "census2021_households.csv":
            continue
        if path.name.endswith("_professionals.csv"):  # the LA's workers: truth/worker_records.parquet names them
            continue
        rel = str(path.relative_to(world / "landing"))
        rows = pl.read_csv(path, infer_schema=False).height
        mapped = truth.filter(pl.col("file") == rel)
        assert sorted(mapped["row"].to_list()) == list(range(1, rows + 1)), rel
    assert truth["person_id"].is_in(persons["person_id"].implode()).all()


def test_fault_log_matches_what_the_files_say(world: Path) -> None:
    log = faults(world).filter((pl.col("table") == "school_census") & (pl.col("field") == "first_name"))
    log = log.group_by("file", "row").agg(pl.col("recorded_value").last())
    school = read(world, PUPILS).with_columns((pl.int_range(pl.len()).over("_file") + 1).alias("row"))
    joined = log.join(school, left_on=["file", "row"], right_on=["_file", "row"])
    assert joined.height == log.height > 0
    assert (joined["recorded_value"] == joined["Forename"]).all()


# Where each logged field lands in its file, and the file's date format (the log records dates in ISO).
NAMES = {"first_name": "FORENAME", "last_name": "SURNAME"}
FAULT_COLUMNS = {
    "school_census": (
        {
            "first_name": "Forename",
            "last_name": "Surname",
            "dob": "DOB",
            "ethnicity": "EthnicGroupMinor",
            "upn": "UPN",
            "street": "STREET",
            "postcode": "POSTCODE",
        },
        DMY,
    ),
    "school_census_sen": ({"sen_provision": "SENprovision"}, None),
    "hes_apc": ({**NAMES, "dob": "DOB", "nhs_number": "NEWNHSNO", "ethnos": "ETHNOS", "homeadd": "HOMEADD", "postcode": "POSTCODE"}, "%Y%m%d"),
    "ecds": (
        {
            "first_name": "Person_Given_Name",
            "last_name": "Person_Family_Name",
            "dob": "Person_Birth_Date",
            "nhs_number": "NHS_Number",
            "ethnic_category": "Ethnic_Category",
            "address": "Patient_Usual_Address",
            "postcode": "Postcode_Of_Usual_Address",
            "arrival_mode": "EC_Arrival_Mode_SNOMED_CT",
            "chief_complaint": "EC_Chief_Complaint_SNOMED_CT",
            "discharge_destination": "Discharge_Destination_SNOMED_CT",
            "departure_date": "EC_Departure_Date",
        },
        "%Y-%m-%d",
    ),
    "youth_justice": ({**NAMES, "dob": "DOB", "ethnicity": "ETHNICITY", "address": "ADDRESS", "postcode": "POSTCODE"}, "%d-%b-%Y"),
    "census_2021_persons": ({**NAMES, "dob": "DATE_OF_BIRTH", "ethnic_group": "ETHNIC_GROUP"}, "%Y-%m-%d"),
    "census_2021_households": ({"address_line_1": "ADDRESS_LINE_1", "postcode": "POSTCODE"}, None),
    "ssda903_header": ({"dob": "DOB", "ethnic": "ETHNIC", "upn": "UPN"}, DMY),
    "ssda903_episodes": ({"CHILD": "CHILD", "ls": "LS", "place": "PLACE", "postcode": "HOME_POST"}, DMY),
    "cnis_register": (
        {
            "first_name": "Forename",
            "last_name": "Surname",
            "dob": "DOB",
            "upn": "UPN",
            "address": "AddressLine1",
            "postcode": "Postcode",
            "reason": "Reason",
            "date_off": "DateOffRegister",
        },
        DMY,
    ),
    "s251": ({c: c for c in ("category_of_expenditure", "total_expenditure", *s251_codes.PROVISION_COLUMNS)}, None),
}
# Names and addresses of CIN children are in the case-management (SSD) extract, checked below.
CIN_FAULT_ELEMENTS = {"upn": "ChildIdentifiers/UPN", "dob": "ChildIdentifiers/PersonBirthDate", "ethnicity": "ChildCharacteristics/Ethnicity"}


def _logged_values(world: Path, table: str, fields: dict[str, str]) -> pl.DataFrame:
    """The last value logged per (file, row, field): a nickname and then a typo land on the same field."""
    log = faults(world).filter((pl.col("table") == table) & pl.col("field").is_in(list(fields)) & (pl.col("fault") != "stale_address"))
    return log.group_by("file", "row", "field", maintain_order=True).agg(pl.col("recorded_value").last())


def _cells(world: Path, file: str, fields: dict[str, str], dob_format: str | None) -> pl.DataFrame:
    """A CSV extract as (file, row, column, value), dates of birth in ISO as the log records them."""
    frame = pl.read_csv(world / "landing" / file, infer_schema=False).with_row_index("row", offset=1)
    if "dob" in fields:
        frame = frame.with_columns(pl.col(fields["dob"]).str.strptime(pl.Date, dob_format).cast(pl.Utf8))
    frame = frame.select(pl.lit(file).alias("file"), pl.col("row").cast(pl.Int64), *fields.values())
    return frame.unpivot(index=["file", "row"], variable_name="column", value_name="in_file")


def test_each_logged_fault_names_the_one_file_and_row_that_holds_its_recorded_value(world: Path) -> None:
    log = faults(world)
    # One row per fault: a per-year table's record id no longer repeats in every year's file.
    assert log.filter(pl.col("file").is_null() | pl.col("row").is_null()).height == 0
    assert log.select("table", "rid", "field", "fault").is_duplicated().sum() == 0
    checked = set()
    for table, (fields, dob_format) in FAULT_COLUMNS.items():
        logged = _logged_values(world, table, fields)
        if logged.is_empty():
            continue
        written = pl.concat([_cells(world, file, fields, dob_format) for file in logged["file"].unique().sort()])
        joined = logged.with_columns(pl.col("field").replace_strict(fields).alias("column")).join(written, on=["file", "row", "column"], how="left")
        assert joined.height == logged.height > 0, table
        wrong = joined.filter(pl.col("in_file").fill_null("") != pl.col("recorded_value"))
        assert wrong.is_empty(), (table, wrong.head(5).to_dicts())
        checked.add(table)
    # Per-year and termly files among them: the tables whose record ids used to restart with each file's year.
    # (The small 903 returns of this world may carry no fault; those of larger worlds are checked the same way.)
    assert {"school_census", "school_census_sen", "hes_apc", "ecds", "census_2021_persons", "s251"} <= checked

    logged = _logged_values(world, "cin_children", CIN_FAULT_ELEMENTS)
    assert logged.height > 0
    for (file,), faults_in_file in logged.group_by("file"):
        children = ET.parse(world / "landing" / file).getroot().findall("./Children/Child")
        for fault in faults_in_file.iter_rows(named=True):
            element = children[fault["row"] - 1].find(CIN_FAULT_ELEMENTS[fault["field"]])
            in_file = "" if element is None else (element.text or "")  # a blanked value may be left out
            assert in_file == fault["recorded_value"], (file, fault)


def test_case_management_faults_name_one_row_each_and_match_the_files(world: Path) -> None:
    """Names and addresses of CIN children, and their faults, are in the LA's SSD extract; each
    logged fault names one file and row of it (record ids run on across years)."""
    log = faults(world).filter(pl.col("table").is_in(["ssd_person", "ssd_address", "cin_children"]))
    assert log.group_by("table", "rid", "field", "fault").len()["len"].max() == 1
    assert log.filter(pl.col("table") == "cin_children")["field"].is_in(["upn", "dob", "sex", "ethnicity", "*"]).all()
    for table, pattern, field, column in (
        ("ssd_person", "ssd/*/*_person.csv", "last_name", "pers_surname"),
        ("ssd_address", "ssd/*/*_address.csv", "postcode", "addr_address_postcode"),
    ):
        logged = log.filter((pl.col("table") == table) & (pl.col("field") == field)).group_by("file", "row").agg(pl.col("recorded_value").last())
        rows = read(world, pattern).with_columns((pl.int_range(pl.len()).over("_file") + 1).alias("row"), pl.col(column).fill_null(""))
        joined = logged.join(rows, left_on=["file", "row"], right_on=["_file", "row"])
        assert joined.height == logged.height > 0, table
        assert (joined["recorded_value"] == joined[column]).all(), table


def test_fault_counts_follow_the_configured_rates(tmp_path: Path) -> None:
    rates = FaultRates(
        name_typo=0.1,
        missing_postcode=0.2,
        duplicate_row=0.05,
        nickname=0.0,
        missing_upn=0.15,
        missing_nhs_number=0.1,
        out_of_list_code=0.05,
        dob_day_month_swap=0.2,
        partner_surname=0.0,
        step_parent_surname=1.0,
    )
    generate_world(WorldConfig(persons=3000, seed=3, faults=rates), tmp_path / "landing", tmp_path / "truth")
    log = pl.read_parquet(tmp_path / "truth" / "faults.parquet")
    records = pl.read_parquet(tmp_path / "truth" / "record_person.parquet")
    persons = pl.read_parquet(tmp_path / "truth" / "persons.parquet")

    def originals(table: str) -> pl.DataFrame:
        copies = log.filter((pl.col("table") == table) & (pl.col("fault") == "duplicate_row"))["rid"]
        return records.filter((pl.col("table") == table) & ~pl.col("rid").is_in(copies.implode()))

    # A day-month swap can only happen where the day is 12 or less and differs from the month.
    swappable = persons.filter((pl.col("dob").dt.day() <= 12) & (pl.col("dob").dt.day() != pl.col("dob").dt.month()))["person_id"]
    for table, fault, field, rate, eligible in (
        ("school_census", "name_typo", "last_name", 0.1, None),
        ("school_census", "missing_postcode", "postcode", 0.2, None),
        ("school_census", "missing_upn", "upn", 0.15, None),
        ("school_census", "out_of_list_code", "ethnicity", 0.05, None),
        ("school_census", "dob_day_month_swap", "dob", 0.2, swappable),
        ("hes_apc", "missing_nhs_number", "nhs_number", 0.1, None),
        ("hes_apc", "duplicate_row", "*", 0.05, None),
    ):
        rows = originals(table)
        n = rows.height if eligible is None else rows.filter(pl.col("person_id").is_in(eligible.implode())).height
        count = log.filter((pl.col("table") == table) & (pl.col("fault") == fault) & (pl.col("field") == field)).height
        sigma = np.sqrt(n * rate * (1 - rate))
        assert n > 500 and abs(count - n * rate) < 4 * sigma, (table, fault, count, n * rate)
    assert log.filter(pl.col("fault") == "nickname").height == 0
    assert log.filter(pl.col("fault") == "surname_change_marriage").height == 0
    assert log.filter(pl.col("fault") == "surname_change_step_parent").height > 100  # every child of a re-partnered mother (8 at the default 0.1)


def test_household_spells_are_ordered_and_never_overlap(world: Path) -> None:
    spells = pl.read_parquet(world / "truth" / "household_spells.parquet").sort("person_id", "start_date")
    assert (spells.filter(pl.col("end_date").is_not_null())["end_date"] > spells.filter(pl.col("end_date").is_not_null())["start_date"]).all()
    overlaps = spells.with_columns(pl.col("end_date").shift(1).over("person_id").alias("prev_end")).filter(pl.col("prev_end") > pl.col("start_date"))
    assert overlaps.height == 0
    events = pl.read_parquet(world / "truth" / "life_events.parquet")
    assert {"moved", "separated", "left_home"} <= set(events["event"])


def test_families_include_twins_half_siblings_and_persist(world: Path) -> None:
    rel = pl.read_parquet(world / "truth" / "relationships.parquet")
    kinds = set(rel["relationship"])
    assert {"mother_of", "father_of", "sibling", "half_sibling"} <= kinds
    families = pl.read_parquet(world / "truth" / "families.parquet")
    assert families.filter(pl.col("role") == "child")["person_id"].n_unique() == families.filter(pl.col("role") == "child").height


def test_malformed_files_are_broken_as_the_manifest_says(world: Path) -> None:
    import json

    manifest = json.loads((world / "malformed" / "manifest.json").read_text())
    assert {m["fault"] for m in manifest} == {"missing_column", "renamed_column", "truncated_xml", "wrong_encoding", "empty_file", "unknown_file"}
    by_fault = {m["fault"]: world / "malformed" / m["file"] for m in manifest}
    with pytest.raises(ET.ParseError):
        ET.parse(by_fault["truncated_xml"])
    with pytest.raises(UnicodeDecodeError):
        by_fault["wrong_encoding"].read_bytes().decode("utf-8")
    assert "UPN" not in pl.read_csv(by_fault["missing_column"], infer_schema=False).columns
    assert by_fault["empty_file"].stat().st_size == 0


def test_gazetteer_is_addressbase_like(world: Path) -> None:
    gaz = pl.read_csv(next((world / "landing" / "gazetteer").rglob("*.csv")), infer_schema=False)
    uprn = gaz["UPRN"]
    assert uprn.n_unique() == gaz.height
    assert uprn.str.contains(r"^[1-9][0-9]{0,11}$").all()
    assert gaz["POSTCODE_LOCATOR"].str.contains(r"^[A-Z]{1,2}[0-9]{1,2} [0-9][ABD-HJLNP-UW-Z]{2}$").all()
    assert gaz["LSOA21CD"].str.contains(r"^E01[0-9]{6}$").all()
    assert set(gaz["IMD_DECILE"].cast(int)) <= set(range(1, 11))
    # A postcode never straddles two local authorities.
    assert gaz.group_by("POSTCODE_LOCATOR").agg(pl.col("LOCAL_CUSTODIAN_CODE").n_unique().alias("n"))["n"].max() == 1
    # Flats point at a building (parent shell) that is itself in the gazetteer.
    flats = gaz.filter(pl.col("PARENT_UPRN").fill_null("") != "")
    assert flats.height > 0
    assert set(flats["CLASSIFICATION_CODE"]) == {"RD06"}
    shells = set(gaz.filter(pl.col("CLASSIFICATION_CODE") == "PP")["UPRN"])
    assert set(flats["PARENT_UPRN"]) <= shells
    # Every recorded address of every source is a gazetteer property.
    addresses = pl.read_parquet(world / "truth" / "address_uprn.parquet")
    assert addresses["address_uprn"].cast(pl.Utf8).is_in(uprn.implode()).all()


def test_gazetteer_lies_in_real_las_with_their_real_postcodes(world: Path) -> None:
    """LA numbers are DfE ones (CIN rule 1530 accepts them as UPN LA parts) and every postcode is a real one that
    the DfE validators' reference places in that LA; a postcode unit covers 15-40 properties of one town."""
    gaz = pl.read_csv(next((world / "landing" / "gazetteer").rglob("*.csv")), infer_schema=False)
    assert set(gaz["LOCAL_CUSTODIAN_CODE"]) == {"352", "870", "925"}
    for la in SMALL.local_authorities:
        real = np.concatenate(real_postcodes(la))
        ours = gaz.filter(pl.col("LOCAL_CUSTODIAN_CODE") == str(la.code))["POSTCODE_LOCATOR"]
        assert ours.is_in(pl.Series(real).implode()).all(), la.name
        assert not ours.is_in(
            pl.Series(np.concatenate([np.concatenate(real_postcodes(other)) for other in SMALL.local_authorities if other != la])).implode()
        ).any()
    homes = gaz.filter(pl.col("CLASSIFICATION_CODE") != "PP")
    sizes = homes.group_by("POSTCODE_LOCATOR").agg(pl.len().alias("n"), pl.col("TOWN_NAME").n_unique().alias("towns"))
    assert sizes["towns"].max() == 1
    assert 15 <= sizes["n"].median() <= 40 and sizes["n"].max() <= 40
    # LSOAs are made of whole postcodes.
    assert homes.group_by("POSTCODE_LOCATOR").agg(pl.col("LSOA21CD").n_unique())["LSOA21CD"].max() == 1
    school = pl.read_csv(sorted((world / "landing").glob(PUPILS))[0], infer_schema=False)
    assert set(school.filter(pl.col("UPN").fill_null("") != "")["UPN"].str.slice(1, 3)) == {"352", "870", "925"}


def test_generate_keeps_its_truth_under_its_output_and_replaces_nothing_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from hearth.cli import main
    from ingestion.landing import SYNTHETIC_MARKER, walk_landing

    out = tmp_path / "landing"
    assert main(["generate", "--persons", "500", "--seed", "5", "--years", "2022-2023", "--out", str(out), "--malformed"]) == 0
    assert (out / ".truth" / "persons.parquet").is_file() and (out / ".malformed" / "manifest.json").is_file()
    assert json.loads((out / SYNTHETIC_MARKER).read_text()) == {"synthetic": True, "persons": 500, "seed": 5, "years": [2022, 2023]}
    landed = walk_landing(out)
    assert landed and all(file.problem is None for file in landed)  # the marker, truth and broken files are not extracts
    assert not any(file.relative.startswith(".") for file in landed)

    before = digests(out)
    capsys.readouterr()
    assert main(["generate", "--persons", "500", "--seed", "6", "--out", str(out)]) == 2
    refusal = capsys.readouterr().out
    assert f"{out} and {out / '.truth'} already hold files" in refusal and "pass --force to replace them" in refusal
    assert digests(out) == before, "a refused run changed the world"
    real = tmp_path / "real_landing" / "school_census" / "2023"
    real.mkdir(parents=True)
    (real / "spring.csv").write_text("UPN\n", encoding="utf-8")
    assert main(["generate", "--persons", "500", "--out", str(tmp_path / "real_landing"), "--truth", str(tmp_path / "truth")]) == 2
    assert (real / "spring.csv").read_text(encoding="utf-8") == "UPN\n"
    assert main(["generate", "--persons", "500", "--seed", "6", "--out", str(out), "--force"]) == 0
    assert digests(out) != before
