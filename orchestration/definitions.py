"""The single Dagster ``Definitions`` for Hearth (code location ``hearth``)."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.assets.landing import (
    every_source_has_files,
    landing_file_inventory,
    no_unrecognised_files,
)
from orchestration.resources import LandingZone
from orchestration.settings import HearthPaths

paths = HearthPaths.from_env()

landing_inventory_job = dg.define_asset_job(
    name="landing_inventory_job",
    selection=dg.AssetSelection.groups("landing"),
    description="Inventory every landed extract into landing.file_inventory and run its checks.",
)

defs = dg.Definitions(
    assets=[landing_file_inventory],
    asset_checks=[every_source_has_files, no_unrecognised_files],
    jobs=[landing_inventory_job],
    resources={
        "landing_zone": LandingZone(root=str(paths.landing_dir)),
        "warehouse": DuckDBResource(database=str(paths.warehouse_path)),
    },
)
