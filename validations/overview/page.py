"""The dashboard as one HTML page in GOV.UK Frontend's styles: tables, tags, summary cards, details,
the error summary and a notification banner, under a plain masthead of Hearth's own (the GOV.UK
header, crown and typeface belong to GOV.UK services). Every value from the warehouse is escaped."""

from __future__ import annotations

import html
import json
from collections import Counter
from datetime import datetime
from itertools import groupby

from ingestion.registry import SOURCES

from . import charts
from .data import ALL_SOURCES, LINKED, ROWS_LISTED, STAGES, STATUSES, Dashboard, GateView, QuarantineCell, QuarantineRule, Table

TAG = {"blocking": "red", "warning": "orange", "passed": "green"}
STATUS_TEXT = {"blocking": "Blocking", "warning": "Warning", "passed": "Passed"}
# The matrix's shades: rates up to each bound, and a darker one above the source's threshold.
RATE_BANDS = ((0.0, "none held"), (0.001, "up to 0.1%"), (0.005, "up to 0.5%"), (0.01, "up to 1%"), (1.0, "over 1%"))
FILES_LISTED = 10
SOURCE_ORDER = [s.name for s in SOURCES]
NONE = '<p class="govuk-body">None.</p>'

STYLE = """
body, .hearth-tile, .hearth-chart { font-family: Arial, Helvetica, sans-serif; }
.hearth-wide { max-width: 1200px; }
.hearth-masthead { background: #0b0c0c; color: #fff; border-bottom: 8px solid #1d70b8; padding: 14px 0 10px; }
.hearth-masthead__name { font-size: 26px; font-weight: 700; margin-right: 12px; }
.hearth-masthead__what { font-size: 19px; }
.hearth-contents li { display: inline-block; margin-right: 25px; }
.hearth-muted { color: #505a5f; }
.hearth-small { font-size: 16px; }
.hearth-small .govuk-table__cell { overflow-wrap: break-word; }
.hearth-tiles { display: flex; gap: 20px; margin-bottom: 30px; }
.hearth-tile { flex: 1; display: block; padding: 15px 20px; background: #f3f2f1; border-left: 10px solid #b1b4b6; color: #0b0c0c; text-decoration: none; }
.hearth-tile:hover { background: #e8e8e8; }
.hearth-tile--blocking { border-left-color: #d4351c; }
.hearth-tile--warning { border-left-color: #f47738; }
.hearth-tile--passed { border-left-color: #00703c; }
.hearth-tile__count { display: block; font-size: 64px; font-weight: 700; line-height: 1.1; }
.hearth-tile__label { display: block; font-size: 19px; }
.hearth-gate { scroll-margin-top: 10px; }
.govuk-summary-card.hearth-gate--blocking { border-color: #d4351c; }
.hearth-gate--blocking .govuk-summary-card__title-wrapper { background: #f6d7d2; }
.govuk-summary-card.hearth-gate--warning { border-color: #f47738; }
.hearth-gate--warning .govuk-summary-card__title-wrapper { background: #fde0d0; }
.hearth-gate__name { display: block; font-weight: 400; font-size: 16px; color: #383f43; }
.hearth-chart { min-height: 160px; }
.hearth-chart--wide { display: block; max-width: 100%; min-height: 260px; overflow-x: auto; }
.hearth-rate { text-align: right; min-width: 90px; }
.hearth-matrix .govuk-table__cell.hearth-rate { padding: 10px; }
.hearth-rate a { color: inherit; font-weight: 700; font-size: 19px; }
.hearth-rate__rows { display: block; font-size: 14px; }
.hearth-rate--0 { background: #f3f2f1; } .hearth-rate--1 { background: #fbe3df; } .hearth-rate--2 { background: #f5c3b9; }
.hearth-rate--3 { background: #ec9a8c; } .hearth-rate--4 { background: #dd6a58; color: #fff; } .hearth-rate--over { background: #942514; color: #fff; }
.hearth-swatch { display: inline-block; width: 18px; height: 18px; vertical-align: middle; margin: 0 6px 0 14px; border: 1px solid #b1b4b6; }
"""

