"""The command line (``scripts/migrate.py``, or ``nhi-migrate`` once installed): one
command for a whole extraction round, and one subcommand per step.

    python scripts/migrate.py run --input DIR --round ROUND --as-of YYYY-MM-DD \\
        --expected-households N --out DIR

Run ``python scripts/migrate.py --help`` (or ``<subcommand> --help``) for the rest.
Every message names keys, counts and files only, never a resident's data.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import difflib
import json
import os
import re
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import psycopg2

from . import (
    audit,
    compare,
    db,
    dbt_runner,
    erase,
    export,
    handlers,
    hashing,
    layouts,
    load,
    locks,
    overflow,
    paths,
    pgcluster,
    refused,
    report,
    seeds,
    state,
    validate,
    validation_report,
    verify_pack,
)


class Refusal(refused.Refused):
    """A one-line reason the command stops (exit code 1)."""


class UsageError(Refusal):
    """The command line itself is wrong: one line saying what and how to get help."""


class Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one audited ``REFUSED:`` line (exit 1), not a usage dump."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self.add_argument("-h", "--help", action="help",
                          help="この説明を表示して終わる。Show this help and exit")

    def error(self, message: str) -> NoReturn:
        hint = _closest_option(self, message)
        if "required" in message and "--operator" in message:
            hint += ("; this command handles personal data: give --operator ID (a handler "
                     "the ward designated in its handlers file)")
        raise UsageError(f"{self.prog}: {message}{hint}. See `{self.prog} --help`")

    def parse_args(self, args=None, namespace=None):  # type: ignore[override]
        """Name a mistyped option first: argparse would only say what is missing."""
        words = list(sys.argv[1:] if args is None else args)
        command = next((w for w in words if not w.startswith("-")), None)
        choices = next((a.choices for a in self._actions
                        if isinstance(a, argparse._SubParsersAction)), {})
        if command in choices:
            sub = choices[command]
            known = {o for action in sub._actions for o in action.option_strings}
            known |= {o for action in self._actions for o in action.option_strings}
            for word in words:
                option = word.split("=", 1)[0]
                if option.startswith("--") and option not in known:
                    sub.error(f"unrecognized arguments: {option}")
        return super().parse_args(args, namespace)


def _closest_option(parser: argparse.ArgumentParser, message: str) -> str:
    """", did you mean --input?" for a mistyped flag or subcommand, else ""."""
    unknown = re.findall(r"(?:unrecognized arguments|invalid choice): '?(\S+?)'?(?:\s|$|\()",
                         message)
    known = [option for action in parser._actions for option in action.option_strings]
    known += [choice for action in parser._actions
              if isinstance(action, argparse._SubParsersAction) for choice in action.choices]
    for word in unknown:
        close = difflib.get_close_matches(word.split("=")[0], known, n=1, cutoff=0.6)
        if close:
            return f" (did you mean {close[0]}?)"
    return ""


def say(message: str) -> None:
    print(message, flush=True)


def round_id(text: str) -> str:
    try:
        return paths.check_round(text)
    except paths.BadRound as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def as_of_date(text: str) -> str:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            "基準日 (as-of date) must be a real date written YYYY-MM-DD") from None
    today = dt.date.today()
    if day > today:
        raise argparse.ArgumentTypeError(
            f"基準日 (as-of date) {day.isoformat()} is after today ({today.isoformat()}): the "
            "extract cannot have been taken on a day that has not come; give the day it "
            "was taken")
    return day.isoformat()


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError("must be a positive whole number")
    return int(text)


def check_out_folder(out: Path) -> None:
    """Refuse, before the round starts, an output folder the package cannot be written to.

    The package is written beside ``out`` first (``.<name>.incomplete``) and renamed, so
    ``out``'s parent must be a folder the tool can write (or create), and ``out`` must be a
    folder or not exist yet.
    """
    if out.exists() and not out.is_dir():
        raise Refusal(f"--out {out} is a file, not a folder: give a folder for the package "
                      "(it is created when missing)")
    ancestor = out.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise Refusal(f"--out {out}: {ancestor} is a file, so no folder can be made below it: "
                      "give a folder for the package")
    read_only = bool(os.statvfs(ancestor).f_flag & os.ST_RDONLY)
    if read_only or not _can_create_folder_in(ancestor):
        raise Refusal(f"--out {out}: the tool cannot write in {ancestor}"
                      f"{' (a read-only file system)' if read_only else ''}: give a folder "
                      "you can write to")


def _can_create_folder_in(folder: Path) -> bool:
    """Try it (permissions, ACLs, immutable folders and root on NFS all decide): a probe
    folder is made and removed at once."""
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".nhi-write-probe-", dir=folder))
        return True
    except OSError:
        return False


def parameters_from(args: argparse.Namespace) -> dbt_runner.RoundParameters:
    return dbt_runner.RoundParameters(round_id=args.round, as_of=args.as_of,
                                      expected_households=args.expected_households)


def receipt_path(round_id_: str) -> Path:
    return paths.round_work_dir(round_id_) / "validation.json"


def gx_dir(round_id_: str) -> Path:
    return paths.round_work_dir(round_id_) / "gx"


def read_project(round_id_: str) -> layouts.Project:
    manifest = dbt_runner.target_dir(round_id_) / "manifest.json"
    if not manifest.is_file():
        raise Refusal(f"round {round_id_} has not been built: run `migrate.py build` first")
    return layouts.read_project(manifest)


# --- steps --------------------------------------------------------------------------
def cmd_db(args: argparse.Namespace, fields: dict) -> None:
    if args.action == "env":
        # For shell scripts: eval "$(python scripts/migrate.py db env)". Starts the
        # embedded cluster unless a server is configured; prints its variables.
        embedded = not pgcluster.external_server_configured()
        print(f"# {db.ensure_server()}", file=sys.stderr)
        if embedded:
            for key in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE", pgcluster.EMBEDDED_MARKER):
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
        operator = handlers.authorise(handlers.handlers_path(args.handlers), args.operator,
                                      "db-destroy")
        fields.update({"operator": operator.id, "role": operator.role,
                       "role_label": operator.role_label})
        confirm_destroy(cluster.root, args.yes)
        if cluster.root.exists():
            cluster.destroy()
        pgcluster.forget_cluster()
        say(f"embedded cluster in {cluster.root} removed (専用データベースを削除しました)")


def confirm_destroy(root: Path, yes: bool) -> None:
    """Ask before the whole cluster goes (every round in it), unless --yes was given."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise Refusal("db destroy removes the whole embedded cluster (every round in it): "
                      "there is no terminal to ask, so give --yes to confirm")
    answer = input(f"専用データベース {root} をすべての回次ごと削除します。"
                   "よろしいですか（yes と入力）/ Remove the whole cluster? [yes/no]: ")
    if answer.strip().lower() != "yes":
        raise Refusal("db destroy was not confirmed: nothing was removed")


