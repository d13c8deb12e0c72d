"""``migrate.py build`` (and the second step of ``run``): the ward's gaiji map checked,
then ``dbt build`` of the round; a failure is told by node, without the database's words."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from .. import db, dbt_runner, paths, run_results, seeds
from .common import StepRefused, receipt_path, say


def command(parameters: dbt_runner.RoundParameters) -> None:
    check_seeds()
    say(f"database: {db.ensure_server()}")
    step(parameters)


def check_seeds() -> None:
    """The ward's edited tables, before anything is built (names code, line and fix)."""
    try:
        seeds.check_gaiji_map()
    except seeds.SeedProblem as exc:
        raise StepRefused(f"the gaiji map is wrong, nothing was built: {exc}") from None


def step(parameters: dbt_runner.RoundParameters) -> None:
    raw = db.schema_name(parameters.round_id, "raw")
    if raw not in db.round_schemas(parameters.round_id):
        # dbt would fail at every staging model, naming none of this
        raise StepRefused(f"round {parameters.round_id} has not been loaded (no schema {raw}): "
                          f"run `migrate.py load --input EXTRACT_DIR --round "
                          f"{parameters.round_id}` first")
    say(f"[build] dbt build for round {parameters.round_id} (基準日 {parameters.as_of})")
    started = time.perf_counter()
    receipt_path(parameters.round_id).unlink(missing_ok=True)
    code = dbt_runner.run_dbt(["build"], parameters, output=without_database_text(say))
    if code != 0:
        if not db.server_answers():
            raise StepRefused(f"dbt build of round {parameters.round_id} stopped: "
                              + db.SERVER_STOPPED)
        reasons = failures(parameters.round_id)
        raise StepRefused("dbt build failed, nothing is exported: "
                          + ("; ".join(reasons[:5]) if reasons else f"exit code {code}"))
    say(f"[build] done in {time.perf_counter() - started:.1f} s")


def failures(round_id: str) -> list[str]:
    """Why the round's last dbt build failed: node names and safe messages."""
    results = run_results.read(dbt_runner.target_dir(round_id) / "run_results.json")
    if results is None:
        return []
    return run_results.failures(results, paths.round_work_dir(round_id) / "logs")


DBT_LINE = re.compile(r"\d\d:\d\d:\d\d ")  # each of dbt's own lines starts with the time


def without_database_text(show: Callable[[str], None]) -> Callable[[str], None]:
    """Pass dbt's lines on, except the database's own text after a "Database Error" line.

    PostgreSQL's message (and its DETAIL) may quote a value from a row; dbt prints it
    indented under "Database Error in model …". Those lines are replaced by a pointer.
    """
    hiding = False

    def output(line: str) -> None:
        nonlocal hiding
        if hiding and not DBT_LINE.match(line):
            return  # a continuation line of the error: the database's own words
        hiding = "Database Error" in line
        show(f"  {line}")
        if hiding:
            show("    (the database's message is withheld here: it may quote a value)")

    return output
