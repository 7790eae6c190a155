"""A schedule per collection: termly after each school census day, annually when the year-to-March
returns are due. Each tick asks for the collection year it falls in, if Hearth partitions by it."""

import dagster as dg

from ingestion.registry import SOURCES
from orchestration.jobs import AssetJob, ingestion_jobs
from orchestration.partitions import collection_year_partitions


def build_collection_schedules(jobs: dict[str, AssetJob], partitions: dg.StaticPartitionsDefinition) -> list[dg.ScheduleDefinition]:
    schedules = []
    for source in SOURCES:
        if source.schedule is None:
            continue

        @dg.schedule(
            name=f"{source.name}_collection",
            cron_schedule=source.schedule,
            job=jobs[source.name],
            execution_timezone="Europe/London",
            description=f"Ingest {source.name} when its extracts are due ({source.schedule}); the partition is the tick's year.",
        )
        def _collection(context: dg.ScheduleEvaluationContext, source_name: str = source.name) -> dg.RunRequest | dg.SkipReason:
            year = str(context.scheduled_execution_time.year)
            if year not in partitions.get_partition_keys():
                return dg.SkipReason(f"{year} is not a collection year Hearth partitions by (HEARTH_COLLECTION_YEARS).")
            return dg.RunRequest(
                run_key=f"{source_name}|{year}|{context.scheduled_execution_time:%Y-%m-%d}", partition_key=year, tags={"hearth/source": source_name}
            )

        schedules.append(_collection)
    return schedules


collection_schedules = build_collection_schedules(ingestion_jobs, collection_year_partitions)
