"""The receipt of a passed validation, and the fingerprint of the build it passed: what
the exporter checks before it writes a package."""

from __future__ import annotations

import json
from pathlib import Path

from psycopg2 import sql

from .. import db, layouts
from .checks import RoundFacts
from .gx_runner import ValidationReport


def write_receipt(path: Path, facts: RoundFacts, report: ValidationReport,
                  fingerprint: dict[str, str]) -> None:
    """What the exporter checks: this validation passed for this very build."""
    path.write_text(json.dumps({
        "round": facts.round_id,
        "dbt_invocation_id": facts.dbt_invocation_id,
        "relations": fingerprint,
        "success": report.success,
        "expectations_evaluated": report.evaluated,
        "expectations_failed": len(report.failed),
    }, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def relation_fingerprint(project: layouts.Project) -> dict[str, str]:
    """What every mart holds, as a count and a sum of row hashes (about half a second for
    the largest at the default size): a rebuild or an edit after the validation changes it.
    A row's hash is PostgreSQL's 64-bit hash of the row itself, column by column with each
    type's own hash (hash_record_extended: half the work of writing the row as text first
    and hashing that, which this used to do)."""
    marts_schema = project.layouts[0].schema
    result = {}
    with db.connect() as connection, connection.cursor() as cursor:
        for name, relation in sorted(project.relations.items()):
            if not relation.startswith(f'"{marts_schema}".'):
                continue
            cursor.execute(sql.SQL(
                "select count(*)::text || ':' || coalesce(sum(hash_record_extended(t, 0)), 0)"
                "::text from {} as t").format(sql.SQL(relation)))
            result[name] = db.fetch_one(cursor)[0]
    return result
