"""``migrate.py validate`` (and the third step of ``run``): the Great Expectations gate on
the round's build, its receipt for export, and — when it fails — the one line naming the
cause staff can act on first (the household count, out-of-range rows, the expectations)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from .. import db, dbt_runner, layouts, overflow, paths
from ..validation.checks import RoundFacts
from ..validation.database import round_facts
from ..validation.gx_runner import run_gate
from ..validation.receipt import relation_fingerprint, write_receipt
from .common import StepRefused, gx_dir, read_project, receipt_path, say


def command(parameters: dbt_runner.RoundParameters, audit_fields: dict) -> None:
    say(f"database: {db.ensure_server()}")
    receipt = step(parameters)
    audit_fields["counts"] = {"expectations": receipt["expectations_evaluated"]}


def step(parameters: dbt_runner.RoundParameters,
         fingerprint: Future[dict[str, str]] | None = None) -> dict:
    """Run the gate; return the receipt it wrote, or refuse naming why it failed.
    ``fingerprint``: the marts' fingerprint being taken by the caller (``run``), else
    taken here."""
    say(f"[validate] Great Expectations checkpoint for round {parameters.round_id}")
    started = time.perf_counter()
    project = read_project(parameters.round_id)
    facts = round_facts(project)
    arguments = RoundFacts(parameters.round_id, parameters.as_of,
                           parameters.expected_households,
                           facts.is_production, facts.dbt_invocation_id)
    # The marts' fingerprint is taken while GX loads (seconds of Python on one core, the
    # server idle) and is complete before the first expectation reads a mart: any change
    # after it, during the checks too, makes the exporter refuse.
    with ThreadPoolExecutor(max_workers=1) as pool:
        if fingerprint is None:
            fingerprint = pool.submit(relation_fingerprint, project)
        result = run_gate(project, arguments, gx_dir(parameters.round_id), progress=say,
                          before_checks=fingerprint.result)
    write_receipt(receipt_path(parameters.round_id), facts, result, fingerprint.result())
    say(f"[validate] {result.evaluated - len(result.failed)} of {result.evaluated} "
        f"expectations met in {time.perf_counter() - started:.1f} s; report for staff: "
        f"{result.page}")
    if not result.success:
        for line in result.failed[:20]:
            say(f"  FAILED {line}")
        raise StepRefused(refusal(project, parameters, result.failed))
    return json.loads(receipt_path(parameters.round_id).read_text(encoding="utf-8"))


def refusal(project: layouts.Project, parameters: dbt_runner.RoundParameters,
            failed: list[str]) -> str:
    """Print the facts behind a failed validation; return its one line."""
    households = household_count(project)
    for line in detail_lines(households, parameters.expected_households,
                             error_exceptions(project)):
        say(f"  {line}")
    heading = f"validation failed ({len(failed)} expectation(s))"
    if households != parameters.expected_households:
        return household_refusal(heading, households, parameters)
    offences = overflow.find(project)
    if offences:
        listing = paths.round_work_dir(parameters.round_id) / "out-of-range-rows.csv"
        overflow.write_list(offences, listing)
        for offence in offences[:200]:
            say(f"  OUT OF RANGE {offence.file_id}.{offence.field} ← {offence.where()}")
        return (f"{heading}: {overflow.summary(offences)}. Every row is listed (keys and "
                f"lines only) in {listing}; ward staff correct those rows in the legacy "
                "system and take the extract again")
    return f"{heading}: " + "; ".join(failed[:3])


# --- the database's facts ----------------------------------------------------------------
def household_count(project: layouts.Project) -> int:
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f"select count(*) from {project.households.relation}")
        (households,) = db.fetch_one(cursor)
    return int(households)


def error_exceptions(project: layouts.Project) -> list[tuple[str, str, int, str | None]]:
    """(category, legacy table, rows, the SETAI keys when the table is SETAI) of each
    ERROR exception, by category and table."""
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(
            f"select category, table_name, count(*), "
            f"string_agg(legacy_key, ' ' order by legacy_key) filter (where table_name = 'SETAI') "
            f"from {project.relations['exceptions']} where severity = 'ERROR' "
            f"group by 1, 2 order by 1, 2")
        return list(cursor.fetchall())


# --- the words (pure) ----------------------------------------------------------------------
def detail_lines(households: int, expected: int,
                 exceptions: Iterable[tuple[str, str, int, str | None]]) -> list[str]:
    """Facts that explain a failed validation: counts, codes and keys only (at most ten
    household numbers per category)."""
    details = []
    if households != expected:
        details.append(f"KT010 holds {households:,} households, --expected-households "
                       f"is {expected:,}")
    for category, table, count, setai_keys in exceptions:
        keys = f" (SETAI_NO {' '.join(setai_keys.split()[:10])})" if setai_keys else ""
        details.append(f"EXCEPTIONS ERROR {category} {table}: {count:,}{keys}")
    return details


def household_refusal(heading: str, households: int,
                      parameters: dbt_runner.RoundParameters) -> str:
    """KT010 does not hold the ward's figure: both figures and the next step."""
    return (f"{heading}: KT010 holds {households:,} households but --expected-households "
            f"is {parameters.expected_households:,}. Check the ward's figure; if it is "
            "right, ward staff see which households differ with `migrate.py verify-pack "
            f"--round {parameters.round_id}` (every household named in the exceptions, "
            "EXCEPTIONS.csv of the package) before the round is run again")
