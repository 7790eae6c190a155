"""How Hearth opens DuckDB: every connection's database has a memory limit and a folder to spill to,
so a join larger than memory spills to disk instead of taking the machine.

DuckDB's own default is 80% of the machine's memory, and Hearth's Python side (polars frames,
Splink's pandas, the generator's arrays) needs room beside it, so the default limit here is
DEFAULT_MEMORY_SHARE of the machine's memory (of the container's limit where that is lower). Spill
files go beside the warehouse file (`<file>.tmp`), or under the system's temporary folder for a
database in memory. HEARTH_DUCKDB_MEMORY_LIMIT (a DuckDB size, such as `8GiB`) and
HEARTH_DUCKDB_TEMP_DIRECTORY set both for every connection: the pipeline's, dbt's and the gates'.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import duckdb

MEMORY_LIMIT_ENV = "HEARTH_DUCKDB_MEMORY_LIMIT"
TEMP_DIRECTORY_ENV = "HEARTH_DUCKDB_TEMP_DIRECTORY"
DEFAULT_MEMORY_SHARE = 0.4
CGROUP_MEMORY_MAX = Path("/sys/fs/cgroup/memory.max")


def machine_memory_bytes(cgroup_limit: Path = CGROUP_MEMORY_MAX) -> int:
    """The memory this process may use: the machine's, or its container's limit where that is lower."""
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    limit = cgroup_limit.read_text().strip() if cgroup_limit.is_file() else "max"
    return min(physical, int(limit)) if limit.isdigit() else physical


def duckdb_settings(database: str | Path | None = None, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """`memory_limit` and `temp_directory` for the database file `database` (None: in memory)."""
    env = os.environ if environ is None else environ
    memory_limit = env.get(MEMORY_LIMIT_ENV) or f"{int(machine_memory_bytes() * DEFAULT_MEMORY_SHARE) // 2**20}MiB"
    if env.get(TEMP_DIRECTORY_ENV):
        temp_directory = Path(env[TEMP_DIRECTORY_ENV])
    elif database is not None and str(database) != ":memory:":
        temp_directory = Path(f"{Path(database).resolve()}.tmp")
    else:
        temp_directory = Path(tempfile.gettempdir()) / "hearth-duckdb"
    return {"memory_limit": memory_limit, "temp_directory": str(temp_directory)}


def bounded(con: duckdb.DuckDBPyConnection, database: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """Apply the settings to `con`'s database with SET rather than as connect config: DuckDB refuses a
    second connection to one file under another config, and a SET holds for every connection to it."""
    for name, value in duckdb_settings(database).items():
        con.execute(f"set {name} = ?", [value])
    return con


def connect(database: str | Path | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the DuckDB file `database` (None: a database in memory), bounded."""
    return bounded(duckdb.connect(":memory:" if database is None else str(database), read_only=read_only), database)