# vega-embed draws each chart from its spec into SVG; then the page goes to the fragment it was
# opened at, opening the folded sections that hold it.
SCRIPT = """
const charts = Array.from(document.querySelectorAll(".hearth-chart"), (element) =>
  vegaEmbed(element, JSON.parse(document.getElementById(element.dataset.spec).textContent), {renderer: "svg", actions: false}));
Promise.all(charts).then(() => {
  const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (target) {
    for (let node = target; node; node = node.parentElement) if (node.tagName === "DETAILS") node.open = true;
    target.scrollIntoView();
  }
});
"""


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() and abs(value) > 1 else f"{value:.4f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def esc(value: object) -> str:
    return html.escape(_text(value))


def _tag(status: str, text: str | None = None) -> str:
    return f'<strong class="govuk-tag govuk-tag--{TAG[status]}">{html.escape(text or STATUS_TEXT[status])}</strong>'


def _cell(content: str, numeric: bool = False, attributes: str = "") -> str:
    """A table cell of HTML already escaped."""
    return f'<td class="govuk-table__cell{" govuk-table__cell--numeric" * numeric}"{attributes}>{content}</td>'


def _markup_table(headers: list[str], rows: list[str], *, numeric: tuple[bool, ...] = (), caption: str = "", attributes: str = "", small: bool = True) -> str:
    """A GOV.UK table of rows already rendered (`<tr>`...); `numeric` right-aligns headers."""
    head = "".join(
        f'<th scope="col" class="govuk-table__header{" govuk-table__header--numeric" * (i < len(numeric) and numeric[i])}">{h}</th>'
        for i, h in enumerate(headers)
    )
    caption = f'<caption class="govuk-table__caption govuk-table__caption--{"s" if small else "m"}">{caption}</caption>' if caption else ""
    return (
        f'<table class="govuk-table{" hearth-small" * small}"{attributes}>{caption}<thead class="govuk-table__head"><tr class="govuk-table__row">{head}</tr>'
        f'</thead><tbody class="govuk-table__body">{"".join(rows)}</tbody></table>'
    )


def _row(cells: list[str], attributes: str = "") -> str:
    return f'<tr class="govuk-table__row"{attributes}>{"".join(cells)}</tr>'


def _table(table: Table, caption: str = "") -> str:
    """A query's result as a table, numbers right-aligned."""
    if not table.rows:
        return '<p class="govuk-body">Nothing recorded yet.</p>'
    numeric = tuple(
        all(isinstance(row[i], int | float) and not isinstance(row[i], bool) for row in table.rows if row[i] is not None) for i in range(len(table.headers))
    )
    rows = [_row([_cell(esc(v), n) for v, n in zip(row, numeric, strict=True)]) for row in table.rows]
    return _markup_table([esc(h) for h in table.headers], rows, numeric=numeric, caption=html.escape(caption))


def _details(summary: str, body: str, *, attributes: str = "", open_: bool = False) -> str:
    return (
        f'<details class="govuk-details"{attributes}{" open" * open_}><summary class="govuk-details__summary">'
        f'<span class="govuk-details__summary-text">{summary}</span></summary><div class="govuk-details__text">{body}</div></details>'
    )


def _rows(count: int) -> str:
    return f"{count:,} row{'s' * (count != 1)}"


def _paragraph(*sentences: str) -> str:
    return f'<p class="govuk-body">{" ".join(sentences)}</p>'


