"""The migration rules on real PostgreSQL: whole builds, failures that must stop them,
and the promises about the models themselves (descriptions, no normalisation)."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from nhi_migration import db, dbt_runner, legacy, paths

from conftest import drop_round_schemas, make_extract, rewrite_csv, run_cli

PROJECT = paths.PROJECT_DIR
CJK = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]")


def query(statement: str, *params: object) -> list[tuple]:
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


def test_an_unknown_code_stops_the_build_naming_kind_code_and_count(unknown_code_round):
    result = unknown_code_round.result  # conftest: the round run once per session
    output = result.stdout + result.stderr
    assert result.returncode == 1
    assert "unmapped legacy code (setup-layouts.md §3): NOFU code '09' on 1 row(s)" in output
    assert "seeds/code_map.csv" in output
    # the marts that depend on the payments were not built
    assert query("select count(*) from information_schema.tables "
                 "where table_schema = 'pycod1_marts' and table_name = 'kt040_payments'") \
        == [(0,)]


def test_an_accounting_that_cannot_balance_fails_the_build(unbalanced_round):
    """A row lost between the load and the build (here: deleted from the raw table)."""
    result = unbalanced_round.result  # conftest: the round made once per session
    assert result.returncode == 1
    assert "assert_accounting_balances" in result.stdout
    rows = query("select table_name, measure, balanced from pyacct_marts.accounting "
                 "where balanced = 'N' order by row_order")
    assert rows == [("SHUNO", "RECORDS", "N"), ("SHUNO", "AMOUNT:HONRYO_GAKU", "N")]


def test_a_malformed_round_parameter_stops_dbt(server, tmp_path):
    # The CLI refuses such a round before dbt (it would not even name a work folder);
    # dbt run by hand refuses it too.
    with pytest.raises(paths.BadRound):
        dbt_runner.run_dbt(["run-operation", "validate_round_parameters"],
                           dbt_runner.RoundParameters("../../", "2017-11-10", 1))
    result = subprocess.run(
        [dbt_runner.dbt_executable(), "run-operation", "validate_round_parameters",
         "--project-dir", str(paths.PROJECT_DIR), "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path / "logs"), "--no-use-colors", "--vars",
         json.dumps({"round": "TEST.1", "as_of": "2017-11-10", "expected_households": 1})],
        cwd=paths.PROJECT_DIR, env=dbt_runner.dbt_environment(), capture_output=True,
        text=True, check=False)
    assert result.returncode != 0
    assert "must be 6 letters, digits, '_' or '-'" in result.stdout
    parameters = dbt_runner.RoundParameters("TEST01", "2017-11-10", 1)
    lines: list[str] = []
    parameters = dbt_runner.RoundParameters("TEST01", "2017-02-29", 1)
    lines.clear()
    assert dbt_runner.run_dbt(["run-operation", "validate_round_parameters"], parameters,
                              output=lines.append) != 0
    assert any("must be a real date" in line for line in lines)


def test_small_round_balances_and_keeps_every_promise(built_small_round: str):
    marts = f"{built_small_round.lower()}_marts"
    assert query(f"select count(*) from {marts}.kt010_households") == [(2000,)]
    assert query(f"select count(*) from {marts}.accounting where balanced <> 'Y'") == [(0,)]
    # every household number of KT020–KT080 is in KT010 (also a dbt test; here end to end)
    for table in ("kt020_persons", "kt030_assessment_periods", "kt040_payments",
                  "kt050_negotiations", "kt060_pledges", "kt070_seizures",
                  "kt080_dispositions"):
        assert query(f"select count(*) from {marts}.{table} as child where not exists "
                     f"(select 1 from {marts}.kt010_households as h "
                     f"where h.household_no = child.household_no)") == [(0,)]


def test_ibm_extension_kanji_reach_kt020_unchanged(built_small_round: str):
    """塚 U+FA10, 﨑 U+FA11, 晴 U+FA12, 髙 U+9AD9 in the dump are in KT020 as they were."""
    raw = f"{built_small_round.lower()}_raw"
    marts = f"{built_small_round.lower()}_marts"
    rows = query(f"select k.shimei, p.name from {raw}.kojin as k "
                 f"join {marts}.kt020_persons as p on p.atena_no = k.atena_no "
                 f"where k.shimei ~ '[\uFA10\uFA11\uFA12\u9AD9]'")
    assert rows, "the extract should hold IBM extension kanji"
    for shimei, name in rows:
        for char in "\ufa10\ufa11\ufa12\u9ad9":
            assert shimei.count(char) == name.count(char)
        assert name.count("\u585a") == shimei.count("\u585a")  # 塚 U+FA10 not folded to U+585A


def test_no_model_or_macro_applies_unicode_normalisation():
    pattern = re.compile(r"\bnormalize\s*\(|\bNFK?[CD]\b", re.IGNORECASE)
    for folder in ("models", "macros", "functions"):
        for path in (PROJECT / folder).rglob("*.sql"):
            assert not pattern.search(path.read_text(encoding="utf-8")), path


def test_every_model_column_and_source_is_described_japanese_first(built_small_round: str):
    manifest = json.loads((dbt_runner.target_dir(built_small_round) / "manifest.json")
                          .read_text(encoding="utf-8"))
    nodes = [n for n in manifest["nodes"].values()
             if n["resource_type"] in ("model", "seed") and n["package_name"] == "nhi_migration"]
    nodes += [n for n in manifest["sources"].values()]
    nodes += [n for n in manifest.get("functions", {}).values()]
    assert len(nodes) > 40
    for node in nodes:
        assert CJK.search(node["description"][:40] or "x"), node["unique_id"]
        for column in node.get("columns", {}).values():
            assert column["description"].strip(), (node["unique_id"], column["name"])
    for exposure in manifest["exposures"].values():
        assert exposure["description"].strip()
    macros = [m for m in manifest["macros"].values()  # _private helpers are documented inline
              if m["package_name"] == "nhi_migration" and not m["name"].startswith("_")]
    for macro in macros:
        assert macro["description"].strip(), macro["unique_id"]


def test_documented_columns_are_the_models_real_columns(small_run):
    """dbt docs generate succeeds, and each model's YAML lists exactly its columns."""
    parameters = dbt_runner.RoundParameters(small_run.round_id, "2017-11-10", 2000)
    with small_run.in_use(exclusive=True):  # it rewrites the round's target folder
        assert dbt_runner.run_dbt(["docs", "generate", "--static"], parameters,
                                  output=lambda _: None) == 0
        target = dbt_runner.target_dir(small_run.round_id)
        catalog = json.loads((target / "catalog.json").read_text(encoding="utf-8"))
        manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
        checked = 0
        for unique_id, node in manifest["nodes"].items():
            if node["resource_type"] != "model" or unique_id not in catalog["nodes"]:
                continue
            real = set(catalog["nodes"][unique_id]["columns"])
            documented = set(node["columns"])
            assert real == documented, (unique_id, real ^ documented)
            checked += 1
        assert checked >= 38
        assert (target / "static_index.html").is_file()


