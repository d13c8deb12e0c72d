"""Whole rounds through the CLI: the package, its bytes, determinism, every refusal, and
no personal data in what the vendor sees."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from psycopg2 import sql

from nhi_migration import db, dbt_runner, layouts, legacy, paths, validation_report
from nhi_migration.steps import run as run_step
from nhi_migration.steps import validate as validate_step
from nhi_migration.steps.common import StepRefused
from nhi_migration.validation import database, gx_runner

from conftest import drop_round_schemas, make_extract, run_cli, set_column

AS_OF = "2017-11-10"


def run_round(extract: Path, round_id: str, out: Path, households: int,
              as_of: str = AS_OF):
    return run_cli("run", "--input", str(extract), "--round", round_id, "--as-of", as_of,
                   "--expected-households", str(households), "--out", str(out))


def project_of(round_id: str) -> layouts.Project:
    return layouts.read_project(dbt_runner.target_dir(round_id) / "manifest.json")


def dat_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.dat"))


def assert_refused(result, reason: str, out: Path) -> None:
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr
    refusal = [line for line in result.stderr.splitlines() if line.startswith("REFUSED")]
    assert len(refusal) == 1, result.stderr
    assert reason in refusal[0], refusal[0]
    assert not dat_files(out) if out.exists() else True
    assert not list(out.parent.glob(f".{out.name}.incomplete"))


@pytest.fixture()
def small_round(small_run):
    """The 2,000-household extract run end to end as round PYRND1 (once per session,
    conftest.small_run; read here while no test runs it again)."""
    with small_run.in_use():
        yield small_run.out, small_run.result


def test_the_package_holds_every_file_of_section_7(small_round):
    out, result = small_round
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([f"KT0{n}0.dat" for n in range(1, 9)]
                           + ["KT000_CONTROL.csv", "EXCEPTIONS.csv", "ACCOUNTING.csv",
                              "manifest.json"])
    assert oct(out.stat().st_mode & 0o777) == "0o700"
    assert "[summary]" in result.stdout and "KT010.dat" in result.stdout
    control = list(csv.reader(io.StringIO((out / "KT000_CONTROL.csv").read_bytes()
                                          .decode("cp932"), newline="")))
    assert control[0][:4] == ["FILE_ID", "RECORD_COUNT", "BYTES", "SHA256"]
    assert control[0][4:] == ["滞納額合計", "調定額合計", "収納済額合計", "未納額合計",
                              "保険料額合計", "延滞金額合計", "経過件数", "誓約額合計",
                              "差押額合計", "充当額合計", "金額合計"]
    assert (out / "KT000_CONTROL.csv").read_bytes().endswith(b"\r\n")
    for row in control[1:]:
        data = (out / f"{row[0]}.dat").read_bytes()
        assert int(row[2]) == len(data)
        assert row[3] == hashlib.sha256(data).hexdigest()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["round"] == "PYRND1" and manifest["as_of"] == AS_OF
    text = json.dumps(manifest)
    assert str(paths.PROJECT_DIR) not in text and "/tmp" not in text
    for name, facts in manifest["files"].items():
        assert facts["sha256"] == hashlib.sha256((out / name).read_bytes()).hexdigest()
    accounting = (out / "ACCOUNTING.csv").read_bytes().decode("cp932").splitlines()
    assert accounting[0] == ("TABLE,MEASURE,FILE,CONTROL,LOADED,MIGRATED,DELETED,OUT_OF_SCOPE,"
                             "ORPHAN,INVALID_VALUE,FUTURE_DATE,UNMATCHED_PAYMENT,"
                             "UNMATCHED_DISPOSITION,BALANCED")
    assert [line.split(",")[0] for line in accounting[1:]] == [
        "SETAI", "KOJIN", "CHOTEI", "CHOTEI", "SHUNO", "SHUNO", "KOSHO_KEIKA",
        "BUNNO_SEIYAKU", "SASHIOSAE", "SHOBUN", "TANTOSHA", "CODE_MST"]
    assert all(line.endswith(",Y") for line in accounting[1:])
    exceptions = (out / "EXCEPTIONS.csv").read_bytes().decode("cp932").splitlines()
    assert exceptions[0] == "CATEGORY,SEVERITY,TABLE,LEGACY_KEY,COLUMN,DETAIL"


def _decode_field(raw: bytes, field: layouts.Field):
    text = raw.decode("cp932")
    if field.type == "X":
        return text.rstrip(" ")
    if field.type == "N":
        return text.rstrip("\u3000")
    if field.type == "S9":
        assert text[0] in "+-"
        return int(text)
    if field.data_type == "date":
        if set(text) == {"0"}:
            return None
        if field.width == 6:
            return dt.date(int(text[:4]), int(text[4:]), 1)
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    return int(text)


def _expected_value(value, field: layouts.Field):
    if field.type == "X":
        return (value or "").rstrip(" ")
    if field.type == "N":
        return (value or "").rstrip("\u3000")
    if value is None and field.type in ("9", "S9") and field.data_type != "date":
        return 0
    return value


@pytest.mark.slow
def test_dbt_parses_beside_the_load_and_the_build_uses_that_parse(tmp_path):
    """``run`` starts ``dbt parse`` while the load runs; the build then finds that parse
    (same files, vars and environment) and skips a full parse of its own."""
    extract = make_extract(tmp_path / "x", households=60, seed=61)
    try:
        result = run_cli("run", "--input", str(extract), "--round", "PYPRS1", "--as-of", AS_OF,
                         "--expected-households", "60", "--out", str(tmp_path / "out"))
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr
        logs = paths.round_work_dir("PYPRS1") / "logs"
        # dbt rolls dbt.log over at 10 MB: dbt.log.2, dbt.log.1, then dbt.log
        parts = sorted(logs.glob("dbt.log*"),
                       key=lambda p: -int(p.suffix[1:]) if p.suffix[1:].isdigit() else 0)
        log = "".join(part.read_text(encoding="utf-8") for part in parts)
        invocations = log.split("Running with dbt=")[1:]
        commands = [match.group(1) if match else "?" for match in
                    (re.search(r"'invocation_command': 'dbt (\w+)", part)
                     for part in invocations)]
        assert commands == ["parse", "build"]
        assert "Partial parsing enabled, no changes found, skipping parsing" in invocations[1]
        assert "Starting full parse" not in invocations[1]
    finally:
        drop_round_schemas("PYPRS1")
        shutil.rmtree(paths.round_work_dir("PYPRS1"), ignore_errors=True)


def test_every_record_decodes_back_to_its_mart_row(small_round):
    """Each record of each file, cut at the layout's positions and decoded, equals the mart."""
    out, _ = small_round
    project = project_of("PYRND1")
    with db.connect() as connection, connection.cursor() as cursor:
        for layout in project.layouts:
            lines = (out / layout.file_name).read_bytes().split(b"\r\n")
            assert lines[-1] == b""
            lines = lines[:-1]
            assert all(len(line) == layout.record_length for line in lines)
            header, data, trailer = lines[0], lines[1:-1], lines[-1]
            assert header.startswith(b"1" + layout.file_id.encode() + b"20171110PYRND1")
            assert trailer[:1] == b"9" and int(trailer[1:10]) == len(data)
            columns = sql.SQL(", ").join(sql.Identifier(f.name) for f in layout.fields)
            cursor.execute(sql.SQL("select {} from {}").format(columns, sql.SQL(layout.relation)))
            rows = {tuple(_expected_value(v, f) for v, f in zip(row, layout.fields, strict=True))
                    for row in cursor.fetchall()}
            decoded = []
            for record in data:
                decoded.append(tuple(
                    _decode_field(record[f.position - 1:f.position - 1 + f.width], f)
                    for f in layout.fields))
            assert set(decoded) == rows, layout.file_id
            assert len(decoded) == len(rows)
            keys = [b"".join(record[f.position - 1:f.position - 1 + f.width]
                             for k in layout.key for f in layout.fields if f.name == k)
                    for record in data]
            assert keys == sorted(keys), f"{layout.file_id} is not in key order"


