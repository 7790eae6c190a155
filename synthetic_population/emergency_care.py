"""Emergency department attendances of the simulated people, and the Emergency Care Data Set (ECDS) extract
that records them: `ecds/<year>/ecds_<year>.csv`, national and by financial year like `hes_apc_<year>.csv`,
in the SUS+ research-extract layout (docs/research/issue-16-source-layouts.md section 5).

Attendances are drawn from the household spells after the simulation, at rates by age (infants and the very
old attend most), sex and hardship, in five kinds: illness, accidental injury, mental health, self-harm and
assault. Adults, mostly women, in households with domestic abuse attend far more often after an assault, and
their children somewhat more often with injuries; the truth records which assaults are linked to the abuse.

Everything here draws from streams of its own beside the world's seed (the facts, and the faults of the
extract), so adding the source moved no value of any other extract.
"""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

import code_lists as codes
from code_lists import emergency_care as ec

from .dynamics import day_number
from .extracts import ExtractWriter
from .faults import FaultInjector
from .formats import ISO, dates, financial_year
from .population import DAYS_PER_YEAR, MALE, draw_codes
from .services import Context

ECDS_STREAM = 1818  # the attendances; [seed, ECDS_STREAM, 1] and [.., 2] the extract's faults and error profiles
TABLE = "ecds"
KINDS = ("illness", "injury", "mental_health", "self_harm", "assault")

# Attendances per person-year by age band at average hardship, illness and accidental injury. The shape is
# NHS Digital's Hospital Accident and Emergency Activity (2019-20): about 0.44 attendances per person a year in
# England (25 million for 56 million people), most under 1 and over 80, fewest at 5-15. The figures are
# assumptions in that shape; falls lift injuries again over 80.
AGE_BAND_STARTS = np.array([0, 1, 5, 16, 25, 45, 65, 80])
ILLNESS_RATE = np.array([0.62, 0.30, 0.12, 0.20, 0.20, 0.22, 0.32, 0.75])
INJURY_RATE = np.array([0.20, 0.18, 0.15, 0.17, 0.12, 0.08, 0.08, 0.16])
# Boys and young men are injured more often (assumption, in line with the HES A&E injury attendances by sex).
MALE_INJURY_RATIO = 1.25
# Assaults per person-year outside domestic abuse, by age band and sex (female, male): NHS figures put violent
# injury at about 1% of emergency attendances (the HES A&E patient group 20, assault), two thirds of them men
# aged 16-44 (Cardiff Violence Research Group's NHS A&E surveillance). Assumptions in that shape.
ASSAULT_RATE = np.array(
    [
        [0.0005, 0.0005],
        [0.0005, 0.0005],
        [0.0015, 0.0030],
        [0.0040, 0.0120],
        [0.0035, 0.0090],
        [0.0015, 0.0035],
        [0.0005, 0.0008],
        [0.0005, 0.0005],
    ]
)
# Domestic abuse. SafeLives' "A Cry for Health" (2016), following CAADA's "Insights" data, found that in the
# year before they got effective help about a quarter of high-risk victims of domestic abuse had attended A&E
# because of their injuries, some many times; the Crime Survey for England and Wales (ONS, Domestic abuse in
# England and Wales overview) finds women about twice as likely as men to be victims, and women suffer most of
# the injuries. The rates below, over every household with abuse (not only high-risk ones), are assumptions.
DA_ASSAULT_RATE_WOMEN = 0.05  # adults 18-64 in a household with domestic abuse, per year
DA_ASSAULT_RATE_MEN = 0.01
DA_ASSAULT_RATE_OLDER_RATIO = 0.5  # adults 65 and over
DA_ASSAULT_RATE_CHILDREN = 0.003  # children harmed in the abuse
DA_CHILD_INJURY_RATIO = 1.3  # children in those households attend somewhat more often with injuries (assumption)
# Mental health and self-harm presentations per person-year: a few per cent of attendances are mental-health
# presentations by NHS England's ECDS flags, about one in a hundred self-harm (some 200,000 a year in
# England), more where a parent has a mental health problem or misuses substances, self-harm most among girls
# and young women (Hawton et al., self-harm in England). Assumptions in that shape: here about 2.5% and 0.8%.
MENTAL_HEALTH_RATE_ADULT = 0.010
MENTAL_HEALTH_RATE_YOUTH = 0.006  # ages 11-17
SELF_HARM_RATE_YOUNG = 0.006  # ages 11-24, men; women twice
SELF_HARM_RATE_ADULT = 0.002  # ages 25-64
# Hardship raises every rate: the most deprived areas attend about 1.7 times as often as the least (NHS
# Digital, A&E attendances by IMD decile); assaults rise more steeply with deprivation.
HARDSHIP_SLOPE = 0.25
ASSAULT_HARDSHIP_SLOPE = 0.4

