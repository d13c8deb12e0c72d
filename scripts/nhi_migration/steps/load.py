"""``migrate.py load`` (and the first step of ``run``): an extract into the round's raw
schema, its file hashes into the round's state and the audit record."""

from __future__ import annotations

from pathlib import Path

from .. import db, load, state
from .common import StepRefused, say


def command(input_dir: Path, round_id: str, audit_fields: dict) -> None:
    say(f"database: {db.ensure_server()}")
    step(input_dir, round_id, audit_fields)


def step(input_dir: Path, round_id: str, audit_fields: dict) -> load.LoadReport:
    say(f"[load] {input_dir} → round {round_id}")
    try:
        result = load.load(input_dir, round_id, progress=say)
    except load.LoadError as exc:
        raise StepRefused(f"load refused, the database is unchanged: {exc}") from None
    hashes = {f.file: f.sha256 for f in result.files}
    state.record_load(round_id, input_dir, hashes)
    audit_fields.setdefault("inputs", {}).update(hashes)
    audit_fields.setdefault("counts", {})["legacy_records"] = sum(f.records for f in result.files)
    say(f"[load] {sum(f.records for f in result.files):,} records in "
        f"{result.seconds:.1f} s into schema {result.schema}")
    return result
