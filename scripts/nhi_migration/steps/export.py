"""``migrate.py export`` (and the last step of ``run``): the package of a build that passed
validation, written whole or not at all; its hashes into the round's state and audit."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .. import arguments, db, dbt_runner, export, hashing, layouts, run_results, state
from ..validation.database import round_facts
from ..validation.receipt import relation_fingerprint
from .common import StepRefused, read_project, receipt_path, say


@contextlib.contextmanager
def leaving_no_package(out: Path, round_id: str) -> Iterator[None]:
    """Any failure inside, not only a refusal, leaves no package in ``out``."""
    try:
        yield
    except BaseException:
        remove_package(out, round_id)
        raise


def remove_package(out: Path, round_id: str) -> None:
    """A refused run leaves no package in the output folder."""
    if not out.is_dir():
        return
    try:
        project = read_project(round_id)
    except StepRefused:
        return
    removed = export.remove_package(out, project)
    if removed:
        say(f"  removed the earlier package from {out} ({len(removed)} files)")


def command(parameters: dbt_runner.RoundParameters, out: Path, audit_fields: dict) -> None:
    arguments.check_out_folder(out)
    say(f"database: {db.ensure_server()}")
    with leaving_no_package(out, parameters.round_id):
        package = step(parameters, out, audit_fields)
    say(f"package: {package.folder}")


def step(parameters: dbt_runner.RoundParameters, out: Path, audit_fields: dict,
         validation: Callable[[], object] | None = None) -> export.Package:
    """The package of the validated build. ``validation`` (``run``): the validation is
    still running; the files are written meanwhile, and the receipt is checked (against
    the marts as they are once every file is written) when it has ended, before anything
    reaches ``out``."""
    say(f"[export] package for round {parameters.round_id} → {out}")
    started = time.perf_counter()
    project = read_project(parameters.round_id)
    facts = round_facts(project)
    if (facts.round_id, facts.as_of, facts.expected_households) != (
            parameters.round_id, parameters.as_of, parameters.expected_households):
        raise StepRefused("the database holds a build for other round parameters: build and "
                          "validate this round first")

    def checked_basis() -> dict:
        receipt = export.check_receipt(receipt_path(parameters.round_id), project,
                                       facts.dbt_invocation_id,
                                       relation_fingerprint(project))
        return build_basis(project, parameters.round_id, receipt)

    def basis_after_validation() -> dict:
        if validation is not None:
            validation()  # waits; raises the validation's refusal
        return checked_basis()

    try:
        if validation is None:
            basis = checked_basis()  # refused before a file is written
            package = export.export(project, out, lambda: basis, progress=say)
        else:
            package = export.export(project, out, basis_after_validation, progress=say)
    except export.ExportRefused as exc:
        raise StepRefused(f"export refused: {exc}") from None
    manifest_hash = hashing.sha256_file(out / export.MANIFEST)
    state.record_export(parameters.round_id, out, manifest_hash)
    audit_fields.setdefault("outputs", {}).update({f.name: f.sha256 for f in package.files})
    audit_fields["outputs"][export.MANIFEST] = manifest_hash
    audit_fields.setdefault("counts", {}).update(
        {f.name: f.records for f in package.files if f.name.endswith(".dat")})
    say(f"[export] {len(package.files)} files in {time.perf_counter() - started:.1f} s")
    return package


def build_basis(project: layouts.Project, round_id: str, receipt: dict) -> dict:
    """The build and validation the package rests on, without ids or times (deterministic)."""
    results = json.loads((dbt_runner.target_dir(round_id) / "run_results.json")
                         .read_text(encoding="utf-8"))
    return basis(project, results, receipt)


def basis(project: layouts.Project, results: dict, receipt: dict) -> dict:
    """manifest.json's ``basis``: dbt's version, project checksum and node counts, and the
    validation's counts (pure)."""
    nodes, passed = run_results.node_counts(results)
    return {
        "dbt": {"command": "build", "dbt_version": project.dbt_version,
                "project_checksum": project.project_checksum,
                "nodes": nodes, "nodes_passed": passed},
        "validation": {"engine": "great_expectations", "result_format": "BOOLEAN_ONLY",
                       "expectations_evaluated": receipt["expectations_evaluated"],
                       "expectations_failed": receipt["expectations_failed"]},
    }
