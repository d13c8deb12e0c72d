"""Erasure with certificate (特記事項 11, 12): remove everything a round left here.

Only what the tool created for the round is removed: its database schemas (or, on
request, the whole private cluster), its work folder (dbt target and logs, GX results,
validation receipt, verification workbooks), extracts the tool wrote under .local/, the
staging folders of exports that did not finish, and — once the ward's copy of the
manifest proves delivery (--delivered) — the output package. Everything is inventoried
with SHA-256 and byte counts first, checked to be gone afterwards, and described in a
certificate (消去証明書): printable HTML (A4) and a JSON twin, kept under
.local/certificates/, which the audit trail records.

Dropping a schema does not wipe PostgreSQL's files: dead rows of pg_statistic (the
models are analysed) and WAL segments still hold values. On the embedded cluster erase
vacuums those catalogs and rotates the WAL out; what it cannot vouch for (free space in
data files, deleted file blocks on the disk, a ward server's own files and backups) the
certificate says in so many words.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
from psycopg2 import sql

from . import audit, db, export, handlers, hashing, jst, pgcluster, refused, state
from .paths import LOCAL_DIR, round_work_dir

JST = jst.JST
LAYERS = ("raw", "staging", "intermediate", "marts", "export", "verification", "seeds",
          "functions")
# The certificate's summary, in this order: (Japanese, English) name of each category.
CATEGORIES = {
    "schema": ("スキーマ", "schemas"),
    "relation": ("データベースのリレーション（表・ビュー）", "database relations"),
    "work": ("作業フォルダーのファイル", "work files"),
    "package": ("納品パッケージのファイル", "package files"),
    "extract": ("抽出データ（本ツールが作成したもの）", "extracts"),
    "staging": ("出力途中のフォルダー（.incomplete）", "staging folders"),
    "created": ("その他に作成したファイル", "other files created"),
    "cluster": ("専用データベースクラスタ全体", "the whole cluster"),
}
KIND_JA = {"file": "ファイル", "folder": "フォルダー", "schema": "スキーマ",
           "relation": "リレーション", "cluster": "クラスタ"}
INVENTORY_SHA256_DEFINITION = (
    "SHA-256 (hex) of the UTF-8 bytes of json.dumps(items, ensure_ascii=False, "
    "sort_keys=True, separators=(',', ':')), where items is this file's 'items' list")
# Catalogs that hold a dropped round's traces: pg_statistic its most common values and
# histograms, the other two its names only. A plain VACUUM frees the dead rows' space but
# leaves their bytes in the page (measured: the values could still be read in the file),
# so pg_statistic is rewritten (VACUUM FULL: a new file, the old one unlinked at the next
# checkpoint). VACUUM does each table's TOAST table too.
VACUUMED = {"pg_statistic": "full, verbose", "pg_class": "verbose", "pg_attribute": "verbose"}
_NOT_REMOVABLE = re.compile(r"(\d+) (?:are dead but not yet removable|dead row versions "
                            r"cannot be removed yet)")
_WAL_NAME = "^[0-9A-F]{24}$"


class EraseRefused(refused.Refused):
    """Erasure must not go ahead (or did not complete); the message says why."""


@dataclass
class Item:
    kind: str  # file, folder, schema, relation, cluster
    path: str
    bytes: int = 0
    sha256: str = ""
    detail: str = ""
    category: str = ""  # a key of CATEGORIES


@dataclass
class Maintenance:
    """What was done inside PostgreSQL after the schemas were dropped, as measured."""

    steps: list[str] = field(default_factory=list)
    dead_rows_left: dict[str, int] = field(default_factory=dict)  # VACUUM could not remove
    wal_before: list[str] = field(default_factory=list)  # WAL segments before the rotation
    wal_left: list[str] = field(default_factory=list)  # of those, still there after it


@dataclass
class Plan:
    round_id: str
    items: list[Item] = field(default_factory=list)
    roots: list[Path] = field(default_factory=list)  # folders and files to remove
    folders: list[Path] = field(default_factory=list)  # removed once empty (package folders)
    schemas: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # what is left on purpose, and why
    cluster: pgcluster.Cluster | None = None
    staging: list[Path] = field(default_factory=list)  # staging folders of unfinished exports
    database: str = ""  # "embedded", "server", or "" when the database was not looked at
    server: str = ""  # the embedded cluster's data folder, or host:port/database
    maintenance: Maintenance = field(default_factory=Maintenance)


def _inventory(root: Path, plan: Plan, category: str) -> None:
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    for path in files:
        plan.items.append(Item("file", str(path), path.stat().st_size, hashing.sha256_file(path),
                               category=category))
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


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def _inside_local(path: Path) -> bool:
    return _inside(path, LOCAL_DIR)


# --- which rounds this machine has -------------------------------------------------------
def rounds_here() -> list[str]:
    """Rounds with schemas, a work folder, or a load in the audit log not erased since."""
    found: dict[str, str] = {}
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute("select nspname from pg_namespace where nspname ~ %s order by 1",
                       (f"^.{{6}}_({'|'.join(LAYERS)})$",))
        for (schema,) in cursor.fetchall():
            found.setdefault(schema[:6].lower(), schema[:6].upper())
    rounds_dir = LOCAL_DIR / "rounds"
    if rounds_dir.is_dir():
        for folder in sorted(rounds_dir.iterdir()):
            if folder.is_dir():
                found[folder.name.lower()] = folder.name
    loaded: dict[str, str] = {}
    for record in audit.records(None):
        name = record.get("round")
        if not isinstance(name, str):
            continue
        if record.get("command") in ("load", "run"):
            loaded[name.lower()] = name
        elif record.get("command") == "erase" and record.get("outcome") == "ok":
            loaded.pop(name.lower(), None)
    for key, name in loaded.items():
        found.setdefault(key, name)
    return sorted(found.values())


def _loaded_per_audit(round_id: str) -> bool:
    return any(r.get("command") in ("load", "run") and r.get("round") == round_id
               for r in audit.records(None))


def _never_here(round_id: str, work: Path) -> str:
    others = rounds_here()
    have = (f"this machine has round(s) {', '.join(others)}" if others
            else "this machine has no round at all")
    return (f"round {round_id} never existed here (no schema {round_id.lower()}_*, no work "
            f"folder {work}, no load of it in the audit log {audit.log_path()}); {have}: "
            "check --round")


# --- delivery -----------------------------------------------------------------------------
def _check_delivered_path(delivered: Path | None) -> None:
    if delivered is None or delivered.is_file():
        return
    what = ("is a folder, not a manifest.json" if delivered.is_dir()
            else "does not exist (a mistyped path?)")
    raise EraseRefused(f"--delivered {delivered} {what}: give the path of the copy of "
                       "manifest.json the ward received")


def _check_delivery(folder: Path, exported_sha256: str, delivered: Path | None,
                    force: bool) -> None:
    """The ward's copy of the manifest proves the package in ``folder`` was delivered."""
    if delivered is None:
        if force:
            return
        raise EraseRefused(
            f"the package in {folder} has not been confirmed as delivered: give --delivered "
            "with the copy of manifest.json the ward received (kept outside the package "
            "folder), or --force to erase it undelivered")
    if _inside(delivered, folder):
        raise EraseRefused(
            f"--delivered {delivered} is inside the package folder {folder} that is to be "
            "erased, so it proves no delivery: give the copy of manifest.json the ward "
            "received, kept outside that folder")
    digest = hashing.sha256_file(delivered)
    if digest != exported_sha256:
        raise EraseRefused(
            f"--delivered {delivered} is not the manifest of the package exported to "
            f"{folder}: its SHA-256 {digest[:16]}… differs from the exported "
            f"{exported_sha256[:16]}…; give the manifest.json the ward received from this "
            "package")


