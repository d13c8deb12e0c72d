"""Where things are: the project checkout and the folder it owns for generated files.

A round's name becomes a folder name and a database schema name. setup-layouts.md §1
allows letters, digits, ``_`` and ``-`` only; ``round_work_dir`` and ``db.schema_name``
check the name again themselves, so no path or schema derived from a round can leave
the tool's own folders or a round's own schemas, whatever string reaches them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .refused import Refused

PROJECT_DIR = Path(__file__).resolve().parents[2]
# Everything a run creates on this machine lives under .local/ (ignored by git): the
# embedded cluster's pointer, each round's work folder (dbt target, logs, GX results).
LOCAL_DIR = Path(os.environ.get("NHI_LOCAL_DIR", PROJECT_DIR / ".local")).resolve()
SOURCES_YML = PROJECT_DIR / "models" / "staging" / "legacy" / "_legacy__sources.yml"
ROUNDS_DIR = LOCAL_DIR / "rounds"

ROUND_PATTERN = re.compile(r"[A-Za-z0-9_-]{6}")
ROUND_RULE = ("a round is exactly 6 characters, each a letter A–Z/a–z, a digit, '_' or '-' "
              "(e.g. TEST01, PROD01): it names folders and database schemas")


class BadRound(Refused, ValueError):
    """A round name that could not be a safe folder and schema name."""


def check_round(round_id: str) -> str:
    """``round_id`` if it is a safe round name (setup-layouts.md §1), else BadRound."""
    if not isinstance(round_id, str) or not ROUND_PATTERN.fullmatch(round_id):
        raise BadRound(ROUND_RULE)
    return round_id


def round_work_dir(round_id: str) -> Path:
    """The folder one round's intermediate files live in (erased with the round).

    Always a direct child of ``.local/rounds/``: the name is checked, and the resolved
    path is checked to be inside it (a symbolic link planted there is refused too).
    """
    folder = ROUNDS_DIR / check_round(round_id)
    if folder.resolve().parent != ROUNDS_DIR.resolve():
        raise BadRound(f"the work folder of round {round_id} resolves outside "
                       f"{ROUNDS_DIR}: remove the link there")
    return folder


def rounds_on_disk() -> list[str]:
    """The rounds that have a work folder here."""
    if not ROUNDS_DIR.is_dir():
        return []
    return sorted(p.name for p in ROUNDS_DIR.iterdir()
                  if p.is_dir() and ROUND_PATTERN.fullmatch(p.name))


def case_twin(round_id: str) -> str | None:
    """A round here whose name differs from ``round_id`` only in case (TEST01, test01).

    Schemas are named in lower case, so the two would share them: such a round is refused.
    """
    return next((name for name in rounds_on_disk()
                 if name.lower() == round_id.lower() and name != round_id), None)
