"""Harmonisation: the dbt project as Dagster assets. Every seed and model is an asset (keyed by
its layer: reference, staging, intermediate) and every dbt test an asset check; dbt sources are
the raw ingestion assets, so the graph reads raw -> staging -> intermediate.
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration.settings import REPO_ROOT

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR)
if not dbt_project.manifest_path.exists():
    # A fresh clone has no manifest yet; `dbt parse` writes it (no database connection needed).
    dbt_project.preparer.prepare(dbt_project)
else:
    dbt_project.prepare_if_dev()


class HearthDbtTranslator(DagsterDbtTranslator):
    """Keys and groups by layer; sources keep their own keys, which are the raw assets'."""

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


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=HearthDbtTranslator(), name="harmonisation")
def harmonisation_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """`dbt build` for the selection: seeds, models, data tests and unit tests, in dependency order."""
    yield from dbt.cli(["build"], context=context).stream()
