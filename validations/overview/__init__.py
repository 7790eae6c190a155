"""The stewards' dashboard: `index.html` at the top of the stewards' site, beside the GX Data Docs
(gx/) and dbt's docs (dbt/). A summary of every gate by stage and source, failing and warning
gates first with their figures, thresholds and trends, the quarantine by source and year with
its rules, and linkage quality over time.

Static and offline: the GOV.UK Frontend styles and the Vega-Lite scripts are copied from the
vendored npm packages into `static/` and loaded by relative paths, so the page works from disk
and from `hearth docs --serve` with no internet. `data.py` reads, `page.py` and `charts.py` write."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from validations.docs_assets import copy_site_files

from .data import read_dashboard
from .page import render


def write_overview(database: Path, docs_dir: Path) -> Path:
    """Write `docs_dir/index.html` (and its static files) from the warehouse; returns its path."""
    dashboard = read_dashboard(database, docs_dir)
    docs_dir.mkdir(parents=True, exist_ok=True)
    page = render(
        dashboard,
        database_name=database.name,
        built=datetime.now(UTC),
        assets=copy_site_files(docs_dir),
        gx_docs=(docs_dir / "gx" / "index.html").exists(),
        dbt_docs=(docs_dir / "dbt" / "index.html").exists(),
    )
    target = docs_dir / "index.html"
    target.write_text(page, encoding="utf-8")
    return target
