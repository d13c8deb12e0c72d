"""Reading dbt's ``run_results.json`` (one per build, in the round's target folder).

Pure functions of the parsed document: why a build failed, in words safe to print, and
how many nodes ran and passed (the package's ``basis``). A node's message may hold the
database's own text, which may quote a value: such a message is replaced by a pointer to
the logs.
"""

from __future__ import annotations

import json
from pathlib import Path

FAILED = ("error", "fail")
PASSED = ("success", "pass")
UNMAPPED = "unmapped legacy code"  # the one database message written by the project itself


def read(path: Path) -> dict | None:
    """The parsed file, or None when dbt wrote none (it stopped before running a node)."""
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def failures(results: dict, logs: Path) -> list[str]:
    """``node: reason`` for each node that errored or failed, in dbt's order."""
    reasons = []
    for result in results["results"]:
        if result["status"] in FAILED:
            node = result["unique_id"].split(".", 2)[-1]
            reasons.append(f"{node}: {_reason(result, logs)[:300]}")
    return reasons


def _reason(result: dict, logs: Path) -> str:
    text = result.get("message") or ""
    message = text.strip().splitlines()
    first = message[0] if message else result["status"]
    if UNMAPPED in text:
        return next(line.strip() for line in message if UNMAPPED in line)
    if "Database Error" in first or "database" in first.lower():
        return f"database error (details in {logs}, for the vendor engineer)"
    return first


def node_counts(results: dict) -> tuple[int, int]:
    """How many nodes the build ran, and how many of them succeeded or passed."""
    statuses = [r["status"] for r in results["results"]]
    return len(statuses), sum(s in PASSED for s in statuses)
