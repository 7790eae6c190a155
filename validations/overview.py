"""The stewards' overview page: every gate's latest result and its trend over recent runs, across
pandera (ingestion), dbt tests and Great Expectations, with the quarantine and linkage figures, as
one static HTML page beside the GX Data Docs. No scripts: it opens from disk or any web server."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingestion.load import UNEXPECTED_COLUMNS_RULE
from linkage.evaluation import MIN_GROUP_PERSONS

TREND_RUNS = 10

LATEST_GATES_SQL = f"""
with ranked as (
    select *, dense_rank() over (partition by tool, table_name, gate, rule order by checked_at desc) as age
    from audit.gate_results
),
trends as (
    select tool, table_name, gate, checked_at, bool_and(passed) as passed
    from ranked where age <= {TREND_RUNS} group by all
)
select
    r.tool, r.layer, r.table_name, r.gate, r.critical, r.checked_at,
    bool_and(r.passed) as passed,
    count(*) as rules,
    count(*) filter (where not r.passed) as failed_rules,
    string_agg(case when not r.passed then r.rule end, '; ') as failures,
    (select string_agg(case when t.passed then '✓' else '✗' end, '' order by t.checked_at)
     from trends as t where t.tool = r.tool and t.table_name = r.table_name and t.gate = r.gate) as trend
from ranked as r
where r.age = 1
group by r.tool, r.layer, r.table_name, r.gate, r.critical, r.checked_at
order by passed, r.critical desc, r.layer, r.table_name, r.tool, r.gate
"""

INGESTION_SQL = """
select source, table_name, max(checked_at) as checked_at, sum(rows_checked) as rows_checked, sum(failures) as rows_quarantined
from audit.validation_results
where rule = '*' and load_run_id in (select load_run_id from audit.validation_results group by 1 order by max(checked_at) desc limit 50)
group by all order by source, table_name
"""

# Columns a file carried that its table does not declare: kept in raw's _extra_columns, shown as warnings.
EXTRA_COLUMNS_SQL = f"""
select source, table_name, source_file, substr(rule, length('{UNEXPECTED_COLUMNS_RULE}:') + 1) as columns_kept, rows_checked as rows, checked_at
from audit.validation_results
where rule like '{UNEXPECTED_COLUMNS_RULE}:%'
qualify row_number() over (partition by table_name, source_file order by checked_at desc) = 1
order by source, table_name, source_file
"""

# The DfE validators' hits by rule code, per LA and year, as the DfE submission portal lists them
# (validations/dfe_gate.py writes them; the view holds each validator's latest run per year).
DFE_RULES_SQL = """
select collection_year as year, la_code as la, rule_code as "DfE rule", any_value(rule_message) as message,
       count(*) as hits, count(distinct child_id) as children, string_agg(distinct source_file, ', ') as files
from audit.dfe_rule_results group by collection_year, la_code, rule_code
order by year desc, la, hits desc, "DfE rule"
"""

QUARANTINE_SQL = """
select table_name, rule, count(*) as rows from quarantine.rejected_rows group by all order by rows desc limit 25
"""

LINKAGE_SQL = """
select stage, metric, value, evaluated_at from (
    select *, row_number() over (partition by stage, metric order by evaluated_at desc) as age
    from audit.linkage_evaluation where source = 'all' and breakdown is null and stage != 'person_linkage_quality'
) where age = 1 order by stage, metric
"""

# What person linkage says of itself without a truth (production too): the latest run's figures.
LINKAGE_QUALITY_SQL = """
select coalesce(breakdown, 'overall') as breakdown, category, metric, value, records from audit.linkage_evaluation
where stage = 'person_linkage_quality'
  and run_id = (select run_id from audit.linkage_evaluation where stage = 'person_linkage_quality' order by evaluated_at desc limit 1)
order by breakdown nulls first, category, metric
"""

# Recall and precision by person group against the truth, one row a category, small groups flagged.
LINKAGE_BIAS_SQL = f"""
with latest as (
    select * from audit.linkage_evaluation
    where stage = 'record_to_person_by_group'
      and run_id = (select run_id from audit.linkage_evaluation where stage = 'record_to_person_by_group' order by evaluated_at desc limit 1)
)
select breakdown, category, any_value(records) as true_persons,
       case when any_value(records) < {MIN_GROUP_PERSONS} then 'small group' else '' end as note,
       max(value) filter (where metric = 'cluster_recall') as cluster_recall,
       max(value) filter (where metric = 'cluster_precision') as cluster_precision,
       max(value) filter (where metric = 'pairwise_recall') as pairwise_recall,
       max(value) filter (where metric = 'pairwise_precision') as pairwise_precision
