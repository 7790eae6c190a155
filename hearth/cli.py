"""The `hearth` command line: one entry point whose subcommands later capabilities extend."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable
from pathlib import Path

from synthetic_population.config import FaultRates, WorldConfig
from synthetic_population.world import generate_world


def _years(text: str) -> tuple[int, int]:
    first, _, last = text.partition("-")
    try:
        return int(first), int(last or first)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"years must look like 2019-2023, got {text!r}") from exc


def _fault(text: str) -> tuple[str, float]:
    name, _, rate = text.partition("=")
    if name not in FaultRates.model_fields:
        raise argparse.ArgumentTypeError(f"unknown fault {name!r}; known: {', '.join(FaultRates.model_fields)}")
    try:
        return name, float(rate)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"fault rate must be a number, got {rate!r}") from exc


def _config(args: argparse.Namespace) -> WorldConfig:
    first, last = args.years
    faults = FaultRates(**dict(args.fault or [])).scaled(args.fault_intensity)
    return WorldConfig(persons=args.persons, seed=args.seed, first_year=first, last_year=last, faults=faults)


def _generate(args: argparse.Namespace) -> int:
    """Write a synthetic world. Its truth and broken files go under the output folder unless told
    otherwise, and nothing already there is replaced without --force."""
    from ingestion.landing import GENERATOR_MALFORMED_DIR, GENERATOR_TRUTH_DIR

    out = Path(args.out)
    truth = Path(args.truth) if args.truth else out / GENERATOR_TRUTH_DIR
    malformed = None if args.malformed is None else Path(args.malformed) if args.malformed else out / GENERATOR_MALFORMED_DIR
    occupied = [folder for folder in (out, truth) if folder.is_dir() and any(folder.iterdir())]
    if occupied and not args.force:
        print(f"hearth generate: {' and '.join(map(str, occupied))} already hold files (another world, or real extracts); pass --force to replace them")
        return 2
    summary = generate_world(_config(args), out, truth, malformed)
    print(f"Generated {summary.persons:,} persons in {summary.households:,} households at {summary.properties:,} properties in {summary.seconds}s")
    print(f"Extracts: {len(summary.files)} files under {out}; ground truth under {truth}")
    for table, count in summary.records.items():
        print(f"  {table:<24} {count:>10,} records")
    print("Injected faults: " + ", ".join(f"{k} {v:,}" for k, v in summary.faults.items()))
    if malformed:
        print(f"Malformed files for ingestion tests: {malformed} (see manifest.json)")
    return 0


def _export_seeds(args: argparse.Namespace) -> int:
    """Write the code-list seeds for dbt from `code_lists`, their single source of truth."""
    from code_lists.seeds import write_seeds

    for path in write_seeds(Path(args.out)):
        print(path)
    return 0


def _comma_list(kind: type) -> Callable[[str], list]:
    """A comma-separated list, each item read as `kind`, e.g. 1,3."""
    return lambda text: [kind(item) for item in text.split(",")]


def _column_map(text: str) -> dict[str, str]:
    try:
        return dict(pair.split("=", 1) for pair in text.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"columns must look like first_name=given_name,dob=date_of_birth, got {text!r}") from exc


def _link_persons(args: argparse.Namespace) -> int:
    """Give every row of an analyst's CSV or Parquet file a pseudonymous person key."""
    import logging

    from linkage.files import link_file
    from linkage.model import load_model_file
    from linkage.persons import PersonLinkageSettings, PseudonymSecretMissing, pseudonym_secret

    logging.getLogger("splink").setLevel(logging.WARNING)
    settings = PersonLinkageSettings(target_precision=args.target_precision, match_probability=args.match_probability)
    model = load_model_file(Path(args.model)) if args.model else None
    try:
        secret = pseudonym_secret()  # an analyst's file is never the generator's
    except PseudonymSecretMissing as missing:
        print(f"hearth link persons: {missing}", file=sys.stderr)
        return 2
    summary = link_file(Path(args.input), Path(args.output), secret, settings, args.columns, model, args.train)
    print(f"Linked {summary['records']:,} rows into {summary['persons']:,} persons; wrote {args.output}")
    print(
        f"Model: {summary['model']}; pairs linked from match probability {summary['threshold']:.4f} "
        f"(expected precision {summary['estimated_precision']:.4f}); {summary['uncertain_pairs']:,} uncertain pairs below it not linked"
    )
    return 0


