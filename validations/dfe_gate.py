"""The DfE rules as a gate: the DfE's CIN census and SSDA903 validators, run in their own locked
environment (`validations/dfe_rules/`, pandas 1.5), and their hits recorded in
`audit.validation_results` keyed by the DfE rule code, so stewards see the codes the DfE
submission portal shows.

Which codes block is configuration: HEARTH_DFE_BLOCKING_RULES, a comma-separated list of rule
codes. By default only `REFUSED` blocks (a file the validator cannot read at all, which the portal
would not accept either); every other code is reported as a warning.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from code_lists import LOCAL_AUTHORITY_ONS_CODES
from ingestion.bookkeeping import create_bookkeeping_table

DFE_RULES_DIR = Path(__file__).resolve().parent / "dfe_rules"
DFE_PYTHON = DFE_RULES_DIR / ".venv" / "bin" / "python"
DFE_RUNNER = DFE_RULES_DIR / "runner.py"
BLOCKING_RULES_ENV = "HEARTH_DFE_BLOCKING_RULES"
# The runner's pseudo-codes (validations/dfe_rules/runner.py runs in the other environment, so they are named again here).
REFUSED, RULE_FAILED = "REFUSED", "RULE_FAILED"
DEFAULT_BLOCKING_RULES = (REFUSED,)
SOURCE_OF_VALIDATOR = {"dfe_cin": "cin_census", "dfe_903": "ssda903"}
RESULTS_VIEW = "audit.dfe_rule_results"
TOTAL_RULE = "(total)"  # the rule of a run's one row per validator that counts its hits
HIT_DETAIL = ("validator", "rule_message", "la_code", "child_id", "column_name", "row_number")  # the runner's fields kept beside the rule


def blocking_rules(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The DfE rule codes that fail the gate, from HEARTH_DFE_BLOCKING_RULES (e.g. `REFUSED,1530,8500`)."""
    text = (os.environ if environ is None else environ).get(BLOCKING_RULES_ENV)
    if text is None or not text.strip():
        return DEFAULT_BLOCKING_RULES
    return tuple(sorted({code.strip() for code in text.split(",") if code.strip()}))


def runner_command() -> list[str]:
    """The DfE environment's interpreter and the runner; `make sync` installs the environment."""
    if not DFE_PYTHON.exists():
        raise FileNotFoundError(f"The DfE validators' environment is missing ({DFE_PYTHON}): run `make sync`.")
    return [str(DFE_PYTHON), str(DFE_RUNNER)]


def la_ons_codes() -> dict[str, str]:
    """Each LA number's ONS code, as the runner hands them to the SSDA903 validator."""
    return {str(code): ons for code, ons in LOCAL_AUTHORITY_ONS_CODES.items()}


def run_validators(landing: Path, year: int, out: Path) -> list[dict]:
    """Both validators on one collection year's landing files, outside Dagster; one dict per rule hit."""
    command = [*runner_command(), str(landing), str(year), str(out), "--ons-codes", json.dumps(la_ons_codes())]
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"DfE rule runner failed for {year}: {done.stderr[-3000:]}")
    return read_hits(out)


def read_hits(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def record_hits(con: duckdb.DuckDBPyConnection, hits: list[dict], run_id: str, year: int) -> int:
    """Append `hits` to audit.validation_results, one row per hit, and one `(total)` row per validator
    with the run's total (so a clean run is recorded too; `*` is pandera's per-file total); returns the number of hits.

    The view audit.dfe_rule_results shows each validator's latest run per year, as the portal
    shows the latest upload."""
    create_bookkeeping_table(con, "audit.validation_results")
    now = datetime.now(UTC)
    totals = [
        (run_id, now, SOURCE_OF_VALIDATOR[v], year, None, None, TOTAL_RULE, sum(h["validator"] == v for h in hits), v, None, None, None, None, None)
        for v in SOURCE_OF_VALIDATOR
    ]
    rows = [
        (run_id, now, SOURCE_OF_VALIDATOR[h["validator"]], year, h["table_name"], h["source_file"], h["rule_code"], 1, *(h[f] for f in HIT_DETAIL))
        for h in hits
    ]
    con.executemany(
        """insert into audit.validation_results
           (load_run_id, checked_at, source, collection_year, table_name, source_file, rule, failures,
            validator, rule_message, la_code, child_id, column_name, row_number)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        totals + rows,
    )
    con.execute(
        f"""create or replace view {RESULTS_VIEW} as
        with latest as (
            select validator, collection_year, arg_max(load_run_id, checked_at) as load_run_id
            from audit.validation_results where validator in ('dfe_cin', 'dfe_903') group by all
        )
        select results.validator, results.source, results.collection_year, results.la_code, results.rule as rule_code, results.rule_message,
               results.child_id, results.source_file, results.table_name, results.column_name, results.row_number, results.load_run_id, results.checked_at
        from audit.validation_results as results
        inner join latest using (validator, collection_year, load_run_id)
        where results.rule != '{TOTAL_RULE}'"""
    )
    return len(hits)


def counts_by_rule(hits: list[dict]) -> dict[tuple[str, str], int]:
    """(validator, rule code) -> hits, most frequent first."""
    counts: dict[tuple[str, str], int] = {}
    for hit in hits:
        key = (hit["validator"], hit["rule_code"])
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