def windows_cp932_table() -> dict[str, bytes]:
    """Every CP932 character (gaiji aside) and the code Windows writes for it: among the
    codes that decode to it, JIS X 0208 first, then NEC row 13, then the IBM extension
    rows 0xFA–0xFC, never the NEC-selected rows 0xED–0xEE (setup-layouts.md §2)."""
    codes: dict[str, list[bytes]] = {}
    for lead in [*range(0x81, 0xA0), *range(0xE0, 0xFD)]:
        for trail in range(0x40, 0xFD):
            code = bytes((lead, trail))
            try:
                char = code.decode("cp932")
            except UnicodeDecodeError:
                continue
            if not 0xE000 <= ord(char) <= 0xF8FF:
                codes.setdefault(char, []).append(code)

    def preference(code: bytes) -> tuple[int, bytes]:
        lead = code[0]
        rank = 1 if lead == 0x87 else 2 if lead >= 0xFA else 3 if lead in (0xED, 0xEE) else 0
        return rank, code

    return {char: min(found, key=preference) for char, found in codes.items()}


def test_every_cp932_character_is_written_as_windows_writes_it(small_round):
    """All 7,000-odd double-byte characters through the exporter's encoder (the SQL
    function to_cp932) and the CSV encoder: 髙 → FBFC, 﨑 → FAB1, Ⅰ → 8754, ㈱ → 878A."""
    from nhi_migration import cp932

    table = windows_cp932_table()
    assert len(table) > 7000
    assert table["\u9ad9"] == b"\xfb\xfc" and table["\ufa11"] == b"\xfa\xb1"
    assert table["\u2160"] == b"\x87\x54" and table["\u3231"] == b"\x87\x8a"
    chars = sorted(table)
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute("select c, pyrnd1_functions.to_cp932(c) from unnest(%s::text[]) as c",
                       (chars,))
        written = {char: bytes(code) for char, code in cursor.fetchall()}
    assert {c: b for c, b in written.items() if b != table[c]} == {}
    assert {c: cp932.windows(c) for c in chars if cp932.windows(c) != table[c]} == {}