class Charts:
    """Numbers the page's charts; each is a container vega-embed fills and its spec as JSON beside it."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, spec: dict, label: str, wide: bool = False) -> str:
        self.count += 1
        data = json.dumps(spec, separators=(",", ":")).replace("<", "\\u003c")
        return (
            f'<div class="hearth-chart{" hearth-chart--wide" * wide}" id="chart-{self.count}" data-spec="spec-{self.count}" role="img" '
            f'aria-label="{html.escape(label)}"></div><script type="application/json" id="spec-{self.count}">{data}</script>'
        )


# --- summary ----------------------------------------------------------------------------------


def _counts_table(caption: str, kind: str, names: list[str], gates: list[GateView]) -> str:
    """Gates by status per stage or per source; each count cell says which it counts."""
    counts = Counter((getattr(g, kind), g.status) for g in gates)
    rows = []
    for name in names:
        cells = [f'<th scope="row" class="govuk-table__header">{html.escape(name)}</th>']
        for status in STATUSES:
            count = counts[name, status]
            shown = _tag(status, f"{count:,}") if count and status != "passed" else f"{count:,}"
            cells.append(_cell(shown, True, f' data-{kind}="{html.escape(name)}" data-status="{status}"'))
        rows.append(_row(cells))
    headers = [kind.title(), "Blocking failures", "Warnings", "Passed"]
    return _markup_table(headers, rows, numeric=(False, True, True, True), caption=caption, attributes=f' id="summary-by-{kind}"', small=False)


def _summary(dashboard: Dashboard) -> str:
    gates = dashboard.gates
    counts = Counter(g.status for g in gates)
    labels = {"blocking": "blocking failures", "warning": "warnings", "passed": "passed"}
    tiles = "".join(
        f'<a class="hearth-tile hearth-tile--{s}" href="#gates-{s}" data-summary="{s}"><span class="hearth-tile__count">{counts[s]:,}</span>'
        f'<span class="hearth-tile__label">{labels[s]}</span></a>'
        for s in STATUSES
    )
    blocking = [g for g in gates if g.status == "blocking"]
    alert = ""
    if blocking:
        names = (g.gate if g.gate.startswith(g.table) else f"{g.table}: {g.gate}" for g in blocking)
        links = "".join(f'<li><a href="#{g.anchor}">{html.escape(name)}</a></li>' for g, name in zip(blocking, names, strict=True))
        title = f"{len(blocking)} blocking failure{'s' * (len(blocking) != 1)}: the stages after {'them' if len(blocking) > 1 else 'it'} wait"
        alert = (
            f'<div class="govuk-error-summary"><div role="alert"><h2 class="govuk-error-summary__title">{title}</h2>'
            f'<div class="govuk-error-summary__body"><ul class="govuk-list govuk-error-summary__list">{links}</ul></div></div></div>'
        )
    held = sum(c.rows_held for c in dashboard.quarantine)
    extra = len(dashboard.extra_columns.rows)
    notes = []
    if held:
        notes.append(f'{held:,} rows are held in quarantine: <a class="govuk-notification-banner__link" href="#quarantine">where they are</a>.')
    if extra:
        notes.append(f'{extra:,} files carry columns their table does not declare: <a class="govuk-notification-banner__link" href="#ingestion">which</a>.')
    banner = (
        '<div class="govuk-notification-banner" role="region" aria-labelledby="summary-notes"><div class="govuk-notification-banner__header">'
        '<h2 class="govuk-notification-banner__title" id="summary-notes">Important</h2></div><div class="govuk-notification-banner__content">'
        + "".join(f'<p class="govuk-notification-banner__heading">{note}</p>' for note in notes)
        + "</div></div>"
        if notes
        else ""
    )
    stages = [*STAGES, *sorted({g.stage for g in gates} - set(STAGES))]
    present = {g.source for g in gates}
    sources = [*SOURCE_ORDER, *(name for name in (ALL_SOURCES, LINKED) if name in present), *sorted(present - {*SOURCE_ORDER, ALL_SOURCES, LINKED})]
    return (
        '<h2 class="govuk-heading-l" id="summary">Summary</h2>'
        + _paragraph(f"The latest result of every gate: {len(gates):,} in all.", "A blocking failure holds back the stages after it; a warning does not.")
        + f'{alert}<div class="hearth-tiles">{tiles}</div>{banner}<div class="govuk-grid-row"><div class="govuk-grid-column-one-half">'
        + _counts_table("By stage", "stage", stages, gates)
        + '</div><div class="govuk-grid-column-one-half">'
        + _counts_table("By source", "source", sources, gates)
        + "</div></div>"
    )


# --- gates --------------------------------------------------------------------------------------


def _rule_lines(rules: tuple, field: str) -> str:
    """One line, or one per rule naming it, unless every rule says the same."""
    if len({getattr(r, field) for r in rules}) == 1:
        return esc(getattr(rules[0], field))
    lines = "".join(f'<li>{esc(getattr(r, field))} <span class="hearth-muted">({esc(r.rule)})</span></li>' for r in rules)
    return f'<ul class="govuk-list">{lines}</ul>'


def _actions(gate: GateView, dbt_docs: bool) -> list[str]:
    """Where a gate's detail is: its GX validation page, its dbt test, its quarantine or DfE hits."""
    links = []
    if gate.page:
        links.append((gate.page, "Great Expectations validation page"))
    if gate.tool == "dbt" and dbt_docs:
        links.append((f"dbt/index.html#!/test/{gate.rules[0].rule}", "dbt docs"))
    if gate.tool == "pandera":
        links.append((f"#q-{gate.source}", f"Quarantine of {gate.source}"))
    if gate.source in ("cin_census", "ssda903") and gate.tool.startswith("dfe_"):
        links.append(("#dfe", "DfE rule hits"))
    return [f'<a class="govuk-link" href="{html.escape(href)}">{html.escape(text)}</a>' for href, text in links]


