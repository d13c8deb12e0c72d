"""The staff-only verification workbook (職員検証用ブック).

For a reproducible, bounded sample of households (and, per exception category, a bounded
sample of the households it names) every setup field beside the legacy value(s) it came
from, one row per field, with Japanese headings, as an .xlsx staff open in Excel. The
views of models/verification choose the households, pair the values and order the rows;
this module only streams them (server-side cursor, openpyxl write-only), so memory stays
flat whatever the size of the round. It connects as the staff role and reads only the
views dbt granted to it. The workbook holds personal data: it is written owner-only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg2
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet
from psycopg2 import sql

from . import db, dbt_runner, layouts, pgcluster

FETCH_ROWS = 5_000  # rows per round trip of the server-side cursor

CATEGORY_JA = {
    "ORPHAN": "孤児（世帯のない個人）",
    "INVALID_VALUE": "読めない値（移行しない）",
    "FUTURE_DATE": "基準日より後の日付（移行しない）",
    "UNMATCHED_PAYMENT": "調定のない収納（移行しない）",
    "UNMATCHED_DISPOSITION": "調定のない処分（移行しない）",
    "CHOTEI_SUM_MISMATCH": "調定額が内訳の合計と違う（合計を使う）",
    "GAIJI_UNMAPPED": "外字対応表にない外字（〓 にした）",
    "TRUNCATED": "桁を超えたので切った",
    "PRESCRIPTION_PASSED": "時効完成予定日が基準日より前",
}
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
LEGACY_FILL = PatternFill("solid", fgColor="FFF2CC")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="top")
# Characters XML 1.0 (and so xlsx) cannot hold; shown as their control pictures (␇).
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Column:
    header: str
    width: float  # Excel character units; a full-width character takes about 2
    legacy: bool = False  # a legacy value (yellow header)
    fits: bool = True  # every value fits the width (False: free text, cut at the width)


HOUSEHOLD_COLUMNS = [
    Column("世帯番号", 13), Column("選定理由", 44, fits=False), Column("KT010 にある", 14),
    Column("例外（ERROR）", 14), Column("例外（WARNING）", 16), Column("照合の行数", 12),
    Column("確認", 10),
]
PAIR_COLUMNS = [
    Column("世帯番号", 13), Column("選定理由", 24, fits=False), Column("旧テーブル", 15),
    Column("旧キー", 14), Column("旧ファイル行", 13), Column("移行区分", 18),
    Column("例外", 28, fits=False), Column("ファイル", 9), Column("レコードキー", 29),
    Column("項番", 6), Column("項目名", 22), Column("旧列", 36, legacy=True),
    Column("旧値（ダンプのまま）", 40, legacy=True, fits=False),
    Column("セットアップ値（.dat）", 40, fits=False), Column("確認", 10),
]
EXCEPTION_COLUMNS = [
    Column("世帯番号", 13), Column("例外の種類", 24), Column("重大度", 10), Column("旧テーブル", 15),
    Column("旧キー", 14), Column("旧列", 18), Column("説明", 70, fits=False), Column("確認", 10),
]


def staff_connection() -> psycopg2.extensions.connection:
    """Connect as the staff role (NHI_STAFF_PGUSER, default nhi_staff) on the same server."""
    user = os.environ.get("NHI_STAFF_PGUSER", pgcluster.STAFF_ROLE)
    password = os.environ.get("NHI_STAFF_PGPASSWORD")
    # psycopg2 leaves out a keyword that is None (no password: libpq's own rules apply)
    return psycopg2.connect("", user=user, password=password,
                            application_name="nhi-verify-pack")


def personal_items(project: layouts.Project) -> list[str]:
    """The workbook's values that are personal data, in words, from the tags in the
    project's YAML (meta: {personal: true}, read from the round's manifest): each setup
    file's items, then each legacy table's columns. The 概要 sheet names them for staff:
    these are the values only staff see, and that the erasure must remove."""
    lines = [f"{layout.file_id}：" + "、".join(f.item for f in layout.fields if f.personal)
             for layout in project.layouts if any(f.personal for f in layout.fields)]
    lines += [f"旧 {name.split('.', 1)[1].upper()}：" + "、".join(c.upper() for c in columns)
              for name, columns in project.personal.items() if name.startswith("legacy.")]
    return lines


def write_pack(round_id: str, out: Path, progress: Callable[[str], None]) -> tuple[int, int]:
    """Write the workbook; return (households, rows of the 照合 sheet)."""
    manifest = dbt_runner.target_dir(round_id) / "manifest.json"
    personal = (personal_items(layouts.read_project(manifest)) if manifest.is_file()
                else ["（この回次の build の manifest.json がないので一覧を出せません）"])
    views = sql.Identifier(f"{round_id.lower()}_verification")
    marts = sql.Identifier(f"{round_id.lower()}_marts")
    workbook = Workbook(write_only=True)
    overview = _sheet(workbook, "概要", [Column("", 30), Column("", 42)] + [Column("", 18)] * 5,
                      frozen=False)
    households_sheet = _sheet(workbook, "対象世帯", HOUSEHOLD_COLUMNS)
    pairs_sheet = _sheet(workbook, "照合", PAIR_COLUMNS)
    exceptions_sheet = _sheet(workbook, "例外", EXCEPTION_COLUMNS)
    connection = staff_connection()
    try:
        # one snapshot for every sheet; nothing is written to the database
        connection.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("select round_id, to_char(as_of, 'YYYY-MM-DD'), "
                                   "expected_households from {}.round_parameters").format(marts))
            parameters = db.fetch_one(cursor)
            cursor.execute(sql.SQL("select seed, sample_size, exception_sample_size "
                                   "from {}.vrf_sample_rule").format(views))
            rule = db.fetch_one(cursor)
            cursor.execute(sql.SQL(
                "select reason, households_named, households_chosen, households_in_workbook, "
                "exceptions, exceptions_in_workbook from {}.vrf_sample_summary "
                "order by reason <> 'SAMPLE', reason").format(views))
            summary = cursor.fetchall()
        households = _stream(connection, households_sheet, HOUSEHOLD_COLUMNS, sql.SQL(
            "with pair_rows as (select household_no, count(*) as pair_rows "
            "from {v}.vrf_field_pairs group by household_no), "
            "flagged as (select household_no, "
            "count(*) filter (where severity = 'ERROR') as errors, "
            "count(*) filter (where severity = 'WARNING') as warnings "
            "from {v}.vrf_exceptions_by_household group by household_no) "
            "select chosen.household_no, chosen.reasons_ja, "
            "case when kt010.household_no is null then 'なし' else 'あり' end, "
            "coalesce(flagged.errors, 0), coalesce(flagged.warnings, 0), "
            "coalesce(pair_rows.pair_rows, 0) "
            "from {v}.vrf_households_to_verify as chosen "
            "left join {m}.kt010_households as kt010 using (household_no) "
            "left join flagged using (household_no) "
            "left join pair_rows using (household_no) "
            "order by chosen.household_no").format(v=views, m=marts))
        progress(f"  {households:,} households to verify")
        pairs = _stream(connection, pairs_sheet, PAIR_COLUMNS, sql.SQL(
            "select household_no, reasons_ja, table_name, legacy_key, source_line, outcome_ja, "
            "row_exceptions, file_id, record_key, field_no, item, legacy_column, legacy_value, "
            "setup_text, setup_number from {}.vrf_field_pairs order by row_order").format(views),
            shape=_pair_row, progress=progress)
        progress(f"  {pairs:,} rows of fields beside their legacy values")
        exceptions = _stream(connection, exceptions_sheet, EXCEPTION_COLUMNS, sql.SQL(
            "select flagged.household_no, flagged.category, flagged.severity, "
            "flagged.table_name, flagged.legacy_key, flagged.column_name, flagged.detail "
            "from {v}.vrf_exceptions_by_household as flagged "
            "inner join {v}.vrf_households_to_verify as chosen using (household_no) "
            "order by flagged.household_no, flagged.category, flagged.table_name, "
            "length(flagged.legacy_key), flagged.legacy_key, flagged.column_name, "
            "flagged.detail").format(v=views))
        connection.rollback()
    finally:
        connection.close()
    for line in _overview(parameters, rule, summary, households, pairs, exceptions, personal):
        overview.append(line)
    out.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    part = out.with_name(out.name + ".part")
    try:
        with open(part, "wb") as handle:  # owner-only before the first byte of personal data
            os.fchmod(handle.fileno(), 0o600)
            workbook.save(handle)
    except BaseException:
        part.unlink(missing_ok=True)  # nothing half-written is left behind
        raise
    part.rename(out)
    return households, pairs


def _sheet(workbook: Workbook, title: str, columns: Sequence[Column],
           frozen: bool = True) -> WriteOnlyWorksheet:
    """A sheet with widths, print setup (landscape, fit to width, header row on every page)
    and, for a table, its header row frozen; the autofilter is set once its rows are in."""
    sheet = workbook.create_sheet(title)
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if frozen:
        sheet.freeze_panes = "A2"
        sheet.print_title_rows = "1:1"
        sheet.append([_header(sheet, column) for column in columns])
    return sheet


def _header(sheet: WriteOnlyWorksheet, column: Column) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=column.header)
    cell.font = HEADER_FONT
    cell.fill = LEGACY_FILL if column.legacy else HEADER_FILL
    cell.alignment = HEADER_ALIGNMENT
    return cell


def _stream(connection: psycopg2.extensions.connection, sheet: WriteOnlyWorksheet,
            columns: Sequence[Column], query: sql.Composed,
            shape: Callable[[tuple], Sequence[object]] = tuple,
            progress: Callable[[str], None] | None = None) -> int:
    """Append the query's rows (shaped) to the sheet through a server-side cursor, then set
    the autofilter over them; return how many."""
    written = 0
    with connection.cursor(name="vrf_sheet") as cursor:
        cursor.itersize = FETCH_ROWS
        cursor.execute(query)
        for record in cursor:
            sheet.append([_cell(sheet, value) for value in shape(record)])
            written += 1
            if progress and written % 100_000 == 0:
                progress(f"  {written:,} rows …")
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{written + 1}"
    return written


def _pair_row(record: tuple) -> Sequence[object]:
    """A row of vrf_field_pairs: the .dat value is its number (9, S9) or its text."""
    *described, setup_text, setup_number = record
    return (*described, setup_text if setup_number is None else setup_number)


def _cell(sheet: WriteOnlyWorksheet, value: object) -> object:
    """Numbers stay numbers; text stays text (leading zeros kept), never a formula."""
    if not isinstance(value, str):
        return value
    if ILLEGAL_XML.search(value):
        value = ILLEGAL_XML.sub(lambda match: chr(0x2400 + ord(match.group())), value)
    if value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def _overview(parameters: tuple, rule: tuple, summary: Iterable[tuple], households: int,
              pairs: int, exceptions: int, personal: Sequence[str] = ()) -> list[list[object]]:
    """The 概要 sheet: round, 基準日, counts and the sampling rule in words."""
    round_id, as_of, expected = parameters
    seed, sample_size, exception_sample_size = rule
    rows: list[list[object]] = [
        ["職員検証用ブック（個人情報を含みます。区職員だけが開き、検証が終わったら消去してください：特記事項 11）"],
        [],
        ["抽出回次", round_id],
        ["基準日", as_of],
        ["期待世帯数（区の管理件数）", expected],
        ["このブックの世帯数", households],
        ["「照合」シートの行数", pairs],
        ["「例外」シートの行数", exceptions],
        [],
        ["選定理由", "意味", "対象の世帯数", "選んだ世帯数", "ブックの世帯数", "例外の件数",
         "ブックの例外件数"],
    ]
    for reason, named, chosen, in_workbook, count, count_in_workbook in summary:
        meaning = ("抽出（KT010 の世帯から）" if reason == "SAMPLE"
                   else CATEGORY_JA.get(reason, reason))
        label = "抽出" if reason == "SAMPLE" else f"例外 {reason}"
        rows.append([label, meaning, named, chosen, in_workbook, count, count_in_workbook])
    rows += [
        [],
        ["", "対象の世帯数：抽出は KT010 の世帯、例外はその種類の例外がある世帯。選んだ世帯数：その理由で選んだ世帯。"],
        ["", "ブックの世帯数・ブックの例外件数：対象のうち、どれかの理由でこのブックに載るもの。"],
        [],
        ["選び方", f"各世帯の順位は MD5（「{seed}」の後に世帯番号をつないだ文字列）の小さい順。"
                   "回次によらず同じなので、何度作っても、TEST01 でも TEST02 でも同じ世帯が選ばれる。"],
        ["", f"抽出：KT010 の世帯のうち順位の上位 {sample_size} 世帯。"],
        ["", f"例外：種類ごとに、その種類の例外がある世帯のうち順位の上位 {exception_sample_size} 世帯"
             "（例外の全件は EXCEPTIONS.csv）。1 つの世帯が複数の理由で選ばれることがある。"],
        [],
        ["シート", "対象世帯：選んだ世帯と理由、例外の件数。"],
        ["", "照合：1 行 = セットアップレコードの 1 項目。左から旧テーブル・旧キー・移行区分・例外、"
             "セットアップファイル・レコードキー・項目名、元の旧列と旧値（黄）、.dat に書いた値。"],
        ["", "日付は .dat のとおり 20150131（未設定は 00000000）、9・S9 の項目は書いた整数（数値）、"
             "X・N の項目は文字列（埋め草の空白は除く）。"],
        ["", "移行しなかった旧行（削除・対象外・読めない値 …）は、旧の列ごとに 1 行（セットアップ値は空）。"
             "移行した旧行でもどの項目にも使わない旧の列（SAKUJO_FLG、CHOTEI_GAKU など）は項目の後に載せる。"],
        ["", "例外：選んだ世帯の例外（EXCEPTIONS.csv の行）。"],
        ["", "確認：確かめた人が印を付ける列。見出し行で絞り込めます。"],
        [],
        ["個人情報", "このブックで個人情報にあたる値（区職員だけが見る値。モデルの YAML で "
                     "meta: {personal: true} とした項目と旧列）："],
    ]
    rows += [["", line] for line in personal]
    return rows
