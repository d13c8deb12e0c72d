"""Privacy operations of the contract's special terms (特記事項): designated handlers, the
audit trail, round comparison, the staff-only workbook, erasure with a certificate,
least privilege in the database, and no personal data in anything the vendor sees."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
from pathlib import Path

import psycopg2
import pytest
from openpyxl import load_workbook

from nhi_migration import audit, db, erase, layouts, paths, pgcluster, verify_pack
from nhi_migration import cli as migrate
from nhi_migration.steps import build
from nhi_migration.validation import checks as gate_checks
from nhi_migration.validation import guard

from conftest import drop_round_schemas, make_extract, run_cli
from test_round import (
    PLANTED,
    PLANTED_FORMS,
    files_mentioning,
    personal_values,
    plant_personal_data,
    project_of,
    tagged_text_columns,
)

AS_OF = "2017-11-10"
STAFF = "W101"
RESPONSIBLE = "V900"


def refusal_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("REFUSED")]


def in_scope(extract: Path) -> set[str]:
    """Households in scope, from the files alone (setup-layouts.md §5)."""
    def rows(name: str) -> list[dict[str, str]]:
        text = (extract / name).read_bytes().decode("cp932")
        return list(csv.DictReader(io.StringIO(text, newline="")))

    assessed = {r["SETAI_NO"] for r in rows("CHOTEI.csv") if r["SAKUJO_FLG"] != "1"}
    return {r["SETAI_NO"] for r in rows("SETAI.csv") if r["SAKUJO_FLG"] != "1"} & assessed


@pytest.fixture()
def rounds(server):
    created: list[str] = []
    yield created
    for round_id in created:
        drop_round_schemas(round_id)
        shutil.rmtree(paths.round_work_dir(round_id), ignore_errors=True)


# --- designated handlers (特記事項 13) ------------------------------------------------------
def test_an_undesignated_operator_is_refused_in_one_line(server, tmp_path):
    before = audit.verify()[0]
    cases = [
        (["load", "--input", str(tmp_path), "--round", "PYHND1"], "X999", "not designated"),
        (["load", "--input", str(tmp_path), "--round", "PYHND1"], None, "give --operator ID"),
        (["run", "--input", str(tmp_path), "--round", "PYHND1", "--as-of", AS_OF,
          "--expected-households", "1", "--out", str(tmp_path / "o")], STAFF,
         "(ward_staff) is not designated for run"),
        (["verify-pack", "--round", "PYHND1"], "V001", "(vendor_handler) is not designated"),
        (["erase", "--round", "PYHND1"], "V001", "(vendor_handler) is not designated for erase"),
    ]
    for arguments, operator, reason in cases:
        result = run_cli(*arguments, *(["--operator", operator] if operator else []),
                         operator=None)
        assert result.returncode == 1
        assert len(refusal_lines(result)) == 1 and reason in refusal_lines(result)[0], result.stderr
        assert result.stdout == ""  # refused before touching anything
    count, problems = audit.verify()
    assert problems == [] and count == before + len(cases)
    last = json.loads(audit.log_path().read_text(encoding="utf-8").splitlines()[-1])
    assert last["outcome"] == "refused" and last["operator"] == "V001"


# --- audit trail (特記事項 14, 15) ----------------------------------------------------------
def test_audit_verify_detects_an_edited_byte_a_deleted_and_swapped_records(tmp_path):
    log = tmp_path / "audit.jsonl"
    for number in range(1, 7):
        audit.append({"command": "load", "operator": "V001", "round": "TEST01",
                      "counts": {"records": number * 1000}, "outcome": "ok"}, log)

    def verify_cli(lines: list[str]):
        copy = tmp_path / "copy.jsonl"
        copy.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return run_cli("audit", "verify", env={**os.environ, "NHI_AUDIT_LOG": str(copy)})

    lines = log.read_text(encoding="utf-8").splitlines()
    assert verify_cli(lines).returncode == 0

    edited = list(lines)
    edited[2] = edited[2].replace('"records":3000', '"records":3001')  # one byte
    result = verify_cli(edited)
    assert result.returncode == 1 and "line 3: record seq 3 was edited" in result.stdout

    deleted = lines[:3] + lines[4:]
    result = verify_cli(deleted)
    assert result.returncode == 1 and "record(s) 4 removed" in result.stdout

    swapped = lines[:2] + [lines[3], lines[2]] + lines[4:]
    result = verify_cli(swapped)
    assert result.returncode == 1 and "reordered" in result.stdout
    assert "seq 4" in result.stdout and "seq 3" in result.stdout

    # a record removed from the end is caught by the chain head the certificate keeps
    assert audit.head(log) == json.loads(lines[-1])["hash"]


def test_audit_report_tells_a_rounds_handling_in_japanese(rounds, tmp_path):
    extract = make_extract(tmp_path / "x", households=120, seed=21)
    rounds.append("PYAUD1")
    assert run_cli("load", "--input", str(extract), "--round", "PYAUD1").returncode == 0
    result = run_cli("audit", "report", "--round", "PYAUD1")
    assert result.returncode == 0
    assert "取扱記録の報告（特記事項 14）— 抽出回次 PYAUD1" in result.stdout
    assert "取扱者 V001（受託者 個人情報取扱者）" in result.stdout
    assert "抽出データの読み込み  完了" in result.stdout
    digest = hashlib.sha256((extract / "SETAI.csv").read_bytes()).hexdigest()
    assert f"入力 SETAI.csv  SHA-256 {digest}" in result.stdout


# --- round history --------------------------------------------------------------------
def test_compare_lists_the_households_added_and_removed(rounds, tmp_path):
    first = make_extract(tmp_path / "a", households=140, seed=31)
    second = make_extract(tmp_path / "b", households=140, seed=32)
    for round_id, extract in (("PYCMP1", first), ("PYCMP2", second)):
        rounds.append(round_id)
        result = run_cli("run", "--input", str(extract), "--round", round_id, "--as-of", AS_OF,
                         "--expected-households", "140", "--out", str(tmp_path / round_id))
        assert result.returncode == 0, result.stderr
    result = run_cli("compare", "--from", "PYCMP1", "--to", "PYCMP2", operator=STAFF)
    assert result.returncode == 0, result.stderr
    added = sorted(in_scope(second) - in_scope(first))
    removed = sorted(in_scope(first) - in_scope(second))
    assert added and removed
    text = result.stdout
    listed_added = re.findall(r"\d{10}", text.split("households added:")[1]
                              .split("households removed:")[0])
    listed_removed = re.findall(r"\d{10}", text.split("households removed:")[1]
                                .split("EXCEPTIONS")[0])
    assert listed_added == added and listed_removed == removed
    assert f"households added: {len(added)}" in text
    assert re.search(r"KT010\s+record_count\s+140\s+140", text)


# --- least privilege ------------------------------------------------------------------
def admin_execute(statement: str) -> None:
    """Run a statement as the cluster's superuser (the vendor role may not create roles)."""
    cluster = db.embedded_cluster()
    admin = os.environ.get("NHI_TEST_ADMIN_PGUSER")
    if cluster is None and not admin:
        pytest.skip("a server of your own: set NHI_TEST_ADMIN_PGUSER to a role that may "
                    "create roles")
    connection = psycopg2.connect("", user=admin or pgcluster.SUPERUSER)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(statement)
    connection.close()