def step_load(input_dir: Path, round_id_: str, audit_fields: dict) -> load.LoadReport:
    say(f"[load] {input_dir} → round {round_id_}")
    try:
        result = load.load(input_dir, round_id_, progress=say)
    except load.LoadError as exc:
        raise Refusal(f"load refused, the database is unchanged: {exc}") from None
    hashes = {f.file: f.sha256 for f in result.files}
    state.record_load(round_id_, input_dir, hashes)
    audit_fields.setdefault("inputs", {}).update(hashes)
    audit_fields.setdefault("counts", {})["legacy_records"] = sum(f.records for f in result.files)
    say(f"[load] {sum(f.records for f in result.files):,} records in "
        f"{result.seconds:.1f} s into schema {result.schema}")
    return result


def build_failures(round_id_: str) -> list[str]:
    """Why the last dbt build failed: node names and safe messages from run_results.json."""
    results_path = dbt_runner.target_dir(round_id_) / "run_results.json"
    if not results_path.is_file():
        return []
    reasons = []
    for result in json.loads(results_path.read_text(encoding="utf-8"))["results"]:
        if result["status"] in ("error", "fail"):
            node = result["unique_id"].split(".", 2)[-1]
            message = (result.get("message") or "").strip().splitlines()
            first = message[0] if message else result["status"]
            if "unmapped legacy code" in (result.get("message") or ""):
                first = next(line.strip() for line in message if "unmapped legacy code" in line)
            elif "Database Error" in first or "database" in first.lower():
                first = (f"database error (details in {paths.round_work_dir(round_id_)}"
                         "/logs, for the vendor engineer)")
            reasons.append(f"{node}: {first[:300]}")
    return reasons


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