def _card(gate: GateView, chart: Charts, dbt_docs: bool) -> str:
    """A failing or warning gate: what it found against what passes, its trend, and every rule."""
    shown = gate.failing or gate.rules
    facts = [
        ("Figure", esc(gate.figure) if gate.figure else _rule_lines(shown, "figure")),
        ("Threshold", esc(gate.threshold) if gate.threshold else _rule_lines(shown, "threshold")),
        ("Stage", esc(gate.stage)),
        ("Source", esc(gate.source)),
        ("Tool", esc(gate.tool)),
        ("Last checked", esc(gate.checked_at)),
    ]
    if len(gate.rules) > 1 and not gate.figure:
        facts.insert(0, ("Failing", f"{len(gate.failing)} of {len(gate.rules)} rules"))
    summary = "".join(
        f'<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">{key}</dt><dd class="govuk-summary-list__value">{value}</dd></div>'
        for key, value in facts
    )
    rules = [
        _row([_cell(_tag("passed" if r.passed else gate.status)), _cell(esc(r.rule)), _cell(esc(r.figure)), _cell(esc(r.threshold))])
        for r in sorted(gate.rules, key=lambda r: r.passed)
    ]
    every_rule = _details(
        f"Every rule of this gate ({len(gate.rules)})", _markup_table(["Outcome", "Rule", "Figure", "Threshold"], rules), open_=gate.status == "blocking"
    )
    trend = chart(charts.gate_trend(gate), f"{gate.gate}: {gate.measure} over the last {len(gate.trend)} runs") if gate.trend else ""
    actions = "".join(f'<li class="govuk-summary-card__action">{a}</li>' for a in _actions(gate, dbt_docs))
    title = f'{_tag(gate.status)} {html.escape(gate.table)}<span class="hearth-gate__name">{html.escape(gate.gate)}</span>'
    return (
        f'<div class="govuk-summary-card hearth-gate hearth-gate--{gate.status}" id="{gate.anchor}" data-gate-status="{gate.status}">'
        f'<div class="govuk-summary-card__title-wrapper"><h4 class="govuk-summary-card__title">{title}</h4>'
        f'<ul class="govuk-summary-card__actions">{actions}</ul></div>'
        '<div class="govuk-summary-card__content"><div class="govuk-grid-row"><div class="govuk-grid-column-one-half">'
        f'<dl class="govuk-summary-list">{summary}</dl></div><div class="govuk-grid-column-one-half">{trend}</div></div>{every_rule}</div></div>'
    )


def _passing(gates: list[GateView]) -> str:
    """Passing gates, folded away per stage."""
    sections = []
    for stage, group in groupby(gates, key=lambda g: g.stage):
        group = list(group)
        rows = [
            _row(
                [_cell(esc(g.table)), _cell(esc(g.gate)), _cell(esc(g.tool)), _cell(esc(g.source)), _cell(f"{len(g.rules):,}", True), _cell(esc(g.checked_at))],
                ' data-gate-status="passed"',
            )
            for g in group
        ]
        table = _markup_table(["Table", "Gate", "Tool", "Source", "Rules", "Last checked"], rows, numeric=(False,) * 4 + (True,))
        sections.append(_details(f"{html.escape(stage)}: {len(group):,} passing", table))
    return "".join(sections) or NONE


