"""Load one extract directory into the round's raw schema, or refuse it whole.

The work of each part is in ``loading/``: every file is decoded from CP932 (decode),
parsed as RFC 4180 CSV against the header of legacy-extract.md (records), streamed into
PostgreSQL with COPY, every column as text exactly as dumped, with the file name and the
line the record starts on (copy_in); record counts and amount totals must equal
``_CONTROL.csv`` (control) and keys must be unique (duplicates). A file whose every line
is one plain record goes a block at a time without the CSV parser (plain); any other is
rolled back to its savepoint and read record by record, which names what is wrong. This
module runs them in one transaction, in a loading schema that replaces the round's raw
schema only when every file passed: a refused extract leaves the database exactly as it
was. Messages name the file, the line and what to do; they never quote a value from a
record.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from psycopg2 import sql

from . import db, legacy
from .loading import plain
from .loading.control import Tally, check_control, read_control
from .loading.copy_in import copy_plain, copy_table
from .loading.duplicates import check_chotei_periods, check_keys
from .loading.errors import LoadError
from .loading.records import read_records

PROGRESS_EVERY = 500_000


@dataclass
class FileReport:
    table: str
    file: str
    records: int
    amount_total: int | None
    sha256: str
    bytes: int


@dataclass
class LoadReport:
    round_id: str
    schema: str
    files: list[FileReport] = field(default_factory=list)
    seconds: float = 0.0


def _load_file(cursor, schema: str, folder: Path, table: legacy.LegacyTable,
               progress: Callable[[str], None]) -> FileReport:
    """One file into its table: by the plain path when the whole file is plain, else
    (rolled back to where it started) record by record, which names any problem."""
    path = folder / table.file
    started = time.perf_counter()
    digest = hashlib.sha256()
    tally = Tally.of(table)

    def plain_chunks() -> Iterator[str]:
        shown = 0
        for chunk in plain.copy_text(path, table, digest, tally):
            yield chunk
            if tally.records - shown >= PROGRESS_EVERY:
                shown = tally.records // PROGRESS_EVERY * PROGRESS_EVERY
                progress(f"  {table.file}: {shown:,} records …")

    cursor.execute("savepoint plain_file")
    if copy_plain(cursor, schema, table, plain_chunks()):
        cursor.execute("release savepoint plain_file")
    else:
        cursor.execute("rollback to savepoint plain_file")
        digest = hashlib.sha256()
        tally = Tally.of(table)

        def counted() -> Iterator[tuple[int, list[str]]]:
            for line, record in read_records(path, table.header, digest):
                tally.add(record)
                if tally.records % PROGRESS_EVERY == 0:
                    progress(f"  {table.file}: {tally.records:,} records …")
                yield line, record

        copy_table(cursor, schema, table, counted())
    progress(f"  {table.file:<18} {tally.records:>10,} records "
             f"({time.perf_counter() - started:.1f} s)")
    return FileReport(table=table.table_name, file=table.file, records=tally.records,
                      amount_total=tally.amount_total, sha256=digest.hexdigest(),
                      bytes=path.stat().st_size)


def _write_load_log(cursor, schema: str, reports: list[FileReport]) -> None:
    cursor.execute(sql.SQL(
        "create table {}.load_log (table_name text not null, file_name text not null, "
        "file_records bigint not null, file_amount_total bigint, sha256 text not null, "
        "bytes bigint not null)").format(sql.Identifier(schema)))
    for r in reports:
        cursor.execute(sql.SQL("insert into {}.load_log values (%s, %s, %s, %s, %s, %s)")
                       .format(sql.Identifier(schema)),
                       (r.table, r.file, r.records, r.amount_total, r.sha256, r.bytes))


def load(folder: Path, round_id: str,
         progress: Callable[[str], None] = lambda _: None) -> LoadReport:
    """Load ``folder`` as round ``round_id``; replace the round's raw schema or change nothing."""
    started = time.perf_counter()
    if not folder.is_dir():
        raise LoadError(str(folder), None, "no such extract directory",
                        "Give --input the folder that holds SETAI.csv … _CONTROL.csv.")
    schema = db.schema_name(round_id, "raw")
    loading = f"{schema}__loading"
    report = LoadReport(round_id=round_id, schema=schema)
    control = read_control(folder)
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(loading)))
        cursor.execute(sql.SQL("create schema {}").format(sql.Identifier(loading)))
        for table in legacy.data_tables():
            file_report = _load_file(cursor, loading, folder, table, progress)
            check_control(file_report.file, file_report.records, file_report.amount_total,
                          control[table.table_name])
            check_keys(cursor, loading, table)
            report.files.append(file_report)
        check_chotei_periods(cursor, loading)
        control_table = legacy.control_table()
        copy_table(cursor, loading, control_table,
                   read_records(folder / control_table.file, control_table.header))
        _write_load_log(cursor, loading, report.files)
        cursor.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema)))
        cursor.execute(sql.SQL("alter schema {} rename to {}").format(
            sql.Identifier(loading), sql.Identifier(schema)))
        for table in (*legacy.data_tables(), legacy.control_table()):
            cursor.execute(sql.SQL("analyze {}.{}").format(sql.Identifier(schema),
                                                            sql.Identifier(table.name)))
    report.seconds = time.perf_counter() - started
    return report
