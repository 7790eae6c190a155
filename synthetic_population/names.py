"""Name pools by ethnic group, nicknames and typing errors.

Faker's locale name lists give realistic spellings; Faker lists names most common first, so a
Zipf-like weight by rank stands in for frequencies where Faker gives none. Drawing names by
ethnic group gives the skewed term frequencies that probabilistic linkage has to cope with.
"""

from __future__ import annotations

import importlib
from functools import cache

import numpy as np

from . import name_lists

# Census 19-category code -> name sources for (first names, surnames): Faker locales, or the lists of
# `name_lists` (keys of _LISTS) where a locale has no sex-specific or no romanised names for the group.
_LOCALES_BY_GROUP: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "1": (("south_asian_muslim",), ("bangladeshi",)),
    "2": (("chinese",), ("zh_CN",)),
    "3": (("en_IN",), ("en_IN",)),
    "4": (("south_asian_muslim",), ("pakistani",)),
    "5": (("en_IN", "south_asian_muslim"), ("en_IN", "pakistani")),
    "6": (("yo_NG", "tw_GH"), ("yo_NG", "tw_GH")),
    "7": (("en_GB",), ("en_GB",)),
    "8": (("en_GB", "tw_GH"), ("en_GB", "tw_GH")),
    "9": (("en_GB",), ("en_GB",)),
    "10": (("en_GB", "yo_NG"), ("en_GB",)),
    "11": (("en_GB",), ("en_GB",)),
    "12": (("en_GB",), ("en_GB",)),
    "13": (("en_GB",), ("en_GB",)),
    "14": (("en_IE",), ("en_IE",)),
    "15": (("en_IE", "en_GB"), ("en_IE",)),
    "16": (("ro_RO",), ("ro_RO",)),
    "17": (("pl_PL", "ro_RO", "en_GB"), ("pl_PL", "ro_RO", "en_GB")),
    "18": (("arab",), ("arab",)),
    "19": (("en_GB", "en_IN", "arab"), ("en_GB", "en_PK", "arab")),
}
_LISTS: dict[str, dict[str, tuple[str, ...]]] = {
    "south_asian_muslim": {"male": name_lists.SOUTH_ASIAN_MUSLIM_MALE, "female": name_lists.SOUTH_ASIAN_MUSLIM_FEMALE},
    "pakistani": {"last": name_lists.PAKISTANI_SURNAMES},
    "bangladeshi": {"last": name_lists.BANGLADESHI_SURNAMES},
    "arab": {"male": name_lists.ARAB_MALE, "female": name_lists.ARAB_FEMALE, "last": name_lists.ARAB_SURNAMES},
    "chinese": {"male": name_lists.CHINESE_MALE, "female": name_lists.CHINESE_FEMALE},
}
# Locales whose names keep their diacritics (Łukasz, Ștefan): the sources that accept them record them so.
_DIACRITIC_LOCALES = ("pl_PL", "ro_RO")

_KEYBOARD_NEIGHBOURS = {
    "a": "qsz",
    "b": "vgn",
    "c": "xdv",
    "d": "sfe",
    "e": "wrd",
    "f": "dgr",
    "g": "fht",
    "h": "gjy",
    "i": "uok",
    "j": "hku",
    "k": "jli",
    "l": "kop",
    "m": "nj",
    "n": "bmh",
    "o": "ipl",
    "p": "ol",
    "q": "wa",
    "r": "etf",
    "s": "adw",
    "t": "ryg",
    "u": "yij",
    "v": "cbf",
    "w": "qes",
    "x": "zcs",
    "y": "tuh",
    "z": "xa",
}


def _rank_weights(n: int) -> np.ndarray:
    w = 1.0 / (np.arange(n) + 8.0)
    return w / w.sum()


@cache
def _locale_names(locale: str, kind: str) -> tuple[tuple[str, ...], np.ndarray]:
    """(names, probabilities) of one Faker locale or list of `_LISTS`; kind is 'male', 'female' or 'last'."""
    if locale in _LISTS:
        names = _LISTS[locale][kind]
        return names, _rank_weights(len(names))
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    if locale == "zh_CN":
        source = provider.last_romanized_names if kind == "last" else provider.first_romanized_names
    elif kind == "last":
        # pl_PL's surnames are in male_last_names (its last_names is the base provider's placeholder)
        source = provider.male_last_names if locale == "pl_PL" else getattr(provider, "last_names", None) or provider.male_last_names
    else:
        source = getattr(provider, f"first_names_{kind}", None) or provider.first_names
    if isinstance(source, dict):
        names = tuple(source)
        weights = np.array([float(v) for v in source.values()])
        weights = weights / weights.sum()
    else:
        names = tuple(dict.fromkeys(source))
        weights = _rank_weights(len(names))
    return names, weights


