"""The `hearth` command line: one entry point whose subcommands later capabilities extend."""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

from synthetic_population.config import FaultRates, WorldConfig
from synthetic_population.world import generate_world
from warehouse.connection import connect


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
    print(textwrap.fill("Records: " + ", ".join(f"{table} {count:,}" for table, count in summary.records.items()), 160, subsequent_indent="  "))
    print(textwrap.fill("Injected faults: " + ", ".join(f"{k} {v:,}" for k, v in summary.faults.items()), 160, subsequent_indent="  "))
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

    from linkage.model import write_model_file
    from linkage.persons import train_on_warehouse

    logging.getLogger("splink").setLevel(logging.WARNING)
    with connect(args.warehouse) as con:
        model = train_on_warehouse(con)
    write_model_file(model, Path(args.out))
    print(f"Trained on {model.training_summary['records']:,} records ({model.training_summary['signatures']:,} signatures); wrote {args.out}")
    return 0


def _decisions_path(args: argparse.Namespace) -> Path:
    from linkage.review import DECISIONS_ENV, DEFAULT_DECISIONS_PATH

    return Path(args.decisions or os.environ.get(DECISIONS_ENV) or DEFAULT_DECISIONS_PATH)


def _review_list(args: argparse.Namespace) -> int:
    """Print the clerical review queue: pairs, sources, match probability and evidence."""
    from linkage.review import REVIEW_QUEUE

    with connect(str(_warehouse_path(args)), read_only=True) as con:
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


def _warehouse_path(args: argparse.Namespace) -> Path:
    """The warehouse a command reads: --warehouse, else HEARTH_WAREHOUSE_PATH, else the repository's default."""
    from orchestration.settings import WAREHOUSE_PATH_ENV, path_setting

    return Path(args.warehouse) if args.warehouse else path_setting(WAREHOUSE_PATH_ENV)


def _quarantine_warehouse(args: argparse.Namespace) -> Path:
    path = _warehouse_path(args)
    if not path.exists():
        raise ValueError(f"no warehouse at {path} (give --warehouse, or set HEARTH_WAREHOUSE_PATH)")
    return path


def _quarantine_list(args: argparse.Namespace) -> int:
    """Print what the quarantine holds back and what was released, by table and rule, or for one table by value."""
    from ingestion.quarantine import check_up_to_date, held_back
    from ingestion.quarantine_decisions import table_rules

    if args.table:
        table_rules(args.table)  # an unknown table is an error, not an empty list
    with connect(str(_quarantine_warehouse(args)), read_only=True) as con:
        check_up_to_date(con)
        rows = held_back(con, args.table, args.limit)
    for row in rows.iter_rows(named=True):
        what = f"{row['column_name'] or '':<20} {row['offending_value'] or '(blank)':<28}" if args.table else ""
        print(f"  {row['table_name']:<28} {row['rule']:<44} {what} held {row['held']:>7,}  released {row['released']:>7,}")
    print(f"{rows.height} line(s); accept a value with `hearth quarantine accept --table T --rule R --value V --reviewer NAME --reason WHY`")
    return 0


def _quarantine_decide(args: argparse.Namespace) -> int:
    """Record a steward's acceptance or withdrawal in the decisions CSV; `hearth quarantine release` applies it."""
    from ingestion.quarantine_decisions import decisions_path, record_decision

    path = decisions_path(args.decisions)
    key = {"table": args.table, "rule": args.rule, "column": args.column, "value": args.value, "source_file": args.source_file, "row_number": args.row}
    record_decision(path, args.decision, reviewer=args.reviewer, reason=args.reason, **key)
    print(f"Recorded {args.decision} of {args.rule} on {args.table} in {path}; commit it, and `hearth quarantine release` applies it")
    return 0


def _quarantine_release(args: argparse.Namespace) -> int:
    """Apply the decisions: accepted rows into raw, rows no longer accepted back out, the decisions into quarantine.release_decisions."""
    import uuid

    from ingestion.quarantine import release
    from ingestion.quarantine_decisions import decisions_path, read_decisions

    decisions = read_decisions(decisions_path(args.decisions))
    with connect(str(_quarantine_warehouse(args))) as con:
        done = release(con, decisions, f"release-{uuid.uuid4().hex[:12]}")
    print(f"Release {done.run_id}: {done.released:,} row(s) released into raw, {done.returned:,} returned to quarantine")
    print(f"Left as they were: {done.unchanged:,} row(s) released before; kept in quarantine: {done.kept:,} row(s) a decision touches but another rule fails")
    print(f"{done.held:,} row(s) held in quarantine in all")
    return 0