def test_every_setup_field_names_the_legacy_columns_it_comes_from() -> None:
    """Staff trace a field without the graph: its description names the legacy table and
    column(s) it is made from (or says it has none), and every name it gives exists."""
    import yaml

    sources = yaml.safe_load(paths.SOURCES_YML.read_text(encoding="utf-8"))
    columns = {table["name"].upper(): {c["name"].upper() for c in table.get("columns", [])}
               for source in sources["sources"] for table in source["tables"]}
    known = set().union(*columns.values())
    marts = yaml.safe_load((paths.PROJECT_DIR / "models" / "marts" / "_marts__models.yml")
                           .read_text(encoding="utf-8"))
    for model in marts["models"]:
        for column in model.get("columns", []):
            if "width" not in (column.get("meta") or {}):
                continue
            text = column["description"]
            named = [w for w in re.findall(r"[A-Z][A-Z_]{2,}", text) if w in known]
            assert named or "旧システムの列なし" in text, f"{model['name']}.{column['name']}"
            for table, name in re.findall(r"\b([A-Z_]{4,})\.([A-Z_]{3,})\b", text):
                if table in columns:
                    assert name in columns[table], f"{model['name']}.{column['name']}: {table}.{name}"


def test_the_layout_tables_in_the_docs_are_made_from_the_layout_meta() -> None:
    """The staff docs show each layout as a table (dbt's Details box shows meta as JSON);
    the tables are generated from the one declaration, and must not drift from it."""
    from nhi_migration import layout_docs

    assert layout_docs.LAYOUTS_MD.read_text(encoding="utf-8") == layout_docs.render(), (
        "models/marts/_marts__layouts.md is out of date: run "
        "python scripts/nhi_migration/layout_docs.py")
    marts = layout_docs.MARTS_YML.read_text(encoding="utf-8")
    for file_id in range(10, 90, 10):
        assert f"{{{{ doc('layout_kt0{file_id}') }}}}" in marts


