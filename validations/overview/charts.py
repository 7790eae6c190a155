"""The dashboard's charts as Vega-Lite specs. The page embeds each as JSON and vega-embed draws it
as SVG in the browser, from the vendored builds. Colours are GOV.UK Frontend's."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from .data import GateView, QuarantineCell

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"  # names the grammar; nothing is fetched
RED, ORANGE, GREEN, GREY = "#d4351c", "#f47738", "#00703c", "#505a5f"
STATUS_COLOURS = {"domain": ["passed", "warning", "blocking"], "range": [GREEN, ORANGE, RED]}
CONFIG = {
    "font": "Arial, Helvetica, sans-serif",
    "view": {"stroke": None},
    "axis": {"labelFontSize": 12, "titleFontSize": 12, "titleFontWeight": "normal", "gridColor": "#e5e5e5"},
    "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom"},
}


def _run_labels(times: list[datetime]) -> list[str]:
    """Each run's time, to the second; two runs in one second are told apart by a count."""
    labels = [t.strftime("%d %b %H:%M:%S") for t in times]
    seen: Counter[str] = Counter()
    unique = []
    for label in labels:
        seen[label] += 1
        unique.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return unique


def gate_trend(gate: GateView) -> dict:
    """The gate's measure over its last runs, oldest first, each run's point coloured by its outcome;
    a dashed line at the threshold where it is one number."""
    labels = _run_labels([run.checked_at for run in gate.trend])
    values = [{"run": label, "value": run.value, "outcome": run.status} for label, run in zip(labels, gate.trend, strict=True)]
    percent = gate.limit is not None
    top = max(run.value for run in gate.trend)
    # Counts get whole-number ticks: one per value up to ten, else Vega's own.
    axis = {"format": ".1%"} if percent else {"format": "d", "values": list(range(int(top) + 1))} if top <= 10 else {"format": "~s"}
    y = {"field": "value", "type": "quantitative", "title": gate.measure, "axis": axis}
    x = {
        "field": "run",
        "type": "ordinal",
        "sort": None,
        "title": f"last {len(values)} runs, oldest first" if len(values) > 1 else "the one run so far",
        "axis": {"labelAngle": -30},
    }
    layers: list[dict] = [
        {"mark": {"type": "line", "color": GREY}, "encoding": {"x": x, "y": y}},
        {
            "mark": {"type": "point", "filled": True, "size": 90, "opacity": 1},
            "encoding": {"x": x, "y": y, "color": {"field": "outcome", "type": "nominal", "scale": STATUS_COLOURS, "title": "outcome"}},
        },
    ]
    if percent:
        layers.append({"mark": {"type": "rule", "color": RED, "strokeDash": [6, 4]}, "encoding": {"y": {"datum": gate.limit}}})
    return {"$schema": SCHEMA, "width": 420, "height": 150, "data": {"values": values}, "layer": layers, "config": CONFIG}


def quarantine_rates(cells: list[QuarantineCell]) -> dict:
    """The share of rows held in quarantine by collection year, one line per source."""
    values = [{"source": c.source, "year": str(c.year), "rate": c.rate, "held": c.rows_held, "read": c.rows_read} for c in cells]
    x = {"field": "year", "type": "ordinal", "title": "collection year", "axis": {"labelAngle": 0}}
    y = {"field": "rate", "type": "quantitative", "title": "share of rows held", "axis": {"format": ".1%"}}
    colour = {"field": "source", "type": "nominal", "title": "source"}
    return {
        "$schema": SCHEMA,
        "width": 640,
        "height": 220,
        "data": {"values": values},
        "layer": [
            {"mark": {"type": "line"}, "encoding": {"x": x, "y": y, "color": colour}},
            {"mark": {"type": "point", "filled": True, "size": 60}, "encoding": {"x": x, "y": y, "color": colour, "tooltip": [colour, x, y]}},
        ],
        "config": CONFIG,
    }


def linkage_over_time(points: list[tuple[datetime, str, str, float]]) -> dict:
    """Every share linkage evaluation records (precision, recall, match and unlinked rates), one
    panel per stage, one line per metric, over the evaluations."""
    values = [{"evaluated": at.isoformat(), "stage": stage, "metric": metric, "value": value} for at, stage, metric, value in points]
    x = {"field": "evaluated", "type": "temporal", "title": "evaluated", "axis": {"format": "%d %b %H:%M", "labelAngle": -30, "tickCount": 4}}
    y = {"field": "value", "type": "quantitative", "title": "share", "scale": {"domain": [0, 1]}, "axis": {"format": ".0%"}}
    colour = {"field": "metric", "type": "nominal", "title": "metric", "scale": {"scheme": "tableau20"}, "legend": {"orient": "right"}}
    return {
        "$schema": SCHEMA,
        "data": {"values": values},
        "facet": {"field": "stage", "type": "nominal", "title": None},
        "columns": 3,
        "spec": {
            "width": 260,
            "height": 150,
            "layer": [
                {"mark": {"type": "line"}, "encoding": {"x": x, "y": y, "color": colour}},
                {"mark": {"type": "point", "filled": True, "size": 50}, "encoding": {"x": x, "y": y, "color": colour, "tooltip": [colour, y, x]}},
            ],
        },
        "config": CONFIG,
    }
