"""Linkage: recorded addresses to UPRNs, records to persons, persons to household spells and
families, each with the quality figures a steward needs, and an evaluation against the synthetic
ground truth where one exists (never in production). One asset per table the stages write."""

from pathlib import Path

import dagster as dg
import polars as pl

from linkage.addresses import ADDRESS_MATCHES, AddressMatchThresholds, match_addresses
from linkage.evaluation import (
    EVALUATION_TABLE,
    MAX_RECALL_GAP,
    MIN_GROUP_PERSONS,
    QUALITY_STAGE,
    STAGE_TARGETS,
    TARGET_DENOMINATORS,
    TRUTH_FILES,
    append_evaluation,
    evaluate_linkage,
    latest_evaluation,
    latest_evaluation_rows,
    meets_target,
    person_linkage_quality,
    recall_gaps,
    wilson_upper_bound,
)
from linkage.families import FAMILY_MEMBERS, PARENT_LINKS, SIBLING_LINKS, link_families
from linkage.households import HOUSEHOLD_MEMBERS, HOUSEHOLD_SPELLS, form_households
from linkage.model import PERSON_LINKAGE_MODELS, REVIEW_LOWER_BOUND, TARGET_PRECISION, save_person_model, write_model_file
from linkage.persons import (
    PERSON_LINKS,
    PERSON_MATCH_PAIRS,
    PersonLinkageSettings,
    PseudonymSecretMissing,
    link_persons,
    pseudonym_secret,
    train_on_warehouse,
)
from linkage.review import DEFAULT_DECISIONS_PATH, REVIEW_QUEUE, read_decisions
from orchestration.resources import WAREHOUSE_POOL, HearthPaths, Warehouse
from validations.direct_identifiers import direct_identifier_columns


def _pseudonym_secret(paths: HearthPaths) -> str:
    """The keys' secret, or a failed run saying in one line how to set it (see `linkage.persons.pseudonym_secret`)."""
    try:
        return pseudonym_secret(paths.landing)
    except PseudonymSecretMissing as missing:
        raise dg.Failure(description=str(missing), allow_retries=False) from None


def table_key(table: str) -> dg.AssetKey:
    """The asset key of a warehouse table: `<schema>/<table>`."""
    return dg.AssetKey(table.split("."))


INT_PERSON_RECORDS = dg.AssetKey(["intermediate", "int_person_records"])
EVALUATION_KEY = table_key(EVALUATION_TABLE)


class LinkageSettings(dg.ConfigurableResource):
    """Acceptance thresholds for linkage, and where the clerical reviewers' decisions are kept
    (`HEARTH_REVIEW_DECISIONS` in `orchestration.definitions`, by default the CSV in the repo)."""

    min_address_match_weight: float = AddressMatchThresholds.min_match_weight
    min_address_distinguishability: float = AddressMatchThresholds.min_distinguishability
    person_target_precision: float = TARGET_PRECISION
    person_review_lower_bound: float = REVIEW_LOWER_BOUND
    review_decisions_path: str = str(DEFAULT_DECISIONS_PATH)

    def address_thresholds(self) -> AddressMatchThresholds:
        return AddressMatchThresholds(self.min_address_match_weight, self.min_address_distinguishability)

    def person_settings(self) -> PersonLinkageSettings:
        return PersonLinkageSettings(target_precision=self.person_target_precision, review_lower_bound=self.person_review_lower_bound)


@dg.asset(
    pool=WAREHOUSE_POOL,
    key=table_key(ADDRESS_MATCHES),
    kinds={"duckdb", "splink"},
    deps=[INT_PERSON_RECORDS, dg.AssetKey(["staging", "stg_census_2021__households"]), dg.AssetKey(["staging", "stg_gazetteer__properties"])],
)
def address_matches(warehouse: Warehouse, linkage_settings: LinkageSettings) -> dg.MaterializeResult:
    """Every recorded address matched to a gazetteer UPRN with uk-address-matcher; below the
    acceptance thresholds a record keeps its best candidate but no UPRN."""
    with warehouse.get_connection() as con:
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


PERSON_MODEL_KEY = table_key(PERSON_LINKAGE_MODELS)


