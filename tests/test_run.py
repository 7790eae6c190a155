"""What `hearth run` says of a stage, from what its Dagster runs reported: the counts, the checks
passed, warned and failed, and, when a gate blocks, the gate, its table, its figure and where to
look. (The whole command runs in tests/test_ui.py, against a running `hearth ui`.)"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import AssetCheckEvaluation

from hearth.run import Stage, StageOutcome, duration, explain

RAW_HES = dg.AssetKey(["raw", "hes_apc"])


def _check(
    name: str, passed: bool, severity: dg.AssetCheckSeverity, blocking: bool, description: str | None = None, metadata: dict | None = None
) -> AssetCheckEvaluation:
    return AssetCheckEvaluation(
        asset_key=RAW_HES, check_name=name, passed=passed, metadata=metadata or {}, severity=severity, description=description, blocking=blocking
    )


def _linkage() -> StageOutcome:
    stage = Stage("linkage", dg.AssetSelection.all(), facts=(("linkage/person_links:records", "records"), ("persons", "persons")))
    outcome = StageOutcome(stage)
    outcome.tables = {
        ("run", dg.AssetKey(["linkage", "person_links"])): {"records": 7_592, "persons": 3_169},
        ("run", dg.AssetKey(["linkage", "person_linkage_models"])): {"records": 7_592},  # the model's training records: not the stage's
        ("run", dg.AssetKey(["linkage", "household_spells"])): {"household_spells": 1_523},
    }
    return outcome


def test_a_stage_counts_its_tables_facts_and_checks() -> None:
    outcome = _linkage()
    outcome.checks = [
        _check("keyed", True, dg.AssetCheckSeverity.ERROR, True),
        _check("even_recall", False, dg.AssetCheckSeverity.WARN, False),
        _check("every_source", False, dg.AssetCheckSeverity.ERROR, False),
    ]
    assert outcome.summary() == "3 tables, 7,592 records, 3,169 persons · checks 1 passed, 1 warned, 1 failed"
    assert outcome.succeeded  # a failed check that does not block is said, but does not stop the run


def test_a_blocking_gate_stops_the_run_and_says_where_to_look() -> None:
    outcome = StageOutcome(Stage("ingestion", dg.AssetSelection.all()))
    outcome.checks = [_check("quarantine_rate_within_threshold", False, dg.AssetCheckSeverity.ERROR, True, "8 of 18 rows quarantined (44.44%) exceeds 5.00%")]
    assert not outcome.succeeded
    assert explain(outcome, Path("/logs/run.log")) == [
        "Stopped at ingestion: the stages after it did not run, so their tables keep the last good run's rows.",
        "  Blocking gate quarantine_rate_within_threshold on raw/hes_apc failed: 8 of 18 rows quarantined (44.44%) exceeds 5.00%",
        "    Its result, with the figures: `hearth ui`, then /assets/raw/hes_apc?view=checks",
        "  The rows and the rules they broke: quarantine.rejected_rows (`hearth status` counts them by rule).",
        "  Every event and step output: /logs/run.log",
    ]


def test_a_gate_without_a_description_is_explained_by_its_figures() -> None:
    outcome = StageOutcome(Stage("DfE rules", dg.AssetSelection.all()))
    figures = {"blocking_codes_hit": dg.MetadataValue.json(["REFUSED"]), "hits": dg.MetadataValue.int(1)}
    outcome.checks = [_check("ssda903_dfe_rules", False, dg.AssetCheckSeverity.ERROR, True, metadata=figures)]
    assert explain(outcome, Path("run.log"))[1] == '  Blocking gate ssda903_dfe_rules on raw/hes_apc failed: blocking_codes_hit ["REFUSED"]; hits 1'


def test_durations_read_as_a_person_says_them() -> None:
    assert [duration(s) for s in (0.64, 59.94, 60.2, 188.4)] == ["0.6 s", "59.9 s", "1 min 00 s", "3 min 08 s"]
