"""Records to persons: deterministic passes on strong identifiers, then Splink for the rest, then
connected components to one pseudonymous person key per cluster, split where it holds records that
cannot be one person.

Deterministic passes link records sharing an NHS number (HES), a UPN (school census, CIN, 903),
or an LA child ID within one LA (CIN LAchildID and 903 CHILD). Splink scores the remaining pairs
with the saved model (`linkage.model`): every disagreement is weighed as evidence, none vetoes a
pair. Pairs are accepted from a threshold set by the model's expected precision; pairs between the
review lower bound and the threshold go to clerical review (`linkage.review`), whose decisions the
next run applies. A cluster holding records that cannot be one person (CONFLICTS_SQL: identifiers
more than a typo apart, a parent and a child, twins) is formed again greedily, strongest links
first, refusing the links that would join them. Keys are HMAC-SHA256 of the cluster's internal id.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
from splink import DuckDBAPI, Linker
from splink.clustering import cluster_pairwise_predictions_at_threshold

from code_lists import NICKNAMES
from ingestion.landing import is_synthetic_landing

from .model import (
    REVIEW_LOWER_BOUND,
    TARGET_PRECISION,
    PersonModel,
    dob_digit_edits,
    estimate_prior,
    identifier_bodies_differ_by_one,
    latest_person_model,
    precision_threshold,
    train_person_model,
)
from .review import DECISION_SCHEMA, REVIEW_QUEUE, write_review_queue
from .scratch import splink_scratch_dropped

PERSON_LINKS = "linkage.person_links"
PERSON_MATCH_PAIRS = "linkage.person_match_pairs"
PSEUDONYM_SECRET_ENV = "HEARTH_PSEUDONYM_SECRET"
DEMO_SECRET = "hearth-demo-secret-not-for-real-data"
DETERMINISTIC_WEIGHT = 1000.0  # an identifier link outranks any Splink pair when a cluster is cut
MUST_LINK_WEIGHT = 10000.0  # and a reviewer's match outranks both

PERSON_NODES_SQL = """
select
    r.record_id as unique_id, r.la_code, r.la_child_id, r.upn, r.nhs_number,
    nullif(coalesce(n.full_name, r.first_name), 'BABY') as first_name, r.last_name,
    r.date_of_birth, nullif(r.sex, 'unknown') as sex, r.postcode, cast(a.uprn as varchar) as uprn,
    nullif(trim(regexp_replace(upper(r.address_text), '[^A-Z0-9 ]', '', 'g')), '') as address
from intermediate.int_person_records as r
left join linkage.address_matches as a on a.record_id = r.record_id
left join _first_name_nicknames as n on n.nickname = r.first_name
"""

# Star edges to the first record of each identifier: linear in records, same components as all pairs.
# Only the CIN and 903 returns carry an LA child ID.
DETERMINISTIC_EDGES_SQL = f"""
with keyed as (
    select unique_id, 'nhs_number' as rule, nhs_number as key from _person_signatures where nhs_number is not null
    union all
    select unique_id, 'upn', upn from _person_signatures where upn is not null
    union all
    select unique_id, 'la_child_id', la_code || '|' || la_child_id from _person_signatures where la_child_id is not null
)
select unique_id as unique_id_l, min(unique_id) over (partition by rule, key) as unique_id_r, {DETERMINISTIC_WEIGHT} as weight, 1.0 as match_probability
from keyed
qualify unique_id_l != unique_id_r
"""

# Records identical on every linkage field (a pupil's termly rows, a patient's admissions from
# one address) are one signature: Splink compares signatures, so repetition costs nothing.
SIGNATURE_COLUMNS = ("la_code", "la_child_id", "upn", "nhs_number", "first_name", "last_name", "date_of_birth", "sex", "postcode", "uprn", "address")
DERIVED_COLUMNS = {
    "full_name": "first_name || ' ' || last_name",
    "birth_year": "year(date_of_birth)",
    "birth_day_month": "strftime(date_of_birth, '%m%d')",
}
SIGNATURES_SQL = f"""
create or replace temp table _record_signatures as
select unique_id as record_id, dense_rank() over (order by {", ".join(SIGNATURE_COLUMNS)}) as signature_id
from _person_nodes;
create or replace temp table _person_signatures as
select s.signature_id as unique_id, min(s.record_id) as record_id, count(*) as records,
    {", ".join(f"any_value(n.{c}) as {c}" for c in SIGNATURE_COLUMNS)}
