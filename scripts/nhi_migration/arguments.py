"""What the command line accepts: the parser that refuses in one line, and the checks of
each argument (a round name, a 基準日, a count, an output folder).

Pure but for ``check_out_folder``, which asks the file system; nothing here needs the
database or dbt.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

from . import paths, refused


class UsageError(refused.Refused):
    """The command line itself is wrong: one line saying what and how to get help."""


class OutFolderRefused(refused.Refused):
    """``--out`` names a place the package cannot be written to."""


class Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one audited ``REFUSED:`` line (exit 1), not a usage dump."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self.add_argument("-h", "--help", action="help",
                          help="この説明を表示して終わる。Show this help and exit")

    def error(self, message: str) -> NoReturn:
        hint = closest_option(self, message)
        if "required" in message and "--operator" in message:
            hint += ("; this command handles personal data: give --operator ID (a handler "
                     "the ward designated in its handlers file)")
        raise UsageError(f"{self.prog}: {message}{hint}. See `{self.prog} --help`")

    def parse_args(self, args=None, namespace=None):  # type: ignore[override]
        """Name a mistyped option first: argparse would only say what is missing."""
        words = list(sys.argv[1:] if args is None else args)
        command = next((w for w in words if not w.startswith("-")), None)
        choices = next((a.choices for a in self._actions
                        if isinstance(a, argparse._SubParsersAction)), {})
        if command in choices:
            sub = choices[command]
            known = {o for action in sub._actions for o in action.option_strings}
            known |= {o for action in self._actions for o in action.option_strings}
            for word in words:
                option = word.split("=", 1)[0]
                if option.startswith("--") and option not in known:
                    sub.error(f"unrecognized arguments: {option}")
        return super().parse_args(args, namespace)


def closest_option(parser: argparse.ArgumentParser, message: str) -> str:
    """", did you mean --input?" for a mistyped flag or subcommand, else ""."""
    unknown = re.findall(r"(?:unrecognized arguments|invalid choice): '?(\S+?)'?(?:\s|$|\()",
                         message)
    known = [option for action in parser._actions for option in action.option_strings]
    known += [choice for action in parser._actions
              if isinstance(action, argparse._SubParsersAction) for choice in action.choices]
    for word in unknown:
        close = difflib.get_close_matches(word.split("=")[0], known, n=1, cutoff=0.6)
        if close:
            return f" (did you mean {close[0]}?)"
    return ""


def round_id(text: str) -> str:
    try:
        return paths.check_round(text)
    except paths.BadRound as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def as_of_date(text: str, today: dt.date | None = None) -> str:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            "基準日 (as-of date) must be a real date written YYYY-MM-DD") from None
    today = today or dt.date.today()
    if day > today:
        raise argparse.ArgumentTypeError(
            f"基準日 (as-of date) {day.isoformat()} is after today ({today.isoformat()}): the "
            "extract cannot have been taken on a day that has not come; give the day it "
            "was taken")
    return day.isoformat()


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError("must be a positive whole number")
    return int(text)


def check_out_folder(out: Path) -> None:
    """Refuse, before the round starts, an output folder the package cannot be written to.

    The package is written beside ``out`` first (``.<name>.incomplete``) and renamed, so
    ``out``'s parent must be a folder the tool can write (or create), and ``out`` must be a
    folder or not exist yet.
    """
    if out.exists() and not out.is_dir():
        raise OutFolderRefused(f"--out {out} is a file, not a folder: give a folder for the "
                               "package (it is created when missing)")
    ancestor = out.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutFolderRefused(f"--out {out}: {ancestor} is a file, so no folder can be made "
                               "below it: give a folder for the package")
    read_only = bool(os.statvfs(ancestor).f_flag & os.ST_RDONLY)
    if read_only or not _can_create_folder_in(ancestor):
        raise OutFolderRefused(f"--out {out}: the tool cannot write in {ancestor}"
                               f"{' (a read-only file system)' if read_only else ''}: give a "
                               "folder you can write to")


def _can_create_folder_in(folder: Path) -> bool:
    """Try it (permissions, ACLs, immutable folders and root on NFS all decide): a probe
    folder is made and removed at once."""
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".nhi-write-probe-", dir=folder))
        return True
    except OSError:
        return False
