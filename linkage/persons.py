"""Records to persons: deterministic passes on strong identifiers, then Splink for the rest, then
connected components to one pseudonymous person key per cluster.

Deterministic passes link records sharing an NHS number (HES), a UPN (school census, CIN, 903),
or an LA child ID within one LA (CIN LAchildID and 903 CHILD). Splink scores the remaining
pairs on names (with term frequencies), date of birth (allowing a swapped day and month), sex,
postcode and UPRN; two different UPNs or NHS numbers are strong evidence against a match, which
is what keeps twins at one address apart. Keys are HMAC-SHA256 of the cluster's internal id.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

import duckdb
import polars as pl
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.clustering import cluster_pairwise_predictions_at_threshold

from code_lists import NICKNAMES

from .scratch import splink_scratch_dropped

PERSON_LINKS = "linkage.person_links"
PSEUDONYM_SECRET_ENV = "HEARTH_PSEUDONYM_SECRET"
FIRST_NAME_FLOOR = 0.7  # Jaro-Winkler below this is a different first name (Tom/Thomas is 0.8)
DEMO_SECRET = "hearth-demo-secret-not-for-real-data"

PERSON_NODES_SQL = """
select
    r.record_id as unique_id, r.la_code, r.la_child_id, r.upn, r.nhs_number,
    coalesce(n.full_name, r.first_name) as first_name, r.last_name,
    r.date_of_birth, year(r.date_of_birth) as birth_year, r.sex, r.postcode, cast(a.uprn as varchar) as uprn
