"""Counts a round prints for its user: per legacy table, from the accounting model."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg2 import sql

from . import db


@dataclass(frozen=True)
class TableCount:
    table: str
    file_records: int
    control_records: int
    loaded_records: int
    migrated: int
    accounted: int  # migrated + deleted + out of scope + quarantined
    balanced: bool  # the accounting model's own verdict (§6), not recomputed here


def table_counts(round_id: str) -> list[TableCount]:
    """setup-layouts.md §6 by records, as the accounting model computed it."""
    marts = db.schema_name(round_id, "marts")
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(sql.SQL(
            "select table_name, file_value, control_value, loaded_value, migrated, "
            "migrated + excluded, balanced = 'Y' from {}.accounting where measure = 'RECORDS' "
            "order by row_order"
        ).format(sql.Identifier(marts)))
        return [TableCount(*row) for row in cursor.fetchall()]


def format_counts(counts: list[TableCount]) -> list[str]:
    lines = [f"    {'TABLE':<14} {'FILE':>10} {'CONTROL':>10} {'LOADED':>10} {'ACCOUNTED':>10} "
             f"{'MIGRATED':>10}"]
    for c in counts:
        mark = "" if c.balanced else "   ← does not balance"
        lines.append(f"    {c.table:<14} {c.file_records:>10,} {c.control_records:>10,} "
                     f"{c.loaded_records:>10,} {c.accounted:>10,} {c.migrated:>10,}{mark}")
    return lines
