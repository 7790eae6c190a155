"""The single Dagster ``Definitions`` for Hearth (code location ``hearth``)."""

import os

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from orchestration.assets.dbt import dbt_project, harmonisation_dbt_assets, marts_dbt_assets
from orchestration.assets.gates import harmonisation_gates, marts_gates, publication_gates
from orchestration.assets.landing import (
    every_source_has_files,
    landing_file_inventory,
    no_unrecognised_files,
)
from orchestration.assets.linkage import (
    LinkageSettings,
    address_match_evaluation,
    address_match_meets_targets,
    address_matches,
    families,
    family_link_evaluation,
    household_spell_evaluation,
    household_spells_meet_target,
    households,
    keyed_only_checks,
    person_link_evaluation,
    person_links,
    person_links_meet_targets,
)
from orchestration.assets.publication import DisclosureSettings, la_year_indicators, la_year_indicators_are_disclosure_safe, warehouse_snapshot
from orchestration.assets.raw import IngestionGates, build_ingestion_assets
from orchestration.jobs import build_ingestion_jobs, harmonisation_job, ingestion_job, landing_inventory_job, linkage_job, marts_job
from orchestration.resources import LandingZone
from orchestration.schedules import build_collection_schedules
from orchestration.sensors import FailureNotifier, build_landing_sensor, run_failure_sensor
from orchestration.settings import HearthPaths, collection_years, quarantine_thresholds

paths = HearthPaths.from_env()
# dbt reads the warehouse path from the environment; give it the resolved, absolute one.
os.environ["HEARTH_WAREHOUSE_PATH"] = str(paths.warehouse_path)
collection_year_partitions = dg.StaticPartitionsDefinition([str(year) for year in collection_years()])
ingestion_assets = build_ingestion_assets(collection_year_partitions)

ingestion_jobs = build_ingestion_jobs(collection_year_partitions)

defs = dg.Definitions(
    assets=[
        landing_file_inventory,
        *ingestion_assets,
        harmonisation_dbt_assets,
        marts_dbt_assets,
        address_matches,
        address_match_evaluation,
        person_links,
        person_link_evaluation,
        households,
        household_spell_evaluation,
        families,
        family_link_evaluation,
        la_year_indicators,
        warehouse_snapshot,
    ],
    asset_checks=[
        every_source_has_files,
        no_unrecognised_files,
        address_match_meets_targets,
        person_links_meet_targets,
        household_spells_meet_target,
        *keyed_only_checks,
        la_year_indicators_are_disclosure_safe,
        harmonisation_gates,
        marts_gates,
        publication_gates,
    ],
    jobs=[landing_inventory_job, ingestion_job, *ingestion_jobs.values(), harmonisation_job, linkage_job, marts_job],
    schedules=build_collection_schedules(ingestion_jobs, collection_year_partitions),
    sensors=[build_landing_sensor(ingestion_jobs, collection_year_partitions), run_failure_sensor],
    resources={
        "landing_zone": LandingZone(root=str(paths.landing_dir)),
        "warehouse": DuckDBResource(database=str(paths.warehouse_path)),
        "gates": IngestionGates(thresholds=quarantine_thresholds()),
        "dbt": DbtCliResource(project_dir=dbt_project),
        "linkage_settings": LinkageSettings(truth_dir=str(paths.truth_dir)),
        "disclosure": DisclosureSettings(),
        "failure_notifier": FailureNotifier(webhook_url=os.environ.get("HEARTH_FAILURE_WEBHOOK", "")),
    },
    # DuckDB allows one writer at a time, so steps run one after another in a single process.
    executor=dg.in_process_executor,
)