def test_ibm_extension_kanji_in_the_files_use_the_windows_rows(small_round):
    """髙 (the extract's third household is 髙橋) is FB FC in KT020.dat, never EE E0."""
    out, _ = small_round
    data = (out / "KT020.dat").read_bytes()
    assert b"\xfb\xfc" in data
    for record in data.split(b"\r\n"):
        name = record[21:61]  # 氏名 N(40) from byte 22
        assert b"\xee\xe0" not in name and b"\xed\x95" not in name


def test_the_same_round_twice_gives_byte_identical_files(small_run, small_extract,
                                                        tmp_path):
    out = small_run.out
    again = tmp_path / "again"
    with small_run.in_use(exclusive=True):  # no test reads the round meanwhile
        result = run_round(small_extract, "PYRND1", again, 2000)
    assert result.returncode == 0, result.stderr
    for path in sorted(out.iterdir()):
        assert path.read_bytes() == (again / path.name).read_bytes(), path.name


def test_every_data_test_gates_the_export_and_holds_no_model_back(small_round):
    """Every data test (generic, dbt's own and singular) depends on round_parameters
    (macro gates_the_export), and round_parameters feeds no model but the export view: a
    test holds back only export_records, so dbt build runs it beside the models after its
    own (a failing one still fails the build: the refusal tests here)."""
    manifest = json.loads((dbt_runner.target_dir("PYRND1") / "manifest.json")
                          .read_text(encoding="utf-8"))
    gate = "model.nhi_migration.round_parameters"
    tests = {uid: node for uid, node in manifest["nodes"].items()
             if node["resource_type"] == "test"}
    assert len(tests) > 100
    assert [uid for uid, node in tests.items() if gate not in node["depends_on"]["nodes"]] == []
    fed = sorted(uid for uid, node in manifest["nodes"].items()  # seeds depend on nothing
                 if gate in node.get("depends_on", {}).get("nodes", []) and uid not in tests)
    assert fed == ["model.nhi_migration.export_records"]


def test_every_analyze_hook_names_its_own_table(small_round):
    """A post-hook set in a model's YAML is rendered when dbt parses, where ``{{ this }}``
    is still empty: "analyze" alone analysed the whole database (55 s of a default build,
    once). Every analyze hook reaches dbt unrendered, naming the model's own table."""
    manifest = json.loads((dbt_runner.target_dir("PYRND1") / "manifest.json")
                          .read_text(encoding="utf-8"))
    hooks = [(uid, hook["sql"].strip()) for uid, node in manifest["nodes"].items()
             for hook in node["config"].get("post-hook", [])
             if hook["sql"].strip().lower().startswith("analyze")]
    assert len(hooks) > 40
    assert [uid for uid, sql in hooks if sql != "analyze {{ this }}"] == []


