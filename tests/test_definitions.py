import subprocess
import sys

import dagster as dg
import duckdb
import pytest

from ingestion.registry import SOURCES
from orchestration.definitions import defs
from orchestration.resources import HearthPaths, Warehouse
from orchestration.settings import REPO_ROOT, path_setting

INVENTORY = dg.AssetKey(["landing", "file_inventory"])
CHECKS = {
    dg.AssetCheckKey(INVENTORY, "every_source_has_files"),
    dg.AssetCheckKey(INVENTORY, "no_unrecognised_files"),
}


def test_definitions_are_loadable():
    dg.Definitions.validate_loadable(defs)


def test_asset_graph_has_inventory_and_its_checks():
    graph = defs.resolve_asset_graph()
    assert INVENTORY in graph.get_all_asset_keys()
    assert set(graph.asset_check_keys) >= CHECKS
    assert graph.get(INVENTORY).group_name == "landing"


def test_landing_inventory_job_runs_asset_and_checks():
    job = defs.resolve_job_def("landing_inventory_job")
    assert job.asset_layer.selected_asset_keys == {INVENTORY}
    assert set(job.asset_layer.asset_graph.asset_check_keys) >= CHECKS


def test_paths_default_to_repo_relative_locations():
    paths = HearthPaths()
    assert paths.landing == REPO_ROOT / "data" / "landing"
    assert paths.truth == REPO_ROOT / "data" / "truth"
    assert paths.docs == REPO_ROOT / "data" / "docs"
    assert path_setting("HEARTH_WAREHOUSE_PATH", environ={}) == REPO_ROOT / "data" / "warehouse" / "hearth.duckdb"


def test_paths_env_overrides(tmp_path):
    environ = {"HEARTH_LANDING_DIR": str(tmp_path / "landing"), "HEARTH_WAREHOUSE_PATH": "elsewhere/w.duckdb"}
    assert path_setting("HEARTH_LANDING_DIR", environ) == tmp_path / "landing"
    assert path_setting("HEARTH_WAREHOUSE_PATH", environ) == REPO_ROOT / "elsewhere" / "w.duckdb"
    warehouse = Warehouse(database="elsewhere/w.duckdb")
    assert warehouse.path == REPO_ROOT / "elsewhere" / "w.duckdb"
    assert warehouse.analysts_snapshot == REPO_ROOT / "elsewhere" / "w_analysts.duckdb"


