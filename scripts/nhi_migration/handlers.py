"""Designated handlers (特記事項 13): who may run which command, from a file the ward keeps."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .paths import PROJECT_DIR
from .refused import Refused

# Commands that read or write personal data: each needs a designated --operator.
PERSONAL_DATA_COMMANDS = ("load", "build", "validate", "export", "run", "compare",
                          "verify-pack", "erase")
OPERATOR_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


class HandlerError(Refused):
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


SHAPE = ("see handlers.example.yml: `roles:` maps each role to its `label:` and "
         "`commands:` list, `handlers:` lists `{id: …, role: …}`")


def _read(path: Path) -> tuple[dict[str, dict], dict[str, str]]:
    """The roles and the designated IDs of a handlers file, or HandlerError naming the fault."""
    def fault(what: str) -> HandlerError:
        return HandlerError(f"{path.name} is not a valid handlers file: {what}; fix it ({SHAPE})")

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise fault(f"it is not YAML{where}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise fault(f"it cannot be read as UTF-8 text ({type(exc).__name__})") from None
    if not isinstance(document, dict):
        raise fault("the file must be a mapping with `roles:` and `handlers:`")
    roles, handlers = document.get("roles"), document.get("handlers")
    if not isinstance(roles, dict) or not roles:
        raise fault("`roles:` must map role names to their label and commands")
    for name, role in roles.items():
        if not isinstance(role, dict) or not isinstance(role.get("commands", []), list):
            raise fault(f"role {str(name)[:32]} must have a `commands:` list")
    if not isinstance(handlers, list):
        raise fault("`handlers:` must be a list of `{id: …, role: …}`")
    designated: dict[str, str] = {}
    for number, entry in enumerate(handlers, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) \
                or not isinstance(entry.get("role"), str):
            raise fault(f"handler entry {number} must be `{{id: …, role: …}}`")
        if entry["role"] not in roles:
            raise fault(f"handler entry {number} names role {entry['role'][:32]}, which "
                        "`roles:` does not define")
        if entry["id"] in designated:
            raise fault(f"handler ID {entry['id'][:32]} is listed twice")
        designated[entry["id"]] = entry["role"]
    return roles, designated


def organisation(path: Path) -> str:
    """The ward's name as its handlers file gives it (``organisation:``), or ""."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return ""
    value = document.get("organisation") if isinstance(document, dict) else None
    return value.strip() if isinstance(value, str) else ""


def authorise(path: Path, operator_id: str | None, command: str) -> Operator:
    """The designated operator for ``command``, or HandlerError saying why not."""
    if not operator_id:
        raise HandlerError(f"{command} handles personal data: give --operator ID "
                           f"(a handler the ward designated in {path.name})")
    if not OPERATOR_ID.fullmatch(operator_id):
        raise HandlerError("an operator ID is 1–32 letters, digits, '-' or '_'")
    if not path.is_file():
        raise HandlerError(f"no handlers file at {path}: the ward designates handlers there "
                           "(see handlers.example.yml), or set NHI_HANDLERS")
    roles, designated = _read(path)
    role = designated.get(operator_id)
    if role is None:
        raise HandlerError(f"operator {operator_id} is not designated in {path.name}: "
                           f"refused to run {command}")
    if command not in roles.get(role, {}).get("commands", []):
        raise HandlerError(f"operator {operator_id} ({role}) is not designated for "
                           f"{command} in {path.name}: refused")
    label = roles[role].get("label", role)
    return Operator(id=operator_id, role=role, role_label=label if isinstance(label, str) else role)
