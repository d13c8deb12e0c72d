"""One command for a whole extraction round, and one subcommand per step.

    python scripts/migrate.py run --input DIR --round ROUND --as-of YYYY-MM-DD \\
        --expected-households N --out DIR

Run ``python scripts/migrate.py --help`` (or ``<subcommand> --help``) for the rest.
Every message names keys, counts and files only, never a resident's data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nhi_migration import (  # noqa: E402
    audit,
    compare,
    db,
    dbt_runner,
    erase,
    export,
    handlers,
    layouts,
    load,
    paths,
    pgcluster,
    report,
    state,
    validate,
    verify_pack,
)

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
        if cluster.root.exists():
            cluster.destroy()
        pgcluster.forget_cluster()
        say(f"embedded cluster in {cluster.root} removed")


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
        reasons = build_failures(parameters.round_id)
        raise Refusal("dbt build failed, nothing is exported: "
                      + ("; ".join(reasons[:5]) if reasons else f"exit code {code}"))
    say(f"[build] done in {time.perf_counter() - started:.1f} s")


def refusal_details(project: layouts.Project, parameters: dbt_runner.RoundParameters) -> list[str]:
    """Facts that explain a failed validation: counts, codes and keys only."""
    details = []
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f"select count(*) from {project.relations['kt010_households']}")
        (households,) = cursor.fetchone()
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
        f"expectations met in {time.perf_counter() - started:.1f} s; Data Docs: "
        f"{result.data_docs}")
    if not result.success:
        for line in result.failed[:20]:
            say(f"  FAILED {line}")
        for line in refusal_details(project, parameters):
            say(f"  {line}")
        raise Refusal(f"validation failed ({len(result.failed)} expectation(s)): "
                      + "; ".join(result.failed[:3]))
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
    manifest_hash = _sha256(out / export.MANIFEST)
    state.record_export(parameters.round_id, out, manifest_hash)
    audit_fields.setdefault("outputs", {}).update({f.name: f.sha256 for f in package.files})
    audit_fields["outputs"][export.MANIFEST] = manifest_hash
    audit_fields.setdefault("counts", {}).update(
        {f.name: f.records for f in package.files if f.name.endswith(".dat")})
    say(f"[export] {len(package.files)} files in {time.perf_counter() - started:.1f} s")
    return package


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def print_summary(parameters: dbt_runner.RoundParameters, package: export.Package,
                  started: float) -> None:
    project = read_project(parameters.round_id)
    say(f"[summary] round {parameters.round_id}, 基準日 {parameters.as_of}")
    say("  records per legacy table (file = _CONTROL.csv = loaded = accounted):")
    for line in report.format_counts(report.table_counts(parameters.round_id)):
        say(line)
    say("  setup files:")
    for written in package.files:
        if written.name.endswith(".dat"):
            say(f"    {written.name:<10} {written.records:>10,} records")
    say("  exceptions by category (EXCEPTIONS.csv, staff only):")
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f"select category, severity, count(*) from "
                       f"{project.relations['exceptions']} group by 1, 2 order by 1, 2")
        for category, severity, count in cursor.fetchall():
            say(f"    {category:<22} {severity:<8} {count:>8,}")
    say(f"  package: {package.folder}")
    say(f"  validation Data Docs (offline): {gx_dir(parameters.round_id)}/gx/uncommitted/"
        "data_docs/local_site/index.html")
    say(f"[summary] done in {time.perf_counter() - started:.1f} s")


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


def cmd_build(args: argparse.Namespace, fields: dict) -> None:
    say(f"database: {db.ensure_server()}")
    step_build(parameters_from(args))


def cmd_validate(args: argparse.Namespace, fields: dict) -> None:
    say(f"database: {db.ensure_server()}")
    receipt = step_validate(parameters_from(args))
    fields["counts"] = {"expectations": receipt["expectations_evaluated"]}


def cmd_export(args: argparse.Namespace, fields: dict) -> None:
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
    fields["outputs"] = {out.name: _sha256(out)}
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
    for kept in plan.kept:
        say(f"  kept: {kept}")
    head = audit.head()
    remaining = erase.carry_out(plan)
    html_path, json_path = erase.certificate(plan, operator.id, operator.role_label, head,
                                             remaining, paths.LOCAL_DIR / "certificates")
    fields["outputs"] = {html_path.name: _sha256(html_path), json_path.name: _sha256(json_path)}
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
def add_operator(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--operator", metavar="ID",
                        help="the designated handler running this command (handlers file)")


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
        "by PG* variables, or starts the project's own embedded cluster. Exits 1 with a "
        "one-line reason whenever the round must not export.",
    )
    parser.add_argument("--handlers", type=Path, default=None, metavar="FILE",
                        help="the ward's handlers file (default: $NHI_HANDLERS or handlers.yml)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="a whole round: load → build → validate → export")
    p.add_argument("--input", required=True, type=Path, help="extract directory")
    add_round(p, full=True)
    p.add_argument("--out", required=True, type=Path, help="output package directory")
    add_operator(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("load", help="load an extract directory into the round's raw schema")
    p.add_argument("--input", required=True, type=Path, help="extract directory")
    add_round(p, full=False)
    add_operator(p)
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("build", help="dbt build of the round (models, seeds, tests)")
    add_round(p, full=True)
    add_operator(p)
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("validate", help="Great Expectations checkpoint on the round's build")
    add_round(p, full=True)
    add_operator(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("export", help="write the output package (needs a passed validation)")
    add_round(p, full=True)
    p.add_argument("--out", required=True, type=Path, help="output package directory")
    add_operator(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("compare", help="what changed between two rounds (keys and counts)")
    p.add_argument("--from", dest="from_round", required=True, type=round_id, metavar="ROUND")
    p.add_argument("--to", dest="to_round", required=True, type=round_id, metavar="ROUND")
    add_operator(p)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("verify-pack", help="staff only: the verification workbook (xlsx)")
    add_round(p, full=False)
    p.add_argument("--out", type=Path, default=None,
                   help="where to write the workbook (default: the round's work folder)")
    add_operator(p)
    p.set_defaults(func=cmd_verify_pack)

    p = sub.add_parser("erase", help="erase everything the round left here; certificate")
    add_round(p, full=False)
    p.add_argument("--delivered", type=Path, default=None, metavar="MANIFEST",
                   help="the package's manifest.json as the ward received it")
    p.add_argument("--force", action="store_true",
                   help="erase the output package even though its delivery is not confirmed")
    p.add_argument("--cluster", action="store_true",
                   help="also erase the whole embedded PostgreSQL cluster")
    add_operator(p)
    p.set_defaults(func=cmd_erase)

    p = sub.add_parser("audit", help="verify the audit log, or report a round's handling")
    p.add_argument("action", choices=("verify", "report"))
    p.add_argument("--round", type=round_id, default=None, help="the round to report")
    add_operator(p)
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("db", help="start, stop, inspect or remove the embedded cluster")
    p.add_argument("action", choices=("start", "stop", "status", "destroy", "env"),
                   help="env: start unless a server is configured, print shell exports")
    p.set_defaults(func=cmd_db)
    return parser


def audit_command_name(args: argparse.Namespace) -> str:
    return f"audit-{args.action}" if args.command == "audit" else args.command


def unexpected_error(exc: Exception) -> str:
    """One line for an error the tool did not foresee: its type and where it arose.

    The error's own text is left out: a database or library message may quote a value
    from a record, and this line reaches the terminal and the audit log.
    """
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" at {Path(frame.filename).name}:{frame.lineno}" if frame else ""
    code = getattr(exc, "pgcode", None)
    sqlstate = f" (SQLSTATE {code})" if code else ""
    return (f"unexpected {type(exc).__name__}{sqlstate}{where}; its text is withheld because "
            "it may quote personal data, and nothing was exported. Rerun the step; if it "
            "fails again, report this line (it holds no data) to the tool's maintainers")


def main(argv: list[str] | None = None) -> int:
    """Parse, check the operator, run, and append one audit record whatever the outcome."""
    args = build_parser().parse_args(argv)
    command = audit_command_name(args)
    fields: dict = {"command": command, "operator": getattr(args, "operator", None) or "-"}
    for name in ("round", "as_of"):
        if getattr(args, name, None):
            fields[name] = getattr(args, name)
    code, reason = 0, ""
    try:
        operator = None
        if args.command in handlers.PERSONAL_DATA_COMMANDS:
            operator = handlers.authorise(handlers.handlers_path(args.handlers),
                                          args.operator, args.command)
            fields.update({"role": operator.role, "role_label": operator.role_label})
        if args.command == "erase":
            args.func(args, fields, operator)
        else:
            args.func(args, fields)
    except (Refusal, handlers.HandlerError) as exc:
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
        code, reason = 3, unexpected_error(exc)
        print(f"ERROR: {reason}", file=sys.stderr, flush=True)
    fields["outcome"] = "ok" if code == 0 else "refused"
    if reason:
        fields["reason"] = reason[:500]
    audit.append(fields)
    return code


if __name__ == "__main__":
    sys.exit(main())
