"""The DfE's own validators on the session world: every rule hit must be explained by a logged
fault, or its code must be in tests/dfe_known_unexplained.txt (a ratchet the lead shrinks as the
generator is fixed); and the Dagster asset records the hits as asset checks and audit rows."""

from __future__ import annotations

import html
import os
import re
import shutil
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from code_lists import codes_of
from code_lists.ssda903 import OC3_ACTIVITY_FROM_2022, OC3_ACTIVITY_TO_2021
from validations.dfe_gate import RULE_FAILED, counts_by_rule, run_validators

KNOWN_UNEXPLAINED_FILE = Path(__file__).with_name("dfe_known_unexplained.txt")

# Which DfE rule codes each logged fault (kind, field) can trigger on its own row's child.
RULES_OF_FAULT: dict[tuple[str, str], frozenset[str]] = {
    ("missing_upn", "upn"): frozenset({"8770Q", "1510", "1530", "1540", "1550", "442", "168", "209", "210", "208"}),
    ("out_of_list_code", "ethnicity"): frozenset({"4220"}),
    ("out_of_list_code", "ethnic"): frozenset({"103", "204"}),
    ("out_of_list_code", "ls"): frozenset({"144", "503B", "426", "358"}),
    # A placement code out of the list is neither P1 (so PR0 is wrong, 550) nor one without a URN (218).
    ("out_of_list_code", "place"): frozenset({"146", "503D", "392d", "550", "218"}),
    ("out_of_list_code", "review_code"): frozenset({"167"}),
    ("out_of_list_code", "in_touch"): frozenset({"131"}),
    # A Z1 written out of the list reads as an earlier permanence order with no LA or date (631, 630).
    ("out_of_list_code", "prev_perm"): frozenset({"631", "630"}),
    # A swapped DOB in the 903 header also differs from the same child's DOB in every other table (INT11-INT18).
    ("dob_day_month_swap", "dob"): frozenset(
        {"8520", "8525Q", "8770Q", "102", "203", "301", "302", "351", "358", "407", "620", "621"} | {f"INT1{n}" for n in range(1, 9)}
    ),
    # A child written twice brings its CIN details twice: overlapping episodes, plans and disabilities;
    # a 903 row written twice is an episode overlapping itself (neither copy continues the other, and the
    # copy changes nothing its RNE says changed: 434-436) or a missing spell overlapping itself, an
    # adoption decision with an open copy of itself before it, or a child twice in a once-per-child table
    # (OC2, OC3, AD1, PrevPerm).
    ("duplicate_row", "*"): frozenset(
        {"8510", "1520", "8794", "8820", "4014", "8565", "8815", "8816", "4004", "8935", "8896", "INT32"}
        | {"501", "142", "431", "432", "433", "434", "435", "436", "388", "574", "579", "583", "INT31", "INT33", "INT34", "INT35"}
    ),
    # An episode under an unknown child id is that id's only record: no header, no previous permanence
    # (630), no continuation of its X1 (388), no OC2 for an episode open all year (191), a first episode
    # that is not a start (357).
    ("unknown_child", "CHILD"): frozenset({"INT03", "EPI", "630", "388", "191", "357"}),
    ("missing_postcode", "postcode"): frozenset({"392a", "392b", "392c"}),
}
# What a fault does to the child whose record it really is (the logged true value): an episode filed
# under another id is missing from the real child's history, which then has a gap (388, 357), records
# with no episode in the year (1012, EPI), or a period looked after all year without its OC2 (191, 190, 185).
RULES_ON_THE_REAL_CHILD: dict[tuple[str, str], frozenset[str]] = {
    ("unknown_child", "CHILD"): frozenset({"388", "357", "1012", "EPI", "191", "190", "185", "630"}),
}
SSDA903_FILE = re.compile(r"^ssda903/(?P<year>\d{4})/ssda903_(?P<la>\d+)_\d{4}_")