def test_validation_report_renders_offline(small_round):
    """The staff report (in place of GX's Data Docs) loads nothing, runs no script and
    shows all 9 suites passed; the summary names it."""
    _, result = small_round
    gx_folder = paths.round_work_dir("PYRND1") / "gx"
    page = validation_report.page_path(gx_folder)
    assert [p.name for p in gx_folder.rglob("*.html")] == [page.name]
    assert f"validation report: {page}" in result.stdout
    html = page.read_text(encoding="utf-8")
    assert not re.search(r"https?://|<script|<link|<img|\bsrc=", html, re.IGNORECASE)
    assert html.count('<td class="status">✔ 合格</td></tr>') == 9  # the overview, per suite
    assert "合格：検査" in html and "すべて合格しました。" in html and "基準日" in html


# --- refusals: each case where setup-layouts.md says the run must not export ------------
@pytest.fixture()
def tiny(tmp_path):
    created: list[str] = []

    def make(round_id: str, faults: frozenset[str] = frozenset()):
        created.append(round_id)
        return make_extract(tmp_path / round_id, households=150, seed=3, faults=faults)

    yield make
    for round_id in created:
        drop_round_schemas(round_id)


def test_refused_when_kt010_differs_from_expected_households(failed_round):
    # the 150 households run with --expected-households 151, into a folder holding an
    # earlier KT010.dat (conftest.failed_round: a stale package is removed)
    out, result = failed_round.out, failed_round.result
    assert_refused(result, "validation failed", out)
    assert "KT010 holds 150 households, --expected-households is 151" in result.stdout
    assert not (out / "KT010.dat").exists()


def test_refused_when_a_household_row_is_unreadable(tiny, tmp_path):
    out = tmp_path / "out"
    result = run_round(tiny("PYUNR1", frozenset({"unreadable-household"})), "PYUNR1", out, 150)
    assert_refused(result, "validation failed", out)
    assert "KT010 holds 149 households" in result.stdout
    assert "EXCEPTIONS ERROR INVALID_VALUE SETAI: 1 (SETAI_NO " in result.stdout


def test_refused_on_an_unmapped_legacy_code(unknown_code_round):
    # conftest: the 150 households with an unmapped code, run once per session
    assert_refused(unknown_code_round.result, "NOFU code '09' on 1 row(s)",
                   unknown_code_round.out)


def test_refused_on_unmapped_gaiji_in_a_production_round_only(tiny, passed_round, tmp_path):
    extract = tiny("PRODG1")
    out = tmp_path / "out"
    result = run_round(extract, "PRODG1", out, 150)
    assert_refused(result, "本番回次", out)
    assert "未登録の外字" in result.stderr
    # the same extract as test round PYGOK1 (conftest.passed_round, run once per session)
    result = passed_round.result
    assert result.returncode == 0, result.stderr
    assert "GAIJI_UNMAPPED         WARNING" in result.stdout


def test_refused_when_the_control_file_disagrees(tiny, tmp_path):
    out = tmp_path / "out"
    result = run_round(tiny("PYCTL1", frozenset({"control-mismatch"})), "PYCTL1", out, 150)
    assert_refused(result, "KOSHO_KEIKA.csv: the file holds", out)


def test_refused_on_a_negative_value_bound_for_a_9n_field(tiny, tmp_path):
    out = tmp_path / "out"
    result = run_round(tiny("PYNEG1", frozenset({"negative-amount"})), "PYNEG1", out, 150)
    assert_refused(result, "validation failed", out)
    assert "KT030.paid_amount（収納済額）が 9(9) に収まる" in result.stdout


def test_refused_when_the_accounting_does_not_balance(unbalanced_round, tmp_path):
    # conftest: a round loaded, a row deleted from its raw table, then built
    out = tmp_path / "out"
    params = ["--round", "PYACCT", "--as-of", AS_OF, "--expected-households", "150"]
    assert_refused(unbalanced_round.result, "assert_accounting_balances", out)
    result = run_cli("export", *params, "--out", str(out))
    assert_refused(result, "no validation has been run for this build", out)