# Arrival hour: daytime for most attendances, late evening and night for assaults (assumption; the Cardiff
# group's surveillance shows violence peaking around midnight at weekends).
DAY_HOURS = np.array([1, 0.8, 0.6, 0.5, 0.5, 0.6, 1, 2, 4, 5.5, 6, 6, 6, 5.5, 5.5, 5.5, 5.5, 5.5, 5.5, 5, 4.5, 4, 3, 2])
NIGHT_HOURS = np.array([6, 5, 4, 3, 2, 1, 0.5, 0.5, 0.5, 1, 1, 1, 1.5, 1.5, 1.5, 2, 2, 2.5, 3, 3.5, 4.5, 5.5, 6.5, 7])
# The share arriving by ambulance, by kind, and for the old (assumptions; NHS England A&E statistics put about
# one type 1 attendance in four on an ambulance).
AMBULANCE_SHARE = {"illness": 0.18, "injury": 0.12, "mental_health": 0.30, "self_harm": 0.45, "assault": 0.35}
AMBULANCE_SHARE_OVER_65, AMBULANCE_SHARE_OVER_80 = 0.45, 0.60
# Departments by kind: injuries go to minor injury units (03) more, mental health to type 1 (assumption).
DEPARTMENT_SHARE = {
    "illness": {"01": 0.80, "02": 0.03, "03": 0.10, "04": 0.07},
    "injury": {"01": 0.60, "02": 0.02, "03": 0.33, "04": 0.05},
    "mental_health": {"01": 0.97, "03": 0.03},
    "self_harm": {"01": 0.97, "03": 0.03},
    "assault": {"01": 0.80, "03": 0.17, "04": 0.03},
}
# Admission after the attendance, by kind (about 3 in 10 type 1 attendances overall, more for the old); a few
# go to a short-stay or ambulatory unit, are transferred, or die (assumptions).
ADMITTED_SHARE = {"illness": 0.25, "injury": 0.07, "mental_health": 0.25, "self_harm": 0.22, "assault": 0.08}
ADMITTED_EXTRA_OVER_65, ADMITTED_EXTRA_OVER_80 = 0.20, 0.15
ADMITTED_SHARE_CHILD_RATIO = 0.5  # under 16
SHORT_STAY_SHARE, TRANSFER_SHARE = 0.05, 0.01
DIED_SHARE_OVER_80 = 0.004
# Minutes in the department: a median of about three hours discharged, five and a half admitted (NHS England
# A&E statistics; assumption), lognormal.
MINUTES_DISCHARGED, MINUTES_ADMITTED = 180, 330
# An injury usually happened the day of the attendance, sometimes a day or two before (assumption).
INJURY_DAYS_BEFORE_SHARE = 0.15
# Ethnic category not stated or not known: ECDS records it less completely than HES (assumption).
ETHNICITY_NOT_KNOWN_SHARE = 0.08
DEPRESSIVE_FEELINGS_CODE_CHANGED = date(2022, 4, 1)