def _quarantine_decisions(args: argparse.Namespace) -> int:
    """Print the decisions the warehouse applied (quarantine.release_decisions), or export them to a CSV file."""
    from ingestion.quarantine import check_up_to_date
    from ingestion.quarantine_decisions import DECISIONS_TABLE

    with connect(str(_quarantine_warehouse(args)), read_only=True) as con:
        check_up_to_date(con)
        decisions = con.sql(f"select * from {DECISIONS_TABLE}").pl()
    if args.export:
        decisions.write_csv(args.export)
        print(f"Wrote {decisions.height} decision(s) to {args.export}")
        return 0
    for d in decisions.iter_rows(named=True):
        scope = ", ".join(f"{name} {d[name]!r}" for name in ("column_name", "offending_value", "source_file", "row_number") if d[name] is not None)
        state = f"in force, {d['rows_released']:,} row(s) released" if d["active"] else "superseded or withdrawn"
        print(f"  {d['decided_at']:%Y-%m-%d %H:%M} {d['reviewer']}: {d['decision']} {d['rule']} on {d['table_name']} ({scope}): {d['reason']} [{state}]")
    print(f"{decisions.height} decision(s), as the last release applied them" if decisions.height else "None applied yet: run `hearth quarantine release`")
    return 0


def _bench(args: argparse.Namespace) -> int:
    """The whole run per world size, stage by stage (hearth/bench.py), linkage against a plain Splink
    baseline (hearth/bench_linkage.py), or the evaluation's adjustments over redrawn worlds
    (hearth/bench_evaluation.py). The terminal gets the tables; the log, all the rest."""
    from hearth.console import terminal_and_log

    json_path = Path(args.json) if args.json else None
    log_path = Path(args.workdir) / f"bench-{args.what}.log"
    with terminal_and_log(log_path) as console:
        say = functools.partial(console.out, highlight=False)
        if args.what == "evaluation":
            from hearth.bench_evaluation import bench_evaluation

            for persons in args.persons or [20_000]:
                bench_evaluation(persons, args.seed, args.draws, Path(args.workdir), json_path, say)
        elif args.what == "linkage":
            from hearth.bench_linkage import bench_linkage

            for persons in args.persons or [20_000]:
                bench_linkage(persons, args.seed, args.intensities, args.sets, Path(args.workdir), json_path, say)
        else:
            from hearth.bench import bench

            plot_path = Path(args.plot) if args.plot else None
            bench(args.persons or [100_000], args.seed, Path(args.workdir), args.until, json_path, args.fault_intensity, say, plot_path)
        say(f"\nEverything else the benchmark printed (dbt, Splink, Great Expectations): {log_path}")
    return 0


def _docs(args: argparse.Namespace) -> int:
    """Build data/docs (overview + GX Data Docs + dbt docs) from the warehouse; with --serve, serve it."""
    import http.server

    from hearth.site import build_stewards_site
    from orchestration.settings import DOCS_DIR_ENV, WAREHOUSE_PATH_ENV, path_setting

    docs_dir = path_setting(DOCS_DIR_ENV)
    site = build_stewards_site(path_setting(WAREHOUSE_PATH_ENV), docs_dir)
    print(f"Overview: {site.overview}")
    print(f"dbt docs: {site.dbt_docs} (serve them: `hearth docs --serve`)")
    print(f"Data Docs: {site.data_docs}" if site.data_docs else "Data Docs: no Great Expectations results yet (materialise the marts first)")
    if args.serve:
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(docs_dir))
        with http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler) as server, contextlib.suppress(KeyboardInterrupt):
            print(f"Serving {docs_dir} at http://127.0.0.1:{args.port}/ (Ctrl-C stops)")
            server.serve_forever()
    return 0


def _dagster_home(folder: str) -> Path:
    """The local Dagster instance's folder, with the instance settings `deploy/local/dagster.yaml` gives."""
    import shutil

    from orchestration.settings import REPO_ROOT, resolve_path

    home = resolve_path(folder)  # a relative folder is the repository's, as every Hearth path, wherever the command runs
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO_ROOT / "deploy" / "local" / "dagster.yaml", home / "dagster.yaml")
    return home


def _ui(args: argparse.Namespace) -> int:
    """The Dagster webserver and daemon on workspace.yaml, with a local instance in data/dagster_home."""
    import subprocess

    from orchestration.settings import REPO_ROOT

    home = _dagster_home(args.home)
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    command = ["dagster", "dev", "-w", str(REPO_ROOT / "workspace.yaml"), "-h", args.host, "-p", str(args.port)]
    print(f"Dagster UI at http://{args.host}:{args.port}/ (instance: {home}); Ctrl-C stops it.")
    return subprocess.run(command, cwd=REPO_ROOT, env=env).returncode


