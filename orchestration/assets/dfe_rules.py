"""The DfE rules as a gate: `audit/dfe_rule_results` (the view of the DfE validators' hits in
audit.validation_results), one partition per collection year, with one asset check per DfE return.

The validators run in their own environment through Dagster Pipes. A check fails on any hit: as a
warning, or with severity ERROR, which fails the run, when a code the `dfe_gate` resource names is hit.
"""

import tempfile
from pathlib import Path

import dagster as dg

from ingestion.registry import SOURCES
from orchestration.assets.raw import raw_key
from orchestration.partitions import collection_year_partitions
from orchestration.resources import WAREHOUSE_POOL, HearthPaths, Warehouse
from validations.dfe_gate import DEFAULT_BLOCKING_RULES, DFE_RULES_DIR, RESULTS_VIEW, counts_by_rule, la_ons_codes, read_hits, record_hits, runner_command

RESULTS_KEY = dg.AssetKey(RESULTS_VIEW.split("."))
CHECKS = {
    "cin_census_dfe_rules": "The DfE CIN census validator (csc-validator-be-cin) on every CIN XML of the year",
    "ssda903_dfe_rules": "The DfE SSDA903 validator (csc-validator-be-903) on each LA's 903 tables of the year",
}


class DfeRuleGate(dg.ConfigurableResource):
    """The DfE rule codes that fail the gate (HEARTH_DFE_BLOCKING_RULES; default: only REFUSED, a file the validator cannot read)."""

    blocking_codes: list[str] = list(DEFAULT_BLOCKING_RULES)  # noqa: RUF012 (pydantic copies field defaults per instance)


@dg.asset(
    key=RESULTS_KEY,
    pool=WAREHOUSE_POOL,
    partitions_def=collection_year_partitions,
    deps=[raw_key(table) for source in SOURCES if source.name in ("cin_census", "ssda903") for table in source.tables],
    check_specs=[
        dg.AssetCheckSpec(name, asset=RESULTS_KEY, blocking=True, description=f"{text}; any hit fails it as a warning, a blocking rule code as an error.")
        for name, text in CHECKS.items()
    ],
    kinds={"duckdb", "python"},
    description="The DfE validators' rule hits (rule code, the rule's message, LA, child, file, row, field), latest run per year.",
)
def dfe_rule_results(
    context: dg.AssetExecutionContext, warehouse: Warehouse, paths: HearthPaths, dfe_gate: DfeRuleGate, pipes_subprocess_client: dg.PipesSubprocessClient
):
    year = int(context.partition_key)
    with tempfile.TemporaryDirectory() as scratch:
        results = Path(scratch) / "hits.jsonl"
        invocation = pipes_subprocess_client.run(
            command=runner_command(),
            context=context,
            cwd=str(DFE_RULES_DIR),
            extras={
                "landing": str(paths.landing),
                "year": year,
                "results_path": str(results),
                "blocking_codes": dfe_gate.blocking_codes,
                "ons_codes": la_ons_codes(),
            },
        )
        hits = read_hits(results)
    with warehouse.get_connection() as con:
        record_hits(con, hits, context.run.run_id, year)
    counts = counts_by_rule(hits)
    yield dg.MaterializeResult(
        metadata={
            "hits": len(hits),
            "hits_by_rule_code": dg.MetadataValue.json({f"{validator}:{code}": n for (validator, code), n in counts.items()}),
            "blocking_codes": dg.MetadataValue.json(dfe_gate.blocking_codes),
        }
    )
    yield from invocation.get_results(implicit_materializations=False)  # the runner's asset checks
