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
    assert set(graph.asset_check_keys) >= CHECKS
    assert graph.get(INVENTORY).group_name == "landing"


def test_landing_inventory_job_runs_asset_and_checks():
    job = defs.resolve_job_def("landing_inventory_job")
    assert job.asset_layer.selected_asset_keys == {INVENTORY}
    assert set(job.asset_layer.asset_graph.asset_check_keys) >= CHECKS


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


def test_asset_graph_reads_raw_then_staging_then_intermediate():
    graph = defs.resolve_asset_graph()
    keys = graph.get_all_asset_keys()
    raw_tables = {k for k in keys if k.path[0] == "raw"}
    assert len(raw_tables) == 14
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
    import pytest

    with pytest.raises(ValueError, match="unknown source"):
        quarantine_thresholds({"HEARTH_QUARANTINE_THRESHOLDS": "hospital=0.1"})
