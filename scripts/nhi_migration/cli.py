"""The command line (``scripts/migrate.py``, or ``nhi-migrate`` once installed): one
command for a whole extraction round, and one subcommand per step.

    python scripts/migrate.py run --input DIR --round ROUND --as-of YYYY-MM-DD \\
        --expected-households N --out DIR

Run ``python scripts/migrate.py --help`` (or ``<subcommand> --help``) for the rest.
Every message names keys, counts and files only, never a resident's data.

This module parses the arguments (``arguments`` checks each one), checks the operator,
holds the round's lock and calls the command's step (``steps/``); it is the one place
that turns a refusal or an unforeseen error into the one line on standard error and the
command's audit record.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

from . import audit, db, dbt_runner, handlers, locks, paths, pgcluster, refused
from .arguments import Parser, as_of_date, positive_int, round_id


class Refusal(refused.Refused):
    """The command line's own refusal (exit code 1): a round that clashes with another."""


Step = Callable[[argparse.Namespace, dict, handlers.Operator | None], None]


def parameters(args: argparse.Namespace) -> dbt_runner.RoundParameters:
    return dbt_runner.RoundParameters(round_id=args.round, as_of=args.as_of,
                                      expected_households=args.expected_households)


def authorised(operator: handlers.Operator | None) -> handlers.Operator:
    """The operator ``main`` authorised (every personal-data command has one)."""
    if operator is None:
        raise TypeError("a personal-data command ran without an authorised operator")
    return operator


# Each command's step, called with the parsed arguments, the audit record's fields and
# the authorised operator (None for a command that handles no personal data).
def step(name: str) -> ModuleType:
    """The step module ``steps/<name>.py``, imported when its command runs: a command
    line that is refused, or asks for help, starts without loading GX, dbt's helpers or
    the workbook writer."""
    return importlib.import_module(f"{__package__}.steps.{name}")


STEPS: dict[str, Step] = {
    "run": lambda a, fields, _: step("run").command(parameters(a), a.input, a.out, fields),
    "load": lambda a, fields, _: step("load").command(a.input, a.round, fields),
    "build": lambda a, fields, _: step("build").command(parameters(a)),
    "validate": lambda a, fields, _: step("validate").command(parameters(a), fields),
    "export": lambda a, fields, _: step("export").command(parameters(a), a.out, fields),
    "compare": lambda a, fields, _: step("compare").command(a.from_round, a.to_round, fields),
    "verify-pack": lambda a, fields, _: step("verify_pack").command(a.round, a.out, fields),
    "erase": lambda a, fields, operator: step("erase").command(
        a.round, a.delivered, a.force, a.cluster, authorised(operator), a.handlers, fields),
    "audit": lambda a, fields, _: (step("audit").verify() if a.action == "verify"
                                   else step("audit").report(a.round)),
    "db": lambda a, fields, _: step("db").command(a.action, a.operator, a.handlers, a.yes,
                                               fields),
}


