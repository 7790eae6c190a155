"""Great Expectations gates on staging, intermediate, marts and publication, written as code and
run inside DuckDB through GX's SQL datasource (duckdb-engine).

Each gate is one suite on one table. A critical gate blocks the run when it fails (keys, referential
integrity, reconciliation with the layer below, disclosure); the others warn (value sets, ranges,
the distribution of key rates). Every run appends one row per expectation to `audit.gate_results`
and rebuilds the GX Data Docs site under `data/docs/gx/`.

GX itself is imported when the gates run, not with this module: Dagster loads the gates with its
definitions in every process (the webserver's code server, each run's worker), and GX takes ~5 s
to import.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ingestion.bookkeeping import create_bookkeeping_table
from warehouse.connection import connect, duckdb_settings

from .docs_assets import localise

if TYPE_CHECKING:
    import great_expectations as gx
    from great_expectations.execution_engine.sqlalchemy_execution_engine import SqlAlchemyExecutionEngine

DATASOURCE = "warehouse"
DOCS_SITE = "hearth_data_docs"


def _execute_query_buffered(self: SqlAlchemyExecutionEngine, query):
    """`execute_query` that fetches every row before the connection goes back to the pool."""
    with self.get_connection() as connection:
        return self._execute_query_with_recovery(connection, query).freeze()()


def patch_gx_for_duckdb() -> None:
    """Make GX's SQL engine usable on DuckDB; called where the gates' GX context is set up.

    duckdb-engine's cursor is its connection, so rows fetched after GX returns the connection to
    the pool come back empty and every metric fails (great_expectations issue #11579). The patch
    buffers the rows first. Drop it when GX fixes the bug or ships its native DuckDB engine.
    """
    from great_expectations.execution_engine.sqlalchemy_execution_engine import SqlAlchemyExecutionEngine

    SqlAlchemyExecutionEngine.execute_query = _execute_query_buffered


@dataclass(frozen=True)
class Rule:
    """One GX expectation: its class in `great_expectations.expectations` and its arguments (lists
    as tuples), made into the GX object when the gates run. `threshold` says what passes, as the
    stewards' overview shows it beside the figure; it travels in the expectation's meta."""

    expectation: str
    arguments: tuple[tuple[str, object], ...]
    threshold: str

    def build(self) -> gx.expectations.Expectation:
        import great_expectations as gx

        arguments = {name: list(value) if isinstance(value, tuple) else value for name, value in self.arguments}
        return getattr(gx.expectations, self.expectation)(**arguments, meta={"threshold": self.threshold})


@dataclass(frozen=True)
class Gate:
    table: str  # schema.table
    critical: bool
    expectations: tuple[Rule, ...]

    @property
    def name(self) -> str:
        return f"{self.table}.{'critical' if self.critical else 'warning'}"

    @property
    def layer(self) -> str:
        return self.table.split(".")[0]


def _unique(*columns: str) -> Rule:
    if len(columns) == 1:
        return Rule("ExpectColumnValuesToBeUnique", (("column", columns[0]),), "no duplicate values")
    return Rule("ExpectCompoundColumnsToBeUnique", (("column_list", columns),), "no duplicate combinations")


def _not_null(column: str) -> Rule:
    return Rule("ExpectColumnValuesToNotBeNull", (("column", column),), "no nulls")


def _in_set(column: str, *values: object) -> Rule:
    return Rule("ExpectColumnValuesToBeInSet", (("column", column), ("value_set", values)), f"every value one of {', '.join(map(str, values))}")


def _between(column: str, low: float, high: float) -> Rule:
    return Rule("ExpectColumnValuesToBeBetween", (("column", column), ("min_value", low), ("max_value", high)), f"every value from {low} to {high}")


def _rate_between(column: str, low: float, high: float) -> Rule:
    """The share of rows where a flag holds (a key rate) stays in a plausible band."""
    return _rows(
        f"share of rows with {column} between {low} and {high}",
        f"select avg(case when {column} then 1.0 else 0 end) as rate from {{batch}} having rate < {low} or rate > {high}",
        f"share from {low} to {high}",
    )


def _rows(description: str, query: str, threshold: str = "no rows") -> Rule:
    """Rows the query returns are failures; `{batch}` is the table under test."""
    return Rule("UnexpectedRowsExpectation", (("unexpected_rows_query", query), ("description", description)), threshold)


def _reconciles(description: str, expected_count_sql: str) -> Rule:
    return _rows(description, f"select count(*) as rows from {{batch}} having count(*) != ({expected_count_sql})", "row counts equal")


GATES: tuple[Gate, ...] = (
    Gate(
        "staging.stg_school_census__pupil_terms",
        True,
        (
            _unique("record_id"),
            _not_null("census_date"),
            _reconciles("one staging row per raw row", "select count(*) from raw.school_census"),
        ),
    ),
    Gate("staging.stg_school_census__pupil_terms", False, (_in_set("fsm_eligible", True, False),)),
    *(
        Gate(
            f"staging.stg_school_census__{part}",
            True,
            (_unique("record_id"), _reconciles("one staging row per raw row", f"select count(*) from raw.school_census_{part}")),
        )
        for part in ("attendance", "exclusions", "sen")
    ),
    Gate(
        "staging.stg_school_census__attendance",
        False,
        (_rows("sessions missed within sessions possible", "select * from {batch} where sessions_missed > sessions_possible"),),
    ),
    Gate(
        "staging.stg_hes_apc__episodes",
        True,
        (
            _unique("record_id"),
            _reconciles("one staging row per raw row", "select count(*) from raw.hes_apc"),
        ),
    ),
    Gate(
        "staging.stg_ecds__attendances",
        True,
        (
            _unique("record_id"),
            _reconciles("one staging row per raw row", "select count(*) from raw.ecds"),
        ),
    ),
    Gate(
        "intermediate.int_person_records",
        True,
        (
            _unique("record_id"),
            _not_null("source"),
            _reconciles(
                "one person record per staging person row (school census: per complete pupil term; SSD: per child and year beyond the CIN census)",
                "select (select count(*) from staging.stg_census_2021__persons) + (select count(*) from intermediate.int_school_terms)"
                " + (select count(*) from staging.stg_cin_census__children) + (select count(*) from staging.stg_ssda903__children)"
                " + (select count(*) from (select la_code, person_id, collection_year from staging.stg_ssd__persons"
                " except select la_code, la_child_id, collection_year from staging.stg_cin_census__children))"
                " + (select count(*) from staging.stg_hes_apc__episodes) + (select count(*) from staging.stg_youth_justice__offences)"
                " + (select count(*) from staging.stg_cnis__register)"
                " + (select count(*) from staging.stg_ecds__attendances)",
            ),
        ),
    ),
    Gate(
        "intermediate.int_person_records",
        False,
        (
            _in_set("sex", "female", "male", "unknown"),
            _rate_between("sex = 'unknown'", 0.0, 0.05),
        ),
    ),
    Gate(
        "intermediate.int_service_episodes",
        True,
        (
            _unique("service_episode_id"),
            _in_set("service", "child_in_need", "child_protection", "looked_after"),
            _rows("episodes end on or after they start", "select * from {batch} where end_date < start_date"),
        ),
    ),
    Gate("marts.children", True, (_unique("person_key"), _not_null("person_key"))),
    Gate(
        "marts.children",
        False,
        (
            _in_set("sex", "female", "male", "unknown"),
            _in_set("ethnicity_broad", "asian", "black", "mixed", "white", "other"),
            _between("birth_month", 1, 12),
            _rate_between("family_key is not null", 0.3, 1.0),
        ),
    ),
    Gate(
        "marts.households",
        True,
        (
            _unique("household_key"),
            _not_null("property_key"),
            _reconciles("one row per linked household spell", "select count(*) from linkage.household_spells"),
        ),
    ),
    Gate(
        "marts.households",
        False,
        (
            _between("imd_decile", 1, 10),
            _between("members", 1, 30),
            _in_set(
                "composition",
                "one adult with children",
                "two or more adults with children",
                "children without an adult seen",
                "one adult",
                "two or more adults",
            ),
        ),
    ),
    Gate("marts.families", True, (_unique("family_key"), _in_set("anchor_role", "mother", "father"))),
    Gate(
        "marts.child_service_episodes",
        True,
        (
            _unique("person_key", "episode_number"),
            _rows("every episode's child is in marts.children", "select * from {batch} where person_key not in (select person_key from marts.children)"),
            _reconciles("one row per linked episode with a person", "select count(*) from linked.linked_service_episodes where person_key is not null"),
        ),
    ),
    Gate(
        "marts.child_service_episodes",
        False,
        (
            _in_set("service", "child_in_need", "child_protection", "looked_after"),
            _rate_between("is_reentry", 0.0, 0.5),
        ),
    ),
    Gate(
        "marts.children_not_in_school",
        True,
        (
            _unique("person_key", "last_census_date"),
            _rows("every departure's child is in marts.children", "select * from {batch} where person_key not in (select person_key from marts.children)"),
        ),
    ),
    Gate("marts.children_not_in_school", False, (_in_set("register", "CME", "EHE"), _between("censuses_missed", 1, 100))),
    Gate("marts.workforce_capacity", True, (_unique("la_code", "census_year"),)),
    Gate(
        "marts.workforce_capacity",
        False,
        (_between("agency_rate_fte", 0, 1), _between("turnover_rate_fte", 0, 1), _between("vacancy_rate_fte", 0, 1), _between("caseload_per_fte", 0, 100)),
    ),
    Gate(
        "marts.social_worker_continuity",
        True,
        (
            _unique("person_key", "collection_year"),
            _rows("every child-year's child is in marts.children", "select * from {batch} where person_key not in (select person_key from marts.children)"),
        ),
    ),
    Gate(
        "marts.service_inputs",
        True,
        (
            _unique("person_key", "service_number"),
            _rows("every service's child is in marts.children", "select * from {batch} where person_key not in (select person_key from marts.children)"),
            _reconciles("one row per linked service with a person", "select count(*) from linked.linked_services_provided where person_key is not null"),
        ),
    ),
    Gate(
        "marts.service_inputs",
        False,
        (
            _in_set("episode_type", "early_help", "child_in_need"),
            _between("sessions_delivered", 0, 10_000),
        ),
    ),
    Gate(
        "marts.household_hardship",
        True,
        (
            _unique("household_key", "census_year"),
            _rows(
                "every row's household is in marts.households", "select * from {batch} where household_key not in (select household_key from marts.households)"
            ),
        ),
    ),
    Gate(
        "marts.household_hardship",
        False,
        (
            _rows("FSM-eligible pupils within pupils", "select * from {batch} where fsm_eligible_pupils > pupils"),
            _between("census_deprivation_dimensions", 0, 4),
            _rate_between("any_pupil_fsm_eligible", 0.02, 0.7),
        ),
    ),
    Gate("marts.family_mental_health", True, (_unique("family_key"),)),
    Gate("marts.pupil_send_outcomes", True, (_unique("person_key", "census_year"),)),
    Gate("marts.pupil_send_outcomes", False, (_in_set("sen_provision_code", "N", "K", "E"), _between("absence_rate", 0, 1))),
    Gate(
        "marts.pupil_education_engagement",
        True,
        (
            _unique("person_key", "census_year"),
            _reconciles("one row per linked pupil year", "select count(*) from linked.linked_pupil_years"),
        ),
    ),
    Gate(
        "marts.pupil_education_engagement",
        False,
        (
            _between("absence_rate", 0, 1),
            _rate_between("persistent_absence", 0.02, 0.5),
            _rate_between("severe_absence", 0.0, 0.1),
        ),
    ),
    Gate("marts.child_dual_system", True, (_unique("person_key"),)),
    Gate("marts.assessment_harm_context", True, (_unique("person_key", "assessment_number"),)),
    Gate(
        "publication.la_year_indicators",
        True,
        (
            _rows("no published count below 10 or off a multiple of 5", "select * from {batch} where children < 10 or children % 5 != 0"),
            _rows(
                "no single hidden cell beside a published total",
                "select collection_year, indicator from {batch} group by all "
                "having sum(case when children is null and la_code != 'all' then 1 else 0 end) = 1 "
                "and bool_or(children is not null and la_code = 'all')",
            ),
        ),
    ),
)


@dataclass(frozen=True)
class GateResult:
    gate: Gate
    passed: bool
    failed_rules: tuple[str, ...]
    rules: int


def _context(gx_root: Path, docs_dir: Path):
    """The file-backed GX project of the gates, set up for DuckDB and quiet run logs."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    patch_gx_for_duckdb()
    gx_root.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(gx_root))
    # GX draws a progress bar per metric batch; in Dagster's run logs that is noise.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    sites = context.list_data_docs_sites()
    if DOCS_SITE not in sites:
        context.add_data_docs_site(
            site_name=DOCS_SITE,
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir.resolve())},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    return context