def step_build(parameters: dbt_runner.RoundParameters) -> None:
    say(f"[build] dbt build for round {parameters.round_id} (基準日 {parameters.as_of})")
    started = time.perf_counter()
    receipt_path(parameters.round_id).unlink(missing_ok=True)
    code = dbt_runner.run_dbt(["build"], parameters, output=without_database_text(say))
    if code != 0:
        if not server_answers():
            raise Refusal(f"dbt build of round {parameters.round_id} stopped: "
                          + SERVER_STOPPED)
        reasons = build_failures(parameters.round_id)
        raise Refusal("dbt build failed, nothing is exported: "
                      + ("; ".join(reasons[:5]) if reasons else f"exit code {code}"))
    say(f"[build] done in {time.perf_counter() - started:.1f} s")


def server_answers() -> bool:
    """True when the database server still accepts a connection and a query."""
    try:
        with db.connect() as connection, connection.cursor() as cursor:
            cursor.execute("select 1")
        return True
    except psycopg2.OperationalError:
        return False


def refusal_details(project: layouts.Project, parameters: dbt_runner.RoundParameters) -> list[str]:
    """Facts that explain a failed validation: counts, codes and keys only."""
    details = []
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f"select count(*) from {project.relations['kt010_households']}")
        (households,) = db.fetch_one(cursor)
        if households != parameters.expected_households:
            details.append(f"KT010 holds {households:,} households, --expected-households "
                           f"is {parameters.expected_households:,}")
        cursor.execute(
            f"select category, table_name, count(*), "
            f"string_agg(legacy_key, ' ' order by legacy_key) filter (where table_name = 'SETAI') "
            f"from {project.relations['exceptions']} where severity = 'ERROR' "
            f"group by 1, 2 order by 1, 2")
        for category, table, count, setai_keys in cursor.fetchall():
            keys = f" (SETAI_NO {' '.join(setai_keys.split()[:10])})" if setai_keys else ""
            details.append(f"EXCEPTIONS ERROR {category} {table}: {count:,}{keys}")
    return details


def validation_refusal(project: layouts.Project, parameters: dbt_runner.RoundParameters,
                       failed: list[str]) -> str:
    """The one line for a failed validation: the cause staff can act on, first."""
    heading = f"validation failed ({len(failed)} expectation(s))"
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f"select count(*) from {project.relations['kt010_households']}")
        (households,) = db.fetch_one(cursor)
    if households != parameters.expected_households:
        return (f"{heading}: KT010 holds {households:,} households but --expected-households "
                f"is {parameters.expected_households:,}. Check the ward's figure; if it is "
                "right, ward staff see which households differ with `migrate.py verify-pack "
                f"--round {parameters.round_id}` (every household named in the exceptions, "
                "EXCEPTIONS.csv of the package) before the round is run again")
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


def step_validate(parameters: dbt_runner.RoundParameters) -> dict:
    say(f"[validate] Great Expectations checkpoint for round {parameters.round_id}")
    started = time.perf_counter()
    project = read_project(parameters.round_id)
    facts = validate.round_facts(project)
    arguments = validate.RoundFacts(parameters.round_id, parameters.as_of,
                                    parameters.expected_households,
                                    facts.is_production, facts.dbt_invocation_id)
    result = validate.run_gate(project, arguments, gx_dir(parameters.round_id), progress=say)
    validate.write_receipt(receipt_path(parameters.round_id), facts, result,
                           validate.relation_fingerprint(project))
    say(f"[validate] {result.evaluated - len(result.failed)} of {result.evaluated} "
        f"expectations met in {time.perf_counter() - started:.1f} s; report for staff: "
        f"{result.page}")
    if not result.success:
        for line in result.failed[:20]:
            say(f"  FAILED {line}")
        for line in refusal_details(project, parameters):
            say(f"  {line}")
        raise Refusal(validation_refusal(project, parameters, result.failed))
    return json.loads(receipt_path(parameters.round_id).read_text(encoding="utf-8"))


