"""The stewards' site under the docs folder: Great Expectations' Data Docs (gx/), dbt's docs (dbt/)
and the overview that links to both (index.html), all static, built from the warehouse."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR, dbt_warehouse_vars, gx_project_of
from validations.gates import build_data_docs
from validations.overview import write_overview


@dataclass(frozen=True)
class StewardsSite:
    overview: Path
    dbt_docs: Path
    data_docs: Path | None  # none until a Great Expectations gate has run


def build_stewards_site(warehouse: Path, docs_dir: Path) -> StewardsSite:
    if not warehouse.exists():
        raise ValueError(f"no warehouse at {warehouse}: run `hearth run` (or `make demo`) first")
    data_docs = build_data_docs(gx_project_of(warehouse), docs_dir / "gx")
    subprocess.run(
        ["dbt", "docs", "generate", "--profiles-dir", ".", "--target-path", str(docs_dir / "dbt"), *dbt_warehouse_vars(warehouse)],
        cwd=DBT_PROJECT_DIR,
        check=True,
        capture_output=True,
    )
    return StewardsSite(write_overview(warehouse, docs_dir), docs_dir / "dbt" / "index.html", data_docs)