from _record_signatures as s join _person_nodes as n on n.unique_id = s.record_id group by s.signature_id;
alter table _person_signatures add column full_name varchar;
alter table _person_signatures add column birth_year integer;
alter table _person_signatures add column birth_day_month varchar;
update _person_signatures set {", ".join(f"{c} = {sql}" for c, sql in DERIVED_COLUMNS.items())};
"""


# Two records of one cluster that cannot be one person, unless an identifier they share says they
# are: two permanent UPNs or NHS numbers more than one typo apart (check character aside); births
# more than a year apart that no swapped day and month or single mistyped digit explains (a parent
# and a child); or one birthday with first names nothing like each other (neither alike, an initial
# nor swapped, between any record of one identity and any of the other: twins). Where neither
# record's identity carries an identifier and no census lists both, the two are told apart only by
# names and dates that may themselves be miswritten, so the model's evidence decides instead: births
# apart divide them only under first names that do not agree, and a shared birthday never does (a
# wholly different first name or birth date on one copy of a record is a recording error as often
# as another person). An identity is the records an identifier joins: a middle name recorded as the
# first name on one hospital record is not another person when the same NHS number carries the
# usual first name too.
def _first_names_within(similarity: float, missing: str) -> str:
    """SQL: the first names of l and r are alike at this Jaro-Winkler similarity, or one is an initial, or
    the names are swapped; `missing` (true or false) where a first name is missing."""
    return f"""coalesce(
            jaro_winkler_similarity(l.first_name, r.first_name) >= {similarity} or length(l.first_name) = 1 or length(r.first_name) = 1
            or l.first_name = r.last_name or l.last_name = r.first_name, {missing})"""


_UPN_TYPO = identifier_bodies_differ_by_one("upn", "l.upn", "r.upn")
_NHS_TYPO = identifier_bodies_differ_by_one("nhs_number", "l.nhs_number", "r.nhs_number")
ENUMERATIONS = ("census_2021_persons",)  # sources listing each person once per file: two of a file's records are two people
CONFLICTS_SQL = f"""
with anchored as (
    select distinct identity_id from _identities join _person_signatures using (unique_id)
    where upn is not null or nhs_number is not null or la_child_id is not null
),
enumerations as (
    select signature_id as unique_id, list(distinct split_part(record_id, '|', 1) || '|' || split_part(record_id, '|', 2)) as enumerations
    from _record_signatures where split_part(record_id, '|', 1) in ({", ".join(f"'{source}'" for source in ENUMERATIONS)})
    group by all
),
member_pairs as (
    select l.unique_id as unique_id_l, r.unique_id as unique_id_r,
        least(il.identity_id, ir.identity_id) as identity_l, greatest(il.identity_id, ir.identity_id) as identity_r,
        coalesce(l.upn != r.upn and not {_UPN_TYPO} and not regexp_matches(l.upn, '[A-Z]$') and not regexp_matches(r.upn, '[A-Z]$'), false)
        or coalesce(l.nhs_number != r.nhs_number and not {_NHS_TYPO}, false) as identifiers_differ,
        coalesce(
            abs(datediff('day', l.date_of_birth, r.date_of_birth)) > 366
            and not (day(l.date_of_birth) = month(r.date_of_birth) and month(l.date_of_birth) = day(r.date_of_birth))
            and {dob_digit_edits("l.date_of_birth", "r.date_of_birth")} > 1, false) as births_apart,
        coalesce(l.date_of_birth = r.date_of_birth, false) as birth_shared,
        il.identity_id in (select identity_id from anchored) or ir.identity_id in (select identity_id from anchored)
            or coalesce(list_has_any(el.enumerations, er.enumerations), false) as told_apart_by_source,
        {_first_names_within(0.7, missing="true")} as first_names_alike,
        {_first_names_within(0.92, missing="false")} as first_names_agree
    from _cluster_members as a
    join _cluster_members as b on a.cluster_id = b.cluster_id and a.unique_id < b.unique_id
    join _identities as il on il.unique_id = a.unique_id
    join _identities as ir on ir.unique_id = b.unique_id
    join _person_signatures as l on l.unique_id = a.unique_id
    join _person_signatures as r on r.unique_id = b.unique_id
    left join enumerations as el on el.unique_id = a.unique_id
    left join enumerations as er on er.unique_id = b.unique_id
    where il.identity_id != ir.identity_id
),
identity_pairs as (
    select identity_l, identity_r, bool_or(first_names_alike) as first_names_alike, bool_or(first_names_agree) as first_names_agree
    from member_pairs group by all
)
select unique_id_l, unique_id_r
from member_pairs join identity_pairs using (identity_l, identity_r)
where identifiers_differ
    or (births_apart and (told_apart_by_source or not identity_pairs.first_names_agree))
    or (birth_shared and told_apart_by_source and not identity_pairs.first_names_alike)