def build_basis(project: layouts.Project, round_id_: str, receipt: dict) -> dict:
    """The build and validation the package rests on, without ids or times (deterministic)."""
    results = json.loads((dbt_runner.target_dir(round_id_) / "run_results.json")
                         .read_text(encoding="utf-8"))
    statuses = [r["status"] for r in results["results"]]
    return {
        "dbt": {"command": "build", "dbt_version": project.dbt_version,
                "project_checksum": project.project_checksum,
                "nodes": len(statuses),
                "nodes_passed": sum(s in ("success", "pass") for s in statuses)},
        "validation": {"engine": "great_expectations", "result_format": "BOOLEAN_ONLY",
                       "expectations_evaluated": receipt["expectations_evaluated"],
                       "expectations_failed": receipt["expectations_failed"]},
    }


def step_export(parameters: dbt_runner.RoundParameters, out: Path,
                audit_fields: dict) -> export.Package:
    say(f"[export] package for round {parameters.round_id} → {out}")
    started = time.perf_counter()
    project = read_project(parameters.round_id)
    facts = validate.round_facts(project)
    if (facts.round_id, facts.as_of, facts.expected_households) != (
            parameters.round_id, parameters.as_of, parameters.expected_households):
        raise Refusal("the database holds a build for other round parameters: build and "
                      "validate this round first")
    try:
        receipt = export.check_receipt(receipt_path(parameters.round_id), project,
                                       facts.dbt_invocation_id,
                                       validate.relation_fingerprint(project))
        package = export.export(project, out, build_basis(project, parameters.round_id, receipt),
                                progress=say)
    except export.ExportRefused as exc:
        raise Refusal(f"export refused: {exc}") from None
    manifest_hash = hashing.sha256_file(out / export.MANIFEST)
    state.record_export(parameters.round_id, out, manifest_hash)
    audit_fields.setdefault("outputs", {}).update({f.name: f.sha256 for f in package.files})
    audit_fields["outputs"][export.MANIFEST] = manifest_hash
    audit_fields.setdefault("counts", {}).update(
        {f.name: f.records for f in package.files if f.name.endswith(".dat")})
    say(f"[export] {len(package.files)} files in {time.perf_counter() - started:.1f} s")
    return package


def print_summary(parameters: dbt_runner.RoundParameters, package: export.Package,
                  started: float) -> None:
    project = read_project(parameters.round_id)
    say(f"[summary] 回次 round {parameters.round_id}、基準日 {parameters.as_of}")
    say("  旧テーブルごとの件数（ファイル = 抽出件数表 = 読込 = 突合）"
        " records per legacy table (file = _CONTROL.csv = loaded = accounted):")
    for line in report.format_counts(report.table_counts(parameters.round_id)):
        say(line)
    say("  セットアップファイル setup files:")
    for written in package.files:
        if written.name.endswith(".dat"):
            say(f"    {written.name:<10} {written.records:>10,} records")
    say("  例外の種類ごとの件数（EXCEPTIONS.csv、職員のみ） exceptions by category:")
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f"select category, severity, count(*) from "
                       f"{project.relations['exceptions']} group by 1, 2 order by 1, 2")
        for category, severity, count in cursor.fetchall():
            say(f"    {category:<22} {severity:<8} {count:>8,}")
    say(f"  出力パッケージ package: {package.folder}")
    say(f"  検証結果（日本語、オフラインで開ける） validation report: "
        f"{validation_report.page_path(gx_dir(parameters.round_id))}")
    say(f"[summary] 完了 done in {time.perf_counter() - started:.1f} s")


def refuse_and_clean(out: Path | None, round_id_: str) -> None:
    """A refused run leaves no package in the output folder."""
    if out is None or not out.is_dir():
        return
    try:
        project = read_project(round_id_)
    except Refusal:
        return
    removed = export.remove_package(out, project)
    if removed:
        say(f"  removed the earlier package from {out} ({len(removed)} files)")


def cmd_load(args: argparse.Namespace, fields: dict) -> None:
    say(f"database: {db.ensure_server()}")
    step_load(args.input, args.round, fields)