# --- the plan ----------------------------------------------------------------------------
def _staging_folders(recorded: dict) -> list[Path]:
    """Every staging folder an export of the round made or was about to make."""
    candidates = [Path(p) for p in recorded.get("staging", [])]
    candidates += [export.staging_folder(Path(e["folder"])) for e in recorded["exports"]]
    unique: dict[str, Path] = {}
    for path in candidates:
        unique.setdefault(str(path), path)
    return list(unique.values())


def _inventory_staging(folder: Path, plan: Plan) -> None:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    plan.items.append(Item("folder", str(folder), sum(p.stat().st_size for p in files),
                           detail=f"{len(files)} files left by an export that did not finish",
                           category="staging"))
    _inventory(folder, plan, "staging")
    plan.staging.append(folder)


def _inventory_schema(schema: str, plan: Plan) -> None:
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute("select count(*) from pg_class where relnamespace = %s::regnamespace",
                       (schema,))
        (relations,) = db.fetch_one(cursor)
        cursor.execute("select relname, relkind::text, pg_total_relation_size(oid) from "
                       "pg_class where relnamespace = %s::regnamespace and relkind in "
                       "('r', 'p', 'm', 'v', 'f', 'S') order by relname", (schema,))
        listed = cursor.fetchall()
    plan.schemas.append(schema)
    plan.items.append(Item("schema", schema, detail=f"{relations} relations", category="schema"))
    kinds = {"r": "table", "p": "table", "m": "materialized view", "v": "view",
             "f": "foreign table", "S": "sequence"}
    for name, relkind, size in listed:
        plan.items.append(Item("relation", f"{schema}.{name}", int(size or 0),
                               detail=kinds[relkind], category="relation"))


