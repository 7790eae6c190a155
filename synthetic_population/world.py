"""Generate one synthetic world: gazetteer, population, ten years of life, extracts and ground truth.

The ground truth (`data/truth/`) is for evaluation only; the pipeline never reads it.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from ingestion.landing import SYNTHETIC_MARKER

from .config import WorldConfig
from .dynamics import Simulation, day_number
from .early_help import EFFECT_SERVICE, OUTCOME_WINDOW_DAYS, PARENTING_RISK_RATIO, PARENTING_WITHIN_DAYS, PRIOR_CARE_DAYS
from .emergency_care import emergency_attendances, write_ecds, write_emergency_care_truth
from .expenditure import write_expenditure
from .extracts import ExtractWriter
from .faults import FAULT_PROFILE_STREAM, FaultInjector
from .geography import build_gazetteer
from .identifiers import generate_nhs_numbers
from .names import NAME_STREAM, draw_middle_names
from .not_in_school import write_register as write_not_in_school_register
from .population import PERSONS_PER_HOUSEHOLD, build_population, give_double_surnames
from .services import Context, census_2021, hospital_admissions, school_census, youth_offences
from .workforce import build_workforce
from .workforce_extracts import WorkforceWriter, write_workforce_truth


@dataclass
class WorldSummary:
    persons: int
    households: int
    properties: int
    files: list[str]
    records: dict[str, int]
    faults: dict[str, int]
    seconds: float


def generate_world(config: WorldConfig, landing: Path, truth: Path, malformed: Path | None = None) -> WorldSummary:
    started = time.perf_counter()
    rng = np.random.default_rng(config.seed)
    for folder in (landing, truth):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    # The marker tells the pipeline the data is synthetic (linkage may then key it under the public demo secret).
    marker = {"synthetic": True, "persons": config.persons, "seed": config.seed, "years": [config.first_year, config.last_year]}
    (landing / SYNTHETIC_MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    gazetteer = build_gazetteer(rng, config, int(config.persons / PERSONS_PER_HOUSEHOLD))
    population = build_population(rng, config, gazetteer, day_number(config.start))
    name_rng = np.random.default_rng([config.seed, NAME_STREAM])
    give_double_surnames(name_rng, population.persons)
    history = Simulation(rng, config, gazetteer, population).run()
    persons = population.persons
    persons.middle_name[: persons.n] = draw_middle_names(name_rng, persons.view("ethnic").astype(str), persons.view("sex"))
    persons.nhs_number[: persons.n] = generate_nhs_numbers(rng, persons.n)

    ctx = Context(rng, config, gazetteer, population, history)
    faults = FaultInjector(rng, config.faults, np.random.default_rng([config.seed, FAULT_PROFILE_STREAM]))
    writer = ExtractWriter(ctx, faults, landing)
    pupils = school_census(ctx)
    upns = pupils.select("person", "upn").unique("person")
    writer.gazetteer()
    writer.census(census_2021(ctx))
    writer.school_census(pupils)
    writer.hospital(hospital_admissions(ctx))
    writer.youth_justice(youth_offences(ctx))
    # Social care last: the SSDA903 tables follow the episode simulation, whose detail changes most
    # often; written last, such a change leaves every other source's rows and faults as they were.
    writer.social_care(history, upns)
    write_not_in_school_register(writer, pupils)
    emergency_assaults = write_ecds(writer, emergency_attendances(ctx))
    write_expenditure(writer)
    workforce = build_workforce(ctx)  # after the simulation, from its own stream, sized from the caseload
    worker_records = WorkforceWriter(writer, workforce, writer.person_ids).write()

    records = pl.concat(writer.written.records)
    # Record ids are unique in the world, so each fault joins to exactly one row of one file; the join takes only
    # the records with a fault, a small part of the world's.
    fault_log = faults.log()
    faulted = records.select("table", "rid", "file", "row").filter(pl.col("rid").is_in(fault_log["rid"].implode()))
    fault_log = fault_log.join(faulted, on=["table", "rid"], how="left", validate="m:1")
    _write_truth(truth, ctx, upns, records, pl.concat(writer.written.addresses), fault_log, emergency_assaults)
    write_workforce_truth(truth, workforce, worker_records)
    if malformed is not None:
        write_malformed(landing, malformed)
    return WorldSummary(
        persons=persons.n,
        households=int(population.households.n),
        properties=len(gazetteer),
        files=sorted(writer.written.files),
        records=dict(records.group_by("table").len().sort("table").iter_rows()),
        faults=dict(fault_log.group_by("fault").len().sort("fault").iter_rows()),
        seconds=round(time.perf_counter() - started, 1),
    )


def _write_truth(
    folder: Path, ctx: Context, upns: pl.DataFrame, records: pl.DataFrame, addresses: pl.DataFrame, fault_log: pl.DataFrame, emergency_assaults: pl.DataFrame
) -> None:
    P, gaz = ctx.population.persons, ctx.gazetteer
    n = P.n
    persons = pl.DataFrame(
        {
            "person_id": np.arange(n, dtype=np.int32),
            "first_name": P.view("first_name"),
            "last_name": P.view("last_name"),
            "middle_name": P.view("middle_name"),
            "dob": pl.Series(P.view("dob")).cast(pl.Date),
            "sex": np.where(P.view("sex") == 1, "M", "F"),
            "ethnic_group_19": P.view("ethnic").astype(str),
            "nhs_number": P.view("nhs_number").astype(str),
            "mother_id": P.view("mother"),
            "father_id": P.view("father"),
        }
    ).join(upns.rename({"person": "person_id"}), on="person_id", how="left")
    persons.write_parquet(folder / "persons.parquet")
    # A row of an LA-level table (the s251 outturn, person -1) is no person's record; its faults still name its file and row.
    records.filter(pl.col("person") >= 0).rename({"person": "person_id"}).write_parquet(folder / "record_person.parquet")
    addresses.write_parquet(folder / "address_uprn.parquet")
    fault_log.write_parquet(folder / "faults.parquet")
    spells = ctx.history.spells_by_person
    spells.select(
        pl.col("person").alias("person_id"),
        pl.col("household").alias("household_id"),
        pl.Series("uprn", gaz.uprn[spells["prop"].to_numpy()]),
        pl.col("start").cast(pl.Date).alias("start_date"),
        pl.col("end").cast(pl.Date).alias("end_date"),
    ).write_parquet(folder / "household_spells.parquet")
    # One chunk, so the file's row groups do not follow how the simulation and the school census chunked the events.
    ctx.history.life_events.rechunk().select(pl.col("person").alias("person_id"), pl.col("day").cast(pl.Date).alias("date"), "event").write_parquet(
        folder / "life_events.parquet"
    )
    _relationships(persons).write_parquet(folder / "relationships.parquet")
    write_emergency_care_truth(folder, ctx, emergency_assaults)
    _early_help_effect(folder, ctx)
    _families(persons).write_parquet(folder / "families.parquet")


def _early_help_effect(folder: Path, ctx: Context) -> None:
    """Every early help episode with both potential outcomes of the parenting programme, and the effect the
    generator injected (early_help.py), for an evaluation to be judged against."""
    episodes = ctx.history.early_help
    episodes.select(
        pl.col("child").alias("person_id"),
        pl.col("start").cast(pl.Int32).cast(pl.Date).alias("start_date"),
        pl.col("end").cast(pl.Int32).cast(pl.Date).alias("end_date"),
        "stepped_down",
        "imd_decile",
        "prior_care",
        "treated",
        "risk_untreated",
        "risk_treated",
        "referred_untreated",
        "referred_treated",
        pl.when(pl.col("referral_day") >= 0).then(pl.col("referral_day")).cast(pl.Int32).cast(pl.Date).alias("referral_date"),
    ).write_parquet(folder / "early_help_effect.parquet")
    treated = episodes.filter(pl.col("treated"))
    effect = {
        "exposure": f"service {EFFECT_SERVICE} starting within {PARENTING_WITHIN_DAYS} days of an early help episode's start",
        "population": "children starting an early help episode",
        "outcome": f"a referral to children's social care within {OUTCOME_WINDOW_DAYS} days of the episode's start",
        "risk_ratio": PARENTING_RISK_RATIO,
        "confounders": ["IMD decile of the home", f"a child-in-need episode open in the {PRIOR_CARE_DAYS} days before", "age"],
        "att_risk_difference_all_episodes": float((treated["risk_treated"] - treated["risk_untreated"]).mean()) if treated.height else None,
    }
    (folder / "known_effects.json").write_text(json.dumps(effect, indent=2) + "\n", encoding="utf-8")


def _relationships(persons: pl.DataFrame) -> pl.DataFrame:
    """Parent, sibling (full, half, twin) links: the pairs family linkage must recover."""
    parents = pl.concat(
        [
            persons.filter(pl.col(col) >= 0).select(pl.col(col).alias("person_a"), pl.col("person_id").alias("person_b"), pl.lit(role).alias("relationship"))
            for col, role in (("mother_id", "mother_of"), ("father_id", "father_of"))
        ]
    )
    kids = persons.select("person_id", "mother_id", "father_id", "dob")
    pairs = pl.concat(
        [
            kids.filter(pl.col(col) >= 0)
            .select("person_id", col)
            .join(kids.filter(pl.col(col) >= 0).select(pl.col("person_id").alias("person_id_b"), col), on=col)
            .filter(pl.col("person_id") < pl.col("person_id_b"))
            .select("person_id", "person_id_b")
            for col in ("mother_id", "father_id")
        ]
    ).unique()
    siblings = pairs.join(kids, on="person_id").join(kids, left_on="person_id_b", right_on="person_id", suffix="_b")
    full = (
        (pl.col("mother_id") == pl.col("mother_id_b"))
        & (pl.col("father_id") == pl.col("father_id_b"))
        & (pl.col("mother_id") >= 0)
        & (pl.col("father_id") >= 0)
    )
    siblings = siblings.select(
        pl.col("person_id").alias("person_a"),
        pl.col("person_id_b").alias("person_b"),
        pl.when(full & (pl.col("dob") == pl.col("dob_b")))
        .then(pl.lit("twin"))
        .when(full)
        .then(pl.lit("sibling"))
        .otherwise(pl.lit("half_sibling"))
        .alias("relationship"),
    )
    return pl.concat([parents, siblings]).sort("person_a", "person_b")


def _families(persons: pl.DataFrame) -> pl.DataFrame:
    """A family is a mother (or, failing one, a father) with her children and their fathers; its id persists across moves."""
    kids = persons.filter((pl.col("mother_id") >= 0) | (pl.col("father_id") >= 0)).with_columns(
        pl.when(pl.col("mother_id") >= 0).then(pl.col("mother_id")).otherwise(pl.col("father_id")).alias("anchor")
    )
    family_id = pl.concat_str(pl.lit("F"), pl.col("anchor").cast(pl.Utf8).str.zfill(8))
    children = kids.select(family_id.alias("family_id"), "person_id", pl.lit("child").alias("role"))
    anchors = kids.select(
        family_id.alias("family_id"),
        pl.col("anchor").alias("person_id"),
        pl.when(pl.col("mother_id") >= 0).then(pl.lit("mother")).otherwise(pl.lit("father")).alias("role"),
    )
    fathers = kids.filter((pl.col("mother_id") >= 0) & (pl.col("father_id") >= 0)).select(
        family_id.alias("family_id"), pl.col("father_id").alias("person_id"), pl.lit("father").alias("role")
    )
    return pl.concat([anchors, fathers, children]).unique(maintain_order=True).sort("family_id", "role", "person_id")


def write_malformed(landing: Path, out: Path) -> list[dict[str, str]]:
    """Broken copies of real extracts, one per whole-file fault, with a manifest of what is wrong.

    Each lies at `<out>/<fault>/<source>/<year>/<name>`: the same name as the good file it
    replaces, so dropping it into a landing folder exercises the ingestion's refusal.
    """
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    school = sorted(landing.glob("school_census/*/*.csv"))[0]
    hes = sorted(landing.glob("hes_apc/*/*.csv"))[0]
    cin = sorted(landing.glob("cin_census/*/*.xml"))[0]
    # A world with no child looked after has no 903 return: its school census file is mis-encoded instead.
    header = next(iter(sorted(landing.glob("ssda903/*/*_header.csv"))), school)
    manifest = []

    def broken(fault: str, source: Path, detail: str, name: str | None = None) -> Path:
        rel = source.relative_to(landing)
        path = out / fault / rel.parent / (name or rel.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        manifest.append({"fault": fault, "file": str(path.relative_to(out)), "replaces": str(rel) if name is None else "", "detail": detail})
        return path

    pl.read_csv(school, infer_schema=False).drop("UPN").write_csv(broken("missing_column", school, "column UPN removed"))
    pl.read_csv(hes, infer_schema=False).rename({"ADMIDATE": "ADMISSION_DATE"}).write_csv(broken("renamed_column", hes, "ADMIDATE renamed ADMISSION_DATE"))
    text = cin.read_bytes()
    broken("truncated_xml", cin, f"cut at byte {len(text) // 2} of {len(text)}").write_bytes(text[: len(text) // 2])
    broken("wrong_encoding", header, "UTF-16 with BOM instead of UTF-8").write_bytes(header.read_text(encoding="utf-8").encode("utf-16"))
    broken("empty_file", hes, "zero bytes").write_bytes(b"")
    broken("unknown_file", school, "a file no source registry knows", name="pupil_photos_export.txt").write_text("not an extract\n", encoding="utf-8")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
