"""What changed between two rounds of the same ward: counts, totals, households, exceptions.

Staff use it to see that PROD01 differs from TEST02 only where the ward's data changed.
Keys, counts and totals only.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg2 import sql

from . import db, dbt_runner, jst, layouts, refused


class CompareError(refused.Refused):
    """A round to compare has not been built on this machine."""


@dataclass
class Comparison:
    from_round: str
    to_round: str
    totals: list[tuple[str, str, int | None, int | None]]  # file, figure, from, to
    added: list[str]
    removed: list[str]
    exceptions: list[tuple[str, int, int]]  # category, from, to


def _marts(round_id: str) -> sql.Identifier:
    return sql.Identifier(db.schema_name(round_id, "marts"))


def _project(round_id: str) -> layouts.Project:
    manifest = dbt_runner.target_dir(round_id) / "manifest.json"
    if not manifest.is_file():
        raise CompareError(f"round {round_id} has not been built here: run it first")
    return layouts.read_project(manifest)


def compare(from_round: str, to_round: str) -> Comparison:
    # the figures of file_totals and the households' file, as the project declares them
    project = _project(to_round)
    figures = tuple(column for column, _ in project.control_headers)
    households = sql.Identifier(project.households.model)
    with db.connect() as connection, connection.cursor() as cursor:
        for round_id in (from_round, to_round):
            cursor.execute("select 1 from information_schema.tables where table_schema = %s "
                           "and table_name = %s",
                           (db.schema_name(round_id, "marts"), project.households.model))
            if cursor.fetchone() is None:
                raise CompareError(f"round {round_id} has not been built here: run it first")
        totals: dict[tuple[str, str], list[int | None]] = {}
        for index, round_id in enumerate((from_round, to_round)):
            cursor.execute(sql.SQL("select file_id, {} from {}.file_totals").format(
                sql.SQL(", ").join(sql.Identifier(f) for f in figures), _marts(round_id)))
            for row in cursor.fetchall():
                for figure, value in zip(figures, row[1:], strict=True):
                    if value is not None:
                        totals.setdefault((row[0], figure), [None, None])[index] = value
        cursor.execute(sql.SQL(
            "(select household_no, 'added' from {to}.{households} except "
            "select household_no, 'added' from {frm}.{households}) "
            "union all "
            "(select household_no, 'removed' from {frm}.{households} except "
            "select household_no, 'removed' from {to}.{households}) order by 2, 1"
        ).format(to=_marts(to_round), frm=_marts(from_round), households=households))
        changes = cursor.fetchall()
        categories: dict[str, list[int]] = {}
        for index, round_id in enumerate((from_round, to_round)):
            cursor.execute(sql.SQL("select category, count(*) from {}.exceptions group by 1")
                           .format(_marts(round_id)))
            for category, count in cursor.fetchall():
                categories.setdefault(category, [0, 0])[index] = count
    return Comparison(
        from_round=from_round, to_round=to_round,
        totals=[(f, figure, a, b) for (f, figure), (a, b) in sorted(totals.items())],
        added=[key for key, kind in changes if kind == "added"],
        removed=[key for key, kind in changes if kind == "removed"],
        exceptions=[(c, a, b) for c, (a, b) in sorted(categories.items())])


def format_comparison(result: Comparison) -> list[str]:
    """The comparison as staff read it: Japanese headings (English beside), JST time."""
    def number(value: int | None) -> str:
        return "-" if value is None else f"{value:,}"

    lines = [f"回次の比較 {result.from_round} → {result.to_round}"
             f"（作成 {jst.shown(jst.now())}）",
             f"  {'ファイル':<4} {'項目 FIGURE':<16} {result.from_round:>16} {result.to_round:>16} "
             f"{'増減 CHANGE':>12}"]
    for file_id, figure, before, after in result.totals:
        change = "" if before == after else (
            f"{(after or 0) - (before or 0):+,}" if None not in (before, after) else "変更あり")
        lines.append(f"  {file_id:<6} {figure:<18} {number(before):>16} {number(after):>16} "
                     f"{change:>14}")
    for label, keys in (("追加された世帯 households added", result.added),
                        ("なくなった世帯 households removed", result.removed)):
        lines.append(f"  {label}: {len(keys):,}")
        for start in range(0, len(keys), 8):
            lines.append("    " + " ".join(keys[start:start + 8]))
    lines.append(f"  {'例外の種類 EXCEPTIONS':<20} {result.from_round:>10} {result.to_round:>10}")
    for category, before, after in result.exceptions:
        lines.append(f"  {category:<24} {before:>10,} {after:>10,}")
    return lines
