"""``migrate.py run``: a whole round — load → dbt build → validation → export — then the
summary (counts per legacy table, per setup file and per exception category)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .. import arguments, db, dbt_runner, export, report, validation_report
from ..validation.receipt import relation_fingerprint
from . import build, load, validate
from . import export as export_step
from .common import gx_dir, read_project, say


def command(parameters: dbt_runner.RoundParameters, input_dir: Path, out: Path,
            audit_fields: dict) -> None:
    started = time.perf_counter()
    arguments.check_out_folder(out)
    build.check_seeds()
    say(f"database: {db.ensure_server()}")
    with export_step.leaving_no_package(out, parameters.round_id):
        # dbt's parse needs no data: it runs on the core the load leaves free
        with dbt_runner.parsing_ahead(parameters):
            load.step(input_dir, parameters.round_id, audit_fields)
        # GX is imported by the validation, not during the build: beside dbt and the
        # server's sorts it took the 10× round to 1,033 MiB (over the 1 GiB budget)
        build.step(parameters)
        package = validate_and_export(parameters, out, audit_fields)
    print_summary(parameters, package, started)


@contextlib.contextmanager
def sessions_environment(env: dict[str, str]) -> Iterator[None]:
    """This process's libpq variables (PGOPTIONS) as in ``env`` while the body runs."""
    before = os.environ.get("PGOPTIONS")
    if env.get("PGOPTIONS") is not None:
        os.environ["PGOPTIONS"] = env["PGOPTIONS"]
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PGOPTIONS", None)
        else:
            os.environ["PGOPTIONS"] = before


def validate_and_export(parameters: dbt_runner.RoundParameters, out: Path,
                        audit_fields: dict) -> export.Package:
    """The validation and the export at once (GX is mostly Python, the export mostly the
    server). The export starts reading once the marts' fingerprint for the validation is
    taken, writes into its staging folder, and moves the package into ``out`` only when
    the validation passed and the marts, after the last file was written, are still the
    ones it checked. A failed validation refuses as it does on its own (its refusal comes
    first), and no package is left."""
    project = read_project(parameters.round_id)
    # the export's connections and GX's take the cores: no parallel workers beside them
    # (each would take CPU from the others, and work_mem of its own)
    with sessions_environment(dbt_runner.with_parallel_workers(
            dict(os.environ), export.EXPORT_CONNECTIONS + 1)), \
            ThreadPoolExecutor(max_workers=2) as pool:
        fingerprint = pool.submit(relation_fingerprint, project)
        validation = pool.submit(validate.step, parameters, fingerprint)
        try:
            fingerprint.result()
            return export_step.step(parameters, out, audit_fields, validation=validation.result)
        except Exception:
            failed = validation.exception()  # waits for the validation to end
            if failed is not None:
                raise failed from None
            raise


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
