"""The person linkage model: Splink comparisons that carry evidence, trained once and saved.

Every disagreement is evidence weighed by the model, never a veto: first and last names swapped,
one mistyped or transposed digit in a date of birth, a UPN or an NHS number, a default 1 January
birthday, an address written alike where no UPRN was matched. What Fellegi-Sunter cannot see
(twins share a birthday, a surname and an address) is left to the cluster checks in `persons`.

The model is trained on the warehouse (`train_person_model`, the `linkage/person_linkage_models`
asset), saved as Splink's JSON with a summary of what it was trained on, and reused by every run.
Without a trained model, runs use `DEFAULT_MODEL_PATH`, committed in the repo and trained on a
synthetic world (see README, "Person linkage model"). What depends on the data being linked rather
than on how records err is set per run: the prior (how many pairs are matches, from pairs agreeing
on a date of birth and a name) and the match threshold (`precision_threshold`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import splink
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

PERSON_LINKAGE_MODELS = "linkage.person_linkage_models"
DEFAULT_MODEL_PATH = Path(__file__).with_name("default_person_model.json")
TARGET_PRECISION = 0.995  # expected share of accepted pairs that are true matches
MIN_THRESHOLD = 0.9  # a pair is never accepted at worse than 9 to 1 odds, however precise the rest
REVIEW_LOWER_BOUND = 0.5  # pairs from even odds up to the threshold go to clerical review
# The prior: pairs agreeing on a date of birth and either name, assumed to catch 80% of true matches
# (a typo rarely hits both names; identical records are already one signature).
PRIOR_RULES = (block_on("first_name", "date_of_birth"), block_on("last_name", "date_of_birth"))
PRIOR_RECALL = 0.8


@dataclass(frozen=True)
class PersonModel:
    """A saved model: Splink's settings with their trained m and u, and where it came from."""

    version: int | str
    settings: dict[str, Any]
    training_summary: dict[str, Any]


def dob_digit_edits(left: str, right: str) -> str:
    """SQL: how many digits two dates of birth differ by, a transposition of two adjacent digits
    counting as one (in the year as anywhere else)."""
    return f"damerau_levenshtein(strftime({left}, '%Y%m%d'), strftime({right}, '%Y%m%d'))"


def _dob_comparison() -> cl.CustomComparison:
    dob_l, dob_r = "date_of_birth_l", "date_of_birth_r"
    swapped = f"day({dob_l}) = month({dob_r}) and month({dob_l}) = day({dob_r}) and year({dob_l}) = year({dob_r})"
    # One digit mistyped or two adjacent digits transposed, in the year as anywhere else.
    one_digit = f"{dob_digit_edits(dob_l, dob_r)} = 1"
    default_day = f"year({dob_l}) = year({dob_r}) and (strftime({dob_l}, '%m%d') = '0101' or strftime({dob_r}, '%m%d') = '0101')"
    return cl.CustomComparison(
        output_column_name="date_of_birth",
        comparison_levels=[
            cll.NullLevel("date_of_birth"),
            cll.ExactMatchLevel("date_of_birth"),
            cll.CustomLevel(swapped, label_for_charts="day and month swapped"),
            cll.CustomLevel(one_digit, label_for_charts="one digit mistyped or two transposed"),
            cll.CustomLevel(default_day, label_for_charts="same year, one a default 1 January"),
            cll.AbsoluteDateDifferenceLevel("date_of_birth", input_is_string=False, threshold=31, metric="day"),
            cll.AbsoluteDateDifferenceLevel("date_of_birth", input_is_string=False, threshold=1, metric="year"),
            cll.ElseLevel(),
        ],
    )