# The runner checks returns older than the 903 validator's first ruleset (2022-23) with that ruleset,
# whose rule 132 lists that year's OC3 activities: without F3 and P3, which the return's own years
# (to the 2021 collection) used before they were split. Such a hit is on a value valid in its year.
RETIRED_OC3_ACTIVITIES = frozenset(codes_of(OC3_ACTIVITY_TO_2021)) - frozenset(codes_of(OC3_ACTIVITY_FROM_2022))


def on_a_code_of_its_own_year(hit: dict, landing: Path) -> bool:
    """Whether a hit is rule 132 on an OC3 activity valid in the return's year but not in the ruleset's."""
    if (hit["validator"], hit["rule_code"], hit["column_name"]) != ("dfe_903", "132", "ACTIV"):
        return False
    year = int(Path(hit["source_file"]).parent.name)
    return year < 2022 and pl.read_csv(landing / hit["source_file"], infer_schema=False)["ACTIV"][hit["row_number"] - 1] in RETIRED_OC3_ACTIVITIES


def known_unexplained() -> dict[tuple[str, str], str]:
    lines = [line.split(maxsplit=2) for line in KNOWN_UNEXPLAINED_FILE.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]
    return {(validator, code): reason for validator, code, reason in lines}


def child_ids_by_row(landing: Path, rel: str) -> list[str]:
    """The child id on each data row of a landing file (row 1 first): `<Child>` elements of a CIN XML, CHILD of a 903 CSV."""
    path = landing / rel
    if path.suffix == ".xml":
        return [child.findtext("ChildIdentifiers/LAchildID") or "" for child in ET.parse(path).getroot().iter("Child")]
    return pl.read_csv(path, infer_schema=False)["CHILD"].fill_null("").to_list()


def return_of(file: str) -> str:
    """The return a landing file belongs to: a CIN census XML is a return of its own; an SSDA903 return
    is an LA's set of tables for the year, whose rules read across its tables (a fault in one table
    can fire a rule on the same child's row of another)."""
    match = SSDA903_FILE.match(file)
    return f"ssda903/{match['year']}/{match['la']}" if match else file


def explaining_faults(faults: pl.DataFrame, landing: Path) -> set[tuple[str, str, str]]:
    """(return, child id, rule code) for every logged fault in a file the DfE validators read."""
    relevant = faults.filter(pl.col("file").str.starts_with("cin_census/") | pl.col("file").str.starts_with("ssda903/"))
    explained: set[tuple[str, str, str]] = set()
    children: dict[str, list[str]] = {}
    for file, row, fault, field, true_value in relevant.select("file", "row", "fault", "field", "true_value").iter_rows():
        codes = RULES_OF_FAULT.get((fault, field), frozenset())
        if not codes or not (landing / file).exists():
            continue
        ids = children.setdefault(file, child_ids_by_row(landing, file))
        if 1 <= row <= len(ids):
            explained |= {(return_of(file), ids[row - 1], code) for code in codes}
        explained |= {(return_of(file), true_value, code) for code in RULES_ON_THE_REAL_CHILD.get((fault, field), ())}
        if fault == "duplicate_row" and file.endswith(".xml") and has_assessment_factors(landing / file, row):
            explained.add((file, "", DUPLICATE_FACTORS_CRASH))
    return explained


# cin_validator 0.1.13's rule 8898 (one factor twice in an assessment) crashes instead of reporting
# when a child written twice carries assessment factors: the crash, with no child, is that duplicate's hit.
DUPLICATE_FACTORS_CRASH = "Error with rule 8898"


def has_assessment_factors(path: Path, row: int) -> bool:
    children = ET.parse(path).getroot().findall("Children/Child")
    return 1 <= row <= len(children) and children[row - 1].find(".//AssessmentFactors") is not None


def hit_key(hit: dict) -> tuple[str, str, str]:
    """(return, child id, rule code) of a hit; a rule that crashed is keyed by the validator's error."""
    code = hit["rule_message"].split(":")[0] if hit["rule_code"] == RULE_FAILED else hit["rule_code"]
    return return_of(hit["source_file"]), hit["child_id"] or "", code