def _rule(config) -> str:
    """The expectation as a steward reads it: its description, or its type and arguments."""
    kwargs = {k: v for k, v in config.kwargs.items() if k not in ("batch_id", "result_format", "unexpected_rows_query")}
    return config.description or f"{config.type}({', '.join(f'{k}={v}' for k, v in kwargs.items())})"


def run_gates(database: Path, gx_root: Path, docs_dir: Path, stage: str, gates: tuple[Gate, ...], run_id: str) -> list[GateResult]:
    """Validate each gate's table, append every expectation's outcome to `audit.gate_results` and
    rebuild the Data Docs. Each `stage` keeps its own GX datasource and checkpoint. The warehouse
    must not be open for writing elsewhere."""
    import great_expectations as gx

    context = _context(gx_root, docs_dir)
    datasource = context.data_sources.add_or_update_sql(
        name=f"{DATASOURCE}_{stage}",
        connection_string=f"duckdb:///{database.resolve()}",
        kwargs={"connect_args": {"config": duckdb_settings(database)}},  # GX's connections are bounded as Hearth's are
    )
    definitions = []
    for gate in gates:
        asset_name = gate.table
        asset = next((a for a in datasource.assets if a.name == asset_name), None) or datasource.add_query_asset(
            name=asset_name, query=f"select * from {gate.table}"
        )
        batch = next((b for b in asset.batch_definitions if b.name == "whole table"), None) or asset.add_batch_definition_whole_table("whole table")
        suite = context.suites.add_or_update(gx.ExpectationSuite(name=gate.name, expectations=[rule.build() for rule in gate.expectations]))
        definitions.append(context.validation_definitions.add_or_update(gx.ValidationDefinition(name=gate.name, data=batch, suite=suite)))
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=f"{stage}_gates",
            validation_definitions=definitions,
            actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=[DOCS_SITE])],
            result_format={"result_format": "SUMMARY"},
        )
    )
    try:
        outcome = checkpoint.run(run_id=gx.core.run_identifier.RunIdentifier(run_name=run_id))
    finally:
        # DuckDB: release the file before anyone else in this process opens it.
        datasource.get_engine().dispose()
        datasource.get_execution_engine().engine.dispose()
    localise(docs_dir)
    by_suite = {result.suite_name: result for result in outcome.run_results.values()}
    now = datetime.now(UTC)
    results, rows = [], []
    for gate in gates:
        validation = by_suite[gate.name]
        failed = []
        # Each result names its own expectation: GX need not return them in the suite's order.
        for result in validation.results:
            rule = _rule(result.expectation_config)
            observed = result.result.get("observed_value", result.result.get("unexpected_count"))
            if result.exception_info and result.exception_info.get("raised_exception"):
                observed = result.exception_info.get("exception_message")
            if not result.success:
                failed.append(rule)
            rows.append(
                (
                    run_id,
                    now,
                    "great_expectations",
                    gate.layer,
                    gate.table,
                    gate.name,
                    rule,
                    gate.critical,
                    bool(result.success),
                    None if observed is None else str(observed),
                    result.expectation_config.meta.get("threshold"),
                )
            )
        results.append(GateResult(gate, not failed, tuple(failed), len(gate.expectations)))
    with connect(str(database)) as con:
        record_gate_results(con, rows)
    return results


GATE_COLUMNS = ("run_id", "checked_at", "tool", "layer", "table_name", "gate", "rule", "critical", "passed", "observed", "threshold")


def record_gate_results(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    """Append rows in GATE_COLUMNS' order. A writer that knows no threshold leaves it off (dbt: any
    failing row fails a test), and the row reads null there."""
    create_bookkeeping_table(con, "audit.gate_results")
    if rows:
        padded = [(*row, *([None] * (len(GATE_COLUMNS) - len(row)))) for row in rows]
        con.executemany(f"insert into audit.gate_results ({', '.join(GATE_COLUMNS)}) values ({', '.join('?' * len(GATE_COLUMNS))})", padded)


def build_data_docs(gx_root: Path, docs_dir: Path) -> Path | None:
    """Rebuild the Data Docs site from the stored validation results; None where GX never ran."""
    if not (gx_root / "gx" / "great_expectations.yml").exists():
        return None
    _context(gx_root, docs_dir).build_data_docs(site_names=[DOCS_SITE])
    localise(docs_dir)
    return docs_dir / "index.html"