def test_a_swapped_column_in_a_layout_is_caught_in_the_order_it_is_written() -> None:
    """layout_record.sql writes the fields in YAML order: the guard checks that order."""
    from dataclasses import replace

    from nhi_migration import layouts

    def field(name: str, position: int, width: int) -> layouts.Field:
        return layouts.Field(name=name, item=name, type="X", width=width, position=position,
                             data_type="text", code_kind=None)

    fields = (field("a", 1, 2), field("b", 3, 5), field("c", 8, 1))
    layout = layouts.Layout(file_id="KT999", model="m", schema="s", relation="r",
                            record_length=8, key=("a",), fields=fields, trailer=())
    layouts.check_layout(layout)
    swapped = replace(layout, fields=(fields[1], fields[0], fields[2]))
    with pytest.raises(ValueError, match="b starts at 3, expected 1"):
        layouts.check_layout(swapped)


@pytest.mark.slow  # runs a round
def test_a_sixteen_digit_amount_is_invalid_value_and_the_accounting_balances(server, tmp_path):
    """An amount the migration cannot carry (more digits than var legacy_amount allows) is
    INVALID_VALUE on its row; the file still balances against _CONTROL.csv, whose total is
    the legacy database's sum of every CHOTEI_GAKU as dumped (legacy-extract.md §4
    _CONTROL), the 16-digit one included."""
    extract = make_extract(tmp_path / "x", households=150, seed=6)
    long_amount = "1234567890123456"
    changed: dict[str, str] = {}

    def one_long_amount(rows: list[list[str]]) -> None:
        header = rows[0]
        deleted, amount = header.index("SAKUJO_FLG"), header.index("CHOTEI_GAKU")
        row = next(r for r in rows[1:] if r and r[deleted] != "1")
        row[amount] = long_amount
        changed["key"] = row[header.index("CHOTEI_ID")]
        changed["total"] = str(sum(legacy.amount_rule().as_dumped(r[amount])
                                      for r in rows[1:] if r))

    rewrite_csv(extract / "CHOTEI.csv", one_long_amount)

    def control_total(rows: list[list[str]]) -> None:
        next(r for r in rows if r and r[0] == "CHOTEI")[2] = changed["total"]

    rewrite_csv(extract / "_CONTROL.csv", control_total)
    out = tmp_path / "out"
    try:
        result = run_cli("run", "--input", str(extract), "--round", "PYLONG", "--as-of",
                         "2017-11-10", "--expected-households", "150", "--out", str(out))
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr
        assert long_amount not in result.stdout + result.stderr
        exceptions = (out / "EXCEPTIONS.csv").read_bytes().decode("cp932").splitlines()
        assert any(line.startswith(f"INVALID_VALUE,ERROR,CHOTEI,{changed['key']},CHOTEI_GAKU,")
                   for line in exceptions), exceptions[:5]
        accounting = (out / "ACCOUNTING.csv").read_bytes().decode("cp932").splitlines()
        amount_row = next(line for line in accounting if ",AMOUNT:CHOTEI_GAKU," in line)
        fields = amount_row.split(",")
        assert fields[2] == fields[3] == fields[4] == changed["total"]
        assert int(fields[9]) >= int(long_amount)  # counted, as dumped, where it stays
        assert fields[-1] == "Y"
    finally:
        drop_round_schemas("PYLONG")


def test_the_amount_rule_is_stated_once() -> None:
    """AMT's pattern and digit limit live in dbt_project.yml (var legacy_amount) only: no
    macro or module of the tool writes its own copy."""
    copies = re.compile(r"-\?\[0-9\]|\[0-9\]\{1,15\}")
    files = [*(PROJECT / "macros").rglob("*.sql"), *(PROJECT / "models").rglob("*.sql"),
             *(PROJECT / "scripts" / "nhi_migration").glob("*.py")]
    assert [str(f.relative_to(PROJECT)) for f in files if copies.search(f.read_text())] == []
    rule = legacy.amount_rule()
    assert rule.as_dumped("1234567890123456") == 1234567890123456
    assert rule.as_dumped("１２００") == rule.as_dumped("1,200") == rule.as_dumped("") == 0


