"""Designated handlers (特記事項 13): who may run which command, from a file the ward keeps."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .paths import PROJECT_DIR

# Commands that read or write personal data: each needs a designated --operator.
PERSONAL_DATA_COMMANDS = ("load", "build", "validate", "export", "run", "compare",
                          "verify-pack", "erase")
_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


class HandlerError(Exception):
    """A one-line refusal: no handlers file, or an operator not designated."""


@dataclass(frozen=True)
class Operator:
    id: str
    role: str
    role_label: str


def handlers_path(explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    if os.environ.get("NHI_HANDLERS"):
        return Path(os.environ["NHI_HANDLERS"])
    return PROJECT_DIR / "handlers.yml"


def authorise(path: Path, operator_id: str | None, command: str) -> Operator:
    """The designated operator for ``command``, or HandlerError saying why not."""
    if not operator_id:
        raise HandlerError(f"{command} handles personal data: give --operator ID "
                           f"(a handler the ward designated in {path.name})")
    if not _ID.fullmatch(operator_id):
        raise HandlerError("an operator ID is 1–32 letters, digits, '-' or '_'")
    if not path.is_file():
        raise HandlerError(f"no handlers file at {path}: the ward designates handlers there "
                           "(see handlers.example.yml), or set NHI_HANDLERS")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        roles = document["roles"]
        designated = {h["id"]: h["role"] for h in document["handlers"]}
    except (yaml.YAMLError, KeyError, TypeError) as exc:
        raise HandlerError(f"{path.name} is not a handlers file ({exc.__class__.__name__}); "
                           "see handlers.example.yml") from None
    role = designated.get(operator_id)
    if role is None:
        raise HandlerError(f"operator {operator_id} is not designated in {path.name}: "
                           f"refused to run {command}")
    if command not in roles.get(role, {}).get("commands", []):
        raise HandlerError(f"operator {operator_id} ({role}) is not designated for "
                           f"{command} in {path.name}: refused")
    return Operator(id=operator_id, role=role, role_label=roles[role].get("label", role))


def organisation(path: Path) -> str:
    """The ward's name as its handlers file gives it (``organisation:``), or "" if absent."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return ""
    name = document.get("organisation") if isinstance(document, dict) else None
    return name.strip() if isinstance(name, str) else ""
