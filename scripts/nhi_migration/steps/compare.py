"""``migrate.py compare``: what changed between two rounds (counts, totals, keys)."""

from __future__ import annotations

from .. import compare, db
from .common import StepRefused, say


def command(from_round: str, to_round: str, audit_fields: dict) -> None:
    say(f"database: {db.ensure_server()}")
    try:
        result = compare.compare(from_round, to_round)
    except compare.CompareError as exc:
        raise StepRefused(str(exc)) from None
    for line in compare.format_comparison(result):
        say(line)
    audit_fields.update({"from_round": from_round, "to_round": to_round,
                         "counts": {"households_added": len(result.added),
                                    "households_removed": len(result.removed)}})
