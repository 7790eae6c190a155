"""Data-quality faults injected into the extracts, each one logged with its true and recorded value.

Faults are applied to whole columns at once: a mask picks the affected rows at the configured
rate among the rows where the fault can happen, and the log keys each change by the record's
id, which later becomes a file and row number in the ground truth. Record ids are handed out here,
once for the whole world, so an id names one row of one file even for tables written year by year.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import polars as pl

from code_lists import NICKNAMES
from code_lists.identifiers import nhs_check_digit, upn_check_letter
from code_lists.name_variants import NAME_VARIANTS

from .chunks import concat_chunks
from .config import FaultRates
from .names import typo

# The error profiles of issue 14 draw from a stream of their own, beside the world's seed, so adding
# one moved none of the draws the older faults and the writers make.
FAULT_PROFILE_STREAM = 1414
# Letters NFKD does not decompose into a base letter and a combining mark.
_UNDECOMPOSED = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ø": "O", "ø": "o", "ß": "ss", "Æ": "AE", "æ": "ae"})
# A census 19-group code -> the 'any other' group of its broad group, as a form filler or clerk writes it.
_OTHER_OF_BROAD_GROUP = {"1": "5", "3": "5", "4": "5", "2": "19", "6": "8", "7": "8", "9": "12", "10": "12", "11": "12"}
_OTHER_OF_BROAD_GROUP |= {"13": "17", "14": "17", "15": "17", "16": "17", "18": "19"}
_MIXED = ("9", "10", "11", "12")
# Date formats as (field, digits) in the order they are typed; a month written as a word (DMONY) has no digits.
_TYPED_FIELDS = {"%Y-%m-%d": "YMD", "%Y%m%d": "YMD", "%d/%m/%Y": "DMY", "%d-%b-%Y": "DY"}
_FIELD_WIDTH = {"Y": 4, "M": 2, "D": 2}

_ABBREVIATIONS = (
    ("Road", "Rd"),
    ("Street", "St"),
    ("Avenue", "Ave"),
    ("Lane", "Ln"),
    ("Close", "Cl"),
    ("Drive", "Dr"),
    ("Crescent", "Cres"),
    ("Gardens", "Gdns"),
    ("Terrace", "Ter"),
    ("Place", "Pl"),
    ("Grove", "Gr"),
)
OUT_OF_LIST = np.array(["XXXX", "ZZ", "99X", "UNK?", "N/A"], dtype=object)


class FaultInjector:
    def __init__(self, rng: np.random.Generator, rates: FaultRates, profile_rng: np.random.Generator) -> None:
        self.rng, self.rates, self.profile = rng, rates, profile_rng
        self._log: list[dict[str, np.ndarray]] = []  # a chunk per call of `record`, made a frame once, by `log`
        self._next_rid = 0

    def new_rids(self, n: int) -> np.ndarray:
        """`n` record ids never handed out before in this world."""
        rids = np.arange(self._next_rid, self._next_rid + n, dtype=np.int64)
        self._next_rid += n
        return rids

    def mask(self, n: int, rate: float, eligible: np.ndarray | None = None) -> np.ndarray:
        hit = self.rng.random(n) < rate
        return hit if eligible is None else hit & eligible

    def profile_mask(self, n: int, rate: float, eligible: np.ndarray | None = None) -> np.ndarray:
        """A mask from the error profiles' own stream (FAULT_PROFILE_STREAM)."""
        hit = self.profile.random(n) < rate
        return hit if eligible is None else hit & eligible

    def record(self, table: str, rid: np.ndarray, field: str, fault: str, true: np.ndarray, recorded: np.ndarray) -> None:
        if len(rid):
            self._log.append(
                {
                    "table": np.full(len(rid), table, dtype=object),
                    "rid": rid.astype(np.int64),
                    "field": np.full(len(rid), field, dtype=object),
                    "fault": np.full(len(rid), fault, dtype=object),
                    "true_value": np.asarray(true, dtype=object).astype(str),
                    "recorded_value": np.asarray(recorded, dtype=object).astype(str),
                }
            )

    def logged_rids(self, table: str, fault: str) -> np.ndarray:
        """The record ids logged with one fault in one table, read from the log's chunks (each of one table and fault)
        without making the whole log a frame."""
        chunks = [chunk["rid"] for chunk in self._log if chunk["table"][0] == table and chunk["fault"][0] == fault]
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)

    def log(self) -> pl.DataFrame:
        schema = {"table": pl.Utf8, "rid": pl.Int64, "field": pl.Utf8, "fault": pl.Utf8, "true_value": pl.Utf8, "recorded_value": pl.Utf8}
        return concat_chunks(self._log) if self._log else pl.DataFrame(schema=schema)

    # --- one function per kind of fault; each returns the recorded column -----------------------
    def replace(self, table: str, rid: np.ndarray, field: str, fault: str, values: np.ndarray, hit: np.ndarray, new: np.ndarray) -> np.ndarray:
        out = values.copy()
        out[hit] = new
        self.record(table, rid[hit], field, fault, values[hit], new)
        return out

    def names(self, table: str, rid: np.ndarray, field: str, values: np.ndarray, first_name: bool) -> np.ndarray:
        out = values
        if first_name:
            eligible = np.array([v in NICKNAMES for v in values], dtype=bool)
            hit = self.mask(len(values), self.rates.nickname, eligible)
            new = np.array([NICKNAMES[v][int(self.rng.integers(0, len(NICKNAMES[v])))] for v in values[hit]], dtype=object)
            out = self.replace(table, rid, field, "nickname", out, hit, new)
        hit = self.mask(len(values), self.rates.name_typo, np.array([len(v) >= 2 for v in out], dtype=bool))
        new = np.array([typo(self.rng, v) for v in out[hit]], dtype=object)
        return self.replace(table, rid, field, "name_typo", out, hit, new)

    def dob_swap(self, table: str, rid: np.ndarray, field: str, days: np.ndarray) -> np.ndarray:
        dates = np.datetime64("1970-01-01") + days.astype("timedelta64[D]")
        years = dates.astype("datetime64[Y]")
        month = (dates.astype("datetime64[M]") - years.astype("datetime64[M]")).astype(int) + 1
        day = (dates - dates.astype("datetime64[M]")).astype(int) + 1
        hit = self.mask(len(days), self.rates.dob_day_month_swap, (day <= 12) & (day != month))
        swapped = (years[hit].astype("datetime64[M]") + (day[hit] - 1)).astype("datetime64[D]") + (month[hit] - 1)
        new = (swapped - np.datetime64("1970-01-01")).astype(np.int64)
        out = days.astype(np.int64).copy()
        out[hit] = new
        self.record(table, rid[hit], field, "dob_day_month_swap", dates[hit].astype(str), swapped.astype(str))
        return out

    def blank(self, table: str, rid: np.ndarray, field: str, fault: str, values: np.ndarray, rate: float) -> np.ndarray:
        hit = self.mask(len(values), rate, np.array([v not in ("", None) for v in values], dtype=bool))
        return self.replace(table, rid, field, fault, values, hit, np.full(hit.sum(), "", dtype=object))

    def out_of_list(self, table: str, rid: np.ndarray, field: str, values: np.ndarray) -> np.ndarray:
        hit = self.mask(len(values), self.rates.out_of_list_code)
        return self.replace(table, rid, field, "out_of_list_code", values, hit, OUT_OF_LIST[self.rng.integers(0, len(OUT_OF_LIST), hit.sum())])

    def address_variant(self, table: str, rid: np.ndarray, field: str, values: np.ndarray) -> np.ndarray:
        hit = self.mask(len(values), self.rates.address_variant, np.array([bool(v) for v in values], dtype=bool))
        new = np.array([self._variant(v) for v in values[hit]], dtype=object)
        changed = new != values[hit]
        idx = np.flatnonzero(hit)[~changed]
        hit[idx] = False
        return self.replace(table, rid, field, "address_variant", values, hit, new[changed])

    def _variant(self, text: str) -> str:
        """Abbreviate the street type, move the flat to the end, or change the case."""
        choice = int(self.rng.integers(0, 3))
        if choice == 0:
            for long, short in _ABBREVIATIONS:
                if f" {long}" in text:
                    return text.replace(f" {long}", f" {short}", 1)
        if choice == 1 and text.startswith("Flat "):
            flat, _, rest = text.partition(", ")
            if rest:
                return f"{rest}, {flat}" if "," not in rest else f"{flat.replace('Flat ', '')}/{rest}"
        return text.upper() if choice != 2 else text.lower()

    def duplicates(self, table: str, frame: pl.DataFrame) -> pl.DataFrame:
        """Write some records twice; the copy gets a new record id and a logged fault."""
        hit = self.mask(frame.height, self.rates.duplicate_row)
        copies = frame.filter(pl.Series(hit))
        if copies.is_empty():
            return frame
        new_rid = self.new_rids(copies.height)
        self.record(table, new_rid, "*", "duplicate_row", copies["_rid"].to_numpy(), new_rid)
        return pl.concat([frame, copies.with_columns(pl.Series("_rid", new_rid))])

    # --- error profiles of real linkage (issue 14): each draws from `self.profile` -----------------
    def name_profile(
        self, table: str, rid: np.ndarray, first: np.ndarray, last: np.ndarray, middle: np.ndarray, kinds: frozenset[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """The name faults a source makes (`kinds`, a subset of the FaultRates names), after its typos and nicknames:
        part of a double surname, another romanisation, the middle name or the initial as the first name, diacritics
        dropped, and last of all forename and surname swapped."""
        r = self.rates
        if "surname_part" in kinds:
            double = pl.Series(last, dtype=pl.Utf8).str.contains(r"[- ]").to_numpy()
            hit = self.profile_mask(len(last), r.surname_part, double)
            parts = [v.replace("-", " ").split() for v in last[hit]]
            new = np.array([p[int(k)] for p, k in zip(parts, self.profile.integers(0, 2, len(parts)), strict=True)], dtype=object)
            last = self.replace(table, rid, "last_name", "surname_part", last, hit, new)
        if "transliteration" in kinds:
            first = self._variant_spelling(table, rid, "first_name", first)
            last = self._variant_spelling(table, rid, "last_name", last)
        if "middle_as_first" in kinds:
            hit = self.profile_mask(len(first), r.middle_as_first, (middle != "") & (middle != first))
            first = self.replace(table, rid, "first_name", "middle_as_first", first, hit, middle[hit])
        if "initial_only" in kinds:
            hit = self.profile_mask(len(first), r.initial_only, pl.Series(first, dtype=pl.Utf8).str.len_chars().to_numpy() > 1)
            first = self.replace(table, rid, "first_name", "initial_only", first, hit, np.array([v[0] for v in first[hit]], dtype=object))
        if "diacritics_stripped" in kinds:
            first = self._strip_diacritics(table, rid, "first_name", first)
            last = self._strip_diacritics(table, rid, "last_name", last)
        if "name_swap" in kinds:
            hit = self.profile_mask(len(first), r.name_swap, (first != "") & (last != "") & (first != last))
            swapped_first, swapped_last = first.copy(), last.copy()
            swapped_first[hit], swapped_last[hit] = last[hit], first[hit]
            self.record(table, rid[hit], "first_name", "name_swap", first[hit], last[hit])
            self.record(table, rid[hit], "last_name", "name_swap", last[hit], first[hit])
            first, last = swapped_first, swapped_last
        return first, last

    def _variant_spelling(self, table: str, rid: np.ndarray, field: str, values: np.ndarray) -> np.ndarray:
        hit = self.profile_mask(len(values), self.rates.transliteration, np.array([v in NAME_VARIANTS for v in values], dtype=bool))
        choice = self.profile.random(int(hit.sum()))
        new = np.array([NAME_VARIANTS[v][int(c * len(NAME_VARIANTS[v]))] for v, c in zip(values[hit], choice, strict=True)], dtype=object)
        return self.replace(table, rid, field, "transliteration", values, hit, new)

    def _strip_diacritics(self, table: str, rid: np.ndarray, field: str, values: np.ndarray) -> np.ndarray:
        hit = self.profile_mask(len(values), self.rates.diacritics_stripped, np.array([not v.isascii() for v in values], dtype=bool))
        return self.replace(table, rid, field, "diacritics_stripped", values, hit, np.array([strip_diacritics(v) for v in values[hit]], dtype=object))

    def baby_names(
        self, table: str, rid: np.ndarray, first: np.ndarray, last: np.ndarray, newborn: np.ndarray, mother_last: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """A birth episode recorded before the baby is named or registered: "Baby" and the mother's surname."""
        hit = self.profile_mask(len(first), self.rates.baby_name, newborn & (mother_last != ""))
        first = self.replace(table, rid, "first_name", "baby_name", first, hit, np.full(int(hit.sum()), "Baby", dtype=object))
        changed = hit & (last != mother_last)
        return first, self.replace(table, rid, "last_name", "baby_name", last, changed, mother_last[changed])

    def dob_profile(self, table: str, rid: np.ndarray, field: str, days: np.ndarray, fmt: str, latest: int, default_date: bool) -> np.ndarray:
        """One digit mistyped or two adjacent digits transposed, as typed in the source's format (`fmt`); where the source
        takes an unknown date of birth as 1 January of the year (`default_date`), that default. A typed date that is no
        date, or lies after `latest`, would be refused at entry, so it is not made."""
        days = days.astype(np.int64)
        dates = np.datetime64("1970-01-01") + days.astype("timedelta64[D]")
        year = dates.astype("datetime64[Y]").astype(np.int64) + 1970
        month = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
        day = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
        fields = _TYPED_FIELDS[fmt]
        value = {"Y": year, "M": month, "D": day}
        widths = [_FIELD_WIDTH[f] for f in fields]
        digits = np.concatenate([_digits(value[f], _FIELD_WIDTH[f]) for f in fields], axis=1)
        starts = np.cumsum([0, *widths])
        out = days.copy()
        for fault, rate in (("dob_digit_typo", self.rates.dob_digit_typo), ("dob_transposed", self.rates.dob_transposed)):
            hit = np.flatnonzero(self.profile_mask(len(days), rate))
            typed = digits[hit].copy()
            if fault == "dob_digit_typo":
                position = self.profile.integers(0, typed.shape[1], len(hit))
                typed[np.arange(len(hit)), position] = (typed[np.arange(len(hit)), position] + self.profile.integers(1, 10, len(hit))) % 10
            else:
                # adjacent digits within one field, or across fields where nothing separates them (YYYYMMDD)
                pairs = np.array([i for i in range(typed.shape[1] - 1) if fmt == "%Y%m%d" or i + 1 not in starts], dtype=np.int64)
                first = pairs[self.profile.integers(0, len(pairs), len(hit))]
                rows = np.arange(len(hit))
                typed[rows, first], typed[rows, first + 1] = typed[rows, first + 1], typed[rows, first].copy()
            parts = {f: _number(typed[:, starts[i] : starts[i + 1]]) for i, f in enumerate(fields)}
            new = _day_number(parts["Y"], parts.get("M", month[hit]), parts["D"])
            made = (new >= 0) & (new <= latest) & (new != out[hit])
            hit, new = hit[made], new[made]
            self.record(table, rid[hit], field, fault, _iso(out[hit]), _iso(new))
            out[hit] = new
        if default_date:
            january_first = _day_number(year, np.ones_like(year), np.ones_like(year))
            hit = self.profile_mask(len(days), self.rates.dob_default, january_first != out)
            self.record(table, rid[hit], field, "dob_default", _iso(out[hit]), _iso(january_first[hit]))
            out[hit] = january_first[hit]
        return out

    def sex_profile(self, table: str, rid: np.ndarray, field: str, sex: np.ndarray, codes: tuple[str, str], unknown: tuple[str, ...]) -> np.ndarray:
        """The source's sex codes (`codes`: female, male), some recorded as the other sex, and, where the source's codes
        have a not-known value (`unknown`), some recorded as that."""
        true = np.array(codes, dtype=object)[sex]
        hit = self.profile_mask(len(sex), self.rates.sex_wrong)
        out = self.replace(table, rid, field, "sex_wrong", true, hit, np.array(codes, dtype=object)[1 - sex[hit]])
        if unknown:
            hit = self.profile_mask(len(sex), self.rates.sex_unknown)
            out = self.replace(table, rid, field, "sex_unknown", out, hit, np.array(unknown, dtype=object)[self.profile.integers(0, len(unknown), hit.sum())])
        return out

    def nhs_number_typo(self, table: str, rid: np.ndarray, field: str, values: np.ndarray) -> np.ndarray:
        """One of the nine leading digits mistyped. Modulus 11 catches every single-digit error (the weights 2-10 and the
        digit differences 1-9 are all prime to 11), so a typo that still passes is one whose check digit was recomputed,
        as a system deriving it does: the number then differs in the mistyped digit and the check digit."""
        hit = self.profile_mask(len(values), self.rates.nhs_number_typo, np.array([len(v) == 10 for v in values], dtype=bool))
        numbers = np.array([int(v) for v in values[hit]], dtype=np.int64)
        stems = _mistype(self.profile, numbers // 10, 9)
        check = numbers % 10
        recomputed = nhs_check_digit(stems)
        passes = self.profile_mask(len(stems), self.rates.identifier_typo_passes_check, recomputed >= 0)
        new = np.array([f"{v:010d}" for v in stems * 10 + np.where(passes, recomputed, check)], dtype=object)
        return self.replace(table, rid, field, "nhs_number_typo", values, hit, new)

    def upn_typo(self, table: str, rid: np.ndarray, field: str, values: np.ndarray) -> np.ndarray:
        """One of the twelve digits after the check letter mistyped; as for NHS numbers, the modulus 23 check letter catches
        every single-digit error, so the typos that pass are those whose check letter was recomputed."""
        permanent = pl.Series(values, dtype=pl.Utf8).str.contains(r"^[A-Z][0-9]{12}$").to_numpy()
        hit = self.profile_mask(len(values), self.rates.upn_typo, permanent)
        body = np.array([int(v[1:]) for v in values[hit]], dtype=np.int64)
        new_body = np.array([f"{v:012d}" for v in _mistype(self.profile, body, 12)], dtype=object)
        old_letter = np.array([v[0] for v in values[hit]], dtype=object)
        passes = self.profile_mask(len(body), self.rates.identifier_typo_passes_check)
        letter = np.where(passes, upn_check_letter(new_body.astype(str)) if len(body) else old_letter, old_letter)
        return self.replace(table, rid, field, "upn_typo", values, hit, (letter + new_body).astype(object))

    def temporary_upn(self, table: str, rid: np.ndarray, field: str, values: np.ndarray, la: np.ndarray, year: np.ndarray) -> np.ndarray:
        """A temporary UPN in place of the permanent one, as a school or LA issues while it waits for the pupil's own (DfE,
        Unique pupil numbers guidance): check letter, LA number, establishment, two-digit year, a two-digit serial and a
        final letter from the check-letter table in place of the last digit."""
        hit = self.profile_mask(len(values), self.rates.temporary_upn, np.array([v != "" for v in values], dtype=bool))
        n = int(hit.sum())
        letters = np.array(list("ABCDEFGHJKLMNPQRTUVWXYZ"), dtype=object)
        body = np.array(
            [
                f"{la_code:03d}{estab:04d}{y % 100:02d}{serial:02d}{letter}"
                for la_code, estab, y, serial, letter in zip(
                    la[hit],
                    self.profile.integers(1000, 8000, n),
                    year[hit],
                    self.profile.integers(0, 100, n),
                    letters[self.profile.integers(0, 23, n)],
                    strict=True,
                )
            ],
            dtype=object,
        )
        new = (upn_check_letter(body.astype(str)).astype(object) + body) if n else body
        return self.replace(table, rid, field, "temporary_upn", values, hit, new)

    def ethnicity_profile(
        self,
        table: str,
        rid: np.ndarray,
        field: str,
        ethnic: np.ndarray,
        true: np.ndarray,
        parents: tuple[np.ndarray, np.ndarray],
        to_source: dict[str, str],
        not_stated: tuple[str, ...],
    ) -> np.ndarray:
        """The source's ethnicity codes (`true`, from the census 19 groups `ethnic`), some recorded differently: a Mixed
        child as one parent's group, a group as the 'any other' of its broad group (both coded by `to_source`), or a
        not-stated code (`not_stated`)."""
        lookup = np.vectorize(to_source.get, otypes=[object])
        mother, father = parents
        parent = np.where(self.profile.random(len(ethnic)) < 0.5, mother, father)
        parent = np.where(parent == "", np.where(mother == "", father, mother), parent)
        as_parent = np.isin(ethnic, _MIXED) & (parent != "") & ~np.isin(parent, _MIXED)
        kind = self.profile.choice(3, size=len(ethnic), p=[0.4, 0.35, 0.25])  # a parent's group (Mixed only), 'other', not stated
        other = np.array([_OTHER_OF_BROAD_GROUP.get(e, e) for e in ethnic], dtype=object)
        recorded = np.where((kind == 0) & as_parent, lookup(np.where(as_parent, parent, ethnic)), np.where(kind == 2, "", lookup(other))).astype(object)
        stated = recorded != ""
        recorded[~stated] = np.array(not_stated, dtype=object)[self.profile.integers(0, len(not_stated), int((~stated).sum()))]
        hit = self.profile_mask(len(ethnic), self.rates.ethnicity_variant, recorded != true)
        return self.replace(table, rid, field, "ethnicity_variant", true, hit, recorded[hit])


def strip_diacritics(text: str) -> str:
    """'Łukasz Wójcik' -> 'Lukasz Wojcik', as a system that takes ASCII only stores it."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSED)) if not unicodedata.combining(c))


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """(n, width) decimal digits of non-negative integers, most significant first."""
    return (values[:, None] // 10 ** np.arange(width - 1, -1, -1)) % 10


def _number(digits: np.ndarray) -> np.ndarray:
    return digits @ 10 ** np.arange(digits.shape[1] - 1, -1, -1)


def _mistype(rng: np.random.Generator, numbers: np.ndarray, width: int) -> np.ndarray:
    """`numbers` (of `width` digits) with one digit each replaced by another digit."""
    digits = _digits(numbers, width)
    rows, position = np.arange(len(numbers)), rng.integers(0, width, len(numbers))
    digits[rows, position] = (digits[rows, position] + rng.integers(1, 10, len(numbers))) % 10
    return _number(digits)


def _day_number(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Day numbers (days since 1970-01-01) of (year, month, day), -1 where that is no date (1900-2099 only)."""
    ok = (year >= 1900) & (year <= 2099) & (month >= 1) & (month <= 12) & (day >= 1)
    first = (np.where(ok, year, 1970) - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (np.where(ok, month, 1) - 1)
    length = ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(np.int64)
    ok &= day <= length
    return np.where(ok, (first.astype("datetime64[D]") + (np.where(ok, day, 1) - 1)).astype(np.int64), -1)


def _iso(days: np.ndarray) -> np.ndarray:
    return (np.datetime64("1970-01-01") + days.astype("timedelta64[D]")).astype(str)
