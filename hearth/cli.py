"""The `hearth` command line: one entry point whose subcommands later capabilities extend."""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
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
    faults = FaultRates(**dict(args.fault or []))
    return WorldConfig(persons=args.persons, seed=args.seed, first_year=first, last_year=last, faults=faults)


def _generate(args: argparse.Namespace) -> int:
    summary = generate_world(_config(args), Path(args.out), Path(args.truth), Path(args.malformed) if args.malformed else None)
    print(f"Generated {summary.persons:,} persons in {summary.households:,} households at {summary.properties:,} properties in {summary.seconds}s")
    print(f"Extracts: {len(summary.files)} files under {args.out}; ground truth under {args.truth}")
    for table, count in summary.records.items():
        print(f"  {table:<24} {count:>10,} records")
    print("Injected faults: " + ", ".join(f"{k} {v:,}" for k, v in summary.faults.items()))
    if args.malformed:
        print(f"Malformed files for ingestion tests: {args.malformed} (see manifest.json)")
    return 0


def _report(rows: list[dict], columns: dict[str, str], json_path: str | None) -> None:
    """Print benchmark rows as a markdown table (numbers right-aligned) and optionally save them as JSON."""
    print("| " + " | ".join(columns.values()) + " |")
    print("|" + "|".join("---:" if isinstance(rows[0][k], int | float) else "---" for k in columns) + "|")
    for row in rows:
        print("| " + " | ".join(f"{row[k]:,}" if isinstance(row[k], int) else str(row[k]) for k in columns) + " |")
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


def _bench_generate(args: argparse.Namespace) -> int:
    """Time and peak memory of generation, printed as a markdown table (and JSON with --json)."""
    rows = []
    for persons in args.persons:
        out = Path(args.workdir) / f"persons_{persons}"
        config = WorldConfig(persons=persons, seed=args.seed)
        started = time.perf_counter()
        summary = generate_world(config, out / "landing", out / "truth")
        seconds = time.perf_counter() - started
        peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        rows.append(
            {
                "persons": persons,
                "seconds": round(seconds, 1),
                "peak_gib": round(peak_gib, 2),
                "records": sum(summary.records.values()),
                "persons_per_second": round(summary.persons / seconds),
            }
        )
    _report(
        rows,
        {"persons": "persons", "seconds": "wall time (s)", "peak_gib": "peak memory (GiB)", "records": "records written", "persons_per_second": "persons/s"},
        args.json,
    )
    return 0


def _bench_ingest(args: argparse.Namespace) -> int:
    """Rows/s of ingest + validation per source on a generated world, as a markdown table."""
    import duckdb

    from ingestion.load import ingest
    from ingestion.registry import SOURCES

    root = Path(args.workdir) / f"persons_{args.persons}"
    config = WorldConfig(persons=args.persons, seed=args.seed)
    generate_world(config, root / "landing", root / "truth")
    database = root / "bench.duckdb"
    database.unlink(missing_ok=True)
    rows = []
    with duckdb.connect(str(database)) as con:
        for source in SOURCES:
            run = ingest(con, source, list(config.years), root / "landing", "bench")
            read = sum(f.rows_read for f in run.files)
            seconds = {step: getattr(run, f"seconds_{step}") for step in ("read", "validate", "write")}
            total = sum(seconds.values())
            rows.append(
                {
                    "source": source.name,
                    "files": len({f.source_file for f in run.files}),
                    "rows": read,
                    **{f"{k}_s": round(v, 2) for k, v in seconds.items()},
                    "rows_per_s": round(read / total) if total else 0,
                    "validate_vs_load": round(seconds["validate"] / (seconds["read"] + seconds["write"]), 2) if read else 0.0,
                }
            )
    totals = {step: sum(r[f"{step}_s"] for r in rows) for step in ("read", "validate", "write")}
    all_rows = sum(r["rows"] for r in rows)
    rows.append(
        {
            "source": "all sources",
            "files": sum(r["files"] for r in rows),
            "rows": all_rows,
            **{f"{k}_s": round(v, 2) for k, v in totals.items()},
            "rows_per_s": round(all_rows / sum(totals.values())),
            "validate_vs_load": round(totals["validate"] / (totals["read"] + totals["write"]), 2),
        }
    )
    print(f"Ingest + validation, {args.persons:,}-person world, collection years {config.first_year}-{config.last_year}")
    _report(
        rows,
        {
            "source": "source",
            "files": "files",
            "rows": "rows",
            "read_s": "read (s)",
            "validate_s": "validate (s)",
            "write_s": "write (s)",
            "rows_per_s": "rows/s",
            "validate_vs_load": "validate / load",
        },
        args.json,
    )
    return 0


