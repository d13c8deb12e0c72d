"""Erasure and its certificate (消去証明書, 特記事項 11, 12), on a real PostgreSQL.

One small round (PYE001, 120 households, a unique address planted in it) is run once for
the module; a real export of it is killed (SIGKILL) midway, refusals are tried on it,
then a ward official erases it and the certificate, the cluster's own files and the
printed page are checked against each other. A second round (PYE002, loaded only) is
erased as if the database were a server of the ward's own; a third, on a cluster of its
own, is erased with --cluster.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest

from nhi_migration import db, erase, handlers, paths, pgcluster
from test_privacy import round_schemas

from conftest import (
    SCRIPTS,
    checkout_in_use,
    drop_round_schemas,
    make_extract,
    run_cli,
    set_column,
)

AS_OF = "2017-11-10"
HOUSEHOLDS = 120
ROUND = "PYE001"
OTHER = "PYE002"
RESPONSIBLE = "V900"
STAFF = "W101"
CERTIFICATES = paths.LOCAL_DIR / "certificates"
WARD = "新宿区 健康部 医療保険年金課"  # handlers.example.yml's organisation


def refusals(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("REFUSED")]


def plant_address(extract: Path, address: str) -> None:
    """Every household of the extract gets ``address`` (counts unchanged)."""
    set_column(extract / "SETAI.csv", "JUSHO", address)


def cluster_files_holding(marker: str) -> list[str]:
    """The embedded cluster's files (relative to its data folder) holding the marker's
    bytes in UTF-8 (the database) or CP932 (the export's bytea), after a CHECKPOINT."""
    cluster = db.embedded_cluster()
    assert cluster is not None
    connection = psycopg2.connect("", user=pgcluster.SUPERUSER)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("checkpoint")
    connection.close()
    forms = [marker.encode("utf-8"), marker.encode("cp932")]
    hits = []
    for path in sorted(cluster.data_dir.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if any(form in data for form in forms):
                hits.append(str(path.relative_to(cluster.data_dir)))
    return hits


def statistic_files() -> set[str]:
    """The files of pg_statistic and its TOAST table (relative to the data folder)."""
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute("select pg_relation_filepath(oid), pg_relation_filepath(reltoastrelid) "
                       "from pg_class where oid = 'pg_statistic'::regclass")
        return set(cursor.fetchone())


def certificates_of(round_id: str) -> list[Path]:
    return sorted(CERTIFICATES.glob(f"erasure-{round_id}-*.json"))


@dataclass
class Round:
    round_id: str
    extract: Path
    package: Path
    marker: str
    traces: list[str]  # cluster files holding the marker right after the round ran


@dataclass
class Erased:
    result: subprocess.CompletedProcess[str]
    twin: dict
    html: Path
    before: list[str]  # cluster files holding the marker before the erasure
    after: list[str]  # and after it
    statistic: set[str]  # pg_statistic's and its TOAST table's files, before and after


@pytest.fixture(scope="module")
def exported(server: str, tmp_path_factory: pytest.TempPathFactory):
    if db.embedded_cluster() is None:
        pytest.skip("these tests read the embedded cluster's files (no PG* variables)")
    folder = tmp_path_factory.mktemp("erase")
    extract = make_extract(folder / "extract", households=HOUSEHOLDS, seed=61)
    nonce = "".join(chr(0xFF10 + int(d)) for d in f"{secrets.randbelow(10**8):08d}")
    marker = f"消去確認町{nonce}"  # fullwidth digits: the address survives as it is
    plant_address(extract, f"東京都新宿区{marker}番")
    package = folder / "package"
    # The cluster to itself while the round runs and its traces are looked for: another
    # worker's rounds meanwhile write WAL that can recycle the segments holding the marker.
    with checkout_in_use(exclusive=True):
        result = run_cli("run", "--input", str(extract), "--round", ROUND, "--as-of", AS_OF,
                         "--expected-households", str(HOUSEHOLDS), "--out", str(package))
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr
        traces = cluster_files_holding(marker)
    yield Round(ROUND, extract, package, marker, traces)
    drop_round_schemas(ROUND)
    shutil.rmtree(paths.round_work_dir(ROUND), ignore_errors=True)


@pytest.fixture(scope="module")
def loaded_other(server: str, tmp_path_factory: pytest.TempPathFactory):
    """A second round, loaded only (no marker in it)."""
    extract = make_extract(tmp_path_factory.mktemp("other") / "extract", households=60, seed=62)
    result = run_cli("load", "--input", str(extract), "--round", OTHER)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    yield OTHER
    drop_round_schemas(OTHER)
    shutil.rmtree(paths.round_work_dir(OTHER), ignore_errors=True)


KILL_AFTER_KT010 = """
import os, signal, sys
from nhi_migration import cli, export
write = export._write_atomically
def write_then_die(folder, name, chunks):
    written = write(folder, name, chunks)
    if name == "KT010.dat":
        os.kill(os.getpid(), signal.SIGKILL)
    return written
export._write_atomically = write_then_die
sys.exit(cli.main(sys.argv[2:]))
"""


@pytest.fixture(scope="module")
def crashed_export(exported: Round) -> Path:
    """A real export of the round, killed (SIGKILL) right after it wrote KT010.dat."""
    out = exported.package.parent / "second"
    result = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_KT010, str(SCRIPTS), "export", "--round", ROUND,
         "--as-of", AS_OF, "--expected-households", str(HOUSEHOLDS), "--out", str(out),
         "--operator", "V001"], capture_output=True, text=True, check=False)
    assert result.returncode == -signal.SIGKILL, result.stdout + result.stderr
    staging = out.parent / ".second.incomplete"
    assert (staging / "KT010.dat").is_file() and not out.exists()
    return staging


