"""What the stewards' dashboard shows, read from the warehouse (read-only) and the site folder.

Gates: every dbt test and Great Expectations suite in `audit.gate_results`, with its latest result
and its last ten runs. Ingestion's quarantine-rate gate and the DfE rules' gate are Dagster asset
checks whose outcomes `audit.gate_results` does not hold: they are worked out again here, from
`audit.ingested_files` and `audit.validation_results`, with the thresholds and blocking codes in
force (the same settings Dagster's resources read). Quarantine: rates by source and collection
year, and per rule where the held rows are. No query reads `offending_value` or `record`: they
hold the rows' names, NHS numbers, UPNs, postcodes and dates of birth.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from urllib.parse import quote

import duckdb

from ingestion.bookkeeping import relation_exists
from ingestion.load import UNEXPECTED_COLUMNS_RULE
from ingestion.quarantine_gate import QUARANTINE_GATE, QuarantineGate
from ingestion.registry import SOURCE_OF_TABLE, SOURCES
from linkage.evaluation import MIN_GROUP_PERSONS
from orchestration.settings import DBT_PROJECT_DIR, quarantine_thresholds
from validations.dfe_gate import RESULTS_VIEW, SOURCE_OF_VALIDATOR, TOTAL_RULE, blocking_rules
from warehouse.connection import connect

TREND_RUNS = 10
ROWS_LISTED = 20  # row numbers listed per quarantine rule and cell; the rest are counted
STAGES = ("raw", "staging", "intermediate", "linkage", "marts", "publication")
STATUSES = ("blocking", "warning", "passed")
ALL_SOURCES, LINKED = "all sources", "linked"
# dbt's layers (orchestration.assets.dbt: the model's folder, "reference" for seeds) as pipeline stages.
STAGE_OF_LAYER = {"reference": "staging", "linked": "linkage"}
DBT_THRESHOLD = "0 failing rows"  # dbt's default, which no Hearth test changes


@dataclass(frozen=True)
class RuleOutcome:
    rule: str
    passed: bool
    figure: str
    threshold: str


@dataclass(frozen=True)
class RunOutcome:
    """One run of a gate on its trend chart: `value` is the gate's measure in that run."""

    checked_at: datetime
    value: float
    status: str


@dataclass(frozen=True)
class GateView:
    stage: str
    source: str
    tool: str
    table: str
    gate: str
    status: str  # blocking, warning or passed
    checked_at: datetime
    rules: tuple[RuleOutcome, ...]
    trend: tuple[RunOutcome, ...]
    measure: str  # what the trend's values count
    limit: float | None = None  # the threshold line of the trend, where the threshold is one number
    page: str | None = None  # the GX validation page of the latest run, relative to the site folder
    figure: str = ""  # the gate's own figure and threshold, where one number says it (else its failing rules')
    threshold: str = ""

    @property
    def failing(self) -> tuple[RuleOutcome, ...]:
        return tuple(r for r in self.rules if not r.passed)

    @property
    def anchor(self) -> str:
        return "gate-" + "".join(c if c.isalnum() else "-" for c in f"{self.tool}-{self.gate}-{self.table}").strip("-")


@dataclass(frozen=True)
class QuarantineCell:
    source: str
    year: int
    files: int
    rows_read: int
    rows_held: int

    @property
    def rate(self) -> float:
        return self.rows_held / self.rows_read if self.rows_read else 0.0


@dataclass(frozen=True)
class QuarantineRule:
    """Where one rule's held rows are in one source's year: files, the first row numbers, and
    the DfE rule codes the DfE validators report at the same rows."""

    source: str
    year: int
    table: str
    rule: str
    columns: str
    message: str
    rows_held: int
    files: tuple[str, ...]
    rows: tuple[tuple[str, int], ...]  # (file, row number), the first ROWS_LISTED
    dfe_codes: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[tuple]


@dataclass(frozen=True)
class Dashboard:
    gates: list[GateView]
    thresholds: dict[str, float]
    quarantine: list[QuarantineCell]
    quarantine_rules: list[QuarantineRule]
    dfe_codes: dict[tuple[str, int], list[tuple[str, str, int]]]  # (source, year): (code, message, hits)
    ingestion: Table
    extra_columns: Table
    dfe_rules: Table
    linkage_trend: list[tuple[datetime, str, str, float]]  # (evaluated_at, stage, metric, value)
    linkage: Table
    linkage_quality: Table
    linkage_bias: Table