@dg.asset(pool=WAREHOUSE_POOL, key=PERSON_MODEL_KEY, kinds={"duckdb", "splink"}, deps=[table_key(ADDRESS_MATCHES), INT_PERSON_RECORDS])
def person_linkage_models(warehouse: Warehouse) -> dg.MaterializeResult:
    """Retraining: the person linkage model trained on the warehouse's records and appended to
    `linkage.person_linkage_models` as the next version (Splink JSON with a summary of its training
    data), also written next to the warehouse (`data/warehouse/person_linkage_model_v<version>.json`). Person linkage runs use
    the newest version and never train; materialise this asset to retrain (it is outside `linkage_job`)."""
    with warehouse.get_connection() as con:
        model = save_person_model(con, train_on_warehouse(con))
    exported = warehouse.path.parent / f"person_linkage_model_v{model.version}.json"
    write_model_file(model, exported)
    return dg.MaterializeResult(metadata={**model.training_summary, "exported_to": str(exported)})


PERSON_UPSTREAM = [table_key(ADDRESS_MATCHES), INT_PERSON_RECORDS, PERSON_MODEL_KEY]


@dg.multi_asset(
    pool=WAREHOUSE_POOL,
    name="person_links",
    specs=[
        dg.AssetSpec(
            table_key(PERSON_LINKS),
            kinds={"duckdb", "splink"},
            deps=PERSON_UPSTREAM,
            description="Every person record's pseudonymous person key, and the match probability of its strongest link.",
        ),
        dg.AssetSpec(
            table_key(PERSON_MATCH_PAIRS),
            kinds={"duckdb"},
            deps=PERSON_UPSTREAM,
            description="Every Splink-scored pair from the review lower bound, by representative record id, banded 'link' or 'review'.",
        ),
        dg.AssetSpec(
            table_key(REVIEW_QUEUE),
            kinds={"duckdb"},
            deps=PERSON_UPSTREAM,
            description="Uncertain pairs awaiting a clerical decision, with the evidence of each comparison.",
        ),
    ],
)
def person_links(warehouse: Warehouse, linkage_settings: LinkageSettings, paths: HearthPaths):
    """Every person record clustered to one pseudonymous person key: identifiers first, then the
    saved model (or the repo's default) for the rest, with the reviewers' decisions applied; pairs
    in the uncertain band are queued for review."""
    decisions = read_decisions(Path(linkage_settings.review_decisions_path))
    with warehouse.get_connection() as con:
        summary = link_persons(con, _pseudonym_secret(paths), linkage_settings.person_settings(), decisions)
        by_source = con.sql(
            f"select records.source, count(*), count(distinct links.person_key) from {PERSON_LINKS} as links "
            "join intermediate.int_person_records as records using (record_id) group by 1 order by 1"
        ).fetchall()
        bands = dict(con.sql(f"select band, count(*) from {PERSON_MATCH_PAIRS} group by 1").fetchall())
    metadata = {
        **summary,
        "decisions_applied": decisions.height,
        "records_and_persons_by_source": dg.MetadataValue.json({s: {"records": n, "persons": p} for s, n, p in by_source}),
    }
    if summary["demo_secret"]:
        metadata["warning"] = "HEARTH_PSEUDONYM_SECRET is not set: person keys use the public demo secret and are not safe for real data."
    yield dg.MaterializeResult(asset_key=table_key(PERSON_LINKS), metadata=metadata)
    yield dg.MaterializeResult(asset_key=table_key(PERSON_MATCH_PAIRS), metadata={"pairs_by_band": dg.MetadataValue.json(bands)})
    yield dg.MaterializeResult(
        asset_key=table_key(REVIEW_QUEUE),
        metadata={
            "review_pairs": summary["review_pairs"],
            "threshold": summary["threshold"],
            "decisions_file": str(Path(linkage_settings.review_decisions_path)),
        },
    )


HOUSEHOLD_UPSTREAM = [table_key(PERSON_LINKS), table_key(ADDRESS_MATCHES), INT_PERSON_RECORDS]


