"""Benchmark a whole round at one or more sizes, against PostgreSQL's own COPY speed.

    python scripts/benchmark.py [--sizes 46565,465650] [--work DIR] [--keep] [--no-run]

For each size: generate the synthetic extract, then time each stage of a round (load,
dbt build, validation, export) as the CLI runs it, one command after another, from cold
(no schemas, no dbt target of an earlier run of the round), with rows per second and
peak memory; then the same round as one `migrate.py run`, from cold as well (what
`./run.sh` does: dbt parses beside the load, the validation and the export run at
once), unless --no-run.
In the same run it times the raw baseline of moving the same data: COPY of the loaded
raw tables into fresh tables (in) and COPY of the marts out in key order (out). It
prints, per stage, for the stages together and for the one `run`, the ratio to that
baseline (COPY in + out; and load to COPY in, export to COPY out).

Peak memory is sampled every 0.1 s while a stage runs: the proportional set size (PSS,
shared pages divided among the processes sharing them, so shared_buffers counts once)
of the CLI and every process it started (dbt, its threads) plus every process of the
PostgreSQL server (backends, parallel workers, background processes), added together;
"CLI RSS" is the largest resident size of the CLI's own process tree (getrusage). A
benchmark, not a test: it prints, it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from psycopg2 import sql

from nhi_migration import db, dbt_runner, layouts, legacy, paths

SCRIPTS = Path(__file__).resolve().parent
# Runs one command and reports the peak resident memory of it and its descendants; the
# command's progress lines go to stderr, each after the seconds since it started.
WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "started = time.perf_counter()\n"
    "child = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, text=True)\n"
    "for line in child.stdout:\n"
    "    print(f'{time.perf_counter() - started:.1f} {line.rstrip()}', file=sys.stderr)\n"
    "code = child.wait()\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'{code} {peak}', file=sys.stderr)\n"
)


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            tree.setdefault(parent, []).append(int(entry))
    return tree


def _descendants(root: int, tree: dict[int, list[int]]) -> list[int]:
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(tree.get(pid, []))
    return found


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def postmaster_pid() -> int | None:
    """The server's postmaster: the parent of this benchmark's own backend."""
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute("select pg_backend_pid()")
        (backend,) = cursor.fetchone()
    try:
        with open(f"/proc/{backend}/stat", encoding="ascii", errors="replace") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError):
        return None  # a server on another machine: its memory is not ours to see


class MemorySampler(threading.Thread):
    """Peak PSS of a process tree plus the PostgreSQL server's processes, together."""

    def __init__(self, root: int, server: int | None) -> None:
        super().__init__(daemon=True)
        self.root, self.server = root, server
        self.peak_kib = 0
        self.peak_at = 0.0  # seconds after the command started
        self.stopping = threading.Event()

    def run(self) -> None:
        started = time.perf_counter()
        while not self.stopping.is_set():
            tree = _children()
            pids = set(_descendants(self.root, tree))
            if self.server:
                pids.update(_descendants(self.server, tree))
            total = sum(_pss_kib(pid) for pid in pids)
            if total > self.peak_kib:
                self.peak_kib, self.peak_at = total, time.perf_counter() - started
            self.stopping.wait(0.1)


SERVER_PID: int | None = None
LAST_OUTPUT = ""
# The progress line with which `migrate.py` ends each stage ("[build] done in 69.8 s").
STAGE_END = re.compile(r"\[(load|build|validate|export)\] .* in [0-9.]+ s")
LAST_PEAK_AT = 0.0


def timed(command: list[str]) -> tuple[float, int, int]:
    """Seconds, peak PSS of everything (MiB) and peak CLI RSS (MiB); raises on failure.
    The command's own output is kept in LAST_OUTPUT (its progress: when each stage of a
    `run` ended), and when the peak came in LAST_PEAK_AT."""
    global LAST_OUTPUT, LAST_PEAK_AT
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", WRAPPER, *command],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = MemorySampler(process.pid, SERVER_PID)
    sampler.start()
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    sampler.stopping.set()
    sampler.join()
    LAST_OUTPUT, LAST_PEAK_AT = stderr, sampler.peak_at
    code, peak_kib = stderr.strip().splitlines()[-1].split()
    if code != "0":
        raise SystemExit(f"benchmark: {' '.join(command[:3])} … failed (exit {code})")
    return elapsed, sampler.peak_kib // 1024, int(peak_kib) // 1024


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


def forget_round(round_id: str) -> None:
    """A round as a user first runs it: no schemas and no dbt target of an earlier run
    (a saved parse of the same round's vars would spare dbt its full parse)."""
    drop_round(round_id)
    shutil.rmtree(paths.round_work_dir(round_id), ignore_errors=True)


