"""Write the output package of setup-layouts.md §7 from one validated build.

The records come from the model ``export_records`` as the bytes PostgreSQL's CP932
encoder wrote (髙 → 0xFBFC); this module only streams them in key order, appends CRLF,
counts, hashes and writes files. It refuses unless the validation passed for this very
build. The package is written into a private temporary folder, each file under a
``.part`` name renamed when complete, and the folder is renamed to the output folder at
the end: a crash never leaves a file that looks whole. The staging folder
(``.<out>.incomplete`` beside the output folder) is recorded in the round's state before
it is made, so that ``erase`` removes it even when the process was killed mid-way.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from psycopg2 import sql

from . import cp932, db, layouts, refused, state

PACKAGE_FILES_CSV = ("KT000_CONTROL.csv",)
MANIFEST = "manifest.json"
FETCH_ROWS = 20_000
EXPORT_CONNECTIONS = 2


class ExportRefused(refused.Refused):
    """The package must not be written; the message says why (no personal data)."""


@dataclass(frozen=True)
class WrittenFile:
    name: str
    records: int
    bytes: int
    sha256: str


@dataclass
class Package:
    folder: Path
    files: list[WrittenFile] = field(default_factory=list)


def package_file_names(project: layouts.Project) -> list[str]:
    """Every file name the package may hold (what a refused run removes)."""
    return ([layout.file_name for layout in project.layouts] + list(PACKAGE_FILES_CSV)
            + [c.file_name for c in project.csv_outputs] + [MANIFEST])


def remove_package(folder: Path, project: layouts.Project) -> list[str]:
    """Remove a package's files (and only those) from ``folder``; return what was removed."""
    removed = []
    for name in package_file_names(project):
        path = folder / name
        if path.is_file():
            path.unlink()
            removed.append(name)
    return removed


def _write_atomically(folder: Path, name: str, chunks) -> WrittenFile:
    """Write chunks to ``name.part``, then rename; return size and hash. ``chunks`` is an
    iterable of bytes, or a function that is given the writer and calls it with each."""
    part = folder / f"{name}.part"
    digest = hashlib.sha256()
    size = 0
    with os.fdopen(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
        def emit(chunk: bytes) -> None:
            nonlocal size
            handle.write(chunk)
            digest.update(chunk)
            size += len(chunk)

        if callable(chunks):
            chunks(emit)
        else:
            for chunk in chunks:
                emit(chunk)
        handle.flush()
        os.fsync(handle.fileno())
    part.rename(folder / name)
    return WrittenFile(name=name, records=0, bytes=size, sha256=digest.hexdigest())


def _records(connection, export_relation: str, layout: layouts.Layout, counter: dict):
    """Stream one file's records (header, data in key order, trailer) with CRLF."""
    with connection.cursor(name=f"export_{layout.file_id.lower()}") as cursor:
        cursor.itersize = FETCH_ROWS
        cursor.execute(sql.SQL("select section, record from {} where file_id = %s "
                               "order by section, sort_key").format(sql.SQL(export_relation)),
                       (layout.file_id,))
        buffer = io.BytesIO()
        for number, (section, record) in enumerate(cursor, start=1):
            if record is None:
                raise ExportRefused(
                    f"{layout.file_name} record {number}: a value does not fit its field "
                    "(too long, not ASCII for X, or negative/too large for 9(n)); the "
                    "validation should have caught it: check the layout and the marts")
            data = bytes(record)
            if len(data) != layout.record_length:
                raise ExportRefused(
                    f"{layout.file_name} record {number}: {len(data)} bytes, the layout "
                    f"says {layout.record_length}")
            if section == 2:
                counter["records"] += 1
            buffer.write(data)
            buffer.write(b"\r\n")
            if buffer.tell() >= 1 << 20:
                yield buffer.getvalue()
                buffer = io.BytesIO()
        yield buffer.getvalue()


_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_COPY_HEADER = 19  # signature, flags (int32), header extension length (int32)


class _NotFastPath(Exception):
    """The binary COPY stream is not exactly one record of the layout's length per row
    (a NULL or misfit record): the file is written again the slow way, which names it."""


class _BinaryCopySink(io.RawIOBase):
    """What COPY … TO STDOUT (FORMAT binary) writes, for one column ``record || CRLF``
    of ``length`` + 2 bytes: strips the per-row headers and passes the records on.

    Every row of a good stream is ``00 01`` (one field) + its length (int32) + the record
    and CRLF, so the row header is the same 6 bytes on every row. A CP932 record never
    holds a 00 byte (PostgreSQL text cannot hold U+0000), so those 6 bytes occur only
    where a row starts: a block of n rows is good when it holds the row header exactly
    n times and n rows' worth of bytes remain without it. Anything else (a NULL record:
    length -1; a record of another length) stops the fast path: what follows is not
    passed on, and finish() says so once COPY has ended cleanly."""

    def __init__(self, length: int, emit) -> None:
        super().__init__()
        self._row = 6 + length + 2
        self._prefix = b"\x00\x01" + (length + 2).to_bytes(4, "big")
        self._emit = emit
        self._pending = bytearray()
        self._header_seen = False
        self.bad = False
        self.rows = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if not self.bad:
            self._pending += data
            if len(self._pending) >= 1 << 20:
                self._drain()
        return len(data)

    def _drain(self) -> None:
        try:
            self._drain_rows()
        except _NotFastPath:
            self.bad = True
            self._pending.clear()

    def _drain_rows(self) -> None:
        buffer = self._pending
        if not self._header_seen:
            if len(buffer) < _COPY_HEADER:
                return
            if (buffer[:11] != _COPY_SIGNATURE
                    or buffer[15:19] != b"\x00\x00\x00\x00"):
                raise _NotFastPath()
            del buffer[:_COPY_HEADER]
            self._header_seen = True
        rows = len(buffer) // self._row
        if rows:
            block = bytes(buffer[:rows * self._row])
            del buffer[:rows * self._row]
            if block.count(self._prefix) != rows:
                raise _NotFastPath()
            data = block.replace(self._prefix, b"")
            if len(data) != rows * (self._row - 6):
                raise _NotFastPath()
            self.rows += rows
            self._emit(data)

    def finish(self) -> None:
        self._drain()
        if self.bad or bytes(self._pending) != b"\xff\xff" or not self._header_seen:
            raise _NotFastPath()


def _write_file_fast(connection, export_relation: str, layout: layouts.Layout,
                     folder: Path) -> tuple[WrittenFile, int]:
    """One setup file by COPY: header and trailer by query, the data records (section 2,
    in key order) streamed by binary COPY into the file as they come. Returns the file
    and its data record count; raises _NotFastPath when a record is NULL or misfit."""
    rows = {"data": 0}

    def fill(emit) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("select section, record from {} where file_id = %s "
                                   "and section <> 2 order by section").format(
                sql.SQL(export_relation)), (layout.file_id,))
            edges = cursor.fetchall()
            if ([section for section, _ in edges] != [1, 9]
                    or any(r is None or len(bytes(r)) != layout.record_length
                           for _, r in edges)):
                raise _NotFastPath()
            emit(bytes(edges[0][1]) + b"\r\n")
            sink = _BinaryCopySink(layout.record_length, emit)
            cursor.copy_expert(sql.SQL(
                "copy (select record || '\\x0d0a'::bytea from {} where file_id = {} "
                "and section = 2 order by sort_key) to stdout (format binary)").format(
                sql.SQL(export_relation), sql.Literal(layout.file_id)).as_string(cursor), sink)
            sink.finish()
            emit(bytes(edges[1][1]) + b"\r\n")
            rows["data"] = sink.rows

    return _write_atomically(folder, layout.file_name, fill), rows["data"]