@pytest.mark.slow  # builds a round
def test_the_gate_and_the_record_builder_catch_a_misfit_of_every_field_type(server, tmp_path):
    """§2's field rules, one statement (macro layout_field_misfit): values planted in the
    marts after the build, where the gate reads them, each fail their field's expectation
    on their own, and the record builder gives each of those rows a NULL record."""
    extract = make_extract(tmp_path / "x", households=150, seed=8)
    plants = [  # (mart, column, bad value, the gate's description)
        ("kt010_households", "phone", "'0123456789012345'", "KT010.phone（電話番号）が X(15)"),
        ("kt010_households", "address", "repeat('あ', 41)", "KT010.address（住所）が N(80)"),
        ("kt010_households", "address_extra", "'ｱ'", "KT010.address_extra（方書）が N(60)"),
        ("kt010_households", "member_count", "100", "KT010.member_count（世帯員数）が 9(2)"),
        ("kt020_persons", "birth_date", "date '1867-12-31'", "KT020.birth_date（生年月日）が 9(8)"),
        ("kt040_payments", "premium_amount", "-1000000000",
         "KT040.premium_amount（保険料額）が S9(10)"),
    ]
    try:
        assert run_cli("load", "--input", str(extract), "--round", "PYFIT1").returncode == 0
        params = ["--round", "PYFIT1", "--as-of", "2017-11-10", "--expected-households", "150"]
        result = run_cli("build", *params)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr
        assert run_cli("validate", *params).returncode == 0
        assert query("select count(*) from pyfit1_export.export_records "
                     "where record is null") == [(0,)]
        for mart, column, value, _ in plants:
            key = "atena_no" if mart == "kt020_persons" else (
                "payment_no" if mart == "kt040_payments" else "household_no")
            query(f"update pyfit1_marts.{mart} set {column} = {value} where {key} = "
                  f"(select min({key}) from pyfit1_marts.{mart}) returning 1")
        result = run_cli("validate", *params)
        assert result.returncode == 1
        for _, _, _, description in plants:
            assert f"{description} に収まる" in result.stdout, description
        nulls = dict(query("select file_id, count(*) from pyfit1_export.export_records "
                           "where record is null group by file_id"))
        assert nulls == {"KT010": 1, "KT020": 1, "KT040": 1}
    finally:
        drop_round_schemas("PYFIT1")


@pytest.mark.slow  # builds a round
def test_the_unique_test_lists_each_duplicated_key_and_passes_a_unique_column(
        built_small_round: str):
    """The project's unique test (macros/generic_tests/unique.sql) skips its GROUP BY when
    the column's values are all distinct; given duplicates it lists each duplicated value
    once with its count, as dbt's own test does, and a NULL is never a duplicate."""
    target = dbt_runner.target_dir(built_small_round)
    [path] = (target / "compiled").rglob("unique_int_assessments_assessment_key*.sql")
    compiled = path.read_text(encoding="utf-8")
    relation = f'"nhi"."{built_small_round.lower()}_intermediate"."int_assessments"'
    assert compiled.count(relation) == 2, compiled  # the count, then the listing
    assert query(f"select count(*) from ({compiled}) as failures") == [(0,)]
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f"create temp table planted as select * from {relation}")
        cursor.execute("select assessment_key from planted order by assessment_key limit 2")
        first, second = (key for (key,) in cursor.fetchall())
        cursor.execute("insert into planted select * from planted where assessment_key in "
                       "(%s, %s)", (first, second))
        cursor.execute("insert into planted select * from planted where assessment_key = %s "
                       "limit 1", (first,))
        cursor.execute("insert into planted (assessment_key) values (null), (null)")
        cursor.execute(f"select unique_field, n_records from "
                       f"({compiled.replace(relation, 'planted')}) as failures "
                       "order by unique_field")
        failures = cursor.fetchall()
    assert failures == [(first, 3), (second, 2)]


@pytest.mark.slow  # builds a round
def test_the_combination_test_lists_each_repeated_combination_whatever_their_text(
        built_small_round: str):
    """unique_combination_of_columns counts the joined text first; a repeated combination
    is listed with its count, and two different combinations that join to the same text
    (NULLs, which concat_ws leaves out) make it look and find nothing."""
    target = dbt_runner.target_dir(built_small_round)
    compiled = next(path.read_text(encoding="utf-8")
                    for path in (target / "compiled").rglob("unique_combination_of_columns*.sql")
                    if "kt030_assessment_periods" in path.read_text(encoding="utf-8"))
    relation = f'"nhi"."{built_small_round.lower()}_marts"."kt030_assessment_periods"'
    assert compiled.count(relation) == 2 and "count(distinct concat_ws(" in compiled, compiled
    assert query(f"select count(*) from ({compiled}) as failures") == [(0,)]
    listing = f"select * from ({compiled.replace(relation, 'planted')}) as failures order by 1"
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f"create temp table planted as select * from {relation}")
        cursor.execute("insert into planted (household_no, fiscal_year, period) values "
                       "('X', null, 1), ('X', 1, null)")  # both join to 'X' || chr(31) || '1'
        cursor.execute(listing)
        assert cursor.fetchall() == []
        cursor.execute("insert into planted select * from planted where household_no <> 'X' "
                       "order by household_no, fiscal_year, period limit 1")
        cursor.execute("select household_no, fiscal_year, period from planted "
                       "where household_no <> 'X' order by 1, 2, 3 limit 1")
        repeated = cursor.fetchone()
        cursor.execute(listing)
        assert cursor.fetchall() == [(*repeated, 2)]