def _link_train(args: argparse.Namespace) -> int:
    """Train the person linkage model on a warehouse and write it as Splink JSON with its training summary."""
    import logging

    import duckdb

    from linkage.model import write_model_file
    from linkage.persons import train_on_warehouse

    logging.getLogger("splink").setLevel(logging.WARNING)
    with duckdb.connect(args.warehouse) as con:
        model = train_on_warehouse(con)
    write_model_file(model, Path(args.out))
    print(f"Trained on {model.training_summary['records']:,} records ({model.training_summary['signatures']:,} signatures); wrote {args.out}")
    return 0


def _decisions_path(args: argparse.Namespace) -> Path:
    from linkage.review import DECISIONS_ENV, DEFAULT_DECISIONS_PATH

    return Path(args.decisions or os.environ.get(DECISIONS_ENV) or DEFAULT_DECISIONS_PATH)


def _review_list(args: argparse.Namespace) -> int:
    """Print the clerical review queue: pairs, sources, match probability and evidence."""
    import duckdb

    from linkage.review import REVIEW_QUEUE
    from orchestration.settings import WAREHOUSE_PATH_ENV, path_setting

    with duckdb.connect(str(args.warehouse or path_setting(WAREHOUSE_PATH_ENV)), read_only=True) as con:
        rows = con.sql(f"select record_id_l, record_id_r, match_probability, evidence from {REVIEW_QUEUE} limit {args.limit}").fetchall()
    for left, right, probability, evidence in rows:
        print(f"{left}  {right}  p={probability:.3f}\n    {evidence}")
    print(f"{len(rows)} pair(s) shown; decide one with `hearth review decide LEFT RIGHT --decision match|non-match --reviewer NAME`")
    return 0


def _review_decide(args: argparse.Namespace) -> int:
    """Record a reviewer's decision on a pair; the next person linkage run applies it."""
    from linkage.review import record_decision

    path = _decisions_path(args)
    record_decision(path, args.record_id_l, args.record_id_r, args.decision, args.reviewer, args.note)
    print(f"Recorded {args.decision} for {args.record_id_l} and {args.record_id_r} in {path}; commit it, and the next linkage run applies it")
    return 0


def _bench(args: argparse.Namespace) -> int:
    """The whole run per world size, stage by stage (hearth/bench.py), or linkage against a plain
    Splink baseline (hearth/bench_linkage.py)."""
    json_path = Path(args.json) if args.json else None
    if args.what == "linkage":
        from hearth.bench_linkage import bench_linkage

        for persons in args.persons or [20_000]:
            bench_linkage(persons, args.seed, args.intensities, args.sets, Path(args.workdir), json_path)
        return 0
    from hearth.bench import bench

    bench(args.persons or [100_000], args.seed, Path(args.workdir), args.until, json_path, args.fault_intensity)
    return 0


def _docs(args: argparse.Namespace) -> int:
    """Build data/docs (overview + GX Data Docs) from the warehouse; with --serve, serve it."""
    import functools
    import http.server
    import subprocess

    from orchestration.settings import DBT_PROJECT_DIR, DOCS_DIR_ENV, WAREHOUSE_PATH_ENV, dbt_warehouse_vars, gx_project_of, path_setting
    from validations.gates import build_data_docs
    from validations.overview import write_overview

    warehouse, docs_dir = path_setting(WAREHOUSE_PATH_ENV), path_setting(DOCS_DIR_ENV)
    if not warehouse.exists():
        raise ValueError(f"no warehouse at {warehouse}: run `make demo` first")
    data_docs = build_data_docs(gx_project_of(warehouse), docs_dir / "gx")
    # dbt's own site: every model and column with its description, for analysts.
    subprocess.run(
        ["dbt", "docs", "generate", "--profiles-dir", ".", "--target-path", str(docs_dir / "dbt"), *dbt_warehouse_vars(warehouse)],
        cwd=DBT_PROJECT_DIR,
        check=True,
        capture_output=True,
    )
    overview = write_overview(warehouse, docs_dir)
    print(f"Overview: {overview}")
    print(f"dbt docs: {docs_dir / 'dbt' / 'index.html'} (serve them: `hearth docs --serve`)")
    print(f"Data Docs: {data_docs}" if data_docs else "Data Docs: no Great Expectations results yet (materialise the marts first)")
    if args.serve:
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(docs_dir))
        with http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler) as server, contextlib.suppress(KeyboardInterrupt):
            print(f"Serving {docs_dir} at http://127.0.0.1:{args.port}/ (Ctrl-C stops)")
            server.serve_forever()
    return 0