def _gates(dashboard: Dashboard, chart: Charts, dbt_docs: bool) -> str:
    by_status = {s: [g for g in dashboard.gates if g.status == s] for s in STATUSES}  # each in the dashboard's order
    return (
        '<h2 class="govuk-heading-l" id="gates">Gates</h2>'
        + _paragraph(
            "Failing gates first, then warnings, each with its figure, its threshold and its last ten runs; passing gates are folded away by stage.",
            "Ingestion's quarantine-rate gate and the DfE rules' gate are Dagster checks: their figures are worked out here again from the ingestion tables.",
        )
        + f'<h3 class="govuk-heading-m" id="gates-blocking">Blocking failures ({len(by_status["blocking"]):,})</h3>'
        + ("".join(_card(g, chart, dbt_docs) for g in by_status["blocking"]) or NONE)
        + f'<h3 class="govuk-heading-m" id="gates-warning">Warnings ({len(by_status["warning"]):,})</h3>'
        + ("".join(_card(g, chart, dbt_docs) for g in by_status["warning"]) or NONE)
        + f'<h3 class="govuk-heading-m" id="gates-passed">Passing gates ({len(by_status["passed"]):,})</h3>'
        + _passing(by_status["passed"])
    )


# --- quarantine ---------------------------------------------------------------------------------


def _band(cell: QuarantineCell, threshold: float) -> str:
    if cell.rate > threshold:
        return "over"
    return str(next(i for i, (bound, _) in enumerate(RATE_BANDS) if cell.rate <= bound))


def _matrix_cell(source: str, year: int, cell: QuarantineCell | None, threshold: float) -> str:
    if cell is None:
        return '<td class="govuk-table__cell hearth-rate hearth-muted">no files</td>'
    rate = f"{cell.rate:.2%}"
    shown = f'<a href="#q-{html.escape(source)}-{year}">{rate}</a>' if cell.rows_held else rate
    return (
        f'<td class="govuk-table__cell hearth-rate hearth-rate--{_band(cell, threshold)}" data-source="{html.escape(source)}" data-year="{year}" '
        f'data-rate="{cell.rate:.10f}" title="{cell.rows_held:,} of {cell.rows_read:,} rows held, {cell.files:,} files">{shown}'
        f'<span class="hearth-rate__rows">{cell.rows_held:,} / {cell.rows_read:,}</span></td>'
    )


def _matrix(dashboard: Dashboard) -> str:
    cells = {(c.source, c.year): c for c in dashboard.quarantine}
    years = sorted({c.year for c in dashboard.quarantine})
    rows = []
    for source in (s for s in SOURCE_ORDER if any(c.source == s for c in dashboard.quarantine)):
        threshold = dashboard.thresholds[source]
        shown = f'{html.escape(source)}<span class="hearth-rate__rows hearth-muted">threshold {threshold:.2%}</span>'
        header = f'<th scope="row" class="govuk-table__header">{shown}</th>'
        rows.append(_row([header, *(_matrix_cell(source, year, cells.get((source, year)), threshold) for year in years)]))
    legend = "".join(f'<span class="hearth-swatch hearth-rate--{i}"></span>{label}' for i, (_, label) in enumerate(RATE_BANDS))
    legend += '<span class="hearth-swatch hearth-rate--over"></span>over the source\'s threshold'
    caption = "Rows held in quarantine over rows read, by source and collection year"
    table = _markup_table(
        ["Source", *map(str, years)], rows, numeric=(False, *(True,) * len(years)), caption=caption, attributes=' id="quarantine-matrix"', small=False
    )
    return table.replace('class="govuk-table"', 'class="govuk-table hearth-matrix"', 1) + f'<p class="govuk-body-s">{legend}</p>'


def _row_numbers(rule: QuarantineRule) -> str:
    """Each file (the first FILES_LISTED) with its held rows among the first ROWS_LISTED; what is left is counted."""
    listed = {file: [str(n) for _, n in rows] for file, rows in groupby(rule.rows, key=lambda r: r[0])}
    lines = [f"{html.escape(file)}: {', '.join(listed.get(file, ['…']))}" for file in rule.files[:FILES_LISTED]]
    if len(rule.files) > FILES_LISTED:
        lines.append(f"… {len(rule.files) - FILES_LISTED:,} more files")
    if rule.rows_held > len(rule.rows):
        lines.append(f"… {rule.rows_held - len(rule.rows):,} more rows")
    return "<br>".join(lines)


