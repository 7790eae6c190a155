"""Evaluations: every evaluation defined in YAML (evaluation/definitions/), run on the linked layer after
linkage, written to the restricted `evaluation` schema; the published estimates are in publication.py."""

from pathlib import Path

import dagster as dg

from evaluation.config import DEFINITIONS, load_evaluations
from evaluation.matching import BALANCE_LIMIT
from evaluation.run import TABLES, evaluate_all, write_results
from orchestration.resources import WAREHOUSE_POOL, Warehouse

EVALUATION_KEYS = {table: dg.AssetKey(table.split(".")) for table in TABLES}
# What a cohort is measured from: the linked models dbt builds, the linkage's residences and the gazetteer.
SOURCES = [
    dg.AssetKey(["linked", name])
    for name in ("linked_early_help_episodes", "linked_services_provided", "linked_service_episodes", "linked_persons", "linked_pupil_years")
] + [dg.AssetKey(["linkage", "household_members"]), dg.AssetKey(["staging", "stg_gazetteer__properties"])]


class EvaluationSettings(dg.ConfigurableResource):
    """Where the evaluations' definitions are (HEARTH_EVALUATIONS_DIR), one YAML file each."""

    definitions_dir: str = str(DEFINITIONS)


@dg.multi_asset(
    pool=WAREHOUSE_POOL,
    specs=[dg.AssetSpec(key, deps=SOURCES, kinds={"duckdb", "statsmodels"}) for key in EVALUATION_KEYS.values()],
    check_specs=[dg.AssetCheckSpec("adjusted_groups_are_balanced", asset=EVALUATION_KEYS["evaluation.balance"])],
)
def evaluations(context: dg.AssetExecutionContext, warehouse: Warehouse, evaluation_settings: EvaluationSettings):
    """Each evaluation's cohort (index events with exposure, propensity and weight), the balance of its
    covariates before and after matching or weighting, and its outcome estimates, naive and adjusted."""
    definitions = load_evaluations(Path(evaluation_settings.definitions_dir))
    with warehouse.get_connection() as con:
        results, skipped = evaluate_all(con, definitions)
        rows = write_results(con, results)
    for reason in skipped.values():
        context.log.warning(reason)
    summary = {
        r.name: {"index_events": r.index_events, "exposed": r.exposed, "exposed_matched": r.exposed_matched, "worst_smd_after": round(r.worst_smd_after, 3)}
        for r in results
    } | {name: {"skipped": reason} for name, reason in skipped.items()}
    for table, key in EVALUATION_KEYS.items():
        yield dg.MaterializeResult(asset_key=key, metadata={"rows": rows[table], "evaluations": dg.MetadataValue.json(summary)})
    unbalanced = {r.name: round(r.worst_smd_after, 3) for r in results if r.worst_smd_after >= BALANCE_LIMIT}
    yield dg.AssetCheckResult(
        asset_key=EVALUATION_KEYS["evaluation.balance"],
        check_name="adjusted_groups_are_balanced",
        passed=not unbalanced and not skipped,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"limit": BALANCE_LIMIT, "worst_smd_after": dg.MetadataValue.json(summary)},
        description=(
            f"after adjustment a covariate differs by {BALANCE_LIMIT} SD or more in: {unbalanced}; read evaluation.balance before the estimates"
            if unbalanced
            else f"not run on these data: {skipped}"
            if skipped
            else f"every covariate's standardised mean difference after adjustment is under {BALANCE_LIMIT}"
        ),
    )
