"""Linkage: recorded addresses to UPRNs, records to persons, persons to household spells and
families, each with the quality figures a steward needs, and an evaluation against the synthetic
ground truth where one exists (never in production)."""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
from dagster_duckdb import DuckDBResource

from linkage.addresses import ADDRESS_MATCHES, AddressMatchThresholds, match_addresses
from linkage.evaluation import evaluate_address_matches, evaluate_household_spells, evaluate_parent_links, evaluate_person_links, true_persons
from linkage.families import FAMILY_MEMBERS, PARENT_LINKS, SIBLING_LINKS, link_families
from linkage.households import HOUSEHOLD_MEMBERS, HOUSEHOLD_SPELLS, form_households
from linkage.persons import PERSON_LINKS, PersonLinkageSettings, link_persons
from orchestration.resources import WAREHOUSE_POOL, warehouse_connection
from validations.direct_identifiers import direct_identifier_columns

ADDRESS_MATCHES_KEY = dg.AssetKey(["linkage", "address_matches"])
ADDRESS_EVALUATION_KEY = dg.AssetKey(["audit", "address_match_evaluation"])
PERSON_LINKS_KEY = dg.AssetKey(["linkage", "person_links"])
PERSON_EVALUATION_KEY = dg.AssetKey(["audit", "person_link_evaluation"])
HOUSEHOLDS_KEY = dg.AssetKey(["linkage", "households"])
HOUSEHOLD_EVALUATION_KEY = dg.AssetKey(["audit", "household_spell_evaluation"])
FAMILIES_KEY = dg.AssetKey(["linkage", "families"])
FAMILY_EVALUATION_KEY = dg.AssetKey(["audit", "family_link_evaluation"])
TARGET_PRECISION = 0.996  # the ASSIGN algorithm's published PPV
TARGET_MATCH_RATE = 0.985
TARGET_CLUSTER_PRECISION = 0.995
TARGET_CLUSTER_RECALL = 0.98
TARGET_HOUSEHOLD_SPELL_RECALL = 0.97
EVALUATION_DDL = (
    "create table if not exists audit.linkage_evaluation "
    "(run_id varchar, evaluated_at timestamptz, stage varchar, source varchar, metric varchar, value double, records bigint)"
)


class LinkageSettings(dg.ConfigurableResource):
    """Acceptance thresholds for linkage, and where the ground truth lives (evaluation only)."""

    min_address_match_weight: float = AddressMatchThresholds.min_match_weight
    min_address_distinguishability: float = AddressMatchThresholds.min_distinguishability
    min_person_match_probability: float = PersonLinkageSettings.match_probability
    truth_dir: str = ""

    def address_thresholds(self) -> AddressMatchThresholds:
        return AddressMatchThresholds(self.min_address_match_weight, self.min_address_distinguishability)


@dg.asset(
    pool=WAREHOUSE_POOL,
    key=ADDRESS_MATCHES_KEY,
    group_name="linkage",
    kinds={"duckdb", "splink"},
    deps=[
        dg.AssetKey(["intermediate", "int_person_records"]),
        dg.AssetKey(["staging", "stg_census_2021__households"]),
        dg.AssetKey(["staging", "stg_gazetteer__properties"]),
    ],
)
def address_matches(warehouse: DuckDBResource, linkage_settings: LinkageSettings) -> dg.MaterializeResult:
    """Every recorded address matched to a gazetteer UPRN with uk-address-matcher; below the
    acceptance thresholds a record keeps its best candidate but no UPRN."""
    with warehouse_connection(warehouse) as con:
        summary = match_addresses(con, linkage_settings.address_thresholds())
        by_source = con.sql(
            f"select source, count(*) n, avg(case when uprn is not null then 1.0 else 0 end) rate from {ADDRESS_MATCHES} group by 1 order by 1"
        ).fetchall()
        reasons = con.sql(f"select coalesce(match_reason, 'no candidate'), count(*) from {ADDRESS_MATCHES} group by 1 order by 2 desc").fetchall()
    return dg.MaterializeResult(
        metadata={
            "addresses": summary["addresses"],
            "matched": summary["matched"],
            "match_rate": summary["match_rate"],
            "match_rate_by_source": dg.MetadataValue.json({source: {"addresses": n, "match_rate": round(rate, 4)} for source, n, rate in by_source}),
            "match_reasons": dg.MetadataValue.json(dict(reasons)),
        }
    )