def _run(args: argparse.Namespace) -> int:
    """Every stage, through Dagster, on a landing folder: one line per stage here, the full log in a file."""
    import traceback
    from datetime import datetime

    from hearth.console import terminal_and_log
    from ingestion.landing import GENERATOR_TRUTH_DIR
    from orchestration.settings import COLLECTION_YEARS_ENV, DOCS_DIR_ENV, LANDING_DIR_ENV, TRUTH_DIR_ENV, WAREHOUSE_PATH_ENV, path_setting, resolve_path

    landing = resolve_path(args.landing or path_setting(LANDING_DIR_ENV))
    if not landing.is_dir():
        print(f"hearth run: no landing folder at {landing} (give --landing, or generate a world: hearth generate)", file=sys.stderr)
        return 2
    # The Dagster definitions read these when they load, and the resources when each run starts.
    os.environ[LANDING_DIR_ENV] = str(landing)
    if args.warehouse:
        os.environ[WAREHOUSE_PATH_ENV] = str(resolve_path(args.warehouse))
    if args.years and not os.environ.get(COLLECTION_YEARS_ENV):
        os.environ[COLLECTION_YEARS_ENV] = "-".join(map(str, args.years))
    if not os.environ.get(TRUTH_DIR_ENV) and (landing / GENERATOR_TRUTH_DIR).is_dir():
        os.environ[TRUTH_DIR_ENV] = str(landing / GENERATOR_TRUTH_DIR)
    home = _dagster_home(args.home)
    log_path = resolve_path(args.log_dir) / f"hearth-run-{datetime.now():%Y%m%d-%H%M%S}.log"
    with terminal_and_log(log_path) as console:
        try:
            import dagster as dg

            from hearth.run import pipeline_stages, run_pipeline
            from orchestration.definitions import defs
            from orchestration.settings import collection_years

            partitions = collection_years()
            years = list(range(args.years[0], args.years[1] + 1)) if args.years else list(partitions)
            if outside := [year for year in years if year not in partitions]:
                console.print(f"hearth run: years {outside} are not collection years ({COLLECTION_YEARS_ENV}={os.environ[COLLECTION_YEARS_ENV]})")
                return 2
            warehouse, docs = path_setting(WAREHOUSE_PATH_ENV), path_setting(DOCS_DIR_ENV)
            console.print(f"hearth run: {landing}, collection years {years[0]}-{years[-1]}, into {warehouse}")
            with dg.DagsterInstance.from_config(str(home)) as instance:
                stages = pipeline_stages(args.retrain_person_model)
                return run_pipeline(defs.get_repository_def(), instance, stages, years, warehouse, docs, console, log_path)
        except Exception as exc:  # the traceback is for the log; the terminal gets the one line
            traceback.print_exc()
            console.print(f"hearth run failed: {type(exc).__name__}: {exc} (traceback in {log_path})", style="red")
            return 1


