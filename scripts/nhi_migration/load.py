"""Load one extract directory into the round's raw schema, or refuse it whole.

Every file is decoded from CP932 here (PostgreSQL's SJIS cannot read the gaiji area),
parsed as RFC 4180 CSV, and streamed into PostgreSQL with COPY, every column as text
exactly as dumped, with the file name and the line the record starts on. Before the
round's raw schema is replaced, each file's header must match legacy-extract.md, every
line must decode and parse, keys must be unique, and record counts and amount totals
must equal ``_CONTROL.csv``. Everything happens in one transaction: a refused extract
leaves the database exactly as it was. Messages name the file, the line and what to do;
they never quote a value from a record.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import psycopg2
from psycopg2 import sql

from . import db, legacy, refused, wareki

CHUNK_RECORDS = 20_000
PROGRESS_EVERY = 500_000
# Python's cp932 codec maps a few single bytes that Windows-31J does not define
# (0x80, 0xA0, 0xFD-0xFF) to U+0080 and U+F8F0-U+F8F3: they are not CP932 text.
_NOT_CP932 = re.compile("[\u0080\uf8f0-\uf8f3]")
# A NUL byte is CP932 (a control character, which §2 N step (2) turns into U+3000 with
# every other one), but no PostgreSQL text can hold U+0000: it is carried as U+001A
# (SUB, ASCII's own "substitute"), a control character that every rule treats alike.
NUL_STAND_IN = "\x1a"
_AMOUNT = legacy.amount_rule().pattern  # any length: _CONTROL sums amounts as dumped
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class LoadError(refused.Refused):
    """The extract is refused: names the file and line, says what to do."""

    def __init__(self, file: str, line: int | None, problem: str, action: str) -> None:
        where = f"{file} line {line}" if line is not None else file
        super().__init__(f"{where}: {problem}. {action}")
        self.file = file
        self.line = line


DAMAGED = "The dump is damaged: take the extract again, or ask the legacy vendor to check it."


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


@dataclass
class _Tracked:
    """Physical lines read so far, and whether the last one ended in CRLF."""

    lines: int = 0
    last_ended_crlf: bool = True
    last_had_newline: bool = True


def _decoded_lines(path: Path, tracked: _Tracked, digest: "hashlib._Hash") -> Iterator[str]:
    """Decode a CP932 file line by line (a CP932 trail byte is never CR or LF)."""
    try:
        yield from _decode(path, path.open("rb"), tracked, digest)
    except OSError as exc:
        raise LoadError(path.name, tracked.lines + 1 if tracked.lines else None,
                        f"the file cannot be read ({_os_error(exc)})", UNREADABLE) from None


UNREADABLE = ("The medium (or its copy) is unreadable: copy the extract again from the "
              "legacy system's media and retry.")


def _os_error(exc: OSError) -> str:
    """An OS error by its name and number, never its text (which holds the full path)."""
    name = errno.errorcode.get(exc.errno or 0, "error")
    return f"{name}, errno {exc.errno}" if exc.errno else type(exc).__name__


BLOCK_BYTES = 1 << 20


def _decode(path: Path, handle: "io.BufferedReader", tracked: _Tracked,
            digest: "hashlib._Hash") -> Iterator[str]:
    """Lines of the file, a block of whole lines at a time: a block whose every line ends
    in CRLF, decodes as CP932 and holds no character outside CP932 (nor, on line 1, a
    BOM) is decoded at once; any other block goes line by line through _decode_lines,
    which names the line and the problem exactly as before."""
    with handle:
        rest = b""
        while True:
            data = handle.read(BLOCK_BYTES)
            if not data:
                break
            data = rest + data
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                rest = data
                continue
            block, rest = data[:cut], data[cut:]
            text = _whole_block(block, tracked)
            if text is None:
                yield from _decode_lines(path, io.BytesIO(block), tracked, digest)
                continue
            digest.update(block)
            lines = text.split("\r\n")
            lines.pop()  # the block ends in CRLF: nothing after the last one
            tracked.last_had_newline = tracked.last_ended_crlf = True
            for line in lines:
                tracked.lines += 1
                yield line + "\r\n"
        if rest:
            yield from _decode_lines(path, io.BytesIO(rest), tracked, digest)


def _whole_block(block: bytes, tracked: _Tracked) -> str | None:
    """The text of a block of whole lines when nothing in it needs a closer look."""
    if block.count(b"\n") != block.count(b"\r\n"):
        return None
    if tracked.lines == 0 and block.startswith(b"\xef\xbb\xbf"):
        return None
    try:
        text = block.decode("cp932")
    except UnicodeDecodeError:
        return None
    if _NOT_CP932.search(text):
        return None
    return text.replace("\x00", NUL_STAND_IN) if "\x00" in text else text


def _decode_lines(path: Path, handle: BinaryIO, tracked: _Tracked,
                  digest: "hashlib._Hash") -> Iterator[str]:
    with handle:
        for raw in handle:
            digest.update(raw)
            tracked.lines += 1
            tracked.last_had_newline = raw.endswith(b"\n")
            tracked.last_ended_crlf = raw.endswith(b"\r\n")
            if tracked.lines == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raise LoadError(path.name, 1, "the file starts with a UTF-8 byte-order mark: "
                                "it was saved again as UTF-8, so it is not the CP932 dump",
                                DAMAGED)
            try:
                text = raw.decode("cp932")
            except UnicodeDecodeError as exc:
                raise LoadError(path.name, tracked.lines,
                                f"byte 0x{raw[exc.start]:02X} at byte {exc.start + 1} of the "
                                "line does not decode as CP932", DAMAGED) from None
            bad = _NOT_CP932.search(text)
            if bad:
                raise LoadError(path.name, tracked.lines,
                                f"character U+{ord(bad.group()):04X} is not CP932 text", DAMAGED)
            yield text.replace("\x00", NUL_STAND_IN) if "\x00" in text else text


def read_records(path: Path, header: tuple[str, ...],
                 digest: "hashlib._Hash | None" = None) -> Iterator[tuple[int, list[str]]]:
    """Yield (line the record starts on, fields) after checking the header; raise LoadError."""
    if path.is_dir():
        raise LoadError(path.name, None, "is a folder, not a file",
                        "Every file of legacy-extract.md §1 must be a plain file: " + UNREADABLE)
    if not path.exists():
        raise LoadError(path.name, None, "the file is missing from the extract",
                        "Every file of legacy-extract.md §1 must be present.")
    if not path.is_file():
        raise LoadError(path.name, None, "is not a plain file (a device or a pipe)",
                        UNREADABLE)
    tracked = _Tracked()
    lines = _decoded_lines(path, tracked, digest or hashlib.sha256())
    reader = csv.reader(lines, strict=True)
    start = 1
    first = True
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise LoadError(path.name, start, f"the record does not parse as CSV ({exc})",
                            DAMAGED) from None
        if tracked.last_had_newline and not tracked.last_ended_crlf:
            raise LoadError(path.name, tracked.lines, "the record ends in LF, not CRLF", DAMAGED)
        line, start = start, tracked.lines + 1
        if not record:  # a blank line is not a record
            continue
        if first:
            first = False
            if tuple(record) != header:
                raise LoadError(path.name, line, _header_problem(header, tuple(record)),
                                "The file must start with the header of legacy-extract.md §4. "
                                + DAMAGED)
            continue
        if len(record) != len(header):
            raise LoadError(path.name, line,
                            f"the record has {len(record)} fields, the header {len(header)}",
                            DAMAGED)
        yield line, record
    if first:
        raise LoadError(path.name, 1, "the file is empty (no header)", DAMAGED)


def _header_problem(expected: tuple[str, ...], found: tuple[str, ...]) -> str:
    missing = [c for c in expected if c not in found]
    unexpected = [c for c in found if c not in expected]
    parts = [f"the header differs from legacy-extract.md: expected {len(expected)} columns, "
             f"found {len(found)}"]
    if missing:
        parts.append("missing " + ", ".join(missing))
    if unexpected:
        # Only the spec's own column names are echoed: a file without its header starts
        # with a record, and a record may hold personal data (even "B203" is an address).
        known = {column for table in legacy.tables() for column in table.header}
        shown = [c for c in unexpected if c in known]
        parts.append(f"{len(unexpected)} unexpected"
                     + (": " + ", ".join(shown[:5]) if shown else " (not column names)"))
    if not missing and not unexpected:
        parts.append("the columns are out of order")
    return "; ".join(parts)


class _CopyStream(io.TextIOBase):
    """A file-like object that COPY reads: tab-separated text made from records."""

    def __init__(self, rows: Iterator[str]) -> None:
        self._rows = rows
        self._buffer = ""
        self.error: LoadError | None = None  # why reading stopped, for after COPY fails

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        """The next CHUNK_RECORDS records whatever ``size`` asks (psycopg2 sends what it
        is given as one CopyData message): no text is copied again to cut it to size."""
        if size is None or size < 0:
            return self._buffer + "".join(self._rows)
        if self._buffer:
            result, self._buffer = self._buffer, ""
            return result
        try:
            return "".join(next(self._rows, "") for _ in range(CHUNK_RECORDS))
        except LoadError as exc:
            self.error = exc
            raise

    readline = read  # type: ignore[assignment]  # COPY reads text lines from it


def _copy_rows(records: Iterator[tuple[int, list[str]]], file: str) -> Iterator[str]:
    for line, fields in records:
        joined = "\t".join(fields)
        # Escaped field by field only when some field needs it (one look at the record).
        if ("\\" in joined or "\n" in joined or "\r" in joined
                or joined.count("\t") != len(fields) - 1):
            joined = "\t".join(v.translate(_COPY_ESCAPES) for v in fields)
        yield f"{joined}\t{file}\t{line}\n"


def _copy(cursor, statement: sql.Composable, stream: _CopyStream) -> None:
    """COPY from the stream; a LoadError raised while reading is re-raised as itself."""
    try:
        cursor.copy_expert(statement.as_string(cursor), stream)
    except psycopg2.Error:
        if stream.error is not None:
            raise stream.error from None
        raise


def _create_table(cursor, schema: str, table: str, columns: tuple[str, ...]) -> None:
    column_sql = sql.SQL(", ").join(
        [sql.SQL("{} text not null").format(sql.Identifier(c)) for c in columns]
        + [sql.SQL("_source_file text not null"), sql.SQL("_source_line integer not null")]
    )
    cursor.execute(sql.SQL("create table {}.{} ({})").format(
        sql.Identifier(schema), sql.Identifier(table), column_sql))


def _load_file(cursor, schema: str, folder: Path, table: legacy.LegacyTable,
               progress: Callable[[str], None]) -> FileReport:
    path = folder / table.file
    digest = hashlib.sha256()
    started = time.perf_counter()
    stats = {"records": 0, "amount": 0}
    amount_index = table.columns.index(table.amount_column) if table.amount_column else None

    def counted() -> Iterator[tuple[int, list[str]]]:
        for line, record in read_records(path, table.header, digest):
            stats["records"] += 1
            if amount_index is not None and _AMOUNT.fullmatch(record[amount_index]):
                stats["amount"] += int(record[amount_index])
            if stats["records"] % PROGRESS_EVERY == 0:
                progress(f"  {table.file}: {stats['records']:,} records …")
            yield line, record

    _create_table(cursor, schema, table.name, table.columns)
    copy = sql.SQL("copy {}.{} from stdin").format(sql.Identifier(schema),
                                                   sql.Identifier(table.name))
    _copy(cursor, copy, _CopyStream(_copy_rows(counted(), table.file)))
    progress(f"  {table.file:<18} {stats['records']:>10,} records "
             f"({time.perf_counter() - started:.1f} s)")
    return FileReport(table=table.table_name, file=table.file, records=stats["records"],
                      amount_total=stats["amount"] if amount_index is not None else None,
                      sha256=digest.hexdigest(), bytes=path.stat().st_size)


def _read_control(folder: Path) -> dict[str, tuple[int, int, int | None]]:
    """_CONTROL.csv as {TABLE: (line, record count, amount total)}."""
    control = legacy.control_table()
    expected = {t.table_name: t for t in legacy.data_tables()}
    result: dict[str, tuple[int, int, int | None]] = {}
    for line, (name, count, amount) in read_records(folder / control.file, control.header):
        if name not in expected:
            raise LoadError(control.file, line, f"unknown table name {name[:20]!r}", DAMAGED)
        if name in result:
            raise LoadError(control.file, line, f"{name} is listed twice", DAMAGED)
        if not re.fullmatch(r"[0-9]+", count):
            raise LoadError(control.file, line, f"RECORD_COUNT of {name} is not a number",
                            DAMAGED)
        wants_amount = expected[name].amount_column is not None
        if wants_amount and not _AMOUNT.fullmatch(amount):
            raise LoadError(control.file, line, f"AMOUNT_TOTAL of {name} is not an integer",
                            DAMAGED)
        if not wants_amount and amount:
            raise LoadError(control.file, line, f"AMOUNT_TOTAL of {name} must be empty",
                            DAMAGED)
        result[name] = (line, int(count), int(amount) if wants_amount else None)
    missing = [name for name in expected if name not in result]
    if missing:
        raise LoadError(control.file, None, "no row for " + ", ".join(missing), DAMAGED)
    return result


def _check_control(report: FileReport, control: tuple[int, int, int | None]) -> None:
    line, count, amount = control
    if report.records != count:
        raise LoadError(report.file, None,
                        f"the file holds {report.records:,} records but _CONTROL.csv line "
                        f"{line} says {count:,}",
                        "The file was cut short or altered: take the extract again.")
    if amount is not None and report.amount_total != amount:
        raise LoadError(report.file, None,
                        f"the amounts add up to {report.amount_total:,} but _CONTROL.csv line "
                        f"{line} says {amount:,}",
                        "The file was altered: take the extract again.")


def _check_keys(cursor, schema: str, table: legacy.LegacyTable) -> None:
    """A duplicate primary key (deleted rows included) means the dump is damaged."""
    key = sql.SQL(", ").join(sql.Identifier(c) for c in table.key)
    cursor.execute(sql.SQL(
        "select {key}, min(_source_line), max(_source_line) from {schema}.{table} "
        "group by {key} having count(*) > 1 order by 2 limit 1"
    ).format(key=key, schema=sql.Identifier(schema), table=sql.Identifier(table.name)))
    row = cursor.fetchone()
    if row:
        values = ", ".join(f"{c.upper()} {v[:20]}" for c, v in zip(table.key, row, strict=False))
        raise LoadError(table.file, row[-1],
                        f"duplicate primary key {values} (first on line {row[-2]})", DAMAGED)


def _fiscal_year_sql(column: str) -> sql.Composable:
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


def _check_chotei_periods(cursor, schema: str) -> None:
    """Two live CHOTEI rows for one household, 相当年度 (as 西暦) and 期別."""
    cursor.execute(sql.SQL(
        "select setai_no, {fy}, kibetsu, min(_source_line), max(_source_line) "
        "from {schema}.chotei where sakujo_flg <> '1' and {fy} is not null "
        "group by 1, 2, 3 having count(*) > 1 order by 4 limit 1"
    ).format(fy=_fiscal_year_sql("soto_nendo"), schema=sql.Identifier(schema)))
    row = cursor.fetchone()
    if row:
        raise LoadError("CHOTEI.csv", row[4],
                        f"a second live row for SETAI_NO {row[0][:10]}, 相当年度 {row[1]}, "
                        f"期別 {row[2][:2]} (first on line {row[3]})", DAMAGED)


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
    control = _read_control(folder)
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(loading)))
        cursor.execute(sql.SQL("create schema {}").format(sql.Identifier(loading)))
        for table in legacy.data_tables():
            file_report = _load_file(cursor, loading, folder, table, progress)
            _check_control(file_report, control[table.table_name])
            _check_keys(cursor, loading, table)
            report.files.append(file_report)
        _check_chotei_periods(cursor, loading)
        control_table = legacy.control_table()
        _create_table(cursor, loading, control_table.name, control_table.columns)
        _copy(cursor, sql.SQL("copy {}.{} from stdin").format(
                  sql.Identifier(loading), sql.Identifier(control_table.name)),
              _CopyStream(_copy_rows(read_records(folder / control_table.file,
                                                  control_table.header), control_table.file)))
        _write_load_log(cursor, loading, report.files)
        cursor.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema)))
        cursor.execute(sql.SQL("alter schema {} rename to {}").format(
            sql.Identifier(loading), sql.Identifier(schema)))
        for table in (*legacy.data_tables(), legacy.control_table()):
            cursor.execute(sql.SQL("analyze {}.{}").format(sql.Identifier(schema),
                                                            sql.Identifier(table.name)))
    report.seconds = time.perf_counter() - started
    return report