def emergency_attendances(ctx: Context) -> pl.DataFrame:
    """Every attendance of the collection years: person, arrival day and minute, kind and whether an assault
    was linked to domestic abuse in the household, drawn per spell and financial year."""
    rng = np.random.default_rng([ctx.config.seed, ECDS_STREAM])
    P, H = ctx.population.persons, ctx.population.households
    spells = ctx.history.spells.with_columns(pl.col("end").fill_null(day_number(ctx.config.end) + 1))
    person_all, household_all = spells["person"].to_numpy(), spells["household"].to_numpy()
    start_all, end_all = spells["start"].to_numpy().astype(np.int64), spells["end"].to_numpy().astype(np.int64)
    pieces = []
    for year in ctx.config.years:
        lo, hi = day_number(date(year - 1, 4, 1)), day_number(date(year, 4, 1))
        start, end = np.maximum(start_all, lo), np.minimum(end_all, hi)
        keep = end > start
        pieces.append((person_all[keep], household_all[keep], start[keep], end[keep]))
    person, household, start, end = (np.concatenate(parts) for parts in zip(*pieces, strict=True))
    years = (end - start) / DAYS_PER_YEAR
    age = ((start + end) / 2 - P.dob[person]) / DAYS_PER_YEAR
    band = np.searchsorted(AGE_BAND_STARTS, age, side="right") - 1
    male = P.sex[person] == MALE
    hardship = H.hardship[household]
    abuse = H.domestic_abuse[household]
    household_mental_health = H.mental_health[household] | H.substance_misuse[household]
    child, adult = age < 18, age >= 18
    general = np.exp(HARDSHIP_SLOPE * hardship)
    injury_ratio = np.where(male & (age >= 5) & (age < 45), MALE_INJURY_RATIO, 1.0) * np.where(abuse & child, DA_CHILD_INJURY_RATIO, 1.0)
    self_harm_young = np.where(male, 1.0, 2.0) * SELF_HARM_RATE_YOUNG
    da_adult = np.where(male, DA_ASSAULT_RATE_MEN, DA_ASSAULT_RATE_WOMEN) * np.where(age >= 65, DA_ASSAULT_RATE_OLDER_RATIO, 1.0)
    rates = {
        ("illness", False): ILLNESS_RATE[band] * general,
        ("injury", False): INJURY_RATE[band] * general * injury_ratio,
        ("mental_health", False): np.where(adult, MENTAL_HEALTH_RATE_ADULT, np.where(age >= 11, MENTAL_HEALTH_RATE_YOUTH, 0.0))
        * general
        * np.where(household_mental_health, 3.0, 1.0),
        ("self_harm", False): np.select([age < 11, age < 25, age < 65], [0.0, self_harm_young, SELF_HARM_RATE_ADULT], 0.0)
        * general
        * np.where(household_mental_health, 2.5, 1.0),
        ("assault", False): ASSAULT_RATE[band, male.astype(int)] * np.exp(ASSAULT_HARDSHIP_SLOPE * hardship),
        ("assault", True): np.where(abuse, np.where(adult, da_adult, DA_ASSAULT_RATE_CHILDREN), 0.0),
    }
    frames = []
    for (kind, linked), rate in rates.items():
        count = rng.poisson(rate * years)
        idx = np.repeat(np.arange(len(person)), count)
        hours = NIGHT_HOURS if kind == "assault" else DAY_HOURS
        frames.append(
            pl.DataFrame(
                {
                    "person": person[idx].astype(np.int32),
                    "arrival_day": (start[idx] + (rng.random(len(idx)) * (end[idx] - start[idx])).astype(np.int64)).astype(np.int32),
                    "arrival_minute": (rng.choice(24, len(idx), p=hours / hours.sum()) * 60 + rng.integers(0, 60, len(idx))).astype(np.int32),
                }
            ).with_columns(pl.lit(kind).alias("kind"), pl.lit(linked).alias("domestic_abuse"))
        )
    # A person attends once at a time: a second draw for the same minute is the same attendance.
    attendances = pl.concat(frames).unique(subset=["person", "arrival_day", "arrival_minute"], keep="first", maintain_order=True)
    return _clinical_details(rng, ctx, attendances.sort("arrival_day", "arrival_minute", "person"))


