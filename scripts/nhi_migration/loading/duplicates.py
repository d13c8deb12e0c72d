"""What only the loaded tables can show: a primary key twice, or two live CHOTEI rows
for one household's period (SQL over the loading schema)."""

from __future__ import annotations

import psycopg2
import psycopg2.errors
from psycopg2 import sql

from .. import legacy, wareki
from .errors import DAMAGED, LoadError


def check_keys(cursor, schema: str, table: legacy.LegacyTable) -> None:
    """A duplicate primary key (deleted rows included) means the dump is damaged."""
    key = sql.SQL(", ").join(sql.Identifier(c) for c in table.key)
    if _unique(cursor, schema, table.name, "key", key):
        return
    cursor.execute(sql.SQL(
        "select {key}, min(_source_line), max(_source_line) from {schema}.{table} "
        "group by {key} having count(*) > 1 order by 2 limit 1"
    ).format(key=key, schema=sql.Identifier(schema), table=sql.Identifier(table.name)))
    row = cursor.fetchone()
    if row:
        values = ", ".join(f"{c.upper()} {v[:20]}" for c, v in zip(table.key, row, strict=False))
        raise LoadError(table.file, row[-1],
                        f"duplicate primary key {values} (first on line {row[-2]})", DAMAGED)
    raise AssertionError(f"{table.file}: the unique index and the query disagree")


def _unique(cursor, schema: str, table: str, check: str, columns: sql.Composable,
            where: sql.Composable | None = None) -> bool:
    """Whether no two rows (``where``) share ``columns``: a unique index built (one sort,
    far quicker than a GROUP BY of every row) and dropped again. False when two do; the
    GROUP BY that names their lines runs only then."""
    index = sql.Identifier(f"{table}__{check}_check")
    cursor.execute("savepoint unique_check")
    try:
        cursor.execute(sql.SQL("create unique index {index} on {schema}.{table} ({columns}){where}")
                       .format(index=index, schema=sql.Identifier(schema),
                               table=sql.Identifier(table), columns=columns,
                               where=sql.SQL(" where {}").format(where) if where else sql.SQL("")))
    except psycopg2.errors.UniqueViolation:
        cursor.execute("rollback to savepoint unique_check")
        return False
    cursor.execute(sql.SQL("drop index {}.{}").format(sql.Identifier(schema), index))
    cursor.execute("release savepoint unique_check")
    return True


def fiscal_year_sql(column: str) -> sql.Composable:
    """西暦 of a NEN3 value in SQL, NULL when it is not one (era bases from wareki.ERAS)."""
    cases = sql.SQL(" ").join(
        sql.SQL("when {} then {}").format(sql.Literal(str(code)), sql.Literal(base))
        for code, (base, _) in wareki.ERAS.items())
    col = sql.Identifier(column)
    return sql.SQL(
        "case when {col} ~ {pattern} and substr({col}, 2) <> '00' then "
        "(case left({col}, 1) {cases} end) + substr({col}, 2)::int end"
    ).format(col=col, cases=cases,
             pattern=sql.Literal(f"^[1-{len(wareki.ERAS)}][0-9][0-9]$"))


def check_chotei_periods(cursor, schema: str) -> None:
    """Two live CHOTEI rows for one household, 相当年度 (as 西暦) and 期別."""
    fy = fiscal_year_sql("soto_nendo")
    live = sql.SQL("sakujo_flg <> '1' and {fy} is not null").format(fy=fy)
    if _unique(cursor, schema, "chotei", "period",
               sql.SQL("setai_no, ({fy}), kibetsu").format(fy=fy), live):
        return
    cursor.execute(sql.SQL(
        "select setai_no, {fy}, kibetsu, min(_source_line), max(_source_line) "
        "from {schema}.chotei where {live} "
        "group by 1, 2, 3 having count(*) > 1 order by 4 limit 1"
    ).format(fy=fy, live=live, schema=sql.Identifier(schema)))
    row = cursor.fetchone()
    if row:
        raise LoadError("CHOTEI.csv", row[4],
                        f"a second live row for SETAI_NO {row[0][:10]}, 相当年度 {row[1]}, "
                        f"期別 {row[2][:2]} (first on line {row[3]})", DAMAGED)
    raise AssertionError("CHOTEI.csv: the unique index and the query disagree")