def test_staff_read_what_dbt_granted_and_a_role_without_the_grant_cannot(built_small_round):
    round_id = built_small_round.lower()
    admin_execute("do $$ begin if not exists (select from pg_roles where rolname = "
                  "'nhi_nogrant') then create role nhi_nogrant login; end if; end $$")
    admin_execute(f"revoke connect on database \"{os.environ['PGDATABASE']}\" from nhi_nogrant")

    def read(role: str, relation: str) -> str:
        try:
            connection = psycopg2.connect("", user=role)
        except psycopg2.OperationalError:
            return "no connect"
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"select count(*) from {relation}")
                return "read"
        except psycopg2.errors.InsufficientPrivilege:
            return "denied"
        finally:
            connection.close()

    staff = pgcluster.STAFF_ROLE
    assert read(staff, f"{round_id}_marts.kt010_households") == "read"
    assert read(staff, f"{round_id}_verification.vrf_field_values") == "read"
    assert read(staff, f"{round_id}_raw.kojin") == "denied"
    assert read(staff, f"{round_id}_staging.stg_legacy__kojin") == "denied"
    assert read("nhi_nogrant", f"{round_id}_marts.kt010_households") in ("denied", "no connect")
    assert read("nhi_nogrant", f"{round_id}_verification.vrf_field_values") in (
        "denied", "no connect")
    admin_execute(f"grant connect on database \"{os.environ['PGDATABASE']}\" to nhi_nogrant")
    assert read("nhi_nogrant", f"{round_id}_marts.kt010_households") == "denied"
    assert read("nhi_nogrant", f"{round_id}_verification.vrf_field_values") == "denied"