def check_seeds() -> None:
    """The ward's edited tables, before anything is built (names code, line and fix)."""
    try:
        seeds.check_gaiji_map()
    except seeds.SeedProblem as exc:
        raise Refusal(f"the gaiji map is wrong, nothing was built: {exc}") from None


def cmd_build(args: argparse.Namespace, fields: dict) -> None:
    check_seeds()
    say(f"database: {db.ensure_server()}")
    step_build(parameters_from(args))


def cmd_validate(args: argparse.Namespace, fields: dict) -> None:
    say(f"database: {db.ensure_server()}")
    receipt = step_validate(parameters_from(args))
    fields["counts"] = {"expectations": receipt["expectations_evaluated"]}


def cmd_export(args: argparse.Namespace, fields: dict) -> None:
    check_out_folder(args.out)
    say(f"database: {db.ensure_server()}")
    parameters = parameters_from(args)
    try:
        package = step_export(parameters, args.out, fields)
    except BaseException:  # any failure, not only a refusal, leaves no package behind
        refuse_and_clean(args.out, args.round)
        raise
    say(f"package: {package.folder}")


def cmd_run(args: argparse.Namespace, fields: dict) -> None:
    """A whole round: load → dbt build → validation → export, then the summary."""
    started = time.perf_counter()
    parameters = parameters_from(args)
    check_out_folder(args.out)
    check_seeds()
    say(f"database: {db.ensure_server()}")
    try:
        step_load(args.input, args.round, fields)
        step_build(parameters)
        step_validate(parameters)
        package = step_export(parameters, args.out, fields)
    except BaseException:  # any failure, not only a refusal, leaves no package behind
        refuse_and_clean(args.out, args.round)
        raise
    print_summary(parameters, package, started)


def cmd_compare(args: argparse.Namespace, fields: dict) -> None:
    say(f"database: {db.ensure_server()}")
    try:
        result = compare.compare(args.from_round, args.to_round)
    except compare.CompareError as exc:
        raise Refusal(str(exc)) from None
    for line in compare.format_comparison(result):
        say(line)
    fields.update({"from_round": args.from_round, "to_round": args.to_round,
                   "counts": {"households_added": len(result.added),
                              "households_removed": len(result.removed)}})


def cmd_verify_pack(args: argparse.Namespace, fields: dict) -> None:
    say(f"database: {db.ensure_server()}")
    manifest = dbt_runner.target_dir(args.round) / "manifest.json"
    if not manifest.is_file():
        raise Refusal(f"round {args.round} has not been built here: nothing to verify")
    out = args.out or (paths.round_work_dir(args.round) / "verify"
                       / f"verify-pack-{args.round}.xlsx")
    say(f"[verify-pack] staff workbook for round {args.round} (personal data: staff only)")
    try:
        households, rows = verify_pack.write_pack(args.round, out, progress=say)
    except verify_pack.psycopg2.Error as exc:
        raise Refusal(f"the staff role cannot read the verification views "
                      f"({exc.pgcode or 'connection'}): build the round first") from None
    state.record_created(args.round, out)
    fields["outputs"] = {out.name: hashing.sha256_file(out)}
    fields["counts"] = {"households": households, "field_rows": rows}
    say(f"[verify-pack] {households:,} households, {rows:,} field rows → {out}")


def cmd_erase(args: argparse.Namespace, fields: dict, operator: handlers.Operator) -> None:
    say(f"database: {db.ensure_server()}")
    say(f"[erase] round {args.round}: inventory of what it left on this machine")
    try:
        plan = erase.plan_erasure(args.round, args.delivered, args.force, args.cluster)
    except erase.EraseRefused as exc:
        raise Refusal(f"erase refused: {exc}") from None
    files = [i for i in plan.items if i.kind == "file"]
    say(f"  {len(files):,} files ({sum(i.bytes for i in files):,} bytes), "
        f"{len(plan.schemas)} schemas{', the whole cluster' if plan.cluster else ''}")
    if plan.staging:
        say(f"  {len(plan.staging)} staging folder(s) of an export that did not finish")
    for kept in plan.kept:
        say(f"  kept: {kept}")
    head = audit.head()
    remaining = erase.carry_out(plan)
    organisation = handlers.organisation(handlers.handlers_path(args.handlers))
    html_path, json_path = erase.certificate(plan, operator, organisation, head, remaining,
                                             paths.LOCAL_DIR / "certificates")
    fields["outputs"] = {path.name: hashing.sha256_file(path) for path in (html_path, json_path)}
    fields["counts"] = {"files": len(files), "bytes": sum(i.bytes for i in files),
                        "schemas": len(plan.schemas)}
    if remaining:
        raise Refusal(f"erasure incomplete, still present: {', '.join(remaining)}; "
                      f"see {html_path}")
    say(f"[erase] done; certificate (消去証明書): {html_path} and {json_path.name}")