# --- gates in audit.gate_results (dbt, Great Expectations) --------------------------------------

LATEST_GATES_SQL = """
with latest as (
    select tool, layer, table_name, gate, run_id, checked_at, rule, critical, passed, observed, {threshold} as threshold
    from audit.gate_results
    qualify checked_at = max(checked_at) over (partition by tool, table_name, gate)
)
select * from latest order by tool, table_name, gate, passed, rule
"""

GATE_TRENDS_SQL = f"""
with runs as (
    select tool, table_name, gate, checked_at, bool_and(passed) as passed, bool_or(critical) as critical,
           count(*) filter (where not passed) as failing_rules, sum(try_cast(observed as double)) as observed
    from audit.gate_results
    group by tool, table_name, gate, checked_at
),
recent as (
    select *, row_number() over (partition by tool, table_name, gate order by checked_at desc) as age from runs
)
select tool, table_name, gate, checked_at, passed, critical, failing_rules, observed
from recent where age <= {TREND_RUNS} order by checked_at
"""

# --- ingestion's quarantine-rate gate, per raw table -----------------------------------------

RAW_GATES_SQL = """
with tables as (
    select source, table_name, sum(rows_read) as rows_read, sum(rows_quarantined) as rows_held, max(loaded_at) as checked_at
    from audit.ingested_files
    group by source, table_name
)
select * from tables order by source, table_name
"""

# Each load run's share quarantined of the files it read (`*` is pandera's per-file total).
RAW_TRENDS_SQL = f"""
with runs as (
    select table_name, load_run_id, max(checked_at) as checked_at, sum(failures) as rows_held, sum(rows_checked) as rows_read
    from audit.validation_results
    where rule = '*'
    group by table_name, load_run_id
),
recent as (
    select *, row_number() over (partition by table_name order by checked_at desc) as age from runs
)
select table_name, checked_at, rows_held, rows_read from recent where age <= {TREND_RUNS} order by checked_at
"""

# --- the DfE rules' gate, per validator and collection year ----------------------------------

DFE_TRENDS_SQL = f"""
with runs as (
    select validator, source, collection_year, load_run_id, max(checked_at) as checked_at,
           sum(failures) filter (where rule = '{TOTAL_RULE}') as hits,
           bool_or(list_contains($blocking, rule)) as blocked
    from audit.validation_results
    where validator in ({", ".join(f"'{v}'" for v in SOURCE_OF_VALIDATOR)})
    group by validator, source, collection_year, load_run_id
),
recent as (
    select *, row_number() over (partition by validator, collection_year order by checked_at desc) as age from runs
)
select validator, source, collection_year, checked_at, hits, blocked from recent where age <= {TREND_RUNS} order by checked_at
"""

DFE_CODES_SQL = f"""
select validator, source, collection_year, rule_code, any_value(rule_message) as message, count(*) as hits
from {RESULTS_VIEW}
group by validator, source, collection_year, rule_code
order by hits desc, rule_code
"""

# --- quarantine -------------------------------------------------------------------------------

# Held rows (not released by a steward) over rows read, per source and collection year.
QUARANTINE_SQL = """
with held as (
    select table_name, source_file, count(distinct row_number) as rows_held
    from quarantine.rejected_rows
    where release_run_id is null
    group by table_name, source_file
),
files as (
    select f.source, f.collection_year, f.rows_read, coalesce(h.rows_held, 0) as rows_held
    from audit.ingested_files as f
    left join held as h using (table_name, source_file)
)
select source, collection_year, count(*) as files, sum(rows_read) as rows_read, sum(rows_held) as rows_held
from files group by source, collection_year order by source, collection_year
"""