def test_refused_after_a_failed_expectation_and_after_a_change_since_validation(tiny, tmp_path):
    extract = tiny("PYGXF1")
    out = tmp_path / "out"
    params = ["--round", "PYGXF1", "--as-of", AS_OF, "--expected-households", "150"]
    assert run_round(extract, "PYGXF1", out, 150).returncode == 0
    shutil.rmtree(out)
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute("update pygxf1_marts.kt040_payments set payment_method = 'Z' "
                       "where payment_no = (select min(payment_no) from pygxf1_marts.kt040_payments)")
    # the marts changed after the validation: the receipt no longer matches
    assert_refused(run_cli("export", *params, "--out", str(out)),
                   "a mart changed after the validation", out)
    # validating again fails on the code set, and the export stays refused
    result = run_cli("validate", *params)
    assert_refused(result, "validation failed", out)
    assert "KT040.payment_method（納付区分）が新コード" in result.stdout
    assert_refused(run_cli("export", *params, "--out", str(out)),
                   "the validation of this build failed", out)
    # a row twice, and a file total one off: the key's uniqueness (one sort of the key) and
    # the cross check of the file's count with the control total fail, each named, the
    # doubled key counted once in the report
    kt040 = project_of("PYGXF1").layout_of("kt040_payments")
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute("insert into pygxf1_marts.kt040_payments select * from "
                       "pygxf1_marts.kt040_payments order by payment_no desc limit 1")
        cursor.execute("update pygxf1_marts.file_totals set record_count = record_count + 1 "
                       "where file_id = 'KT040'")
    result = run_cli("validate", *params)
    assert_refused(result, "validation failed", out)
    unique = f"KT040 のキー ({', '.join(kt040.key)}) が一意"
    assert f"FAILED {unique}" in result.stdout
    assert "FAILED KT040 の件数 = SHUNO の抽出件数表の件数 − 除外した件数（§6）" in result.stdout
    page = validation_report.page_path(paths.round_work_dir("PYGXF1") / "gx")
    assert re.search(re.escape(unique) + r'<br><span class="gx">[^<]*</span></td>'
                     r'<td class="observed">不適合 1 行', page.read_text(encoding="utf-8"))


def test_run_refuses_a_mart_changed_while_it_validates_and_exports(tiny, tmp_path,
                                                                   monkeypatch):
    # `run` writes the package while the validation runs and publishes it only when the
    # marts, once every file is written, are still the ones the validation checked: here
    # a row of KT040 changes as the validation ends (after the export read it)
    extract = tiny("PYPIP1")
    out = tmp_path / "out"
    parameters = dbt_runner.RoundParameters("PYPIP1", AS_OF, 150)
    assert run_cli("load", "--input", str(extract), "--round", "PYPIP1").returncode == 0
    built = run_cli("build", "--round", "PYPIP1", "--as-of", AS_OF,
                    "--expected-households", "150")
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr
    validated = validate_step.step

    def validate_then_change(*args):
        receipt = validated(*args)
        with db.connect() as connection, connection.cursor() as cursor:
            cursor.execute("update pypip1_marts.kt040_payments set premium_amount = "
                           "premium_amount + 1 where payment_no = "
                           "(select min(payment_no) from pypip1_marts.kt040_payments)")
        return receipt

    monkeypatch.setattr(validate_step, "step", validate_then_change)
    with pytest.raises(StepRefused, match="a mart changed after the validation"):
        run_step.validate_and_export(parameters, out, {})
    assert not dat_files(out) if out.exists() else True
    assert not list(out.parent.glob(f".{out.name}.incomplete"))


# --- privacy --------------------------------------------------------------------------
PLANTED = {
    "name": "\u8a66\u9a13\u5ddd\u3000\u82b1\u5b50\ue1a0",  # 試験川　花子 + an unmapped gaiji
    "kana": "ｼｹﾝｶﾞﾜ ﾊﾅｺ",
    "address": "東京都新宿区試験町九丁目九番九号",
    "phone": "03-9999-1234",
    "text": "秘匿テスト：本人より電話、試験川花子は入院中。",
}
PLANTED_FORMS = [
    "試験川", "試験川　花子", "ｼｹﾝｶﾞﾜ", "シケンガワ", "試験町", "東京都新宿区試験町",
    "03-9999-1234", "０３－９９９９－１２３４", "9999-1234", "秘匿テスト", "入院中",
]


# The planted value for each column the sources tag personal (meta: {personal: true}).
PLANTED_FOR = {"shimei": "name", "tsusho_mei": "name", "shimei_kana": "kana",
               "jusho": "address", "katagaki": "address", "tel_no": "phone", "naiyo": "text",
               "daisan_saimusha": "name", "tanto_mei": "name"}
NOT_PLANTED = {"seinengappi"}  # a date: a planted text would only make it unreadable


