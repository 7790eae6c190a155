"""Stewards' decisions on quarantined values: which failures of which rules are accepted, by whom, when and why.

A decision accepts one rule's failures on a raw table: those with one offending value (a new local
code), or those of one file or one row (a known-good exception), optionally on one column. It never
accepts a rule outright: that is a change to the rule, made in `validations/raw_schemas.py`.

Decisions are rows of a CSV under version control (`HEARTH_QUARANTINE_DECISIONS`, by default
`ingestion/quarantine_decisions.csv`), as linkage's clerical review keeps its own: only appended to,
the latest decision on a key wins, and withdrawing one is a decision too, so the file is the whole
history. `hearth quarantine release` copies them into `quarantine.release_decisions` and applies
them; ingestion then applies the active ones there to the files it loads.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from validations.raw_checks import RULE_COLUMNS
from validations.raw_schemas import RAW_TABLES, ValidationContext

DECISIONS_ENV = "HEARTH_QUARANTINE_DECISIONS"
DEFAULT_DECISIONS_PATH = Path(__file__).with_name("quarantine_decisions.csv")
DECISIONS_TABLE = "quarantine.release_decisions"
ACCEPT, WITHDRAW = "accept", "withdraw"
# What a decision is about; a blank column, value, file or row stands for any.
DECISION_KEY = ("table_name", "rule", "column_name", "offending_value", "source_file", "row_number")
DECISION_SCHEMA = {
    "table_name": pl.Utf8,
    "rule": pl.Utf8,
    "column_name": pl.Utf8,
    "offending_value": pl.Utf8,
    "source_file": pl.Utf8,
    "row_number": pl.Int64,
    "decision": pl.Utf8,
    "reviewer": pl.Utf8,
    "decided_at": pl.Utf8,
    "reason": pl.Utf8,
}


def decisions_path(explicit: str | Path | None = None) -> Path:
    """The decisions CSV: as given, else HEARTH_QUARANTINE_DECISIONS, else the committed default."""
    return Path(explicit or os.environ.get(DECISIONS_ENV) or DEFAULT_DECISIONS_PATH)


def read_decisions(path: Path) -> pl.DataFrame:
    """Every decision in the CSV, oldest first (none when the file does not exist)."""
    if not path.exists():
        return pl.DataFrame(schema=DECISION_SCHEMA)
    decisions = pl.read_csv(path, schema=DECISION_SCHEMA)
    unknown = decisions.filter(~pl.col("decision").is_in([ACCEPT, WITHDRAW]))
    if not unknown.is_empty():
        raise ValueError(f"{path}: decisions must be {ACCEPT} or {WITHDRAW}; found {unknown['decision'].unique().to_list()}")
    return decisions


def active_decisions(decisions: pl.DataFrame) -> pl.DataFrame:
    """The acceptances in force: each key's latest decision, unless that is a withdrawal."""
    latest = decisions.unique(list(DECISION_KEY), keep="last", maintain_order=True)
    return latest.filter(pl.col("decision") == ACCEPT)


def table_rules(table: str) -> dict[str, set[str | None]]:
    """Every rule the table's schema applies, with the column names its failures carry in quarantine."""
    if table not in RAW_TABLES:
        raise ValueError(f"unknown table {table!r}; raw tables are {', '.join(sorted(RAW_TABLES))}")
    schema = RAW_TABLES[table].schema(ValidationContext())
    rules: dict[str, set[str | None]] = {}
    for name, column in schema.columns.items():
        for check in column.checks:
            rules.setdefault(check.name, set()).add(name)
        if not column.nullable:
            rules.setdefault("not_nullable", set()).add(name)
    for check in schema.checks:
        rules.setdefault(check.name, set()).add(",".join(RULE_COLUMNS.get(check.name, ())) or None)
    return rules


def record_decision(
    path: Path,
    decision: str,
    *,
    table: str,
    rule: str,
    reviewer: str,
    reason: str,
    column: str | None = None,
    value: str | None = None,
    source_file: str | None = None,
    row_number: int | None = None,
) -> pl.DataFrame:
    """Append one decision to the CSV (creating it with its header) after checking what it names; returns the row written."""
    if decision not in (ACCEPT, WITHDRAW):
        raise ValueError(f"decision must be {ACCEPT} or {WITHDRAW}, got {decision!r}")
    rules = table_rules(table)
    if rule not in rules:
        raise ValueError(f"table {table} has no rule {rule!r}; its rules are {', '.join(sorted(rules))}")
    if column is not None and column not in rules[rule]:
        raise ValueError(f"rule {rule!r} of {table} fails on {' or '.join(sorted(c for c in rules[rule] if c)) or 'no column'}, not on {column!r}")
    if value is None and source_file is None:
        raise ValueError("a decision names an offending value or a source file: accepting every failure of a rule is a change to the rule itself")
    if row_number is not None and source_file is None:
        raise ValueError("a decision on a row names its source file too")
    if not reviewer or not reason:
        raise ValueError("a decision says who made it and why (reviewer and reason)")
    key = dict(zip(DECISION_KEY, (table, rule, column, value, source_file, row_number), strict=True))
    existing = read_decisions(path)
    if decision == WITHDRAW and active_decisions(existing).filter(pl.all_horizontal(_equal(name, v) for name, v in key.items())).is_empty():
        raise ValueError(f"no decision in force to withdraw for {_describe(key)} in {path}")
    row = pl.DataFrame(
        [{**key, "decision": decision, "reviewer": reviewer, "decided_at": datetime.now(UTC).isoformat(timespec="seconds"), "reason": reason}],
        schema=DECISION_SCHEMA,
    )
    pl.concat([existing, row]).write_csv(path)
    return row


def _equal(column: str, value) -> pl.Expr:
    return pl.col(column).is_null() if value is None else pl.col(column) == value


def _describe(key: dict) -> str:
    return ", ".join(f"{name} {value!r}" for name, value in key.items() if value is not None)


def accepts(decisions: pl.DataFrame) -> pl.Expr:
    """Whether one of `decisions` accepts a failure: a row shaped like quarantine.rejected_rows."""
    matches = [
        pl.all_horizontal(pl.col(name) == value for name, value in zip(DECISION_KEY, key, strict=True) if value is not None)
        for key in decisions.select(DECISION_KEY).iter_rows()
    ]
    return pl.any_horizontal(matches).fill_null(False) if matches else pl.lit(False)


def accepted_rows(failures: pl.DataFrame, decisions: pl.DataFrame) -> pl.DataFrame:
    """The rows (table_name, source_file, row_number) whose every failure one of `decisions` accepts."""
    rows = failures.group_by("table_name", "source_file", "row_number").agg(accepts(decisions).all().alias("accepted"))
    return rows.filter("accepted").drop("accepted")


def decisions_in_force(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The decisions the last release applied, which ingestion applies to the files it loads."""
    return con.sql(f"select {', '.join(DECISION_KEY)} from {DECISIONS_TABLE} where active").pl()