@pytest.fixture(scope="module")
def erased(exported: Round, crashed_export: Path, tmp_path_factory) -> Erased:
    """Ward staff erase the round, with the manifest the ward received (the cluster to
    itself meanwhile: another worker's round would leave dead catalog rows of its own)."""
    with checkout_in_use(exclusive=True):
        statistic = statistic_files()
        before = cluster_files_holding(exported.marker)
        delivered = tmp_path_factory.mktemp("ward") / "received-manifest.json"
        shutil.copy(exported.package / "manifest.json", delivered)
        earlier = certificates_of(ROUND)
        result = run_cli("erase", "--round", ROUND, "--delivered", str(delivered),
                         operator=STAFF)
        assert result.returncode == 0, result.stdout + result.stderr
        after = cluster_files_holding(exported.marker)
    (twin_path,) = set(certificates_of(ROUND)) - set(earlier)
    twin = json.loads(twin_path.read_text(encoding="utf-8"))
    return Erased(result, twin, twin_path.with_suffix(".html"), before, after,
                  statistic | statistic_files())


# --- item 2: a round that never existed here --------------------------------------------
def test_erase_refuses_a_round_that_never_existed_and_names_the_rounds_here(loaded_other):
    before = sorted(CERTIFICATES.glob("*")) if CERTIFICATES.is_dir() else []
    result = run_cli("erase", "--round", "PYE999", "--force", operator=RESPONSIBLE)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = refusals(result)
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "round PYE999 never existed here" in lines[0]
    assert OTHER in lines[0]  # the round this machine does have
    assert (sorted(CERTIFICATES.glob("*")) if CERTIFICATES.is_dir() else []) == before


# --- item 4: --delivered must prove delivery --------------------------------------------
def test_delivered_must_be_the_wards_copy_of_the_exported_manifest(exported, tmp_path):
    package = exported.package
    changed = tmp_path / "changed-manifest.json"
    changed.write_bytes((package / "manifest.json").read_bytes() + b"\n")
    cases = [
        (["--delivered", str(tmp_path / "recieved" / "manifest.json")],
         "does not exist (a mistyped path?)"),
        (["--delivered", str(package / "manifest.json")], "is inside the package folder"),
        (["--delivered", str(changed)], "differs from the exported"),
        ([], "give --delivered"),
    ]
    earlier = certificates_of(ROUND)
    for arguments, reason in cases:
        result = run_cli("erase", "--round", ROUND, *arguments, operator=RESPONSIBLE)
        assert result.returncode == 1, result.stdout + result.stderr
        lines = refusals(result)
        assert len(lines) == 1 and reason in lines[0], (reason, result.stderr)
        assert "Traceback" not in result.stderr
    assert "or --force" in lines[0]
    assert (package / "KT010.dat").is_file() and round_schemas(ROUND)
    assert paths.round_work_dir(ROUND).is_dir() and certificates_of(ROUND) == earlier


