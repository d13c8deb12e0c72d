"""Counts a round prints for its user: per legacy table, file = control = loaded."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg2 import sql

from . import db, legacy


@dataclass(frozen=True)
class TableCount:
    table: str
    file_records: int
    control_records: int
    staged_records: int

    @property
    def balanced(self) -> bool:
        return self.file_records == self.control_records == self.staged_records


def table_counts(round_id: str) -> list[TableCount]:
    """Records in each file (as loaded), in _CONTROL.csv, and in its staging model."""
    raw = db.schema_name(round_id, "raw")
    staging = db.schema_name(round_id, "staging")
    result = []
    with db.connect() as connection, connection.cursor() as cursor:
        for table in legacy.data_tables():
            cursor.execute(sql.SQL(
                "select (select file_records from {raw}.load_log where table_name = %(t)s), "
                "(select record_count::bigint from {raw}.control where table_name = %(t)s), "
                "(select count(*) from {staging}.{model})"
            ).format(raw=sql.Identifier(raw), staging=sql.Identifier(staging),
                     model=sql.Identifier(f"stg_legacy__{table.name}")),
                {"t": table.table_name})
            file_records, control_records, staged = cursor.fetchone()
            result.append(TableCount(table.table_name, file_records, control_records, staged))
    return result


def format_counts(counts: list[TableCount]) -> list[str]:
    lines = [f"  {'TABLE':<14} {'FILE':>10} {'CONTROL':>10} {'STAGED':>10}"]
    for c in counts:
        mark = "" if c.balanced else "   ← differs"
        lines.append(f"  {c.table:<14} {c.file_records:>10,} {c.control_records:>10,} "
                     f"{c.staged_records:>10,}{mark}")
    return lines