def _cell_rules(rules: list[QuarantineRule], codes: list[tuple[str, str, int]]) -> str:
    """One source-year's held rows by rule, and the DfE codes its files were given."""
    rows = [
        _row(
            [
                _cell(esc(r.table)),
                _cell(f'{esc(r.rule)}<br><span class="hearth-muted">{esc(r.message)}</span>'),
                _cell(esc(r.columns)),
                _cell(f"{r.rows_held:,}", True),
                _cell(f"{len(r.files):,}", True),
                _cell(_row_numbers(r)),
                _cell(esc(", ".join(r.dfe_codes))),
            ]
        )
        for r in rules
    ]
    headers = ["Table", "Rule", "Columns", "Rows held", "Files", "Row numbers by file", "DfE codes at these rows"]
    table = _markup_table(headers, rows, numeric=(False, False, False, True, True))
    if codes:
        table += _table(Table(["DfE rule", "message", "hits"], codes), "The DfE validators' rule codes in this year's files")
    return table


def _drill_down(dashboard: Dashboard) -> str:
    """One folded section per source and year with rows held; the worst cell's is open."""
    cells = {(c.source, c.year): c for c in dashboard.quarantine}
    worst = max(dashboard.quarantine, key=lambda c: c.rate)
    sections = []
    ordered = sorted(dashboard.quarantine_rules, key=lambda r: (SOURCE_ORDER.index(r.source), r.year))
    for source, by_source in groupby(ordered, key=lambda r: r.source):
        years = []
        for year, rules in groupby(by_source, key=lambda r: r.year):
            cell = cells[source, year]
            years.append(
                _details(
                    f"{year}: {_rows(cell.rows_held)} held of {cell.rows_read:,} ({cell.rate:.2%})",
                    _cell_rules(list(rules), dashboard.dfe_codes.get((source, year), [])),
                    attributes=f' id="q-{html.escape(source)}-{year}"',
                    open_=cell == worst,
                )
            )
        held = sum(c.rows_held for c in dashboard.quarantine if c.source == source)
        sections.append(f'<h4 class="govuk-heading-s" id="q-{html.escape(source)}">{html.escape(source)}: {_rows(held)} held</h4>{"".join(years)}')
    return "".join(sections) or '<p class="govuk-body">No rows are held in quarantine.</p>'


def _quarantine(dashboard: Dashboard, chart: Charts) -> str:
    heading = '<h2 class="govuk-heading-l" id="quarantine">Quarantine</h2>'
    if not dashboard.quarantine:
        return heading + _paragraph("Nothing ingested yet.")
    return (
        heading
        + _paragraph(
            "A row is held when it breaks a rule of its table, until a steward accepts the failure and releases it (<code>hearth quarantine</code>).",
            "Each cell is the share of the rows read that are held; its link opens the rules that hold them.",
        )
        + _matrix(dashboard)
        + chart(charts.quarantine_rates(dashboard.quarantine), "share of rows held in quarantine by collection year, per source", wide=True)
        + '<h3 class="govuk-heading-m">Held rows by rule</h3>'
        + _paragraph(
            f"Per source and year: each rule with the rows it holds, their files and row numbers (the first {ROWS_LISTED}),",
            "and the DfE rule codes the DfE validators report at the same rows of a CSV return.",
            "Values are never shown: they are in <code>quarantine.rejected_rows</code>, restricted to the platform team.",
        )
        + _drill_down(dashboard)
    )


# --- ingestion, DfE, linkage ---------------------------------------------------------------------


def _ingestion(dashboard: Dashboard) -> str:
    return (
        '<h2 class="govuk-heading-l" id="ingestion">Ingestion</h2>'
        f'<h3 class="govuk-heading-m">{_tag("warning")} Ingestion warnings: columns kept that the table does not declare</h3>'
        + _paragraph("Raw keeps their values in <code>_extra_columns</code>; nothing is refused.")
        + _table(dashboard.extra_columns)
        + _details(f"Latest loads by table, pandera ({len(dashboard.ingestion.rows):,} tables)", _table(dashboard.ingestion))
    )


def _dfe(dashboard: Dashboard) -> str:
    rules = dashboard.dfe_rules
    return (
        '<h2 class="govuk-heading-l" id="dfe">DfE validation rules (CIN census, SSDA903), latest run per year</h2>'
        + _paragraph(
            "The codes and messages of the DfE's own validators, as the DfE submission portal shows them;",
            "REFUSED: the validator could not read the return.",
        )
        + _details(f"Hits by rule code, LA and year ({len(rules.rows):,} rows)", _table(rules), open_=bool(rules.rows))
    )