"""


@dataclass(frozen=True)
class PersonLinkageSettings:
    target_precision: float = TARGET_PRECISION  # expected precision of accepted Splink pairs; sets the threshold
    review_lower_bound: float = REVIEW_LOWER_BOUND  # pairs from here up to the threshold go to clerical review
    match_probability: float | None = None  # a fixed threshold instead of the one precision sets


def nickname_table() -> pl.DataFrame:
    """Nickname -> full name (upper case, as names are normalised), for nicknames of one full name
    only: a Bill is compared as a William, while an Alex stays an Alex (Alexander or Alexandra)."""
    pairs = [(nick.upper(), full.upper()) for full, nicks in NICKNAMES.items() for nick in nicks]
    frame = pl.DataFrame(pairs, schema=["nickname", "full_name"], orient="row")
    return frame.filter(pl.col("nickname").is_in(frame.group_by("nickname").len().filter(pl.col("len") == 1)["nickname"].implode()))


def pseudonymise(values: pl.Series | pl.Expr, secret: str) -> pl.Series | pl.Expr:
    """HMAC-SHA256 of internal ids: stable for a secret, not reversible without it."""
    key = secret.encode()
    return values.map_elements(lambda v: hmac.new(key, str(v).encode(), hashlib.sha256).hexdigest(), return_dtype=pl.Utf8)


class PseudonymSecretMissing(RuntimeError):
    """Keys were asked for on data not marked synthetic, with no secret of its own."""


def pseudonym_secret(landing: Path | None = None) -> str:
    """The HMAC secret for person, household and family keys: HEARTH_PSEUDONYM_SECRET, or the public
    demo secret for data the generator marked as synthetic (its marker at the root of `landing`).
    Keys under a public secret can be recomputed by anyone holding the records, so on any other
    data linkage refuses to run without a secret of its own."""
    secret = os.environ.get(PSEUDONYM_SECRET_ENV)
    if secret:
        return secret
    if landing is not None and is_synthetic_landing(landing):
        return DEMO_SECRET
    raise PseudonymSecretMissing(
        f"{PSEUDONYM_SECRET_ENV} is not set, and keys on data that is not synthetic need a secret of your own: "
        f"export {PSEUDONYM_SECRET_ENV}=$(python -c 'import secrets; print(secrets.token_hex(32))') and keep it where your keys must stay stable"
    )


NODE_COLUMNS = ("unique_id", "la_code", "la_child_id", "upn", "nhs_number", "first_name", "last_name", "date_of_birth", "sex", "postcode", "uprn", "address")


def link_persons(
    con: duckdb.DuckDBPyConnection, secret: str, settings: PersonLinkageSettings = PersonLinkageSettings(), decisions: pl.DataFrame | None = None
) -> dict[str, float]:
    """Cluster every person record of the warehouse with the newest saved model and the reviewers'
    decisions, and (re)write `linkage.person_links`, `linkage.person_match_pairs` and `linkage.review_queue`."""
    warehouse_person_nodes(con)
    model = latest_person_model(con)
    with splink_scratch_dropped(con):
        links, summary = cluster_person_nodes(con, settings, model, secret, decisions)
        con.execute("create schema if not exists linkage")
        con.register("_links", links.to_arrow())
        con.execute(f"create or replace table {PERSON_LINKS} as select unique_id as record_id, person_key, cluster_id, match_probability from _links")
        con.unregister("_links")
        con.execute(
            f"""
            create or replace table {PERSON_MATCH_PAIRS} as
            select l.record_id as record_id_l, r.record_id as record_id_r, p.match_probability, p.band
            from _scored_pairs as p join _person_signatures as l on l.unique_id = p.unique_id_l join _person_signatures as r on r.unique_id = p.unique_id_r
            """
        )
        summary["review_pairs"] = write_review_queue(con, summary["model_version"], decisions)
    summary["review_queue"] = REVIEW_QUEUE
    return summary


def warehouse_person_nodes(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create temp table `_person_nodes`: every person record of the warehouse, with its UPRN."""
    con.register("_first_name_nicknames", nickname_table().to_arrow())
    con.execute(f"create or replace temp table _person_nodes as {PERSON_NODES_SQL}")
    con.unregister("_first_name_nicknames")


