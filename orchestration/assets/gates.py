"""Great Expectations gates as Dagster asset checks: one check per gate (suite), on the asset whose
table it validates; critical gates block what depends on that asset. The gates of a stage run in
one GX checkpoint, which also rebuilds the Data Docs for stewards."""

from collections.abc import Iterator

import dagster as dg

from orchestration.resources import WAREHOUSE_POOL, HearthPaths, Warehouse
from validations.gates import GATES, Gate, run_gates


def _asset_key(gate: Gate) -> dg.AssetKey:
    return dg.AssetKey(gate.table.split("."))


def _gates_check(name: str, gates: tuple[Gate, ...], description: str) -> dg.AssetChecksDefinition:
    specs = [
        dg.AssetCheckSpec(
            name=f"gx_{'critical' if gate.critical else 'warning'}",
            asset=_asset_key(gate),
            blocking=gate.critical,
            description=f"Great Expectations suite {gate.name}: {len(gate.expectations)} expectations ({'blocking' if gate.critical else 'warning'}).",
        )
        for gate in gates
    ]

    @dg.multi_asset_check(pool=WAREHOUSE_POOL, specs=specs, name=name, description=description)
    def _check(context: dg.AssetCheckExecutionContext, warehouse: Warehouse, paths: HearthPaths) -> Iterator[dg.AssetCheckResult]:
        results = run_gates(warehouse.path, warehouse.gx_project, paths.docs / "gx", name, gates, context.run.run_id)
        for result, spec in zip(results, specs, strict=True):
            yield dg.AssetCheckResult(
                asset_key=spec.asset_key,
                check_name=spec.name,
                passed=result.passed,
                severity=dg.AssetCheckSeverity.ERROR if result.gate.critical else dg.AssetCheckSeverity.WARN,
                metadata={"suite": result.gate.name, "expectations": result.rules, "failed": dg.MetadataValue.json(list(result.failed_rules))},
                description=f"{result.rules - len(result.failed_rules)} of {result.rules} expectations hold"
                + (f"; failed: {'; '.join(result.failed_rules)}" if result.failed_rules else "."),
            )

    return _check


harmonisation_gates = _gates_check(
    "harmonisation_gates",
    tuple(g for g in GATES if g.layer in ("staging", "intermediate")),
    "Great Expectations gates on staging and intermediate models.",
)
marts_gates = _gates_check("marts_gates", tuple(g for g in GATES if g.layer == "marts"), "Great Expectations gates on the marts.")
publication_gates = _gates_check(
    "publication_gates", tuple(g for g in GATES if g.layer == "publication"), "Great Expectations gates on the publication tables."
)
