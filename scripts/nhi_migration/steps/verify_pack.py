"""``migrate.py verify-pack``: the staff workbook of a built round (personal data: staff
only), read through the staff role."""

from __future__ import annotations

from pathlib import Path

from .. import db, dbt_runner, hashing, paths, state, verify_pack
from .common import StepRefused, say


def default_path(round_id: str) -> Path:
    return paths.round_work_dir(round_id) / "verify" / f"verify-pack-{round_id}.xlsx"


def command(round_id: str, out: Path | None, audit_fields: dict) -> None:
    say(f"database: {db.ensure_server()}")
    manifest = dbt_runner.target_dir(round_id) / "manifest.json"
    if not manifest.is_file():
        raise StepRefused(f"round {round_id} has not been built here: nothing to verify")
    out = out or default_path(round_id)
    say(f"[verify-pack] staff workbook for round {round_id} (personal data: staff only)")
    try:
        households, rows = verify_pack.write_pack(round_id, out, progress=say)
    except verify_pack.psycopg2.Error as exc:
        raise StepRefused(f"the staff role cannot read the verification views "
                          f"({exc.pgcode or 'connection'}): build the round first") from None
    state.record_created(round_id, out)
    audit_fields["outputs"] = {out.name: hashing.sha256_file(out)}
    audit_fields["counts"] = {"households": households, "field_rows": rows}
    say(f"[verify-pack] {households:,} households, {rows:,} field rows → {out}")
