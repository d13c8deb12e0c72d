"""Records into PostgreSQL with COPY: one text table per dump file, every column as
dumped, with the file name and the line each record starts on."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator

import psycopg2
from psycopg2 import sql

from .. import legacy
from .errors import LoadError
from .plain import NotPlain

CHUNK_RECORDS = 20_000
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class CopyStream(io.TextIOBase):
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


class PlainStream(io.TextIOBase):
    """A file-like object that COPY reads: the plain path's chunks of COPY text. When the
    plain path stops (NotPlain) it ends the data there, so COPY is never handed a line it
    would refuse; ``stopped`` says why, and the caller rolls the table back."""

    def __init__(self, chunks: Iterator[str]) -> None:
        self._chunks = chunks
        self.stopped: NotPlain | None = None

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        """The next chunk whatever ``size`` asks (one CopyData message each); "" at the end."""
        if self.stopped is not None:
            return ""
        try:
            if size is None or size < 0:
                return "".join(self._chunks)
            return next(self._chunks, "")
        except NotPlain as exc:
            self.stopped = exc
            return ""

    readline = read  # type: ignore[assignment]


def copy_plain(cursor, schema: str, table: legacy.LegacyTable, chunks: Iterator[str]) -> bool:
    """Create the table of one dump file in ``schema`` and COPY the plain path's text in:
    False when the plain path stopped (what was copied must then be rolled back)."""
    _create_table(cursor, schema, table.name, table.columns)
    statement = sql.SQL("copy {}.{} from stdin").format(sql.Identifier(schema),
                                                        sql.Identifier(table.name))
    stream = PlainStream(chunks)
    cursor.copy_expert(statement.as_string(cursor), stream)
    return stream.stopped is None


def copy_rows(records: Iterable[tuple[int, list[str]]], file: str) -> Iterator[str]:
    """COPY's text format: the fields, the file name and the line, tab-separated."""
    for line, fields in records:
        joined = "\t".join(fields)
        # Escaped field by field only when some field needs it (one look at the record).
        if ("\\" in joined or "\n" in joined or "\r" in joined
                or joined.count("\t") != len(fields) - 1):
            joined = "\t".join(v.translate(_COPY_ESCAPES) for v in fields)
        yield f"{joined}\t{file}\t{line}\n"


def copy_table(cursor, schema: str, table: legacy.LegacyTable,
               records: Iterable[tuple[int, list[str]]]) -> None:
    """Create the table of one dump file in ``schema`` and COPY its records in; a
    LoadError raised while reading them is raised as itself."""
    _create_table(cursor, schema, table.name, table.columns)
    statement = sql.SQL("copy {}.{} from stdin").format(sql.Identifier(schema),
                                                        sql.Identifier(table.name))
    stream = CopyStream(copy_rows(records, table.file))
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
