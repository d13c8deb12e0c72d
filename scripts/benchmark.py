"""Benchmark a whole round at one or more sizes, against PostgreSQL's own COPY speed.

    python scripts/benchmark.py [--sizes 46565,465650] [--work DIR] [--keep]

For each size: generate the synthetic extract, then time each stage of a round (load,
dbt build, validation, export) as the CLI runs it, with rows per second and the peak
memory of the Python and dbt processes. In the same run it times the raw baseline of
moving the same data: COPY of the loaded raw tables into fresh tables (in) and COPY of
the marts out in key order (out). It prints the figures and the ratio of the whole
round to that baseline. A benchmark, not a test: it prints, it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from psycopg2 import sql

from nhi_migration import db, dbt_runner, layouts, legacy

SCRIPTS = Path(__file__).resolve().parent
# Runs one command and reports the peak resident memory of it and its descendants.
WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'{code} {peak}', file=sys.stderr)\n"
)


def timed(command: list[str]) -> tuple[float, int]:
    """Seconds and peak RSS (MiB) of a command; raises if it fails."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", WRAPPER, *command],
                            capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    code, peak_kib = result.stderr.strip().splitlines()[-1].split()
    if code != "0":
        raise SystemExit(f"benchmark: {' '.join(command[:3])} … failed (exit {code})")
    return elapsed, int(peak_kib) // 1024


def baseline(round_id: str) -> tuple[float, float, int, int]:
    """COPY in of the raw tables and COPY out of the marts: seconds and rows each way."""
    raw = db.schema_name(round_id, "raw")
    scratch = f"{round_id.lower()}_baseline"
    rows_in = rows_out = 0
    seconds_in = seconds_out = 0.0
    with tempfile.TemporaryDirectory() as folder, db.connect() as connection:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("drop schema if exists {} cascade; create schema {}").format(
                sql.Identifier(scratch), sql.Identifier(scratch)))
            for table in legacy.data_tables():
                dump = Path(folder) / f"{table.name}.copy"
                with dump.open("w", encoding="utf-8") as handle:
                    cursor.copy_expert(sql.SQL("copy {}.{} to stdout").format(
                        sql.Identifier(raw), sql.Identifier(table.name)).as_string(cursor), handle)
                cursor.execute(sql.SQL("create table {}.{} (like {}.{})").format(
                    sql.Identifier(scratch), sql.Identifier(table.name),
                    sql.Identifier(raw), sql.Identifier(table.name)))
                started = time.perf_counter()
                with dump.open("r", encoding="utf-8") as handle:
                    cursor.copy_expert(sql.SQL("copy {}.{} from stdin").format(
                        sql.Identifier(scratch), sql.Identifier(table.name)).as_string(cursor),
                        handle)
                seconds_in += time.perf_counter() - started
                rows_in += cursor.rowcount
            project = layouts.read_project(dbt_runner.target_dir(round_id) / "manifest.json")
            for layout in project.layouts:
                started = time.perf_counter()
                with open(os.devnull, "w", encoding="utf-8") as sink:
                    cursor.copy_expert(sql.SQL("copy (select * from {} order by {}) to stdout")
                                       .format(sql.SQL(layout.relation),
                                               sql.SQL(", ").join(sql.Identifier(k)
                                                                  for k in layout.key))
                                       .as_string(cursor), sink)
                seconds_out += time.perf_counter() - started
                rows_out += cursor.rowcount
            cursor.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(scratch)))
    return seconds_in, seconds_out, rows_in, rows_out


def drop_round(round_id: str) -> None:
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute("select nspname from pg_namespace where nspname like %s",
                       (db.round_schema_pattern(round_id),))
        for (schema,) in cursor.fetchall():
            cursor.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(schema)))


def bench(households: int, work: Path, keep: bool, operator: str) -> dict:
    round_id = f"BM{households % 10000:04d}"
    extract = work / f"extract-{households}"
    out = work / f"out-{households}"
    shutil.rmtree(extract, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    python = sys.executable
    cli = [python, str(SCRIPTS / "migrate.py")]
    params = ["--round", round_id, "--as-of", "2017-11-10",
              "--expected-households", str(households), "--operator", operator]
    stages = {}
    print(f"\n== {households:,} households (round {round_id})", flush=True)
    stages["generate"] = timed([python, str(SCRIPTS / "generate_extract.py"), "--out",
                                str(extract), "--households", str(households)])
    control = {line.split(",")[0]: int(line.split(",")[1]) for line in
               (extract / "_CONTROL.csv").read_text(encoding="cp932").splitlines()[1:]}
    records = sum(control.values())
    stages["load"] = timed([*cli, "load", "--input", str(extract), "--round", round_id,
                            "--operator", operator])
    stages["build"] = timed([*cli, "build", *params])
    stages["validate"] = timed([*cli, "validate", *params])
    stages["export"] = timed([*cli, "export", *params, "--out", str(out)])
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    written = sum(f["records"] for name, f in manifest["files"].items() if name.endswith(".dat"))
    written_bytes = sum(f["bytes"] for f in manifest["files"].values())
    base_in, base_out, rows_in, rows_out = baseline(round_id)
    round_seconds = sum(seconds for name, (seconds, _) in stages.items() if name != "generate")
    print(f"  legacy records {records:,}; setup records {written:,} "
          f"({written_bytes / 2**20:,.0f} MiB)")
    print(f"  {'stage':<10} {'seconds':>9} {'rows/s':>11} {'peak MiB':>9}")
    for name, (seconds, peak) in stages.items():
        rows = written if name == "export" else records
        print(f"  {name:<10} {seconds:>9.1f} {rows / seconds:>11,.0f} {peak:>9,}")
    print(f"  {'round':<10} {round_seconds:>9.1f} {records / round_seconds:>11,.0f}"
          "   (load + build + validate + export)")
    print(f"  baseline: COPY in {base_in:.1f} s ({rows_in / base_in:,.0f} rows/s), "
          f"COPY out {base_out:.1f} s ({rows_out / base_out:,.0f} rows/s)")
    print(f"  ratio whole round / raw COPY baseline: {round_seconds / (base_in + base_out):.1f}×",
          flush=True)
    if not keep:
        drop_round(round_id)
        shutil.rmtree(extract, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
    return {"households": households, "stages": stages, "round_seconds": round_seconds,
            "baseline": (base_in, base_out)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="46565,465650",
                        help="comma-separated household counts (default %(default)s)")
    parser.add_argument("--work", type=Path, default=None,
                        help="folder for extracts and packages (default: a temporary one)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the extracts, packages and schemas afterwards")
    parser.add_argument("--operator", default="V001",
                        help="designated vendor handler (default %(default)s of the handlers "
                             "file in NHI_HANDLERS, else handlers.example.yml)")
    args = parser.parse_args(argv)
    os.environ.setdefault("NHI_HANDLERS", str(SCRIPTS.parent / "handlers.example.yml"))
    print(f"database: {db.ensure_server()}")
    work = args.work or Path(tempfile.mkdtemp(prefix="nhi-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    for size in (int(s) for s in args.sizes.split(",")):
        bench(size, work, args.keep, args.operator)
    if args.work is None and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