def plant_personal_data(extract: Path) -> None:
    """Overwrite every column tagged personal with a known value (counts unchanged)."""
    for table in legacy.data_tables():
        untold = set(table.personal) - set(PLANTED_FOR) - NOT_PLANTED
        assert not untold, f"{table.name}: say what to plant in {sorted(untold)}"
        for column in table.personal:
            if column in PLANTED_FOR:
                set_column(extract / table.file, column.upper(), PLANTED[PLANTED_FOR[column]])


def tagged_text_columns(project: layouts.Project) -> list[tuple[str, str]]:
    """(relation, column) of every model column tagged ``meta: {personal: true}`` in the
    round's manifest, whose values the privacy tests look for in what the vendor sees. Left
    out: the sources (their staging models are tagged too) and the staff views (vrf_…),
    which put keys and codes beside the same personal values in one column."""
    return [(project.relations[model], column)
            for model, columns in sorted(project.personal.items())
            if model in project.relations and not model.startswith("vrf_")
            for column in columns]


def personal_values(round_id: str) -> dict[str, set[str]]:
    """What the round's tagged text columns hold, by ``model.column``: every distinct value,
    blanks and U+3000 fill left out. Not texts: a date (生年月日; eight digits alone cannot
    be told from other digits in a log, and NOT_PLANTED says it is not planted) and bytes
    (the records, whose text is the marts' own values)."""
    project = project_of(round_id)
    found: dict[str, set[str]] = {}
    with db.connect() as connection, connection.cursor() as cursor:
        for relation, column in tagged_text_columns(project):
            schema, table = (part.strip('"') for part in relation.split("."))
            cursor.execute("select data_type from information_schema.columns where "
                           "table_schema = %s and table_name = %s and column_name = %s",
                           (schema, table, column))
            (data_type,) = cursor.fetchone()
            if data_type != "text":
                continue
            cursor.execute(sql.SQL("select distinct rtrim({}, ' 　') from {}").format(
                sql.Identifier(column), sql.SQL(relation)))
            found[f"{table}.{column}"] = {v for (v,) in cursor.fetchall() if v}
    return found


def files_mentioning(folder: Path, forms: list[str]) -> list[str]:
    hits = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for form in forms:
                for encoding in ("utf-8", "cp932", "utf-16-le"):
                    if form.encode(encoding) in data:
                        hits.append(f"{path.relative_to(folder)}: {form}")
                if json.dumps(form).strip('"').encode() in data:  # \\u escapes in JSON
                    hits.append(f"{path.relative_to(folder)}: {form} (escaped)")
    return hits


def test_no_personal_data_in_gx_results_data_docs_or_cli_output(tiny, tmp_path, monkeypatch):
    """A production round that fails validation on planted names: GX keeps no values."""
    extract = tiny("PRODPV")
    plant_personal_data(extract)
    out = tmp_path / "out"
    result = run_round(extract, "PRODPV", out, 150)
    assert_refused(result, "validation failed", out)
    gx_folder = paths.round_work_dir("PRODPV") / "gx"
    report = validation_report.page_path(gx_folder)
    assert any(gx_folder.rglob("*.json")) and report.is_file()
    # the planted forms, and every value of every column the manifest tags personal
    forms = PLANTED_FORMS + sorted(set().union(*personal_values("PRODPV").values()))
    assert files_mentioning(gx_folder, forms) == []
    # the report counted the failures on the planted rows (unmapped gaiji in names) …
    page = report.read_text(encoding="utf-8")
    assert re.search(r"本番回次：KT020\.name（氏名）に未登録の外字（〓）がない（§4）<br>"
                     r"<span class=\"gx\">[^<]*</span></td><td class=\"observed\">"
                     r"不適合 [1-9][\d,]* 行", page)
    output = result.stdout + result.stderr
    assert [form for form in forms if form in output] == []

    # The test can fail: with GX's default result format the same gate copies the
    # planted names into its results.
    monkeypatch.setattr(gx_runner, "RESULT_FORMAT", {"result_format": "SUMMARY"})
    project = project_of("PRODPV")
    facts = database.round_facts(project)
    leaky = tmp_path / "leaky-gx"
    gx_runner.run_gate(project, facts, leaky, progress=lambda _: None)
    assert files_mentioning(leaky, ["試験川"]), "the planted name should show with SUMMARY"
    # … yet the report, written from success flags and counts only, still holds none
    assert validation_report.page_path(leaky).is_file()
    in_report = [hit for hit in files_mentioning(leaky, PLANTED_FORMS)
                 if hit.startswith(f"{validation_report.PAGE_NAME}:")]
    assert in_report == []