def train_on_warehouse(con: duckdb.DuckDBPyConnection) -> PersonModel:
    """Train the person model on every record signature of the warehouse (not yet saved)."""
    warehouse_person_nodes(con)
    with splink_scratch_dropped(con):
        con.execute(SIGNATURES_SQL)
        model = train_person_model(con)
    records = con.sql("select count(*) from _person_nodes").fetchone()[0]
    return PersonModel(model.version, model.settings, {"records": records, **model.training_summary})


def _decided_pairs(decision: str) -> str:
    """Signature pairs a reviewer decided `decision` on, as SQL over `_decisions` and `_record_signatures`."""
    return f"""
        select least(l.signature_id, r.signature_id) as unique_id_l, greatest(l.signature_id, r.signature_id) as unique_id_r
        from _decisions as d join _record_signatures as l on l.record_id = d.record_id_l join _record_signatures as r on r.record_id = d.record_id_r
        where d.decision = '{decision}' and l.signature_id != r.signature_id
    """


def _components(con: duckdb.DuckDBPyConnection, db_api: DuckDBAPI, nodes: str, edges: str) -> str:
    clusters = cluster_pairwise_predictions_at_threshold(nodes=con.table(nodes), edges=con.table(edges), db_api=db_api, node_id_column_name="unique_id")
    return clusters.physical_name