def _write_setup_file(connection, export_relation: str, layout: layouts.Layout,
                      folder: Path) -> tuple[WrittenFile, int]:
    """The fast path, or (a NULL or misfit record somewhere) the record-by-record path,
    which refuses naming the record."""
    try:
        return _write_file_fast(connection, export_relation, layout, folder)
    except _NotFastPath:
        connection.rollback()
    counter = {"records": 0}
    written = _write_atomically(folder, layout.file_name,
                                _records(connection, export_relation, layout, counter))
    return written, counter["records"]


def _write_setup_file_connected(export_relation: str, layout: layouts.Layout,
                                folder: Path) -> tuple[WrittenFile, int]:
    with db.connect() as connection:
        return _write_setup_file(connection, export_relation, layout, folder)


def _csv_bytes(header: list[str], rows: list[list[object]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return cp932.windows(text.getvalue())


def _plain_integer(value: int | None) -> int | str:
    return "" if value is None else int(value)


def check_receipt(receipt_path: Path, project: layouts.Project, invocation_id: str,
                  fingerprint: dict[str, str]) -> dict:
    if not receipt_path.is_file():
        raise ExportRefused("no validation has been run for this build: run "
                            "`migrate.py validate` (or `run`) first")
    receipt = json.loads(receipt_path.read_text(encoding="utf-8"))
    if not receipt.get("success"):
        raise ExportRefused(f"the validation of this build failed "
                            f"({receipt.get('expectations_failed')} expectation(s))")
    if receipt.get("dbt_invocation_id") != invocation_id:
        raise ExportRefused("the validation was for another dbt build than the one in the "
                            "database: validate this build first")
    if receipt.get("relations") != fingerprint:
        raise ExportRefused("a mart changed after the validation (rebuilt or edited): "
                            "validate this build again")
    return receipt


def staging_folder(out: Path) -> Path:
    """Where a package is written before it is moved into ``out``."""
    return out.parent / f".{out.name}.incomplete"


def _round_of(project: layouts.Project) -> str:
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(sql.SQL("select round_id from {}").format(
            sql.SQL(project.relations["round_parameters"])))
        (round_id,) = db.fetch_one(cursor)
    return str(round_id)


def export(project: layouts.Project, out: Path, basis: Callable[[], dict],
           progress: Callable[[str], None]) -> Package:
    """Write the whole package into ``out`` (replacing a previous package there).
    ``basis`` gives manifest.json's basis once every other file is written, before
    anything reaches ``out``; it may still refuse (ExportRefused), and then nothing does."""
    incomplete = staging_folder(out)
    # Recorded before it exists: a kill -9 from here on leaves a folder erase knows of.
    state.record_staging(_round_of(project), incomplete)
    if incomplete.exists():
        shutil.rmtree(incomplete)
    incomplete.mkdir(parents=True, mode=0o700)
    try:
        return _export_into(project, out, incomplete, basis, progress)
    except BaseException:
        shutil.rmtree(incomplete, ignore_errors=True)
        raise


def _export_into(project: layouts.Project, out: Path, incomplete: Path,
                 basis: Callable[[], dict], progress: Callable[[str], None]) -> Package:
    package = Package(folder=out)
    export_relation = project.relations["export_records"]
    with db.connect() as connection:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("select round_id, as_of::text from {}").format(
                sql.SQL(project.relations["round_parameters"])))
            round_id, as_of = db.fetch_one(cursor)
            columns = [c for c, _ in project.control_headers]
            cursor.execute(sql.SQL("select file_id, {} from {} order by file_id").format(
                sql.SQL(", ").join(sql.Identifier(c) for c in columns),
                sql.SQL(project.relations["file_totals"])))
            totals = {row[0]: dict(zip(columns, row[1:], strict=True)) for row in cursor.fetchall()}
            cursor.execute(sql.SQL("select table_name, file_name, file_records, sha256, "
                                   "file_bytes from {} order by file_name").format(
                sql.SQL(project.relations["stg_legacy__load_log"])))
            inputs = [{"table": t, "file": f, "records": r, "sha256": h, "bytes": b}
                      for t, f, r, h, b in cursor.fetchall()]
        for layout in project.layouts:
            layouts.check_layout(layout)
        # The setup files are written two at a time, each on its own connection (the
        # server builds and sorts one file's records while the other streams); they are
        # checked and reported in file order, and the first failure stops the export.
        with ThreadPoolExecutor(max_workers=EXPORT_CONNECTIONS) as pool:
            futures = [pool.submit(_write_setup_file_connected, export_relation, layout,
                                   incomplete) for layout in project.layouts]
            results = [future.result() for future in futures]
        for layout, (written, records) in zip(project.layouts, results, strict=True):
            expected = totals[layout.file_id]["record_count"]
            if records != expected:
                raise ExportRefused(f"{layout.file_name}: {records:,} data records "
                                    f"written, the trailer says {expected:,}")
            written = WrittenFile(written.name, records, written.bytes, written.sha256)
            package.files.append(written)
            progress(f"  {written.name:<10} {written.records:>10,} records "
                     f"{written.bytes:>13,} bytes")
        for output in project.csv_outputs:
            with connection.cursor() as cursor:
                cursor.execute(sql.SQL("select {} from {} order by {}").format(
                    sql.SQL(", ").join(sql.Identifier(c) for c in output.columns),
                    sql.SQL(output.relation),
                    sql.SQL(", ").join(sql.Identifier(c) for c in output.order_by)))
                rows = [list(row) for row in cursor.fetchall()]
            data = _csv_bytes(list(output.headers), rows)
            written = _write_atomically(incomplete, output.file_name, [data])
            package.files.append(WrittenFile(written.name, len(rows), written.bytes,
                                             written.sha256))
    control_header = ["FILE_ID"]
    for column, header in project.control_headers:
        control_header.append(header)
        if column == "record_count":
            control_header += ["BYTES", "SHA256"]
    control_rows = []
    dat_files = {f.name: f for f in package.files}
    for layout in project.layouts:
        written = dat_files[layout.file_name]
        row: list[object] = [layout.file_id]
        for column, _ in project.control_headers:
            row.append(_plain_integer(totals[layout.file_id][column]))
            if column == "record_count":
                row += [written.bytes, written.sha256]
        control_rows.append(row)
    written = _write_atomically(incomplete, "KT000_CONTROL.csv",
                                [_csv_bytes(control_header, control_rows)])
    package.files.append(WrittenFile(written.name, len(control_rows), written.bytes,
                                     written.sha256))
    manifest = {
        "round": round_id,
        "as_of": as_of,
        "files": {f.name: {"records": f.records, "bytes": f.bytes, "sha256": f.sha256}
                  for f in package.files},
        "totals": {fid: {k: v for k, v in figures.items() if v is not None}
                   for fid, figures in totals.items()},
        "inputs": inputs,
        "basis": basis(),
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    _write_atomically(incomplete, MANIFEST, [text.encode("utf-8")])
    if out.exists():
        remove_package(out, project)
        for leftover in incomplete.iterdir():
            leftover.rename(out / leftover.name)
        incomplete.rmdir()
        os.chmod(out, 0o700)
    else:
        incomplete.rename(out)
    return package
