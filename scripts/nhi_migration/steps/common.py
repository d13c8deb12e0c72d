"""What the steps share: the refusal they raise, progress output, the round's files."""

from __future__ import annotations

from pathlib import Path

from .. import dbt_runner, layouts, paths, refused


class StepRefused(refused.Refused):
    """A one-line reason a step stops (the CLI prints it as ``REFUSED:``, exit code 1)."""


def say(message: str) -> None:
    print(message, flush=True)


def receipt_path(round_id: str) -> Path:
    """The validation receipt export checks: written by validate, removed by build."""
    return paths.round_work_dir(round_id) / "validation.json"


def gx_dir(round_id: str) -> Path:
    return paths.round_work_dir(round_id) / "gx"


def read_project(round_id: str) -> layouts.Project:
    manifest = dbt_runner.target_dir(round_id) / "manifest.json"
    if not manifest.is_file():
        raise StepRefused(f"round {round_id} has not been built: run `migrate.py build` first")
    return layouts.read_project(manifest)
