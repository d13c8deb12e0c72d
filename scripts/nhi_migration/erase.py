"""Erasure with certificate (特記事項 11, 12): remove everything a round left here.

Only what the tool created for the round is removed: its database schemas (or, on
request, the whole private cluster), its work folder (dbt target and logs, GX results,
validation receipt, verification workbooks), extracts the tool wrote under .local/, and
— once the ward confirms receipt (--delivered names the package's manifest) — the
output package. Everything is inventoried with SHA-256 and byte counts first, checked to
be gone afterwards, and described in a certificate (消去証明書): printable HTML and a JSON
twin, kept under .local/certificates/, which the audit trail records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from psycopg2 import sql

from . import db, pgcluster, state
from .paths import LOCAL_DIR, round_work_dir


class EraseRefused(Exception):
    """Erasure must not go ahead (or did not complete); the message says why."""


@dataclass
class Item:
    kind: str  # file, schema, cluster
    path: str
    bytes: int = 0
    sha256: str = ""
    detail: str = ""


@dataclass
class Plan:
    round_id: str
    items: list[Item] = field(default_factory=list)
    roots: list[Path] = field(default_factory=list)  # folders and files to remove
    folders: list[Path] = field(default_factory=list)  # removed once empty (package folders)
    schemas: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # what is left on purpose, and why
    cluster: pgcluster.Cluster | None = None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _inventory(root: Path, plan: Plan) -> None:
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    for path in files:
        plan.items.append(Item("file", str(path), path.stat().st_size, _sha256(path)))
    plan.roots.append(root)


def _package_names(manifest: Path | None) -> list[str]:
    """The files a package's manifest lists, with the manifest itself and any .part left."""
    if manifest is None or not manifest.is_file():
        raise EraseRefused("the package has no manifest.json to say which files are its own: "
                           "give --delivered with the manifest the ward received")
    try:
        names = sorted(json.loads(manifest.read_text(encoding="utf-8"))["files"])
    except (ValueError, KeyError, TypeError) as exc:
        raise EraseRefused(f"{manifest} is not a package manifest ({type(exc).__name__}): "
                           "give --delivered with the manifest the ward received") from None
    if any(Path(name).name != name for name in names):
        raise EraseRefused(f"{manifest} names a file outside its folder: check it")
    names.append("manifest.json")
    return sorted({*names, *(f"{name}.part" for name in names)})


def _round_schemas(round_id: str) -> list[str]:
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute("select nspname from pg_namespace where nspname like %s order by 1",
                       (f"{round_id.lower()}\\_%",))
        return [name for (name,) in cursor.fetchall()]


def _inside_local(path: Path) -> bool:
    try:
        path.resolve().relative_to(LOCAL_DIR)
        return True
    except ValueError:
        return False


def plan_erasure(round_id: str, delivered: Path | None, force: bool,
                 whole_cluster: bool) -> Plan:
    plan = Plan(round_id=round_id)
    recorded = state.read(round_id)
    for export in recorded["exports"]:
        folder = Path(export["folder"])
        if not folder.exists():
            continue
        manifest = folder / "manifest.json"
        confirmed = (delivered is not None and delivered.is_file()
                     and _sha256(delivered) == export["manifest_sha256"])
        if not confirmed and not force:
            raise EraseRefused(
                f"the package in {folder} has not been confirmed as delivered: give "
                "--delivered with the manifest.json the ward received, or --force")
        if manifest.is_file() and _sha256(manifest) != export["manifest_sha256"] and not force:
            raise EraseRefused(f"the package in {folder} is not the one exported (its "
                               "manifest changed): check it, or --force")
        # The package's files only: the folder may hold things the tool did not write.
        listed = manifest if manifest.is_file() else delivered
        for name in _package_names(listed):
            if (folder / name).is_file():
                _inventory(folder / name, plan)
        plan.folders.append(folder)
    inputs = recorded.get("inputs") or {}
    if inputs.get("folder"):
        source = Path(inputs["folder"])
        if _inside_local(source) and source.exists():
            _inventory(source, plan)  # an extract the tool itself wrote under .local/
        elif source.exists():
            plan.kept.append(f"{source}: the ward's extract media, not created by this tool")
    work = round_work_dir(round_id)
    if work.exists():
        _inventory(work, plan)
    for created in recorded["created"]:
        path = Path(created)
        if path.exists() and not any(path == root or root in path.parents for root in plan.roots):
            _inventory(path, plan)
    for schema in _round_schemas(round_id):
        with db.connect() as connection, connection.cursor() as cursor:
            cursor.execute("select count(*) from pg_class where relnamespace = %s::regnamespace",
                           (schema,))
            (relations,) = cursor.fetchone()
        plan.schemas.append(schema)
        plan.items.append(Item("schema", schema, detail=f"{relations} relations"))
    if whole_cluster:
        cluster = db.embedded_cluster()
        if cluster is None:
            raise EraseRefused("--cluster erases the embedded cluster, but a server of your own "
                               "is configured: the round's schemas are dropped, nothing more")
        plan.cluster = cluster
        plan.items.append(Item("cluster", str(cluster.root),
                               sum(p.stat().st_size for p in cluster.root.rglob("*") if p.is_file()),
                               detail="the whole private PostgreSQL cluster"))
    return plan


