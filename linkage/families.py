"""Parent-child links between linked persons, and a family key that persists across moves.

Two kinds of evidence name a parent:
- a birth in hospital: a maternity admission (ADMIMETH 31) and a birth admission (82) on the same
  day with the same recorded address are a mother and her baby;
- the census household form: a son or daughter of person 1 (relationship 4) is a child of person 1,
  and of person 1's spouse or partner too when they share the child's surname (without it the
  partner may be a step-parent); a step-child of person 1 (5) is a child of person 1's partner;
  a mother or father of person 1 (8) is person 1's parent;
- the 903 return: a looked-after girl recorded as a mother (MOTHER 1) is the mother of the one
  person born on her child's date of birth (MC_DOB) who shared a household spell with her.
Siblings are children of a common parent. A family is a mother and her children (a father's where
no mother is known), keyed by an HMAC of the anchor parent's person key, so it stays the same
family when they move.
"""

from __future__ import annotations

import duckdb
import polars as pl

from .households import HOUSEHOLD_MEMBERS
from .persons import PERSON_LINKS, pseudonymise

PARENT_LINKS = "linkage.parent_links"
SIBLING_LINKS = "linkage.sibling_links"
FAMILY_MEMBERS = "linkage.family_members"

PARENT_LINKS_SQL = f"""
with births as (
    select h.admission_date, a.uprn, h.admission_method_code as method, l.person_key
    from intermediate.int_hospital_episodes as h
    join {PERSON_LINKS} as l on l.record_id = h.record_id
    join linkage.address_matches as a on a.record_id = h.record_id
    where h.admission_method_code in ('31', '82') and a.uprn is not null
),
hospital as (
    select distinct m.person_key as parent_key, b.person_key as child_key, 'birth in hospital' as evidence
    from births as m
    join births as b on b.admission_date = m.admission_date and b.uprn = m.uprn and b.method = '82'
    where m.method = '31' and m.person_key != b.person_key
),
census as (
    select c.census_household_id, c.person_number, c.relationship_to_person_1_code as relationship, c.last_name, l.person_key
    from staging.stg_census_2021__persons as c
    join {PERSON_LINKS} as l on l.record_id = c.record_id
),
census_links as (
    select distinct head.person_key as parent_key, child.person_key as child_key, 'census: child of person 1' as evidence
    from census as child
    join census as head on head.census_household_id = child.census_household_id and head.person_number = 1
    where child.relationship = '4'
    union
    select distinct partner.person_key, child.person_key, 'census: child of person 1, surname of their partner'
    from census as child
    join census as partner on partner.census_household_id = child.census_household_id and partner.relationship in ('1', '2', '3')
    where child.relationship = '4' and partner.last_name = child.last_name
    union
    select distinct partner.person_key, child.person_key, 'census: child of person 1''s partner'
    from census as child
    join census as partner on partner.census_household_id = child.census_household_id and partner.relationship in ('1', '2', '3')
    where child.relationship = '5'
    union
    select distinct parent.person_key, head.person_key, 'census: parent of person 1'
    from census as parent
    join census as head on head.census_household_id = parent.census_household_id and head.person_number = 1
    where parent.relationship = '8'
),
looked_after_mothers as (
    select distinct l.person_key, c.mothers_child_date_of_birth as child_born
    from staging.stg_ssda903__children as c
    join {PERSON_LINKS} as l on l.record_id = c.record_id
    where c.is_mother and c.mothers_child_date_of_birth is not null
),
birth_dates as (
    select l.person_key, mode(r.date_of_birth) as date_of_birth
    from {PERSON_LINKS} as l join intermediate.int_person_records as r using (record_id) group by 1
),
looked_after_links as (
    select m.person_key as parent_key, any_value(b.person_key) as child_key, '903: child''s date of birth, same household' as evidence
    from looked_after_mothers as m
    join {HOUSEHOLD_MEMBERS} as mh on mh.person_key = m.person_key
    join {HOUSEHOLD_MEMBERS} as ch on ch.household_key = mh.household_key and ch.person_key != m.person_key
    join birth_dates as b on b.person_key = ch.person_key and b.date_of_birth = m.child_born
    group by m.person_key, m.child_born
    having count(distinct b.person_key) = 1
)
select parent_key, child_key, string_agg(distinct evidence, '; ' order by evidence) as evidence
from (select * from hospital union all select * from census_links union all select * from looked_after_links) as links
group by parent_key, child_key
"""

# Two children of one parent are siblings; `shared_parents` says whether both known parents agree.
SIBLING_LINKS_SQL = f"""
select a.child_key as person_key_a, b.child_key as person_key_b, count(distinct a.parent_key) as shared_parents
from {PARENT_LINKS} as a
join {PARENT_LINKS} as b on b.parent_key = a.parent_key and a.child_key < b.child_key
group by all
"""


def link_families(con: duckdb.DuckDBPyConnection, secret: str) -> dict[str, int]:
    """(Re)write `linkage.parent_links` and `linkage.family_members`; returns counts."""
    con.execute(f"create or replace table {PARENT_LINKS} as {PARENT_LINKS_SQL}")
    con.execute(f"create or replace table {SIBLING_LINKS} as {SIBLING_LINKS_SQL}")
    sexes = con.sql(
        f"""
        select l.person_key, mode(r.sex) as sex
        from {PERSON_LINKS} as l join intermediate.int_person_records as r using (record_id)
        where r.sex != 'unknown' group by 1
        """
    ).pl()
    links = con.sql(f"select parent_key, child_key from {PARENT_LINKS}").pl().join(sexes, left_on="parent_key", right_on="person_key", how="left")
    # A child's family is anchored on its mother, or on its father where no mother is known.
    anchors = (
        links.with_columns((pl.col("sex") == "female").fill_null(False).alias("is_mother"))
        .sort(["child_key", "is_mother", "parent_key"], descending=[False, True, False])
        .group_by("child_key", maintain_order=True)
        .first()
        .select(
            "child_key",
            pl.col("parent_key").alias("anchor_key"),
            pl.when(pl.col("is_mother")).then(pl.lit("mother")).otherwise(pl.lit("father")).alias("anchor_role"),
        )
    )
    family_key = pseudonymise(pl.lit("family|") + pl.col("anchor_key"), secret).alias("family_key")
    members = pl.concat(
        [
            anchors.select(family_key, pl.col("child_key").alias("person_key"), pl.lit("child").alias("role")),
            anchors.select(family_key, pl.col("anchor_key").alias("person_key"), pl.col("anchor_role").alias("role")),
            anchors.join(links, on="child_key")
            .filter(pl.col("parent_key") != pl.col("anchor_key"))
            .select(family_key, pl.col("parent_key").alias("person_key"), pl.lit("other parent").alias("role")),
        ]
    ).unique()
    con.register("_family_members", members.to_arrow())
    con.execute(f"create or replace table {FAMILY_MEMBERS} as select family_key, person_key, role from _family_members")
    con.unregister("_family_members")
    siblings = con.execute(f"select count(*) from {SIBLING_LINKS}").fetchone()[0]
    return {"parent_links": links.height, "sibling_links": siblings, "families": members["family_key"].n_unique(), "family_members": members.height}
