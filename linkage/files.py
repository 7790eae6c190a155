"""Person linkage for analysts' own files: any CSV or Parquet with some of first_name, last_name,
dob, sex, postcode and address (and, if they have them, nhs_number or upn) gets a person key and
the match probability of its strongest link. A file's own column names map onto these with
`columns` (`hearth link persons --columns first_name=given_name`).

Names and postcodes are normalised as the warehouse does; a missing column is simply absent
evidence. Addresses are not matched to UPRNs here (there is no gazetteer), so postcode and the
address text carry the location evidence. The model is a saved one (by default the one committed
in the repo), never trained on the file: a file of two rows links as well as one of a million.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from warehouse.connection import connect

from .model import PersonModel, default_person_model, train_person_model
from .persons import NODE_COLUMNS, SIGNATURES_SQL, PersonLinkageSettings, cluster_person_nodes, nickname_table
from .scratch import splink_scratch_dropped

OPTIONAL_COLUMNS = ("first_name", "last_name", "dob", "sex", "postcode", "address", "nhs_number", "upn")
MIN_TRAINING_RECORDS = 1_000  # fewer, and EM's estimates of m and u are noise: the saved model links them
_SEX = {"m": "male", "male": "male", "1": "male", "f": "female", "female": "female", "2": "female"}


def _read(path: Path) -> pl.DataFrame:
    if path.suffix.lower() == ".parquet":
        return pl.read_parquet(path)
    if path.suffix.lower() == ".csv":
        return pl.read_csv(path, infer_schema=False)
    raise ValueError(f"{path}: expected a .csv or .parquet file")


def file_nodes(frame: pl.DataFrame, path: Path) -> pl.DataFrame:
    """A file's rows (in our column names) as person nodes (NODE_COLUMNS, unique_id the row number),
    normalised as the warehouse normalises its records; `path` names the file in errors."""
    present = [c for c in OPTIONAL_COLUMNS if c in frame.columns]
    if not {"first_name", "last_name", "dob"} & set(present):
        raise ValueError(
            f"{path}: no usable columns; need at least one of first_name, last_name, dob (map your own names with --columns, "
            f"e.g. --columns first_name=given_name), found {', '.join(frame.columns) or 'none'}"
        )
    text = frame.select([pl.col(c).cast(pl.Utf8) for c in present]).with_columns(
        [pl.lit(None, dtype=pl.Utf8).alias(c) for c in OPTIONAL_COLUMNS if c not in present]
    )
    name = lambda c: pl.col(c).str.to_uppercase().str.replace_all(r"[^A-Z]", "").replace("", None)  # noqa: E731
    squeezed = pl.col("postcode").str.to_uppercase().str.replace_all(" ", "")
    dob = pl.coalesce(pl.col("dob").str.strptime(pl.Date, fmt, strict=False) for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d", "%d-%b-%Y"))
    return (
        text.with_row_index("row")
        .select(
            pl.col("row").cast(pl.Utf8).alias("unique_id"),
            pl.lit(None, dtype=pl.Utf8).alias("la_code"),
            pl.lit(None, dtype=pl.Utf8).alias("la_child_id"),
            pl.col("upn"),
            pl.col("nhs_number").str.replace_all(" ", ""),
            name("first_name").alias("first_name"),
            name("last_name").alias("last_name"),
            dob.alias("date_of_birth"),
            pl.col("sex").str.to_lowercase().replace_strict(_SEX, default=None).alias("sex"),
            (squeezed.str.slice(0, squeezed.str.len_chars() - 3) + " " + squeezed.str.slice(-3)).alias("postcode"),
            pl.lit(None, dtype=pl.Utf8).alias("uprn"),
            pl.col("address").str.to_uppercase().str.replace_all(r"[^A-Z0-9 ]", "").str.strip_chars().replace("", None).alias("address"),
        )
        .join(nickname_table(), left_on="first_name", right_on="nickname", how="left")
        .with_columns(pl.coalesce("full_name", "first_name").alias("first_name"))
        .select(NODE_COLUMNS)
    )


def link_nodes(
    nodes: pl.DataFrame, settings: PersonLinkageSettings, model: PersonModel, secret: str, train: bool = False
) -> tuple[pl.DataFrame, dict[str, float | str]]:
    """Cluster person nodes held in memory, in a database of their own, with a saved model or, with
    `train` and at least MIN_TRAINING_RECORDS records, with the model's comparisons trained on these
    records as the warehouse's are (data unlike the English records the default learnt from errs
    differently). `summary["model"]` says which model linked them."""
    with connect() as con, splink_scratch_dropped(con):
        con.register("_input_nodes", nodes.to_arrow())
        con.execute("create temp table _person_nodes as select * from _input_nodes")
        used = f"saved model {model.version}"
        if train and nodes.height < MIN_TRAINING_RECORDS:
            used += f" (fewer than {MIN_TRAINING_RECORDS:,} records to train on)"
        elif train:
            con.execute(SIGNATURES_SQL)
            model, used = train_person_model(con), "trained on these records"
        links, summary = cluster_person_nodes(con, settings, model, secret)
        return links, {**summary, "model": used}


def link_file(
    input_path: Path,
    output_path: Path,
    secret: str,
    settings: PersonLinkageSettings = PersonLinkageSettings(),
    columns: dict[str, str] | None = None,
    model: PersonModel | None = None,
    train: bool = False,
) -> dict[str, float | str]:
    """Write the input rows with `person_key` and `match_probability` (of the row's strongest link)
    added; rows with one key are one person. `columns` maps our names to the file's; `train` trains
    the model on the file first (see `link_nodes`); keys are HMACs under `secret`."""
    frame = _read(input_path)
    unknown = sorted(set(columns or {}) - set(OPTIONAL_COLUMNS))
    missing = sorted(set((columns or {}).values()) - set(frame.columns))
    if unknown or missing:
        raise ValueError(
            f"{input_path}: --columns "
            + "; ".join(
                [
                    *([f"maps unknown names {', '.join(unknown)} (known: {', '.join(OPTIONAL_COLUMNS)})"] if unknown else []),
                    *([f"names columns the file lacks: {', '.join(missing)} (found {', '.join(frame.columns)})"] if missing else []),
                ]
            )
        )
    nodes = file_nodes(frame.rename({source: ours for ours, source in (columns or {}).items()}), input_path)
    links, summary = link_nodes(nodes, settings, model or default_person_model(), secret, train)
    keys = links.select(pl.col("unique_id").cast(pl.UInt32).alias("_row"), "person_key", "match_probability")
    out = frame.with_row_index("_row").join(keys, on="_row", how="left").sort("_row").drop("_row")
    if output_path.suffix.lower() == ".parquet":
        out.write_parquet(output_path)
    else:
        out.write_csv(output_path)
    return summary