# --- the vendor never sees personal data; staff do --------------------------------------
def vendor_visible_files(round_id: str, package: Path) -> list[Path]:
    """Everything the vendor's side produces or reads back: logs, results, receipts,
    the audit log, the server log, and the package's CSVs and manifest (the .dat files
    and the staff workbook are the personal data themselves, for the ward)."""
    work = paths.round_work_dir(round_id)
    files = [p for p in work.rglob("*") if p.is_file() and "verify" not in p.parts]
    files += [p for p in (paths.PROJECT_DIR / "logs").rglob("*") if p.is_file()]
    files += [audit.log_path()]
    cluster = db.embedded_cluster()
    if cluster is not None and cluster.log_file.is_file():
        files.append(cluster.log_file)
    files += [p for p in package.iterdir() if p.suffix != ".dat"]
    return files


def test_planted_personal_data_reaches_no_vendor_output(rounds, tmp_path):
    extract = make_extract(tmp_path / "x", households=150, seed=41)
    plant_personal_data(extract)
    rounds.append("PYPRV1")
    package = tmp_path / "package"
    outputs = []
    for arguments, operator in (
        (["run", "--input", str(extract), "--round", "PYPRV1", "--as-of", AS_OF,
          "--expected-households", "150", "--out", str(package)], "V001"),
        (["compare", "--from", "PYPRV1", "--to", "PYPRV1"], "V001"),
        (["audit", "report", "--round", "PYPRV1"], None),
        (["audit", "verify"], None),
        (["verify-pack", "--round", "PYPRV1"], STAFF),
    ):
        result = run_cli(*arguments, operator=operator)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr
        outputs.append(result.stdout + result.stderr)
    # What to look for: the planted forms, and every value of every text column the
    # round's manifest tags personal (meta: {personal: true}), as the models hold it.
    values = personal_values("PYPRV1")
    marts = {f"{layout.model}.{f.name}" for layout in project_of("PYPRV1").layouts
             for f in layout.fields if f.personal and f.data_type == "text"}
    assert marts and marts <= values.keys()
    assert [column for column in sorted(marts) if not values[column]] == []  # planted there
    forms = PLANTED_FORMS + sorted(set().union(*values.values()))
    for output in outputs:
        assert [form for form in forms if form in output] == []
    files = vendor_visible_files("PYPRV1", package)
    assert len(files) > 100  # dbt target and logs, GX results, receipts, audit log …
    hits = []
    for path in files:
        data = path.read_bytes()
        for form in forms:
            for encoding in ("utf-8", "cp932"):
                if form.encode(encoding) in data:
                    hits.append(f"{path}: {form}")
            if json.dumps(form).strip('"').encode() in data:
                hits.append(f"{path}: {form} (escaped)")
    assert hits == []
    # the planted values did go where they belong: the setup data and the staff workbook
    assert "試験川".encode("cp932") in (package / "KT020.dat").read_bytes()
    workbook = paths.round_work_dir("PYPRV1") / "verify" / "verify-pack-PYPRV1.xlsx"
    values = {str(cell) for sheet in load_workbook(workbook, read_only=True).worksheets
              for row in sheet.iter_rows(values_only=True) for cell in row if cell}
    assert any(PLANTED["address"] in v for v in values)
    assert any(PLANTED["text"] in v for v in values)
    assert files_mentioning(paths.round_work_dir("PYPRV1") / "gx", PLANTED_FORMS) == []
    # the erasure's own outputs (what it prints, the certificate and its twin) hold none
    result = run_cli("erase", "--round", "PYPRV1", "--force", operator=RESPONSIBLE)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert [form for form in PLANTED_FORMS if form in result.stdout + result.stderr] == []
    certificates = sorted((paths.LOCAL_DIR / "certificates").glob("erasure-PYPRV1-*"))
    assert {c.suffix for c in certificates} >= {".html", ".json"}
    for certificate in certificates:
        data = certificate.read_bytes()
        assert [form for form in PLANTED_FORMS if form.encode("utf-8") in data
                or json.dumps(form).strip('"').encode() in data] == [], certificate.name


