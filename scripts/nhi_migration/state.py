"""What a round has left on this machine, recorded as it happens, for erasure.

``.local/rounds/<ROUND>/state.json`` lists the extract the round was loaded from (with
its hashes), every package it exported, every path the tool created for it, and every
staging folder an export was about to write (recorded before the folder is made, so that
erase finds it even after the process was killed). Erase reads it and deletes nothing
else.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .paths import round_work_dir


def state_path(round_id: str) -> Path:
    return round_work_dir(round_id) / "state.json"


def read(round_id: str) -> dict:
    path = state_path(round_id)
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    return {"round": round_id, "inputs": {}, "exports": [], "created": [], "staging": []}


def _write(round_id: str, state: dict) -> None:
    path = state_path(round_id)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Written beside and renamed: a kill -9 mid-write leaves the previous state, whole.
    part = path.with_name(f"{path.name}.part")
    part.write_text(json.dumps(state, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                    encoding="utf-8")
    os.replace(part, path)


def record_load(round_id: str, folder: Path, hashes: dict[str, str]) -> None:
    state = read(round_id)
    state["inputs"] = {"folder": str(folder.resolve()), "sha256": hashes}
    _write(round_id, state)


def record_export(round_id: str, folder: Path, manifest_sha256: str) -> None:
    state = read(round_id)
    entry = {"folder": str(folder.resolve()), "manifest_sha256": manifest_sha256}
    state["exports"] = [e for e in state["exports"] if e["folder"] != entry["folder"]] + [entry]
    _write(round_id, state)


def record_created(round_id: str, path: Path) -> None:
    state = read(round_id)
    if str(path.resolve()) not in state["created"]:
        state["created"].append(str(path.resolve()))
    _write(round_id, state)


def record_staging(round_id: str, folder: Path) -> None:
    """An export's staging folder (``.<out>.incomplete``), recorded before it exists."""
    state = read(round_id)
    staging = state.setdefault("staging", [])
    if str(folder.resolve()) not in staging:
        staging.append(str(folder.resolve()))
    _write(round_id, state)