def test_resources_read_the_environment_when_a_run_starts(tmp_path, monkeypatch):
    """Resources hold `EnvVar`s, not values copied at import: Dagster resolves them per run."""
    monkeypatch.setenv("HEARTH_WAREHOUSE_PATH", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("HEARTH_LANDING_DIR", str(tmp_path / "landing"))
    from orchestration.resources import configured_paths, configured_warehouse

    warehouse, paths = configured_warehouse(), configured_paths()
    assert isinstance(warehouse.database, dg.EnvVar) and warehouse.database.env_var_name == "HEARTH_WAREHOUSE_PATH"
    assert isinstance(paths.landing_dir, dg.EnvVar) and paths.truth_dir == "data/truth"

    @dg.asset
    def probe(warehouse: Warehouse, paths: HearthPaths) -> dg.MaterializeResult:
        with warehouse.get_connection() as con:
            con.execute("create table probe as select 1 as one")
        return dg.MaterializeResult(metadata={"warehouse": str(warehouse.path), "landing": str(paths.landing)})

    result = dg.materialize([probe], resources={"warehouse": warehouse, "paths": paths})
    (materialization,) = result.asset_materializations_for_node("probe")
    assert materialization.metadata["warehouse"].value == str(tmp_path / "w.duckdb")
    assert materialization.metadata["landing"].value == str(tmp_path / "landing")
    assert duckdb.connect(str(tmp_path / "w.duckdb")).sql("select one from probe").fetchone() == (1,)


@pytest.mark.integration  # a fresh interpreter importing Dagster, GX and Splink: about 15 s
def test_importing_the_definitions_changes_no_environment_variable_and_runs_no_subprocess():
    """Polars and pandera set variables of their own when imported, and Dagster's croniter runs
    `file` once; they are imported first, so what is left is what Hearth's code does."""
    probe = """
import os, subprocess
import dagster, polars, pandera.polars
before = dict(os.environ)
spawned = []
spawn = subprocess.Popen.__init__
def recorded(self, args, *rest, **kwargs):
    spawned.append(args)
    spawn(self, args, *rest, **kwargs)
subprocess.Popen.__init__ = recorded
import orchestration.definitions
changed = sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k))
print(changed, spawned)
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO_ROOT).stdout.strip().splitlines()[-1]
    assert out == "[] []"


def test_every_python_asset_key_names_one_warehouse_table():
    """`<schema>/<table>`: no asset writes two tables and no two assets write one. (dbt's assets are
    its models, one table each; the analysts' snapshot is a file of its own.)"""
    graph = defs.resolve_asset_graph()
    python_layers = ("landing", "raw", "linkage", "audit", "publication")
    python_keys = [key for key in graph.get_all_asset_keys() if graph.get(key).is_materializable and key.path[0] in python_layers]
    assert all(len(key.path) == 2 for key in python_keys)
    tables = {".".join(key.path) for key in python_keys}
    assert {"landing.file_inventory", "linkage.household_spells", "linkage.household_members", "linkage.parent_links", "audit.linkage_evaluation"} <= tables
    assert len(tables) == len(python_keys)
    # Each dbt source is exactly the asset that writes its table.
    sources = [key for key in graph.get_all_asset_keys() if not graph.get(key).is_materializable]
    assert sources == []


def test_asset_graph_reads_raw_then_staging_then_intermediate():
    graph = defs.resolve_asset_graph()
    keys = graph.get_all_asset_keys()
    raw_tables = {k for k in keys if k.path[0] == "raw"}
    # One raw asset per table of the registry (the school census alone fills four).
    assert raw_tables == {dg.AssetKey(["raw", table]) for source in SOURCES for table in source.tables}
    assert {dg.AssetKey(["raw", f"school_census{part}"]) for part in ("", "_attendance", "_exclusions", "_sen")} <= raw_tables
    staging = dg.AssetKey(["staging", "stg_hes_apc__episodes"])
    assert graph.get(staging).parent_keys == {dg.AssetKey(["raw", "hes_apc"])}
    assert graph.get(staging).group_name == "staging"
    person_records = graph.get(dg.AssetKey(["intermediate", "int_person_records"]))
    assert dg.AssetKey(["staging", "stg_school_census__pupil_terms"]) in person_records.parent_keys
    assert dg.AssetKey(["reference", "sex_codes"]) in person_records.parent_keys
    # Every staging model sits on a raw table; every dbt test is an asset check.
    for key in keys:
        if key.path[0] == "staging":
            assert any(parent.path[0] in ("raw", "staging", "reference") for parent in graph.get(key).parent_keys), key
    dbt_checks = [c for c in graph.asset_check_keys if c.asset_key.path[0] in ("staging", "intermediate")]
    assert len(dbt_checks) >= 90


def test_collection_years_and_thresholds_come_from_the_environment():
    from orchestration.settings import collection_years, quarantine_thresholds

    assert collection_years({}) == (2019, 2020, 2021, 2022, 2023)
    assert collection_years({"HEARTH_COLLECTION_YEARS": "2021,2019"}) == (2019, 2021)
    assert quarantine_thresholds({"HEARTH_QUARANTINE_THRESHOLDS": "hes_apc=0.02, school_census=0.1"}) == {"hes_apc": 0.02, "school_census": 0.1}
    with pytest.raises(ValueError, match="unknown source"):
        quarantine_thresholds({"HEARTH_QUARANTINE_THRESHOLDS": "hospital=0.1"})