# --- erasure with certificate (特記事項 11, 12) ---------------------------------------------
def listing(round_id: str, package: Path) -> dict[str, str]:
    found = {}
    for root in (paths.round_work_dir(round_id), package):
        for path in root.rglob("*"):
            if path.is_file():
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def round_schemas(round_id: str) -> list[str]:
    return db.round_schemas(round_id)


def test_erase_leaves_nothing_of_the_round_and_certifies_what_was_there(rounds, tmp_path):
    extract = make_extract(tmp_path / "x", households=120, seed=51)
    package = tmp_path / "package"
    rounds.append("PYERS1")
    result = run_cli("run", "--input", str(extract), "--round", "PYERS1", "--as-of", AS_OF,
                     "--expected-households", "120", "--out", str(package))
    assert result.returncode == 0, result.stderr
    assert run_cli("verify-pack", "--round", "PYERS1", operator=STAFF).returncode == 0
    other = tmp_path / "unrelated.txt"
    other.write_text("not the round's", encoding="utf-8")

    result = run_cli("erase", "--round", "PYERS1", operator=RESPONSIBLE)
    assert result.returncode == 1 and "has not been confirmed as delivered" in result.stderr
    assert (package / "KT010.dat").exists() and round_schemas("PYERS1")

    before = listing("PYERS1", package)
    schemas = round_schemas("PYERS1")
    assert len(before) > 50 and len(schemas) >= 7
    ward_note = package / "ward-note.txt"  # put there by someone else: not the tool's to erase
    ward_note.write_text("staff's own note", encoding="utf-8")
    delivered = tmp_path / "received-manifest.json"
    shutil.copy(package / "manifest.json", delivered)
    result = run_cli("erase", "--round", "PYERS1", "--delivered", str(delivered),
                     operator=RESPONSIBLE)
    assert result.returncode == 0, result.stdout + result.stderr

    assert round_schemas("PYERS1") == []
    assert not paths.round_work_dir("PYERS1").exists()
    assert [p.name for p in package.iterdir()] == [ward_note.name]  # only the package went
    assert extract.is_dir() and other.is_file() and delivered.is_file()  # not ours to erase
    certificate = sorted((paths.LOCAL_DIR / "certificates").glob("erasure-PYERS1-*.json"))[-1]
    twin = json.loads(certificate.read_text(encoding="utf-8"))
    assert twin["complete"] is True and twin["remaining"] == []
    certified = {i["path"]: i["sha256"] for i in twin["items"] if i["kind"] == "file"}
    assert certified == before
    assert sorted(i["path"] for i in twin["items"] if i["kind"] == "schema") == sorted(schemas)
    assert any(str(package) in kept for kept in twin["kept"])
    assert certificate.with_suffix(".html").is_file()
    assert "消去証明書" in certificate.with_suffix(".html").read_text(encoding="utf-8")
    last = json.loads(audit.log_path().read_text(encoding="utf-8").splitlines()[-1])
    assert last["command"] == "erase" and last["outcome"] == "ok"
    assert last["outputs"][certificate.name] == hashlib.sha256(certificate.read_bytes()).hexdigest()
    assert twin["audit_chain_head_before_erasure"] == last["prev"]