def _ui(args: argparse.Namespace) -> int:
    """The Dagster webserver and daemon on workspace.yaml, with a local instance in data/dagster_home."""
    import shutil
    import subprocess

    from orchestration.settings import REPO_ROOT

    home = Path(args.home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO_ROOT / "deploy" / "local" / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    command = ["dagster", "dev", "-w", str(REPO_ROOT / "workspace.yaml"), "-h", args.host, "-p", str(args.port)]
    print(f"Dagster UI at http://{args.host}:{args.port}/ (instance: {home}); Ctrl-C stops it.")
    return subprocess.run(command, cwd=REPO_ROOT, env=env).returncode


def _recover(args: argparse.Namespace) -> int:
    """Fail the runs whose worker process died and free their warehouse slots, so re-runs can start."""
    import dagster as dg

    from orchestration.recovery import recover_dead_runs

    home = Path(args.home).resolve()
    if not (home / "dagster.yaml").exists():
        print(f"hearth: no Dagster instance at {home} (give --home, or set DAGSTER_HOME)", file=sys.stderr)
        return 1
    with dg.DagsterInstance.from_config(str(home)) as instance:
        recovered = recover_dead_runs(instance)
    for run in recovered:
        print(f"{run.run_id} ({run.job_name}): worker process {run.worker_pid} is gone; marked failed, warehouse slots freed")
    print(
        f"{len(recovered)} dead run(s) recovered; re-run them from the UI or the CLI." if recovered else "No dead runs: every unfinished run's worker is alive."
    )
    return 0


def _status(args: argparse.Namespace) -> int:
    """What the warehouse holds: every table with its row count, for a quick look after a run."""
    import duckdb

    from orchestration.settings import WAREHOUSE_PATH_ENV, path_setting

    path = Path(args.warehouse) if args.warehouse else path_setting(WAREHOUSE_PATH_ENV)
    if not path.exists():
        print(f"hearth: no warehouse at {path}; run `make demo` first", file=sys.stderr)
        return 1
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.sql(
            "select schema_name, table_name from duckdb_tables() union all select schema_name, view_name from duckdb_views() where not internal order by 1, 2"
        ).fetchall()
        print(f"Warehouse {path}:")
        names = [f"{schema}.{table}" for schema, table in tables]
        width = max(map(len, names), default=0)
        for name in names:
            # The fingerprint ignores row order: a refactor that writes the same rows in another order keeps it.
            fingerprint = "md5(concat(bit_xor(hash(t)), ':', sum(hash(t)::hugeint)))" if args.fingerprint else "''"
            rows, digest = con.sql(f"select count(*), {fingerprint} from {name} as t").fetchone()
            print(f"  {name:<{width}} {rows:>12,} rows  {digest}".rstrip())
        if "quarantine.rejected_rows" in names:
            print("Quarantined rows by table and rule (quarantine.rejected_rows):")
            for table, rule, count in con.sql(
                "select table_name, rule, count(distinct source_file || row_number) from quarantine.rejected_rows group by all order by 1, 3 desc"
            ).fetchall():
                print(f"  {table:<24} {rule:<48} {count:>8,}")
    return 0


def _home_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--home", default=os.environ.get("DAGSTER_HOME", "data/dagster_home"), help="the Dagster instance folder (DAGSTER_HOME)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hearth", description="Hearth: linked household and family marts from children's services extracts.")
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write a synthetic world's extracts and its ground truth")
    gen.add_argument("--persons", type=int, default=10_000, help="size of the starting population (default 10000)")
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--years", type=_years, default=(2019, 2023), help="collection years, e.g. 2019-2023")
    gen.add_argument("--out", default="data/landing", help="landing folder for the extracts")
    gen.add_argument("--truth", default=None, help="folder for the ground truth, never read by the pipeline (default: OUT/.truth)")
    gen.add_argument("--malformed", nargs="?", const="", default=None, help="also write deliberately broken files (here, or by default OUT/.malformed)")
    gen.add_argument("--force", action="store_true", help="replace what the output and truth folders already hold")
    gen.add_argument("--fault", type=_fault, action="append", metavar="NAME=RATE", help="override a fault rate, e.g. name_typo=0.05")
    gen.add_argument("--fault-intensity", type=float, default=1.0, help="multiply every fault rate (after any --fault) by this, each clamped to 1 (default 1)")
    gen.set_defaults(func=_generate)

    bench = sub.add_parser("bench", help="benchmark the whole run per world size (per-stage and per-source tables), or linkage against a plain Splink baseline")
    bench.add_argument("what", nargs="?", choices=("run", "linkage"), default="run", help="run (default) or linkage")
    bench.add_argument("--persons", type=_comma_list(int), default=None, help="world sizes, e.g. 100000,1000000 (default 100000; linkage 20000)")
    bench.add_argument("--seed", type=int, default=42)
    bench.add_argument("--until", default="gates", help="stop after this stage: generate, ingest, harmonise, addresses, persons, households, marts or gates")
    bench.add_argument("--workdir", default="data/bench")
    bench.add_argument("--json", default=None, help="also save both tables as JSON here")
    bench.add_argument("--fault-intensity", type=float, default=1.0, help="multiply every fault rate of the worlds by this (default 1)")
    bench.add_argument("--intensities", type=_comma_list(float), default=[1.0, 3.0], help="linkage: the synthetic worlds' fault intensities (default 1,3)")
    bench.add_argument("--sets", type=_comma_list(str), default=["synthetic", "febrl3", "febrl4"], help="linkage: which sets")
    bench.set_defaults(func=_bench)

    seeds = sub.add_parser("export-seeds", help="write the dbt code-list seeds from code_lists")
    seeds.add_argument("--out", default="dbt_project/seeds")
    seeds.set_defaults(func=_export_seeds)

    link = sub.add_parser("link", help="link records to persons in your own file")
    link_sub = link.add_subparsers(dest="what", required=True)
    link_persons = link_sub.add_parser("persons", help="add a person_key to every row of a CSV or Parquet file")
    link_persons.add_argument("--input", required=True, help="CSV or Parquet with any of first_name, last_name, dob, sex, postcode, address, nhs_number, upn")
    link_persons.add_argument("--output", required=True, help="where to write the rows with person_key and match_probability (.csv or .parquet)")
    link_persons.add_argument(
        "--columns", type=_column_map, default=None, metavar="OURS=YOURS,...", help="map the file's column names, e.g. first_name=given_name,dob=date_of_birth"
    )
    link_persons.add_argument("--model", default=None, help="a saved model's JSON (default: the trained default in linkage/default_person_model.json)")
    link_persons.add_argument(
        "--target-precision", type=float, default=0.995, help="expected precision of linked pairs, which sets the threshold (default 0.995)"
    )
    link_persons.add_argument(
        "--train", action="store_true", help="train the model's comparisons on this file first (files of 1,000 rows or more; fewer use the saved model)"
    )
    link_persons.add_argument("--match-probability", type=float, default=None, help="a fixed match probability threshold instead of the target precision")
    link_persons.set_defaults(func=_link_persons)
    link_train = link_sub.add_parser("train", help="train the person linkage model on a warehouse and write its JSON")
    link_train.add_argument("--warehouse", required=True, help="a DuckDB warehouse with intermediate.int_person_records and linkage.address_matches")
    link_train.add_argument("--out", default="linkage/default_person_model.json")
    link_train.set_defaults(func=_link_train)

    review = sub.add_parser("review", help="clerical review of uncertain person pairs")
    review_sub = review.add_subparsers(dest="what", required=True)
    review_list = review_sub.add_parser("list", help="show the review queue")
    review_list.add_argument("--warehouse", default=None, help="the DuckDB file (default: HEARTH_WAREHOUSE_PATH, else data/warehouse/hearth.duckdb)")
    review_list.add_argument("--limit", type=int, default=20)
    review_list.set_defaults(func=_review_list)
    review_decide = review_sub.add_parser("decide", help="record a match or non-match decision on a pair")
    review_decide.add_argument("record_id_l")
    review_decide.add_argument("record_id_r")
    review_decide.add_argument("--decision", required=True, choices=["match", "non-match"])
    review_decide.add_argument("--reviewer", required=True)
    review_decide.add_argument("--note", default="")
    review_decide.add_argument("--decisions", default=None, help="the decisions CSV (default: HEARTH_REVIEW_DECISIONS, else linkage/review_decisions.csv)")
    review_decide.set_defaults(func=_review_decide)

    status = sub.add_parser("status", help="list the warehouse's tables and row counts")
    status.add_argument("--warehouse", default=None, help="the DuckDB file (default: HEARTH_WAREHOUSE_PATH, else data/warehouse/hearth.duckdb)")
    status.add_argument("--fingerprint", action="store_true", help="also print a hash of each table's rows, in any order, to compare two warehouses")
    status.set_defaults(func=_status)

    ui = sub.add_parser("ui", help="start the Dagster webserver and daemon on workspace.yaml with local storage")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    _home_argument(ui)
    ui.set_defaults(func=_ui)

    recover = sub.add_parser("recover", help="after a crash: fail the runs whose worker process died and free their warehouse pool slots")
    _home_argument(recover)
    recover.set_defaults(func=_recover)

    docs = sub.add_parser("docs", help="build the stewards' site: the gate overview and the Great Expectations Data Docs")
    docs.add_argument("--serve", action="store_true", help="then serve the site on localhost until interrupted")
    docs.add_argument("--port", type=int, default=8080)
    docs.set_defaults(func=_docs)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValueError as exc:
        print(f"hearth: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