def _server_name() -> str:
    host = os.environ.get("PGHOST", "localhost")
    port = os.environ.get("PGPORT", "5432")
    name = os.environ.get("PGDATABASE", os.environ.get("PGUSER", ""))
    return f"{host}:{port}/{name}"


def plan_erasure(round_id: str, delivered: Path | None, force: bool,
                 whole_cluster: bool) -> Plan:
    plan = Plan(round_id=round_id)
    recorded = state.read(round_id)
    work = round_work_dir(round_id)
    schemas = db.round_schemas(round_id)
    if not schemas and not work.exists() and not _loaded_per_audit(round_id):
        raise EraseRefused(_never_here(round_id, work))
    _check_delivered_path(delivered)
    _plan_packages(plan, recorded, delivered, force)
    _plan_files(plan, recorded, work)
    for schema in schemas:
        _inventory_schema(schema, plan)
    cluster = db.embedded_cluster()
    plan.database = "embedded" if cluster is not None else "server"
    plan.server = str(cluster.data_dir) if cluster is not None else _server_name()
    if whole_cluster:
        if cluster is None:
            raise EraseRefused("--cluster erases the embedded cluster, but a server of your own "
                               "is configured: the round's schemas are dropped, nothing more")
        plan.cluster = cluster
        plan.items.append(Item("cluster", str(cluster.root),
                               sum(p.stat().st_size for p in cluster.root.rglob("*") if p.is_file()),
                               detail="the whole private PostgreSQL cluster", category="cluster"))
    return plan


def _plan_packages(plan: Plan, recorded: dict, delivered: Path | None, force: bool) -> None:
    """Each exported package's own files (and any staging folder an export left)."""
    for exported in recorded["exports"]:
        folder = Path(exported["folder"])
        if not folder.exists():
            continue
        _check_delivery(folder, exported["manifest_sha256"], delivered, force)
        manifest = folder / "manifest.json"
        changed = (manifest.is_file()
                   and hashing.sha256_file(manifest) != exported["manifest_sha256"])
        if changed and not force:
            raise EraseRefused(f"the package in {folder} is not the one exported (its "
                               "manifest changed): check it, or --force")
        # The package's files only: the folder may hold things the tool did not write.
        listed = manifest if manifest.is_file() else delivered
        for name in _package_names(listed):
            if (folder / name).is_file():
                _inventory(folder / name, plan, "package")
        plan.folders.append(folder)
    for staging in _staging_folders(recorded):
        if staging.is_dir():
            _inventory_staging(staging, plan)