# Per rule: where its held rows are. The DfE codes are matched on file and row for CSV returns,
# whose rows both count the same way (a CIN XML's validator tables do not number as Hearth's do).
QUARANTINE_RULES_SQL = f"""
with held as (
    select f.source, q.collection_year, q.table_name, q.rule, q.column_name, q.message, q.source_file, q.row_number,
           struct_pack(q.source_file, q.row_number) as file_row
    from quarantine.rejected_rows as q
    inner join audit.ingested_files as f using (table_name, source_file)
    where q.release_run_id is null
),
dfe as ({{dfe}}),
dfe_at_rows as (
    select h.source, h.collection_year, h.table_name, h.rule, list(distinct d.rule_code order by d.rule_code) as codes
    from held as h
    inner join dfe as d on d.source_file = h.source_file and d.row_number = h.row_number
    where h.source_file not like '%.xml'
    group by all
),
rules as (
    select source, collection_year, table_name, rule,
           string_agg(distinct column_name, '; ') as columns, any_value(message) as message,
           count(distinct file_row) as rows_held,
           list(distinct source_file order by source_file) as files,
           list(distinct file_row order by file_row)[1:{ROWS_LISTED}] as first_rows
    from held group by source, collection_year, table_name, rule
)
select r.*, coalesce(d.codes, []) as dfe_codes
from rules as r
left join dfe_at_rows as d using (source, collection_year, table_name, rule)
order by r.source, r.collection_year, r.rows_held desc, r.table_name, r.rule
"""
DFE_ROWS = f"select source_file, row_number, rule_code from {RESULTS_VIEW}"
NO_DFE_ROWS = "select null::varchar as source_file, null::bigint as row_number, null::varchar as rule_code where false"

# --- the existing tables: ingestion, DfE, linkage -----------------------------------------------

INGESTION_SQL = """
with recent_loads as (
    select load_run_id from audit.validation_results where rule = '*' group by load_run_id order by max(checked_at) desc limit 50
)
select source, table_name, max(checked_at) as checked_at, sum(rows_checked) as rows_checked, sum(failures) as rows_quarantined
from audit.validation_results
where rule = '*' and load_run_id in (select load_run_id from recent_loads)
group by all order by source, table_name
"""

# Columns a file's current load carried that its table does not declare: kept in raw's _extra_columns.
EXTRA_COLUMNS_SQL = f"""
select r.source, r.table_name, r.source_file, substr(r.rule, length('{UNEXPECTED_COLUMNS_RULE}:') + 1) as columns_kept,
       r.rows_checked as rows, r.checked_at
from audit.validation_results as r
inner join audit.ingested_files as f using (table_name, source_file, load_run_id)
where r.rule like '{UNEXPECTED_COLUMNS_RULE}:%'
order by r.source, r.table_name, r.source_file
"""

# The DfE validators' hits by rule code, per LA and year, as the DfE submission portal lists them.
DFE_RULES_SQL = f"""
select collection_year as year, la_code as la, rule_code as "DfE rule", any_value(rule_message) as message,
       count(*) as hits, count(distinct child_id) as children, string_agg(distinct source_file, ', ') as files
from {RESULTS_VIEW} group by collection_year, la_code, rule_code
order by year desc, la, hits desc, "DfE rule"
"""

# Shares (0 to 1) of each linkage stage, every evaluation.
LINKAGE_TREND_SQL = """
select evaluated_at, stage, metric, value
from audit.linkage_evaluation
where source = 'all' and breakdown is null and value between 0 and 1
  and regexp_matches(metric, '(precision|recall|f1|rate|share)$')
order by evaluated_at, stage, metric
"""

LINKAGE_SQL = """
with latest as (
    select *, row_number() over (partition by stage, metric order by evaluated_at desc) as age
    from audit.linkage_evaluation
    where source = 'all' and breakdown is null and stage != 'person_linkage_quality'
)
select stage, metric, value, evaluated_at from latest where age = 1 order by stage, metric
"""

# What person linkage says of itself without a truth (production too): the latest run's figures.
LINKAGE_QUALITY_SQL = """
with latest_run as (
    select run_id from audit.linkage_evaluation where stage = 'person_linkage_quality' order by evaluated_at desc limit 1
)
select coalesce(breakdown, 'overall') as breakdown, category, metric, value, records
from audit.linkage_evaluation
where stage = 'person_linkage_quality' and run_id = (select run_id from latest_run)
order by breakdown nulls first, category, metric
"""

