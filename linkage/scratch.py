"""Splink and uk-address-matcher keep their working tables (`__splink__*`, `__ukam*`) in the
connection's main schema. On the warehouse connection they would stay in the warehouse after every
run (megabytes at 3,000 persons), and a killed run would leave them under fresh random names; so a
linkage step drops every one of them when it ends, its own and any a killed run left."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

SCRATCH_TABLES_SQL = """
select schema_name, table_name, 'table' from duckdb_tables()
where database_name = current_database() and not temporary and (starts_with(table_name, '__splink__') or starts_with(table_name, '__ukam'))
union all
select schema_name, view_name, 'view' from duckdb_views()
where database_name = current_database() and not temporary and (starts_with(view_name, '__splink__') or starts_with(view_name, '__ukam'))
"""


@contextmanager
def splink_scratch_dropped(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    try:
        yield
    finally:
        for schema, name, kind in con.execute(SCRATCH_TABLES_SQL).fetchall():
            con.execute(f'drop {kind} if exists "{schema}"."{name}"')
