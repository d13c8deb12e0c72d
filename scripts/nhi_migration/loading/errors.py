"""The loader's refusals: the file, the line, the problem and what to do, in one line.

They never quote a value from a record.
"""

from __future__ import annotations

import errno

from .. import refused

DAMAGED = "The dump is damaged: take the extract again, or ask the legacy vendor to check it."
UNREADABLE = ("The medium (or its copy) is unreadable: copy the extract again from the "
              "legacy system's media and retry.")


class LoadError(refused.Refused):
    """The extract is refused: names the file and line, says what to do."""

    def __init__(self, file: str, line: int | None, problem: str, action: str) -> None:
        where = f"{file} line {line}" if line is not None else file
        super().__init__(f"{where}: {problem}. {action}")
        self.file = file
        self.line = line


def os_error(exc: OSError) -> str:
    """An OS error by its name and number, never its text (which holds the full path)."""
    name = errno.errorcode.get(exc.errno or 0, "error")
    return f"{name}, errno {exc.errno}" if exc.errno else type(exc).__name__
