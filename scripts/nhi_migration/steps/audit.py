"""``migrate.py audit``: verify the audit log's hash chain, or report a round's handling
in Japanese (記録の報告)."""

from __future__ import annotations

from .. import audit
from .common import StepRefused, say


def verify() -> None:
    count, problems = audit.verify()
    for problem in problems:
        say(f"  {problem}")
    if problems:
        raise StepRefused(f"the audit log {audit.log_path()} fails verification: "
                          f"{len(problems)} problem(s), first: {problems[0]}")
    say(f"audit log {audit.log_path()}: {count} records, chain intact "
        f"(head {audit.head()})")


def report(round_id: str | None) -> None:
    if not round_id:
        raise StepRefused("audit report needs --round ROUND")
    for line in audit.report(round_id):
        say(line)