def _name_comparison() -> cl.CustomComparison:
    """Forename and surname together, so a swap is a level of its own; an initial agreeing with a
    forename, or a new surname under the same forename (marriage, adoption), are weaker levels."""
    initial = "((length(first_name_l) = 1 or length(first_name_r) = 1) and left(first_name_l, 1) = left(first_name_r, 1) and last_name_l = last_name_r)"
    return cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.And(cll.NullLevel("first_name"), cll.NullLevel("last_name")),
            cll.ExactMatchLevel("full_name").configure(tf_adjustment_column="full_name"),
            cll.ColumnsReversedLevel("first_name", "last_name", symmetrical=True),
            cll.And(cll.JaroWinklerLevel("first_name", 0.92), cll.JaroWinklerLevel("last_name", 0.92)),
            cll.And(cll.JaroWinklerLevel("first_name", 0.8), cll.JaroWinklerLevel("last_name", 0.8)),
            cll.CustomLevel(initial, label_for_charts="initial agrees, same surname"),
            cll.ExactMatchLevel("last_name").configure(tf_adjustment_column="last_name"),
            cll.ExactMatchLevel("first_name").configure(tf_adjustment_column="first_name"),
            cll.ElseLevel(),
        ],
    )


# An identifier less its check character (a UPN's leading letter, an NHS number's last digit): a
# mistyped digit whose check was recomputed differs from the true identifier in one digit of this.
IDENTIFIER_BODY = {"upn": "substr({}, 2)", "nhs_number": "left({}, 9)"}


def identifier_bodies_differ_by_one(column: str, left: str, right: str) -> str:
    """SQL: the two identifiers' bodies are one mistyped or transposed digit apart."""
    body = IDENTIFIER_BODY[column]
    return f"damerau_levenshtein({body.format(left)}, {body.format(right)}) = 1"


def _identifier_comparison(column: str) -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column),
            cll.CustomLevel(identifier_bodies_differ_by_one(column, f"{column}_l", f"{column}_r"), label_for_charts="one digit mistyped or two transposed"),
            cll.ElseLevel(),
        ],
    )


def _location_comparison() -> cl.CustomComparison:
    """One comparison for UPRN, postcode and address text: they are one piece of evidence, not three."""
    no_uprn = "(uprn_l is null or uprn_r is null)"
    return cl.CustomComparison(
        output_column_name="location",
        comparison_levels=[
            cll.And(cll.NullLevel("uprn"), cll.NullLevel("postcode"), cll.NullLevel("address")),
            cll.ExactMatchLevel("uprn"),
            cll.CustomLevel(f"{no_uprn} and postcode_l = postcode_r and jaro_winkler_similarity(address_l, address_r) >= 0.9", "same postcode, address alike"),
            cll.ExactMatchLevel("postcode"),
            cll.CustomLevel(f"{no_uprn} and jaro_winkler_similarity(address_l, address_r) >= 0.9", "address alike, another postcode"),
            cll.ElseLevel(),
        ],
    )


BLOCKING_RULES = [
    block_on("date_of_birth", "uprn"),
    block_on("date_of_birth", "postcode"),
    block_on("date_of_birth", "last_name"),
    block_on("date_of_birth", "first_name"),
    block_on("first_name", "last_name", "birth_year"),
    block_on("first_name", "last_name", "birth_day_month"),  # a mistyped year
    block_on("first_name", "postcode"),
    "l.first_name = r.last_name and l.last_name = r.first_name",  # names swapped
]


def person_settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            _name_comparison(),
            _dob_comparison(),
            cl.ExactMatch("sex"),
            _location_comparison(),
            _identifier_comparison("upn"),
            _identifier_comparison("nhs_number"),
        ],
        blocking_rules_to_generate_predictions=BLOCKING_RULES,
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=False,
    )


def estimate_prior(linker: Linker) -> None:
    """Set the share of pairs that match from this data (it scales with the data's size); on data
    too small to estimate it from (no pair, or every pair, agreeing under the rules), keep the model's."""
    saved = linker._settings_obj._probability_two_random_records_match
    try:
        linker.training.estimate_probability_two_random_records_match(list(PRIOR_RULES), recall=PRIOR_RECALL)
    except Exception:  # Splink raises on data with no pair at all: the model's prior stands
        return
    if not 0 < linker._settings_obj._probability_two_random_records_match < 1:
        linker._settings_obj._probability_two_random_records_match = saved


def fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """A hash of a table's rows in any order."""
    return con.sql(f"select md5(concat(bit_xor(hash(t)), ':', sum(hash(t)::hugeint))) from {table} as t").fetchone()[0]


