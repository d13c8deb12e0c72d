"""One command for a whole extraction round, and one subcommand per step.

    python scripts/migrate.py run --input DIR --round ROUND --as-of YYYY-MM-DD \\
        --expected-households N --out DIR

Run ``python scripts/migrate.py --help`` (or ``<subcommand> --help``) for the rest.
Every message names keys, counts and files only, never a resident's data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nhi_migration import db, dbt_runner, load, pgcluster, report  # noqa: E402

ROUND_PATTERN = re.compile(r"[\x21-\x7e]{6}")


class Refusal(Exception):
    """A one-line reason the command stops (exit code 1)."""


def say(message: str) -> None:
    print(message, flush=True)


def round_id(text: str) -> str:
    if not ROUND_PATTERN.fullmatch(text):
        raise argparse.ArgumentTypeError(
            "a round is 6 printable ASCII characters without a space, e.g. TEST01 or PROD01")
    return text


def as_of_date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError("基準日 must be a real date written YYYY-MM-DD") from None


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError("must be a positive whole number")
    return int(text)


# --- steps --------------------------------------------------------------------------
def cmd_db(args: argparse.Namespace) -> None:
    if args.action == "env":
        # For shell scripts: eval "$(python scripts/migrate.py db env)". Starts the
        # embedded cluster unless a server is configured; prints its variables.
        embedded = not pgcluster.external_server_configured()
        print(f"# {db.ensure_server()}", file=sys.stderr)
        if embedded:
            for key in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE"):
                say(f"export {key}={os.environ[key]}")
        return
    if pgcluster.external_server_configured():
        raise Refusal("a server is configured (PG* variables or DBT_PROFILES_DIR): the "
                      "embedded cluster is not used, so there is nothing to "
                      f"{args.action}")
    cluster = pgcluster.locate_cluster()
    if args.action == "start":
        cluster.start()
        say(f"embedded cluster running in {cluster.root}")
        for key, value in cluster.connection_env().items():
            say(f"export {key}={value}")
    elif args.action == "stop":
        cluster.stop()
        say(f"embedded cluster in {cluster.root} stopped")
    elif args.action == "status":
        state = "running" if cluster.is_running() else (
            "stopped" if cluster.is_initialised() else "not created")
        say(f"embedded cluster in {cluster.root}: {state}")
    elif args.action == "destroy":
        if cluster.root.exists():
            cluster.destroy()
        pgcluster.forget_cluster()
        say(f"embedded cluster in {cluster.root} removed")


def step_load(input_dir: Path, round_id_: str) -> load.LoadReport:
    say(f"[load] {input_dir} → round {round_id_}")
    try:
        report = load.load(input_dir, round_id_, progress=say)
    except load.LoadError as exc:
        raise Refusal(f"load refused, the database is unchanged: {exc}") from None
    say(f"[load] {sum(f.records for f in report.files):,} records in "
        f"{report.seconds:.1f} s into schema {report.schema}")
    return report


def cmd_load(args: argparse.Namespace) -> None:
    say(f"database: {db.ensure_server()}")
    step_load(args.input, args.round)


def step_build(parameters: dbt_runner.RoundParameters) -> None:
    say(f"[build] dbt build for round {parameters.round_id} (基準日 {parameters.as_of})")
    started = time.perf_counter()
    code = dbt_runner.run_dbt(["build"], parameters, output=lambda line: say(f"  {line}"))
    if code != 0:
        raise Refusal(f"dbt build failed (exit code {code}); the messages above name the "
                      "model or test; nothing is exported")
    say(f"[build] done in {time.perf_counter() - started:.1f} s")


def cmd_build(args: argparse.Namespace) -> None:
    say(f"database: {db.ensure_server()}")
    step_build(parameters_from(args))


def cmd_run(args: argparse.Namespace) -> None:
    """A whole round: load → dbt build, then the per-table counts."""
    started = time.perf_counter()
    say(f"database: {db.ensure_server()}")
    step_load(args.input, args.round)
    step_build(parameters_from(args))
    counts = report.table_counts(args.round)
    say("[summary] records per legacy table (file as read, _CONTROL.csv, staging model):")
    for line in report.format_counts(counts):
        say(line)
    if not all(c.balanced for c in counts):
        raise Refusal("record counts differ between the files, _CONTROL.csv and the database")
    say(f"[summary] round {args.round} done in {time.perf_counter() - started:.1f} s")


def parameters_from(args: argparse.Namespace) -> dbt_runner.RoundParameters:
    return dbt_runner.RoundParameters(round_id=args.round, as_of=args.as_of,
                                      expected_households=args.expected_households)


# --- argument parsing -------------------------------------------------------------------
def add_round(parser: argparse.ArgumentParser, *, full: bool) -> None:
    parser.add_argument("--round", required=True, type=round_id,
                        help="extraction round, 6 characters: TEST01, TEST02, PROD01, PROD02")
    if full:
        parser.add_argument("--as-of", required=True, type=as_of_date,
                            help="基準日 (the day the extract was taken), YYYY-MM-DD")
        parser.add_argument("--expected-households", required=True, type=positive_int,
                            help="the ward's control figure: KT010 must hold exactly this many")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="migrate.py",
        description="Move a legacy NHI delinquency extract into the new system's setup "
        "data: load → dbt build → validation → export. Uses the PostgreSQL server named "
        "by PG* variables, or starts the project's own embedded cluster.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="a whole round: load → build (→ validate → export)")
    p.add_argument("--input", required=True, type=Path, help="extract directory")
    add_round(p, full=True)
    p.add_argument("--out", required=True, type=Path, help="output package directory")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("db", help="start, stop, inspect or remove the embedded cluster")
    p.add_argument("action", choices=("start", "stop", "status", "destroy", "env"),
                   help="env: start unless a server is configured, print shell exports")
    p.set_defaults(func=cmd_db)

    p = sub.add_parser("load", help="load an extract directory into the round's raw schema")
    p.add_argument("--input", required=True, type=Path, help="extract directory")
    add_round(p, full=False)
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("build", help="dbt build of the round (models, seeds, tests)")
    add_round(p, full=True)
    p.set_defaults(func=cmd_build)
    return parser


def main(argv: list[str] | None = None,
         run: Callable[[argparse.Namespace], None] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        (run or args.func)(args)
    except Refusal as exc:
        print(f"REFUSED: {exc}", file=sys.stderr, flush=True)
        return 1
    except pgcluster.ClusterError as exc:
        print(f"DATABASE: {exc}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