# --- argument parsing -------------------------------------------------------------------
def add_operator(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument("--operator", metavar="ID", required=required,
                        help="操作する取扱者の ID（区の取扱者ファイルで指定された者）。"
                        "The designated handler running this command (handlers file)")


def add_round(parser: argparse.ArgumentParser, *, full: bool) -> None:
    parser.add_argument("--round", required=True, type=round_id,
                        help="抽出回次（英数字・_・- の 6 文字：TEST01、TEST02、PROD01、PROD02）。"
                        "Extraction round, 6 letters, digits, '_' or '-'")
    if full:
        parser.add_argument("--as-of", required=True, type=as_of_date, metavar="YYYY-MM-DD",
                            help="基準日（抽出した日、今日以前）。The day the extract was taken")
        parser.add_argument("--expected-households", required=True, type=positive_int,
                            metavar="N",
                            help="区の管理件数：KT010 の世帯数がこれと一致しなければ出力しない。"
                            "The ward's control figure for KT010")


def _input(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", required=True, type=Path, metavar="DIR",
                        help="抽出データのフォルダー（SETAI.csv … _CONTROL.csv）。Extract folder")


def _out(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, type=Path, metavar="DIR",
                        help="出力パッケージのフォルダー（なければ作る）。Output package folder")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="migrate.py",
        description="国保滞納整理データの移行：読込 → 変換（dbt build）→ 検証 → 出力。"
        "Move a legacy NHI delinquency extract into the new system's setup data: load → "
        "dbt build → validation → export. Uses the PostgreSQL server named by PG* "
        "variables, or starts the project's own embedded cluster. A command that must not "
        "go on exits 1 with one line REFUSED: … (what, where, what to do).",
    )
    parser.add_argument("--handlers", type=Path, default=None, metavar="FILE",
                        help="区の取扱者ファイル（既定：$NHI_HANDLERS か handlers.yml）。"
                        "The ward's handlers file")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                title="コマンド (commands)")

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=summary, description=summary)

    p = command("run", "回次の一括実行（読込・変換・検証・出力）。A whole round: load → "
                "build → validate → export")
    _input(p)
    add_round(p, full=True)
    _out(p)
    add_operator(p)

    p = command("load", "抽出データを回次の raw スキーマに読み込む（壊れていれば何も変えない）。"
                "Load an extract into the round's raw schema")
    _input(p)
    add_round(p, full=False)
    add_operator(p)

    p = command("build", "変換（dbt build：モデル・単体テスト・データテスト）。dbt build of "
                "the round")
    add_round(p, full=True)
    add_operator(p)

    p = command("validate", "検証（Great Expectations）。The validation gate on the round's "
                "build")
    add_round(p, full=True)
    add_operator(p)

    p = command("export", "セットアップデータの出力（検証に合格した build だけ）。Write the "
                "output package (needs a passed validation)")
    add_round(p, full=True)
    _out(p)
    add_operator(p)

    p = command("compare", "2 つの回次の違い（件数・合計・世帯番号）。What changed between "
                "two rounds (keys and counts)")
    p.add_argument("--from", dest="from_round", required=True, type=round_id, metavar="ROUND",
                   help="比べる元の回次。The earlier round")
    p.add_argument("--to", dest="to_round", required=True, type=round_id, metavar="ROUND",
                   help="比べる先の回次。The later round")
    add_operator(p)

    p = command("verify-pack", "職員検証用ブック（xlsx、職員のみ）。Staff only: the "
                "verification workbook")
    add_round(p, full=False)
    p.add_argument("--out", type=Path, default=None, metavar="FILE",
                   help="ブックの保存先（既定：回次の作業フォルダー）。Where to write the workbook")
    add_operator(p)

    p = command("erase", "回次がこの機械に残したものを消去し、消去証明書を作る。Erase what the "
                "round left here; certificate of erasure")
    add_round(p, full=False)
    p.add_argument("--delivered", type=Path, default=None, metavar="MANIFEST",
                   help="区が受け取った manifest.json（出力フォルダーの外にある写し）。The "
                   "package's manifest.json as the ward received it")
    p.add_argument("--force", action="store_true",
                   help="受領の確認なしに出力パッケージも消去する。Erase the package though "
                   "its delivery is not confirmed")
    p.add_argument("--cluster", action="store_true",
                   help="専用の PostgreSQL クラスタ全体も消去する。Also erase the whole "
                   "embedded cluster")
    add_operator(p)

    p = command("audit", "監査ログの検証（verify）、回次の取扱記録の報告（report）。Verify the "
                "audit log, or report a round's handling")
    p.add_argument("action", choices=("verify", "report"),
                   help="verify：改ざんの検査、report：取扱記録の報告（--round が必要）")
    p.add_argument("--round", type=round_id, default=None,
                   help="報告する回次（report のとき）。The round to report")
    add_operator(p, required=False)

    p = command("db", "専用データベースの起動・停止・状態・削除。Start, stop, inspect or "
                "remove the embedded cluster")
    p.add_argument("action", choices=("start", "stop", "status", "destroy", "env"),
                   help="start 起動、stop 停止、status 状態、destroy 削除（取扱責任者のみ、"
                   "確認あり）、env シェル用の環境変数を表示")
    p.add_argument("--operator", metavar="ID", default=None,
                   help="destroy のとき：取扱責任者の ID。For destroy: the responsible "
                   "person's ID")
    p.add_argument("--yes", action="store_true",
                   help="destroy の確認を省く（端末がないとき）。Confirm destroy without asking")
    return parser


def audit_command_name(args: argparse.Namespace) -> str:
    if args.command == "audit":
        return f"audit-{args.action}"
    if args.command == "db" and args.action == "destroy":
        return "db-destroy"
    return args.command