from latest group by breakdown, category order by breakdown, category
"""

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1f2933; }
h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #d9e2ec; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f0f4f8; }
.pass { color: #0b7a3e; font-weight: 600; } .fail { color: #b42318; font-weight: 600; } .warn { color: #9a6700; font-weight: 600; }
.trend { font-family: monospace; letter-spacing: 0.1rem; }
.summary span { margin-right: 1.5rem; }
"""


def _table(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple]]:
    try:
        relation = con.sql(sql)
    except duckdb.CatalogException:
        return [], []
    return relation.columns, relation.fetchall()


def _cells(headers: list[str], rows: list[tuple], render=None) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(render(h, v) if render else f"<td>{html.escape(_text(v))}</td>" for h, v in zip(headers, row, strict=True)) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>" if rows else "<p>Nothing recorded yet.</p>"


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _gate_cell(header: str, value: object) -> str:
    if header == "passed":
        return '<td class="pass">passed</td>' if value else '<td class="fail">failed</td>'
    if header == "critical":
        return '<td class="fail">blocking</td>' if value else '<td class="warn">warning</td>'
    if header == "trend":
        return f'<td class="trend" title="oldest to newest, last {TREND_RUNS} runs">{html.escape(_text(value))}</td>'
    return f"<td>{html.escape(_text(value))}</td>"


def write_overview(database: Path, docs_dir: Path) -> Path:
    """Write `docs_dir/index.html` from the warehouse's audit and quarantine tables; returns its path."""
    with duckdb.connect(str(database), read_only=True) as con:
        gate_headers, gates = _table(con, LATEST_GATES_SQL)
        ingestion = _table(con, INGESTION_SQL)
        extra_columns = _table(con, EXTRA_COLUMNS_SQL)
        quarantine = _table(con, QUARANTINE_SQL)
        dfe_rules = _table(con, DFE_RULES_SQL)
        linkage = _table(con, LINKAGE_SQL)
        linkage_quality = _table(con, LINKAGE_QUALITY_SQL)
        linkage_bias = _table(con, LINKAGE_BIAS_SQL)
    failing = [g for g in gates if not g[gate_headers.index("passed")]] if gates else []
    blocking = [g for g in failing if g[gate_headers.index("critical")]]
    docs_link = (
        '<a href="gx/index.html">Great Expectations Data Docs</a>'
        if (docs_dir / "gx" / "index.html").exists()
        else "Great Expectations Data Docs (not built yet)"
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hearth data quality overview</title><style>{STYLE}</style></head>
<body>
<h1>Hearth data quality overview</h1>
<p>Built {datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")} from <code>{html.escape(database.name)}</code>. Suite detail: {docs_link}.
Model and column meanings: {'<a href="dbt/index.html">dbt docs</a>' if (docs_dir / "dbt" / "index.html").exists() else "dbt docs (not built yet)"}.</p>
<p class="summary"><span>{len(gates)} gates</span><span class="{"fail" if blocking else "pass"}">{len(blocking)} blocking failures</span>
<span class="{"warn" if failing else "pass"}">{len(failing)} failing in all</span></p>
<h2>Gates: latest result and trend</h2>
{_cells(gate_headers, gates, _gate_cell)}
<h2>Ingestion (pandera), latest loads</h2>
{_cells(*ingestion)}
<h2 class="warn">Ingestion warnings: columns kept that the table does not declare</h2>
{_cells(*extra_columns)}
<h2>DfE validation rules (CIN census, SSDA903), latest run per year</h2>
<p>The codes and messages of the DfE's own validators, as the DfE submission portal shows them; REFUSED: the validator could not read the return.</p>
{_cells(*dfe_rules)}
<h2>Quarantine by rule</h2>
{_cells(*quarantine)}
<h2>Linkage quality (latest evaluation against the synthetic truth)</h2>
{_cells(*linkage)}
<h2>Person linkage without a truth (latest run)</h2>
<p>Per source: records linked to another source and records linked to nothing; per source pair: the share of one source's persons
also found in the other; overall: pairs waiting for clerical review and the model's estimated precision (the mean match probability of accepted pairs).</p>
{_cells(*linkage_quality)}
<h2>Person linkage by group (latest evaluation against the synthetic truth)</h2>
<p>Linkage errors fall unevenly. Recall is over each group's true persons; precision over the clusters whose main person is in the group.
Groups of fewer than {MIN_GROUP_PERSONS} true persons are flagged: their shares move a lot from one world to the next.</p>
{_cells(*linkage_bias)}
</body></html>
"""
    docs_dir.mkdir(parents=True, exist_ok=True)
    target = docs_dir / "index.html"
    target.write_text(page, encoding="utf-8")
    return target
