"""Clerical review: a reviewer's match joins two persons and a non-match parts one, through the
Dagster assets as a run applies them, and both decisions hold on the next run and after the model
is retrained."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from linkage.model import PERSON_LINKAGE_MODELS
from linkage.persons import PERSON_LINKS, PERSON_MATCH_PAIRS
from linkage.review import REVIEW_QUEUE, read_decisions, record_decision


def _keys(database: Path, *record_ids: str) -> list[str]:
    with duckdb.connect(str(database), read_only=True) as con:
        keys = dict(con.execute(f"select record_id, person_key from {PERSON_LINKS} where record_id in (?, ?)", list(record_ids)).fetchall())
    return [keys[record_id] for record_id in record_ids]


@pytest.fixture(scope="module")
def reviewed(linked_warehouse, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, dict[str, tuple[str, str]]]:
    """A copy of the linked warehouse, its world's landing folder, a decisions CSV, and the two pairs
    decided: records the model linked (decided a non-match) and records of two persons (decided a match)."""
    source, truth, _ = linked_warehouse
    folder = tmp_path_factory.mktemp("reviewed")
    database = folder / "hearth.duckdb"
    shutil.copy(source, database)
    with duckdb.connect(str(database), read_only=True) as con:
        linked_pair = con.sql(
            f"""
            select p.record_id_l, p.record_id_r from {PERSON_MATCH_PAIRS} as p
            join {PERSON_LINKS} as l on l.record_id = p.record_id_l join {PERSON_LINKS} as r on r.record_id = p.record_id_r
            where p.band = 'link' and l.person_key = r.person_key order by p.match_probability, p.record_id_l limit 1
            """
        ).fetchone()
        apart_pair = con.sql(
            f"""
            with persons as (select person_key, min(record_id) as record_id from {PERSON_LINKS} group by person_key order by person_key limit 2)
            select min(record_id), max(record_id) from persons
            """
        ).fetchone()
    return database, truth.parent / "landing", folder / "decisions.csv", {"non-match": linked_pair, "match": apart_pair}


def _run(database: Path, landing: Path, decisions: Path, *, retrain: bool = False) -> None:
    from orchestration.assets import linkage
    from orchestration.resources import HearthPaths, Warehouse

    selection = [dg.AssetKey(PERSON_LINKS.split(".")), dg.AssetKey(PERSON_MATCH_PAIRS.split(".")), dg.AssetKey(REVIEW_QUEUE.split("."))]
    if retrain:
        selection.append(dg.AssetKey(PERSON_LINKAGE_MODELS.split(".")))
    result = dg.materialize(
        dg.load_assets_from_modules([linkage]),
        selection=selection,
        resources={
            "warehouse": Warehouse(database=str(database)),
            "paths": HearthPaths(landing_dir=str(landing), truth_dir=str(database.parent / "no_truth")),
            "linkage_settings": linkage.LinkageSettings(review_decisions_path=str(decisions)),
        },
    )
    assert result.success


def test_a_non_match_parts_and_a_match_joins_and_both_survive_reruns_and_retraining(reviewed) -> None:
    database, landing, decisions, pairs = reviewed
    linked_l, linked_r = pairs["non-match"]
    apart_l, apart_r = pairs["match"]
    first, second = _keys(database, linked_l, linked_r)
    assert first == second, "the pair to part should start in one person"
    assert len(set(_keys(database, apart_l, apart_r))) == 2, "the pair to join should start as two persons"

    record_decision(decisions, linked_r, linked_l, "non-match", "reviewer.a", "different first names at one address")
    record_decision(decisions, apart_l, apart_r, "match", "reviewer.b", "same person, confirmed by the school")
    recorded = read_decisions(decisions)
    assert recorded.height == 2 and set(recorded["reviewer"]) == {"reviewer.a", "reviewer.b"}
    assert recorded["decided_at"].str.contains(r"^\d{4}-\d{2}-\d{2}T").all()

    for retrain in (False, False, True):  # applied, applied again on a rerun, and after retraining
        _run(database, landing, decisions, retrain=retrain)
        first, second = _keys(database, linked_l, linked_r)
        assert first != second, "the reviewer's non-match was not applied"
        first, second = _keys(database, apart_l, apart_r)
        assert first == second, "the reviewer's match was not applied"
    with duckdb.connect(str(database), read_only=True) as con:
        queued = con.execute(
            f"select count(*) from {REVIEW_QUEUE} where (record_id_l, record_id_r) in ((?, ?), (?, ?))", [*sorted(pairs["non-match"]), *sorted(pairs["match"])]
        ).fetchone()[0]
        models = con.sql(f"select count(*) from {PERSON_LINKAGE_MODELS}").fetchone()[0]
    assert queued == 0, "a decided pair is still queued for review"
    assert models >= 2, "the model was not retrained"