def _export_seeds(args: argparse.Namespace) -> int:
    """Write the code-list seeds for dbt from `code_lists`, their single source of truth."""
    from code_lists.seeds import write_seeds

    for path in write_seeds(Path(args.out)):
        print(path)
    return 0


def _link_persons(args: argparse.Namespace) -> int:
    """Give every row of an analyst's CSV or Parquet file a pseudonymous person key."""
    import logging

    from linkage.files import link_file
    from linkage.persons import PersonLinkageSettings

    logging.getLogger("splink").setLevel(logging.WARNING)
    summary = link_file(Path(args.input), Path(args.output), PersonLinkageSettings(args.match_probability))
    print(f"Linked {summary['records']:,} rows into {summary['persons']:,} persons; wrote {args.output}")
    if summary["demo_secret"]:
        print("Note: HEARTH_PSEUDONYM_SECRET is not set, so person keys use the public demo secret.")
    return 0


LINKAGE_STAGES = ("addresses to UPRN", "records to persons", "households + families")


def _bench(args: argparse.Namespace) -> int:
    """End to end per size: generate, ingest + validate, harmonise (dbt build), match addresses,
    link persons, form households and families; wall time, peak memory so far and rows/s per
    stage, plus linkage quality."""
    import logging
    import os
    import subprocess

    import duckdb
    import polars as pl

    from disclosure.control import protect
    from ingestion.load import ingest
    from ingestion.registry import SOURCES
    from linkage.addresses import match_addresses
    from linkage.evaluation import evaluate_address_matches, evaluate_household_spells, evaluate_parent_links, evaluate_person_links, true_persons
    from linkage.families import link_families
    from linkage.households import form_households
    from linkage.persons import link_persons
    from orchestration.assets.publication import TABLE_BY
    from orchestration.settings import REPO_ROOT
    from validations.gates import GATES, run_gates

    logging.getLogger("splink").setLevel(logging.WARNING)
    rows = []
    for persons in args.persons:
        root = Path(args.workdir).resolve() / f"e2e_{persons}"
        config = WorldConfig(persons=persons, seed=args.seed)
        database = root / "hearth.duckdb"

        def stage(name: str, run) -> None:
            started = time.perf_counter()
            count = run()
            seconds = time.perf_counter() - started
            rows.append(
                {
                    "persons": persons,
                    "stage": name,
                    "seconds": round(seconds, 1),
                    "rows": count,
                    "rows_per_s": round(count / seconds) if seconds else 0,
                    "peak_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2),
                }
            )

        def generate() -> int:
            return sum(generate_world(config, root / "landing", root / "truth").records.values())

        def load() -> int:
            database.unlink(missing_ok=True)
            with duckdb.connect(str(database)) as con:
                runs = [ingest(con, source, list(config.years), root / "landing", "bench") for source in SOURCES]
            validation["pandera"] += sum(run.seconds_validate for run in runs)
            return sum(f.rows_read for run in runs for f in run.files)

        validation = {"pandera": 0.0, "dbt tests": 0.0, "great expectations": 0.0}

        def dbt_build(selector: str) -> None:
            env = {**os.environ, "HEARTH_WAREHOUSE_PATH": str(database)}
            command = ["dbt", "build", "--selector", selector, "--profiles-dir", ".", "--target-path", str(root / "target")]
            subprocess.run(command, cwd=REPO_ROOT / "dbt_project", env=env, check=True, capture_output=True)
            results = json.loads((root / "target" / "run_results.json").read_text())["results"]
            validation["dbt tests"] += sum(r["execution_time"] for r in results if r["unique_id"].startswith(("test.", "unit_test.")))

        def harmonise() -> int:
            dbt_build("before_linkage")
            with duckdb.connect(str(database)) as con:
                return con.sql("select count(*) from intermediate.int_person_records").fetchone()[0]

        def marts_and_publication() -> int:
            dbt_build("after_linkage")
            with duckdb.connect(str(database)) as con:
                counts = con.sql("select la_code, collection_year, indicator, children from marts.la_year_indicators").pl()
                published = protect(counts, TABLE_BY, "la_code", "children")
                con.execute("create schema if not exists publication")
                con.register("_published", published.to_arrow())
                con.execute("create or replace table publication.la_year_indicators as select * from _published")
                return (
                    sum(
                        con.sql(f"select count(*) from marts.{t}").fetchone()[0]
                        for (t,) in con.sql("select table_name from information_schema.tables where table_schema = 'marts'").fetchall()
                    )
                    + published.height
                )

        def gates() -> int:
            started = time.perf_counter()
            rules = sum(result.rules for result in run_gates(database, root / "gx", root / "docs" / "gx", "bench", GATES, "bench"))
            validation["great expectations"] += time.perf_counter() - started
            return rules

        def addresses() -> int:
            with duckdb.connect(str(database)) as con:
                return match_addresses(con)["addresses"]

        def people() -> int:
            with duckdb.connect(str(database)) as con:
                return link_persons(con)["records"]

        def households_and_families() -> int:
            with duckdb.connect(str(database)) as con:
                housed = form_households(con)["residences"]
                return housed + link_families(con)["parent_links"]

        for name, run in (
            ("generate", generate),
            ("ingest + validate", load),
            ("harmonise (dbt)", harmonise),
            *zip(LINKAGE_STAGES, (addresses, people, households_and_families)),
            ("marts (dbt) + publication", marts_and_publication),
            ("gates (Great Expectations)", gates),
        ):
            stage(name, run)
        with duckdb.connect(str(database)) as con:
            address = evaluate_address_matches(con, root / "truth").filter(pl.col("source") == "all").row(0, named=True)
            linked = evaluate_person_links(con.sql("select record_id, person_key from linkage.person_links").pl(), true_persons(root / "truth"))
            housed = evaluate_household_spells(con, root / "truth")
            related = evaluate_parent_links(con, root / "truth")
        total = sum(r["seconds"] for r in rows if r["persons"] == persons)
        linking = sum(r["seconds"] for r in rows if r["persons"] == persons and r["stage"] in LINKAGE_STAGES)
        rows.append({"persons": persons, "stage": "total", "seconds": round(total, 1), "rows": 0, "rows_per_s": 0, "peak_gib": rows[-1]["peak_gib"]})
        print(
            f"{persons:,} persons: linkage {linking:.0f} s; address precision {address['precision']:.4f} at match rate {address['match_rate']:.4f}; "
            f"person cluster precision {linked['cluster_precision']:.4f}, recall {linked['cluster_recall']:.4f}; "
            f"household spells reproduced {housed['household_spell_recall']:.4f} (precision {housed['household_spell_precision']:.4f}); "
            f"parent links precision {related['parent_link_precision']:.4f}, recall {related['parent_link_recall']:.4f}"
        )
        gated = sum(validation.values())
        print(
            f"{persons:,} persons: validation gates {gated:.0f} s = {gated / total:.0%} of the total "
            f"({', '.join(f'{tool} {seconds:.0f} s' for tool, seconds in validation.items())})"
        )
    _report(
        rows,
        {"persons": "persons", "stage": "stage", "seconds": "wall time (s)", "rows": "rows", "rows_per_s": "rows/s", "peak_gib": "peak memory so far (GiB)"},
        args.json,
    )
    return 0


