"""The people and households of a synthetic world, as growable column arrays.

Households are built by type (single adults, couples, couples with children, lone parents,
adult children at home, three generations, sharers) so that families carry real structure:
half-siblings through absent or previous partners, twins, grandparents, separated fathers
living elsewhere. Household hardship is a latent score from the area's IMD decile and
household circumstances; every service event rate rises with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import code_lists as codes

from .config import WorldConfig
from .geography import Gazetteer
from .names import double_surnames, draw_names

DAYS_PER_YEAR = 365.25
FEMALE, MALE = 0, 1

HOUSEHOLD_TYPES = ("single", "couple", "couple_children", "lone_parent", "adult_child", "three_generation", "sharers")
HOUSEHOLD_TYPE_SHARES = (0.29, 0.26, 0.20, 0.09, 0.07, 0.03, 0.06)
PERSONS_PER_HOUSEHOLD = 2.36

KIND_PRIVATE, KIND_FOSTER, KIND_INSTITUTION = 0, 1, 2

_ETHNIC_CODES = np.array([int(c.code) for c in codes.CENSUS_ETHNIC_GROUP_19], dtype=np.int8)
_ETHNIC_WEIGHTS = np.array([c.weight for c in codes.CENSUS_ETHNIC_GROUP_19]) / sum(c.weight for c in codes.CENSUS_ETHNIC_GROUP_19)
_WHITE = {13, 14, 15, 16, 17}
_ASIAN = {1, 2, 3, 4, 5}


class Columns:
    """Named numpy columns that grow together; `add` returns the new rows' indices."""

    def __init__(self, capacity: int, **dtypes: tuple[np.dtype, object]) -> None:
        self.n = 0
        self._fill = {name: fill for name, (_, fill) in dtypes.items()}
        self.data = {name: np.full(capacity, fill, dtype=dtype) for name, (dtype, fill) in dtypes.items()}

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.__dict__["data"][name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    def add(self, count: int, **values: object) -> np.ndarray:
        needed = self.n + count
        capacity = len(next(iter(self.data.values())))
        if needed > capacity:
            grow = max(needed, int(capacity * 1.5))
            for name, array in self.data.items():
                extra = np.full(grow - capacity, self._fill[name], dtype=array.dtype)
                self.data[name] = np.concatenate([array, extra])
        rows = np.arange(self.n, needed)
        for name, value in values.items():
            self.data[name][rows] = value
        self.n = needed
        return rows

    def view(self, name: str) -> np.ndarray:
        return self.data[name][: self.n]


def new_persons(capacity: int) -> Columns:
    return Columns(
        capacity,
        sex=(np.int8, 0),
        dob=(np.int32, 0),
        ethnic=(np.int8, 13),
        first_name=(object, ""),
        last_name=(object, ""),
        middle_name=(object, ""),
        mother=(np.int32, -1),
        father=(np.int32, -1),
        partner=(np.int32, -1),
        household=(np.int32, -1),
        present=(bool, True),
        spell_start=(np.int32, 0),
        married=(bool, False),
        nhs_number=(np.int64, 0),
    )


def new_households(capacity: int) -> Columns:
    return Columns(
        capacity,
        prop=(np.int32, -1),
        kind=(np.int8, KIND_PRIVATE),
        hardship=(np.float32, 0.0),
        tenure=(np.int8, 1),
        dep_employment=(bool, False),
        dep_education=(bool, False),
        dep_health=(bool, False),
        dep_housing=(bool, False),
        mental_health=(bool, False),
        domestic_abuse=(bool, False),
        substance_misuse=(bool, False),
        fsm=(bool, False),
        active=(bool, True),
    )


@dataclass
class Population:
    persons: Columns
    households: Columns
    prop_household: np.ndarray  # property -> occupying household, -1 vacant
    start_day: int


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def draw_codes(rng: np.random.Generator, code_list: tuple[codes.Code, ...], n: int) -> np.ndarray:
    """n codes drawn by their weights (approximate national shares)."""
    values = np.array([c.code for c in code_list], dtype=object)
    weights = np.array([c.weight for c in code_list], dtype=float)
    return values[rng.choice(len(values), size=n, p=weights / weights.sum())]


def draw_ethnicity(rng: np.random.Generator, n: int) -> np.ndarray:
    return _ETHNIC_CODES[rng.choice(len(_ETHNIC_CODES), size=n, p=_ETHNIC_WEIGHTS)]


def child_ethnicity(mother_eth: np.ndarray, father_eth: np.ndarray) -> np.ndarray:
    """Children share their parents' group; parents of different groups have Mixed children."""
    out = mother_eth.copy()
    differ = (father_eth > 0) & (father_eth != mother_eth)
    white_m = np.isin(mother_eth, list(_WHITE))
    white_f = np.isin(father_eth, list(_WHITE))
    one_white = white_m ^ white_f
    other = np.where(white_m, father_eth, mother_eth)
    mixed = np.full(len(out), 12, dtype=np.int8)
    mixed = np.where(one_white & (other == 7), 11, mixed)
    mixed = np.where(one_white & (other == 6), 10, mixed)
    mixed = np.where(one_white & np.isin(other, list(_ASIAN)), 9, mixed)
    both_white = white_m & white_f
    return np.where(differ & ~both_white, mixed, np.where(differ, mother_eth, out)).astype(np.int8)


def household_circumstances(rng: np.random.Generator, households: Columns, rows: np.ndarray, imd: np.ndarray, lone: np.ndarray) -> None:
    """Latent hardship and the census deprivation dimensions and family stresses that follow from it."""
    n = len(rows)
    hardship = 0.8 * rng.standard_normal(n) + 0.6 * (5.5 - imd) / 2.9 + 0.5 * lone
    h = households.data
    h["hardship"][rows] = hardship
    h["dep_employment"][rows] = rng.random(n) < sigmoid(-1.6 + 1.1 * hardship)
    h["dep_education"][rows] = rng.random(n) < sigmoid(-1.5 + 0.9 * hardship)
    h["dep_health"][rows] = rng.random(n) < sigmoid(-1.1 + 0.8 * hardship)
    h["dep_housing"][rows] = rng.random(n) < sigmoid(-2.3 + 0.7 * hardship)
    h["mental_health"][rows] = rng.random(n) < sigmoid(-2.5 + 0.8 * hardship)
    h["domestic_abuse"][rows] = rng.random(n) < sigmoid(-3.2 + 0.9 * hardship)
    h["substance_misuse"][rows] = rng.random(n) < sigmoid(-3.4 + 0.9 * hardship)
    h["fsm"][rows] = rng.random(n) < sigmoid(-2.2 + 1.5 * hardship)
    tenure_rented = rng.random(n) < sigmoid(-0.6 + 1.0 * hardship)
    social = rng.random(n) < 0.5
    h["tenure"][rows] = np.where(tenure_rented, np.where(social, rng.integers(4, 6, n), 6), rng.integers(1, 3, n))


# Children given both parents' surnames: an assumption of about one in five children of White British or Mixed
# families whose parents' surnames differ (double-barrelled names are most common there).
DOUBLE_SURNAME_SHARE = 0.2
_DOUBLE_SURNAME_GROUPS = (9, 10, 11, 12, 13)


def give_double_surnames(rng: np.random.Generator, persons: Columns) -> None:
    """Some children of parents with different surnames take both, hyphenated or not."""
    p, n = persons.data, persons.n
    mother, father = p["mother"][:n], p["father"][:n]
    both = (mother >= 0) & (father >= 0)
    father_name, mother_name = p["last_name"][np.maximum(father, 0)], p["last_name"][np.maximum(mother, 0)]
    eligible = both & np.isin(p["ethnic"][:n], _DOUBLE_SURNAME_GROUPS) & (father_name != mother_name)
    chosen = np.flatnonzero(eligible & (rng.random(n) < DOUBLE_SURNAME_SHARE))
    p["last_name"][chosen] = double_surnames(rng, father_name[chosen], mother_name[chosen])


def age_to_dob(rng: np.random.Generator, start_day: int, age_years: np.ndarray) -> np.ndarray:
    return (start_day - np.floor(age_years * DAYS_PER_YEAR) - rng.integers(0, 365, len(age_years))).astype(np.int32)


def build_population(rng: np.random.Generator, config: WorldConfig, gazetteer: Gazetteer, start_day: int) -> Population:
    n_households = int(config.persons / PERSONS_PER_HOUSEHOLD)
    persons = new_persons(int(config.persons * 1.4))
    households = new_households(int(n_households * 1.6))
    kinds = rng.choice(len(HOUSEHOLD_TYPES), size=n_households, p=HOUSEHOLD_TYPE_SHARES)
    builder = _Builder(rng, persons, households, start_day)
    for kind_index, kind in enumerate(HOUSEHOLD_TYPES):
        count = int((kinds == kind_index).sum())
        if count:
            getattr(builder, kind)(count)

    prop_household = np.full(len(gazetteer), -1, dtype=np.int32)
    private = np.flatnonzero(households.view("kind") == KIND_PRIVATE)
    homes = np.flatnonzero(gazetteer.residential & (gazetteer.classification != "RI01"))
    chosen = rng.permutation(homes)[: len(private)]
    if len(chosen) < len(private):
        raise RuntimeError("the gazetteer has fewer homes than households")
    households.prop[private] = chosen
    prop_household[chosen] = private
    lone = np.zeros(households.n, dtype=bool)
    lone[builder.lone_parent_households] = True
    household_circumstances(rng, households, np.arange(households.n), gazetteer.imd_decile[households.view("prop")], lone)

    # Foster carers: a few established couple households; institutions: one per care-home property.
    couples = np.asarray(builder.couple_households)
    foster = rng.choice(couples, size=max(3, len(couples) // 60), replace=False)
    households.kind[foster] = KIND_FOSTER
    care_homes = np.flatnonzero(gazetteer.classification == "RI01")
    inst = households.add(len(care_homes), prop=care_homes, kind=KIND_INSTITUTION)
    prop_household[care_homes] = inst

    p = persons.data
    p["spell_start"][: persons.n] = np.maximum(p["dob"][: persons.n], start_day)
    return Population(persons, households, prop_household, start_day)


class _Builder:
    """Adds households of one type at a time, vectorised over all households of that type."""

    def __init__(self, rng: np.random.Generator, persons: Columns, households: Columns, start_day: int) -> None:
        self.rng, self.persons, self.households, self.start_day = rng, persons, households, start_day
        self.lone_parent_households: list[int] = []
        self.couple_households: list[int] = []

    # --- people -------------------------------------------------------------------------
    def _people(self, hh: np.ndarray, sex: np.ndarray, age: np.ndarray, eth: np.ndarray, surname: np.ndarray | None = None) -> np.ndarray:
        rng = self.rng
        rows = self.persons.add(
            len(hh),
            household=hh,
            sex=sex,
            dob=age_to_dob(rng, self.start_day, age),
            ethnic=eth,
            first_name=draw_names(rng, eth.astype(str), np.where(sex == MALE, "male", "female")),
        )
        self.persons.last_name[rows] = surname if surname is not None else draw_names(rng, eth.astype(str), "last")
        return rows

    def _couple(self, hh: np.ndarray, woman_age: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rng, n = self.rng, len(hh)
        woman_eth = draw_ethnicity(rng, n)
        man_eth = np.where(rng.random(n) < 0.85, woman_eth, draw_ethnicity(rng, n)).astype(np.int8)
        man_age = np.maximum(18, woman_age + rng.normal(2, 3, n))
        man = self._people(hh, np.full(n, MALE, np.int8), man_age, man_eth)
        woman = self._people(hh, np.full(n, FEMALE, np.int8), woman_age, woman_eth)
        married = rng.random(n) < 0.7
        p = self.persons.data
        p["last_name"][woman[married]] = p["last_name"][man[married]]
        p["married"][man[married]] = True
        p["married"][woman[married]] = True
        p["partner"][man], p["partner"][woman] = woman, man
        self.couple_households.extend(hh.tolist())
        return woman, man

    def _children(self, hh: np.ndarray, mother: np.ndarray, father: np.ndarray, max_age: float, min_eldest: float = 0.0) -> np.ndarray:
        """1-4 children per mother, spaced by 1-5 years, twins at 1.6% of births."""
        rng, p = self.rng, self.persons.data
        n = len(hh)
        mother_age = (self.start_day - p["dob"][mother]) / DAYS_PER_YEAR
        count = rng.choice([1, 2, 3, 4], size=n, p=[0.42, 0.39, 0.14, 0.05])
        eldest = min_eldest + rng.random(n) * np.clip(np.minimum(max_age, mother_age - 17) - min_eldest, 0.5, None)
        spacing = np.where(rng.random((n, 4)) < 0.016, 0.0, 1.0 + rng.gamma(2.0, 0.9, (n, 4)))
        spacing[:, 0] = 0
        ages = eldest[:, None] - np.cumsum(spacing, axis=1)
        keep = (np.arange(4)[None, :] < count[:, None]) & (ages >= 0)
        row, col = np.nonzero(keep)
        child_age = ages[row, col]
        mothers, fathers = mother[row], father[row]
        father_eth = np.where(fathers >= 0, p["ethnic"][np.maximum(fathers, 0)], 0)
        eth = child_ethnicity(p["ethnic"][mothers], father_eth.astype(np.int8))
        surname = np.where((fathers >= 0) & (rng.random(len(row)) < 0.85), p["last_name"][np.maximum(fathers, 0)], p["last_name"][mothers])
        sex = (rng.random(len(row)) < 0.512).astype(np.int8)
        kids = self._people(hh[row], sex, child_age, eth, surname.astype(object))
        # Twins: a zero spacing gives the same birth date as the previous child.
        twin = (col > 0) & (spacing[row, col] == 0)
        p["dob"][kids[twin]] = p["dob"][kids[twin] - 1]
        p["mother"][kids], p["father"][kids] = mothers, fathers
        return kids

    def _absent_fathers(self, mother: np.ndarray, share_existing: float) -> np.ndarray:
        """Fathers who live elsewhere: some get a household of their own, others are unknown."""
        rng, p = self.rng, self.persons.data
        n = len(mother)
        exists = rng.random(n) < share_existing
        fathers = np.full(n, -1, dtype=np.int32)
        if exists.any():
            m = mother[exists]
            age = np.maximum(18, (self.start_day - p["dob"][m]) / DAYS_PER_YEAR + rng.normal(3, 4, len(m)))
            eth = np.where(rng.random(len(m)) < 0.85, p["ethnic"][m], draw_ethnicity(rng, len(m))).astype(np.int8)
            hh = self.households.add(len(m))
            fathers[exists] = self._people(hh, np.full(len(m), MALE, np.int8), age, eth)
        return fathers

    # --- household types -------------------------------------------------------------------
    def single(self, n: int) -> None:
        hh = self.households.add(n)
        age = 18 + self.rng.beta(1.6, 1.4, n) * 72
        self._people(hh, self.rng.integers(0, 2, n).astype(np.int8), age, draw_ethnicity(self.rng, n))

    def couple(self, n: int) -> None:
        hh = self.households.add(n)
        self._couple(hh, 20 + self.rng.beta(1.5, 1.3, n) * 65)

    def couple_children(self, n: int) -> None:
        rng = self.rng
        hh = self.households.add(n)
        mother, father = self._couple(hh, 21 + rng.beta(2.2, 2.2, n) * 32)
        kids = self._children(hh, mother, father, max_age=17.9)
        # Step-families: the eldest child of some mothers has a father who lives elsewhere.
        step = rng.random(n) < 0.12
        eldest = kids[np.r_[True, self.persons.mother[kids[1:]] != self.persons.mother[kids[:-1]]]]
        step_kids = eldest[np.isin(self.persons.mother[eldest], mother[step])]
        if len(step_kids):
            other = self._absent_fathers(self.persons.mother[step_kids], share_existing=0.5)
            self.persons.father[step_kids] = other
            keep_name = rng.random(len(step_kids)) < 0.5
            named = step_kids[(other >= 0) & keep_name]
            self.persons.last_name[named] = self.persons.last_name[self.persons.father[named]]

    def lone_parent(self, n: int) -> None:
        rng = self.rng
        hh = self.households.add(n)
        self.lone_parent_households.extend(hh.tolist())
        is_father = rng.random(n) < 0.1
        age = 18 + rng.beta(2.0, 2.6, n) * 37
        eth = draw_ethnicity(rng, n)
        parent = self._people(hh, np.where(is_father, MALE, FEMALE).astype(np.int8), age, eth)
        mothers = parent[~is_father]
        absent = self._absent_fathers(mothers, share_existing=0.45)
        self._children(hh[~is_father], mothers, absent, max_age=17.9)
        # A lone father's children: their mother does not live in the area, so they carry no mother link.
        self._children_without_mother(hh[is_father], parent[is_father])

    def _children_without_mother(self, hh: np.ndarray, fathers: np.ndarray) -> np.ndarray:
        rng, p = self.rng, self.persons.data
        n = len(hh)
        count = rng.choice([1, 2, 3], size=n, p=[0.5, 0.38, 0.12])
        row = np.repeat(np.arange(n), count)
        father_age = (self.start_day - p["dob"][fathers]) / DAYS_PER_YEAR
        age = rng.random(len(row)) * np.clip(np.minimum(17.9, father_age[row] - 18), 0.5, None)
        eth = p["ethnic"][fathers[row]]
        kids = self._people(hh[row], (rng.random(len(row)) < 0.512).astype(np.int8), age, eth, p["last_name"][fathers[row]])
        p["father"][kids] = fathers[row]
        return kids

    def adult_child(self, n: int) -> None:
        rng = self.rng
        hh = self.households.add(n)
        mother, father = self._couple(hh, 40 + rng.random(n) * 24)
        self._children(hh, mother, father, max_age=27.0, min_eldest=18.0)

    def three_generation(self, n: int) -> None:
        rng = self.rng
        hh = self.households.add(n)
        mother, father = self._couple(hh, 22 + rng.random(n) * 26)
        self._children(hh, mother, father, max_age=17.9)
        mother_age = (self.start_day - self.persons.dob[mother]) / DAYS_PER_YEAR
        grandma = self._people(hh, np.full(n, FEMALE, np.int8), mother_age + 20 + rng.random(n) * 14, self.persons.ethnic[mother])
        self.persons.mother[mother] = grandma

    def sharers(self, n: int) -> None:
        rng = self.rng
        hh = self.households.add(n)
        size = rng.integers(2, 5, n)
        members = np.repeat(hh, size)
        self._people(members, rng.integers(0, 2, len(members)).astype(np.int8), 18 + rng.random(len(members)) * 22, draw_ethnicity(rng, len(members)))
