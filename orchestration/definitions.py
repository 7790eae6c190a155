"""The single Dagster ``Definitions`` for Hearth (code location ``hearth``), assembled from the
asset modules: each module is one group, named for the layer it writes, except dbt's assets, which
take their group from their dbt layer. Nothing here touches the environment or the disk."""

import dagster as dg
from dagster_dbt import DbtCliResource

from evaluation.config import DEFINITIONS
from linkage.review import DECISIONS_ENV, DEFAULT_DECISIONS_PATH
from orchestration import jobs, schedules, sensors
from orchestration.assets import analysts, dbt, dfe_rules, evaluation, gates, landing, linkage, publication, raw
from orchestration.assets.dfe_rules import DfeRuleGate
from orchestration.assets.raw import IngestionGates
from orchestration.resources import configured, configured_paths, configured_warehouse
from orchestration.sensors import FailureNotifier
from orchestration.settings import quarantine_thresholds
from validations.dfe_gate import blocking_rules

GROUPS = {
    "landing": landing,
    "raw": raw,
    "dfe_rules": dfe_rules,
    "linkage": linkage,
    "evaluation": evaluation,
    "publication": publication,
    "analysts": analysts,
}

defs = dg.Definitions(
    assets=[
        *(asset for group, module in GROUPS.items() for asset in dg.load_assets_from_modules([module], group_name=group)),
        *dg.load_assets_from_modules([dbt]),
    ],
    asset_checks=dg.load_asset_checks_from_modules([*GROUPS.values(), gates]),
    jobs=[
        *jobs.ingestion_jobs.values(),
        jobs.landing_inventory_job,
        jobs.ingestion_job,
        jobs.dfe_rules_job,
        jobs.harmonisation_job,
        jobs.linkage_job,
        jobs.person_model_job,
        jobs.marts_job,
    ],
    schedules=schedules.collection_schedules,
    sensors=[sensors.landing_sensor, sensors.run_failure_sensor],
    resources={
        "warehouse": configured_warehouse(),
        "paths": configured_paths(),
        "gates": IngestionGates(thresholds=quarantine_thresholds()),
        "dfe_gate": DfeRuleGate(blocking_codes=list(blocking_rules())),
        "pipes_subprocess_client": dg.PipesSubprocessClient(),
        "dbt": DbtCliResource(project_dir=dbt.dbt_project),
        "linkage_settings": linkage.LinkageSettings(review_decisions_path=configured(DECISIONS_ENV, str(DEFAULT_DECISIONS_PATH))),
        "disclosure": publication.DisclosureSettings(),
        "evaluation_settings": evaluation.EvaluationSettings(definitions_dir=configured("HEARTH_EVALUATIONS_DIR", str(DEFINITIONS))),
        "failure_notifier": FailureNotifier(webhook_url=configured("HEARTH_FAILURE_WEBHOOK", "")),
    },
    # DuckDB allows one writer at a time, so steps run one after another in a single process.
    executor=dg.in_process_executor,
)
