"""Raw ingestion: one multi-asset per source (one asset per raw table), built by one factory.

Each run reads a source's extracts for the selected collection years, validates them with the
pandera schemas in `validations/`, loads valid rows into `raw.<table>` and rejected rows into
`quarantine.rejected_rows`. Two checks sit beside every table: rows reconcile per file, and
the quarantine rate stays within the source's threshold (blocking: downstream assets wait).
"""

from collections import Counter

import dagster as dg
import duckdb

from ingestion.bookkeeping import relation_exists
from ingestion.files import FileRejected
from ingestion.load import IngestionRun, ensure_schemas, ingest
from ingestion.quarantine_gate import MINIMUM_ROWS, QUARANTINE_GATE, QuarantineGate
from ingestion.registry import SOURCES, Source
from orchestration.partitions import collection_year_partitions
from orchestration.resources import WAREHOUSE_POOL, HearthPaths, Warehouse
from validations.raw_schemas import RAW_TABLES

RECONCILE_CHECK = "rows_reconcile"
GATE_CHECK = QUARANTINE_GATE


class IngestionGates(dg.ConfigurableResource):
    """The quarantine-rate gate's settings (`ingestion.quarantine_gate`): thresholds per source, a
    source not named keeping its registry default, and the rows a table needs held to block."""

    thresholds: dict[str, float] = {}  # noqa: RUF012 (pydantic copies field defaults per instance)
    minimum_rows: int = MINIMUM_ROWS

    def rule(self) -> QuarantineGate:
        return QuarantineGate(self.thresholds, self.minimum_rows)


def raw_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", table])


def reconcile(con: duckdb.DuckDBPyConnection, table: str, years: list[int]) -> list[tuple[str, int, int, int]]:
    """Per file: (file, rows read, rows in raw, distinct rows held in quarantine), counted from the tables themselves.
    A row a steward's decision released is in raw and stays in quarantine marked released, so it counts once, in raw."""
    if not relation_exists(con, f"raw.{table}"):
        return []
    return con.execute(
        f"""
        select f.source_file, f.rows_read,
               (select count(*) from raw.{table} r where r._source_file = f.source_file),
               (select count(distinct q.row_number) from quarantine.rejected_rows q
                where q.table_name = ? and q.source_file = f.source_file and q.release_run_id is null)
        from audit.ingested_files f
        where f.table_name = ? and f.collection_year in (select unnest(?::integer[]))
        order by f.source_file
        """,
        [table, table, years],
    ).fetchall()


def build_ingestion_asset(source: Source, partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    specs = [
        dg.AssetSpec(
            raw_key(table),
            description=RAW_TABLES[table].description,
            kinds={"duckdb", "pandera"},
            metadata={"source": source.name, "columns": ", ".join(RAW_TABLES[table].column_names)},
        )
        for table in source.tables
    ]
    checks = [
        spec
        for table in source.tables
        for spec in (
            dg.AssetCheckSpec(RECONCILE_CHECK, asset=raw_key(table), description="For every file: rows read = rows in raw + rows held in quarantine."),
            dg.AssetCheckSpec(
                GATE_CHECK,
                asset=raw_key(table),
                blocking=True,
                description="Share of rows quarantined stays within the source's threshold; above it, downstream assets do not run.",
            ),
        )
    ]

    @dg.multi_asset(
        pool=WAREHOUSE_POOL,
        name=f"ingest_{source.name}",
        specs=specs,
        check_specs=checks,
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        description=source.description,
    )
    def ingest_source(context: dg.AssetExecutionContext, warehouse: Warehouse, paths: HearthPaths, gates: IngestionGates):
        years = [int(key) for key in context.partition_keys]
        with warehouse.get_connection() as con:
            try:
                run = ingest(con, source, years, paths.landing, context.run.run_id)
            except FileRejected as exc:
                raise dg.Failure(
                    description=f"{source.name} {', '.join(map(str, years))}: file rejected, nothing loaded by this run. {exc.path}: {exc.problem}",
                    metadata={"file": exc.path, "problem": exc.problem},
                    allow_retries=False,
                ) from exc
            ensure_schemas(con)
            for table in source.tables:
                yield dg.MaterializeResult(asset_key=raw_key(table), metadata=_table_metadata(run.for_table(table), run))
            rule = gates.rule()
            threshold = rule.threshold(source)
            for table in source.tables:
                yield _reconcile_result(table, reconcile(con, table, years))
                yield _gate_result(table, run.for_table(table), threshold, rule)

    return ingest_source


def _table_metadata(files, run: IngestionRun) -> dict:
    failures: Counter[str] = Counter()
    for f in files:
        failures.update(f.failures_by_rule)
    return {
        "files": len(files),
        "files_unchanged": sum(f.status == "unchanged" for f in files),
        "rows_read": sum(f.rows_read for f in files),
        "rows_loaded": sum(f.rows_loaded for f in files),
        "rows_quarantined": sum(f.rows_quarantined for f in files),
        "failures_by_rule": dg.MetadataValue.json(dict(failures)),
        # Warnings, not failures: columns the table does not declare, kept in raw's _extra_columns.
        "extra_columns": dg.MetadataValue.json({f.source_file: list(f.extra_columns) for f in files if f.extra_columns}),
        "encodings": dg.MetadataValue.json(dict(Counter(f.encoding for f in files))),
        "seconds_read_validate_write": dg.MetadataValue.json([round(run.seconds_read, 2), round(run.seconds_validate, 2), round(run.seconds_write, 2)]),
    }


def _reconcile_result(table: str, rows: list[tuple[str, int, int, int]]) -> dg.AssetCheckResult:
    broken = [f"{file}: read {read}, loaded {loaded}, quarantined {quarantined}" for file, read, loaded, quarantined in rows if read != loaded + quarantined]
    return dg.AssetCheckResult(
        asset_key=raw_key(table),
        check_name=RECONCILE_CHECK,
        passed=not broken,
        description="Every file reconciles." if not broken else "Rows lost or double-counted: " + "; ".join(broken),
        metadata={
            "files_checked": len(rows),
            "rows_read": sum(r[1] for r in rows),
            "rows_loaded": sum(r[2] for r in rows),
            "rows_quarantined": sum(r[3] for r in rows),
        },
    )


def _gate_result(table: str, files, threshold: float, rule: QuarantineGate) -> dg.AssetCheckResult:
    read = sum(f.rows_read for f in files)
    quarantined = sum(f.rows_quarantined for f in files)
    rate = quarantined / read if read else 0.0
    passed = not rule.blocks(quarantined, read, threshold)
    minimum_rows = rule.minimum_rows
    worst = sorted(((f.rows_quarantined / f.rows_read if f.rows_read else 0.0), f.source_file) for f in files)[-3:]
    return dg.AssetCheckResult(
        asset_key=raw_key(table),
        check_name=GATE_CHECK,
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"{quarantined} of {read} rows quarantined ({rate:.2%}), within the threshold of {threshold:.2%}"
            + (f" or fewer than the {minimum_rows} rows a table needs quarantined to block." if rate > threshold else ".")
            if passed
            else f"{quarantined} of {read} rows quarantined ({rate:.2%}) exceeds the threshold of {threshold:.2%}: "
            "downstream assets are held until the extract is fixed or the threshold is raised. See quarantine.rejected_rows."
        ),
        metadata={
            "rate": rate,
            "threshold": threshold,
            "minimum_rows": minimum_rows,
            "worst_files": dg.MetadataValue.json([{"file": f, "rate": round(r, 4)} for r, f in worst]),
        },
    )


ingestion_assets = [build_ingestion_asset(source, collection_year_partitions) for source in SOURCES]
