"""``migrate.py erase``: remove what a round left on this machine, check it is gone, and
write the certificate of erasure (消去証明書)."""

from __future__ import annotations

from pathlib import Path

from .. import audit, db, erase, handlers, hashing, paths
from .common import StepRefused, say


def command(round_id: str, delivered: Path | None, force: bool, cluster: bool,
            operator: handlers.Operator, handlers_file: Path | None,
            audit_fields: dict) -> None:
    say(f"database: {db.ensure_server()}")
    say(f"[erase] round {round_id}: inventory of what it left on this machine")
    try:
        plan = erase.plan_erasure(round_id, delivered, force, cluster)
    except erase.EraseRefused as exc:
        raise StepRefused(f"erase refused: {exc}") from None
    files = [i for i in plan.items if i.kind == "file"]
    say(f"  {len(files):,} files ({sum(i.bytes for i in files):,} bytes), "
        f"{len(plan.schemas)} schemas{', the whole cluster' if plan.cluster else ''}")
    if plan.staging:
        say(f"  {len(plan.staging)} staging folder(s) of an export that did not finish")
    for kept in plan.kept:
        say(f"  kept: {kept}")
    head = audit.head()
    remaining = erase.carry_out(plan)
    organisation = handlers.organisation(handlers.handlers_path(handlers_file))
    html_path, json_path = erase.certificate(plan, operator, organisation, head, remaining,
                                             paths.LOCAL_DIR / "certificates")
    audit_fields["outputs"] = {path.name: hashing.sha256_file(path)
                               for path in (html_path, json_path)}
    audit_fields["counts"] = {"files": len(files), "bytes": sum(i.bytes for i in files),
                              "schemas": len(plan.schemas)}
    if remaining:
        raise StepRefused(f"erasure incomplete, still present: {', '.join(remaining)}; "
                          f"see {html_path}")
    say(f"[erase] done; certificate (消去証明書): {html_path} and {json_path.name}")
