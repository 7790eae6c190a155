"""Early help, contacts and services: the simulation's known effect, and the SSD files that carry them."""

from __future__ import annotations

import duckdb
import numpy as np
import polars as pl
import pytest

from synthetic_population.config import WorldConfig
from synthetic_population.dynamics import History, Simulation, day_number
from synthetic_population.early_help import OUTCOME_WINDOW_DAYS, PARENTING_RISK_RATIO, PARENTING_WITHIN_DAYS
from synthetic_population.geography import build_gazetteer
from synthetic_population.population import PERSONS_PER_HOUSEHOLD, build_population


@pytest.fixture(scope="module")
def history() -> History:
    """The simulation alone of a 20,000-person world (seconds; no extracts written)."""
    config = WorldConfig(persons=20_000, seed=42)
    rng = np.random.default_rng(config.seed)
    gazetteer = build_gazetteer(rng, config, int(config.persons / PERSONS_PER_HOUSEHOLD))
    population = build_population(rng, config, gazetteer, day_number(config.start))
    return Simulation(rng, config, gazetteer, population).run()


def test_the_parenting_programme_cuts_the_risk_it_was_given_and_is_confounded(history: History) -> None:
    episodes = history.early_help
    assert episodes.height > 1000
    assert np.allclose(episodes["risk_treated"], PARENTING_RISK_RATIO * episodes["risk_untreated"])
    # One draw decides both potential outcomes, so the programme only ever prevents a referral.
    assert not (episodes["referred_treated"] & ~episodes["referred_untreated"]).any()
    treated, untreated = episodes.filter(pl.col("treated")), episodes.filter(~pl.col("treated"))
    assert 0.2 < treated.height / episodes.height < 0.35  # about a quarter of episodes
    # Confounding: the programme goes more to deprived areas and to children known to social care, who are
    # referred more anyway, so the naive difference hides most of the effect.
    assert untreated["imd_decile"].mean() - treated["imd_decile"].mean() > 0.8
    assert treated["prior_care"].mean() > untreated["prior_care"].mean() + 0.05
    effect = (treated["risk_treated"] - treated["risk_untreated"]).mean()
    naive = treated["referred_treated"].mean() - untreated["referred_untreated"].mean()
    assert -0.22 < effect < -0.12, effect
    assert naive > effect + 0.1, (naive, effect)


def test_a_child_in_early_help_is_referred_in_the_window_only_by_the_outcome_drawn(history: History) -> None:
    episodes = history.early_help.select("child", "start", "referral_day")
    referrals = history.cin.select("child", pl.col("referral").cast(pl.Int64))
    in_window = episodes.join(referrals, on="child").filter(
        (pl.col("referral") > pl.col("start")) & (pl.col("referral") <= pl.col("start") + OUTCOME_WINDOW_DAYS)
    )
    assert in_window.height > 100
    assert (in_window["referral"] == in_window["referral_day"]).all()
    # A referral drawn as the outcome happens, unless the child has left the area or is already in care.
    drawn = episodes.filter(pl.col("referral_day") >= 0)
    made = drawn.join(referrals, left_on=["child", "referral_day"], right_on=["child", "referral"], how="semi")
    assert made.height / drawn.height > 0.9


def test_services_of_early_help_follow_their_episode(history: History) -> None:
    services = history.early_help_services.join(history.early_help.select("episode", pl.col("start").alias("episode_start")), on="episode")
    assert services.height == history.early_help_services.height
    parenting = services.filter(pl.col("service") == "PARENT")
    assert parenting.height == history.early_help["treated"].sum()
    assert ((parenting["start"] - parenting["episode_start"]).is_between(0, PARENTING_WITHIN_DAYS)).all()
    assert (parenting["sessions"] <= 10).all() and parenting["frequency"].eq("W").all()
    assert (services["end"] >= services["start"]).all()


def test_every_referral_follows_a_contact_and_every_record_names_a_person_of_the_extract(warehouse) -> None:
    database, _ = warehouse
    with duckdb.connect(str(database), read_only=True) as con:
        referrals, with_contact = con.sql(
            """
            select count(*), count(contacts.contact_id)
            from (
                -- Referrals made in the extracts' years (a return also lists older referrals still open).
                select distinct la_code, la_child_id, referral_date from staging.stg_cin_census__episodes
                where referral_date >= (select make_date(min(collection_year) - 1, 4, 1) from staging.stg_ssd__contacts)
            ) as episodes
            left join (
                select distinct on (la_code, person_id, contact_date) * from staging.stg_ssd__contacts
                where led_to_referral or no_further_action
            ) as contacts
                on contacts.la_code = episodes.la_code and contacts.person_id = episodes.la_child_id
                and contacts.contact_date between episodes.referral_date - 3 and episodes.referral_date
            """
        ).fetchone()
        assert referrals > 100 and with_contact / referrals > 0.97, (referrals, with_contact)
        for table, person in (("stg_ssd__contacts", "person_id"), ("stg_ssd__early_help_episodes", "person_id"), ("stg_ssd__services", "person_id")):
            rows, named = con.sql(
                f"""
                select count(*), count(persons.person_id) from staging.{table} as records
                left join (select distinct la_code, person_id, collection_year from staging.stg_ssd__persons) as persons
                    on persons.la_code = records.la_code and persons.person_id = records.{person} and persons.collection_year = records.collection_year
                """
            ).fetchone()
            # Only a person row quarantined (a mistyped UPN, a duplicate) leaves its records unnamed.
            assert rows > 50 and named / rows > 0.98, (table, rows, named)


def test_episodes_and_services_keep_their_latest_extract_and_link_up(warehouse) -> None:
    database, _ = warehouse
    with duckdb.connect(str(database), read_only=True) as con:
        staged, episodes = con.sql(
            "select count(distinct (la_code, episode_id)), (select count(*) from intermediate.int_early_help_episodes)"
            " from staging.stg_ssd__early_help_episodes"
        ).fetchone()
        assert episodes == staged > 50
        orphans = con.sql(
            """
            select count(*) from intermediate.int_services_provided as services
            where early_help_episode_id is not null and not exists (
                select 1 from intermediate.int_early_help_episodes as episodes
                where episodes.la_code = services.la_code and episodes.episode_id = services.early_help_episode_id
            )
            """
        ).fetchone()[0]
        assert orphans == 0
        late = con.sql(
            """
            select count(*), count(*) filter (where parenting_programme_start_date - episode_start_date > 21)
            from intermediate.int_early_help_episodes where parenting_programme_start_date is not null
            """
        ).fetchone()
        assert late[0] > 20 and late[1] == 0, late


def test_out_of_list_codes_in_the_new_tables_are_quarantined_where_the_truth_put_them(warehouse) -> None:
    database, truth = warehouse
    faults = pl.read_parquet(truth / "faults.parquet").filter(pl.col("table").is_in(["ssd_contacts", "ssd_services"]) & (pl.col("fault") == "out_of_list_code"))
    assert faults.height > 0
    with duckdb.connect(str(database), read_only=True) as con:
        caught = con.sql(
            "select source_file, row_number, offending_value from quarantine.rejected_rows"
            " where table_name in ('ssd_contacts', 'ssd_services') and rule like 'code_list:%'"
        ).pl()
    assert sorted(caught.select("source_file", "row_number").rows()) == sorted(faults.select("file", "row").rows())
    assert set(caught["offending_value"]) <= set(faults["recorded_value"])
