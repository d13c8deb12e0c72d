"""The append-only, hash-chained audit trail (特記事項 14, 15).

Every command appends one JSON line: time, operator, command, round, 基準日, input and
output hashes, counts and outcome, with the hash of the record before it. Editing a byte,
removing a record or reordering records breaks the chain, and ``verify`` says where.
The log holds keys, counts and hashes only, never personal data.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from . import jst
from .paths import LOCAL_DIR

GENESIS = "0" * 64


def log_path() -> Path:
    return Path(os.environ.get("NHI_AUDIT_LOG", LOCAL_DIR / "audit" / "audit.jsonl"))


def _canonical(record: dict) -> bytes:
    return json.dumps(record, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


def record_hash(record: dict) -> str:
    """The hash of a record: its content (with the previous hash) without its own hash."""
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(_canonical(body)).hexdigest()


def _read(path: Path) -> list[str]:
    if not path.is_file():
        return []
    return [line for line in path.read_text(encoding="utf-8").split("\n") if line]


def append(fields: dict, path: Path | None = None) -> dict:
    """Append one record (under an exclusive lock); return it with seq, prev and hash."""
    path = path or log_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "r+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        lines = [line for line in handle.read().split("\n") if line]
        previous = json.loads(lines[-1]) if lines else None
        record = {
            "seq": (previous["seq"] + 1) if previous else 1,
            "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            **fields,
            "prev": previous["hash"] if previous else GENESIS,
        }
        record["hash"] = record_hash(record)
        handle.write(_canonical(record).decode("utf-8") + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return record


def head(path: Path | None = None) -> str:
    """The hash of the last record (the log's chain head), or the genesis hash."""
    lines = _read(path or log_path())
    return json.loads(lines[-1])["hash"] if lines else GENESIS


@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def verify(path: Path | None = None) -> tuple[int, list[Problem]]:
    """Check the chain; return how many records were read and every problem found."""
    lines = _read(path or log_path())
    problems: list[Problem] = []
    seqs = []
    for line in lines:
        try:
            seqs.append(json.loads(line)["seq"])
        except (json.JSONDecodeError, KeyError, TypeError):
            seqs.append(None)
    previous_hash, previous_seq = GENESIS, 0
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
            seq, prev, stored = record["seq"], record["prev"], record["hash"]
        except (json.JSONDecodeError, KeyError, TypeError):
            problems.append(Problem(number, "not a readable audit record (edited)"))
            previous_hash, previous_seq = "", previous_seq + 1
            continue
        if record_hash(record) != stored:
            problems.append(Problem(number, f"record seq {seq} was edited: its content does "
                                            "not match its hash"))
        if seq <= previous_seq:
            problems.append(Problem(number, f"records out of order: seq {seq} comes after "
                                            f"seq {previous_seq} (records were reordered)"))
        elif seq != previous_seq + 1:
            missing = [s for s in range(previous_seq + 1, seq) if s not in seqs[number:]]
            if missing:
                problems.append(Problem(number, f"seq {seq} follows seq {previous_seq}: "
                                                f"record(s) {', '.join(map(str, missing))} removed"))
            else:
                problems.append(Problem(number, f"records out of order: seq {seq} comes "
                                                f"before seq {previous_seq + 1} (reordered)"))
        elif prev != previous_hash and previous_hash:
            problems.append(Problem(number, f"record seq {seq} does not chain to the record "
                                            "before it (removed, replaced or reordered)"))
        previous_hash, previous_seq = stored, seq
    return len(lines), problems


def records(path: Path | None = None) -> list[dict]:
    """Every readable record, in order (unreadable lines are ``verify``'s to report)."""
    result = []
    for line in _read(path or log_path()):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            result.append(record)
    return result


def records_for_round(round_id: str, path: Path | None = None) -> list[dict]:
    return [record for record in records(path)
            if round_id in (record.get("round"), record.get("from_round"),
                            record.get("to_round"))]


COMMAND_JA = {
    "load": "抽出データの読み込み", "build": "変換（dbt build）", "validate": "検証（Great Expectations）",
    "export": "セットアップデータの出力", "run": "回次の一括実行（読込・変換・検証・出力）",
    "compare": "回次の比較", "verify-pack": "職員検証用ブックの作成", "erase": "消去",
    "audit-verify": "監査ログの検証", "audit-report": "取扱記録の報告", "db": "データベースの操作",
    "db-destroy": "専用データベースの削除", "-": "（コマンド不明）",
}


# What kind of refusal a record's (English, vendor-facing) reason is, in staff's words.
REASON_JA = (
    ("load refused", "抽出データの不備のため読み込みを拒否（データベースは変更なし）"),
    ("dbt build failed", "変換（dbt build）が失敗"),
    ("dbt build of round", "変換中にデータベースが停止"),
    ("validation failed", "検証で不合格"),
    ("export refused", "出力を拒否"),
    ("erase refused", "消去を拒否"),
    ("erasure incomplete", "消去が完了していない"),
    ("round ", "回次の指定の問題"),
    ("the gaiji map is wrong", "外字対応表の誤り（何も作っていない）"),
    ("the database server stopped", "データベースが停止"),
    ("--out", "出力先の指定の誤り"),
    ("migrate.py", "コマンドの指定の誤り"),
    ("operator", "取扱者の指定の問題"),
    ("no handlers file", "取扱者ファイルがない"),
    ("unexpected", "想定外のエラー（内容は伏せて記録）"),
)


def reason_ja(reason: str) -> str:
    """A Japanese name for the kind of a refusal (the English details stay for the vendor)."""
    if "is not a valid handlers file" in reason:
        return "取扱者ファイルの形式の誤り"
    if "is in use by another command" in reason:
        return "同じ回次を別のコマンドが使用中"
    return next((ja for start, ja in REASON_JA if reason.startswith(start)), "中止")


def report(round_id: str, path: Path | None = None) -> list[str]:
    """記録の報告（特記事項 14）: the handling history of a round, in Japanese, times in JST."""
    records = records_for_round(round_id, path)
    count, problems = verify(path)
    lines = [f"取扱記録の報告（特記事項 14）— 抽出回次 {round_id}",
             f"作成日時: {jst.shown(jst.now())}（日本時間）",
             f"監査ログ: {count} 件の記録、改ざんの検査: "
             + ("異常なし" if not problems else f"異常あり（{len(problems)} 件）"),
             f"この回次の記録: {len(records)} 件", ""]
    for record in records:
        reason = str(record.get("reason", ""))
        outcome = ("完了" if record.get("outcome") == "ok" else
                   f"中止：{reason_ja(reason)}")
        lines.append(f"{record['seq']:>5}  {jst.shown(record['time'])}  取扱者 "
                     f"{record.get('operator', '-')}"
                     f"（{record.get('role_label', record.get('role', '-'))}）  "
                     f"{COMMAND_JA.get(record['command'], record['command'])}  {outcome}")
        if reason and record.get("outcome") != "ok":
            lines.append(f"       詳細（英語、受託者向け）: {reason}")
        if record.get("as_of"):
            lines.append(f"       基準日 {record['as_of']}")
        for label, key in (("入力", "inputs"), ("出力", "outputs")):
            for name, digest in sorted((record.get(key) or {}).items()):
                lines.append(f"       {label} {name}  SHA-256 {digest}")
        for name, value in sorted((record.get("counts") or {}).items()):
            lines.append(f"       件数 {name}: {value:,}" if isinstance(value, int)
                         else f"       {name}: {value}")
        lines.append(f"       記録のハッシュ {record['hash']}")
    return lines