@cache
def pool(group: str, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Names and probabilities for an ethnic group (census 19 code) and kind ('male', 'female', 'last')."""
    first_locales, last_locales = _LOCALES_BY_GROUP[group]
    locales = last_locales if kind == "last" else first_locales
    names: dict[str, float] = {}
    for locale in locales:
        locale_names, weights = _locale_names(locale, kind)
        for name, weight in zip(locale_names, weights, strict=True):
            if name.isascii() or locale in _DIACRITIC_LOCALES:
                names[name] = names.get(name, 0.0) + weight / len(locales)
    values = np.array(list(names), dtype=object)
    probs = np.array(list(names.values()))
    return values, probs / probs.sum()


def draw_names(rng: np.random.Generator, groups: np.ndarray, kind: str | np.ndarray) -> np.ndarray:
    """One name per row, drawn from the pool of that row's ethnic group; kind per row or for all."""
    out = np.empty(len(groups), dtype=object)
    kinds = np.broadcast_to(np.asarray(kind, dtype=object), groups.shape)
    # The rows of each (group, kind), group by group in sorted order, found by one sort rather than a comparison of
    # every row per pair; they draw in that order, so the draws are those of a loop over the pairs.
    group_values, group_index = np.unique(groups, return_inverse=True)
    kind_names = ("male", "female", "last")
    kind_index = np.full(len(groups), len(kind_names), dtype=np.int64)  # a kind none of these: left empty
    for i, k in enumerate(kind_names):
        kind_index[kinds == k] = i
    pair = group_index.ravel() * (len(kind_names) + 1) + kind_index
    order = np.argsort(pair, kind="stable")
    pairs, starts = np.unique(pair[order], return_index=True)
    bounds = np.append(starts, len(order))
    for i, p in enumerate(pairs.tolist()):
        rows = order[bounds[i] : bounds[i + 1]]
        group, k = divmod(p, len(kind_names) + 1)
        if k < len(kind_names):
            values, probs = pool(str(group_values[group]), kind_names[k])
            out[rows] = values[rng.choice(len(values), size=len(rows), p=probs)]
    return out


# Middle names and double surnames draw from a stream of their own, beside the world's seed, so adding them moved no other draw.
NAME_STREAM = 1415
# Share of people with a middle name: an assumption (no published figure), most in England have one; a Chinese
# given name is usually one name, so a middle one is rarer in those families.
_MIDDLE_NAME_SHARE, _MIDDLE_NAME_SHARE_CHINESE = 0.75, 0.2


def draw_middle_names(rng: np.random.Generator, groups: np.ndarray, sex: np.ndarray) -> np.ndarray:
    """A middle name, from the first-name pool of the person's group and sex, for most people; "" for the others."""
    names = draw_names(rng, groups, np.where(sex == 1, "male", "female"))
    share = np.where(groups == "2", _MIDDLE_NAME_SHARE_CHINESE, _MIDDLE_NAME_SHARE)
    return np.where(rng.random(len(groups)) < share, names, "").astype(object)


def double_surnames(rng: np.random.Generator, father: np.ndarray, mother: np.ndarray) -> np.ndarray:
    """Both parents' surnames, in either order, hyphenated (most) or not: 'Smith-Jones', 'Jones Smith'."""
    father_first = rng.random(len(father)) < 0.5
    hyphen = np.where(rng.random(len(father)) < 0.75, "-", " ")
    return np.where(father_first, father + hyphen + mother, mother + hyphen + father).astype(object)


def typo(rng: np.random.Generator, name: str) -> str:
    """One realistic keying error: a neighbouring key, a dropped, doubled or transposed letter."""
    if len(name) < 3:
        return name + name[-1]
    i = int(rng.integers(1, len(name) - 1))
    kind = int(rng.integers(0, 4))
    if kind == 0:
        ch = name[i].lower()
        sub = _KEYBOARD_NEIGHBOURS.get(ch, "e")
        new = sub[int(rng.integers(0, len(sub)))]
        return name[:i] + (new.upper() if name[i].isupper() else new) + name[i + 1 :]
    if kind == 1:
        return name[:i] + name[i + 1 :]
    if kind == 2:
        return name[:i] + name[i] + name[i:]
    j = i + 1 if i + 1 < len(name) else i - 1
    if name[i] == name[j]:
        return name[:i] + name[i + 1 :]
    a, b = sorted((i, j))
    return name[:a] + name[b] + name[a] + name[b + 1 :]
