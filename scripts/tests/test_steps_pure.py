"""The command line's pure parts, in milliseconds: no database, no dbt, no subprocess.

dbt's run_results.json as a build writes it (a sample with the fields dbt 1.x writes),
the checks of each argument, the words of a failed validation, the package's basis, the
audit fields of a command line argparse refused, and the filter that withholds the
database's own words from dbt's output.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from pathlib import Path

import pytest

from nhi_migration import arguments, cli, dbt_runner, layouts, run_results
from nhi_migration.steps import build, export, validate

PLANTED_VALUE = "東京都新宿区西新宿９－９－９"  # a value a database message may quote


def result(unique_id: str, status: str, message: str | None) -> dict:
    """One entry of run_results.json["results"], as dbt 1.x writes it."""
    return {
        "status": status,
        "timing": [{"name": "compile", "started_at": "2026-12-01T10:00:00.000000Z",
                    "completed_at": "2026-12-01T10:00:00.100000Z"},
                   {"name": "execute", "started_at": "2026-12-01T10:00:00.100000Z",
                    "completed_at": "2026-12-01T10:00:01.200000Z"}],
        "thread_id": "Thread-1 (worker)",
        "execution_time": 1.2,
        "adapter_response": {"_message": "SELECT 120", "code": "SELECT", "rows_affected": 120}
        if status == "success" else {},
        "message": message,
        "failures": 3 if status == "fail" else (0 if status == "pass" else None),
        "unique_id": unique_id,
        "compiled": True,
        "compiled_code": "select ...",
        "relation_name": None,
        "batch_results": None,
    }


def run_results_file(folder: Path, entries: list[dict]) -> Path:
    document = {
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json",
                     "dbt_version": "1.11.16", "generated_at": "2026-12-01T10:00:05.000000Z",
                     "invocation_id": "6c0f3a4e-0000-4000-8000-000000000000",
                     "invocation_started_at": "2026-12-01T09:59:50.000000Z", "env": {}},
        "results": entries,
        "elapsed_time": 15.2,
        "args": {"which": "build", "vars": {"round": "PYUNIT"}},
    }
    path = folder / "run_results.json"
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


@pytest.fixture()
def failed_build(tmp_path: Path) -> dict:
    entries = [
        result("model.nhi_migration.stg_legacy__setai", "success", "SELECT 120"),
        result("unit_test.nhi_migration.stg_legacy__setai.wareki_edges", "pass", None),
        result("model.nhi_migration.int_payments", "error",
               "Compilation Error in model int_payments (models/intermediate/int_payments.sql)\n"
               "  unmapped legacy code (setup-layouts.md §3): NOFU code '09' on 1 row(s). Add "
               "each to seeds/code_map.csv (legacy_kind, legacy_code, new_code, new_name) and "
               "run the round again.\n  \n  > in macro row_outcome"),
        result("model.nhi_migration.int_households", "error",
               "Database Error in model int_households (models/intermediate/int_households.sql)"
               f'\n  invalid input syntax for type integer: "{PLANTED_VALUE}"'),
        result("test.nhi_migration.columns_are_valid_kt010_households.4f2a", "fail",
               "Got 3 results, configured to fail if != 0"),
        result("model.nhi_migration.kt030_assessment_periods", "skipped", "SKIP"),
        result("test.nhi_migration.accounting_balances", "error", None),
    ]
    results = run_results.read(run_results_file(tmp_path, entries))
    assert results is not None
    return results


def test_failures_name_each_node_and_withhold_the_databases_words(failed_build: dict) -> None:
    logs = Path("/work/.local/rounds/PYUNIT/logs")
    reasons = run_results.failures(failed_build, logs)
    assert reasons == [
        "int_payments: unmapped legacy code (setup-layouts.md §3): NOFU code '09' on 1 row(s)."
        " Add each to seeds/code_map.csv (legacy_kind, legacy_code, new_code, new_name) and "
        "run the round again.",
        f"int_households: database error (details in {logs}, for the vendor engineer)",
        "columns_are_valid_kt010_households.4f2a: Got 3 results, configured to fail if != 0",
        "accounting_balances: error",
    ]
    assert not any(PLANTED_VALUE in reason for reason in reasons)


def test_a_reason_is_cut_at_300_characters(tmp_path: Path) -> None:
    results = run_results.read(run_results_file(tmp_path, [
        result("test.nhi_migration.long", "fail", "x" * 1000)]))
    assert results is not None
    (reason,) = run_results.failures(results, tmp_path)
    assert reason == "long: " + "x" * 300


def test_no_run_results_file_is_none_and_node_counts(tmp_path: Path, failed_build: dict) -> None:
    assert run_results.read(tmp_path / "none" / "run_results.json") is None
    assert run_results.node_counts(failed_build) == (7, 2)
    assert run_results.node_counts({"results": []}) == (0, 0)


def test_the_package_basis_holds_counts_and_no_ids_or_times(failed_build: dict) -> None:
    project = layouts.Project(layouts=(), csv_outputs=(), relations={}, control_headers=(),
                              dbt_version="1.11.16", project_checksum="abc123")
    basis = export.basis(project, failed_build,
                         {"expectations_evaluated": 29, "expectations_failed": 0,
                          "validated_at": "2026-12-01T10:01:00+09:00"})
    assert basis == {
        "dbt": {"command": "build", "dbt_version": "1.11.16", "project_checksum": "abc123",
                "nodes": 7, "nodes_passed": 2},
        "validation": {"engine": "great_expectations", "result_format": "BOOLEAN_ONLY",
                       "expectations_evaluated": 29, "expectations_failed": 0},
    }
    assert "6c0f3a4e" not in json.dumps(basis)


# --- arguments ------------------------------------------------------------------------------
def test_the_as_of_date_is_a_real_date_not_after_today() -> None:
    today = dt.date(2017, 11, 10)
    assert arguments.as_of_date("2017-11-10", today) == "2017-11-10"
    assert arguments.as_of_date("20171109", today) == "2017-11-09"  # ISO basic form
    for text, needle in (("2017-02-30", "must be a real date"), ("H29.11.10", "YYYY-MM-DD"),
                         ("2017-11-11", "2017-11-11 is after today (2017-11-10)")):
        with pytest.raises(argparse.ArgumentTypeError, match=re.escape(needle)):
            arguments.as_of_date(text, today)


def test_a_count_is_a_positive_whole_number() -> None:
    assert arguments.positive_int("46565") == 46565
    for text in ("0", "-1", "1.5", "1e3", "", "+3"):
        with pytest.raises(argparse.ArgumentTypeError, match="positive whole number"):
            arguments.positive_int(text)


def test_a_round_name_is_six_safe_characters() -> None:
    assert arguments.round_id("TEST01") == "TEST01"
    for text in ("../../", "TEST.1", "TEST1", "TEST001", "TE/T01"):
        with pytest.raises(argparse.ArgumentTypeError, match="exactly 6 characters"):
            arguments.round_id(text)


def test_a_mistake_is_one_line_with_the_closest_option() -> None:
    parser = cli.build_parser()
    with pytest.raises(arguments.UsageError) as caught:
        parser.parse_args(["run", "--round", "TEST01", "--inptu", "x"])
    assert str(caught.value).startswith("migrate.py run: unrecognized arguments: --inptu")
    assert "(did you mean --input?)" in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(arguments.UsageError, match=r"\(did you mean verify-pack\?\)"):
        parser.parse_args(["verify-pak", "--round", "TEST01"])
    with pytest.raises(arguments.UsageError, match="give --operator ID"):
        parser.parse_args(["load", "--input", "x", "--round", "TEST01"])


def test_an_out_folder_that_is_a_file_or_below_one_is_refused(tmp_path: Path) -> None:
    arguments.check_out_folder(tmp_path / "new" / "deeper")  # made when missing
    afile = tmp_path / "package"
    afile.write_text("", encoding="utf-8")
    with pytest.raises(arguments.OutFolderRefused, match="is a file, not a folder"):
        arguments.check_out_folder(afile)
    with pytest.raises(arguments.OutFolderRefused, match="so no folder can be made below it"):
        arguments.check_out_folder(afile / "out")


def test_a_refused_command_line_gives_the_audit_only_the_command_and_operator() -> None:
    assert cli._command_words(["run", "--operator", "V001", "--round", "../../"]) == {
        "command": "run", "operator": "V001"}
    assert cli._command_words(["--operator=W101", "verify-pack"]) == {
        "command": "verify-pack", "operator": "W101"}
    # an unknown command, an operator that is not an ID (it could be anything typed)
    assert cli._command_words(["rnu", "--operator", "山田 太郎"]) == {
        "command": "-", "operator": "-"}


def test_every_command_has_a_step() -> None:
    parser = cli.build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(action.choices) == set(cli.STEPS)


# --- the words of a failed validation, and dbt's output ---------------------------------------
def test_a_failed_validation_names_counts_codes_and_at_most_ten_keys() -> None:
    keys = " ".join(f"{1_000_000_000 + n:010d}" for n in range(12))
    lines = validate.detail_lines(46_564, 46_565, [
        ("UNREADABLE", "SETAI", 12, keys), ("ORPHAN", "KOJIN", 1_234, None)])
    assert lines == [
        "KT010 holds 46,564 households, --expected-households is 46,565",
        "EXCEPTIONS ERROR UNREADABLE SETAI: 12 (SETAI_NO " + " ".join(keys.split()[:10]) + ")",
        "EXCEPTIONS ERROR ORPHAN KOJIN: 1,234",
    ]
    assert validate.detail_lines(5, 5, []) == []
    parameters = dbt_runner.RoundParameters("TEST01", "2017-11-10", 46_565)
    line = validate.household_refusal("validation failed (1 expectation(s))", 46_564, parameters)
    assert line.startswith("validation failed (1 expectation(s)): KT010 holds 46,564 "
                           "households but --expected-households is 46,565. ")
    assert "migrate.py verify-pack --round TEST01" in line


def test_dbt_output_loses_only_the_lines_under_a_database_error() -> None:
    shown: list[str] = []
    output = build.without_database_text(shown.append)
    for line in ("10:00:01  1 of 3 START sql table model test01_intermediate.int_households",
                 "10:00:02  Database Error in model int_households (models/int_households.sql)",
                 f'  invalid input syntax for type integer: "{PLANTED_VALUE}"',
                 "  compiled code at target/run/x.sql",
                 "10:00:03  2 of 3 OK created sql table model test01_marts.kt010_households",
                 "10:00:04  Done. PASS=2 WARN=0 ERROR=1 SKIP=0 TOTAL=3"):
        output(line)
    assert shown == [
        "  10:00:01  1 of 3 START sql table model test01_intermediate.int_households",
        "  10:00:02  Database Error in model int_households (models/int_households.sql)",
        "    (the database's message is withheld here: it may quote a value)",
        "  10:00:03  2 of 3 OK created sql table model test01_marts.kt010_households",
        "  10:00:04  Done. PASS=2 WARN=0 ERROR=1 SKIP=0 TOTAL=3",
    ]
