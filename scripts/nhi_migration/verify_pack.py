"""The staff-only verification workbook (職員検証用ブック).

For a reproducible sample of households plus every household named in EXCEPTIONS.csv,
each legacy row (as dumped, with its outcome) beside the setup records made from it,
field by field, with Japanese headings, as an .xlsx staff open in Excel. It connects as
the staff role and reads only the verification views dbt granted to it. The workbook
holds personal data: it is written with owner-only permissions where staff say.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg2
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from psycopg2 import sql

from . import pgcluster

TABLES = [  # legacy table, sheet name, setup file
    ("SETAI", "世帯（SETAI→KT010）", "KT010"),
    ("KOJIN", "個人（KOJIN→KT020）", "KT020"),
    ("CHOTEI", "期別調定（CHOTEI→KT030）", "KT030"),
    ("SHUNO", "収納（SHUNO→KT040）", "KT040"),
    ("KOSHO_KEIKA", "交渉経過（KOSHO_KEIKA→KT050）", "KT050"),
    ("BUNNO_SEIYAKU", "分納誓約（BUNNO_SEIYAKU→KT060）", "KT060"),
    ("SASHIOSAE", "差押（SASHIOSAE→KT070）", "KT070"),
    ("SHOBUN", "処分（SHOBUN→KT080）", "KT080"),
]
OUTCOME_JA = {"MIGRATED": "移行", "DELETED": "削除", "OUT_OF_SCOPE": "対象外", "ORPHAN": "孤児",
              "INVALID_VALUE": "読めない値", "FUTURE_DATE": "未来日付",
              "UNMATCHED_PAYMENT": "調定なし（収納）", "UNMATCHED_DISPOSITION": "調定なし（処分）"}
LEGACY_FILL = PatternFill("solid", fgColor="FFF2CC")
SETUP_FILL = PatternFill("solid", fgColor="DDEBF7")


@dataclass(frozen=True)
class Labels:
    legacy: dict[str, dict[str, tuple[int, str]]]  # table -> column -> (order, label)
    setup: dict[str, dict[str, tuple[int, str]]]  # file_id -> field -> (order, label)


def labels_from_manifest(manifest_path: Path) -> Labels:
    """Japanese headings and field order from the descriptions and layouts in dbt's manifest."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    legacy: dict[str, dict[str, tuple[int, str]]] = {}
    for source in manifest["sources"].values():
        columns = {}
        for order, column in enumerate(source["columns"].values()):
            japanese = re.split(r"[（。(]", column["description"], maxsplit=1)[0].strip()
            columns[column["name"]] = (order, f"{column['name'].upper()} {japanese}")
        legacy[source["name"].upper()] = columns
    setup: dict[str, dict[str, tuple[int, str]]] = {}
    for node in manifest["nodes"].values():
        meta = node.get("meta") or node.get("config", {}).get("meta") or {}
        if node["resource_type"] == "model" and "file_id" in meta:
            setup[meta["file_id"]] = {
                name: (order, (column.get("meta") or {}).get("item", name))
                for order, (name, column) in enumerate(node["columns"].items())}
    return Labels(legacy=legacy, setup=setup)


def staff_connection() -> psycopg2.extensions.connection:
    """Connect as the staff role (NHI_STAFF_PGUSER, default nhi_staff) on the same server."""
    user = os.environ.get("NHI_STAFF_PGUSER", pgcluster.STAFF_ROLE)
    password = os.environ.get("NHI_STAFF_PGPASSWORD")
    return psycopg2.connect("", user=user, **({"password": password} if password else {}),
                            application_name="nhi-verify-pack")