def cmd_audit(args: argparse.Namespace, fields: dict) -> None:
    if args.action == "verify":
        count, problems = audit.verify()
        for problem in problems:
            say(f"  {problem}")
        if problems:
            raise Refusal(f"the audit log {audit.log_path()} fails verification: "
                          f"{len(problems)} problem(s), first: {problems[0]}")
        say(f"audit log {audit.log_path()}: {count} records, chain intact "
            f"(head {audit.head()})")
    else:
        if not args.round:
            raise Refusal("audit report needs --round ROUND")
        for line in audit.report(args.round):
            say(line)


# --- argument parsing -------------------------------------------------------------------
def add_operator(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument("--operator", metavar="ID", required=required,
                        help="操作する取扱者の ID（区の取扱者ファイルで指定された者）。"
                        "The designated handler running this command (handlers file)")


def add_round(parser: argparse.ArgumentParser, *, full: bool) -> None:
    parser.add_argument("--round", required=True, type=round_id,
                        help="抽出回次（英数字・_・- の 6 文字：TEST01、TEST02、PROD01、PROD02）。"
                        "Extraction round, 6 letters, digits, '_' or '-'")
    if full:
        parser.add_argument("--as-of", required=True, type=as_of_date, metavar="YYYY-MM-DD",
                            help="基準日（抽出した日、今日以前）。The day the extract was taken")
        parser.add_argument("--expected-households", required=True, type=positive_int,
                            metavar="N",
                            help="区の管理件数：KT010 の世帯数がこれと一致しなければ出力しない。"
                            "The ward's control figure for KT010")


def _input(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", required=True, type=Path, metavar="DIR",
                        help="抽出データのフォルダー（SETAI.csv … _CONTROL.csv）。Extract folder")


def _out(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, type=Path, metavar="DIR",
                        help="出力パッケージのフォルダー（なければ作る）。Output package folder")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="migrate.py",
        description="国保滞納整理データの移行：読込 → 変換（dbt build）→ 検証 → 出力。"
        "Move a legacy NHI delinquency extract into the new system's setup data: load → "
        "dbt build → validation → export. Uses the PostgreSQL server named by PG* "
        "variables, or starts the project's own embedded cluster. A command that must not "
        "go on exits 1 with one line REFUSED: … (what, where, what to do).",
    )
    parser.add_argument("--handlers", type=Path, default=None, metavar="FILE",
                        help="区の取扱者ファイル（既定：$NHI_HANDLERS か handlers.yml）。"
                        "The ward's handlers file")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                title="コマンド (commands)")

    def command(name: str, summary: str, function: Callable) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=summary, description=summary)
        p.set_defaults(func=function)
        return p

    p = command("run", "回次の一括実行（読込・変換・検証・出力）。A whole round: load → "
                "build → validate → export", cmd_run)
    _input(p)
    add_round(p, full=True)
    _out(p)
    add_operator(p)

    p = command("load", "抽出データを回次の raw スキーマに読み込む（壊れていれば何も変えない）。"
                "Load an extract into the round's raw schema", cmd_load)
    _input(p)
    add_round(p, full=False)
    add_operator(p)

    p = command("build", "変換（dbt build：モデル・単体テスト・データテスト）。dbt build of "
                "the round", cmd_build)
    add_round(p, full=True)
    add_operator(p)

    p = command("validate", "検証（Great Expectations）。The validation gate on the round's "
                "build", cmd_validate)
    add_round(p, full=True)
    add_operator(p)

    p = command("export", "セットアップデータの出力（検証に合格した build だけ）。Write the "
                "output package (needs a passed validation)", cmd_export)
    add_round(p, full=True)
    _out(p)
    add_operator(p)

    p = command("compare", "2 つの回次の違い（件数・合計・世帯番号）。What changed between "
                "two rounds (keys and counts)", cmd_compare)
    p.add_argument("--from", dest="from_round", required=True, type=round_id, metavar="ROUND",
                   help="比べる元の回次。The earlier round")
    p.add_argument("--to", dest="to_round", required=True, type=round_id, metavar="ROUND",
                   help="比べる先の回次。The later round")
    add_operator(p)

    p = command("verify-pack", "職員検証用ブック（xlsx、職員のみ）。Staff only: the "
                "verification workbook", cmd_verify_pack)
    add_round(p, full=False)
    p.add_argument("--out", type=Path, default=None, metavar="FILE",
                   help="ブックの保存先（既定：回次の作業フォルダー）。Where to write the workbook")
    add_operator(p)

    p = command("erase", "回次がこの機械に残したものを消去し、消去証明書を作る。Erase what the "
                "round left here; certificate of erasure", cmd_erase)
    add_round(p, full=False)
    p.add_argument("--delivered", type=Path, default=None, metavar="MANIFEST",
                   help="区が受け取った manifest.json（出力フォルダーの外にある写し）。The "
                   "package's manifest.json as the ward received it")
    p.add_argument("--force", action="store_true",
                   help="受領の確認なしに出力パッケージも消去する。Erase the package though "
                   "its delivery is not confirmed")
    p.add_argument("--cluster", action="store_true",
                   help="専用の PostgreSQL クラスタ全体も消去する。Also erase the whole "
                   "embedded cluster")
    add_operator(p)

    p = command("audit", "監査ログの検証（verify）、回次の取扱記録の報告（report）。Verify the "
                "audit log, or report a round's handling", cmd_audit)
    p.add_argument("action", choices=("verify", "report"),
                   help="verify：改ざんの検査、report：取扱記録の報告（--round が必要）")
    p.add_argument("--round", type=round_id, default=None,
                   help="報告する回次（report のとき）。The round to report")
    add_operator(p, required=False)

    p = command("db", "専用データベースの起動・停止・状態・削除。Start, stop, inspect or "
                "remove the embedded cluster", cmd_db)
    p.add_argument("action", choices=("start", "stop", "status", "destroy", "env"),
                   help="start 起動、stop 停止、status 状態、destroy 削除（取扱責任者のみ、"
                   "確認あり）、env シェル用の環境変数を表示")
    p.add_argument("--operator", metavar="ID", default=None,
                   help="destroy のとき：取扱責任者の ID。For destroy: the responsible "
                   "person's ID")
    p.add_argument("--yes", action="store_true",
                   help="destroy の確認を省く（端末がないとき）。Confirm destroy without asking")
    return parser


