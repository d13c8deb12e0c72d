"""The validation gate's pure parts, in milliseconds: no database, no dbt, no GX run.

The checks are built from a small real manifest (two layout marts, the models the cross
checks read, two legacy sources) and a table registry, as the gate builds them from
dbt's manifest; then shared into one scan per mart, passed through the row-query guard,
and the receipt written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nhi_migration import layouts
from nhi_migration.validation import checks, guard, gx_runner, receipt

AS_OF = "2017-11-10"


def manifest() -> dict:
    def column(name: str, data_type: str = "text", **layout) -> tuple[str, dict]:
        return name, {"name": name, "data_type": data_type, "meta": layout}

    def model(name: str, meta: dict, *columns: tuple[str, dict]) -> dict:
        return {"name": name, "resource_type": "model", "package_name": "nhi_migration",
                "schema": "pyval_marts", "alias": name, "meta": meta,
                "columns": dict(columns), "checksum": {"checksum": name}}

    def source(name: str, key: str, japanese: str, **meta) -> dict:
        return {"name": name, "source_name": "legacy", "package_name": "nhi_migration",
                "meta": {"key": [key], "japanese": japanese, **meta},
                "columns": {key: {"name": key, "meta": {}}}}

    nodes = {
        "kt010_households": model(
            "kt010_households", {"file_id": "KT010", "record_length": 38, "label": "滞納世帯",
                                 "key": ["household_no"], "trailer": []},
            column("household_no", item="世帯番号", type="X", width=10, position=1),
            column("head_name", item="世帯主氏名", type="N", width=20, position=11,
                   personal=True),
            column("registered_on", "date", item="登録日", type="9", width=8, position=31)),
        "kt030_assessment_periods": model(
            "kt030_assessment_periods", {"file_id": "KT030", "record_length": 30,
                                         "key": ["household_no", "fiscal_year", "period"],
                                         "trailer": []},
            column("household_no", item="世帯番号", type="X", width=10, position=1),
            column("fiscal_year", item="年度", type="9", width=4, position=11),
            column("period", item="期別", type="9", width=2, position=15),
            column("payment_code", item="納付方法", type="X", width=2, position=17,
                   code_kind="NOFU"),
            column("unpaid_amount", "bigint", item="未納額", type="S9", width=12,
                   position=19)),
    }
    for name in ("accounting", "file_totals", "int_period_amounts", "exceptions",
                 "round_parameters", "layout_field_rules"):
        nodes[name] = model(name, {})
    return {"metadata": {"dbt_version": "1.11"},
            "nodes": {f"model.nhi_migration.{name}": node for name, node in nodes.items()},
            "sources": {f"source.nhi_migration.legacy.{s['name']}": s for s in (
                source("setai", "setai_no", "世帯"),
                source("chotei", "chotei_id", "期別調定", amount_column="chotei_gaku"))}}


@pytest.fixture
def project(tmp_path: Path) -> layouts.Project:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest(), ensure_ascii=False), encoding="utf-8")
    (tmp_path / "dbt_project.yml").write_text(
        "vars:\n  legacy_tables:\n"
        "    - {source: setai, decided_by: int_households, key: household_no,"
        " setup_file: kt010_households}\n"
        "    - {source: chotei, decided_by: int_periods, key: assessment_id, amount: true,"
        " setup_file: kt030_assessment_periods, counted_by: period_count}\n", encoding="utf-8")
    return layouts.read_project(path, project_dir=tmp_path)


def facts(production: bool = False) -> checks.RoundFacts:
    return checks.RoundFacts("PYVAL1", AS_OF, 46_565, production, "invocation")


def rules(project: layouts.Project) -> checks.FieldRules:
    return {(layout.file_id, f.name): f"length(\"{f.name}\") > {f.width}"
            for layout in project.layouts for f in layout.fields}


CODES = {"NOFU": ["", "01", "0'2"]}


def test_every_question_of_the_gate_from_the_manifest(project):
    built = checks.build_checks(project, facts(), CODES, rules(project))
    by_asset: dict[str, list[str]] = {}
    for check in built:
        by_asset.setdefault(check.asset, []).append(check.description)
    assert by_asset["KT010"] == [
        "KT010 の件数 = 期待世帯数 46,565（§1 expected households）",
        "KT010 のキー household_no が一意",
        "KT010.household_no が空でない",
        "KT010.household_no（世帯番号）が X(10) に収まる（半角 ASCII、§2）",
        "KT010.head_name（世帯主氏名）が N(20) に収まる（CP932 のバイト数、§2）",
        "KT010.registered_on（登録日）が 9(8) に収まる（実在する日付 YYYYMMDD、§2）"]
    assert by_asset["KT030"][0] == "KT030 のキー (household_no, fiscal_year, period) が一意"
    assert "KT030.payment_code（納付方法）が新コード（NOFU、§3）" in by_asset["KT030"]
    assert "KT030 の世帯番号がすべて KT010 にある" in by_asset["KT030"]
    assert sum(d.startswith("KT030 の恒等式（§5）") for d in by_asset["KT030"]) == 2
    assert by_asset["ROUND"] == [
        "この build の回次・基準日・期待世帯数が今回の指定（PYVAL1、2017-11-10、46565）と同じ",
        "件数突合（ACCOUNTING）がすべて一致（§6）",
        "KT010 の件数 = SETAI の抽出件数表の件数 − 除外した件数（§6）",
        "KT030 の件数 = CHOTEI の抽出件数表の件数 − 除外した件数（§6）",
        "KT040 の保険料額合計 = SHUNO の抽出件数表の金額 − 除外した金額（§6）",
        "KT030 の調定額合計 = CHOTEI の抽出件数表の金額 − 除外した金額 − 調定額の不一致の差（§5, §6）"]
    kt030_count = next(c for c in built if c.description.startswith("KT030 の件数"))
    assert kt030_count.arguments["unexpected_rows_query"] == (
        'select 1 from {batch} where exists (select 1 from "pyval_marts"."file_totals" as t '
        "where t.file_id = 'KT030' and t.period_count is distinct from (select a.control_value"
        ' - a.excluded from "pyval_marts"."accounting" as a where a.table_name = \'CHOTEI\' '
        "and a.measure = 'RECORDS'))")


def test_a_production_round_asks_for_no_unmapped_gaiji(project):
    test_round = checks.build_checks(project, facts(), CODES, rules(project))
    production = checks.build_checks(project, facts(production=True), CODES, rules(project))
    added = [c.description for c in production if c not in test_round]
    assert added == ["本番回次：KT010.head_name（世帯主氏名）に未登録の外字（〓）がない（§4）",
                     "本番回次：未登録の外字がない（§4）"]


def test_the_per_row_checks_of_each_mart_share_one_scan(project):
    built = checks.build_checks(project, facts(production=True), CODES, rules(project))
    shared = checks.shared_scans(built, project)
    scans = {c.asset: c for c in shared if c.parts}
    assert sorted(scans) == ["KT010", "KT030"]
    kt010 = scans["KT010"]
    assert kt010.relation == '"pyval_marts"."kt010_households"'
    assert [d for d, _ in kt010.parts] == [
        "KT010.household_no が空でない",
        "KT010.household_no（世帯番号）が X(10) に収まる（半角 ASCII、§2）",
        "KT010.head_name（世帯主氏名）が N(20) に収まる（CP932 のバイト数、§2）",
        "KT010.registered_on（登録日）が 9(8) に収まる（実在する日付 YYYYMMDD、§2）"]
    assert kt010.arguments["unexpected_rows_query"] == (
        'select 1 from {batch} where ("household_no" is null) or (length("household_no") > 10)'
        ' or (length("head_name") > 20) or (length("registered_on") > 8)')
    assert dict(scans["KT030"].parts)["KT030.payment_code（納付方法）が新コード（NOFU、§3）"] == (
        "\"payment_code\" is not null and \"payment_code\" not in ('', '01', '0''2')")
    # what cannot share a scan stays as it was: counts, uniqueness, 〓, the cross checks
    alone = [c for c in shared if not c.parts]
    assert {c.expectation for c in alone} == {
        "ExpectTableRowCountToEqual", "UnexpectedRowsExpectation",
        "ExpectColumnValuesToNotMatchRegex"}
    assert len(alone) + sum(len(c.parts) for c in scans.values()) == len(built)
    assert all(c.asset == "ROUND" or "partition by" in c.arguments.get("unexpected_rows_query", "")
               or c.expectation != "UnexpectedRowsExpectation" for c in alone)


def test_the_guard_passes_the_gates_own_queries_and_refuses_a_personal_one(project):
    assert project.personal_names == {"head_name"}
    shared = checks.shared_scans(
        checks.build_checks(project, facts(), CODES, rules(project)), project)
    guard.guard_row_queries(shared, project.personal_names)  # each selects the constant 1
    for query in ('select household_no, HEAD_NAME from {batch} where false',
                  "select * from {batch}", "delete from kt010_households"):
        leaky = checks.Check("KT010", "a question", "UnexpectedRowsExpectation",
                             {"unexpected_rows_query": query})
        with pytest.raises(guard.PersonalDataInQuery) as refused:
            guard.guard_row_queries([*shared, leaky], project.personal_names)
        assert str(refused.value) in (
            f"the validation gate's row query of KT010 would select {selected} (personal "
            "data, or every column); a row query selects a constant (nhi_migration/validation/guard.py)"
            for selected in ("HEAD_NAME", "*"))


def test_the_gx_connection_url_keeps_the_password_out(monkeypatch):
    monkeypatch.setenv("PGUSER", "nhi user")
    monkeypatch.setenv("PGDATABASE", "nhi")
    monkeypatch.setenv("PGHOST", "/work/x/.local/pg/socket")
    monkeypatch.setenv("PGPORT", "55432")
    monkeypatch.setenv("PGPASSWORD", "secret")
    assert gx_runner.connection_url() == (
        "postgresql+psycopg2://nhi%20user@/nhi?host=/work/x/.local/pg/socket&port=55432")


def test_the_receipt_names_the_build_it_passed(tmp_path):
    report = gx_runner.ValidationReport(success=True, evaluated=12, failed=[])
    path = tmp_path / "receipt.json"
    receipt.write_receipt(path, facts(), report, {"kt010_households": "46565:-123"})
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "round": "PYVAL1", "dbt_invocation_id": "invocation",
        "relations": {"kt010_households": "46565:-123"}, "success": True,
        "expectations_evaluated": 12, "expectations_failed": 0}
