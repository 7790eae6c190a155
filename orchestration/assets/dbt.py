"""The dbt project as Dagster assets, in two runs either side of linkage. Every seed and model is an
asset keyed by its layer (reference, staging, intermediate, linked, marts) and every dbt test an
asset check. dbt sources are the assets that fill them: raw ingestion, and the linkage assets
(named in each source's `meta.dagster.asset_key`), so the graph reads raw -> staging ->
intermediate -> linkage -> linked -> marts.
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from orchestration.settings import REPO_ROOT

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR)
if not dbt_project.manifest_path.exists():
    # A fresh clone has no manifest yet; `dbt parse` writes it (no database connection needed).
    dbt_project.preparer.prepare(dbt_project)
else:
    dbt_project.prepare_if_dev()


class HearthDbtTranslator(DagsterDbtTranslator):
    """Keys and groups by layer; sources keep their own keys, which are the raw assets', or the
    key their `meta` names (two linkage tables come from one asset, hence duplicates allowed)."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_duplicate_source_asset_keys=True))

    @staticmethod
    def layer(props: Mapping[str, Any]) -> str:
        if props["resource_type"] == "seed":
            return "reference"
        return props["fqn"][1]

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            declared = dbt_resource_props.get("meta", {}).get("dagster", {}).get("asset_key")
            return dg.AssetKey(declared or [dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([self.layer(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return self.layer(dbt_resource_props)


@dbt_assets(
    manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=HearthDbtTranslator(),
    name="harmonisation", selector="before_linkage",
)
def harmonisation_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """`dbt build` of seeds, staging and intermediate models with their tests, before linkage."""
    yield from dbt.cli(["build"], context=context).stream()


@dbt_assets(
    manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=HearthDbtTranslator(),
    name="marts", selector="after_linkage",
)
def marts_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """`dbt build` of the models joined to linkage and the marts analysts query, with their tests
    and enforced contracts, after linkage."""
    yield from dbt.cli(["build"], context=context).stream()