from intermediate.int_person_records as r
left join linkage.address_matches as a on a.record_id = r.record_id
left join _first_name_nicknames as n on n.nickname = r.first_name
"""

# Star edges to the first record of each identifier: linear in records, same components as all pairs.
# Only the CIN and 903 returns carry an LA child ID.
DETERMINISTIC_EDGES_SQL = """
with keyed as (
    select unique_id, 'nhs_number' as rule, nhs_number as key from _person_signatures where nhs_number is not null
    union all
    select unique_id, 'upn', upn from _person_signatures where upn is not null
    union all
    select unique_id, 'la_child_id', la_code || '|' || la_child_id from _person_signatures where la_child_id is not null
)
select unique_id as unique_id_l, min(unique_id) over (partition by rule, key) as unique_id_r, rule
from keyed
qualify unique_id_l != unique_id_r
"""

# Records identical on every linkage field (a pupil's termly rows, a patient's admissions from
# one address) are one signature: Splink compares signatures, so repetition costs nothing.
SIGNATURE_COLUMNS = ("la_code", "la_child_id", "upn", "nhs_number", "first_name", "last_name", "date_of_birth", "sex", "postcode", "uprn")
SIGNATURES_SQL = f"""
create or replace temp table _record_signatures as
select unique_id as record_id, dense_rank() over (order by {", ".join(SIGNATURE_COLUMNS)}) as signature_id, {", ".join(SIGNATURE_COLUMNS)}, birth_year
from _person_nodes;
create or replace temp table _person_signatures as
select signature_id as unique_id, {", ".join(f"any_value({c}) as {c}" for c in (*SIGNATURE_COLUMNS, "birth_year"))}
from _record_signatures group by signature_id;
"""


@dataclass(frozen=True)
class PersonLinkageSettings:
    match_probability: float = 0.99  # Splink pairs at or above this join a person


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


def pseudonym_secret() -> tuple[str, bool]:
    """The secret from HEARTH_PSEUDONYM_SECRET, or the demo default (and whether it was the default)."""
    secret = os.environ.get(PSEUDONYM_SECRET_ENV)
    return (secret, False) if secret else (DEMO_SECRET, True)


def _dob_comparison() -> cl.CustomComparison:
    dob_l, dob_r = "date_of_birth_l", "date_of_birth_r"
    swapped = f"day({dob_l}) = month({dob_r}) and month({dob_l}) = day({dob_r}) and year({dob_l}) = year({dob_r})"
    return cl.CustomComparison(
        output_column_name="date_of_birth",
        comparison_levels=[
            cll.NullLevel("date_of_birth"),
            cll.ExactMatchLevel("date_of_birth"),
            cll.CustomLevel(swapped, label_for_charts="day and month swapped"),
            cll.AbsoluteDateDifferenceLevel("date_of_birth", input_is_string=False, threshold=31, metric="day"),
            cll.AbsoluteDateDifferenceLevel("date_of_birth", input_is_string=False, threshold=1, metric="year"),
            cll.ElseLevel(),
        ],
    )


def _settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
            _dob_comparison(),
            cl.ExactMatch("sex"),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("uprn"),
            cl.ExactMatch("upn"),
            cl.ExactMatch("nhs_number"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("date_of_birth", "uprn"),
            block_on("date_of_birth", "postcode"),
            block_on("date_of_birth", "last_name"),
            block_on("date_of_birth", "first_name"),
            block_on("first_name", "last_name", "birth_year"),
            block_on("first_name", "postcode"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


NODE_COLUMNS = ("unique_id", "la_code", "la_child_id", "upn", "nhs_number", "first_name", "last_name", "date_of_birth", "birth_year", "sex", "postcode", "uprn")


def link_persons(con: duckdb.DuckDBPyConnection, settings: PersonLinkageSettings = PersonLinkageSettings()) -> dict[str, float]:
    """Cluster every person record of the warehouse and (re)write `linkage.person_links`."""
    con.register("_first_name_nicknames", nickname_table().to_arrow())
    con.execute(f"create or replace temp table _person_nodes as {PERSON_NODES_SQL}")
    con.unregister("_first_name_nicknames")
    links, summary = cluster_person_nodes(con, settings)
    con.execute("create schema if not exists linkage")
    con.register("_links", links.to_arrow())
    con.execute(f"create or replace table {PERSON_LINKS} as select unique_id as record_id, person_key, cluster_id from _links")
    con.unregister("_links")
    return summary


def cluster_person_nodes(con: duckdb.DuckDBPyConnection, settings: PersonLinkageSettings) -> tuple[pl.DataFrame, dict[str, float]]:
    """Link the records in temp table `_person_nodes` (columns NODE_COLUMNS, any may be null);
    returns (unique_id, cluster_id, person_key) and summary figures."""
    with splink_scratch_dropped(con):
        con.execute(SIGNATURES_SQL)
        con.execute(f"create or replace temp table _deterministic_edges as {DETERMINISTIC_EDGES_SQL}")
        db_api = DuckDBAPI(connection=con)
        linker = Linker(con.table("_person_signatures"), _settings(), db_api=db_api)
        # The prior from pairs agreeing on date of birth and either name, assumed to catch 80% of true
        # matches (a typo rarely hits both names; identical records are already one signature).
        linker.training.estimate_probability_two_random_records_match(
            [block_on("first_name", "date_of_birth"), block_on("last_name", "date_of_birth")], recall=0.8
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"), estimate_without_term_frequencies=True)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "last_name"), estimate_without_term_frequencies=True)
        predictions = linker.inference.predict(threshold_match_probability=settings.match_probability)
        con.execute(
            f"""
            create or replace temp table _person_edges as
            select p.unique_id_l, p.unique_id_r
            from {predictions.physical_name} as p
            join _person_signatures as l on l.unique_id = p.unique_id_l
            join _person_signatures as r on r.unique_id = p.unique_id_r
            -- Never link two records that both carry a first name, UPN or NHS number and disagree on it
            -- outright: same surname, address and birthday with another first name is a twin, not a typo.
            where not coalesce(jaro_winkler_similarity(l.first_name, r.first_name) < {FIRST_NAME_FLOOR}, false)
              and not coalesce(l.upn != r.upn, false)
              and not coalesce(l.nhs_number != r.nhs_number, false)
              -- Nor two births more than a year apart that are not a swapped day and month: a parent
              -- and a child who share a name and an address.
              and not coalesce(
                  abs(datediff('day', l.date_of_birth, r.date_of_birth)) > 366
                  and not (day(l.date_of_birth) = month(r.date_of_birth) and month(l.date_of_birth) = day(r.date_of_birth)), false)
            union all
            select unique_id_l, unique_id_r from _deterministic_edges
            """
        )
        clusters = cluster_pairwise_predictions_at_threshold(
            nodes=con.table("_person_signatures"), edges=con.table("_person_edges"), db_api=db_api, node_id_column_name="unique_id"
        )
        # A person's cluster id is its first record id, so keys do not depend on signature numbering.
        links = con.sql(
            f"""
            select s.record_id as unique_id, min(s.record_id) over (partition by c.cluster_id) as cluster_id
            from _record_signatures as s join {clusters.physical_name} as c on c.unique_id = s.signature_id
            """
        ).pl()
        secret, is_default = pseudonym_secret()
        keys = links.select("cluster_id").unique()
        links = links.join(keys.with_columns(pseudonymise(pl.col("cluster_id"), secret).alias("person_key")), on="cluster_id")
        summary = {
            "records": links.height,
            "signatures": con.sql("select count(*) from _person_signatures").fetchone()[0],
            "persons": links["person_key"].n_unique(),
            "splink_pairs": con.sql(f"select count(*) from {predictions.physical_name}").fetchone()[0],
            "deterministic_edges": con.sql("select count(*) from _deterministic_edges").fetchone()[0],
            "demo_secret": is_default,
        }
        return links, summary