def bench(households: int, work: Path, keep: bool, operator: str,
          with_run: bool = True) -> dict:
    round_id = f"BM{households % 10000:04d}"
    extract = work / f"extract-{households}"
    out = work / f"out-{households}"
    shutil.rmtree(extract, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    forget_round(round_id)
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
    round_stages = [name for name in stages if name != "generate"]
    round_seconds = sum(stages[name][0] for name in round_stages)
    round_peak = max(stages[name][1] for name in round_stages)
    base = base_in + base_out
    print(f"  legacy records {records:,}; setup records {written:,} "
          f"({written_bytes / 2**20:,.0f} MiB)")
    print(f"  baseline: COPY in {base_in:.1f} s ({rows_in / base_in:,.0f} rows/s), "
          f"COPY out {base_out:.1f} s ({rows_out / base_out:,.0f} rows/s), "
          f"in + out {base:.1f} s")
    print(f"  {'stage':<10} {'seconds':>9} {'rows/s':>11} {'÷ COPY':>8} {'÷ own':>7} "
          f"{'peak MiB':>9} {'CLI RSS':>8}")
    own = {"load": base_in, "export": base_out}
    for name, (seconds, peak, cli_rss) in stages.items():
        rows = written if name == "export" else records
        ratio = "" if name == "generate" else f"{seconds / base:.1f}×"
        own_ratio = f"{seconds / own[name]:.1f}×" if name in own else ""
        print(f"  {name:<10} {seconds:>9.1f} {rows / seconds:>11,.0f} {ratio:>8} "
              f"{own_ratio:>7} {peak:>9,} {cli_rss:>8,}")
    print(f"  {'round':<10} {round_seconds:>9.1f} {records / round_seconds:>11,.0f} "
          f"{round_seconds / base:>7.1f}× {'':>7} {round_peak:>9,}"
          "   (load + build + validate + export)")
    print(f"  ratio of the stages one by one / raw COPY in + out: {round_seconds / base:.1f}× "
          f"(target at most 8×); peak memory {round_peak:,} MiB (Python, dbt and "
          "PostgreSQL together, PSS)", flush=True)
    run_figures = None
    if with_run:
        # The same round as one command (what run.sh does), from cold as well: its
        # dbt parse runs beside its load.
        run_id = f"BR{households % 10000:04d}"
        run_out = work / f"out-run-{households}"
        forget_round(run_id)
        shutil.rmtree(run_out, ignore_errors=True)
        run_figures = timed([*cli, "run", "--input", str(extract), *params[2:], "--round",
                             run_id, "--out", str(run_out)])
        seconds, peak, cli_rss = run_figures
        ends = [(line.split(" ", 1)[0], found.group(1)) for line in LAST_OUTPUT.splitlines()
                if (found := STAGE_END.match(line.split(" ", 1)[-1]))]
        print("  the run's stages ended at (seconds after it started): "
              + ", ".join(f"{stage} {at}" for at, stage in ends)
              + f"; its memory peaked at {LAST_PEAK_AT:.1f}", flush=True)
        print(f"  {'run':<10} {seconds:>9.1f} {records / seconds:>11,.0f} "
              f"{seconds / base:>7.1f}× {'':>7} {peak:>9,} {cli_rss:>8,}"
              f"   (migrate.py run, one command, round {run_id})")
        print(f"  ratio of the whole round as one run / raw COPY in + out: "
              f"{seconds / base:.1f}× (target at most 8×); peak memory {peak:,} MiB",
              flush=True)
        forget_round(run_id)
        shutil.rmtree(run_out, ignore_errors=True)
    if not keep:
        drop_round(round_id)
        shutil.rmtree(extract, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
    return {"households": households, "stages": stages, "round_seconds": round_seconds,
            "baseline": (base_in, base_out), "peak_mib": round_peak, "run": run_figures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="46565,465650",
                        help="comma-separated household counts (default %(default)s)")
    parser.add_argument("--work", type=Path, default=None,
                        help="folder for extracts and packages (default: a temporary one)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the extracts, packages and schemas afterwards")
    parser.add_argument("--no-run", action="store_true",
                        help="time only the stages one by one, not the same round as one "
                             "`migrate.py run` (round BR…) after them")
    parser.add_argument("--operator", default="V001",
                        help="designated vendor handler (default %(default)s of the handlers "
                             "file in NHI_HANDLERS, else handlers.example.yml)")
    args = parser.parse_args(argv)
    os.environ.setdefault("NHI_HANDLERS", str(SCRIPTS.parent / "handlers.example.yml"))
    global SERVER_PID
    print(f"database: {db.ensure_server()}")
    SERVER_PID = postmaster_pid()
    work = args.work or Path(tempfile.mkdtemp(prefix="nhi-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    for size in (int(s) for s in args.sizes.split(",")):
        bench(size, work, args.keep, args.operator, not args.no_run)
    if args.work is None and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