def test_an_emptied_package_folder_goes_and_one_holding_other_files_stays(server, tmp_path):
    emptied, shared = tmp_path / "emptied", tmp_path / "shared"
    for folder in (emptied, shared):
        folder.mkdir()
        (folder / "KT010.dat").write_bytes(b"x")
    (shared / "ward-note.txt").write_text("not the tool's", encoding="utf-8")
    plan = erase.Plan(round_id="PYNONE", roots=[emptied / "KT010.dat", shared / "KT010.dat"],
                      folders=[emptied, shared])
    assert erase.carry_out(plan) == []
    assert not emptied.exists() and [p.name for p in shared.iterdir()] == ["ward-note.txt"]
    assert [kept for kept in plan.kept if str(shared) in kept] and not [
        kept for kept in plan.kept if str(emptied) in kept]


def test_an_unforeseen_error_is_reported_without_its_text(server):
    """A database error quoting a value reaches the terminal and audit log as type and place."""
    with pytest.raises(psycopg2.Error) as caught, db.connect() as connection:
        with connection.cursor() as cursor:
            cursor.execute("select %s::integer", (PLANTED["address"],))
    assert PLANTED["address"] in str(caught.value)  # PostgreSQL does quote it
    line = migrate.unexpected_error(caught.value)
    assert PLANTED["address"] not in line and "SQLSTATE 22P02" in line and "test_privacy.py:" in line


def test_dbt_output_keeps_its_own_lines_and_withholds_the_databases_words():
    shown: list[str] = []
    output = build.without_database_text(shown.append)
    for line in ("12:00:01  1 of 2 ERROR creating sql table model x.int_amounts",
                 "12:00:02    Database Error in model int_amounts (models/x.sql)",
                 '  invalid input syntax for type integer: "' + PLANTED["address"] + '"',
                 "  DETAIL:  Key (name)=(" + PLANTED["phone"] + ") already exists.",
                 "12:00:03  Done. PASS=1 WARN=0 ERROR=1 SKIP=0 TOTAL=2"):
        output(line)
    text = "\n".join(shown)
    assert PLANTED["address"] not in text and PLANTED["phone"] not in text
    assert "int_amounts (models/x.sql)" in text and "Done. PASS=1" in text and "withheld" in text


# --- personal-data tags (meta: {personal: true}), read from the manifest ------------------
def small_manifest(tagged: set[str]) -> dict:
    """A manifest of one layout mart, file_totals and one source; the columns named in
    ``tagged`` carry meta: {personal: true}."""
    def column(name: str, layout: dict | None = None) -> dict:
        meta = dict(layout or {})
        if name in tagged:
            meta["personal"] = True
        return {"name": name, "data_type": "text", "meta": meta}

    def model(name: str, meta: dict, columns: dict) -> dict:
        return {"name": name, "resource_type": "model", "package_name": "nhi_migration",
                "schema": "pytag_marts", "alias": name, "meta": meta, "columns": columns,
                "checksum": {"checksum": name}}

    fields = {"household_no": {"item": "世帯番号", "type": "X", "width": 10, "position": 1},
              "address": {"item": "住所", "type": "N", "width": 80, "position": 11},
              "postal_code": {"item": "郵便番号", "type": "X", "width": 7, "position": 91}}
    return {
        "metadata": {"dbt_version": "1.11"},
        "nodes": {
            "model.nhi_migration.kt010_households": model(
                "kt010_households", {"file_id": "KT010", "record_length": 97,
                                     "key": ["household_no"], "trailer": []},
                {name: column(name, meta) for name, meta in fields.items()}),
            "model.nhi_migration.file_totals": model("file_totals", {}, {}),
        },
        "sources": {"source.nhi_migration.legacy.setai": {
            "name": "setai", "source_name": "legacy", "package_name": "nhi_migration",
            "meta": {"key": ["setai_no"], "japanese": "世帯"},
            "columns": {name: column(name) for name in ("setai_no", "jusho", "yubin_no")}}},
    }