@dg.multi_asset(
    pool=WAREHOUSE_POOL,
    name="households",
    specs=[
        dg.AssetSpec(
            table_key(HOUSEHOLD_SPELLS),
            kinds={"duckdb"},
            deps=HOUSEHOLD_UPSTREAM,
            description="Household spells: a UPRN, from, to, and how many members were seen living there.",
        ),
        dg.AssetSpec(
            table_key(HOUSEHOLD_MEMBERS),
            kinds={"duckdb"},
            deps=HOUSEHOLD_UPSTREAM,
            description="Who lived in each household spell, and when.",
        ),
    ],
)
def households(warehouse: Warehouse, paths: HearthPaths):
    """Household spells from linked persons and the dates their addresses describe; both tables
    come from one pass."""
    with warehouse.get_connection() as con:
        counts = form_households(con, _pseudonym_secret(paths))
        sizes = con.sql(f"select members, count(*) from {HOUSEHOLD_SPELLS} group by 1 order by 1").fetchall()
    yield dg.MaterializeResult(
        asset_key=table_key(HOUSEHOLD_SPELLS),
        metadata={"household_spells": counts["household_spells"], "spells_by_members": dg.MetadataValue.json({str(m): n for m, n in sizes})},
    )
    yield dg.MaterializeResult(
        asset_key=table_key(HOUSEHOLD_MEMBERS), metadata={"residences": counts["residences"], "persons_housed": counts["persons_housed"]}
    )


FAMILY_UPSTREAM = [
    table_key(PERSON_LINKS),
    table_key(HOUSEHOLD_SPELLS),
    table_key(HOUSEHOLD_MEMBERS),
    dg.AssetKey(["intermediate", "int_hospital_episodes"]),
    dg.AssetKey(["staging", "stg_census_2021__persons"]),
    dg.AssetKey(["staging", "stg_ssda903__children"]),
]


@dg.multi_asset(
    pool=WAREHOUSE_POOL,
    name="families",
    specs=[
        dg.AssetSpec(
            table_key(PARENT_LINKS),
            kinds={"duckdb"},
            deps=FAMILY_UPSTREAM,
            description="Parent-child links from births in hospital, census relationships and the 903 return, with their evidence.",
        ),
        dg.AssetSpec(
            table_key(SIBLING_LINKS), kinds={"duckdb"}, deps=FAMILY_UPSTREAM, description="Children of a common parent, with how many parents they share."
        ),
        dg.AssetSpec(
            table_key(FAMILY_MEMBERS), kinds={"duckdb"}, deps=FAMILY_UPSTREAM, description="Family keys that persist across moves, and each member's role."
        ),
    ],
)
def families(warehouse: Warehouse, paths: HearthPaths):
    """Parent-child links, siblings and family keys; the three tables come from one pass."""
    with warehouse.get_connection() as con:
        counts = link_families(con, _pseudonym_secret(paths))
        evidence = con.sql(f"select evidence, count(*) from {PARENT_LINKS} group by 1 order by 2 desc").fetchall()
    yield dg.MaterializeResult(
        asset_key=table_key(PARENT_LINKS), metadata={"parent_links": counts["parent_links"], "links_by_evidence": dg.MetadataValue.json(dict(evidence))}
    )
    yield dg.MaterializeResult(asset_key=table_key(SIBLING_LINKS), metadata={"sibling_links": counts["sibling_links"]})
    yield dg.MaterializeResult(asset_key=table_key(FAMILY_MEMBERS), metadata={"families": counts["families"], "family_members": counts["family_members"]})


def _keyed_only(table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        pool=WAREHOUSE_POOL,
        asset=table_key(table),
        name="keyed_without_direct_identifiers",
        blocking=True,
        description="Marts are built from this table, so it carries pseudonymous keys only: no names, dates of birth, addresses, NHS numbers or UPNs.",
    )
    def _check(warehouse: Warehouse) -> dg.AssetCheckResult:
        with warehouse.get_connection() as con:
            found = direct_identifier_columns(con, [table])
        return dg.AssetCheckResult(
            passed=not found,
            metadata={"table": table, "direct_identifier_columns": found},
            description=f"Direct identifiers found: {', '.join(found)}." if found else f"{table} carries keys only.",
        )

    return _check


# Address matches keep the recorded address text (restricted); every later linkage table is keyed.
KEYED_TABLES = (PERSON_LINKS, HOUSEHOLD_SPELLS, HOUSEHOLD_MEMBERS, PARENT_LINKS, SIBLING_LINKS, FAMILY_MEMBERS)
keyed_only_checks = [_keyed_only(table) for table in KEYED_TABLES]