# Recall and precision by person group against the truth, one row a category, small groups flagged.
LINKAGE_BIAS_SQL = f"""
with latest_run as (
    select run_id from audit.linkage_evaluation where stage = 'record_to_person_by_group' order by evaluated_at desc limit 1
),
latest as (
    select * from audit.linkage_evaluation
    where stage = 'record_to_person_by_group' and run_id = (select run_id from latest_run)
)
select breakdown, category, any_value(records) as true_persons,
       case when any_value(records) < {MIN_GROUP_PERSONS} then 'small group' else '' end as note,
       max(value) filter (where metric = 'cluster_recall') as cluster_recall,
       max(value) filter (where metric = 'cluster_precision') as cluster_precision,
       max(value) filter (where metric = 'pairwise_recall') as pairwise_recall,
       max(value) filter (where metric = 'pairwise_precision') as pairwise_precision
from latest group by breakdown, category order by breakdown, category
"""


def _rows(con: duckdb.DuckDBPyConnection, sql: str, *needs: str) -> Table:
    """A query's columns and rows; none where a relation it `needs` was never created."""
    if not all(relation_exists(con, relation) for relation in needs):
        return Table([], [])
    relation = con.execute(sql)
    return Table([d[0] for d in relation.description], relation.fetchall())


def _stage_of(layer: str) -> str:
    return STAGE_OF_LAYER.get(layer, layer)


def _model_sources(manifest: Path) -> dict[str, str]:
    """Each dbt model's one source, from the staging models it is built on (`stg_<source>__<entity>`),
    or ALL_SOURCES where several feed it."""
    if not manifest.exists():
        return {}
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"]
    parents = {
        node["name"]: [nodes[p]["name"] for p in node["depends_on"]["nodes"] if p in nodes] for node in nodes.values() if node["resource_type"] == "model"
    }

    @cache
    def staged(name: str) -> frozenset[str]:
        if name.startswith("stg_"):
            return frozenset({name.removeprefix("stg_").split("__")[0]})
        return frozenset().union(*(staged(parent) for parent in parents.get(name, ())))

    return {name: next(iter(found)) if len(found := staged(name)) == 1 else ALL_SOURCES for name in parents}


def _source_of(stage: str, table: str, model_sources: dict[str, str]) -> str:
    """The source a gate's table comes from: raw tables by the registry, staging and intermediate
    models by the staging models they read; linkage and everything after it is `linked`."""
    name = table.split(".", 1)[-1]
    if stage == "raw":
        return SOURCE_OF_TABLE.get(name, ALL_SOURCES)
    if stage in ("staging", "intermediate"):
        return model_sources.get(name) or (name.removeprefix("stg_").split("__")[0] if name.startswith("stg_") else ALL_SOURCES)
    return LINKED


def _validation_page(docs_dir: Path, suite: str, run_id: str) -> str | None:
    """The GX Data Docs page of a suite's validation in `run_id` (else its latest), relative to the
    site folder. GX writes `gx/validations/<suite, dots as folders>/<run name>/<run time>/<batch>.html`."""
    folder = docs_dir / "gx" / "validations" / Path(*suite.split("."))
    pages = sorted(folder.glob(f"{run_id}/*/*.html")) or sorted(folder.glob("*/*/*.html"), key=lambda page: page.parent.name)
    return quote(pages[-1].relative_to(docs_dir).as_posix()) if pages else None


def _status(passed: bool, critical: bool) -> str:
    return "passed" if passed else ("blocking" if critical else "warning")


def _rate_status(gate: QuarantineGate, held: int, read: int, threshold: float) -> str:
    return "blocking" if gate.blocks(held, read, threshold) else "passed"