def _plan_files(plan: Plan, recorded: dict, work: Path) -> None:
    """The extract the tool wrote (never the ward's media), the work folder, and every
    other path the tool recorded creating for the round."""
    inputs = recorded.get("inputs") or {}
    if inputs.get("folder"):
        source = Path(inputs["folder"])
        if _inside_local(source) and source.exists():
            _inventory(source, plan, "extract")  # an extract the tool itself wrote under .local/
        elif source.exists():
            plan.kept.append(f"{source}: the ward's extract media, not created by this tool")
    if work.exists():
        _inventory(work, plan, "work")
    for created in recorded["created"]:
        path = Path(created)
        if path.exists() and not any(path == root or root in path.parents for root in plan.roots):
            _inventory(path, plan, "created")


# --- carrying it out ---------------------------------------------------------------------
def _wal_segments(cursor) -> list[str]:
    cursor.execute("select name from pg_ls_waldir() where name ~ %s order by 1", (_WAL_NAME,))
    return [name for (name,) in cursor.fetchall()]


def clean_embedded_cluster() -> Maintenance:
    """After the schemas are dropped: vacuum the catalogs holding their traces, and rotate
    every WAL segment that existed out of the cluster (removed, not recycled)."""
    done = Maintenance()
    connection = psycopg2.connect("", user=pgcluster.SUPERUSER,
                                  application_name="nhi-migration-erase")
    connection.autocommit = True  # VACUUM runs outside a transaction
    try:
        with connection.cursor() as cursor:
            for catalog, options in VACUUMED.items():
                del connection.notices[:]
                cursor.execute(sql.SQL("vacuum ({}) {}").format(
                    sql.SQL(options), sql.Identifier("pg_catalog", catalog)))
                left = sum(int(n) for n in _NOT_REMOVABLE.findall("".join(connection.notices)))
                if left:
                    done.dead_rows_left[catalog] = left
            done.steps.append("VACUUM FULL pg_statistic (rewritten, the old file removed); "
                              "VACUUM pg_class, pg_attribute (with their TOAST tables)")
            cursor.execute("checkpoint")
            done.steps.append("CHECKPOINT (vacuumed pages written to the data files)")
            # A recycled segment is only renamed, old bytes and all: remove them instead.
            cursor.execute("alter system set wal_recycle = off")
            cursor.execute("select pg_reload_conf()")
            time.sleep(1)  # the checkpointer reloads its settings on the signal
            done.wal_before = _wal_segments(cursor)
            before = set(done.wal_before)
            for _ in range(len(before) + 3):
                cursor.execute("select pg_walfile_name(pg_current_wal_lsn())")
                (current,) = db.fetch_one(cursor)
                if current not in before and not before & set(_wal_segments(cursor)):
                    break
                cursor.execute("select pg_switch_wal()")
                cursor.execute("checkpoint")
            done.wal_left = sorted(before & set(_wal_segments(cursor)))
            cursor.execute("alter system reset wal_recycle")
            cursor.execute("select pg_reload_conf()")
            done.steps.append(f"WAL: switched and checkpointed until the {len(before)} segments "
                              f"that existed were removed (wal_recycle off meanwhile); "
                              f"{len(done.wal_left)} left")
    finally:
        connection.close()
    return done


def carry_out(plan: Plan) -> list[str]:
    """Remove everything in the plan; return what is still there (empty when complete)."""
    with db.connect() as connection, connection.cursor() as cursor:
        for schema in plan.schemas:
            cursor.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema)))
    if plan.database == "embedded" and plan.cluster is None:
        plan.maintenance = clean_embedded_cluster()
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
        remaining += [f"schema {s}" for s in db.round_schemas(plan.round_id)]
    return remaining