def audit_command_name(args: argparse.Namespace) -> str:
    if args.command == "audit":
        return f"audit-{args.action}"
    if args.command == "db" and args.action == "destroy":
        return "db-destroy"
    return args.command


def unexpected_error(exc: BaseException) -> str:
    """One line for an error the tool did not foresee: its type and where it arose.

    The error's own text is left out: a database or library message may quote a value
    from a record, and this line reaches the terminal and the audit log. The place named
    is the tool's own frame nearest the failure, not a line inside a library.
    """
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    own = [f for f in frames if _is_own_code(f.filename)]
    nearest = own or frames
    where = f" at {Path(nearest[-1].filename).name}:{nearest[-1].lineno}" if nearest else ""
    code = getattr(exc, "pgcode", None)
    sqlstate = f" (SQLSTATE {code})" if code else ""
    return (f"unexpected {type(exc).__name__}{sqlstate}{where}; its text is withheld because "
            "it may quote personal data, and nothing was exported. Rerun the step; if it "
            "fails again, report this line (it holds no data) to the tool's maintainers")


def _is_own_code(filename: str) -> bool:
    path = Path(filename).resolve()
    return SCRIPTS_DIR in path.parents and ".venv" not in path.parts


SCRIPTS_DIR = Path(__file__).resolve().parents[1]  # the tool's own code: scripts/