@dg.asset(pool=WAREHOUSE_POOL, key=ADDRESS_EVALUATION_KEY, group_name="linkage", deps=[ADDRESS_MATCHES_KEY], kinds={"duckdb"})
def address_match_evaluation(context: dg.AssetExecutionContext, warehouse: DuckDBResource, linkage_settings: LinkageSettings) -> dg.MaterializeResult:
    """Address matching scored against the synthetic ground truth, kept in `audit.linkage_evaluation`
    with run id and time so the trend is visible; a no-op where there is no truth."""
    truth_dir = Path(linkage_settings.truth_dir)
    if not (truth_dir / "address_uprn.parquet").exists():
        return dg.MaterializeResult(metadata={"evaluated": False, "reason": f"no ground truth at {truth_dir}"})
    with warehouse_connection(warehouse) as con:
        figures = evaluate_address_matches(con, truth_dir)
        rows = figures.rename({"addresses": "records"}).unpivot(index=["source", "records"], on=["match_rate", "precision"], variable_name="metric")
        append_evaluation(con, context.run.run_id, "address_to_uprn", rows)
    overall = figures.filter(pl.col("source") == "all").row(0, named=True)
    return dg.MaterializeResult(
        metadata={
            "evaluated": True,
            "precision": overall["precision"],
            "match_rate": overall["match_rate"],
            "addresses_with_truth": overall["addresses"],
            "by_source": dg.MetadataValue.json(
                {r["source"]: {"precision": r["precision"], "match_rate": r["match_rate"]} for r in figures.iter_rows(named=True)}
            ),
        }
    )


def append_evaluation(con: duckdb.DuckDBPyConnection, run_id: str, stage: str, rows: pl.DataFrame) -> None:
    """Append one stage's figures (source, metric, value, records) to `audit.linkage_evaluation`."""
    stamped = rows.with_columns(pl.lit(stage).alias("stage"), pl.lit(run_id).alias("run_id"), pl.lit(datetime.now(UTC)).alias("evaluated_at"))
    con.execute("create schema if not exists audit")
    con.execute(EVALUATION_DDL)
    con.register("_evaluation", stamped.to_arrow())
    con.execute("insert into audit.linkage_evaluation by name select run_id, evaluated_at, stage, source, metric, value, records from _evaluation")
    con.unregister("_evaluation")


def latest_evaluation(warehouse: DuckDBResource, stage: str) -> dict[str, float]:
    """The newest run's overall figures for a stage ({} where none was ever evaluated)."""
    with warehouse_connection(warehouse) as con:
        con.execute("create schema if not exists audit")
        con.execute(EVALUATION_DDL)
        return dict(
            con.execute(
                "select metric, value from audit.linkage_evaluation where stage = ? and source = 'all' and run_id = "
                "(select run_id from audit.linkage_evaluation where stage = ? order by evaluated_at desc limit 1)",
                [stage, stage],
            ).fetchall()
        )


def _targets_result(figures: dict[str, float], targets: dict[str, float]) -> dg.AssetCheckResult:
    if not figures:
        return dg.AssetCheckResult(passed=True, description="No ground truth evaluated: nothing to compare against targets.")
    passed = all(figures[metric] >= target for metric, target in targets.items())
    return dg.AssetCheckResult(
        passed=passed,
        metadata=figures,
        description=", ".join(f"{metric} {figures[metric]:.4f} (target {target})" for metric, target in targets.items()) + ".",
    )


@dg.asset_check(
    pool=WAREHOUSE_POOL, asset=ADDRESS_EVALUATION_KEY, description=f"Address to UPRN: precision >= {TARGET_PRECISION} at match rate >= {TARGET_MATCH_RATE}."
)
def address_match_meets_targets(warehouse: DuckDBResource) -> dg.AssetCheckResult:
    return _targets_result(latest_evaluation(warehouse, "address_to_uprn"), {"precision": TARGET_PRECISION, "match_rate": TARGET_MATCH_RATE})


