"""Where things are: the project checkout and the folder it owns for generated files."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
# Everything a run creates on this machine lives under .local/ (ignored by git): the
# embedded cluster's pointer, each round's work folder (dbt target, logs, GX results).
LOCAL_DIR = Path(os.environ.get("NHI_LOCAL_DIR", PROJECT_DIR / ".local")).resolve()
SOURCES_YML = PROJECT_DIR / "models" / "staging" / "legacy" / "_legacy__sources.yml"


def round_work_dir(round_id: str) -> Path:
    """The folder one round's intermediate files live in (erased with the round)."""
    return LOCAL_DIR / "rounds" / round_id
