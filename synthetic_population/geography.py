"""An AddressBase-style gazetteer of fictional streets: UPRNs, BS7666 address parts, postcodes, LSOAs, IMD deciles.

Properties outnumber households so that families can move; flats share buildings (a parent
shell UPRN), so several households can sit behind one street number, as in real address data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import WorldConfig

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
# Postcode inward unit letters exclude C, I, K, M, O and V.
INWARD_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))

PROPERTIES_PER_HOUSEHOLD = 1.3
STREET_LENGTH = (12, 70)
POSTCODE_SIZE = 14
LSOA_SIZE = 650


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
            raise ValueError(f"{la.towns[town]} needs {len(members)} street names; only {len(names) + len(compounds)} are available")
        else:
            extra = compounds[rng.permutation(len(compounds))[: len(members) - len(names)]]
            street_name[members] = np.concatenate([names, extra])[rng.permutation(len(members))]
    locality_names = np.array([""] + [f"{p} {la.towns[0].split()[0]}" for p in LOCALITY_PREFIXES], dtype=object)
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

    # Postcodes: consecutive runs of ~14 properties on one street; districts follow towns.
    pc_start = street_start | (position % POSTCODE_SIZE == 0)
    pc_id = np.cumsum(pc_start) - 1
    n_pc = pc_id[-1] + 1
    districts_per_town = max(4, -(-n_pc // (len(la.towns) * 10 * 200)))
    district = 1 + town_of_street[street_of][pc_start] * districts_per_town + rng.integers(0, districts_per_town, n_pc)
    sector = rng.integers(0, 10, n_pc)
    # Units within a sector are distinct letter pairs, so every postcode is unique by construction.
    sector_key = district * 10 + sector
    order = np.argsort(sector_key, kind="stable")
    sorted_key = sector_key[order]
    group_start = np.r_[0, np.flatnonzero(sorted_key[1:] != sorted_key[:-1]) + 1]
    rank = np.empty(n_pc, dtype=np.int64)
    rank[order] = np.arange(n_pc) - np.repeat(group_start, np.diff(np.r_[group_start, n_pc]))
    pairs = np.char.add(INWARD_LETTERS[:, None], INWARD_LETTERS[None, :]).ravel()[rng.permutation(len(INWARD_LETTERS) ** 2)]
    if rank.max() >= len(pairs):
        raise RuntimeError("more postcodes in one sector than unit letter pairs")
    offset = rng.integers(0, len(pairs), size=sector_key.max() + 1)[sector_key]
    pc_text = np.char.add(
        np.char.add(np.char.add(la.postcode_area, district.astype(str)), " "),
        np.char.add(sector.astype(str), pairs[(offset + rank) % len(pairs)]),
    )

    lsoa_id = np.arange(n_props) // LSOA_SIZE
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
        "town": np.array(la.towns, dtype=object)[town_of_street[street_of]],
        "postcode": pc_text[pc_id].astype(object),
        "la_index": np.full(n_props, la_index, dtype=np.int8),
        "lsoa": lsoa_code[lsoa_id].astype(object),
        "imd_decile": imd[lsoa_id],
        "building": np.where(building >= 0, building + la_index * 10_000_000, -1),
    }
