"""The cohort of an evaluation: one row per index event, with its exposure, covariates and outcomes.

Everything is read from the linked layer (pseudonymous person keys, full dates) and measured on the
index day: covariates from before it, outcomes from after it. Each covariate and outcome is defined
once here, so every evaluation measures it the same way.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import polars as pl

from .config import Evaluation, Outcome

# The day each kind of index event happens, per person.
INDEX_EVENTS = {
    "early_help_start": "select person_key, episode_start_date as index_date from linked.linked_early_help_episodes where person_key is not null",
    "child_in_need_referral": "select person_key, start_date as index_date from linked.linked_service_episodes"
    " where service = 'child_in_need' and person_key is not null",
}

# Covariates, each an expression over the `measured` relation below, and whether it is categorical.
COVARIATES: dict[str, tuple[str, bool]] = {
    "age_years": ("age_years", False),
    "female": ("cast(sex = 'female' as integer)", False),
    "ethnicity_broad": ("coalesce(ethnicity_broad, 'not known')", True),
    # The area of the home the child lived in on the index day (or the nearest residence linkage saw).
    "imd_decile": ("imd_decile", False),
    # A child-in-need episode open at any time in the year before the index day.
    "prior_social_care": ("cast(prior_social_care as integer)", False),
    # Absence in the census year before the index day's (0 for a child not on a school roll then).
    "prior_absence_rate": ("coalesce(prior_absence_rate, 0)", False),
    "prior_send": ("cast(coalesce(prior_send, false) as integer)", False),
}

_SERVICE_EPISODE = {"referral": "child_in_need", "child_protection_plan": "child_protection", "looked_after": "looked_after"}


def _outcome_sql(outcome: Outcome) -> str:
    if outcome.measure == "absence_next_year":
        return (
            "(select pupil_years.absence_rate from linked.linked_pupil_years as pupil_years"
            " where pupil_years.person_key = events.person_key and pupil_years.census_year = extract(year from events.index_date) + 1)"
        )
    return (
        "cast(exists (select 1 from linked.linked_service_episodes as later"
        f" where later.person_key = events.person_key and later.service = '{_SERVICE_EPISODE[outcome.measure]}'"
        f" and later.start_date > events.index_date and later.start_date <= events.index_date + {outcome.within_days}) as integer)"
    )


def follow_up_days(evaluation: Evaluation) -> int:
    """The longest outcome window: the school year after the index (365 days) for absence."""
    return max(outcome.within_days or 365 for outcome in evaluation.outcomes)


def index_window(con: duckdb.DuckDBPyConnection, evaluation: Evaluation) -> tuple[date, date]:
    """The evaluation's index window, or the longest the collection years allow (see `config.Population`)."""
    first_year, last_year = con.sql("select min(collection_year), max(collection_year) from staging.stg_cin_census__episodes").fetchone()
    earliest = date(first_year, 4, 1)  # a year after the first collection year began on 1 April of the year before
    latest = date(last_year, 3, 31) - timedelta(days=follow_up_days(evaluation))
    population = evaluation.population
    return population.index_from or earliest, population.index_until or latest


def build_cohort(con: duckdb.DuckDBPyConnection, evaluation: Evaluation, window: tuple[date, date]) -> pl.DataFrame:
    """One row per index event in `window` (`index_window`): person_key, index_date, exposed, each covariate and each outcome."""
    start, end = window
    population, exposure = evaluation.population, evaluation.exposure
    covariates = ",\n    ".join(f"{COVARIATES[name][0]} as {name}" for name in evaluation.balance_on)
    outcomes = ",\n        ".join(f"{_outcome_sql(outcome)} as {outcome.name}" for outcome in evaluation.outcomes)
    sql = f"""
    with events as (
        select distinct person_key, index_date from ({INDEX_EVENTS[population.index_event]})
        where index_date between ? and ?
    ),

    residences as (
        select
            events.person_key,
            events.index_date,
            properties.imd_decile,
            row_number() over (
                partition by events.person_key, events.index_date
                order by (events.index_date between members.resident_from and members.resident_to) desc,
                    abs(date_diff('day', members.resident_from, events.index_date)) asc, members.uprn
            ) as nearest
        from events
        inner join linkage.household_members as members on members.person_key = events.person_key
        inner join staging.stg_gazetteer__properties as properties on properties.uprn = members.uprn
    ),

    measured as (
        select
            events.person_key,
            events.index_date,
            date_diff('day', persons.date_of_birth, events.index_date) / 365.25 as age_years,
            persons.sex,
            persons.ethnicity_broad,
            residences.imd_decile,
            exists (
                select 1 from linked.linked_service_episodes as earlier
                where earlier.person_key = events.person_key and earlier.service = 'child_in_need' and earlier.start_date < events.index_date
                    and (earlier.end_date is null or earlier.end_date >= events.index_date - 365)
            ) as prior_social_care,
            prior_year.absence_rate as prior_absence_rate,
            prior_year.sen_provision_group in ('sen_support', 'ehc_plan') as prior_send,
            exists (
                select 1 from linked.linked_services_provided as services
                where services.person_key = events.person_key and services.service_type_code = ?
                    and services.service_start_date between events.index_date and events.index_date + {exposure.within_days}
            ) as exposed,
        {outcomes}
        from events
        inner join linked.linked_persons as persons on persons.person_key = events.person_key
        left join residences on residences.person_key = events.person_key and residences.index_date = events.index_date and residences.nearest = 1
        left join linked.linked_pupil_years as prior_year
            on prior_year.person_key = events.person_key and prior_year.census_year = extract(year from events.index_date) - 1
    )

    select
        person_key,
        index_date,
        exposed,
        {covariates},
        {", ".join(outcome.name for outcome in evaluation.outcomes)}
    from measured
    where age_years >= ? and age_years < ? and imd_decile is not null
    order by index_date, person_key
    """
    return con.execute(sql, [start, end, exposure.service, population.age_from, population.age_until]).pl()