@pytest.fixture(scope="module")
def dfe_hits(warehouse, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict], Path, Path]:
    """(hits of both validators on every year of the session world, landing, truth)."""
    _, truth = warehouse
    landing = truth.parent / "landing"
    years = sorted({int(p.name) for source in ("cin_census", "ssda903") for p in (landing / source).iterdir() if p.is_dir()})
    out = tmp_path_factory.mktemp("dfe")
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # one runner process per year, side by side
        hits = [hit for year_hits in pool.map(lambda year: run_validators(landing, year, out / f"{year}.jsonl"), years) for hit in year_hits]
    print(f"\nDfE validators on {len(years)} years of the session world: {time.monotonic() - started:.1f} s, {len(hits)} hits")
    return hits, landing, truth


def test_every_dfe_rule_hit_is_explained_by_a_logged_fault_or_known(dfe_hits):
    hits, landing, truth = dfe_hits
    explained = explaining_faults(pl.read_parquet(truth / "faults.parquet"), landing)
    unexplained = [h for h in hits if hit_key(h) not in explained and not on_a_code_of_its_own_year(h, landing)]
    counts = counts_by_rule(unexplained)
    known = known_unexplained()
    print(f"\n{'validator':<9} {'rule':<8} {'hits':>6}  message")
    for (validator, code), n in counts.items():
        message = next(h["rule_message"] for h in unexplained if (h["validator"], h["rule_code"]) == (validator, code))
        print(f"{validator:<9} {code:<8} {n:>6}  {'' if (validator, code) in known else 'NEW '}{message[:110]}")
    assert hits, "the validators reported nothing at all: the runner read no files"
    new = {key: n for key, n in counts.items() if key not in known}
    assert not new, f"DfE rule codes hit with no logged fault to explain them and not in {KNOWN_UNEXPLAINED_FILE.name}: {new}"


def test_dfe_asset_records_hits_as_checks_audit_rows_and_on_the_stewards_page(warehouse, dfe_hits, tmp_path: Path, headless_chromium):
    from orchestration.assets.dfe_rules import CHECKS, RESULTS_KEY, DfeRuleGate, dfe_rule_results
    from orchestration.resources import HearthPaths, Warehouse
    from validations.overview import write_overview

    hits, landing, truth = dfe_hits
    year = max(h_year for h_year in (int(p.name) for p in (landing / "cin_census").iterdir()))
    database = tmp_path / "hearth.duckdb"
    shutil.copy(warehouse[0], database)
    blocking = ["REFUSED", "1530"]
    result = dg.materialize(
        [dfe_rule_results],
        partition_key=str(year),
        resources={
            "warehouse": Warehouse(database=str(database)),
            "paths": HearthPaths(landing_dir=str(landing), truth_dir=str(truth)),
            "dfe_gate": DfeRuleGate(blocking_codes=blocking),
            "pipes_subprocess_client": dg.PipesSubprocessClient(),
        },
        raise_on_error=False,
    )
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute("select validator, rule_code, count(*) from audit.dfe_rule_results where collection_year = ? group by all", [year]).fetchall()
        columns = {c for (c,) in con.execute("select column_name from duckdb_columns() where table_name = 'validation_results'").fetchall()}
    recorded = {(validator, code): n for validator, code, n in rows}
    year_hits = [h for h in hits if f"/{year}/" in h["source_file"]]
    assert recorded == counts_by_rule(year_hits)
    assert {"validator", "rule_message", "la_code", "child_id", "column_name", "row_number"} <= columns
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert set(checks) == set(CHECKS)
    blocked_any = False
    for name, validator in (("cin_census_dfe_rules", "dfe_cin"), ("ssda903_dfe_rules", "dfe_903")):
        codes = {code for v, code in recorded if v == validator}
        blocked = codes & set(blocking)
        assert checks[name].passed is not bool(codes), (name, codes)
        assert checks[name].severity == (dg.AssetCheckSeverity.ERROR if blocked else dg.AssetCheckSeverity.WARN), (name, blocked)
        assert checks[name].asset_key == RESULTS_KEY
        blocked_any |= bool(blocked)
    # A blocking code hit fails the run (after the hits are recorded); other codes are warnings.
    assert result.success is not blocked_any

    page = headless_chromium(write_overview(database, tmp_path / "docs").as_uri(), 2000).stdout
    assert "DfE validation rules" in page
    for validator, code in recorded:
        message = next(h["rule_message"] for h in year_hits if (h["validator"], h["rule_code"]) == (validator, code))
        assert f'<td class="govuk-table__cell">{code}</td>' in page and html.escape(message, quote=False) in page, (code, message)