def _linkage(dashboard: Dashboard, chart: Charts) -> str:
    trend = (
        chart(charts.linkage_over_time(dashboard.linkage_trend), "linkage precision, recall and rates over the evaluations, per stage", wide=True)
        if dashboard.linkage_trend
        else _paragraph("No linkage evaluated yet.")
    )
    bias = (
        _table(dashboard.linkage_bias) if dashboard.linkage_bias.rows else _paragraph("No figures by group yet: they are measured against the synthetic truth.")
    )
    return (
        '<h2 class="govuk-heading-l" id="linkage">Linkage quality</h2><h3 class="govuk-heading-m">Over time</h3>'
        + trend
        + '<h3 class="govuk-heading-m">Latest evaluation against the synthetic truth</h3>'
        + _table(dashboard.linkage)
        + '<h3 class="govuk-heading-m">Person linkage without a truth (latest run)</h3>'
        + _paragraph(
            "Per source: records linked to another source and records linked to nothing; per source pair: the share of one source's persons also found in",
            "the other; overall: pairs waiting for clerical review and the model's estimated precision (the mean match probability of accepted pairs).",
        )
        + _table(dashboard.linkage_quality)
        + '<h3 class="govuk-heading-m">Person linkage by group (latest evaluation against the synthetic truth)</h3>'
        + _paragraph(
            "Linkage errors fall unevenly. Recall is over each group's true persons; precision over the clusters whose main person is in the group.",
            "Groups flagged small move a lot from one world to the next.",
        )
        + bias
    )


CONTENTS = (
    ("summary", "Summary"),
    ("gates", "Gates"),
    ("quarantine", "Quarantine"),
    ("ingestion", "Ingestion"),
    ("dfe", "DfE rules"),
    ("linkage", "Linkage quality"),
)


def render(dashboard: Dashboard, *, database_name: str, built: datetime, assets: dict[str, str], gx_docs: bool, dbt_docs: bool) -> str:
    """The whole page; `assets` are the vendored styles' and scripts' paths relative to the page."""
    chart = Charts()
    sections = (
        _summary(dashboard),
        _gates(dashboard, chart, dbt_docs),
        _quarantine(dashboard, chart),
        _ingestion(dashboard),
        _dfe(dashboard),
        _linkage(dashboard, chart),
    )
    gx_link = '<a class="govuk-link" href="gx/index.html">Great Expectations Data Docs</a>' if gx_docs else "Great Expectations Data Docs (not built yet)"
    dbt_link = '<a class="govuk-link" href="dbt/index.html">dbt docs</a>' if dbt_docs else "dbt docs (not built yet)"
    contents = "".join(f'<li><a class="govuk-link" href="#{key}">{label}</a></li>' for key, label in CONTENTS)
    scripts = "".join(f'<script src="{html.escape(assets[name])}"></script>' for name in ("vega.js", "vega-lite.js", "vega-embed.js"))
    built_from = f"Built {built.strftime('%Y-%m-%d %H:%M UTC')} from <code>{html.escape(database_name)}</code>."
    return f"""<!doctype html>
<html lang="en" class="govuk-template">
<head><meta charset="utf-8"><title>Hearth: stewards' dashboard</title><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><link rel="stylesheet" href="{html.escape(assets["govuk.css"])}"><style>{STYLE}</style></head>
<body class="govuk-template__body">
<div class="hearth-masthead"><div class="govuk-width-container hearth-wide">
<span class="hearth-masthead__name">Hearth</span><span class="hearth-masthead__what">Data quality for data stewards</span></div></div>
<div class="govuk-width-container hearth-wide"><main class="govuk-main-wrapper" id="main-content">
<span class="govuk-caption-l">Stewards' dashboard</span><h1 class="govuk-heading-xl">Hearth data quality</h1>
{_paragraph(built_from, f"Suite detail: {gx_link}.", f"Model and column meanings: {dbt_link}.")}
<nav aria-label="Contents"><ul class="govuk-list hearth-contents">{contents}</ul></nav>
<hr class="govuk-section-break govuk-section-break--l govuk-section-break--visible">
{"".join(sections)}
</main></div>
{scripts}<script>{SCRIPT}</script>
</body></html>
"""
