"""Addresses to UPRNs with uk-address-matcher (the MoJ's pretrained Splink model), inside DuckDB.

Every recorded address is matched against the gazetteer. Most addresses are recorded just as the
gazetteer holds them: those that equal one property's address (letters and digits only) in the
same postcode, or with no postcode equal just one property's address anywhere, take its UPRN directly, and only the rest go through the matcher's cleaning and
Splink model, which is where the time goes. An exact match is accepted; a
probabilistic one only when its match weight reaches `min_match_weight` and it stands clear of
the runner-up (distinguishability above `min_distinguishability`, or no runner-up at all). Below that the record stays
unmatched rather than guessed: a wrong UPRN would put a child in the wrong household.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
from uk_address_matcher import AddressMatcher

from .scratch import splink_scratch_dropped

ADDRESS_MATCHES = "linkage.address_matches"


@dataclass(frozen=True)
class AddressMatchThresholds:
    min_match_weight: float = 10.0
    min_distinguishability: float = 0.0  # strictly above: a tie between two candidates is not a match


# Every address a source records, with the record that carries it. The 903 return holds only
# postcodes, which cannot identify a property, so it is not matched here.
MESSY_ADDRESSES_SQL = """
select record_id, source, address_text as address_concat, postcode
from intermediate.int_person_records
where address_text is not null and source != 'census_2021'
union all
select record_id, 'census_2021_households', concat_ws(', ', address_line_1, address_line_2, town), postcode
from staging.stg_census_2021__households
"""


def normalised_address(column: str) -> str:
    """SQL for an address as its letters and digits only, upper case, single-spaced."""
    return f"trim(regexp_replace(upper({column}), '[^A-Z0-9]+', ' ', 'g'))"


# A property's address text in both common orders of a named building and its number.
PROPERTY_KEYS_SQL = f"""
select uprn, postcode, {normalised_address("concat_ws(' ', sao_text, pao_text, cast(pao_start_number as varchar), street, locality, town)")} as address_key
from staging.stg_gazetteer__properties where classification_code != 'PP'
union
select uprn, postcode, {normalised_address("concat_ws(' ', sao_text, cast(pao_start_number as varchar), pao_text, street, locality, town)")}
from staging.stg_gazetteer__properties where classification_code != 'PP'
"""

# Keyed with the postcode, and without it for records whose postcode is missing. A key two
# properties share (in one postcode, or anywhere when there is no postcode) is no evidence for either.
CANONICAL_KEYS_SQL = f"""
with keys as ({PROPERTY_KEYS_SQL})
select address_key, postcode, any_value(uprn) as uprn from keys group by all having count(distinct uprn) = 1
union all
select address_key, null, any_value(uprn) from keys group by address_key having count(distinct uprn) = 1
"""

CANONICAL_SQL = """
select
    cast(uprn as varchar) as unique_id,
    concat_ws(' ', sao_text, pao_text, cast(pao_start_number as varchar), street, locality, town) as address_concat,
    postcode
from staging.stg_gazetteer__properties
where classification_code != 'PP'
"""


def match_addresses(con: duckdb.DuckDBPyConnection, thresholds: AddressMatchThresholds = AddressMatchThresholds()) -> dict[str, float]:
    """Match every recorded address and (re)write `linkage.address_matches`; returns summary figures."""
    messy = con.sql(MESSY_ADDRESSES_SQL)  # noqa: F841 (read by DuckDB's replacement scan below)
    con.execute("create or replace temp table _messy_addresses as select * from messy")
    # The same address is recorded many times (every term, every admission): match each distinct
    # (address, postcode) once and share the result.
    con.execute(
        "create or replace temp table _distinct_addresses as "
        "select row_number() over (order by address_concat, postcode) as address_id, address_concat, postcode "
        "from (select distinct address_concat, postcode from _messy_addresses)"
    )
    con.execute(
        "create or replace temp table _exact_addresses as "
        f"select d.address_id, cast(k.uprn as varchar) as resolved_canonical_id from _distinct_addresses as d "
        f"join ({CANONICAL_KEYS_SQL}) as k on k.postcode is not distinct from d.postcode and k.address_key = {normalised_address('d.address_concat')}"
    )
    con.execute(
        "create or replace temp table _address_results as "
        "select d.address_concat, d.postcode, e.resolved_canonical_id, 'exact: address and postcode as in the gazetteer' as match_reason, "
        "cast(null as double) as match_weight, cast(null as double) as distinguishability "
        "from _exact_addresses as e join _distinct_addresses as d using (address_id)"
    )
    remaining = con.sql(
        "select cast(address_id as varchar) as unique_id, address_concat, postcode from _distinct_addresses anti join _exact_addresses using (address_id)"
    )
    if remaining.count("*").fetchone()[0]:
        with splink_scratch_dropped(con):
            matches = (  # noqa: F841 (read by DuckDB's replacement scan below)
                AddressMatcher(canonical_addresses=con.sql(CANONICAL_SQL), addresses_to_match=remaining, con=con).match().matches()
            )
            con.execute(
                "insert into _address_results "
                "select d.address_concat, d.postcode, r.resolved_canonical_id, r.match_reason, r.match_weight, r.distinguishability "
                "from matches as r join _distinct_addresses as d on cast(d.address_id as varchar) = r.unique_id"
            )
    con.execute("create schema if not exists linkage")
    con.execute(
        f"""
        create or replace table {ADDRESS_MATCHES} as
        select
            m.record_id,
            m.source,
            m.address_concat as address_text,
            m.postcode,
            r.resolved_canonical_id as candidate_uprn,
            r.match_reason,
            r.match_weight,
            r.distinguishability,
            r.resolved_canonical_id is not null and (
                r.match_reason like 'exact%'
                or (r.match_weight >= ? and (r.distinguishability is null or r.distinguishability > ?))
            ) as accepted,
            case when accepted then cast(r.resolved_canonical_id as bigint) end as uprn
        from _messy_addresses as m
        left join _address_results as r
            on r.address_concat = m.address_concat and r.postcode is not distinct from m.postcode
        """,
        [thresholds.min_match_weight, thresholds.min_distinguishability],
    )
    total, matched = con.execute(f"select count(*), count(uprn) from {ADDRESS_MATCHES}").fetchone()
    return {"addresses": total, "matched": matched, "match_rate": matched / total if total else 0.0}
