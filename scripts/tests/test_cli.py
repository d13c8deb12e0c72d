"""The command line as a Japanese clerk and a vendor engineer read it: help that says
what is required, every option explained, a suggestion for a typo, Japanese reports with
JST times, and `db destroy` guarded like the rest."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from nhi_migration import audit, handlers
from nhi_migration import cli as migrate

from conftest import run_cli


def subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = migrate.build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_command_and_option_has_help_and_required_ones_show_as_required() -> None:
    for name, parser in subparsers().items():
        assert parser.description, name
        for action in parser._actions:
            assert action.help, f"{name} {action.option_strings or action.dest} has no help"
        usage = parser.format_usage()
        if name in handlers.PERSONAL_DATA_COMMANDS:
            assert " --operator ID" in usage and "[--operator ID]" not in usage, usage
        for action in parser._actions:
            if action.required and action.option_strings:
                assert f"[{action.option_strings[0]}" not in usage, usage


def test_a_mistyped_option_gets_the_closest_one_in_one_line() -> None:
    result = run_cli("export", "--round", "PYCLI1", "--as-of", "2017-11-10",
                     "--expected-households", "1", "--ot", "x")
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert "unrecognized arguments: --ot" in lines[0] and "did you mean --out?" in lines[0]


def test_the_audit_report_is_japanese_with_jst_times(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    audit.append({"command": "validate", "operator": "V001", "round": "PYCLI1",
                  "role_label": "受託者 個人情報取扱者", "outcome": "refused",
                  "reason": "validation failed (1 expectation(s)): KT010 holds 1 households"}, log)
    audit.append({"command": "load", "operator": "V001", "round": "PYCLI1",
                  "outcome": "ok"}, log)
    lines = audit.report("PYCLI1", log)
    text = "\n".join(lines)
    assert "+09:00" in text and "+00:00" not in text
    assert "中止：検証で不合格" in text and "詳細（英語、受託者向け）: validation failed" in text
    assert "抽出データの読み込み  完了" in text


def test_db_destroy_needs_the_responsible_person_and_a_confirmation_and_is_audited(
        tmp_path: Path) -> None:
    # A folder of its own: the cluster this test may remove is not the one the suite uses.
    env = {**os.environ, "NHI_LOCAL_DIR": str(tmp_path / "local")}
    for env_name in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE"):
        env.pop(env_name, None)
    cases = [([], "give --operator ID"),
             (["--operator", "V001"], "not designated for db-destroy"),
             (["--operator", "V900"], "give --yes to confirm")]
    for extra, needle in cases:
        result = run_cli("db", "destroy", *extra, env=env)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.returncode == 1 and len(lines) == 1 and needle in lines[0], result.stderr
    result = run_cli("db", "destroy", "--operator", "V900", "--yes", env=env)
    assert result.returncode == 0, result.stderr
    last = json.loads(audit.log_path().read_text(encoding="utf-8").splitlines()[-1])
    assert last["command"] == "db-destroy" and last["operator"] == "V900"
    assert last["outcome"] == "ok" and last["role"] == "vendor_responsible"


def test_the_tool_is_an_installed_package_with_thin_entry_points() -> None:
    """pyproject.toml installs nhi_migration and the nhi-migrate command; the two scripts
    other tools call stay as thin entry points with the same options."""
    import subprocess
    import sys

    from nhi_migration import paths

    scripts = paths.PROJECT_DIR / "scripts"
    for path in [*scripts.glob("*.py"), *(scripts / "nhi_migration").rglob("*.py")]:
        assert "sys.path.insert" not in path.read_text(encoding="utf-8"), path.name
    command = Path(sys.executable).with_name("nhi-migrate")
    assert command.is_file(), "bootstrap installs the package (pip install -e .)"
    for entry in ([str(command)], [sys.executable, str(scripts / "migrate.py")]):
        result = subprocess.run([*entry, "run", "--help"], capture_output=True, text=True,
                                check=False)
        assert result.returncode == 0 and "--expected-households N" in result.stdout
    assert len((scripts / "migrate.py").read_text(encoding="utf-8").splitlines()) < 20
