"""Household spells: who lived together at which UPRN, and when, from linked persons and the
dates their recorded addresses describe.

Each person's addresses are read in date order. An address seen again after the person was
first seen at a newer address, within a year of that, is taken as stale (a source still holding
the address they left) and set aside. Consecutive sightings at one UPRN are the person's
residence there: certainly from the first sighting to the last, and possibly from just after
their last sighting at the previous address to just before their first at the next (open where
there is none). Sightings are sparse (a census day, a school term, an admission), so two people
at one UPRN could have lived together when each was seen there at a time the other could have
been there. Residences at a UPRN, in order of first sighting, join the current household spell
when the person came from or went on to the same address as one of its members (they moved
together), or could have lived with at least half of its members and the UPRN was not unseen for
over a year before them; otherwise they begin the next spell. Before that, a sighting at an
address someone had already left with the people they moved with is set aside as stale too. A
household spell key is an HMAC of the UPRN and the spell's first sighting, so it is stable
between runs on the same data; the property key, an HMAC of the UPRN, is what marts carry.
"""

from __future__ import annotations

import duckdb
import polars as pl

from .addresses import PROPERTY_KEYS_SQL, normalised_address
from .persons import PERSON_LINKS, pseudonymise

HOUSEHOLD_SPELLS = "linkage.household_spells"
HOUSEHOLD_MEMBERS = "linkage.household_members"
STALE_ADDRESS_DAYS = 365  # a source may keep the address a person left for up to a year
UNSEEN_DAYS = 365  # a UPRN where nobody was seen for longer has changed hands

# A record whose address matched no single UPRN (a missing postcode, and the address found in
# more than one place) is still a sighting at whichever of those places the people it describes
# (the person, or everyone on a census form) were seen at on other records, when that is just one.
SIGHTINGS_SQL = f"""
with census_household_records as (
    select p.record_id, h.record_id as address_record_id
    from staging.stg_census_2021__persons as p
    join staging.stg_census_2021__households as h using (census_household_id)
),
recorded as (
    select l.person_key, r.address_date as seen_on, a.record_id as address_record_id, a.uprn, a.address_text
    from intermediate.int_person_records as r
    join {PERSON_LINKS} as l on l.record_id = r.record_id
    left join census_household_records as c on c.record_id = r.record_id
    join linkage.address_matches as a on a.record_id = coalesce(c.address_record_id, r.record_id)
    where r.address_date is not null
),
placed as (
    select distinct person_key, seen_on, uprn from recorded where uprn is not null
),
unplaced_candidates as (
    select distinct u.address_record_id, u.person_key, k.uprn
    from recorded as u
    join ({PROPERTY_KEYS_SQL}) as k on k.address_key = {normalised_address("u.address_text")}
    where u.uprn is null
),
placed_by_the_people as (
    select c.address_record_id, any_value(c.uprn) as uprn
    from unplaced_candidates as c
    semi join placed as p on p.person_key = c.person_key and p.uprn = c.uprn
    group by c.address_record_id
    having count(distinct c.uprn) = 1
)
select * from placed
union
select u.person_key, u.seen_on, b.uprn from recorded as u join placed_by_the_people as b using (address_record_id)
"""

RESIDENCES_SQL = f"""
with first_seen as (
    select person_key, uprn, min(seen_on) as first_seen_on from _sightings group by all
),
-- The person's newest address as of each sighting: the UPRN first seen most recently (of two first
-- seen on one day, the higher UPRN, so that every run judges alike).
judged as (
    select s.person_key, s.seen_on, s.uprn,
        arg_max(f.uprn, {{'first_seen_on': f.first_seen_on, 'uprn': f.uprn}}) as current_uprn, max(f.first_seen_on) as current_since
    from _sightings as s
    join first_seen as f on f.person_key = s.person_key and f.first_seen_on <= s.seen_on
    group by all
),
kept as (
    select person_key, seen_on, uprn from judged
    where uprn = current_uprn or datediff('day', current_since, seen_on) > {STALE_ADDRESS_DAYS}
),
runs as (
    select *, sum(case when uprn is distinct from previous_uprn then 1 else 0 end) over (partition by person_key order by seen_on, uprn) as run
    from (select *, lag(uprn) over (partition by person_key order by seen_on, uprn) as previous_uprn from kept)
),
residences as (
    select person_key, run, any_value(uprn) as uprn, min(seen_on) as first_seen, max(seen_on) as last_seen
    from runs group by person_key, run
)
select uprn, person_key, first_seen, last_seen,
    coalesce(lag(last_seen) over w, date '0001-01-01') as seen_before_elsewhere,
    coalesce(lead(first_seen) over w, date '9999-12-31') as seen_after_elsewhere,
    lag(uprn) over w as previous_uprn, lead(uprn) over w as next_uprn
from residences
window w as (partition by person_key order by run)
order by uprn, first_seen, person_key
"""