def train_person_model(con: duckdb.DuckDBPyConnection, signatures: str = "_person_signatures") -> PersonModel:
    """Estimate u by random sampling and m by EM (blocked on date of birth, then on names) on the
    signatures in `signatures`; returns the model, unversioned."""
    started = datetime.now(UTC)
    linker = Linker(con.table(signatures), person_settings(), db_api=DuckDBAPI(connection=con))
    estimate_prior(linker)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"), estimate_without_term_frequencies=True)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "last_name"), estimate_without_term_frequencies=True)
    summary = {
        "signatures": con.sql(f"select count(*) from {signatures}").fetchone()[0],
        "trained_at": started.isoformat(timespec="seconds"),
        "training_seconds": round((datetime.now(UTC) - started).total_seconds(), 1),
        "splink_version": splink.__version__,
        "data_fingerprint": fingerprint(con, signatures),
    }
    # Splink names each linker with a random id; a saved model keeps only what it learnt.
    settings = {key: value for key, value in linker.misc.save_model_to_json().items() if key != "linker_uid"}
    return PersonModel("unsaved", settings, summary)


def save_person_model(con: duckdb.DuckDBPyConnection, model: PersonModel) -> PersonModel:
    """Append the model to `linkage.person_linkage_models` as the next version."""
    con.execute("create schema if not exists linkage")
    con.execute(
        f"create table if not exists {PERSON_LINKAGE_MODELS} "
        "(version integer, trained_at timestamptz, splink_version varchar, model_json varchar, training_summary_json varchar)"
    )
    version = con.sql(f"select coalesce(max(version), 0) + 1 from {PERSON_LINKAGE_MODELS}").fetchone()[0]
    saved = PersonModel(version, model.settings, {**model.training_summary, "version": version})
    con.execute(
        f"insert into {PERSON_LINKAGE_MODELS} values (?, ?, ?, ?, ?)",
        [version, model.training_summary["trained_at"], splink.__version__, json.dumps(model.settings), json.dumps(saved.training_summary)],
    )
    return saved


def write_model_file(model: PersonModel, path: Path) -> None:
    """Splink's JSON with the training summary alongside (Splink ignores keys it does not know)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**model.settings, "hearth_training_summary": model.training_summary}, indent=2, sort_keys=True) + "\n")


def load_model_file(path: Path) -> PersonModel:
    """A model written by `write_model_file`, versioned by its file name and training data."""
    stored = json.loads(path.read_text())
    summary = stored.pop("hearth_training_summary")
    return PersonModel(f"{path.stem}:{summary['data_fingerprint'][:12]}", stored, summary)


def default_person_model() -> PersonModel:
    return load_model_file(DEFAULT_MODEL_PATH)


def latest_person_model(con: duckdb.DuckDBPyConnection) -> PersonModel:
    """The newest model saved in the warehouse, else the default committed in the repo."""
    exists = con.sql(f"select count(*) from duckdb_tables() where schema_name = 'linkage' and table_name = '{PERSON_LINKAGE_MODELS.split('.')[1]}'").fetchone()[
        0
    ]
    row = (
        con.sql(f"select version, model_json, training_summary_json from {PERSON_LINKAGE_MODELS} order by version desc limit 1").fetchone() if exists else None
    )
    return PersonModel(row[0], json.loads(row[1]), json.loads(row[2])) if row else default_person_model()


def precision_threshold(probabilities: np.ndarray, target: float = TARGET_PRECISION, floor: float = MIN_THRESHOLD) -> tuple[float, float]:
    """The lowest match probability at which the pairs accepted (those at or above it) are still
    expected to be at least `target` true matches, their expected precision being the mean of their
    match probabilities; never below `floor`. Returns (threshold, expected precision at it)."""
    ranked = np.sort(probabilities[probabilities >= floor])[::-1]
    if ranked.size == 0:
        return floor, 1.0
    expected = np.cumsum(ranked) / np.arange(1, ranked.size + 1)
    last = int(np.flatnonzero(expected >= target)[-1]) if (expected >= target).any() else 0
    return float(ranked[last]), float(expected[last])
