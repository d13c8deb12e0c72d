"""``migrate.py db``: start, stop, inspect or remove the embedded cluster, or print its
variables for a shell (``eval "$(migrate.py db env)"``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .. import db, handlers, pgcluster
from .common import StepRefused, say


def env() -> None:
    """Start the embedded cluster unless a server is configured; print its variables."""
    embedded = not pgcluster.external_server_configured()
    print(f"# {db.ensure_server()}", file=sys.stderr)
    if embedded:
        for key in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE", pgcluster.EMBEDDED_MARKER):
            say(f"export {key}={os.environ[key]}")


def command(action: str, operator_id: str | None, handlers_file: Path | None, yes: bool,
            audit_fields: dict) -> None:
    if action == "env":
        env()
        return
    if pgcluster.external_server_configured():
        raise StepRefused("a server is configured (PG* variables or DBT_PROFILES_DIR): the "
                          "embedded cluster is not used, so there is nothing to "
                          f"{action}")
    cluster = pgcluster.locate_cluster()
    if action == "start":
        cluster.start()
        say(f"embedded cluster running in {cluster.root}")
        for key, value in cluster.connection_env().items():
            say(f"export {key}={value}")
    elif action == "stop":
        cluster.stop()
        say(f"embedded cluster in {cluster.root} stopped")
    elif action == "status":
        status = "running" if cluster.is_running() else (
            "stopped" if cluster.is_initialised() else "not created")
        say(f"embedded cluster in {cluster.root}: {status}")
    elif action == "destroy":
        operator = handlers.authorise(handlers.handlers_path(handlers_file), operator_id,
                                      "db-destroy")
        audit_fields.update({"operator": operator.id, "role": operator.role,
                             "role_label": operator.role_label})
        confirm_destroy(cluster.root, yes)
        if cluster.root.exists():
            cluster.destroy()
        pgcluster.forget_cluster()
        say(f"embedded cluster in {cluster.root} removed (専用データベースを削除しました)")


def confirm_destroy(root: Path, yes: bool) -> None:
    """Ask before the whole cluster goes (every round in it), unless --yes was given."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise StepRefused("db destroy removes the whole embedded cluster (every round in "
                          "it): there is no terminal to ask, so give --yes to confirm")
    answer = input(f"専用データベース {root} をすべての回次ごと削除します。"
                   "よろしいですか（yes と入力）/ Remove the whole cluster? [yes/no]: ")
    if answer.strip().lower() != "yes":
        raise StepRefused("db destroy was not confirmed: nothing was removed")