# --- item 1: the staging folder a killed export left --------------------------------------
def test_erase_removes_the_staging_folder_a_killed_export_left(erased, crashed_export):
    assert not crashed_export.exists()
    folders = [i for i in erased.twin["items"] if i["kind"] == "folder"]
    assert [(i["path"], i["category"]) for i in folders] == [(str(crashed_export), "staging")]
    staged = {i["path"] for i in erased.twin["items"]
              if i["kind"] == "file" and i["category"] == "staging"}
    assert str(crashed_export / "KT010.dat") in staged
    staging_row = [r for r in erased.twin["summary"] if r["category"] == "staging"][0]
    assert staging_row["counts"]["folder"] == 1
    assert str(crashed_export) in erased.html.read_text(encoding="utf-8")
    assert "1 staging folder(s)" in erased.result.stdout


# --- item 5: the operator's real role -----------------------------------------------------
def test_the_certificate_names_the_operators_real_role(erased, tmp_path):
    twin = erased.twin
    assert (twin["operator"], twin["operator_role_id"]) == (STAFF, "ward_staff")
    assert twin["operator_role"] == "区職員（検証担当）"
    assert [s["label"] for s in twin["signatures"]] == [
        "実施者 区職員（検証担当）", "区 確認者（実施者とは別の職員）"]
    page = erased.html.read_text(encoding="utf-8")
    assert "実施者 区職員（検証担当）（ID W101）" in page and "取扱責任者" not in page
    # the vendor's responsible person signs as such
    operator = handlers.authorise(handlers.handlers_path(None), RESPONSIBLE, "erase")
    plan = erase.Plan(round_id="PYE003")
    html_path, json_path = erase.certificate(plan, operator, WARD, "0" * 64, [], tmp_path)
    signed = json.loads(json_path.read_text(encoding="utf-8"))["signatures"]
    assert [s["label"] for s in signed] == ["実施者 受託者 個人情報取扱責任者", "区 確認者"]
    assert "実施者 受託者 個人情報取扱責任者（ID V900）" in html_path.read_text(encoding="utf-8")


# --- item 3: traces inside PostgreSQL, and what the certificate says of them -------------
def test_the_clusters_files_hold_what_the_certificate_says_and_no_more(erased, exported):
    print(f"\nmarker before erasure in: {erased.before}\nafter: {erased.after}")
    statistic = erased.statistic
    # the search finds the marker where it is: pg_statistic's rows (analyze) and, right
    # after the round ran, WAL (later rounds may recycle that segment before the erasure)
    assert statistic & set(erased.before), erased.before
    assert any(hit.startswith("pg_wal/") for hit in exported.traces), exported.traces
    # after the erasure: no dead row of pg_statistic holds it, nor any WAL segment
    assert not statistic & set(erased.after), erased.after
    wal = [hit for hit in erased.after if hit.startswith("pg_wal/")]
    maintenance = erased.twin["database"]["maintenance"]
    assert maintenance["dead_rows_left"] == {}
    assert wal == [] and maintenance["wal_left"] == []
    assert len(maintenance["wal_before"]) >= 1
    # whatever else is left is what the certificate says may be left
    risk = erased.twin["residual_risk"]
    assert erased.after == [] or all(hit.startswith("base/") for hit in erased.after)
    assert "断片が残っている可能性があります" in risk["ja"]
    assert "erase --cluster" in risk["ja"] and "erase --cluster" in risk["en"]
    assert "上書きはしていません" in risk["ja"]
    assert erased.twin["database"]["kind"] == "embedded"
    page = erased.html.read_text(encoding="utf-8")
    assert "残っていないことを確認しました。" not in page  # no unconditional claim
    assert risk["ja"] in page