def _recover(args: argparse.Namespace) -> int:
    """Fail the runs whose worker process died and free their warehouse slots, so re-runs can start."""
    import dagster as dg

    from orchestration.recovery import recover_dead_runs
    from orchestration.settings import resolve_path

    home = resolve_path(args.home)
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
    path = _warehouse_path(args)
    if not path.exists():
        print(f"hearth: no warehouse at {path}; run `make demo` first", file=sys.stderr)
        return 1
    with connect(str(path), read_only=True) as con:
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
            print("Rows held in quarantine by table and rule (quarantine.rejected_rows; released rows left out):")
            for table, rule, count in con.sql(
                "select table_name, rule, count(distinct (source_file, row_number)) from quarantine.rejected_rows "
                "where release_run_id is null group by all order by 1, 3 desc"
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

    bench = sub.add_parser(
        "bench",
        help="benchmark the whole run per world size (per-stage and per-source tables), linkage against a plain Splink baseline, "
        "or the evaluation's adjustments over redrawn worlds",
    )
    bench.add_argument("what", nargs="?", choices=("run", "linkage", "evaluation"), default="run", help="run (default), linkage or evaluation")
    bench.add_argument("--persons", type=_comma_list(int), default=None, help="world sizes, e.g. 100000,1000000 (default 100000; linkage and evaluation 20000)")
    bench.add_argument("--seed", type=int, default=42)
    bench.add_argument("--until", default="gates", help="stop after this stage: generate, ingest, harmonise, addresses, persons, households, marts or gates")
    bench.add_argument("--workdir", default="data/bench")
    bench.add_argument("--json", default=None, help="also save both tables, and the memory sampled over the run, as JSON here")
    bench.add_argument("--plot", default=None, help="run: also draw the memory of the run's processes over time to this PNG (matplotlib)")
    bench.add_argument("--fault-intensity", type=float, default=1.0, help="multiply every fault rate of the worlds by this (default 1)")
    bench.add_argument("--intensities", type=_comma_list(float), default=[1.0, 3.0], help="linkage: the synthetic worlds' fault intensities (default 1,3)")
    bench.add_argument("--draws", type=int, default=200, help="evaluation: draws of the programme and outcome on the world's cohort (default 200)")
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

    quarantine = sub.add_parser("quarantine", help="stewards' review of quarantined values: list, accept, withdraw, release")
    quarantine_sub = quarantine.add_subparsers(dest="what", required=True)
    warehouse_help = "the DuckDB file (default: HEARTH_WAREHOUSE_PATH, else data/warehouse/hearth.duckdb)"
    decisions_help = "the decisions CSV (default: HEARTH_QUARANTINE_DECISIONS, else ingestion/quarantine_decisions.csv)"
    quarantine_list = quarantine_sub.add_parser("list", help="rows held in quarantine and released, by table and rule (with --table, by value)")
    quarantine_list.add_argument("--table", default=None, help="one raw table, listed by rule, column and offending value")
    quarantine_list.add_argument("--limit", type=int, default=50)
    quarantine_list.add_argument("--warehouse", default=None, help=warehouse_help)
    quarantine_list.set_defaults(func=_quarantine_list)
    for decision, verb in (("accept", "accept a rule's failures on a value, a file or a row"), ("withdraw", "withdraw an acceptance, named as made")):
        decide = quarantine_sub.add_parser(decision, help=verb)
        decide.add_argument("--table", required=True, help="the raw table, e.g. hes_apc")
        decide.add_argument("--rule", required=True, help="the rule as quarantine.rejected_rows names it, e.g. code_list:DfE ethnicity")
        decide.add_argument("--column", default=None, help="only failures on this column")
        decide.add_argument("--value", default=None, help="only failures with this offending value (a value or a source file is needed)")
        decide.add_argument("--source-file", default=None, help="only failures in this file, as quarantine.rejected_rows names it")
        decide.add_argument("--row", type=int, default=None, help="only this row of the source file")
        decide.add_argument("--reviewer", required=True)
        decide.add_argument("--reason", required=True, help="why, for whoever reads the decision later")
        decide.add_argument("--decisions", default=None, help=decisions_help)
        decide.set_defaults(func=_quarantine_decide, decision=decision)
    quarantine_release = quarantine_sub.add_parser("release", help="apply the decisions: release accepted rows into raw, return those no longer accepted")
    quarantine_release.add_argument("--warehouse", default=None, help=warehouse_help)
    quarantine_release.add_argument("--decisions", default=None, help=decisions_help)
    quarantine_release.set_defaults(func=_quarantine_release)
    quarantine_decisions = quarantine_sub.add_parser("decisions", help="the decisions the warehouse applied, with the rows each released")
    quarantine_decisions.add_argument("--export", default=None, metavar="PATH", help="write them, history included, to this CSV file")
    quarantine_decisions.add_argument("--warehouse", default=None, help=warehouse_help)
    quarantine_decisions.set_defaults(func=_quarantine_decisions)

    status = sub.add_parser("status", help="list the warehouse's tables and row counts")
    status.add_argument("--warehouse", default=None, help="the DuckDB file (default: HEARTH_WAREHOUSE_PATH, else data/warehouse/hearth.duckdb)")
    status.add_argument("--fingerprint", action="store_true", help="also print a hash of each table's rows, in any order, to compare two warehouses")
    status.set_defaults(func=_status)

    ui = sub.add_parser("ui", help="start the Dagster webserver and daemon on workspace.yaml with local storage")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    _home_argument(ui)
    ui.set_defaults(func=_ui)

    run = sub.add_parser("run", help="run every stage through Dagster on a landing folder: one line per stage, the full log in data/logs")
    run.add_argument("--landing", default=None, help="the landing folder (default: HEARTH_LANDING_DIR, else data/landing)")
    run.add_argument("--years", type=_years, default=None, help="collection years, e.g. 2019-2023 (default: HEARTH_COLLECTION_YEARS, else 2019-2023)")
    run.add_argument("--warehouse", default=None, help="the DuckDB file (default: HEARTH_WAREHOUSE_PATH, else data/warehouse/hearth.duckdb)")
    run.add_argument("--retrain-person-model", action="store_true", help="retrain the person linkage model on this warehouse first (default: the saved model)")
    run.add_argument("--log-dir", default="data/logs", help="where the run's full log goes (default data/logs)")
    _home_argument(run)
    run.set_defaults(func=_run)

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
