"""What the gate reads from the round's build: the round's facts, the code sets, §2's
field rules, and which parts of a failed shared check fail."""

from __future__ import annotations

from psycopg2 import sql

from .. import db, layouts
from .checks import Check, FieldRules, RoundFacts


def round_facts(project: layouts.Project) -> RoundFacts:
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(sql.SQL(
            "select round_id, as_of::text, expected_households, is_production, "
            "dbt_invocation_id from {}").format(sql.SQL(project.relations["round_parameters"])))
        return RoundFacts(*db.fetch_one(cursor))


def code_sets(seeds_schema: str) -> dict[str, list[str]]:
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(sql.SQL("select legacy_kind, new_code from {}.code_map").format(
            sql.Identifier(seeds_schema)))
        sets: dict[str, set[str]] = {}
        for kind, code in cursor.fetchall():
            sets.setdefault(kind, {""}).add(code)
    return {kind: sorted(codes) for kind, codes in sets.items()}


def field_rules(project: layouts.Project) -> FieldRules:
    """§2's field rules for this build: for each layout field, the SQL condition true for
    a value that does not fit it (no braces: GX formats its queries), as the view
    layout_field_rules holds them. The macro layout_field_misfit writes them there and in
    the record builder: this module and overflow.py keep no copy. A field without a rule
    stops the gate (a view from another build)."""
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(sql.SQL("select file_id, field_name, misfit_condition from {}").format(
            sql.SQL(project.relations["layout_field_rules"])))
        rules: FieldRules = {(file_id, name): condition
                             for file_id, name, condition in cursor.fetchall()}
    missing = [f"{layout.file_id}.{f.name}" for layout in project.layouts for f in layout.fields
               if (layout.file_id, f.name) not in rules]
    if missing:
        raise ValueError("layout_field_rules has no rule for " + ", ".join(missing))
    return rules


def failing_parts(check: Check) -> list[str]:
    """The descriptions of the parts of a failed shared check that fail (one query each,
    run only after a failure)."""
    failing = []
    with db.connect() as connection, connection.cursor() as cursor:
        for description, condition in check.parts:
            cursor.execute(f"select exists (select 1 from {check.relation} where {condition})")
            if db.fetch_one(cursor)[0]:
                failing.append(description)
    return failing or [check.description]