def _recorded_gates(con: duckdb.DuckDBPyConnection, docs_dir: Path, model_sources: dict[str, str]) -> list[GateView]:
    if not relation_exists(con, "audit.gate_results"):
        return []
    columns = {c for (c,) in con.execute("select column_name from duckdb_columns() where schema_name = 'audit' and table_name = 'gate_results'").fetchall()}
    latest = con.execute(LATEST_GATES_SQL.format(threshold="threshold" if "threshold" in columns else "null")).fetchall()
    trends: dict[tuple[str, str, str], list[RunOutcome]] = {}
    for tool, table, gate, checked_at, passed, critical, failing_rules, observed in con.execute(GATE_TRENDS_SQL).fetchall():
        value = observed if tool == "dbt" and observed is not None else failing_rules
        trends.setdefault((tool, table, gate), []).append(RunOutcome(checked_at, float(value), _status(passed, critical)))
    grouped: dict[tuple[str, str, str], list[tuple]] = {}
    for row in latest:
        grouped.setdefault((row[0], row[2], row[3]), []).append(row)
    gates = []
    for (tool, table, gate), rows in grouped.items():
        layer, run_id, checked_at = rows[0][1], rows[0][4], rows[0][5]
        stage = _stage_of(layer)
        unit = "failing rows" if tool == "dbt" else "unexpected"
        rules = tuple(
            RuleOutcome(rule, passed, "" if observed is None else f"{observed} {unit}", threshold or (DBT_THRESHOLD if tool == "dbt" else ""))
            for *_, rule, _, passed, observed, threshold in rows
        )
        gates.append(
            GateView(
                stage,
                _source_of(stage, table, model_sources),
                tool,
                table,
                gate,
                _status(all(r.passed for r in rules), any(row[7] for row in rows)),
                checked_at,
                rules,
                tuple(trends.get((tool, table, gate), ())),
                "failing rows" if tool == "dbt" else "failing expectations",
                page=_validation_page(docs_dir, gate, run_id) if tool == "great_expectations" else None,
            )
        )
    return gates


def _ingestion_gates(con: duckdb.DuckDBPyConnection, gates: QuarantineGate) -> list[GateView]:
    """The quarantine-rate gate of every raw table over all the files it holds, with the source's threshold in force."""
    if not relation_exists(con, "audit.ingested_files"):
        return []
    sources = {source.name: source for source in SOURCES}
    trends: dict[str, list[tuple]] = {}
    if relation_exists(con, "audit.validation_results"):
        for table, *run in con.execute(RAW_TRENDS_SQL).fetchall():
            trends.setdefault(table, []).append(run)
    views = []
    for source, table, rows_read, rows_held, checked_at in con.execute(RAW_GATES_SQL).fetchall():
        threshold = gates.threshold(sources[source])
        status = _rate_status(gates, rows_held, rows_read, threshold)
        rule = RuleOutcome(
            "share of rows held in quarantine",
            status == "passed",
            f"{rows_held / rows_read if rows_read else 0:.2%} ({rows_held:,} of {rows_read:,} rows)",
            f"at most {threshold:.2%} (blocks from {gates.minimum_rows} rows held)",
        )
        views.append(
            GateView(
                "raw",
                source,
                "pandera",
                f"raw.{table}",
                QUARANTINE_GATE,
                status,
                checked_at,
                (rule,),
                tuple(RunOutcome(at, held / read if read else 0.0, _rate_status(gates, held, read, threshold)) for at, held, read in trends.get(table, [])),
                "share quarantined of the files each load read",
                limit=threshold,
            )
        )
    return views


def _dfe_gates(con: duckdb.DuckDBPyConnection, hits_by_code: list[tuple]) -> list[GateView]:
    """The DfE rules' check of each validator and year, as `orchestration.assets.dfe_rules` decides
    it: any hit fails it, as a warning, or blocking where a blocking rule code is among the hits."""
    blocking = list(blocking_rules())
    codes: dict[tuple[str, int], list[RuleOutcome]] = {}
    for validator, _, year, code, message, hits in hits_by_code:
        rule = RuleOutcome(f"{code}: {message}", False, _hits(hits), "blocking code" if code in blocking else "no hits (a warning)")
        codes.setdefault((validator, year), []).append(rule)
    runs: dict[tuple[str, str, int], list[tuple]] = {}
    for validator, source, year, checked_at, hits, blocked in con.execute(DFE_TRENDS_SQL, {"blocking": blocking}).fetchall():
        runs.setdefault((validator, source, year), []).append((checked_at, hits or 0, "blocking" if blocked else ("warning" if hits else "passed")))
    gates = []
    for (validator, source, year), trend in runs.items():
        rules = tuple(codes.get((validator, year), ()))
        checked_at, hits, status = trend[-1]
        gates.append(
            GateView(
                "raw",
                source,
                validator,
                RESULTS_VIEW,
                f"{source}_dfe_rules {year}",
                status,
                checked_at,
                rules or (RuleOutcome("no DfE rule hit", True, _hits(0), "no hits"),),
                tuple(RunOutcome(at, float(count), outcome) for at, count, outcome in trend),
                "DfE rule hits",
                figure=f"{_hits(hits)} of {len(rules):,} rule code{'s' * (len(rules) != 1)}",
                threshold=f"no hits; these codes block: {', '.join(blocking)}",
            )
        )
    return gates


