"""The staff-only verification workbook (verify-pack): structure staff rely on in Excel,
values as the .dat holds them, a reproducible and bounded sample. A real round on a small
extract (300 households), real PostgreSQL, the file opened with openpyxl."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import stat
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from nhi_migration import paths, verify_pack

from conftest import drop_round_schemas, make_extract, run_cli, set_column

ROUND = "PYVPK1"
AS_OF = "2017-11-10"
HOUSEHOLDS = 300
STAFF = "W101"
# smaller bounds than vrf_sample_rule's defaults (100, 20): a quicker file, and with 300
# households most categories name more households than the bound
SAMPLE, PER_CATEGORY = 30, 5
PLANTED_TEXT = "=1+1\x07から始まる交渉内容"  # a formula look-alike and a control character
TABLE_SHEETS = {"対象世帯": verify_pack.HOUSEHOLD_COLUMNS, "照合": verify_pack.PAIR_COLUMNS,
                "例外": verify_pack.EXCEPTION_COLUMNS}


def plant_text(extract: Path) -> None:
    """Every negotiation text starts like a formula and holds a BEL (counts unchanged)."""
    set_column(extract / "KOSHO_KEIKA.csv", "NAIYO", PLANTED_TEXT)


@pytest.fixture(scope="module")
def package(server, tmp_path_factory) -> Path:
    """Round PYVPK1 run on 300 households; its package."""
    folder = tmp_path_factory.mktemp("verify-pack")
    extract = make_extract(folder / "extract", households=HOUSEHOLDS, seed=71)
    plant_text(extract)
    out = folder / "package"
    bounds = {"NHI_VERIFY_SAMPLE": str(SAMPLE), "NHI_VERIFY_EXCEPTION_SAMPLE": str(PER_CATEGORY)}
    result = run_cli("run", "--input", str(extract), "--round", ROUND, "--as-of", AS_OF,
                     "--expected-households", str(HOUSEHOLDS), "--out", str(out),
                     env={**os.environ, **bounds})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    yield out
    drop_round_schemas(ROUND)
    shutil.rmtree(paths.round_work_dir(ROUND), ignore_errors=True)


@pytest.fixture(scope="module")
def workbooks(package, tmp_path_factory) -> tuple[Path, Path]:
    """The workbook written twice, by ward staff."""
    folder = tmp_path_factory.mktemp("workbooks")
    written = []
    for name in ("first.xlsx", "second.xlsx"):
        result = run_cli("verify-pack", "--round", ROUND, "--out", str(folder / name),
                         operator=STAFF)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr
        written.append(folder / name)
    return written[0], written[1]


@pytest.fixture(scope="module")
def book(workbooks):
    return load_workbook(workbooks[0])  # not read-only: widths, panes, print settings


def rows_of(sheet) -> list[dict[str, object]]:
    header = [cell.value for cell in sheet[1]]
    return [dict(zip(header, row, strict=False)) for row in sheet.iter_rows(min_row=2, values_only=True)]


@pytest.fixture(scope="module")
def pairs(book) -> list[dict[str, object]]:
    return rows_of(book["照合"])


def display_width(value: object) -> int:
    """Excel width units a value takes: a full-width character two, any other one."""
    return sum(2 if ord(c) > 0x2000 else 1 for c in str(value)) if value is not None else 0


def exceptions_csv(package: Path) -> list[dict[str, str]]:
    text = (package / "EXCEPTIONS.csv").read_bytes().decode("cp932")
    return list(csv.DictReader(io.StringIO(text, newline="")))


# --- structure -----------------------------------------------------------------------------
def test_sheets_headers_panes_filters_widths_and_print_setup(book, workbooks):
    assert book.sheetnames == ["概要", "対象世帯", "照合", "例外"]
    assert stat.S_IMODE(workbooks[0].stat().st_mode) == 0o600  # personal data: owner only
    for title, columns in TABLE_SHEETS.items():
        sheet = book[title]
        assert [cell.value for cell in sheet[1]] == [column.header for column in columns]
        assert all(cell.font.bold for cell in sheet[1])
        assert sheet.freeze_panes == "A2"
        last = get_column_letter(len(columns))
        assert sheet.auto_filter.ref == f"A1:{last}{sheet.max_row}"
        assert sheet.max_row > 1
        values = list(sheet.iter_rows(min_row=2, values_only=True))
        for index, column in enumerate(columns, start=1):
            width = sheet.column_dimensions[get_column_letter(index)].width
            assert width == column.width
            assert width >= display_width(column.header) + 1, column.header  # one line
            if column.fits:  # keys, codes, numbers: never cut (######## or a clipped key)
                widest = max(display_width(row[index - 1]) for row in values)
                assert width >= widest + 1, (title, column.header, widest)
        assert sheet.print_title_rows == "$1:$1"  # header row on every page
    assert book["照合"].column_dimensions["A"].width >= 12  # a 10-digit 世帯番号 is not cut
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
        assert sheet.sheet_properties.pageSetUpPr.fitToPage


def test_overview_gives_round_as_of_counts_and_the_rule(book, package):
    lines = [[value for value in row if value is not None]
             for row in book["概要"].iter_rows(values_only=True)]
    assert ["抽出回次", ROUND] in lines and ["基準日", AS_OF] in lines
    assert ["期待世帯数（区の管理件数）", HOUSEHOLDS] in lines
    households = len(rows_of(book["対象世帯"]))
    assert ["このブックの世帯数", households] in lines
    assert ["「照合」シートの行数", book["照合"].max_row - 1] in lines
    text = "".join(str(value) for line in lines for value in line)
    assert "MD5" in text and f"上位 {SAMPLE} 世帯" in text and f"上位 {PER_CATEGORY} 世帯" in text
    by_reason = {line[0]: line for line in lines if len(line) >= 5
                 and str(line[0]).startswith(("抽出", "例外 "))}
    assert by_reason["抽出"][2:5] == [HOUSEHOLDS, SAMPLE, by_reason["抽出"][4]]
    counted = Counter(row["CATEGORY"] for row in exceptions_csv(package))
    assert {reason.removeprefix("例外 ") for reason in by_reason} - {"抽出"} == set(counted)
    for category, count in counted.items():
        assert by_reason[f"例外 {category}"][5] == count  # every exception counted


# --- values ---------------------------------------------------------------------------------
def test_numbers_are_numbers_and_keys_stay_text(book, pairs):
    assert pairs
    for row in pairs:
        assert isinstance(row["世帯番号"], str) and re.fullmatch(r"[0-9]{10}", row["世帯番号"])
        assert isinstance(row["旧キー"], str)
        assert isinstance(row["旧ファイル行"], int) and isinstance(row["項番"], int)
    amounts = [row for row in pairs if row["ファイル"]  # not a legacy column on its own
               and row["項目名"] in ("調定額", "未納額", "滞納額", "保険料額")]
    assert amounts and all(isinstance(row["セットアップ値（.dat）"], int) for row in amounts)
    assert any(row["セットアップ値（.dat）"] < 0 for row in pairs
               if row["項目名"] == "保険料額")  # a reversal, signed as S9 writes it
    keys = [row for row in pairs if row["ファイル"]
            and row["項目名"] in ("世帯番号", "宛名番号", "世帯主宛名番号")]
    assert keys and all(isinstance(row["セットアップ値（.dat）"], str) for row in keys)
    for row in rows_of(book["対象世帯"]):
        assert isinstance(row["世帯番号"], str)
        assert all(isinstance(row[name], int) for name in ("例外（ERROR）", "例外（WARNING）",
                                                           "照合の行数"))


def test_dates_and_amounts_are_as_the_dat_writes_them(pairs, package):
    records = {}
    for line in (package / "KT030.dat").read_bytes().split(b"\r\n")[1:-2]:
        text = line.decode("cp932")
        records[f"{text[1:11]} {text[11:15]} {text[19:21]}"] = text
    checked = Counter()
    for row in pairs:
        if row["ファイル"] != "KT030":
            continue
        record = records[row["レコードキー"]]
        value = row["セットアップ値（.dat）"]
        if row["項目名"] in ("納期限", "督促日", "時効起算日", "時効完成予定日"):
            start = {"納期限": 93, "督促日": 101, "時効起算日": 110, "時効完成予定日": 118}[row["項目名"]]
            assert value == record[start:start + 8] and re.fullmatch(r"[0-9]{8}", value)
            checked["00000000" if value == "00000000" else "date"] += 1
        elif row["項目名"] == "未納額":
            assert value == int(record[75:84])
            checked["amount"] += 1
    assert checked["date"] and checked["00000000"] and checked["amount"]


def test_each_field_sits_beside_its_legacy_column_and_unmigrated_rows_show(pairs):
    value = "セットアップ値（.dat）"
    address = [row for row in pairs if row["ファイル"] == "KT010" and row["項目名"] == "住所"]
    assert address and all(row["旧テーブル"] == "SETAI" and row["旧列"] == "JUSHO" for row in address)
    assert all(row["旧値（ダンプのまま）"] and row[value] for row in address)
    birth = [row for row in pairs if row["項目名"] == "生年月日"]
    assert birth and all(row["旧列"] == "SEINENGAPPI" for row in birth)
    assessed = [row for row in pairs if row["項目名"] == "調定額"]
    assert assessed[0]["旧列"] == "IRYO_GAKU + SHIEN_GAKU + KAIGO_GAKU"
    parts = [int(part) for part in assessed[0]["旧値（ダンプのまま）"].split(" + ")]
    assert sum(parts) == assessed[0][value]
    outcomes = Counter(row["移行区分"] for row in pairs if row["ファイル"] is None
                       and row["旧列"] == "SAKUJO_FLG")
    assert outcomes["移行"] and set(outcomes) - {"移行"}  # rows kept out are there too
    kept_out = [row for row in pairs if row["移行区分"] != "移行"]
    assert kept_out and all(row[value] is None and row["ファイル"] is None
                            for row in kept_out)
    invalid = [row for row in pairs if row["移行区分"] == "読めない値"]
    assert invalid and all("INVALID_VALUE" in (row["例外"] or "") for row in invalid)
    # a text that looks like a formula stays text; a control character is shown, not dropped
    naiyo = [row["旧値（ダンプのまま）"] for row in pairs if row["旧列"] == "NAIYO"]
    assert naiyo and all(text == PLANTED_TEXT.replace("\x07", "\u2407") for text in naiyo)


# --- the sample -----------------------------------------------------------------------------
def test_the_sample_is_reproducible(book, workbooks):
    def parts(path: Path) -> dict[str, bytes]:  # every part but the time it was written
        with zipfile.ZipFile(path) as archive:
            return {name: archive.read(name) for name in archive.namelist()
                    if name != "docProps/core.xml"}

    chosen = [row["世帯番号"] for row in rows_of(book["対象世帯"])]
    assert len(chosen) > SAMPLE and chosen == sorted(chosen)
    # the second run chose the same households and wrote the same cells, byte for byte
    assert parts(workbooks[0]) == parts(workbooks[1])


def test_each_exception_category_is_sampled_and_bounded(book, package):
    households = rows_of(book["対象世帯"])
    reasons = Counter(reason for row in households for reason in row["選定理由"].split("、"))
    assert reasons["抽出"] == SAMPLE
    exceptions = exceptions_csv(package)
    listed = {(row["CATEGORY"], row["TABLE"], row["LEGACY_KEY"]) for row in exceptions}
    in_book = rows_of(book["例外"])
    assert {(row["例外の種類"], row["旧テーブル"], row["旧キー"]) for row in in_book} <= listed
    named: dict[str, set[str]] = {}
    for row in in_book:
        named.setdefault(row["例外の種類"], set()).add(row["世帯番号"])
    categories = {row["CATEGORY"] for row in exceptions}
    assert len(categories) >= 5
    over_bound = 0
    for category in categories:
        chosen = {row["世帯番号"] for row in households if f"例外 {category}" in row["選定理由"]}
        assert 1 <= len(chosen) <= PER_CATEGORY, category
        assert chosen <= named[category]  # each chosen household shows its exceptions
    overview = {row[0]: row for row in book["概要"].iter_rows(values_only=True) if row[0]}
    for category in categories:
        _, _, households_named, households_chosen, *_ = overview[f"例外 {category}"]
        assert households_chosen == min(PER_CATEGORY, households_named)
        over_bound += households_named > PER_CATEGORY
    assert over_bound  # the bound did cut at least one category
