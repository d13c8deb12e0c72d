"""Which legacy rows made a value that does not fit its 9(n) field (setup-layouts.md §2).

A negative or too-large value bound for a ``9(n)`` or ``S9(n)`` field is an error, never a
silent wrap or cut; the validation gate finds it in the mart. Staff then need the rows of
the legacy table to look at, in a table of 1.6 million rows: this module follows each
offending record back through its mart's ``legacy_rows`` meta to the migrated legacy rows
it was made from, and names them by table, key and line. Keys and lines only: never a
value.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from psycopg2 import sql

from . import db, layouts
from .validation.database import field_rules


@dataclass(frozen=True)
class Offence:
    file_id: str
    field: str
    item: str
    kind: str  # e.g. 9(9)
    table: str
    key: str
    legacy_id: str
    line: int

    def where(self) -> str:
        return f"{self.table}.csv line {self.line} ({self.key} {self.legacy_id})"


def _numeric_fields(layout: layouts.Layout) -> list[layouts.Field]:
    return [f for f in layout.fields if f.type in ("9", "S9") and f.data_type != "date"]


def _query(layout: layouts.Layout, source: layouts.LegacyRows, relations: dict[str, str],
           misfit: str) -> sql.Composable:
    keys = sorted({mart for mart, _ in source.on})
    join = sql.SQL(" and ").join(
        sql.SQL("offending.{} = source.{}").format(sql.Identifier(mart), sql.Identifier(model))
        for mart, model in source.on)
    return sql.SQL(
        "with offending as (select distinct {keys} from {mart} where {condition}) "
        "select source.{id}::text, source.source_line from offending "
        "join {model} as source on {join} "
        "where source.outcome = 'MIGRATED' order by source.source_line"
    ).format(keys=sql.SQL(", ").join(map(sql.Identifier, keys)),
             mart=sql.SQL(layout.relation),
             condition=sql.SQL(misfit),
             id=sql.Identifier(source.id), model=sql.SQL(relations[source.model]),
             join=join)


def find(project: layouts.Project) -> list[Offence]:
    """Every legacy row behind a value that does not fit its 9(n)/S9(n) field."""
    offences: list[Offence] = []
    rules = field_rules(project)
    with db.connect() as connection, connection.cursor() as cursor:
        for layout in project.layouts:
            for field in _numeric_fields(layout):
                misfit = rules[(layout.file_id, field.name)]
                cursor.execute(sql.SQL("select exists (select 1 from {} where {})").format(
                    sql.SQL(layout.relation), sql.SQL(misfit)))
                if not db.fetch_one(cursor)[0]:
                    continue
                for source in layout.legacy_rows:
                    cursor.execute(_query(layout, source, project.relations, misfit))
                    offences += [Offence(layout.file_id, field.name, field.item,
                                         f"{field.type}({field.width})", source.table,
                                         source.key, legacy_id, line)
                                 for legacy_id, line in cursor.fetchall()]
    return offences


def summary(offences: list[Offence]) -> str:
    """One line: each field, how many legacy rows, the first of them."""
    fields: dict[tuple[str, str, str, str], list[Offence]] = {}
    for offence in offences:
        fields.setdefault((offence.file_id, offence.field, offence.item, offence.kind),
                          []).append(offence)
    parts = []
    for (file_id, name, item, kind), found in fields.items():
        shown = ", ".join(o.where() for o in found[:3])
        more = f" and {len(found) - 3:,} more" if len(found) > 3 else ""
        parts.append(f"{file_id}.{name}（{item}）{kind} is negative or too large, made from "
                     f"{len(found):,} legacy row(s): {shown}{more}")
    return "; ".join(parts)


def write_list(offences: list[Offence], path: Path) -> None:
    """Every offending legacy row (keys and lines only) for staff to look up."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(["FILE_ID", "FIELD", "ITEM", "TYPE", "TABLE", "KEY_COLUMN",
                         "LEGACY_KEY", "LINE"])
        for o in offences:
            writer.writerow([o.file_id, o.field, o.item, o.kind, o.table, o.key,
                             o.legacy_id, o.line])
