"""The setup-file layouts as tables in the staff docs, made from the marts' YAML.

dbt's docs site shows a model's ``meta`` as raw JSON; staff need the layout as a table.
``models/marts/_marts__layouts.md`` holds one doc block per setup file, written here from
the layout meta in ``_marts__models.yml`` (the one place a layout is declared), and each
mart's description includes its block. A test fails when the file is out of date:
regenerate it with ``python scripts/nhi_migration/layout_docs.py``.
"""

from __future__ import annotations

from pathlib import Path

import yaml

MARTS_YML = Path(__file__).resolve().parents[2] / "models" / "marts" / "_marts__models.yml"
LAYOUTS_MD = MARTS_YML.with_name("_marts__layouts.md")
TYPE_JA = {"X": "半角英数", "9": "数字", "S9": "符号付き数字", "N": "全角"}


def _table(model: dict) -> str:
    meta = model["config"]["meta"]
    items = {c["name"]: c["meta"]["item"] for c in model["columns"]
             if "item" in (c.get("meta") or {})}
    sort = "、".join(items.get(k, k) for k in meta["key"])
    lines = [f"{{% docs layout_{meta['file_id'].lower()} %}}",
             f"**レイアウト {meta['file_id']}**（{meta['file_id']}.dat、レコード長 "
             f"{meta['record_length']} バイト、データレコードの並び順：{sort}）",
             "",
             "| 位置 | 項目名 | 型 | バイト | 列 |",
             "|---:|---|---|---:|---|"]
    for column in model["columns"]:
        field = column.get("meta") or {}
        if "width" not in field:
            continue
        kind = f"{field['type']}({field['width']})"
        lines.append(f"| {field['position']} | {field['item']} | {kind} "
                     f"{TYPE_JA[str(field['type'])]} | {field['width']} | `{column['name']}` |")
    trailer = "、".join(f"{t['item']} {t['type']}({t['width']})" for t in meta["trailer"])
    lines += ["", f"トレーラー（区分 9）：{trailer}。ヘッダー（区分 1）：ファイルID・基準日・回次。",
              "{% enddocs %}"]
    return "\n".join(lines)


def render(marts_yml: Path = MARTS_YML) -> str:
    document = yaml.safe_load(marts_yml.read_text(encoding="utf-8"))
    blocks = [_table(m) for m in document["models"]
              if "file_id" in ((m.get("config") or {}).get("meta") or {})]
    header = ("{# Generated from _marts__models.yml by scripts/nhi_migration/layout_docs.py:"
              " do not edit by hand. #}")
    return header + "\n\n" + "\n\n".join(blocks) + "\n"


def write() -> Path:
    LAYOUTS_MD.write_text(render(), encoding="utf-8")
    return LAYOUTS_MD


if __name__ == "__main__":
    print(write())