# A source still holding the address a person left, caught by who they moved with: a sighting at
# the old UPRN dated after someone who made the same move (same old and new UPRN) was already seen
# at the new one, within a year of that.
LEFT_BEHIND_SQL = f"""
with moves as (
    select person_key, uprn, lead(uprn) over w as next_uprn, lead(first_seen) over w as arrived
    from _residences window w as (partition by person_key order by first_seen)
),
first_arrivals as (
    select uprn, next_uprn, min(arrived) as first_arrived from moves where next_uprn is not null group by all having count(*) >= 2
)
select s.person_key, s.seen_on, s.uprn
from _sightings as s
join moves as m on m.person_key = s.person_key and m.uprn = s.uprn and s.seen_on < m.arrived
join first_arrivals as a on a.uprn = m.uprn and a.next_uprn = m.next_uprn
where s.seen_on > a.first_arrived and datediff('day', a.first_arrived, s.seen_on) <= {STALE_ADDRESS_DAYS}
"""


def _could_have_lived_together(a: tuple, b: tuple) -> bool:
    """Each was seen at the UPRN while the other could have been there (strictly between the
    other's sightings elsewhere). Tuples are (first_seen, last_seen, seen_before, seen_after)."""
    return a[1] > b[2] and a[0] < b[3] and b[1] > a[2] and b[0] < a[3]


def _joins(spell: list[tuple], residence: tuple) -> bool:
    """A residence joins a spell when it could have been lived alongside at least half of the
    spell's members: one stale sighting of a leaver must not pull the next household in."""
    together = sum(_could_have_lived_together(member, residence) for member in spell)
    return together > 0 and 2 * together >= len(spell)


def _moved_with(spell: list[tuple], residence: tuple) -> bool:
    """Came from, or went on to, the same address as a member: they moved together."""
    return any((residence[4] is not None and member[4] == residence[4]) or (residence[5] is not None and member[5] == residence[5]) for member in spell)


def _spell_numbers(residences: pl.DataFrame) -> list[int]:
    """Residences sorted by UPRN and first sighting -> household spell number within the UPRN."""
    numbers, members, spell, uprn_before, last_seen = [], [], 0, None, None
    rows = residences.select("uprn", "first_seen", "last_seen", "seen_before_elsewhere", "seen_after_elsewhere", "previous_uprn", "next_uprn").iter_rows()
    for uprn, *residence in rows:
        if uprn != uprn_before:
            uprn_before, members, spell = uprn, [], 0
        elif _moved_with(members, residence):
            pass
        elif (residence[0] - last_seen).days > UNSEEN_DAYS or not _joins(members, residence):
            members, spell = [], spell + 1
        members.append(residence)
        last_seen = max(member[1] for member in members)
        numbers.append(spell)
    return numbers


def form_households(con: duckdb.DuckDBPyConnection, secret: str) -> dict[str, int]:
    """(Re)write `linkage.household_spells` and `linkage.household_members`; returns counts."""
    con.execute(f"create or replace temp table _sightings as {SIGHTINGS_SQL}")
    con.execute(f"create or replace temp table _residences as {RESIDENCES_SQL}")
    con.execute(f"delete from _sightings where (person_key, seen_on, uprn) in ({LEFT_BEHIND_SQL})")
    residences = con.sql(RESIDENCES_SQL).pl()
    residences = residences.with_columns(pl.Series("spell", _spell_numbers(residences), dtype=pl.Int32)).with_columns(
        pl.col("first_seen").min().over("uprn", "spell").alias("spell_from")
    )
    keys = (
        residences.select("uprn", "spell_from")
        .unique()
        .with_columns(
            pseudonymise(pl.format("household|{}|{}", "uprn", "spell_from"), secret).alias("household_key"),
            pseudonymise(pl.format("property|{}", "uprn"), secret).alias("property_key"),
        )
    )
    members = residences.join(keys, on=["uprn", "spell_from"]).select(
        "household_key", "property_key", "uprn", "person_key", pl.col("first_seen").alias("resident_from"), pl.col("last_seen").alias("resident_to")
    )
    con.execute("create schema if not exists linkage")
    con.register("_household_members", members.to_arrow())
    con.execute(f"create or replace table {HOUSEHOLD_MEMBERS} as select * from _household_members")
    con.unregister("_household_members")
    con.execute(
        f"""
        create or replace table {HOUSEHOLD_SPELLS} as
        select household_key, any_value(property_key) as property_key, any_value(uprn) as uprn, min(resident_from) as spell_from, max(resident_to) as spell_to,
            count(distinct person_key) as members
        from {HOUSEHOLD_MEMBERS} group by household_key
        """
    )
    return {"household_spells": keys.height, "residences": members.height, "persons_housed": members["person_key"].n_unique()}
