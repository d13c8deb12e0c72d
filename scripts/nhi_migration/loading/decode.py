"""CP932 bytes to text lines, or a refusal naming the line and the byte (pure: a file in,
lines out, no database).

Every file is decoded here, not by PostgreSQL, whose SJIS cannot read the gaiji area. A
block of whole CRLF lines that needs no closer look is decoded at once; any other goes
line by line, so a problem is named with its line exactly.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .errors import DAMAGED, UNREADABLE, LoadError, os_error

BLOCK_BYTES = 1 << 20
# Python's cp932 codec maps a few single bytes that Windows-31J does not define
# (0x80, 0xA0, 0xFD-0xFF) to U+0080 and U+F8F0-U+F8F3: they are not CP932 text.
_NOT_CP932 = re.compile("[\u0080\uf8f0-\uf8f3]")
# A NUL byte is CP932 (a control character, which §2 N step (2) turns into U+3000 with
# every other one), but no PostgreSQL text can hold U+0000: it is carried as U+001A
# (SUB, ASCII's own "substitute"), a control character that every rule treats alike.
NUL_STAND_IN = "\x1a"
_BOM = b"\xef\xbb\xbf"


@dataclass
class Tracked:
    """Physical lines read so far, and whether the last one ended in CRLF."""

    lines: int = 0
    last_ended_crlf: bool = True
    last_had_newline: bool = True


def decoded_lines(path: Path, tracked: Tracked, digest: "hashlib._Hash") -> Iterator[str]:
    """Decode a CP932 file line by line (a CP932 trail byte is never CR or LF)."""
    try:
        yield from _decode(path, path.open("rb"), tracked, digest)
    except OSError as exc:
        raise LoadError(path.name, tracked.lines + 1 if tracked.lines else None,
                        f"the file cannot be read ({os_error(exc)})", UNREADABLE) from None


def _decode(path: Path, handle: "io.BufferedReader", tracked: Tracked,
            digest: "hashlib._Hash") -> Iterator[str]:
    """Lines of the file, a block of whole lines at a time: a block whose every line ends
    in CRLF, decodes as CP932 and holds no character outside CP932 (nor, on line 1, a
    BOM) is decoded at once; any other block goes line by line through _decode_lines,
    which names the line and the problem exactly as before."""
    with handle:
        for block, whole in line_blocks(handle):
            text = whole_block(block, tracked) if whole else None
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


def line_blocks(handle: BinaryIO) -> Iterator[tuple[bytes, bool]]:
    """The file's bytes in order, about BLOCK_BYTES at a time: (block, True) for a block
    of whole lines (it ends in LF), then (rest, False) for what follows the last LF."""
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
        yield block, True
    if rest:
        yield rest, False


def whole_block(block: bytes, tracked: Tracked) -> str | None:
    """The text of a block of whole lines when nothing in it needs a closer look."""
    if block.count(b"\n") != block.count(b"\r\n"):
        return None
    if tracked.lines == 0 and block.startswith(_BOM):
        return None
    if block.isascii():  # CP932's bytes 00-7F are ASCII: nothing outside CP932 either
        text = block.decode("ascii")
    else:
        try:
            text = block.decode("cp932")
        except UnicodeDecodeError:
            return None
        if _NOT_CP932.search(text):
            return None
    return text.replace("\x00", NUL_STAND_IN) if "\x00" in text else text


def _decode_lines(path: Path, handle: BinaryIO, tracked: Tracked,
                  digest: "hashlib._Hash") -> Iterator[str]:
    with handle:
        for raw in handle:
            digest.update(raw)
            tracked.lines += 1
            tracked.last_had_newline = raw.endswith(b"\n")
            tracked.last_ended_crlf = raw.endswith(b"\r\n")
            if tracked.lines == 1 and raw.startswith(_BOM):
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
