"""Direct identifiers stay in the restricted schemas.

Raw extracts, the quarantine, staging, intermediate models and the linkage working tables
(`address_matches` keeps the address text it matched) hold names, dates of birth, addresses and
NHS numbers: they are restricted to the platform team. Everything built for analysts is keyed on
pseudonymous person, household, family and property keys only, and this module says which columns
would break that.
"""

from __future__ import annotations

import re

import duckdb

RESTRICTED_SCHEMAS = ("raw", "quarantine", "staging", "intermediate", "linkage")
# Column names that carry a direct identifier, in any source's spelling.
DIRECT_IDENTIFIER = re.compile(
    r"(^|_)(first_?name|last_?name|forename|surname|full_?name|date_of_birth|dob|address|address_text|"
    r"address_line_\d|saon|paon|sao_text|pao_text|street|postcode|nhs_number|upn|la_child_id|child_id)$",
    re.IGNORECASE,
)


def direct_identifier_columns(con: duckdb.DuckDBPyConnection, tables: list[str]) -> list[str]:
    """`schema.table.column` for every column of `tables` ("schema.table") named like a direct identifier."""
    found = []
    for qualified in tables:
        schema, table = qualified.split(".")
        columns = con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
        if not columns:
            raise ValueError(f"{qualified}: no such table")
        found += [f"{qualified}.{name}" for (name,) in columns if DIRECT_IDENTIFIER.search(name)]
    return found