def _hits(count: int) -> str:
    return f"{count:,} hit{'s' * (count != 1)}"


def _quarantine_rules(con: duckdb.DuckDBPyConnection) -> list[QuarantineRule]:
    sql = QUARANTINE_RULES_SQL.format(dfe=DFE_ROWS if relation_exists(con, RESULTS_VIEW) else NO_DFE_ROWS)
    return [
        QuarantineRule(
            source, year, table, rule, columns or "", message or "", held, tuple(files), tuple((r["source_file"], r["row_number"]) for r in first), tuple(dfe)
        )
        for source, year, table, rule, columns, message, held, files, first, dfe in con.execute(sql).fetchall()
    ]


def _gate_order(gate: GateView) -> tuple:
    """Blocking failures, then warnings, then passes; each by stage, source and table."""
    stage = STAGES.index(gate.stage) if gate.stage in STAGES else len(STAGES)
    return STATUSES.index(gate.status), stage, gate.source, gate.table, gate.gate


def read_dashboard(database: Path, docs_dir: Path) -> Dashboard:
    """Everything the page shows. The dbt manifest the site's dbt docs were built with (else the
    project's own) says which source each intermediate model is built on."""
    ingestion_gates = QuarantineGate(quarantine_thresholds())
    manifest = docs_dir / "dbt" / "manifest.json"
    model_sources = _model_sources(manifest if manifest.exists() else DBT_PROJECT_DIR / "target" / "manifest.json")
    with connect(str(database), read_only=True) as con:
        dfe_ready = relation_exists(con, RESULTS_VIEW)  # record_hits creates it with the validators' first results
        hits_by_code = con.execute(DFE_CODES_SQL).fetchall() if dfe_ready else []
        dfe_gates = _dfe_gates(con, hits_by_code) if dfe_ready else []
        gates = [*_ingestion_gates(con, ingestion_gates), *dfe_gates, *_recorded_gates(con, docs_dir, model_sources)]
        quarantine_ready = relation_exists(con, "audit.ingested_files") and relation_exists(con, "quarantine.rejected_rows")
        dfe_codes: dict[tuple[str, int], list[tuple[str, str, int]]] = {}
        for _, source, year, code, message, hits in hits_by_code:
            dfe_codes.setdefault((source, year), []).append((code, message, hits))
        return Dashboard(
            gates=sorted(gates, key=_gate_order),
            thresholds={source.name: ingestion_gates.threshold(source) for source in SOURCES},
            quarantine=[QuarantineCell(*row) for row in con.execute(QUARANTINE_SQL).fetchall()] if quarantine_ready else [],
            quarantine_rules=_quarantine_rules(con) if quarantine_ready else [],
            dfe_codes=dfe_codes,
            ingestion=_rows(con, INGESTION_SQL, "audit.validation_results"),
            extra_columns=_rows(con, EXTRA_COLUMNS_SQL, "audit.validation_results", "audit.ingested_files"),
            dfe_rules=_rows(con, DFE_RULES_SQL, RESULTS_VIEW),
            linkage_trend=_rows(con, LINKAGE_TREND_SQL, "audit.linkage_evaluation").rows,
            linkage=_rows(con, LINKAGE_SQL, "audit.linkage_evaluation"),
            linkage_quality=_rows(con, LINKAGE_QUALITY_SQL, "audit.linkage_evaluation"),
            linkage_bias=_rows(con, LINKAGE_BIAS_SQL, "audit.linkage_evaluation"),
        )
