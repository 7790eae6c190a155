"""The school census field map: the split into NPD tables keeps every column written today, and the README documents it.

The map is the plan for the split of the one termly file into pupil on roll, attendance, exclusions and SEN;
these tests keep it honest against the raw rules in force and the README until the split lands.
"""

from collections import Counter
from pathlib import Path

import code_lists as codes
from validations.raw_schemas import RAW_TABLES

SPLIT_FILES = {"pupil_on_roll", "attendance", "exclusions", "sen"}
README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_column_written_today_has_exactly_one_place_in_the_split():
    replaced = Counter(f.written_as_today for f in codes.SCHOOL_CENSUS_FIELDS if f.written_as_today)
    assert set(replaced) == set(RAW_TABLES["school_census"].column_names)
    assert set(replaced.values()) == {1}


def test_fields_name_a_split_file_a_known_source_and_are_unique_within_their_file():
    assert {f.file for f in codes.SCHOOL_CENSUS_FIELDS} == SPLIT_FILES
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