@dg.asset(
    pool=WAREHOUSE_POOL,
    key=PERSON_LINKS_KEY,
    group_name="linkage",
    kinds={"duckdb", "splink"},
    deps=[ADDRESS_MATCHES_KEY, dg.AssetKey(["intermediate", "int_person_records"])],
)
def person_links(warehouse: DuckDBResource, linkage_settings: LinkageSettings) -> dg.MaterializeResult:
    """Every person record clustered to one pseudonymous person key: identifiers first, Splink for the rest."""
    with warehouse_connection(warehouse) as con:
        summary = link_persons(con, PersonLinkageSettings(linkage_settings.min_person_match_probability))
        by_source = con.sql(
            f"select r.source, count(*), count(distinct l.person_key) from {PERSON_LINKS} l "
            "join intermediate.int_person_records r using (record_id) group by 1 order by 1"
        ).fetchall()
    metadata = {**summary, "records_and_persons_by_source": dg.MetadataValue.json({s: {"records": n, "persons": p} for s, n, p in by_source})}
    if summary["demo_secret"]:
        metadata["warning"] = "HEARTH_PSEUDONYM_SECRET is not set: person keys use the public demo secret and are not safe for real data."
    return dg.MaterializeResult(metadata=metadata)


@dg.asset_check(
    pool=WAREHOUSE_POOL,
    asset=PERSON_EVALUATION_KEY,
    description=f"Records to persons: cluster precision >= {TARGET_CLUSTER_PRECISION} and cluster recall >= {TARGET_CLUSTER_RECALL}.",
)
def person_links_meet_targets(warehouse: DuckDBResource) -> dg.AssetCheckResult:
    return _targets_result(
        latest_evaluation(warehouse, "record_to_person"), {"cluster_precision": TARGET_CLUSTER_PRECISION, "cluster_recall": TARGET_CLUSTER_RECALL}
    )


@dg.asset(
    pool=WAREHOUSE_POOL,
    key=HOUSEHOLDS_KEY,
    group_name="linkage",
    kinds={"duckdb"},
    deps=[PERSON_LINKS_KEY, ADDRESS_MATCHES_KEY, dg.AssetKey(["intermediate", "int_person_records"])],
)
def households(warehouse: DuckDBResource) -> dg.MaterializeResult:
    """Household spells (UPRN, from, to, members) from linked persons and the dates their addresses
    describe (`linkage.household_spells`, `linkage.household_members`)."""
    with warehouse_connection(warehouse) as con:
        counts = form_households(con)
        sizes = con.sql(f"select members, count(*) from {HOUSEHOLD_SPELLS} group by 1 order by 1").fetchall()
    return dg.MaterializeResult(metadata={**counts, "spells_by_members": dg.MetadataValue.json({str(m): n for m, n in sizes})})


@dg.asset_check(
    pool=WAREHOUSE_POOL,
    asset=HOUSEHOLD_EVALUATION_KEY,
    description=f"Household spells: at least {TARGET_HOUSEHOLD_SPELL_RECALL} of the observable true spells reproduced with the same members.",
)
def household_spells_meet_target(warehouse: DuckDBResource) -> dg.AssetCheckResult:
    return _targets_result(latest_evaluation(warehouse, "household_spells"), {"household_spell_recall": TARGET_HOUSEHOLD_SPELL_RECALL})


@dg.asset(
    pool=WAREHOUSE_POOL,
    key=FAMILIES_KEY,
    group_name="linkage",
    kinds={"duckdb"},
    deps=[
        PERSON_LINKS_KEY,
        HOUSEHOLDS_KEY,
        dg.AssetKey(["intermediate", "int_hospital_episodes"]),
        dg.AssetKey(["staging", "stg_census_2021__persons"]),
        dg.AssetKey(["staging", "stg_ssda903__children"]),
    ],
)
def families(warehouse: DuckDBResource) -> dg.MaterializeResult:
    """Parent-child links from births in hospital, census relationships and the 903 return,
    siblings, and family keys that persist across moves (`linkage.parent_links`,
    `linkage.sibling_links`, `linkage.family_members`)."""
    with warehouse_connection(warehouse) as con:
        counts = link_families(con)
        evidence = con.sql("select evidence, count(*) from linkage.parent_links group by 1 order by 2 desc").fetchall()
    return dg.MaterializeResult(metadata={**counts, "links_by_evidence": dg.MetadataValue.json(dict(evidence))})