def carry_out(plan: Plan) -> list[str]:
    """Remove everything in the plan; return what is still there (empty when complete)."""
    with db.connect() as connection, connection.cursor() as cursor:
        for schema in plan.schemas:
            cursor.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema)))
    for root in plan.roots:
        if root.is_dir():
            shutil.rmtree(root)
        elif root.exists():
            root.unlink()
    remaining = [str(root) for root in plan.roots if root.exists()]
    for folder in plan.folders:
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
        elif folder.is_dir():
            plan.kept.append(f"{folder}: the package is erased; the folder holds other files, "
                             "not written by this tool, and is left as it was")
    if plan.cluster is not None:
        plan.cluster.destroy()
        pgcluster.forget_cluster()
        if plan.cluster.root.exists():
            remaining.append(str(plan.cluster.root))
    else:
        remaining += [f"schema {s}" for s in _round_schemas(plan.round_id)]
    return remaining


def certificate(plan: Plan, operator: str, role_label: str, audit_head: str,
                remaining: list[str], folder: Path) -> tuple[Path, Path]:
    """Write the erasure certificate (HTML to print, JSON twin); return both paths."""
    now = dt.datetime.now(dt.timezone.utc)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    files = [i for i in plan.items if i.kind == "file"]
    twin = {
        "title": "消去証明書 (certificate of erasure)",
        "round": plan.round_id,
        "erased_at": now.isoformat(timespec="seconds"),
        "operator": operator,
        "operator_role": role_label,
        "complete": not remaining,
        "remaining": remaining,
        "audit_chain_head_before_erasure": audit_head,
        "totals": {"files": len(files), "bytes": sum(i.bytes for i in files),
                   "schemas": len(plan.schemas), "cluster": plan.cluster is not None},
        "items": [vars(i) for i in plan.items],
        "kept": plan.kept,
    }
    json_path = folder / f"erasure-{plan.round_id}-{stamp}.json"
    json_path.write_text(json.dumps(twin, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    rows = "".join(
        f"<tr><td>{html.escape(i.kind)}</td><td>{html.escape(i.path)}</td>"
        f"<td style='text-align:right'>{i.bytes:,}</td><td><code>{i.sha256}</code></td>"
        f"<td>{html.escape(i.detail)}</td></tr>" for i in plan.items)
    result = ("すべて消去し、残っていないことを確認しました。" if not remaining else
              "消去できなかったものがあります：" + html.escape("、".join(remaining)))
    page = f"""<!doctype html><html lang="ja"><head><meta charset="utf-8">
<title>消去証明書 {html.escape(plan.round_id)}</title>
<style>body{{font-family:"Meiryo","Hiragino Sans",serif;margin:2em}}table{{border-collapse:collapse;font-size:9pt}}
td,th{{border:1px solid #888;padding:2px 6px;vertical-align:top}}code{{font-size:8pt}}
@media print{{body{{margin:1cm}}}}</style></head><body>
<h1>消去証明書</h1>
<p>国民健康保険 滞納整理支援システム データ抽出業務について、契約の特記事項（11 資料等の返還等、12 消去の証明）に基づき、
抽出回次 <b>{html.escape(plan.round_id)}</b> の個人情報を含むデータを次のとおり消去したことを証明します。</p>
<table><tr><th>消去日時（UTC）</th><td>{twin['erased_at']}</td></tr>
<tr><th>実施者</th><td>{html.escape(operator)}（{html.escape(role_label)}）</td></tr>
<tr><th>消去したファイル</th><td>{len(files):,} 件、{twin['totals']['bytes']:,} バイト</td></tr>
<tr><th>消去したスキーマ</th><td>{len(plan.schemas)} 件{'、専用クラスタ全体' if plan.cluster else ''}</td></tr>
<tr><th>結果</th><td>{result}</td></tr>
<tr><th>監査ログ（消去前の最終記録のハッシュ）</th><td><code>{audit_head}</code></td></tr></table>
<h2>消去したもの（消去前の SHA-256 とバイト数）</h2>
<table><tr><th>種類</th><th>場所</th><th>バイト数</th><th>SHA-256</th><th>備考</th></tr>{rows}</table>
<h2>消去しなかったもの</h2><ul>{''.join(f'<li>{html.escape(k)}</li>' for k in plan.kept) or '<li>なし</li>'}</ul>
<p>この証明書の JSON 版: {html.escape(json_path.name)}</p>
<p style="margin-top:3em">受託者 個人情報取扱責任者 署名 ＿＿＿＿＿＿＿＿＿＿　　区 確認者 署名 ＿＿＿＿＿＿＿＿＿＿</p>
</body></html>
"""
    html_path = folder / f"erasure-{plan.round_id}-{stamp}.html"
    html_path.write_text(page, encoding="utf-8")
    return html_path, json_path