def test_blocking_rules_come_from_the_environment_with_refused_as_default() -> None:
    from validations.dfe_gate import blocking_rules

    assert blocking_rules({}) == ("REFUSED",)
    assert blocking_rules({"HEARTH_DFE_BLOCKING_RULES": " "}) == ("REFUSED",)
    assert blocking_rules({"HEARTH_DFE_BLOCKING_RULES": "8510, 1530,,8510"}) == ("1530", "8510")


def test_an_existing_warehouse_gains_the_dfe_columns_and_keeps_its_rows(tmp_path: Path) -> None:
    from validations.dfe_gate import record_hits

    database = tmp_path / "old.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("create schema audit")
        con.execute(
            "create table audit.validation_results (load_run_id varchar, checked_at timestamptz, source varchar, collection_year integer,"
            " table_name varchar, source_file varchar, rule varchar, failures bigint, rows_checked bigint)"
        )
        con.execute("insert into audit.validation_results values ('old', now(), 'hes_apc', 2022, 'hes_apc', 'f.csv', '*', 0, 10)")
        hit = {"validator": "dfe_cin", "rule_code": "8510", "rule_message": "More than one child record with the same LA Child ID", "la_code": "951"}
        hit |= {
            "child_id": "100015",
            "source_file": "cin_census/2022/cin_951_2022.xml",
            "table_name": "ChildIdentifiers",
            "column_name": "LAchildID",
            "row_number": 3,
        }
        assert record_hits(con, [hit], "run-1", 2022) == 1
        assert con.execute("select count(*) from audit.validation_results where load_run_id = 'old' and validator is null").fetchone() == (1,)
        assert con.execute("select count(*) from audit.validation_results where rule = '*'").fetchone() == (1,)  # pandera's totals only
        totals = con.execute("select validator, failures from audit.validation_results where rule = '(total)' and load_run_id = 'run-1' order by 1").fetchall()
        assert totals == [("dfe_903", 0), ("dfe_cin", 1)]
        latest = con.execute("select rule_code, rule_message, la_code, child_id, column_name, row_number from audit.dfe_rule_results").fetchall()
        assert latest == [("8510", hit["rule_message"], "951", "100015", "LAchildID", 3)]
        record_hits(con, [], "run-2", 2022)  # a clean later run: the view shows nothing for the year
        assert con.execute("select count(*) from audit.dfe_rule_results").fetchone() == (0,)


def test_the_dfe_runner_cannot_reach_the_network_and_bank_holidays_come_from_the_bundled_copy() -> None:
    """govuk-bank-holidays (a dependency of the CIN validator) fetches gov.uk unless told otherwise:
    with the runner's guard the fetch fails at once and the package's own cached list is used."""
    import subprocess

    from validations.dfe_gate import DFE_PYTHON, DFE_RULES_DIR

    probe = (
        "import runner, socket, datetime\n"
        "runner.disable_network()\n"
        "try:\n    socket.create_connection(('127.0.0.1', 9))\nexcept OSError as exc:\n    print('blocked:', exc)\n"
        "from govuk_bank_holidays.bank_holidays import BankHolidays\n"
        "print('holiday:', BankHolidays().is_holiday(datetime.date(2022, 12, 26)))\n"
    )
    done = subprocess.run([str(DFE_PYTHON), "-c", probe], cwd=DFE_RULES_DIR, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "blocked: network use is disabled in the DfE rule runner" in done.stdout
    assert "holiday: True" in done.stdout
