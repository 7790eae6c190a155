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
        rows.append({"persons": persons, "seconds": round(seconds, 1), "peak_gib": round(peak_gib, 2),
                     "records": sum(summary.records.values()), "persons_per_second": round(summary.persons / seconds)})
    print("| persons | wall time (s) | peak memory (GiB) | records written | persons/s |")
    print("|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['persons']:,} | {r['seconds']} | {r['peak_gib']} | {r['records']:,} | {r['persons_per_second']:,} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
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
            "select schema_name, table_name from duckdb_tables() order by schema_name, table_name"
        ).fetchall()
        print(f"Warehouse {path}:")
        names = [f"{schema}.{table}" for schema, table in tables]
        width = max(map(len, names), default=0)
        for name in names:
            rows = con.sql(f"select count(*) from {name}").fetchone()[0]
            print(f"  {name:<{width}} {rows:>12,} rows")
        if "quarantine.rejected_rows" in names:
            print("Quarantined rows by table and rule (quarantine.rejected_rows):")
            for table, rule, count in con.sql(
                "select table_name, rule, count(distinct source_file || row_number) from quarantine.rejected_rows group by all order by 1, 3 desc"
            ).fetchall():
                print(f"  {table:<24} {rule:<48} {count:>8,}")
    return 0


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
    status = sub.add_parser("status", help="list the warehouse's tables and row counts")
    status.add_argument("--warehouse", default=os.environ.get("HEARTH_WAREHOUSE_PATH", "data/warehouse/hearth.duckdb"))
    status.set_defaults(func=_status)
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
