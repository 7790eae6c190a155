"""The school census field map: the four files carry exactly the NPD names it lists, every column of the former
one-file extract has one place in them, and the README documents each field with its source."""

from collections import Counter
from pathlib import Path

import code_lists as codes
from validations.raw_schemas import RAW_TABLES

RAW_TABLE_OF = {
    "pupil_on_roll": "school_census",
    "attendance": "school_census_attendance",
    "exclusions": "school_census_exclusions",
    "sen": "school_census_sen",
}
# Every file beside the pupil-on-roll file repeats its pupil's key.
PUPIL_KEY = {"LA", "Estab", "PupilMatchingRef", "UPN"}
# The columns of the one file written before the split (all of them kept, under the NPD names).
FORMER_COLUMNS = {
    *("LA", "ESTAB", "UPN", "SURNAME", "FORENAME", "DOB", "SEX", "ETHNICITY", "NC_YEAR", "FSM_ELIGIBLE"),
    *("SEN_PROVISION", "SEN_PRIMARY_NEED", "SESSIONS_POSSIBLE", "SESSIONS_MISSED", "SUSPENSIONS", "PERMANENT_EXCLUSION"),
    *("SAON", "PAON", "STREET", "LOCALITY", "TOWN", "POSTCODE"),
}
README = Path(__file__).resolve().parents[1] / "README.md"


def test_each_raw_table_has_exactly_the_fields_the_map_gives_its_file():
    for file, table in RAW_TABLE_OF.items():
        mapped = {f.npd for f in codes.SCHOOL_CENSUS_FIELDS if f.file == file}
        key = set() if file == "pupil_on_roll" else PUPIL_KEY
        assert set(RAW_TABLES[table].column_names) == mapped | key, file


def test_every_former_column_has_exactly_one_place():
    replaced = Counter(column for f in codes.SCHOOL_CENSUS_FIELDS for column in f.replaces)
    assert set(replaced) == FORMER_COLUMNS
    assert set(replaced.values()) == {1}


def test_fields_name_a_known_source_and_are_unique_within_their_file():
    assert {f.source for f in codes.SCHOOL_CENSUS_FIELDS} <= set(codes.SCHOOL_CENSUS_SOURCES)
    names = Counter((f.file, f.npd.lower()) for f in codes.SCHOOL_CENSUS_FIELDS)
    assert [name for name, n in names.items() if n > 1] == []


def test_readme_table_lists_every_field_with_its_file_and_source():
    text = README.read_text(encoding="utf-8")
    rows = {
        tuple(cell.strip().strip("`") for cell in line.strip("|").split("|")[:2])
        for line in text.splitlines()
        if line.startswith("| ") and line.count("|") >= 6
    }
    missing = [(f.file, f.npd) for f in codes.SCHOOL_CENSUS_FIELDS if (f.file, f.npd) not in rows]
    assert missing == []