def _docs(args: argparse.Namespace) -> int:
    """Build data/docs (overview + GX Data Docs) from the warehouse; with --serve, serve it."""
    import functools
    import http.server
    import subprocess

    from orchestration.settings import REPO_ROOT, HearthPaths
    from validations.gates import build_data_docs
    from validations.overview import write_overview

    paths = HearthPaths.from_env()
    if not paths.warehouse_path.exists():
        raise ValueError(f"no warehouse at {paths.warehouse_path}: run `make demo` first")
    data_docs = build_data_docs(paths.gx_dir, paths.docs_dir / "gx")
    # dbt's own site: every model and column with its description, for analysts.
    env = {**os.environ, "HEARTH_WAREHOUSE_PATH": str(paths.warehouse_path)}
    subprocess.run(
        ["dbt", "docs", "generate", "--profiles-dir", ".", "--target-path", str(paths.docs_dir / "dbt")],
        cwd=REPO_ROOT / "dbt_project",
        env=env,
        check=True,
        capture_output=True,
    )
    overview = write_overview(paths.warehouse_path, paths.docs_dir)
    print(f"Overview: {overview}")
    print(f"dbt docs: {paths.docs_dir / 'dbt' / 'index.html'} (serve them: `hearth docs --serve`)")
    print(f"Data Docs: {data_docs}" if data_docs else "Data Docs: no Great Expectations results yet (materialise the marts first)")
    if args.serve:
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(paths.docs_dir))
        with http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler) as server:
            print(f"Serving {paths.docs_dir} at http://127.0.0.1:{args.port}/ (Ctrl-C stops)")
            try:
                server.serve_forever()
            except KeyboardInterrupt:
                pass
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

    path = Path(args.warehouse)
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
    gen.add_argument("--truth", default="data/truth", help="folder for the ground truth (never read by the pipeline)")
    gen.add_argument("--malformed", default=None, help="also write deliberately broken files here")
    gen.add_argument("--fault", type=_fault, action="append", metavar="NAME=RATE", help="override a fault rate, e.g. name_typo=0.05")
    gen.set_defaults(func=_generate)

    bench = sub.add_parser("bench-generate", help="benchmark the generator: wall time and peak memory per size")
    bench.add_argument("--persons", type=lambda s: [int(x) for x in s.split(",")], default=[100_000, 1_000_000])
    bench.add_argument("--seed", type=int, default=42)
    bench.add_argument("--workdir", default="data/bench")
    bench.add_argument("--json", default=None, help="also save the rows as JSON here")
    bench.set_defaults(func=_bench_generate)
    bench_all = sub.add_parser("bench", help="benchmark the whole run per size: generate, ingest, harmonise, link")
    bench_all.add_argument("--persons", type=lambda text: [int(x) for x in text.split(",")], default=[100_000])
    bench_all.add_argument("--seed", type=int, default=42)
    bench_all.add_argument("--workdir", default="data/bench")
    bench_all.add_argument("--json", default=None, help="also save the rows as JSON here")
    bench_all.set_defaults(func=_bench)

    bench_ingest = sub.add_parser("bench-ingest", help="benchmark ingestion: rows/s and validation cost per source")
    bench_ingest.add_argument("--persons", type=int, default=1_000_000)
    bench_ingest.add_argument("--seed", type=int, default=42)
    bench_ingest.add_argument("--workdir", default="data/bench")
    bench_ingest.add_argument("--json", default=None, help="also save the rows as JSON here")
    bench_ingest.set_defaults(func=_bench_ingest)

    seeds = sub.add_parser("export-seeds", help="write the dbt code-list seeds from code_lists")
    seeds.add_argument("--out", default="dbt_project/seeds")
    seeds.set_defaults(func=_export_seeds)

    link = sub.add_parser("link", help="link records to persons in your own file")
    link_sub = link.add_subparsers(dest="what", required=True)
    link_persons = link_sub.add_parser("persons", help="add a person_key to every row of a CSV or Parquet file")
    link_persons.add_argument("--input", required=True, help="CSV or Parquet with any of first_name, last_name, dob, sex, postcode, address, nhs_number, upn")
    link_persons.add_argument("--output", required=True, help="where to write the rows with person_key (.csv or .parquet)")
    link_persons.add_argument("--match-probability", type=float, default=0.99, help="Splink match probability that links two rows (default 0.99)")
    link_persons.set_defaults(func=_link_persons)

    status = sub.add_parser("status", help="list the warehouse's tables and row counts")
    status.add_argument("--warehouse", default=os.environ.get("HEARTH_WAREHOUSE_PATH", "data/warehouse/hearth.duckdb"))
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