# --- the certificate ---------------------------------------------------------------------
def inventory_sha256(items: list[dict]) -> str:
    """One SHA-256 over the whole inventory (see INVENTORY_SHA256_DEFINITION)."""
    canonical = json.dumps(items, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def summary(plan: Plan) -> list[dict]:
    """Per category: how many of each kind, and the bytes (files, or relations' sizes)."""
    rows = []
    for category, (ja, en) in CATEGORIES.items():
        items = [i for i in plan.items if i.category == category]
        if not items and category in ("cluster", "created"):
            continue
        counts: dict[str, int] = {}
        for item in items:
            counts[item.kind] = counts.get(item.kind, 0) + 1
        counted = [i for i in items if i.kind in ("file", "relation", "cluster")]
        rows.append({"category": category, "label_ja": ja, "label_en": en,
                     "counts": counts, "bytes": sum(i.bytes for i in counted)})
    return rows


def residual_risk(plan: Plan, remaining: list[str]) -> dict[str, str]:
    """What the certificate cannot vouch for, in Japanese and English."""
    media_ja = ("ファイルの消去はファイルシステム上の削除によるもので、記憶媒体上の領域の上書きは"
                "していません。媒体を廃棄・返却するときは、媒体そのものの消去を別に行ってください。")
    media_en = ("Files were deleted through the file system; the blocks they occupied on the "
                "storage medium were not overwritten. Sanitise the medium itself before it is "
                "disposed of or returned.")
    if plan.cluster is not None:
        gone = str(plan.cluster.root) not in remaining
        ja = (f"専用データベースクラスタ全体（{plan.cluster.root}）を停止して削除し、そのフォルダーが"
              + ("存在しないことを確認しました。" if gone else "まだ存在することを確認しました（消去未完了）。"))
        en = (f"The whole private cluster ({plan.cluster.root}) was stopped and removed; its "
              + ("folder was checked to be gone. " if gone else "folder is STILL THERE. "))
        return {"ja": ja + media_ja, "en": en + media_en}
    if plan.database == "server":
        return {
            "ja": (f"データベースは区のサーバー（{plan.server}）にあり、この回次のスキーマを削除しました。"
                   "そのサーバーのデータファイル、WAL（先行書き込みログ）、バックアップ（レプリカ・"
                   "アーカイブを含む）に残る値の断片の消去はサーバー管理者が行うもので、この証明書は"
                   "それを保証しません。" + media_ja),
            "en": (f"The database is the ward's own server ({plan.server}); the round's schemas "
                   "were dropped. Its data files, WAL and backups (replicas and archives "
                   "included) may still hold fragments of the values: sanitising them is the "
                   "server administrator's task, and this certificate does not vouch for it. "
                   + media_en),
        }
    done = plan.maintenance
    ja = ("この回次のスキーマを削除したあと、専用クラスタで統計情報のカタログ pg_statistic を "
          "VACUUM FULL で書き直し（削除済みの行の統計値・最頻値を含む旧ファイルは削除）、pg_class・"
          "pg_attribute を VACUUM し、CHECKPOINT を行い、消去前から"
          f"あった WAL（先行書き込みログ）セグメント {len(done.wal_before)} 個を切り替えて削除しました"
          "（再利用せずに削除）。")
    en = ("After the round's schemas were dropped, pg_statistic was rewritten on the "
          "private cluster with VACUUM FULL (its old file, holding dead rows with the "
          "statistics' most common values, removed), pg_class and pg_attribute were "
          "vacuumed, a CHECKPOINT was made, and the "
          f"{len(done.wal_before)} WAL segments that existed were switched out and removed "
          "(not recycled). ")
    for catalog, rows in sorted(done.dead_rows_left.items()):
        ja += f"ただし {catalog} の削除済みの行 {rows} 件は、実行中の別のトランザクションのため取り除けませんでした。"
        en += f"{rows} dead rows of {catalog} could not be removed (another transaction was open). "
    if done.wal_left:
        ja += f"ただし消去前の WAL セグメントのうち {len(done.wal_left)} 個がまだ残っています。"
        en += f"{len(done.wal_left)} of those WAL segments are still there. "
    ja += (f"それでも、クラスタのデータベースファイル（{plan.server}）には、この回次の値の断片が"
           "残っている可能性があります（ページ内の未使用領域など。この証明書では検査していません）。"
           "最後の回次のあとに `migrate.py erase --cluster` でクラスタ全体を削除するまで、この点は"
           "保証できません。")
    en += (f"The cluster's database files ({plan.server}) may still hold fragments of the "
           "round's values (unused space inside pages, not inspected here) until "
           "`migrate.py erase --cluster` removes the whole cluster after the last round; "
           "until then this certificate does not vouch for them. ")
    return {"ja": ja + media_ja, "en": en + media_en}


def signatures(operator: handlers.Operator) -> list[dict[str, str]]:
    """The operator signs under their own role; a ward official confirms."""
    confirmer = ("区 確認者（実施者とは別の職員）" if operator.role == "ward_staff" else "区 確認者")
    return [{"role": operator.role, "label": f"実施者 {operator.role_label}",
             "operator": operator.id},
            {"role": "ward_confirmer", "label": confirmer, "operator": ""}]


def _e(value: object) -> str:
    return html.escape(str(value))


def _count_text(counts: dict[str, int]) -> str:
    return "、".join(f"{KIND_JA.get(kind, kind)} {n:,} 件" for kind, n in counts.items()) or "なし"


def _appendix(plan: Plan) -> str:
    """The full inventory, grouped by category and folder; every column prints."""
    parts = []
    for category, (ja, en) in CATEGORIES.items():
        items = [i for i in plan.items if i.category == category]
        if not items:
            continue
        parts.append(f"<h3>{_e(ja)} <span class='en'>{_e(en)}</span></h3>")
        groups: dict[str, list[Item]] = {}
        for item in items:
            if item.kind == "file":
                key = str(Path(item.path).parent)
            elif item.kind == "relation":
                key = item.path.split(".", 1)[0]
            else:
                key = ""
            groups.setdefault(key, []).append(item)
        for key, members in groups.items():
            if key:
                parts.append(f"<p class='folder'>{'スキーマ' if category == 'relation' else 'フォルダー'}"
                             f" <code>{_e(key)}</code>（{len(members):,} 件）</p>")
            rows = []
            for item in members:
                name = (Path(item.path).name if item.kind == "file"
                        else item.path.split(".", 1)[1] if item.kind == "relation" else item.path)
                note = "・".join(x for x in (KIND_JA.get(item.kind, item.kind)
                                             if item.kind != "file" else "", item.detail) if x)
                rows.append(f"<tr><td class='path'>{_e(name)}"
                            + (f"<br><span class='note'>{_e(note)}</span>" if note else "")
                            + f"</td><td class='num'>{item.bytes:,}</td>"
                            f"<td class='hash'>{_e(item.sha256) or '—'}</td></tr>")
            # The hash column is wide enough for 64 characters on one line, so that a
            # printed hash is never split (nor cut off).
            parts.append("<table class='inventory'><colgroup><col class='c-name'>"
                         "<col class='c-bytes'><col class='c-hash'></colgroup>"
                         "<thead><tr><th>名前</th><th>バイト数</th><th>SHA-256（消去前）</th>"
                         "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")
    return "".join(parts) or "<p>なし</p>"


STYLE = """
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK JP", "Noto Sans JP", "Meiryo", "Hiragino Sans", sans-serif;
       font-size: 9.5pt; line-height: 1.45; margin: 0 auto; max-width: 186mm; padding: 8mm 0;
       overflow-wrap: anywhere; }
h1 { font-size: 17pt; text-align: center; margin: 0 0 4mm; letter-spacing: .3em; }
h2 { font-size: 11.5pt; border-bottom: 1px solid #333; margin: 6mm 0 2mm; }
h3 { font-size: 10pt; margin: 4mm 0 1mm; }
.en { font-weight: normal; font-size: 8pt; color: #444; }
p.en-block { font-size: 8pt; color: #444; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; margin: 1mm 0 2mm; }
th, td { border: 1px solid #777; padding: 1mm 1.5mm; vertical-align: top; text-align: left;
         word-break: break-all; overflow-wrap: anywhere; }
th { background: #eee; font-weight: bold; }
table.facts th { width: 32%; }
code, .hash { font-family: "Noto Sans Mono CJK JP", "DejaVu Sans Mono", "Consolas", monospace;
              font-size: 6.5pt; word-break: break-all; overflow-wrap: anywhere; }
.num { text-align: right; white-space: nowrap; }
table.summary col.c-cat { width: 40%; } table.summary col.c-count { width: 38%; }
table.summary col.c-bytes { width: 22%; }
table.inventory { font-size: 7.5pt; line-height: 1.25; }
table.inventory td { padding: .5mm 1.5mm; }
table.inventory col.c-name { width: 33%; } table.inventory col.c-bytes { width: 11%; }
table.inventory col.c-hash { width: 56%; }
.note { font-size: 6.5pt; color: #444; }
p.folder { margin: 2mm 0 0; font-size: 8pt; word-break: break-all; }
.risk { border: 2px solid #a00; padding: 2mm 3mm; }
.signatures td { height: 16mm; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; break-inside: avoid; }
.appendix { page-break-before: always; break-before: page; }
@media print { body { padding: 0; } }
"""


def certificate(plan: Plan, operator: handlers.Operator, organisation: str, audit_head: str,
                remaining: list[str], folder: Path) -> tuple[Path, Path]:
    """Write the erasure certificate (HTML to print, JSON twin); return both paths."""
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    local = now.astimezone(JST)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    json_path = folder / f"erasure-{plan.round_id}-{stamp}.json"
    html_path = json_path.with_suffix(".html")
    files = [i for i in plan.items if i.kind == "file"]
    items = [vars(i) for i in plan.items]
    digest = inventory_sha256(items)
    risk = residual_risk(plan, remaining)
    rows = summary(plan)
    signed = signatures(operator)
    cluster_gone = (str(plan.cluster.root) not in remaining) if plan.cluster else None
    twin = {
        "title": "消去証明書 (certificate of erasure)",
        "organisation": organisation,
        "round": plan.round_id,
        "erased_at": local.isoformat(),
        "erased_at_utc": now.isoformat(),
        "timezone": "Asia/Tokyo",
        "operator": operator.id,
        "operator_role": operator.role_label,
        "operator_role_id": operator.role,
        "complete": not remaining,
        "remaining": remaining,
        "audit_chain_head_before_erasure": audit_head,
        "totals": {"files": len(files), "bytes": sum(i.bytes for i in files),
                   "schemas": len(plan.schemas), "cluster": plan.cluster is not None},
        "summary": rows,
        "inventory_sha256": digest,
        "inventory_sha256_definition": INVENTORY_SHA256_DEFINITION,
        "database": {"kind": plan.database, "location": plan.server,
                     "maintenance": vars(plan.maintenance),
                     "cluster_folder_gone": cluster_gone},
        "residual_risk": risk,
        "signatures": signed,
        "items": items,
        "kept": plan.kept,
        "html": html_path.name,
    }
    json_path.write_text(json.dumps(twin, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    written = local.strftime("%Y年%m月%d日 %H時%M分%S秒") + "（日本時間、UTC+09:00）"
    result = ("目録のファイル・フォルダー・スキーマをすべて削除し、元の場所に残っていないことを確認しました"
              "（確認の範囲と限界は「残るおそれ」のとおりです）。" if not remaining else
              "消去できなかったものがあります：" + _e("、".join(remaining)))
    summary_rows = "".join(
        f"<tr><td>{_e(r['label_ja'])}<br><span class='en'>{_e(r['label_en'])}</span></td>"
        f"<td>{_e(_count_text(r['counts']))}</td><td class='num'>{r['bytes']:,}</td></tr>"
        for r in rows)
    database = ("専用クラスタ（組み込み）" if plan.database == "embedded" else
                "区のサーバー" if plan.database == "server" else "—")
    steps = "".join(f"<li>{_e(step)}</li>" for step in plan.maintenance.steps)
    if plan.cluster is not None:
        steps += (f"<li>クラスタ全体を削除し、フォルダー <code>{_e(plan.cluster.root)}</code> が"
                  + ("存在しないことを確認しました" if cluster_gone else "まだ存在します") + "</li>")
    kept = "".join(f"<li>{_e(k)}</li>" for k in plan.kept) or "<li>なし</li>"
    signature_rows = "".join(
        f"<tr><th>{_e(s['label'])}{('（ID ' + _e(s['operator']) + '）') if s['operator'] else ''}</th>"
        "<td>署名</td><td>日付</td></tr>" for s in signed)
    page = f"""<!doctype html>
<html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>消去証明書 {_e(plan.round_id)}</title>
<style>{STYLE}</style></head><body>
<h1>消去証明書</h1>
<p>{_e(organisation or '（取扱者ファイルに organisation の記載がありません）')} 御中</p>
<p>国民健康保険 滞納整理支援システム データ移行業務について、契約の特記事項（11 資料等の返還等、
12 消去の証明）に基づき、抽出回次 <b>{_e(plan.round_id)}</b> の個人情報を含むデータを次のとおり消去したことを
証明します。ただし、消去の範囲と限界は「残るおそれ」に記載のとおりです。</p>
<p class="en-block">Certificate of erasure: the data of round {_e(plan.round_id)} listed below was
erased as stated; what it cannot vouch for is stated under 残るおそれ (residual risk).</p>
<table class="facts">
<tr><th>区（委託者）</th><td>{_e(organisation or '—')}</td></tr>
<tr><th>抽出回次</th><td>{_e(plan.round_id)}</td></tr>
<tr><th>消去日時</th><td>{_e(written)}<br><code>{_e(local.isoformat())}</code></td></tr>
<tr><th>実施者</th><td>ID {_e(operator.id)}（{_e(operator.role_label)}）</td></tr>
<tr><th>結果</th><td>{result}</td></tr>
<tr><th>データベース</th><td>{_e(database)} <code>{_e(plan.server)}</code><ul>{steps}</ul></td></tr>
<tr><th>監査ログ（消去前の最終記録のハッシュ）</th><td><code>{_e(audit_head)}</code></td></tr>
<tr><th>目録の SHA-256</th><td><code>{digest}</code><br><span class="en">{_e(INVENTORY_SHA256_DEFINITION)}
（JSON 版の items）</span></td></tr>
<tr><th>JSON 版</th><td><code>{_e(json_path.name)}</code></td></tr>
</table>
<h2>消去したもの（種類別） <span class="en">summary by kind</span></h2>
<table class="summary"><colgroup><col class="c-cat"><col class="c-count"><col class="c-bytes"></colgroup>
<thead><tr><th>種類</th><th>件数</th><th>バイト数</th></tr></thead><tbody>{summary_rows}</tbody></table>
<h2>残るおそれ <span class="en">residual risk — what this certificate cannot vouch for</span></h2>
<div class="risk"><p>{_e(risk['ja'])}</p><p class="en-block">{_e(risk['en'])}</p></div>
<h2>消去しなかったもの <span class="en">kept on purpose</span></h2><ul>{kept}</ul>
<h2>署名 <span class="en">signatures</span></h2>
<table class="signatures">{signature_rows}</table>
<div class="appendix">
<h2>別紙　消去したものの目録（消去前の SHA-256 とバイト数） <span class="en">appendix: full inventory</span></h2>
{_appendix(plan)}
</div>
</body></html>
"""
    html_path.write_text(page, encoding="utf-8")
    return html_path, json_path