def _command_words(argv: list[str]) -> dict[str, str]:
    """What an audit record can say of a command line argparse refused: the command and
    the operator when they are recognisable (nothing else is taken from it)."""
    fields = {"command": "-", "operator": "-"}
    commands = {"run", "load", "build", "validate", "export", "compare", "verify-pack",
                "erase", "audit", "db"}
    words = [w for w in argv if not w.startswith("-")]
    if words and words[0] in commands:
        fields["command"] = words[0]
    for index, word in enumerate(argv):
        value = (argv[index + 1] if word == "--operator" and index + 1 < len(argv)
                 else word.split("=", 1)[1] if word.startswith("--operator=") else None)
        if value and handlers.OPERATOR_ID.fullmatch(value):
            fields["operator"] = value
    return fields


ROUND_COMMANDS = ("load", "build", "validate", "export", "run", "verify-pack", "erase")


@contextlib.contextmanager
def round_in_use(args: argparse.Namespace) -> Iterator[None]:
    """Hold the round's lock for the command (commands that change or read a round)."""
    if args.command not in ROUND_COMMANDS:
        yield
        return
    twin = paths.case_twin(args.round)
    if twin:
        raise Refusal(f"round {args.round} differs only in case from round {twin} on this "
                      "machine; schemas are named in lower case, so they would share them: "
                      f"use {twin}, or another name")
    with locks.round_lock(args.round):
        yield


def database_stopped(exc: BaseException) -> bool:
    """True when the error is the server going away (stopped, crashed, killed)."""
    return isinstance(exc, psycopg2.OperationalError) and exc.pgcode in (None, "57P01",
                                                                         "57P02", "57P03")


SERVER_STOPPED = ("the database server stopped or cannot be reached (it was shut down, "
                  "crashed, or the machine is short of memory or disk); nothing was "
                  "exported. Start it again (`migrate.py db start` for the embedded cluster) "
                  "and rerun the round: rerunning is safe, each step replaces what the "
                  "last one left")


def main(argv: list[str] | None = None) -> int:
    """Parse, check the operator, run, and append one audit record whatever the outcome."""
    argv = sys.argv[1:] if argv is None else argv
    fields: dict = _command_words(argv)
    code, reason = 0, ""
    try:
        args = build_parser().parse_args(argv)
        fields = {"command": audit_command_name(args),
                  "operator": getattr(args, "operator", None) or "-"}
        for name in ("round", "as_of"):
            if getattr(args, name, None):
                fields[name] = getattr(args, name)
        operator = None
        if args.command in handlers.PERSONAL_DATA_COMMANDS:
            operator = handlers.authorise(handlers.handlers_path(args.handlers),
                                          args.operator, args.command)
            fields.update({"role": operator.role, "role_label": operator.role_label})
        with round_in_use(args):
            if args.command == "erase":
                args.func(args, fields, operator)
            else:
                args.func(args, fields)
    except refused.Refused as exc:
        code, reason = 1, str(exc)
        print(f"REFUSED: {exc}", file=sys.stderr, flush=True)
    except pgcluster.ClusterError as exc:
        code, reason = 2, str(exc)
        print(f"DATABASE: {exc}", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        code, reason = 130, "interrupted"
        print("interrupted", file=sys.stderr)
    except BrokenPipeError:  # the output was piped into a command that stopped reading
        sys.stderr.close()
        code, reason = 141, "output closed"
    except Exception as exc:  # noqa: BLE001 - reported without its text, which may hold data
        if database_stopped(exc):
            code, reason = 1, SERVER_STOPPED
            print(f"REFUSED: {reason}", file=sys.stderr, flush=True)
        else:
            code, reason = 3, unexpected_error(exc)
            print(f"ERROR: {reason}", file=sys.stderr, flush=True)
    fields["outcome"] = "ok" if code == 0 else "refused"
    if reason:
        fields["reason"] = reason[:500]
    audit.append(fields)
    return code


if __name__ == "__main__":
    sys.exit(main())