def write_pack(round_id: str, manifest_path: Path, out: Path,
               progress: Callable[[str], None]) -> tuple[int, int]:
    """Write the workbook; return (households, rows written)."""
    labels = labels_from_manifest(manifest_path)
    schema = sql.Identifier(f"{round_id.lower()}_verification")
    connection = staff_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("select household_no, reasons from {}.vrf_households_to_verify "
                                   "order by household_no").format(schema))
            households = cursor.fetchall()
            progress(f"  {len(households):,} households to verify")
            keys = [h for h, _ in households]
            cursor.execute(sql.SQL(
                "select table_name, legacy_key, household_no, outcome, side, file_id, record_no, "
                "field_name, field_value from {}.vrf_field_values "
                "where household_no = any(%s) order by household_no, table_name, legacy_key, "
                "side, record_no").format(schema), (keys,))
            values = cursor.fetchall()
    finally:
        connection.close()
    rows: dict[tuple[str, str], dict] = {}
    for table, key, household, outcome, side, _file_id, record_no, field, value in values:
        row = rows.setdefault((table, key), {"household": household, "outcome": outcome,
                                             "legacy": {}, "setup": {}})
        if side == "LEGACY":
            row["legacy"][field] = value
        else:
            row["setup"].setdefault(field, []).append((record_no, value))
    workbook = Workbook(write_only=True)
    guide = workbook.create_sheet("説明")
    for line in (
        [f"職員検証用ブック — 抽出回次 {round_id}"],
        ["個人情報を含みます。区職員だけが開き、検証が終わったら消去してください（特記事項 11）。"],
        ["各シートの 1 行 = 旧システムの 1 行。左（黄）が旧システムの値（ダンプのまま）、右（青）がセットアップデータの値。"],
        ["交渉経過（KT050）は 1 つの旧行から複数のレコードができるので、右側は行ごとに改行して並べます。"],
        ["対象：回次ごとに決まる抽出（SAMPLE）と、例外一覧に出るすべての世帯（EXCEPTION）。"],
    ):
        guide.append(line)
    index = workbook.create_sheet("対象世帯")
    index.append(["世帯番号", "選んだ理由"])
    for household, reasons in households:
        index.append([household, reasons.replace("SAMPLE", "抽出").replace("EXCEPTION", "例外")])
    written = 0
    for table, sheet_name, file_id in TABLES:
        sheet = workbook.create_sheet(sheet_name)
        legacy_fields = sorted(labels.legacy[table].items(), key=lambda item: item[1][0])
        setup_fields = sorted(labels.setup[file_id].items(), key=lambda item: item[1][0])
        header = ["世帯番号", "旧キー", "移行区分"]
        header += [f"旧 {label}" for _, (_, label) in legacy_fields]
        header += [f"{file_id} {label}" for _, (_, label) in setup_fields]
        sheet.append(_styled(sheet, header, 3, len(legacy_fields)))
        for (row_table, key), row in sorted(rows.items(), key=lambda item: (
                item[1]["household"], item[0][1])):
            if row_table != table:
                continue
            sheet.append([row["household"], key, OUTCOME_JA.get(row["outcome"], row["outcome"])]
                         + [row["legacy"].get(name) for name, _ in legacy_fields]
                         + [_joined(row["setup"].get(name)) for name, _ in setup_fields])
            written += 1
    out.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    part = out.with_name(out.name + ".part")
    workbook.save(part)
    os.chmod(part, 0o600)
    part.rename(out)
    return len(households), written


def _joined(values: list[tuple[int, str]] | None) -> str | None:
    """One cell for a field of the setup records made from one legacy row (KT050 has one
    record per line): the values in record order, a repeated value written once."""
    if not values:
        return None
    ordered = [value or "" for _, value in sorted(values)]
    if len(set(ordered)) == 1:
        return ordered[0]
    return "\n".join(ordered)


def _styled(sheet, header: list[str], fixed: int, legacy: int) -> list:
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for position, title in enumerate(header):
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if fixed <= position < fixed + legacy:
            cell.fill = LEGACY_FILL
        elif position >= fixed + legacy:
            cell.fill = SETUP_FILL
        cells.append(cell)
    return cells
