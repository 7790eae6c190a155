"""Run the DfE's own validators on one collection year's landing files; one row per rule hit.

Runs in this folder's environment (pandas 1.5, numpy 1.x), never in Hearth's. The CIN census
validator (`cin_validator`) reads each `cin_census/<year>/cin_<la>_<year>.xml`; the SSDA903
validator (`lac_validator`) reads each LA's set of `ssda903/<year>/ssda903_<la>_<year>_*.csv`.

Launched by Dagster (`PipesSubprocessClient`) it takes `landing`, `year`, `results_path` and
`blocking_codes` from the Pipes extras, writes the hits to `results_path` as JSON lines and reports
one asset check per return. Run by hand or by a test: `python runner.py LANDING YEAR OUT.jsonl`.

A file the validator refuses outright is one hit with rule code `REFUSED` and the validator's own
error as the message (the DfE portal would not accept that return either); a rule the validator
could not evaluate on a file is one hit with code `RULE_FAILED`. Nothing here reaches the network:
sockets are disabled before the validators are imported.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import re
import socket
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

REFUSED = "REFUSED"
RULE_FAILED = "RULE_FAILED"  # a rule the validator could not evaluate on the file (its own error as the message)
CIN_CHECK, SSDA903_CHECK = "cin_census_dfe_rules", "ssda903_dfe_rules"
CIN_FILE = re.compile(r"cin_(?P<la>[^_]+)_(?P<year>\d{4})\.xml$")
SSDA903_FILE = re.compile(r"ssda903_(?P<la>[^_]+)_(?P<year>\d{4})_(?P<table>.+)\.csv$")
HIT_FIELDS = ("validator", "rule_code", "rule_message", "la_code", "child_id", "source_file", "table_name", "column_name", "row_number")


def _no_network(*args, **kwargs):
    raise OSError("network use is disabled in the DfE rule runner (all reference data is bundled)")


def disable_network() -> None:
    """Make any connection fail at once (e.g. govuk-bank-holidays' fetch of gov.uk falls back to its bundled copy)."""
    socket.socket.connect = _no_network  # type: ignore[method-assign]
    socket.socket.connect_ex = _no_network  # type: ignore[method-assign]
    socket.create_connection = _no_network  # type: ignore[assignment]


def _ruleset(package: str, prefix: str, year: int):
    """The validator's rules for a collection year (`cin2022_23` for 2023); years before its first ruleset use the first."""
    rules = importlib.import_module(f"{package}.rules")
    available = sorted(p.name for p in Path(rules.__path__[0]).iterdir() if p.is_dir() and p.name.startswith(prefix))
    wanted = f"{prefix}{year - 1}_{str(year)[2:]}"
    name = wanted if wanted in available else min(available) if wanted < min(available) else max(available)
    return importlib.import_module(f"{package}.rules.{name}").registry


def _text(value) -> str | None:
    if value is None:
        return None
    text = str(value)
    return None if text in ("", "nan", "None", "<NA>", "NaT") else text


def _one_based(row_id) -> int | None:
    """The validators number a table's rows from 0; Hearth's audit, like its quarantine, from 1."""
    return int(row_id) + 1 if _text(row_id) else None


def _row(validator, code, message, la, child, file, table=None, column=None, row=None) -> dict:
    return dict(zip(HIT_FIELDS, (validator, str(code), message, la, _text(child), file, table, _text(column), row), strict=True))


def run_cin(path: Path, rel: str, year: int, la: str) -> list[dict]:
    """The CIN validator's hits for one XML file; `row_number` is the 1-based row of the validator's table."""
    from cin_validator import cin_validator

    printed = io.StringIO()
    try:
        root = ET.parse(path).getroot()
        data = cin_validator.process_data(cin_validator.convert_data(root))
        registry = _ruleset("cin_validator", "cin", year)
        with contextlib.redirect_stdout(printed):  # where the validator says which rules could not run
            validator = cin_validator.CinValidator(data, registry)
    except Exception as exc:  # the validator's own failure to read the file is the finding
        return [_row("dfe_cin", REFUSED, f"{type(exc).__name__}: {exc}", la, None, rel)]
    failed = [_row("dfe_cin", RULE_FAILED, line, la, None, rel) for line in printed.getvalue().splitlines() if line.startswith("Error with rule")]
    issues = validator.full_issue_df
    hits = [
        _row("dfe_cin", r.rule_code, r.rule_description, la, r.child_id, rel, r.tables_affected, r.columns_affected, _one_based(r.row_id))
        for r in issues.itertuples()
    ]
    hits += [_row("dfe_cin", r.rule_code, r.rule_description, la, None, rel) for r in validator.multichild_issues.drop_duplicates().itertuples()]
    return hits + failed


def run_903(paths: list[Path], rels: list[str], year: int, la: str, ons_code: str) -> list[dict]:
    """The SSDA903 validator's hits for one LA's tables of one year; `row_number` is the 1-based CSV row.
    The validator takes the LA as its ONS code (`localAuthority`, "long form"), the code its postcode
    reference gives each placement postcode, so rules on placements outside the LA compare like with like."""
    from lac_validator import lac_validator
    from lac_validator.report import Report

    files = [{"name": path.name, "file_content": path.read_bytes(), "description": "This year"} for path in paths]
    joined = ", ".join(rels)
    try:
        registry = _ruleset("lac_validator", "lac", year)
        validator = lac_validator.LacValidator(metadata={"collectionYear": str(year), "localAuthority": ons_code}, files=files, registry=registry)
        report = Report(validator.ds_results, registry)
        issues = lac_validator.create_issue_df(report.report, report.error_report) if report.error_cols else None
    except Exception as exc:
        return [_row("dfe_903", REFUSED, f"{type(exc).__name__}: {exc}", la, None, joined)]
    failed = [_row("dfe_903", RULE_FAILED, f"Rule {code} could not run on this return", la, None, joined) for code in validator.fails]
    if issues is None or issues.empty:
        return failed
    file_of = _903_file_of_table(validator.dfs, paths, rels)
    return failed + [
        _row(
            "dfe_903",
            r.rule_code,
            r.rule_description,
            la,
            r.child_id,
            file_of.get(r.tables_affected, joined),
            r.tables_affected,
            r.columns_affected,
            r.row_id + 1,
        )
        for r in issues.itertuples()
    ]


def _903_file_of_table(dfs: dict, paths: list[Path], rels: list[str]) -> dict[str, str]:
    """Which landing file each of the validator's tables came from, matched on the header line."""
    from lac_validator.config import column_names

    headers = {rel: {c.strip().upper() for c in path.read_text(encoding="utf-8-sig").splitlines()[0].split(",")} for path, rel in zip(paths, rels, strict=True)}
    return {table: rel for table in dfs for rel, header in headers.items() if header == set(column_names.get(table, ()))}


def collect(landing: Path, year: int, ons_codes: dict[str, str], la: str | None = None) -> list[dict]:
    """Every rule hit of both validators for one collection year (and one LA, if given); `ons_codes`
    gives each 3-digit LA number's ONS code."""
    hits: list[dict] = []
    for path in sorted((landing / "cin_census" / str(year)).glob("cin_*.xml")):
        match = CIN_FILE.search(path.name)
        if match and la in (None, match["la"]):
            hits += run_cin(path, str(path.relative_to(landing)), year, match["la"])
    by_la: dict[str, list[Path]] = {}
    for path in sorted((landing / "ssda903" / str(year)).glob("ssda903_*.csv")):
        match = SSDA903_FILE.search(path.name)
        if match and la in (None, match["la"]):
            by_la.setdefault(match["la"], []).append(path)
    for code, paths in by_la.items():
        if code not in ons_codes:
            raise KeyError(f"{paths[0]}: LA {code} has no ONS code, which the SSDA903 validator needs; add it to code_lists.LOCAL_AUTHORITY_ONS_CODES")
        hits += run_903(paths, [str(p.relative_to(landing)) for p in paths], year, code, ons_codes[code])
    return hits


def summary(hits: list[dict], validator: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for hit in hits:
        if hit["validator"] == validator:
            counts[hit["rule_code"]] = counts.get(hit["rule_code"], 0) + 1
    return dict(sorted(counts.items(), key=lambda item: -item[1]))


def write_hits(hits: list[dict], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for hit in hits:
            handle.write(json.dumps(hit) + "\n")


def main(argv: list[str]) -> int:
    disable_network()
    from dagster_pipes import PipesEnvVarParamsLoader, open_dagster_pipes

    if not PipesEnvVarParamsLoader().is_dagster_pipes_process():
        parser = argparse.ArgumentParser(description="Run the DfE CIN and SSDA903 validators on one collection year's landing files.")
        parser.add_argument("landing", type=Path)
        parser.add_argument("year", type=int)
        parser.add_argument("out", type=Path, help="JSON lines, one rule hit a line")
        parser.add_argument("--la", default=None)
        parser.add_argument("--ons-codes", type=json.loads, required=True, help='JSON object, LA number to ONS code, e.g. {"352": "E08000003"}')
        args = parser.parse_args(argv)
        write_hits(collect(args.landing, args.year, args.ons_codes, args.la), args.out)
        return 0
    with open_dagster_pipes() as pipes:
        extras = pipes.extras
        started = time.monotonic()
        hits = collect(Path(extras["landing"]), int(extras["year"]), extras["ons_codes"], extras.get("la"))
        write_hits(hits, Path(extras["results_path"]))
        blocking = set(extras.get("blocking_codes", []))
        for check, validator in ((CIN_CHECK, "dfe_cin"), (SSDA903_CHECK, "dfe_903")):
            counts = summary(hits, validator)
            blocked = sorted(blocking & set(counts))
            pipes.report_asset_check(
                check_name=check,
                passed=not counts,  # any hit shows; only blocking codes are ERRORs that stop the run
                severity="ERROR" if blocked else "WARN",
                metadata={
                    "hits": {"raw_value": sum(counts.values()), "type": "int"},
                    "rule_codes": {"raw_value": len(counts), "type": "int"},
                    "hits_by_rule_code": {"raw_value": counts, "type": "json"},
                    "blocking_codes_hit": {"raw_value": blocked, "type": "json"},
                    "seconds": {"raw_value": round(time.monotonic() - started, 1), "type": "float"},
                },
            )
        pipes.log.info(f"{len(hits)} DfE rule hits for {extras['year']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