def _clinical_details(rng: np.random.Generator, ctx: Context, attendances: pl.DataFrame) -> pl.DataFrame:
    """Chief complaint, injury date and intent, diagnoses, arrival mode, department, discharge and departure of
    each attendance, by its kind and the person's age."""
    n = attendances.height
    kind = attendances["kind"].to_numpy()
    day = attendances["arrival_day"].to_numpy().astype(np.int64)
    age = (day - ctx.population.persons.dob[attendances["person"].to_numpy()]) / DAYS_PER_YEAR
    complaint = np.full(n, "", dtype=object)
    intent = np.full(n, "", dtype=object)
    primary = np.full(n, "", dtype=object)
    secondary = np.full(n, "", dtype=object)
    injured = np.isin(kind, ["injury", "self_harm", "assault"])
    by_kind = {
        "illness": (ec.in_group(ec.CHIEF_COMPLAINT, "illness"), ec.in_group(ec.DIAGNOSIS, "illness")),
        "injury": (ec.in_group(ec.CHIEF_COMPLAINT, "injury"), ec.in_group(ec.DIAGNOSIS, "injury")),
        "mental_health": (ec.in_group(ec.CHIEF_COMPLAINT, "mental_health"), ec.in_group(ec.DIAGNOSIS, "mental_health")),
        "self_harm": (ec.in_group(ec.CHIEF_COMPLAINT, "self_harm"), ec.in_group(ec.DIAGNOSIS, "injury")),
        "assault": (ec.in_group(ec.CHIEF_COMPLAINT, "injury"), ec.in_group(ec.DIAGNOSIS, "injury")),
    }
    for name, (complaints, diagnoses) in by_kind.items():
        rows = np.flatnonzero(kind == name)
        complaint[rows] = draw_codes(rng, complaints, len(rows))
        primary[rows] = draw_codes(rng, diagnoses, len(rows))
    # A second diagnosis: the mental-health diagnosis behind self-harm, another injury in a third of assaults.
    harm = np.flatnonzero(kind == "self_harm")
    secondary[harm] = draw_codes(rng, ec.in_group(ec.DIAGNOSIS, "mental_health"), len(harm))
    beaten = np.flatnonzero((kind == "assault") & (rng.random(n) < 1 / 3))
    secondary[beaten] = draw_codes(rng, ec.in_group(ec.DIAGNOSIS, "injury"), len(beaten))
    secondary = np.where(secondary == primary, "", secondary)
    # ECDS replaced the depressive-feelings complaint in April 2022.
    changed = (complaint == ec.DEPRESSIVE_FEELINGS_UNTIL_2022) | (complaint == ec.DEPRESSIVE_FEELINGS_FROM_2022)
    complaint[changed] = np.where(
        day[changed] >= day_number(DEPRESSIVE_FEELINGS_CODE_CHANGED), ec.DEPRESSIVE_FEELINGS_FROM_2022, ec.DEPRESSIVE_FEELINGS_UNTIL_2022
    )
    accidental = np.flatnonzero(kind == "injury")
    intent[accidental] = draw_codes(rng, ec.in_group(ec.INJURY_INTENT, "accidental", "undetermined"), len(accidental))
    intent[kind == "assault"] = ec.ASSAULT
    intent[kind == "self_harm"] = ec.SELF_INFLICTED
    injury_day = np.where(injured, day - np.where(rng.random(n) < INJURY_DAYS_BEFORE_SHARE, rng.integers(1, 3, n), 0), -1)

    ambulance_share = _by_kind(kind, AMBULANCE_SHARE)
    ambulance_share = np.where(
        age >= 80,
        np.maximum(ambulance_share, AMBULANCE_SHARE_OVER_80),
        np.where(age >= 65, np.maximum(ambulance_share, AMBULANCE_SHARE_OVER_65), ambulance_share),
    )
    ambulance = rng.random(n) < ambulance_share
    arrival_mode = np.where(ambulance, draw_codes(rng, ec.in_group(ec.ARRIVAL_MODE, "ambulance"), n), draw_codes(rng, ec.in_group(ec.ARRIVAL_MODE, "other"), n))
    department = np.full(n, "", dtype=object)
    for name, shares in DEPARTMENT_SHARE.items():
        rows = np.flatnonzero(kind == name)
        department[rows] = rng.choice(np.array(list(shares), dtype=object), len(rows), p=np.array(list(shares.values())))

    admitted_share = _by_kind(kind, ADMITTED_SHARE) + np.where(age >= 65, ADMITTED_EXTRA_OVER_65, 0.0) + np.where(age >= 80, ADMITTED_EXTRA_OVER_80, 0.0)
    admitted_share = np.where(age < 16, admitted_share * ADMITTED_SHARE_CHILD_RATIO, admitted_share)
    died_share = np.where((age >= 80) & (kind == "illness"), DIED_SHARE_OVER_80, 0.0)
    draw = rng.random(n)
    group = np.select(
        [
            draw < died_share,
            draw < died_share + TRANSFER_SHARE,
            draw < died_share + TRANSFER_SHARE + SHORT_STAY_SHARE,
            draw < died_share + TRANSFER_SHARE + SHORT_STAY_SHARE + admitted_share,
        ],
        ["died", "transfer", "short_stay", "admitted"],
        "discharged",
    )
    destination = np.full(n, "", dtype=object)
    for name in ("discharged", "short_stay", "admitted", "transfer", "died"):
        rows = np.flatnonzero(group == name)
        destination[rows] = draw_codes(rng, tuple(c for c in ec.in_group(ec.DISCHARGE_DESTINATION, name) if c.code not in ec.BABY_UNITS), len(rows))
    # Babies admitted go to a ward or a baby unit, the only ones who do.
    babies = np.flatnonzero((group == "admitted") & (age < 1))
    destination[babies] = draw_codes(rng, tuple(c for c in ec.DISCHARGE_DESTINATION if c.code in ec.BABY_UNITS | {ec.WARD}), len(babies))
    minutes = np.where(np.isin(group, ["admitted", "transfer", "short_stay"]), MINUTES_ADMITTED, MINUTES_DISCHARGED)
    stay = np.maximum(5, (minutes * np.exp(0.6 * rng.standard_normal(n)))).astype(np.int64)
    departure = day * 1440 + attendances["arrival_minute"].to_numpy() + stay
    return attendances.with_columns(
        pl.Series("chief_complaint", complaint, dtype=pl.Utf8),
        pl.Series("injury_day", injury_day.astype(np.int32)),
        pl.Series("injury_intent", intent, dtype=pl.Utf8),
        pl.Series("diagnoses", np.where(secondary == "", primary, primary + "," + secondary), dtype=pl.Utf8),
        pl.Series("arrival_mode", arrival_mode, dtype=pl.Utf8),
        pl.Series("department_type", department, dtype=pl.Utf8),
        pl.Series("attendance_category", draw_codes(rng, ec.ATTENDANCE_CATEGORY, n), dtype=pl.Utf8),
        pl.Series("discharge_destination", destination, dtype=pl.Utf8),
        pl.Series("departure_day", (departure // 1440).astype(np.int32)),
        pl.Series("departure_minute", (departure % 1440).astype(np.int32)),
        pl.Series("minutes_in_department", stay.astype(np.int32)),
    )


def _by_kind(kind: np.ndarray, share: dict[str, float]) -> np.ndarray:
    return pl.Series(kind, dtype=pl.Utf8).replace_strict(share, return_dtype=pl.Float64).to_numpy()


class _OwnStreamFaults(FaultInjector):
    """The world's fault injector drawing from this source's own streams: record ids and the fault log stay the
    world's, so each fault still names one row of one file, and no other source's draws move."""

    def __init__(self, world: FaultInjector, seed: int) -> None:
        super().__init__(np.random.default_rng([seed, ECDS_STREAM, 1]), world.rates, np.random.default_rng([seed, ECDS_STREAM, 2]))
        self._world = world
        self._log = world._log

    def new_rids(self, n: int) -> np.ndarray:
        return self._world.new_rids(n)


def _minutes(minute_of_day: np.ndarray) -> np.ndarray:
    """hh:mm:ss of minutes after midnight, as SUS writes Arrival_Time."""
    nanoseconds = np.asarray(minute_of_day, dtype=np.int64) * 60_000_000_000
    return pl.Series(nanoseconds).cast(pl.Time).dt.strftime("%H:%M:%S").to_numpy().astype(object)


def write_ecds(world_writer: ExtractWriter, attendances: pl.DataFrame) -> pl.DataFrame:
    """`ecds/<year>/ecds_<year>.csv` with the faults a provider's extract has; returns the truth of its assaults
    (file, row, person, arrival date, linked to domestic abuse), duplicated rows included.

    The patient's name, date of birth, sex, postcode and usual address come from the provider's patient
    administration system, as Hearth's HES extract carries them; SUS+ research extracts hold none of them."""
    config = world_writer.ctx.config
    writer = copy.copy(world_writer)  # the world's writer (its truth, its record ids) on this source's streams
    writer.faults = _OwnStreamFaults(world_writer.faults, config.seed)
    writer.rng = np.random.default_rng([config.seed, ECDS_STREAM, 3])
    frame = writer.events_in_years(TABLE, attendances, "arrival_day")
    rid = frame["_rid"].to_numpy()
    faults = writer.faults
    la = writer.la_codes[writer.gaz.la_index[frame["prop"].to_numpy()]]
    unknown_providers = sorted(set(la.tolist()) - set(ec.PROVIDER_OF_LA))
    if unknown_providers:
        raise ValueError(f"no ECDS provider code for LA(s) {unknown_providers}: add the trust to code_lists.emergency_care.PROVIDER_OF_LA")
    parts = writer.address_parts(frame["_address_prop"].to_numpy())
    nhs = faults.blank(
        TABLE, rid, "nhs_number", "missing_nhs_number", frame["nhs_number"].cast(pl.Utf8).to_numpy().astype(object), config.faults.missing_nhs_number
    )
    nhs = faults.nhs_number_typo(TABLE, rid, "nhs_number", nhs)
    first, last = writer.names(TABLE, frame)
    hes_ethnicity = frame["ethnic"].replace_strict(codes.CENSUS19_TO_HES, return_dtype=pl.Utf8).to_numpy().astype(object)
    hes_ethnicity = np.where(
        writer.rng.random(frame.height) < ETHNICITY_NOT_KNOWN_SHARE, np.where(writer.rng.random(frame.height) < 0.5, "Z", "99"), hes_ethnicity
    )
    arrival = frame["arrival_day"].to_numpy()
    injury_day = frame["injury_day"].to_numpy()
    departure = dates(frame["departure_day"].to_numpy(), ISO)
    # A departure typed as the day before arrival (a fault the ingestion's date order rule catches).
    wrong = faults.mask(frame.height, config.faults.departure_before_arrival)
    departure = faults.replace(TABLE, rid, "departure_date", "departure_before_arrival", departure, wrong, dates(arrival[wrong] - 1, ISO))
    columns = {
        "EC_Ident": (writer.rng.permutation(frame.height) + 400_000_000_000).astype(np.int64),
        "NHS_Number": nhs,
        "Person_Given_Name": first,
        "Person_Family_Name": last,
        "Person_Birth_Date": writer.dob(TABLE, frame, ISO),
        "Sex": writer.sex(TABLE, frame, codes.HES_SEX),
        "Ethnic_Category": writer.ethnicity(TABLE, frame, "ethnic_category", codes.CENSUS19_TO_HES, ("Z", "99"), true=hes_ethnicity),
        "Patient_Usual_Address": faults.address_variant(TABLE, rid, "address", parts["one_line"]),
        "Postcode_Of_Usual_Address": writer.postcode(TABLE, frame, parts["postcode"]),
        "Der_Provider_Code": pl.Series(la).replace_strict(ec.PROVIDER_OF_LA, return_dtype=pl.Utf8),
        "EC_Department_Type": frame["department_type"].to_numpy(),
        "EC_AttendanceCategory": frame["attendance_category"].to_numpy(),
        "Arrival_Date": pl.Series(dates(arrival, ISO), dtype=pl.Utf8),  # text even when a year has no row: the file sorts on it
        "Arrival_Time": pl.Series(_minutes(frame["arrival_minute"].to_numpy()), dtype=pl.Utf8),
        "Age_At_Arrival": ((arrival - frame["dob"].to_numpy()) // DAYS_PER_YEAR).astype(np.int64),
        "EC_Arrival_Mode_SNOMED_CT": writer.coded(TABLE, frame, "arrival_mode", frame["arrival_mode"].to_numpy()),
        "EC_Chief_Complaint_SNOMED_CT": writer.coded(TABLE, frame, "chief_complaint", frame["chief_complaint"].to_numpy()),
        "EC_Injury_Date": np.where(injury_day >= 0, dates(np.maximum(injury_day, 0), ISO), "").astype(object),
        "EC_Injury_Intent_SNOMED_CT": frame["injury_intent"].to_numpy(),
        "Der_EC_Diagnosis_All": frame["diagnoses"].to_numpy(),
        "EC_Departure_Date": departure,
        "EC_Departure_Time": _minutes(frame["departure_minute"].to_numpy()),
        "EC_Departure_Time_Since_Arrival": frame["minutes_in_department"].to_numpy(),
        "Discharge_Destination_SNOMED_CT": writer.coded(TABLE, frame, "discharge_destination", frame["discharge_destination"].to_numpy()),
    }
    hidden = {"_attendance": rid, "_kind": frame["kind"], "_domestic_abuse": frame["domestic_abuse"].to_numpy(), "_arrival_day": arrival}
    year = pl.Series(financial_year(arrival)).cast(pl.Utf8)
    files = f"{TABLE}/" + year + f"/{TABLE}_" + year + ".csv"  # ecds/<year>/ecds_<year>.csv, as writer.rel names it
    out = writer.finish(TABLE, frame, files, {**columns, **hidden}, ["Arrival_Date", "Arrival_Time"])
    writer.write_csv(out, list(columns), writer.every_year(TABLE, "ecds_{year}.csv"))
    return out.filter(pl.col("_kind") == "assault").select(
        pl.col("_file").alias("file"),
        pl.col("_row").cast(pl.Int64).alias("row"),
        pl.col("_person").cast(pl.Int64).alias("person_id"),
        pl.col("_attendance").alias("attendance"),
        pl.col("_arrival_day").cast(pl.Int32).cast(pl.Date).alias("arrival_date"),
        pl.col("_domestic_abuse").alias("domestic_abuse"),
    )


def write_emergency_care_truth(folder: Path, ctx: Context, assaults: pl.DataFrame) -> None:
    """`ecds_assaults.parquet`: every assault row of the extract (duplicates share `attendance`), and whether
    the assault was linked to domestic abuse in the household; `domestic_abuse_households.parquet`: the
    households with the latent domestic abuse the simulation gave them, against which an analysis of the
    extract finds the excess of assaults."""
    assaults.write_parquet(folder / "ecds_assaults.parquet")
    households = ctx.population.households
    pl.DataFrame({"household_id": np.flatnonzero(households.view("domestic_abuse")).astype(np.int32)}).write_parquet(
        folder / "domestic_abuse_households.parquet"
    )
