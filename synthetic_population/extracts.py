"""Write each source's extract in its published layout, with its own codes, date format and faults.

Every table keeps two hidden columns until it is written: `_person` (the true person) and
`_rid` (a record id, unique in the world, that faults are logged against). Writing numbers the rows of each file and
hands (file, row) -> person, address and fault facts to the ground truth.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import polars as pl

import code_lists as codes

from .dynamics import History, day_number
from .faults import FaultInjector
from .formats import COMPACT, DMONY, DMY, ISO, dates, financial_year, iso_day
from .population import draw_codes
from .service_inputs import ServiceInputsWriter, contacts
from .services import Context, at_dates
from .ssda903 import SSDA903Writer
from .surnames import surname_changes

# The name faults each source makes (FaultRates names). Hospital and youth justice systems take ASCII
# names only and, like the census form, sometimes only an initial; schools, hospitals and LAs that know a
# middle name sometimes file it as the first. Every source swaps names, spells a name another way and
# keeps only part of a double surname.
_EVERY_SOURCE_NAME_FAULTS = frozenset({"name_swap", "surname_part", "transliteration"})
NAME_FAULTS: dict[str, frozenset[str]] = {
    "census_2021_persons": _EVERY_SOURCE_NAME_FAULTS | {"initial_only"},
    "school_census": _EVERY_SOURCE_NAME_FAULTS | {"middle_as_first"},
    "hes_apc": _EVERY_SOURCE_NAME_FAULTS | {"middle_as_first", "initial_only", "diacritics_stripped"},
    "ecds": _EVERY_SOURCE_NAME_FAULTS | {"middle_as_first", "initial_only", "diacritics_stripped"},  # a hospital's system, as HES
    "youth_justice": _EVERY_SOURCE_NAME_FAULTS | {"initial_only", "diacritics_stripped"},
    "ssd_person": _EVERY_SOURCE_NAME_FAULTS | {"middle_as_first"},
    "cnis_register": _EVERY_SOURCE_NAME_FAULTS | {"middle_as_first"},  # the LA's education records
}
# The day each named record describes the person on: a surname changed before it is the one recorded.
RECORD_DAY = {
    "census_2021_persons": "day",
    "school_census": "census_day",
    "hes_apc": "admission_day",
    "ecds": "arrival_day",
    "youth_justice": "offence_day",
    "ssd_person": "day",
}
RECORD_DAY["cnis_register"] = "date_on"  # the register of children not in school (not_in_school.py)
# Sources that take an unknown date of birth as 1 January of the year: a hospital admitting a patient who
# cannot give it (admitted, or seen in the emergency department), and youth justice (asylum-seeking young people
# given an assessed age).
DEFAULT_DOB_SOURCES = frozenset({"hes_apc", "ecds", "youth_justice"})
# Sources whose sex codes have a not-known value, with those values.
SEX_UNKNOWN_CODES: dict[str, tuple[str, ...]] = {"hes_apc": ("0", "9"), "ecds": ("0", "9"), "cin_children": ("0", "9")}


@dataclass
class Written:
    """What the writers hand to the ground truth."""

    records: list[pl.DataFrame] = field(default_factory=list)  # table, file, row, person, rid
    addresses: list[pl.DataFrame] = field(default_factory=list)  # table, file, row, address_uprn, resident_uprn, stale
    files: list[str] = field(default_factory=list)


class ExtractWriter:
    def __init__(self, ctx: Context, faults: FaultInjector, landing: Path) -> None:
        self.ctx, self.faults, self.landing = ctx, faults, landing
        self.rng = ctx.rng
        self.gaz = ctx.gazetteer
        self.written = Written()
        P = ctx.population.persons
        ethnic, mother, father = P.view("ethnic").astype(str), P.view("mother"), P.view("father")
        self.people = pl.DataFrame(
            {
                "_person": np.arange(P.n, dtype=np.int32),
                "first_name": P.view("first_name"),
                "last_name": P.view("last_name"),
                "dob": P.view("dob"),
                "sex": P.view("sex"),
                "ethnic": ethnic,
                "nhs_number": P.view("nhs_number"),
                "_middle_name": P.view("middle_name"),
                "_mother_last_name": np.where(mother >= 0, P.view("last_name")[np.maximum(mother, 0)], "").astype(object),
                "_mother_ethnic": np.where(mother >= 0, ethnic[np.maximum(mother, 0)], "").astype(object),
                "_father_ethnic": np.where(father >= 0, ethnic[np.maximum(father, 0)], "").astype(object),
            }
        )
        self.la_codes = np.array([la.code for la in ctx.config.local_authorities])
        self.person_ids: pl.DataFrame | None = None  # child, la_index, la_child_id: set by social_care, read by the workforce's extracts

    # --- shared pieces ----------------------------------------------------------------------------
    def path(self, source: str, year: int, name: str) -> Path:
        folder = self.landing / source / str(year)
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name

    def with_people(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The frame with a record id and its person's facts; `people` is indexed by person, so a gather
        does what a join on `_person` would, several times faster."""
        frame = frame.rename({"person": "_person"}) if "person" in frame.columns else frame
        rids = pl.Series("_rid", self.faults.new_rids(frame.height))
        return pl.concat([frame.with_columns(rids), self.people.drop("_person")[frame["_person"]]], how="horizontal")

    def addresses(self, table: str, frame: pl.DataFrame, date_col: str, can_be_stale: bool = True) -> pl.DataFrame:
        """The property each record's address describes: where the person lived, or, for some
        who moved in the past year, the address they left (a stale address). A census form is
        delivered to the dwelling itself, so its address is never stale."""
        located = at_dates(self.ctx.history, frame.rename({"_person": "person"}), date_col).rename({"person": "_person"})
        prop = located["prop"].to_numpy()
        prev = located["prev_prop"].fill_null(-1).to_numpy()
        recent = (located[date_col].to_numpy() - located["start"].to_numpy()) < 365
        stale = self.faults.mask(located.height, self.ctx.config.faults.stale_address, (prev >= 0) & recent & can_be_stale)
        recorded = np.where(stale, prev, prop)
        rid = located["_rid"].to_numpy()
        self.faults.record(table, rid[stale], "address", "stale_address", self.gaz.uprn[prop[stale]], self.gaz.uprn[prev[stale]])
        return located.with_columns(
            pl.Series("_resident_uprn", self.gaz.uprn[prop]),
            pl.Series("_address_prop", recorded),
            pl.Series("_address_uprn", self.gaz.uprn[recorded]),
            pl.Series("_stale", stale),
        )

    def address_parts(self, props: np.ndarray) -> dict[str, np.ndarray]:
        """The BS7666 parts of each property, with its first line (`street_line`) and its address on one line (`one_line`)."""
        return {name: values[props] for name, values in self._addresses.items()}

    @functools.cached_property
    def _addresses(self) -> dict[str, np.ndarray]:
        """`address_parts` of every property, made once: the records, millions, index these."""
        g = self.gaz
        # A primary addressable object may have a name, a number or both.
        number = np.where(g.pao_number > 0, g.pao_number.astype(str), "").astype(object)
        name = g.pao_text
        pao = np.where((name != "") & (number != ""), name + ", " + number, np.where(name != "", name, number)).astype(object)
        # 'Flat 3, Kestrel House, 12 Elm Road' or '47 Elm Road': a house number runs into the street.
        street_line = (np.where(g.sao != "", g.sao + ", ", "") + np.where(pao == "", "", pao + " ") + g.street).astype(object)
        one_line = (street_line + np.where(g.locality != "", ", " + g.locality, "") + ", " + g.town).astype(object)
        parts = {"sao": g.sao, "pao": pao, "street": g.street, "locality": g.locality, "town": g.town, "postcode": g.postcode}
        return {**parts, "street_line": street_line, "one_line": one_line}

    @functools.cached_property
    def first_homes(self) -> pl.DataFrame:
        """The day each person's first household spell began (person, _first_home)."""
        return self.ctx.history.spells.group_by("person").agg(pl.col("start").min().alias("_first_home"))

    @functools.cached_property
    def surname_changes(self) -> pl.DataFrame:
        return surname_changes(self.ctx.config.seed, self.ctx.population.persons, self.ctx.history, self.la_codes, self.ctx.config.faults)

    def change_at(self, table: str, frame: pl.DataFrame) -> pl.DataFrame:
        """Each record's latest surname change on or before its day (`RECORD_DAY`): last_name, kind, upn, or nulls."""
        keyed = frame.select("_person", pl.col(RECORD_DAY[table]).cast(pl.Int32).alias("_day")).with_row_index("_i")
        changes = self.surname_changes.rename({"person": "_person", "day": "_change_day"})
        found = keyed.sort("_day").join_asof(changes, left_on="_day", right_on="_change_day", by="_person", strategy="backward", check_sortedness=False)
        return found.sort("_i")

    def surnames(self, table: str, frame: pl.DataFrame) -> np.ndarray:
        """The surname the person had on the record's day: their first, or the one a change gave them (logged)."""
        first_surname = frame["last_name"].to_numpy().astype(object)
        change = self.change_at(table, frame)
        new, kind = change["last_name"].to_numpy(), change["kind"].to_numpy()
        rid, out = frame["_rid"].to_numpy(), first_surname.copy()
        for k in ("marriage", "step_parent", "adoption"):
            hit = (kind == k) & (new != first_surname)
            out = self.faults.replace(table, rid, "last_name", f"surname_change_{k}", out, hit, new[hit])
        return out

    def names(self, table: str, frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        rid = frame["_rid"].to_numpy()
        first = self.faults.names(table, rid, "first_name", frame["first_name"].to_numpy().astype(object), first_name=True)
        last = self.faults.names(table, rid, "last_name", self.surnames(table, frame), first_name=False)
        return self.faults.name_profile(table, rid, first, last, frame["_middle_name"].to_numpy().astype(object), NAME_FAULTS[table])

    def dob(self, table: str, frame: pl.DataFrame, fmt: str, typos: bool = True) -> np.ndarray:
        """The date of birth in the source's format: day and month swapped in some records, and, in the sources whose
        dates of birth are typed (`typos`), a mistyped or transposed digit or a default date."""
        rid = frame["_rid"].to_numpy()
        days = self.faults.dob_swap(table, rid, "dob", frame["dob"].to_numpy())
        if typos:
            days = self.faults.dob_profile(table, rid, "dob", days, fmt, day_number(self.ctx.config.end), table in DEFAULT_DOB_SOURCES)
        return dates(days, fmt)

    def sex(self, table: str, frame: pl.DataFrame, source_codes: tuple[str, str]) -> np.ndarray:
        return self.faults.sex_profile(table, frame["_rid"].to_numpy(), "sex", frame["sex"].to_numpy(), source_codes, SEX_UNKNOWN_CODES.get(table, ()))

    def ethnicity(
        self, table: str, frame: pl.DataFrame, field_name: str, to_source: dict[str, str], not_stated: tuple[str, ...], true: np.ndarray | None = None
    ) -> np.ndarray:
        """The source's ethnicity code (`true`, by default the person's group coded by `to_source`), some recorded
        differently (an error profile), then some out of the code list."""
        ethnic = frame["ethnic"].to_numpy()
        true = np.array([to_source[e] for e in ethnic], dtype=object) if true is None else true
        parents = (frame["_mother_ethnic"].to_numpy().astype(object), frame["_father_ethnic"].to_numpy().astype(object))
        recorded = self.faults.ethnicity_profile(table, frame["_rid"].to_numpy(), field_name, ethnic, true, parents, to_source, not_stated)
        return self.coded(table, frame, field_name, recorded)

    def coded(self, table: str, frame: pl.DataFrame, field_name: str, values: np.ndarray) -> np.ndarray:
        return self.faults.out_of_list(table, frame["_rid"].to_numpy(), field_name, np.asarray(values, dtype=object))

    def postcode(self, table: str, frame: pl.DataFrame, values: np.ndarray) -> np.ndarray:
        return self.faults.blank(table, frame["_rid"].to_numpy(), "postcode", "missing_postcode", values, self.ctx.config.faults.missing_postcode)

    def register_records(self, table: str, out: pl.DataFrame) -> None:
        """Hand each written row's (table, file, row) -> (person, record id) to the ground truth."""
        self.written.records.append(
            out.select(
                pl.lit(table).alias("table"),
                pl.col("_file").alias("file"),
                pl.col("_row").cast(pl.Int64).alias("row"),
                pl.col("_person").cast(pl.Int64).alias("person"),
                pl.col("_rid").alias("rid"),
            )
        )

    def finish(self, table: str, frame: pl.DataFrame, file_of: np.ndarray, columns: dict[str, np.ndarray], order: list[str] | None = None) -> pl.DataFrame:
        """Add duplicates, number the rows of each file and register the truth; returns the file rows."""
        # An empty object column is text (numpy keeps no element type for it, polars would make it Object).
        typed = {
            name: pl.Series(name, values, dtype=pl.String) if isinstance(values, np.ndarray) and values.dtype == object and not len(values) else values
            for name, values in columns.items()
        }
        out = pl.DataFrame({"_rid": frame["_rid"], "_person": frame["_person"], "_file": pl.Series("_file", file_of, dtype=pl.String), **typed})
        for extra in ("_address_uprn", "_resident_uprn", "_stale"):
            if extra in frame.columns:
                out = out.with_columns(frame[extra])
        out = self.faults.duplicates(table, out)
        sort_keys = ["_file", *(order or []), "_rid"]
        out = out.sort(sort_keys).with_columns((pl.int_range(pl.len()).over("_file") + 1).alias("_row"))
        self.register_records(table, out)
        if "_address_uprn" in out.columns:
            self.written.addresses.append(
                out.filter(pl.col("_address_uprn").is_not_null()).select(
                    pl.lit(table).alias("table"),
                    pl.col("_file").alias("file"),
                    pl.col("_row").cast(pl.Int64).alias("row"),
                    pl.col("_address_uprn").alias("address_uprn"),
                    pl.col("_resident_uprn").alias("resident_uprn"),
                    pl.col("_stale").alias("stale"),
                )
            )
        return out

    def write_csv(self, out: pl.DataFrame, columns: list[str], every_file: tuple[str, ...] = ()) -> None:
        """One CSV per `_file`; each of `every_file` that holds no row is written header-only, as a
        return with nothing to report is still submitted."""
        parts = out.partition_by("_file", maintain_order=True, as_dict=True)
        for (file_name,), part in parts.items():
            path = self.landing / str(file_name)
            path.parent.mkdir(parents=True, exist_ok=True)
            part.select(columns).write_csv(path)
            self.written.files.append(str(file_name))
        for file_name in sorted(set(every_file) - {name for (name,) in parts}):
            path = self.landing / file_name
            path.parent.mkdir(parents=True, exist_ok=True)
            pl.DataFrame(schema=dict.fromkeys(columns, pl.Utf8)).write_csv(path)
            self.written.files.append(file_name)

    def every_year(self, source: str, name: str) -> tuple[str, ...]:
        """The per-year files of an annual return, `name` formatted with each collection year."""
        return tuple(self.rel(source, year, name.format(year=year)) for year in self.ctx.config.years)

    def rel(self, source: str, year: int, name: str) -> str:
        return f"{source}/{year}/{name}"

    @staticmethod
    def file_of_rows(name_of: Callable[..., str], *keys: np.ndarray | pl.Series) -> np.ndarray:
        """Each row's file, `name_of(*key)` of its key columns (year, LA, term): named once per distinct key, not once
        per row, as a source's hundreds of thousands of rows fall in a few files."""
        rows = pl.DataFrame({f"key_{i}": key for i, key in enumerate(keys)})
        distinct = rows.unique(maintain_order=True)
        names = distinct.with_columns(pl.Series("_file", [name_of(*key) for key in distinct.iter_rows()], dtype=pl.Utf8))
        return rows.join(names, on=rows.columns, how="left", maintain_order="left")["_file"].to_numpy()

    # --- sources --------------------------------------------------------------------------------
    def gazetteer(self) -> None:
        g = self.gaz
        year = self.ctx.config.last_year
        parts = self.address_parts(np.arange(len(g)))
        frame = pl.DataFrame(
            {
                "UPRN": g.uprn,
                "PARENT_UPRN": np.where(g.parent_uprn > 0, g.parent_uprn.astype(str), ""),
                "CLASSIFICATION_CODE": g.classification,
                "SAO_TEXT": g.sao,
                "PAO_START_NUMBER": np.where(g.pao_number > 0, g.pao_number.astype(str), ""),
                "PAO_TEXT": g.pao_text,
                "STREET_DESCRIPTION": g.street,
                "LOCALITY": g.locality,
                "TOWN_NAME": g.town,
                "POSTCODE_LOCATOR": parts["postcode"],
                "LOCAL_CUSTODIAN_CODE": self.la_codes[g.la_index],
                "LSOA21CD": g.lsoa,
                "IMD_DECILE": g.imd_decile,
            }
        )
        path = self.path("gazetteer", year, f"gazetteer_{year}.csv")
        frame.write_csv(path)
        self.written.files.append(self.rel("gazetteer", year, path.name))

    def census(self, residents: pl.DataFrame | None) -> None:
        if residents is None:
            return
        H = self.ctx.population.households
        census_day = day_number(date(2021, 3, 21))
        frame = self.with_people(residents.select("person", "household", "person_number", "relationship").with_columns(pl.lit(census_day).alias("day")))
        frame = self.addresses("census_2021_persons", frame.drop("household"), "day", can_be_stale=False)
        ids = {hh: f"H{i + 1:08d}" for i, hh in enumerate(np.unique(frame["household"].to_numpy()))}
        hh_id = np.array([ids[h] for h in frame["household"].to_numpy()], dtype=object)
        first, last = self.names("census_2021_persons", frame)
        persons_file = self.rel("census_2021", 2021, "census2021_persons.csv")
        columns = {
            "CENSUS_HH_ID": hh_id,
            "PERSON_NUMBER": frame["person_number"].to_numpy(),
            "FORENAME": first,
            "SURNAME": last,
            "DATE_OF_BIRTH": self.dob("census_2021_persons", frame, ISO),
            "SEX": self.sex("census_2021_persons", frame, codes.CENSUS_SEX),
            "ETHNIC_GROUP": self.coded("census_2021_persons", frame, "ethnic_group", frame["ethnic"].to_numpy()),
            "RELATIONSHIP_TO_PERSON_1": frame["relationship"].to_numpy(),
        }
        out = self.finish("census_2021_persons", frame, np.full(frame.height, persons_file, dtype=object), columns, ["CENSUS_HH_ID", "PERSON_NUMBER"])
        self.write_csv(out, list(columns))

        # The household form: one row per household, address as the household wrote it.
        heads = frame.filter(pl.col("person_number") == 1)
        props = heads["_address_prop"].to_numpy()
        hh = heads["household"].to_numpy()
        parts = self.address_parts(props)
        rid = heads["_rid"].to_numpy()
        sizes = frame.group_by("household").len()
        size = dict(zip(sizes["household"].to_list(), sizes["len"].to_list(), strict=True))
        hh_columns = {
            "CENSUS_HH_ID": np.array([ids[h] for h in hh], dtype=object),
            "ADDRESS_LINE_1": self.faults.address_variant("census_2021_households", rid, "address_line_1", parts["street_line"]),
            "ADDRESS_LINE_2": parts["locality"],
            "TOWN": parts["town"],
            "POSTCODE": self.faults.blank(
                "census_2021_households", rid, "postcode", "missing_postcode", parts["postcode"], self.ctx.config.faults.missing_postcode
            ),
            "ACCOMMODATION_TYPE": np.array([codes.CENSUS_ACCOMMODATION_TYPE.get(c, "5") for c in self.gaz.classification[props]], dtype=object),
            "TENURE": H.tenure[hh].astype(str),
            "NUMBER_OF_RESIDENTS": np.array([size[h] for h in hh]),
            "DEP_EMPLOYMENT": H.dep_employment[hh].astype(np.int8),
            "DEP_EDUCATION": H.dep_education[hh].astype(np.int8),
            "DEP_HEALTH_DISABILITY": H.dep_health[hh].astype(np.int8),
            "DEP_HOUSING": H.dep_housing[hh].astype(np.int8),
        }
        hh_file = self.rel("census_2021", 2021, "census2021_households.csv")
        out = self.finish("census_2021_households", heads, np.full(heads.height, hh_file, dtype=object), hh_columns, ["CENSUS_HH_ID"])
        self.write_csv(out, list(hh_columns))

    def school_census(self, pupils: pl.DataFrame) -> None:
        """The termly return as the NPD splits it: pupil on roll, then its attendance, exclusions and SEN files.

        Names are the NPD's (code_lists.SCHOOL_CENSUS_FIELDS). `PupilMatchingRef` ties each attendance, exclusion
        and SEN row to its pupil row of the same return, so a blank or duplicated UPN cannot mis-join them.
        """
        table = "school_census"
        frame = self.with_people(pupils)
        frame = self.addresses(table, frame, "census_day")
        rid = frame["_rid"].to_numpy()
        first, last = self.names(table, frame)
        dfe = np.array([codes.CENSUS19_TO_DFE[e] for e in frame["ethnic"].to_numpy()], dtype=object)
        extended = {main: [k for k, v in codes.DFE_ETHNICITY_EXTENDED.items() if v == main] for main in sorted(set(codes.DFE_ETHNICITY_EXTENDED.values()))}
        use_ext = self.rng.random(len(dfe)) < 0.15
        for main, options in extended.items():
            rows = np.flatnonzero(use_ext & (dfe == main))
            dfe[rows] = np.array(options, dtype=object)[self.rng.integers(0, len(options), len(rows))]
        dfe = np.where(self.rng.random(len(dfe)) < 0.015, np.where(self.rng.random(len(dfe)) < 0.5, "REFU", "NOBT"), dfe).astype(object)
        parts = self.address_parts(frame["_address_prop"].to_numpy())
        upn = self.faults.blank(table, rid, "upn", "missing_upn", frame["upn"].to_numpy().astype(object), self.ctx.config.faults.missing_upn)
        nc = frame["nc_year"].to_numpy()
        dob = self.dob(table, frame, DMY)
        ethnicity = self.ethnicity(table, frame, "ethnicity", codes.CENSUS19_TO_DFE, ("REFU", "NOBT"), true=dfe)
        change = self.change_at(table, frame)
        adopted = (change["kind"] == "adoption").fill_null(False).to_numpy() & (upn != "")
        upn = self.faults.replace(table, rid, "upn", "adoption_new_upn", upn, adopted, change["upn"].to_numpy()[adopted].astype(object))
        upn = self.faults.upn_typo(table, rid, "upn", upn)
        upn = self.faults.temporary_upn(table, rid, "upn", upn, self.la_codes[frame["la_index"].to_numpy()], frame["year"].to_numpy())
        # SEN provision is drawn where the one-file writer drew it, so the same world gets the same faults.
        sen_provision = self.coded("school_census_sen", frame, "sen_provision", frame["sen_provision"].to_numpy())
        street = self.faults.address_variant(table, rid, "street", parts["street"])
        postcode = self.postcode(table, frame, parts["postcode"])
        pupil_columns = {
            "LA": self.la_codes[frame["la_index"].to_numpy()],
            "Estab": frame["estab"].to_numpy(),
            "UPN": upn,
            "Surname": last,
            "Forename": first,
            "DOB": dob,
            "Gender": self.sex(table, frame, codes.SCHOOL_CENSUS_SEX),
            "EthnicGroupMinor": ethnicity,
            "NCyearActual": np.where(nc == 0, "R", nc.astype(str)).astype(object),
            "FSMeligible": frame["fsm"].to_numpy().astype(np.int8),
            "EnrolStatus": np.full(frame.height, "C", dtype=object),  # every synthetic pupil is single registered
            "SAON": parts["sao"],
            "PAON": parts["pao"],
            "STREET": street,
            "LOCALITY": parts["locality"],
            "TOWN": parts["town"],
            "POSTCODE": postcode,
        }
        # The other three files' facts ride along hidden until the pupil rows (duplicates included) are final.
        hidden = {
            "_sen_provision": sen_provision,
            "_sen_need": frame["sen_need"].to_numpy(),
            "_sessions_possible": frame["sessions_possible"].to_numpy(),
            "_sessions_authorised": (frame["sessions_missed"] - frame["sessions_unauthorised"]).to_numpy(),
            "_sessions_unauthorised": frame["sessions_unauthorised"].to_numpy(),
            "_sessions_missed": frame["sessions_missed"].to_numpy(),
            "_exclusions": frame["exclusions"],
        }
        files = self.file_of_rows(lambda y, t: self.rel(table, y, f"school_census_{y}_{t}.csv"), frame["year"], frame["term"])
        out = self.finish(table, frame, files, {**pupil_columns, **hidden}, ["LA", "Estab"])
        # The pupil's row number in its pupil-on-roll file: unique in the return even when the UPN is blank or repeated.
        out = out.with_columns(pl.col("_row").alias("PupilMatchingRef"))
        self.write_csv(out, ["LA", "Estab", "PupilMatchingRef", *list(pupil_columns)[2:]])
        self.school_census_part(
            "school_census_attendance",
            out,
            {
                "SessionsPossible": "_sessions_possible",
                "AuthorisedAbsence": "_sessions_authorised",
                "UnauthorisedAbsence": "_sessions_unauthorised",
                "OverallAbsence": "_sessions_missed",
            },
        )
        exclusion_columns = {name: f"_{name}" for name in ("Category", "StartDate", "Sessions", "Reason")}
        # A term with no exclusion still has its exclusions file, header-only: the return is four files.
        no_exclusions = tuple(name.removesuffix(".csv") + "_exclusions.csv" for name in out["_file"].unique(maintain_order=True).to_list())
        self.school_census_part("school_census_exclusions", self.exclusion_rows(out), exclusion_columns, no_exclusions)
        self.school_census_part(
            "school_census_sen",
            out.with_columns(pl.lit(None, dtype=pl.Utf8).alias("_secondary_need")),
            {"SENprovision": "_sen_provision", "PrimarySENtype": "_sen_need", "SecondarySENtype": "_secondary_need"},
        )

    def exclusion_rows(self, pupils: pl.DataFrame) -> pl.DataFrame:
        """One row per exclusion, as the NPD holds them, each a record of its own; a pupil row written twice
        (a duplicate) has its exclusions written twice, keyed to each copy."""
        rows = pupils.filter(pl.col("_exclusions").list.len() > 0).explode("_exclusions").unnest("_exclusions")
        return rows.with_columns(
            pl.Series("_rid", self.faults.new_rids(rows.height)),
            pl.col("category").alias("_Category"),
            pl.Series("_StartDate", dates(rows["start_day"], DMY)),
            pl.col("sessions").alias("_Sessions"),
            pl.col("reason").alias("_Reason"),
        )

    def school_census_part(self, table: str, pupils: pl.DataFrame, columns: dict[str, str], every_file: tuple[str, ...] = ()) -> None:
        """A file beside the pupil-on-roll file (`..._<part>.csv`), keyed to its pupil by PupilMatchingRef."""
        part = table.removeprefix("school_census_")
        out = pupils.select(
            "_rid",
            "_person",
            pl.col("_file").str.replace(r"\.csv$", f"_{part}.csv"),
            "LA",
            "Estab",
            "PupilMatchingRef",
            "UPN",
            *(pl.col(hidden).alias(name) for name, hidden in columns.items()),
        ).with_columns((pl.int_range(pl.len()).over("_file") + 1).alias("_row"))
        self.register_records(table, out)
        self.write_csv(out, ["LA", "Estab", "PupilMatchingRef", "UPN", *columns], every_file)

    def events_in_years(self, table: str, events: pl.DataFrame, date_col: str) -> pl.DataFrame:
        """Events of the collection years, with the people and the addresses they gave."""
        frame = self.with_people(events)
        frame = frame.filter(pl.Series(np.isin(financial_year(frame[date_col].to_numpy()), self.ctx.config.years)))
        return self.addresses(table, frame, date_col)

    def hospital(self, admissions: pl.DataFrame) -> None:
        table = "hes_apc"
        frame = self.events_in_years(table, admissions, "admission_day")
        rid = frame["_rid"].to_numpy()
        parts = self.address_parts(frame["_address_prop"].to_numpy())
        nhs = self.faults.blank(
            table,
            rid,
            "nhs_number",
            "missing_nhs_number",
            frame["nhs_number"].cast(pl.Utf8).to_numpy().astype(object),
            self.ctx.config.faults.missing_nhs_number,
        )
        hes_eth = np.array([codes.CENSUS19_TO_HES[e] for e in frame["ethnic"].to_numpy()], dtype=object)
        hes_eth = np.where(self.rng.random(len(hes_eth)) < 0.04, "Z", hes_eth).astype(object)
        first, last = self.names(table, frame)
        newborn = (frame["admission_method"].to_numpy() == "82") & (frame["admission_day"].to_numpy() == frame["dob"].to_numpy())
        first, last = self.faults.baby_names(table, rid, first, last, newborn, frame["_mother_last_name"].to_numpy().astype(object))
        nhs = self.faults.nhs_number_typo(table, rid, "nhs_number", nhs)
        columns = {
            "EPIKEY": (self.rng.permutation(frame.height) + 300_000_000_000).astype(np.int64),
            "NEWNHSNO": nhs,
            "FORENAME": first,
            "SURNAME": last,
            "DOB": self.dob(table, frame, COMPACT),
            "SEX": self.sex(table, frame, codes.HES_SEX),
            "ETHNOS": self.ethnicity(table, frame, "ethnos", codes.CENSUS19_TO_HES, ("Z", "99"), true=hes_eth),
            "HOMEADD": self.faults.address_variant(table, rid, "homeadd", parts["one_line"]),
            "POSTCODE": self.postcode(table, frame, parts["postcode"]),
            "ADMIDATE": dates(frame["admission_day"].to_numpy(), COMPACT),
            "DISDATE": dates(frame["discharge_day"].to_numpy(), COMPACT),
            "ADMIMETH": frame["admission_method"].to_numpy(),
            "DIAG_4_01": frame["diagnosis"].to_numpy(),
        }
        year = financial_year(frame["admission_day"].to_numpy())
        files = self.file_of_rows(lambda y: self.rel(table, y, f"hes_apc_{y}.csv"), year)
        out = self.finish(table, frame, files, columns, ["ADMIDATE"])
        self.write_csv(out, list(columns), self.every_year(table, "hes_apc_{year}.csv"))

    def youth_justice(self, offences: pl.DataFrame) -> None:
        table = "youth_justice"
        frame = self.events_in_years(table, offences, "offence_day")
        rid = frame["_rid"].to_numpy()
        parts = self.address_parts(frame["_address_prop"].to_numpy())
        first, last = self.names(table, frame)
        la_names = np.array([la.name for la in self.ctx.config.local_authorities], dtype=object)
        columns = {
            "YOT": la_names[self.gaz.la_index[frame["prop"].to_numpy()]],
            "FORENAME": first,
            "SURNAME": last,
            "DOB": self.dob(table, frame, DMONY),
            "SEX": self.sex(table, frame, codes.YJ_SEX),
            "ETHNICITY": self.ethnicity(table, frame, "ethnicity", codes.CENSUS19_TO_BROAD, ("Unknown",)),
            "ADDRESS": self.faults.address_variant(table, rid, "address", parts["one_line"]),
            "POSTCODE": self.postcode(table, frame, parts["postcode"]),
            "OFFENCE_DATE": dates(frame["offence_day"].to_numpy(), DMONY),
            "OFFENCE_TYPE": frame["offence_type"].to_numpy(),
            "OUTCOME": frame["outcome"].to_numpy(),
            "OUTCOME_DATE": dates(frame["outcome_day"].to_numpy(), DMONY),
        }
        year = financial_year(frame["offence_day"].to_numpy())
        files = self.file_of_rows(lambda y: self.rel(table, y, f"youth_offences_{y}.csv"), year)
        out = self.finish(table, frame, files, columns, ["OFFENCE_DATE"])
        self.write_csv(out, list(columns), self.every_year(table, "youth_offences_{year}.csv"))

    # --- children's social care -------------------------------------------------------------------
    @functools.cached_property
    def cin_disabilities(self) -> np.ndarray:
        """Each person's disabilities as the CIN census codes them ("NONE", or codes joined by commas),
        fixed for life so every year's return agrees. About one child in need in eight is disabled
        (DfE, Characteristics of children in need); drawn from a stream of its own, so adding it
        moved no other draw."""
        n = self.people.height
        rng = np.random.default_rng((self.ctx.config.seed, 2887))
        first, second = draw_codes(rng, codes.CIN_DISABILITY, n), draw_codes(rng, codes.CIN_DISABILITY, n)
        disabled, two = rng.random(n) < 0.13, rng.random(n) < 0.25
        both = np.where(two & (first != second), first + "," + second, first)
        return np.where(disabled, both, "NONE").astype(object)

    @staticmethod
    def la_child_ids(activity: pl.DataFrame) -> pl.DataFrame:
        """An LA numbers each person when it first records them (child, la_index, day), every LA from the
        same start, so the ids clash across LAs."""
        firsts = activity.sort("day").group_by("child", "la_index", maintain_order=True).agg(pl.col("day").first())
        firsts = firsts.sort("day").with_columns((pl.int_range(pl.len()).over("la_index") + 100_001).cast(pl.Utf8).alias("la_child_id"))
        return firsts.select("child", "la_index", "la_child_id")

    def social_care(self, history: History, upns: pl.DataFrame) -> None:
        cin = history.cin
        if cin.is_empty():
            return
        located = at_dates(history, cin.rename({"child": "person"}).with_columns(pl.col("referral").cast(pl.Int32)), "referral")
        cin = located.rename({"person": "child"}).with_columns(pl.Series("la_index", self.gaz.la_index[located["prop"].to_numpy()]))
        inputs = ServiceInputsWriter(self, history, contacts(self.ctx))
        ids = self.la_child_ids(pl.concat([cin.select("child", "la_index", pl.col("referral").alias("day")), inputs.activity()], how="vertical_relaxed"))
        self.person_ids = ids
        cin = cin.join(ids, on=["child", "la_index"], how="left").join(upns.rename({"person": "child"}), on="child", how="left")
        inputs.key(ids, cin)
        children_of_year = self.cin_census(cin)
        for year in self.ctx.config.years:
            self.case_management(year, self.case_management_people(year, children_of_year.get(year), inputs.people_in(year), upns))
        inputs.write()
        if not history.lac.is_empty():
            lac = history.lac.join(cin.select("child", "referral", "la_index", "la_child_id", "upn", "primary_need"), on=["child", "referral"], how="left")
            SSDA903Writer(self, lac, history.births).write()

    def cin_census(self, cin: pl.DataFrame) -> dict[int, pl.DataFrame]:
        """One CIN census return per LA and year, valid against that year's DfE schema
        (validations/schemas/cin/); returns each year's children, whose names and addresses the
        LA's case-management extract holds, as the census does not."""
        table = "cin_children"  # the raw table the ingestion flattens each <Child> into
        children_of_year = {}
        for year in self.ctx.config.years:
            start, end = day_number(date(year - 1, 4, 1)), day_number(date(year, 3, 31))
            in_year = cin.filter((pl.col("referral") <= end) & (pl.col("closure") >= start))
            if in_year.is_empty():
                continue
            nfa_only = in_year.group_by("child", "la_index").agg(pl.col("nfa").all().alias("nfa_only"))
            children = in_year.select("child", "la_index", "la_child_id", "upn").unique(["child", "la_index"], maintain_order=True)
            children = children.join(nfa_only, on=["child", "la_index"], how="left", maintain_order="left")
            frame = self.with_people(children.rename({"child": "person"}).with_columns(pl.lit(end).alias("day")))
            frame = self.addresses("ssd_address", frame, "day")  # the census has no address; the LA's records do
            rid = frame["_rid"].to_numpy()
            known = frame["upn"].fill_null("").to_numpy().astype(object)
            upn = self.faults.blank(table, rid, "upn", "missing_upn", known, self.ctx.config.faults.missing_upn)
            upn = self.faults.temporary_upn(table, rid, "upn", upn, self.la_codes[frame["la_index"].to_numpy()], np.full(frame.height, year))
            columns = {
                "LAchildID": frame["la_child_id"].to_numpy(),
                "UPN": upn,
                "UPNunknown": self._upn_unknown(known, frame, end),
                "PersonBirthDate": self.dob(table, frame, ISO, typos=False),
                "GenderCurrent": self.sex(table, frame, codes.CIN_GENDER),
                "Ethnicity": self.ethnicity(table, frame, "ethnicity", codes.CENSUS19_TO_DFE, ("REFU", "NOBT")),
                "_la_index": frame["la_index"].to_numpy(),
                "_child": frame["_person"].to_numpy(),
                "_disabilities": self.cin_disabilities[frame["_person"].to_numpy()],
            }
            files = self.file_of_rows(lambda i, year=year: self.rel("cin_census", year, f"cin_{self.la_codes[i]}_{year}.xml"), frame["la_index"])
            out = self.finish(table, frame, files, columns, ["LAchildID"])
            for (file_name,), part in out.group_by("_file", maintain_order=True):
                la_code = int(self.la_codes[int(part["_la_index"][0])])
                xml = self._cin_xml(year, la_code, part, in_year, start, end)
                path = self.landing / file_name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(xml, encoding="utf-8")
                self.written.files.append(file_name)
            children_of_year[year] = frame
        return children_of_year

    def case_management_people(self, year: int, cin_children: pl.DataFrame | None, others: pl.DataFrame, upns: pl.DataFrame) -> pl.DataFrame:
        """Everyone the LA's extract of the year names: the year's children in need (already read for the
        census) and the children only contacted, in early help or given a service, with the address the
        LA held for them at the year's end (for a baby contacted before its first home, that first home)."""
        end = day_number(date(year, 3, 31))
        known = cin_children.select(pl.col("_person").alias("person"), "la_index") if cin_children is not None else others.clear().select("person", "la_index")
        others = others.join(known, on=["person", "la_index"], how="anti").join(upns, on="person", how="left")
        others = others.join(self.first_homes, on="person", how="left").with_columns(pl.max_horizontal(pl.lit(end), "_first_home").cast(pl.Int32).alias("day"))
        frame = self.with_people(others.drop("_first_home"))
        frame = self.addresses("ssd_address", frame, "day")
        return frame if cin_children is None else pl.concat([cin_children, frame], how="diagonal_relaxed")

    @staticmethod
    def _upn_unknown(known: np.ndarray, frame: pl.DataFrame, end: int) -> np.ndarray:
        """The DfE reason for a child the LA holds no UPN for: UN6 under 6 and not yet in school,
        UN7 referrals with no further action only, otherwise UN2 (no school or educational setting).
        A UPN the LA failed to record (a missing_upn fault) has no reason: that is the fault."""
        under_six = (end - frame["dob"].to_numpy()) < 6 * 365.25
        reason = np.where(under_six, "UN6", np.where(frame["nfa_only"].to_numpy(), "UN7", "UN2"))
        return np.where(known == "", reason, "").astype(object)

    def case_management(self, year: int, frame: pl.DataFrame) -> None:
        """The LA's case-management extract in the Data to Insight Standard Safeguarding Dataset
        layout (ssd_person, ssd_address; data-to-insight/ssd-data-model), keyed by the LA's person
        id, which is the CIN LAchildID. Names and addresses carry the faults an LA's records have."""
        table = "ssd_person"
        first, last = self.names(table, frame)
        la = self.la_codes[frame["la_index"].to_numpy()]
        person_columns = {
            "pers_person_id": frame["la_child_id"].to_numpy(),
            "pers_upn": self.faults.upn_typo(table, frame["_rid"].to_numpy(), "upn", frame["upn"].fill_null("").to_numpy().astype(object)),
            "pers_forename": first,
            "pers_surname": last,
            "pers_sex": self.sex(table, frame, codes.SCHOOL_CENSUS_SEX),
            "pers_ethnicity": self.ethnicity(table, frame, "ethnicity", codes.CENSUS19_TO_DFE, ("REFU", "NOBT")),
            "pers_dob": dates(
                self.faults.dob_profile(table, frame["_rid"].to_numpy(), "dob", frame["dob"].to_numpy(), ISO, day_number(self.ctx.config.end), False), ISO
            ),
        }
        files = self.file_of_rows(lambda code: self.rel("ssd", year, f"ssd_{code}_{year}_person.csv"), la)
        # Every row keeps its address truth: the pipeline takes a child in need's address from the census record,
        # but from this row when the census record was quarantined and the child is known to it only here.
        out = self.finish(table, frame, files, person_columns, ["pers_person_id"])
        self.write_csv(out, list(person_columns))

        table = "ssd_address"
        rid = frame["_rid"].to_numpy()
        props = frame["_address_prop"].to_numpy()
        parts = self.address_parts(props)
        stale = frame["_stale"].to_numpy()
        # The LA's current address: the one it holds (for a stale one, the previous home, whose start it does not know).
        start = np.where(stale, -1, frame["start"].to_numpy())
        address_columns = {
            "addr_table_id": np.array([f"{la_code}-{year}-{r}" for la_code, r in zip(la, rid, strict=True)], dtype=object),
            "addr_person_id": frame["la_child_id"].to_numpy(),
            "addr_address_type": np.full(frame.height, "HOME", dtype=object),
            "addr_address_start_date": np.where(start >= 0, dates(np.maximum(start, 0), ISO), "").astype(object),
            "addr_address_end_date": np.full(frame.height, "", dtype=object),
            "addr_address_postcode": self.postcode(table, frame, parts["postcode"]),
            "addr_address_json": self._address_json(parts, self.faults.address_variant(table, rid, "address", parts["street_line"])),
        }
        files = self.file_of_rows(lambda code: self.rel("ssd", year, f"ssd_{code}_{year}_address.csv"), la)
        addresses = self.finish(table, frame, files, address_columns, ["addr_person_id"])
        self.write_csv(addresses, list(address_columns))

    @staticmethod
    def _address_json(parts: dict[str, np.ndarray], street_line: np.ndarray) -> np.ndarray:
        """SSD's addr_address_json keys, all present whether or not the LA holds them. The LA keeps
        the first line as typed (FLAT, HOUSE and STREET in one), so faults in it stay visible."""
        town = np.where(parts["locality"] != "", parts["locality"] + ", ", "") + parts["town"]
        empty = dict.fromkeys(("ROOM", "FLOOR", "FLAT", "BUILDING", "HOUSE", "STREET", "TOWN", "UPRN", "EASTING", "NORTHING"), "")
        return np.array([json.dumps({**empty, "STREET": line, "TOWN": place}) for line, place in zip(street_line, town, strict=True)], dtype=object)

    def _cin_xml(self, year: int, la_code: int, children: pl.DataFrame, episodes: pl.DataFrame, start: int, end: int) -> str:
        by_child: dict[int, list[dict]] = defaultdict(list)
        for episode in episodes.filter(pl.col("la_index") == children["_la_index"][0]).sort("child", "referral").iter_rows(named=True):
            by_child[episode["child"]].append(episode)
        iso = iso_day
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            "<Message>",
            f"<Header><CollectionDetails><Collection>CIN</Collection><Year>{year}</Year><ReferenceDate>{iso(end)}</ReferenceDate></CollectionDetails>",
            f"<Source><SourceLevel>L</SourceLevel><LEA>{la_code}</LEA><SoftwareCode>Hearth synthetic</SoftwareCode><Release>1</Release>"
            f"<SerialNo>001</SerialNo><DateTime>{iso(end)}T00:00:00</DateTime></Source></Header>",
            "<Children>",
        ]
        written = ("LAchildID", "UPN", "UPNunknown", "PersonBirthDate", "GenderCurrent", "Ethnicity", "_disabilities", "_child")
        for row in children.select(written).iter_rows(named=True):  # only the fields written: a row's dict costs per field
            out.append("<Child><ChildIdentifiers>")
            out.append(f"<LAchildID>{escape(row['LAchildID'])}</LAchildID>")
            out.extend(f"<{tag}>{row[tag]}</{tag}>" for tag in ("UPN", "UPNunknown") if row[tag])
            out.append(f"<PersonBirthDate>{row['PersonBirthDate']}</PersonBirthDate><GenderCurrent>{row['GenderCurrent']}</GenderCurrent></ChildIdentifiers>")
            disabilities = "".join(f"<Disability>{code}</Disability>" for code in row["_disabilities"].split(","))
            out.append(
                f"<ChildCharacteristics><Ethnicity>{escape(row['Ethnicity'])}</Ethnicity><Disabilities>{disabilities}</Disabilities></ChildCharacteristics>"
            )
            previous_plans = 0
            for ep in by_child[row["_child"]]:
                out.append(self._cin_details(ep, year, start, end, previous_plans))
                previous_plans += int(bool(ep["cpp"]))
            out.append("</Child>")
        out.append("</Children></Message>")
        return "\n".join(out) + "\n"

    @staticmethod
    def _cin_details(ep: dict, year: int, start: int, end: int, previous_plans: int) -> str:
        """One CINdetails in the schema's element order. Optional elements not yet known at the
        reference date are left out, and a module that ended before the collection year is not
        sent again (DfE rules 8696, 8715, 8930): the return describes the year's activity."""
        iso = iso_day

        def optional(tag: str, day: int, when: bool = True) -> str:
            return f"<{tag}>{iso(day)}</{tag}>" if when and day <= end else ""

        closed = ep["closure"] <= end
        parts = [
            "<CINdetails>",
            f"<CINreferralDate>{iso(ep['referral'])}</CINreferralDate><ReferralSource>{ep['source']}</ReferralSource>",
            f"<PrimaryNeedCode>{ep['primary_need']}</PrimaryNeedCode>",
            optional("CINclosureDate", ep["closure"]),
            f"<ReasonForClosure>{ep['closure_reason']}</ReasonForClosure>" if closed else "",
        ]
        if ep["assessed"] and ep["assessment_start"] <= end and ep["assessment_auth"] >= start:
            authorised = ep["assessment_auth"] <= end
            factors = "".join(f"<AssessmentFactors>{f}</AssessmentFactors>" for f in ep["factors"].split(",") if f)
            parts.append(
                f"<Assessments><AssessmentActualStartDate>{iso(ep['assessment_start'])}</AssessmentActualStartDate>"
                + optional("AssessmentAuthorisationDate", ep["assessment_auth"])
                + (f"<FactorsIdentifiedAtAssessment>{factors}</FactorsIdentifiedAtAssessment>" if authorised and factors else "")
                + "</Assessments>"
            )
        # CIN plan dates are collected from the 2021-22 census (CIN_schema_2022.xsd) on.
        if year >= 2022 and ep["plan"] and ep["plan_start"] <= end and ep["plan_end"] >= start:
            plan_end = optional("CINPlanEndDate", ep["plan_end"])
            parts.append(f"<CINPlanDates><CINPlanStartDate>{iso(ep['plan_start'])}</CINPlanStartDate>{plan_end}</CINPlanDates>")
        conference_in_year = ep["icpc"] and start <= ep["icpc_day"] <= end
        if ep["s47"] and ep["s47_day"] <= end and (ep["s47_day"] >= start or conference_in_year):
            parts.append(
                f"<Section47><S47ActualStartDate>{iso(ep['s47_day'])}</S47ActualStartDate>{optional('DateOfInitialCPC', ep['icpc_day'], bool(ep['icpc']))}"
                f"<ICPCnotRequired>{'false' if ep['icpc'] else 'true'}</ICPCnotRequired></Section47>"
            )
        parts.append(f"<ReferralNFA>{int(ep['nfa'])}</ReferralNFA>")
        if ep["cpp"] and ep["cpp_start"] <= end and ep["cpp_end"] >= start:
            reviews = "".join(f"<CPPreviewDate>{iso(r)}</CPPreviewDate>" for r in range(ep["cpp_start"] + 90, min(ep["cpp_end"], end + 1), 180) if r >= start)
            # The schema types NumberOfPreviousCPP as xs:positiveInteger, so a first plan cannot be 0:
            # the count written is of the child's plans up to and including this one.
            parts.append(
                f"<ChildProtectionPlans><CPPstartDate>{iso(ep['cpp_start'])}</CPPstartDate>{optional('CPPendDate', ep['cpp_end'])}"
                f"<InitialCategoryOfAbuse>{ep['category']}</InitialCategoryOfAbuse><LatestCategoryOfAbuse>{ep['latest_category']}</LatestCategoryOfAbuse>"
                f"<NumberOfPreviousCPP>{previous_plans + 1}</NumberOfPreviousCPP>"
                + (f"<Reviews>{reviews}</Reviews>" if reviews else "")
                + "</ChildProtectionPlans>"
            )
        parts.append("</CINdetails>")
        return "".join(parts)