def unexpected_error(exc: BaseException) -> str:
    """One line for an error the tool did not foresee: its type and where it arose.

    The error's own text is left out: a database or library message may quote a value
    from a record, and this line reaches the terminal and the audit log. The place named
    is the tool's own frame nearest the failure, not a line inside a library.
    """
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    own = [f for f in frames if _is_own_code(f.filename)]
    nearest = own or frames
    where = f" at {Path(nearest[-1].filename).name}:{nearest[-1].lineno}" if nearest else ""
    code = getattr(exc, "pgcode", None)
    sqlstate = f" (SQLSTATE {code})" if code else ""
    return (f"unexpected {type(exc).__name__}{sqlstate}{where}; its text is withheld because "
            "it may quote personal data, and nothing was exported. Rerun the step; if it "
            "fails again, report this line (it holds no data) to the tool's maintainers")


def _is_own_code(filename: str) -> bool:
    path = Path(filename).resolve()
    return SCRIPTS_DIR in path.parents and ".venv" not in path.parts


SCRIPTS_DIR = Path(__file__).resolve().parents[1]  # the tool's own code: scripts/


def _command_words(argv: list[str]) -> dict[str, str]:
    """What an audit record can say of a command line argparse refused: the command and
    the operator when they are recognisable (nothing else is taken from it)."""
    fields = {"command": "-", "operator": "-"}
    words = [w for w in argv if not w.startswith("-")]
    if words and words[0] in STEPS:
        fields["command"] = words[0]
    for index, word in enumerate(argv):
        value = (argv[index + 1] if word == "--operator" and index + 1 < len(argv)
                 else word.split("=", 1)[1] if word.startswith("--operator=") else None)
        if value and handlers.OPERATOR_ID.fullmatch(value):
            fields["operator"] = value
    return fields


ROUND_COMMANDS = ("load", "build", "validate", "export", "run", "verify-pack", "erase")


@contextlib.contextmanager
def round_in_use(args: argparse.Namespace) -> Iterator[None]:
    """Hold the round's lock for the command (commands that change or read a round)."""
    if args.command not in ROUND_COMMANDS:
        yield
        return
    twin = paths.case_twin(args.round)
    if twin:
        raise Refusal(f"round {args.round} differs only in case from round {twin} on this "
                      "machine; schemas are named in lower case, so they would share them: "
                      f"use {twin}, or another name")
    with locks.round_lock(args.round):
        yield


def main(argv: list[str] | None = None) -> int:
    """Parse, check the operator, run, and append one audit record whatever the outcome."""
    argv = sys.argv[1:] if argv is None else argv
    fields: dict = _command_words(argv)
    code, reason = 0, ""
    try:
        args = build_parser().parse_args(argv)
        fields = {"command": audit_command_name(args),
                  "operator": getattr(args, "operator", None) or "-"}
        for name in ("round", "as_of"):
            if getattr(args, name, None):
                fields[name] = getattr(args, name)
        operator = None
        if args.command in handlers.PERSONAL_DATA_COMMANDS:
            operator = handlers.authorise(handlers.handlers_path(args.handlers),
                                          args.operator, args.command)
            fields.update({"role": operator.role, "role_label": operator.role_label})
        with round_in_use(args):
            STEPS[args.command](args, fields, operator)
    except refused.Refused as exc:
        code, reason = 1, str(exc)
        print(f"REFUSED: {exc}", file=sys.stderr, flush=True)
    except pgcluster.ClusterError as exc:
        code, reason = 2, str(exc)
        print(f"DATABASE: {exc}", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        code, reason = 130, "interrupted"
        print("interrupted", file=sys.stderr)
    except BrokenPipeError:  # the output was piped into a command that stopped reading
        sys.stderr.close()
        code, reason = 141, "output closed"
    except Exception as exc:  # noqa: BLE001 - reported without its text, which may hold data
        if db.server_stopped(exc):
            code, reason = 1, db.SERVER_STOPPED
            print(f"REFUSED: {reason}", file=sys.stderr, flush=True)
        else:
            code, reason = 3, unexpected_error(exc)
            print(f"ERROR: {reason}", file=sys.stderr, flush=True)
    fields["outcome"] = "ok" if code == 0 else "refused"
    if reason:
        fields["reason"] = reason[:500]
    audit.append(fields)
    return code


if __name__ == "__main__":
    sys.exit(main())