def project_from(manifest: dict, tmp_path: Path) -> layouts.Project:
    """The project of ``manifest``, its table registry the one table the manifest has."""
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "dbt_project.yml").write_text(
        "vars:\n  legacy_tables:\n    - {source: setai, decided_by: int_households, "
        "key: household_no, setup_file: kt010_households}\n", encoding="utf-8")
    return layouts.read_project(path, project_dir=tmp_path)


def test_a_column_newly_tagged_personal_is_read_from_the_manifest(tmp_path):
    project = project_from(small_manifest({"address", "jusho"}), tmp_path)
    assert project.personal == {"kt010_households": ("address",), "legacy.setai": ("jusho",)}
    assert [f.name for f in project.layouts[0].fields if f.personal] == ["address"]
    # tag the postal code (and YUBIN_NO): every reader of the tag sees it, nothing else changes
    tagged = project_from(small_manifest({"address", "jusho", "postal_code", "yubin_no"}),
                          tmp_path)
    assert tagged.personal == {"kt010_households": ("address", "postal_code"),
                               "legacy.setai": ("jusho", "yubin_no")}
    assert tagged.personal_names == {"address", "postal_code", "jusho", "yubin_no"}
    # the staff workbook's list of personal values (概要)
    assert verify_pack.personal_items(project) == ["KT010：住所", "旧 SETAI：JUSHO"]
    assert verify_pack.personal_items(tagged) == ["KT010：住所、郵便番号",
                                                  "旧 SETAI：JUSHO、YUBIN_NO"]
    # the planted-data tests' list of columns to look for
    assert tagged_text_columns(project) == [('"pytag_marts"."kt010_households"', "address")]
    assert tagged_text_columns(tagged) == [('"pytag_marts"."kt010_households"', "address"),
                                           ('"pytag_marts"."kt010_households"', "postal_code")]


def test_the_gates_row_query_guard_refuses_a_query_selecting_a_tagged_column(tmp_path):
    def row_check(query: str) -> gate_checks.Check:
        return gate_checks.Check("KT010", "a question", "UnexpectedRowsExpectation",
                                 {"unexpected_rows_query": query})

    constant = row_check('select 1 from {batch} where "postal_code" is null')
    postal = row_check('select "postal_code", 1 from {batch} where "postal_code" is null')
    address = row_check('select household_no, ADDRESS from {batch} where false')
    everything = row_check("select * from {batch} where false")
    project = project_from(small_manifest({"address"}), tmp_path)
    guard.guard_row_queries([constant, postal], project.personal_names)
    for check in (address, everything):
        with pytest.raises(guard.PersonalDataInQuery) as refused:
            guard.guard_row_queries([constant, check], project.personal_names)
        assert "row query of KT010 would select" in str(refused.value)
    # once the postal code is tagged, the query that selects it is refused too
    tagged = project_from(small_manifest({"address", "postal_code"}), tmp_path)
    with pytest.raises(guard.PersonalDataInQuery, match="would select postal_code"):
        guard.guard_row_queries([constant, postal], tagged.personal_names)
    # the gate's own questions select only the constant
    facts = gate_checks.RoundFacts("PYTAG1", AS_OF, 1, True, "id")
    rules = {("KT010", f.name): "false" for f in tagged.layouts[0].fields}
    tagged.relations.update({name: f'"pytag_marts"."{name}"' for name in (
        "accounting", "file_totals", "int_period_amounts", "exceptions")})
    checks = gate_checks.build_checks(tagged, facts, {}, rules)
    assert checks and all(c.arguments.get("unexpected_rows_query", "select 1 from")
                          .startswith("select 1 from") for c in checks)