def _merge_without_conflicts(edges: pl.DataFrame, conflicts: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Greedy clustering under cannot-link constraints: links are merged strongest first, and a merge
    that would put two conflicting records in one person is refused. A reviewer's match (weight
    MUST_LINK_WEIGHT) is never refused. Returns (unique_id, cluster_id) and how many links were refused.
    Run only on the few components that hold a conflict, so a loop over their links is cheap."""
    parent: dict[int, int] = {}
    members: dict[int, set[int]] = {}
    apart: dict[int, set[int]] = {}
    for left, right in conflicts.iter_rows():
        apart.setdefault(left, set()).add(right)
        apart.setdefault(right, set()).add(left)

    def root(node: int) -> int:
        if node not in parent:
            parent[node], members[node] = node, {node}
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    refused = 0
    for left, right, weight in edges.sort(["weight", "unique_id_l", "unique_id_r"], descending=[True, False, False]).iter_rows():
        a, b = root(left), root(right)
        if a == b:
            continue
        small, large = sorted((a, b), key=lambda r: len(members[r]))
        if weight < MUST_LINK_WEIGHT and any(apart.get(node, set()) & members[large] for node in members[small]):
            refused += 1
            continue
        parent[small] = large
        members[large] |= members.pop(small)
    rows = [(node, min(group)) for group in members.values() for node in group]
    return pl.DataFrame(rows, schema={"unique_id": pl.Int64, "cluster_id": pl.Int64}, orient="row"), refused


def _cluster_without_conflicts(con: duckdb.DuckDBPyConnection, db_api: DuckDBAPI) -> int:
    """Connected components of `_edges` over `_person_signatures` into `_signature_clusters`; a
    component holding a conflict (CONFLICTS_SQL, or a reviewer's non-match) is clustered again by
    `_merge_without_conflicts`. Returns how many links were refused."""
    identities = _components(con, db_api, "_person_signatures", "_deterministic_edges")
    con.execute(f"create or replace temp table _identities as select unique_id, cluster_id as identity_id from {identities}")
    clusters = _components(con, db_api, "_person_signatures", "_edges")
    con.execute(f"create or replace temp table _signature_clusters as select unique_id, cluster_id from {clusters}")
    con.execute("create or replace temp table _cluster_members as select * from _signature_clusters qualify count(*) over (partition by cluster_id) > 1")
    con.execute(
        f"""
        create or replace temp table _conflicts as
        select c.unique_id_l, c.unique_id_r, a.cluster_id from ({CONFLICTS_SQL} union all select * from _cannot_link) as c
        join _cluster_members as a on a.unique_id = c.unique_id_l join _cluster_members as b on b.unique_id = c.unique_id_r
        where a.cluster_id = b.cluster_id
        """
    )
    conflicted = "(select distinct cluster_id from _conflicts)"
    edges = con.sql(
        f"""
        select e.unique_id_l, e.unique_id_r, max(e.weight) as weight from _edges as e
        join _cluster_members as m on m.unique_id = e.unique_id_l where m.cluster_id in {conflicted} group by all
        """
    ).pl()
    if edges.is_empty():
        return 0
    regrouped, refused = _merge_without_conflicts(edges, con.sql("select unique_id_l, unique_id_r from _conflicts").pl())
    con.register("_regrouped", regrouped.to_arrow())
    con.execute("update _signature_clusters as c set cluster_id = g.cluster_id from _regrouped as g where c.unique_id = g.unique_id")
    con.unregister("_regrouped")
    return refused


def cluster_person_nodes(
    con: duckdb.DuckDBPyConnection, settings: PersonLinkageSettings, model: PersonModel, secret: str, decisions: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, dict[str, float]]:
    """Link the records in temp table `_person_nodes` (columns NODE_COLUMNS, any may be null) with
    `model`, keyed under `secret`; returns (unique_id, cluster_id, person_key, match_probability) and summary figures.
    Leaves `_scored_pairs` (every Splink pair from the review lower bound, with its band)."""
    con.execute(SIGNATURES_SQL)
    con.execute(f"create or replace temp table _deterministic_edges as {DETERMINISTIC_EDGES_SQL}")
    db_api = DuckDBAPI(connection=con)
    linker = Linker(con.table("_person_signatures"), dict(model.settings), db_api=db_api)
    estimate_prior(linker)
    levels = pl.DataFrame(linker._settings_obj._parameters_as_detailed_records).select("comparison_name", "log2_bayes_factor", "label_for_charts")
    con.register("_levels", levels.to_arrow())
    con.execute("create or replace temp table _comparison_levels as select * from _levels")
    con.unregister("_levels")
    predictions = linker.inference.predict(threshold_match_probability=settings.review_lower_bound)
    probabilities = con.sql(f"select match_probability from {predictions.physical_name}").pl()["match_probability"].to_numpy()
    if settings.match_probability is None:
        threshold, precision = precision_threshold(probabilities, settings.target_precision)
    else:
        accepted = probabilities[probabilities >= settings.match_probability]
        threshold, precision = settings.match_probability, float(accepted.mean()) if accepted.size else 1.0
    # The threshold is bound, not written into the SQL: DuckDB reads a decimal literal as DECIMAL, whose
    # cast to DOUBLE may miss by the last bit, leaving the pair at the threshold below it.
    con.execute(
        f"""
        create or replace temp table _scored_pairs as
        select *, case when match_probability >= ? then 'link' else 'review' end as band from {predictions.physical_name}
        """,
        [threshold],
    )
    predictions.drop_table_from_database_and_remove_from_cache()  # `_scored_pairs` holds every pair now: one wide copy in memory, not two
    decided = decisions if decisions is not None else pl.DataFrame(schema=DECISION_SCHEMA)
    con.register("_decisions", decided.select("record_id_l", "record_id_r", "decision").to_arrow())
    con.execute(f"create or replace temp table _cannot_link as {_decided_pairs('non-match')}")
    con.execute(
        f"""
        create or replace temp table _edges as
        select unique_id_l, unique_id_r, match_weight as weight, match_probability from _scored_pairs where band = 'link'
        union all select unique_id_l, unique_id_r, weight, match_probability from _deterministic_edges
        union all select unique_id_l, unique_id_r, {MUST_LINK_WEIGHT}, 1.0 from ({_decided_pairs("match")})
        """
    )
    con.unregister("_decisions")
    refused = _cluster_without_conflicts(con, db_api)
    # A person's cluster id is its first record id, so keys do not depend on signature numbering; a
    # record's strongest link is its signature's best edge within its person, or 1.0 for records identical to it.
    links = con.sql(
        """
        with kept as (
            select e.* from _edges as e
            join _signature_clusters as l on l.unique_id = e.unique_id_l join _signature_clusters as r on r.unique_id = e.unique_id_r
            where l.cluster_id = r.cluster_id
        ),
        strongest as (
            select unique_id, max(match_probability) as match_probability
            from (select unique_id_l as unique_id, match_probability from kept union all select unique_id_r, match_probability from kept)
            group by unique_id
        )
        select s.record_id as unique_id, min(s.record_id) over (partition by c.cluster_id) as cluster_id,
            case when p.records > 1 then 1.0 else strongest.match_probability end as match_probability
        from _record_signatures as s
        join _signature_clusters as c on c.unique_id = s.signature_id
        join _person_signatures as p on p.unique_id = s.signature_id
        left join strongest on strongest.unique_id = s.signature_id
        """
    ).pl()
    keys = links.select("cluster_id").unique()
    links = links.join(keys.with_columns(pseudonymise(pl.col("cluster_id"), secret).alias("person_key")), on="cluster_id")
    counts = con.sql("select count(*) filter (where band = 'link'), count(*) filter (where band = 'review') from _scored_pairs").fetchone()
    summary = {
        "records": links.height,
        "signatures": con.sql("select count(*) from _person_signatures").fetchone()[0],
        "persons": links["person_key"].n_unique(),
        "splink_pairs": counts[0],
        "deterministic_edges": con.sql("select count(*) from _deterministic_edges").fetchone()[0],
        "links_refused_for_conflicts": refused,
        "threshold": threshold,
        "estimated_precision": precision,
        "uncertain_pairs": counts[1],
        "model_version": str(model.version),
        "demo_secret": secret == DEMO_SECRET,
    }
    return links, summary