KEYED_TABLES = {
    HOUSEHOLDS_KEY: [HOUSEHOLD_SPELLS, HOUSEHOLD_MEMBERS],
    FAMILIES_KEY: [PARENT_LINKS, SIBLING_LINKS, FAMILY_MEMBERS],
    PERSON_LINKS_KEY: [PERSON_LINKS],
}


def _keyed_only(asset_key: dg.AssetKey, tables: list[str]) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        pool=WAREHOUSE_POOL,
        asset=asset_key,
        name="keyed_without_direct_identifiers",
        blocking=True,
        description="The tables marts are built from carry pseudonymous keys only: no names, dates of birth, addresses, NHS numbers or UPNs.",
    )
    def _check(warehouse: DuckDBResource) -> dg.AssetCheckResult:
        with warehouse_connection(warehouse) as con:
            found = direct_identifier_columns(con, tables)
        return dg.AssetCheckResult(
            passed=not found,
            metadata={"tables": tables, "direct_identifier_columns": found},
            description=f"Direct identifiers found: {', '.join(found)}." if found else f"{len(tables)} tables carry keys only.",
        )

    return _check


keyed_only_checks = [_keyed_only(asset_key, tables) for asset_key, tables in KEYED_TABLES.items()]


def _evaluation_asset(
    key: dg.AssetKey,
    upstream: dg.AssetKey,
    stage: str,
    truth_file: str,
    count: str,
    evaluate: Callable[[duckdb.DuckDBPyConnection, Path], dict[str, float]],
    description: str,
) -> dg.AssetsDefinition:
    """One linkage stage scored against the ground truth, appended to `audit.linkage_evaluation`
    with run id and time; a no-op where there is no truth (production)."""

    @dg.asset(pool=WAREHOUSE_POOL, key=key, group_name="linkage", deps=[upstream], kinds={"duckdb"}, description=description)
    def _evaluation(context: dg.AssetExecutionContext, warehouse: DuckDBResource, linkage_settings: LinkageSettings) -> dg.MaterializeResult:
        truth_dir = Path(linkage_settings.truth_dir)
        if not (truth_dir / truth_file).exists():
            return dg.MaterializeResult(metadata={"evaluated": False, "reason": f"no ground truth at {truth_dir}"})
        with warehouse_connection(warehouse) as con:
            figures = evaluate(con, truth_dir)
            rows = pl.DataFrame({"source": "all", "metric": list(figures), "value": [float(v) for v in figures.values()], "records": figures[count]})
            append_evaluation(con, context.run.run_id, stage, rows)
        return dg.MaterializeResult(metadata={"evaluated": True, **figures})

    return _evaluation


person_link_evaluation = _evaluation_asset(
    PERSON_EVALUATION_KEY,
    PERSON_LINKS_KEY,
    "record_to_person",
    "record_person.parquet",
    "records",
    lambda con, truth_dir: evaluate_person_links(con.sql(f"select record_id, person_key from {PERSON_LINKS}").pl(), true_persons(truth_dir)),
    "Person linkage scored against the ground truth (pairwise and cluster precision and recall).",
)
household_spell_evaluation = _evaluation_asset(
    HOUSEHOLD_EVALUATION_KEY,
    HOUSEHOLDS_KEY,
    "household_spells",
    "household_spells.parquet",
    "true_household_spells",
    evaluate_household_spells,
    "Household spells scored against the truth: the share of true spells the extracts saw that are reproduced at the same UPRN with the same members.",
)
family_link_evaluation = _evaluation_asset(
    FAMILY_EVALUATION_KEY,
    FAMILIES_KEY,
    "family_links",
    "relationships.parquet",
    "parent_links",
    evaluate_parent_links,
    "Parent-child and sibling links scored against the ground truth's relationships.",
)
