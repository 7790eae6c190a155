"""The dbt project as Dagster assets, in two runs either side of linkage. Every seed and model is an
asset keyed by its layer (reference, staging, intermediate, linked, marts) and every dbt test an
asset check. dbt sources are the assets that fill them: raw ingestion, and the linkage assets
(named in each source's `meta.dagster.asset_key`), so the graph reads raw -> staging ->
intermediate -> linkage -> linked -> marts.
"""

import json
import os
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration.resources import WAREHOUSE_POOL, Warehouse
from orchestration.settings import DBT_PROJECT_DIR, dbt_warehouse_vars
from validations.gates import record_gate_results

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR)


def _edited_since_parsed(project: DbtProject) -> bool:
    """Whether a file of the dbt project is newer than its manifest: the rule `make manifest` uses."""
    if not project.manifest_path.exists():
        return True
    parsed = project.manifest_path.stat().st_mtime
    for folder, subfolders, files in os.walk(project.project_dir):
        if Path(folder) == project.project_dir:
            subfolders[:] = [name for name in subfolders if name not in ("target", "logs", "dbt_packages")]
        if any(os.stat(os.path.join(folder, name)).st_mtime > parsed for name in files):
            return True
    return False


# The manifest is built before Dagster loads the code (`make manifest`, which every make target
# runs first), as a deployment builds it into its image. `dagster dev` (hearth ui) re-parses on
# load to pick up edits, where there are any: every run's worker loads the code too, and a parse
# takes ~10 s.
if dbt_project.preparer.using_dagster_dev() and _edited_since_parsed(dbt_project):
    dbt_project.preparer.prepare(dbt_project)
if not dbt_project.manifest_path.exists():
    raise FileNotFoundError(f"no dbt manifest at {dbt_project.manifest_path}: run `make manifest` (dbt parse) first")


class HearthDbtTranslator(DagsterDbtTranslator):
    """Keys and groups by layer; a source keeps its own key, `<source>/<table>`, which is the key of
    the asset that writes that table (raw ingestion, linkage)."""

    @staticmethod
    def layer(props: Mapping[str, Any]) -> str:
        if props["resource_type"] == "seed":
            return "reference"
        return props["fqn"][1]

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([self.layer(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return self.layer(dbt_resource_props)


def _build_and_record(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse) -> Iterator:
    """`dbt build`, streaming events to Dagster, then every test's outcome into `audit.gate_results`
    beside the pandera and Great Expectations results, so stewards see one history."""
    invocation = dbt.cli(["build", *dbt_warehouse_vars(warehouse.path)], context=context)
    yield from invocation.stream()
    manifest = json.loads(dbt_project.manifest_path.read_text())
    nodes = {**manifest["nodes"], **manifest.get("unit_tests", {})}
    now, rows = datetime.now(UTC), []
    for result in invocation.get_artifact("run_results.json")["results"]:
        node = nodes.get(result["unique_id"], {})
        if node.get("resource_type") not in ("test", "unit_test"):
            continue
        tested = nodes.get(node.get("attached_node") or "", {}) or nodes.get(next(iter(node.get("depends_on", {}).get("nodes", [])), ""), {})
        table = f"{HearthDbtTranslator.layer(tested)}.{tested['name']}" if tested else node.get("model", "")
        rows.append(
            (
                context.run.run_id,
                now,
                "dbt",
                table.split(".")[0],
                table,
                node["name"],
                result["unique_id"],
                node.get("config", {}).get("severity", "ERROR").upper() == "ERROR",
                result["status"] == "pass",
                None if result.get("failures") is None else str(result["failures"]),
            )
        )
    with warehouse.get_connection() as con:
        record_gate_results(con, rows)


def _dbt_build_assets(name: str, selector: str, description: str) -> dg.AssetsDefinition:
    """One `dbt build` of a selector as Dagster assets; the project builds twice, either side of linkage."""

    def build(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
        yield from _build_and_record(context, dbt, warehouse)

    build.__doc__ = description
    return dbt_assets(
        pool=WAREHOUSE_POOL, manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=HearthDbtTranslator(), name=name, selector=selector
    )(build)


harmonisation_dbt_assets = _dbt_build_assets(
    "harmonisation", "before_linkage", "`dbt build` of seeds, staging and intermediate models with their tests, before linkage."
)
marts_dbt_assets = _dbt_build_assets(
    "marts",
    "after_linkage",
    "`dbt build` of the models joined to linkage and the marts analysts query, with their tests and enforced contracts, after linkage.",
)
