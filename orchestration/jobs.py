"""Jobs: ingestion per source (partitioned by collection year), harmonisation, linkage, marts.
Steps retry with exponential backoff, for transient IO (a file share, a locked file); a rejected
file is a `Failure` that does not retry."""

import dagster as dg

# The type `define_asset_job` returns; dagster does not export it, and it is only a type hint here.
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition as AssetJob

from ingestion.registry import SOURCES
from orchestration.assets.dbt import harmonisation_dbt_assets, marts_dbt_assets
from orchestration.assets.linkage import PERSON_MODEL_KEY
from orchestration.assets.raw import raw_key
from orchestration.partitions import collection_year_partitions

TRANSIENT_RETRIES = dg.RetryPolicy(max_retries=3, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


def ingestion_job_name(source_name: str) -> str:
    return f"ingest_{source_name}_job"


def build_ingestion_jobs(partitions: dg.PartitionsDefinition) -> dict[str, AssetJob]:
    """One job per source over its raw tables, keyed by source name."""
    return {
        source.name: dg.define_asset_job(
            name=ingestion_job_name(source.name),
            selection=dg.AssetSelection.assets(*(raw_key(t) for t in source.tables)),
            partitions_def=partitions,
            op_retry_policy=TRANSIENT_RETRIES,
            description=f"Validate and load {source.name} for a collection year: raw tables, quarantine, audit.",
        )
        for source in SOURCES
    }


ingestion_jobs = build_ingestion_jobs(collection_year_partitions)

landing_inventory_job = dg.define_asset_job(
    name="landing_inventory_job",
    selection=dg.AssetSelection.groups("landing"),
    op_retry_policy=TRANSIENT_RETRIES,
    description="Inventory every landed extract into landing.file_inventory and run its checks.",
)

ingestion_job = dg.define_asset_job(
    name="ingestion_job",
    selection=dg.AssetSelection.groups("raw"),
    op_retry_policy=TRANSIENT_RETRIES,
    description="Validate and load every source's extracts for a collection year into raw, quarantining bad rows.",
)

dfe_rules_job = dg.define_asset_job(
    name="dfe_rules_job",
    selection=dg.AssetSelection.groups("dfe_rules"),
    op_retry_policy=TRANSIENT_RETRIES,
    description="Run the DfE's own CIN census and SSDA903 validators on a collection year's returns, recording every rule hit.",
)

harmonisation_job = dg.define_asset_job(
    name="harmonisation_job",
    selection=dg.AssetSelection.assets(harmonisation_dbt_assets),
    op_retry_policy=TRANSIENT_RETRIES,
    description="dbt build: code-list seeds, staging and intermediate models, their tests and unit tests, and their gates.",
)

linkage_job = dg.define_asset_job(
    name="linkage_job",
    selection=dg.AssetSelection.groups("linkage") - dg.AssetSelection.assets(PERSON_MODEL_KEY),
    op_retry_policy=TRANSIENT_RETRIES,
    description="Addresses to UPRNs, records to persons (with the saved model), household spells and families, and their evaluation where a truth exists.",
)

person_model_job = dg.define_asset_job(
    name="person_model_job",
    selection=dg.AssetSelection.assets(PERSON_MODEL_KEY),
    description="Retrain the person linkage model on the warehouse and save it as the next version; later linkage runs use it.",
)

marts_job = dg.define_asset_job(
    name="marts_job",
    selection=dg.AssetSelection.assets(marts_dbt_assets) | dg.AssetSelection.groups("evaluation", "publication", "analysts"),
    op_retry_policy=TRANSIENT_RETRIES,
    description="dbt build of the linked models and the marts, the evaluations, the disclosure-controlled publication tables, and the analysts' "
    "read-only snapshot.",
)