@dg.asset(pool=WAREHOUSE_POOL, key=EVALUATION_KEY, kinds={"duckdb"}, deps=[table_key(table) for table in (ADDRESS_MATCHES, *KEYED_TABLES)])
def linkage_evaluation(context: dg.AssetExecutionContext, warehouse: Warehouse, paths: HearthPaths) -> dg.MaterializeResult:
    """What person linkage says of itself (match rates by source and source pair, records left
    unlinked, pairs awaiting review, the model's estimated precision), on every run, production
    included; and where a synthetic ground truth exists, every linkage stage scored against it
    (address precision and match rate, person clusters overall and by ethnic group, sex, age band
    and IMD decile, household spells, parent and sibling links). Appended to
    `audit.linkage_evaluation` with run id and time, so the trend stays visible."""
    missing = [name for name in TRUTH_FILES.values() if not (paths.truth / name).exists()]
    with warehouse.get_connection() as con:
        quality = person_linkage_quality(con)
        evaluated = {} if missing else evaluate_linkage(con, paths.truth)
        append_evaluation(con, context.run.run_id, {QUALITY_STAGE: quality, **evaluated})
    overall = quality.filter(pl.col("breakdown").is_null())
    metadata = {f"{QUALITY_STAGE}.{metric}": value for metric, value in zip(overall["metric"], overall["value"], strict=True)}
    if missing:
        return dg.MaterializeResult(metadata={**metadata, "evaluated": False, "reason": f"no ground truth at {paths.truth} ({', '.join(missing)} missing)"})
    return dg.MaterializeResult(
        metadata={
            **metadata,
            "evaluated": True,
            **{
                f"{stage}.{row['metric']}": row["value"]
                for stage, rows in evaluated.items()
                if "breakdown" not in rows.columns
                for row in rows.filter(rows["source"] == "all").iter_rows(named=True)
            },
        }
    )


@dg.asset_check(
    pool=WAREHOUSE_POOL,
    asset=EVALUATION_KEY,
    description=f"Person linkage's cluster recall for every ethnic group (19 groups, of {MIN_GROUP_PERSONS}+ true persons) "
    f"within {MAX_RECALL_GAP:.1%} of the overall: linkage errors that fall on one group bias every figure about it.",
)
def person_recall_even_across_ethnic_groups(warehouse: Warehouse) -> dg.AssetCheckResult:
    with warehouse.get_connection() as con:
        overall = latest_evaluation(con, "record_to_person")
        by_group = latest_evaluation_rows(con, "record_to_person_by_group")
    if not overall or by_group.is_empty():
        return dg.AssetCheckResult(passed=True, description="No ground truth evaluated: nothing to compare.")
    gaps = recall_gaps(by_group, overall["cluster_recall"])
    worst = gaps.row(0, named=True) if gaps.height else None
    return dg.AssetCheckResult(
        passed=worst is None or worst["gap"] >= -MAX_RECALL_GAP,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"overall_cluster_recall": overall["cluster_recall"], "gaps": dg.MetadataValue.json(gaps.to_dicts())},
        description=f"Worst group {worst['category']}: recall {worst['cluster_recall']:.4f}, {worst['gap']:+.4f} against overall"
        if worst
        else f"No ethnic group has {MIN_GROUP_PERSONS} true persons.",
    )


def _meets_targets(name: str, stage: str, title: str) -> dg.AssetChecksDefinition:
    targets = STAGE_TARGETS[stage]

    @dg.asset_check(
        pool=WAREHOUSE_POOL,
        asset=EVALUATION_KEY,
        name=name,
        description=f"{title}: " + " and ".join(f"{metric} >= {target}" for metric, target in targets.items()) + ".",
    )
    def _check(warehouse: Warehouse) -> dg.AssetCheckResult:
        with warehouse.get_connection() as con:
            figures = latest_evaluation(con, stage)
        if not figures:
            return dg.AssetCheckResult(passed=True, description="No ground truth evaluated: nothing to compare against targets.")
        bounds = {metric: wilson_upper_bound(figures[metric], int(figures[count])) for metric, count in TARGET_DENOMINATORS.items() if metric in targets}
        return dg.AssetCheckResult(
            passed=all(meets_target(figures, metric, target) for metric, target in targets.items()),
            metadata={**figures, **{f"{metric}_upper_95": bound for metric, bound in bounds.items()}},
            description=", ".join(
                f"{metric} {figures[metric]:.4f}" + (f" (95% upper bound {bounds[metric]:.4f})" if metric in bounds else "") + f" (target {target})"
                for metric, target in targets.items()
            )
            + ".",
        )

    return _check


target_checks = [
    _meets_targets("address_match_meets_targets", "address_to_uprn", "Address to UPRN"),
    _meets_targets("person_links_meet_targets", "record_to_person", "Records to persons"),
    _meets_targets("household_spells_meet_target", "household_spells", "Household spells reproduced with the same members"),
]