# --- item 6: the certificate on paper --------------------------------------------------------
def test_the_printed_certificate_shows_every_hash_the_ward_and_the_limits(erased, tmp_path):
    chromium, pdftotext = shutil.which("chromium"), shutil.which("pdftotext")
    if not chromium or not pdftotext:
        pytest.skip(f"needs chromium and pdftotext to print the certificate (chromium: "
                    f"{chromium or 'missing'}, pdftotext: {pdftotext or 'missing'}); "
                    "apt-get install chromium poppler-utils fonts-noto-cjk")
    page = erased.html.read_text(encoding="utf-8")
    assert "@page { size: A4" in page and "table-layout: fixed" in page
    assert "word-break: break-all" in page
    pdf = tmp_path / "certificate.pdf"
    printed = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--no-pdf-header-footer", f"--user-data-dir={tmp_path / 'profile'}",
         f"--print-to-pdf={pdf}", erased.html.as_uri()],
        capture_output=True, text=True, timeout=180, check=False)
    assert printed.returncode == 0 and pdf.is_file(), printed.stderr[-2000:]
    text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = re.sub(r"[\s\u00ad]+", "", text)
    twin = erased.twin
    hashes = [i["sha256"] for i in twin["items"] if i["sha256"]]
    assert len(hashes) > 50
    missing = [h for h in hashes if h not in flat]
    assert missing == [], f"{len(missing)} of {len(hashes)} hashes not printed"
    assert twin["inventory_sha256"] in flat
    assert re.sub(r"\s+", "", WARD) in flat and twin["organisation"] == WARD
    assert twin["erased_at"].endswith("+09:00") and twin["erased_at"] in flat
    assert re.sub(r"\s+", "", twin["residual_risk"]["ja"]) in flat
    assert "消去証明書" in flat and "別紙" in flat


def test_the_inventory_hash_is_defined_over_the_twins_items(erased):
    twin = erased.twin
    assert twin["inventory_sha256"] == erase.inventory_sha256(twin["items"])
    totals = {r["category"]: r for r in twin["summary"]}
    files = [i for i in twin["items"] if i["kind"] == "file"]
    assert sum(totals[c]["counts"].get("file", 0) for c in totals) == len(files)
    assert totals["schema"]["counts"]["schema"] == twin["totals"]["schemas"] >= 7
    assert totals["relation"]["counts"]["relation"] > 20 and totals["relation"]["bytes"] > 0
    assert totals["package"]["counts"]["file"] >= 10 and totals["work"]["counts"]["file"] > 50


# --- item 3: a server of the ward's own ----------------------------------------------------
def test_on_a_server_of_the_wards_own_the_certificate_leaves_its_files_to_the_admin(
        loaded_other):
    env = {k: v for k, v in os.environ.items() if k != pgcluster.EMBEDDED_MARKER}
    assert env.get("PGHOST")  # the same server, now as one "of your own"
    earlier = certificates_of(OTHER)
    result = run_cli("erase", "--round", OTHER, "--force", operator=RESPONSIBLE, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "database: configured server" in result.stdout
    assert round_schemas(OTHER) == []
    (twin_path,) = set(certificates_of(OTHER)) - set(earlier)
    twin = json.loads(twin_path.read_text(encoding="utf-8"))
    assert twin["database"]["kind"] == "server"
    assert twin["database"]["maintenance"]["steps"] == []
    assert "サーバー管理者が行うもの" in twin["residual_risk"]["ja"]
    assert "server administrator" in twin["residual_risk"]["en"]
    assert "erase --cluster" not in twin["residual_risk"]["ja"]


# --- item 3: --cluster removes the whole cluster and checks it is gone ----------------------
def test_erase_cluster_checks_that_the_clusters_folder_is_gone(server, tmp_path):
    local = paths.LOCAL_DIR / "pye-cluster-test"
    shutil.rmtree(local, ignore_errors=True)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PG") and k != pgcluster.EMBEDDED_MARKER}
    env["NHI_LOCAL_DIR"] = str(local)
    extract = make_extract(tmp_path / "extract", households=40, seed=63)
    try:
        result = run_cli("load", "--input", str(extract), "--round", "PYE004", env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        root = Path((local / "pg-location").read_text(encoding="utf-8").strip())
        assert root != db.embedded_cluster().root and (root / "data").is_dir()
        result = run_cli("erase", "--round", "PYE004", "--cluster", operator=RESPONSIBLE,
                         env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert not root.exists() and not (local / "pg-location").exists()
        twin_path = sorted((local / "certificates").glob("erasure-PYE004-*.json"))[-1]
        twin = json.loads(twin_path.read_text(encoding="utf-8"))
        assert twin["complete"] is True and twin["database"]["cluster_folder_gone"] is True
        assert "フォルダーが存在しないことを確認しました" in twin["residual_risk"]["ja"]
        assert [i["path"] for i in twin["items"] if i["kind"] == "cluster"] == [str(root)]
        page = twin_path.with_suffix(".html").read_text(encoding="utf-8")
        assert f"<code>{root}</code> が存在しないことを確認しました" in page
    finally:
        if (local / "pg-location").is_file():  # a failed erase: stop that cluster first
            run_cli("db", "stop", env=env)
        shutil.rmtree(local, ignore_errors=True)
