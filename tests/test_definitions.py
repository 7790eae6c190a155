import dagster as dg

from orchestration.definitions import defs
from orchestration.settings import REPO_ROOT, HearthPaths

INVENTORY = dg.AssetKey("landing_file_inventory")
CHECKS = {
    dg.AssetCheckKey(INVENTORY, "every_source_has_files"),
    dg.AssetCheckKey(INVENTORY, "no_unrecognised_files"),
}


def test_definitions_are_loadable():
    dg.Definitions.validate_loadable(defs)


def test_asset_graph_has_inventory_and_its_checks():
    graph = defs.resolve_asset_graph()
    assert INVENTORY in graph.get_all_asset_keys()
    assert CHECKS <= set(graph.asset_check_keys)
    assert graph.get(INVENTORY).group_name == "landing"


def test_landing_inventory_job_runs_asset_and_checks():
    job = defs.resolve_job_def("landing_inventory_job")
    assert job.asset_layer.selected_asset_keys == {INVENTORY}
    assert CHECKS <= set(job.asset_layer.asset_graph.asset_check_keys)


def test_paths_default_to_repo_relative_locations():
    paths = HearthPaths.from_env(environ={})
    assert paths.landing_dir == REPO_ROOT / "data" / "landing"
    assert paths.warehouse_path == REPO_ROOT / "data" / "warehouse" / "hearth.duckdb"
    assert paths.truth_dir == REPO_ROOT / "data" / "truth"


def test_paths_env_overrides(tmp_path):
    paths = HearthPaths.from_env(
        environ={
            "HEARTH_LANDING_DIR": str(tmp_path / "landing"),
            "HEARTH_WAREHOUSE_PATH": "elsewhere/w.duckdb",
            "HEARTH_TRUTH_DIR": str(tmp_path / "truth"),
        }
    )
    assert paths.landing_dir == tmp_path / "landing"
    assert paths.warehouse_path == REPO_ROOT / "elsewhere" / "w.duckdb"
    assert paths.truth_dir == tmp_path / "truth"
