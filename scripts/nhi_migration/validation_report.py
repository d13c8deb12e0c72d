"""The validation report for ward staff: one Japanese HTML page written from the results
of the Great Expectations checkpoint.

Static HTML with its CSS inline: no script, nothing loaded from the network (the ward's
machines are offline), printable on A4. It replaces GX's own Data Docs, which need jQuery
and bootstrap from a CDN.

Privacy: the page is written from GX's success flags, the project's own description of
each check and counts this module computes with ``count(*)``; it never reads a result's
values (they are BOOLEAN_ONLY anyway) and never selects a column value from a table.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from psycopg2 import sql

from . import db

if TYPE_CHECKING:
    from great_expectations.checkpoint.checkpoint import CheckpointResult

    from .validation.checks import RoundFacts

PAGE_NAME = "validation-report.html"
JST = ZoneInfo("Asia/Tokyo")
# A setup file's suite is titled with the file's label (its mart's meta); the ROUND
# suite checks across files.
ROUND_SUITE = "ROUND"
ROUND_TITLE = "回次全体（ファイル間の突合・回次の指定）"


@dataclass(frozen=True)
class Line:
    """One expectation as staff read it."""

    description: str
    expectation: str  # GX's name for it, e.g. expect_column_values_to_be_unique
    success: bool
    observed: str  # a count, in words ("不適合 3 行"), or "" where no count applies


@dataclass(frozen=True)
class SuiteResult:
    """The expectations on one setup file (or the ROUND suite), failed ones first."""

    name: str
    rows: int | None  # rows of the table checked; None for the ROUND suite
    lines: tuple[Line, ...]
    label: str = ""  # the setup file's Japanese name (layouts.Layout.label)

    @property
    def failed(self) -> int:
        return sum(not line.success for line in self.lines)

    @property
    def title(self) -> str:
        return ROUND_TITLE if self.name == ROUND_SUITE else self.label or self.name

    @property
    def heading(self) -> str:
        return self.name if self.name == ROUND_SUITE else f"{self.name}.dat"


def page_path(gx_dir: Path) -> Path:
    return gx_dir / PAGE_NAME


def _count(cursor: Any, query: sql.Composable) -> int:
    cursor.execute(sql.SQL("select count(*) from ({}) as counted").format(query))
    return int(cursor.fetchone()[0])


def unexpected_rows(cursor: Any, relation: str, expectation: str,
                    kwargs: Mapping[str, Any]) -> int | None:
    """How many rows of ``relation`` break one expectation, counted here (no value is
    selected, only ``count(*)``); None for an expectation this module cannot count."""
    table = sql.SQL(relation)
    if expectation in ("unexpected_rows_expectation", "unexpected_rows_count_expectation"):
        return _count(cursor, sql.SQL(kwargs["unexpected_rows_query"].format(batch=relation)))
    if expectation == "expect_column_values_to_not_be_null":
        return _count(cursor, sql.SQL("select 1 from {} where {} is null").format(
            table, sql.Identifier(kwargs["column"])))
    if expectation in ("expect_column_values_to_be_unique",
                       "expect_compound_columns_to_be_unique"):
        columns = [sql.Identifier(c) for c in kwargs.get("column_list") or [kwargs["column"]]]
        listed = sql.SQL(", ").join(columns)
        present = sql.SQL(" or ").join(sql.SQL("{} is not null").format(c) for c in columns)
        return _count(cursor, sql.SQL(
            "select 1 from (select count(*) over (partition by {}) as copies from {} "
            "where {}) as keyed where copies > 1").format(listed, table, present))
    if expectation == "expect_column_values_to_be_in_set":
        column = sql.Identifier(kwargs["column"])
        return _count(cursor, sql.SQL(
            "select 1 from {} where {} is not null and not ({} = any({}))").format(
            table, column, column, sql.Literal(list(kwargs["value_set"]))))
    if expectation == "expect_column_values_to_not_match_regex":
        return _count(cursor, sql.SQL("select 1 from {} where {} ~ {}").format(
            table, sql.Identifier(kwargs["column"]), sql.Literal(kwargs["regex"])))
    return None


def _observed(cursor: Any, relation: str | None, rows: int | None, expectation: str,
              kwargs: Mapping[str, Any], success: bool) -> str:
    if expectation == "expect_table_row_count_to_equal" and rows is not None:
        return f"実際 {rows:,} 件（期待 {int(kwargs['value']):,} 件）"
    if relation is None:  # a check across files: a yes/no answer, no rows to count
        return "" if success else "該当あり"
    if success:
        return "不適合 0 行"
    found = unexpected_rows(cursor, relation, expectation, kwargs)
    return "" if found is None else f"不適合 {found:,} 行"


def _part_lines(cursor: Any, relation: str, parts: Sequence[tuple[str, str]],
                success: bool) -> list[Line]:
    """A shared scan's questions, each in its own words: all met when the scan passed,
    else each counted with its own condition (count(*) only, never a value)."""
    lines = []
    for description, condition in parts:
        found = 0 if success else _count(cursor, sql.SQL(f"select 1 from {relation} "
                                                          f"where {condition}"))
        lines.append(Line(description=description, expectation="UnexpectedRowsExpectation",
                          success=found == 0, observed=f"不適合 {found:,} 行"))
    return lines


def collect(result: CheckpointResult, relations: Mapping[str, str],
            parts: Mapping[str, Sequence[tuple[str, str]]] | None = None,
            titles: Mapping[str, str] | None = None) -> list[SuiteResult]:
    """Each suite's expectations in words with their status and counts.

    ``relations`` maps a suite to the table it checked; the ROUND suite, which checks
    across the round's tables, is given no row count. ``parts`` maps the description of a
    shared scan (validation.checks.shared_scans) to its questions, each shown on its own line.
    ``titles`` maps a suite (a file id) to the file's label."""
    parts = parts or {}
    titles = titles or {}
    order = {expectation.id: index
             for definition in result.checkpoint_config.validation_definitions
             for index, expectation in enumerate(definition.suite.expectations)}
    suites = []
    with db.connect() as connection, connection.cursor() as cursor:
        for validation in result.run_results.values():
            name = validation.suite_name
            relation = None if name == ROUND_SUITE else relations[name]
            rows = None
            if relation is not None:
                rows = _count(cursor, sql.SQL("select 1 from {}").format(sql.SQL(relation)))
            lines = []
            for item in sorted(validation.results,
                               key=lambda r: order.get(getattr(r.expectation_config, "id", None), 0)):
                config = item.expectation_config
                if config is None:
                    continue
                success = bool(item.success)
                raised = (item.exception_info or {}).get("raised_exception")
                shared = parts.get(config.description or "")
                if shared and relation is not None and not raised:
                    lines += _part_lines(cursor, relation, shared, success)
                    continue
                if raised:
                    # GX could not run it (its message is not shown: it may quote a value)
                    observed = "検査を実行できませんでした（エラー）"
                else:
                    observed = _observed(cursor, relation, rows, config.type, config.kwargs,
                                         success)
                lines.append(Line(description=config.description or config.type,
                                  expectation=config.type, success=success,
                                  observed=observed))
            lines.sort(key=lambda line: line.success)  # stable: failed first, else in order
            suites.append(SuiteResult(name, rows, tuple(lines), titles.get(name, "")))
    suites.sort(key=lambda s: (s.failed == 0, s.name == ROUND_SUITE, s.name))
    return suites


STYLE = """
@page { size: A4; margin: 15mm 12mm; }
body { font-family: "Noto Sans CJK JP", "Meiryo", "Hiragino Sans", sans-serif; color: #222;
  margin: 1.5em auto; max-width: 60em; line-height: 1.5; font-size: 11pt; }
h1 { font-size: 1.6em; margin: 0 0 .3em; }
h2 { font-size: 1.2em; margin: 1.4em 0 .4em; border-bottom: 2px solid #555; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; margin: .4em 0; }
th, td { border: 1px solid #999; padding: .25em .5em; text-align: left; vertical-align: top;
  word-break: break-all; overflow-wrap: anywhere; }
th { background: #eee; }
.facts th { width: 11em; }
.num { text-align: right; white-space: nowrap; }
.status { width: 5.5em; white-space: nowrap; font-weight: bold; }
.observed { width: 13em; }
.gx { color: #666; font-size: .8em; }
.pass .status, .verdict.pass { color: #155724; }
.fail .status, .verdict.fail { color: #a00; }
tr.fail td { background: #fde8e8; }
.verdict { font-size: 1.3em; font-weight: bold; border: 3px solid currentColor;
  padding: .4em .8em; margin: .6em 0; }
.failures li { color: #a00; }
.note { font-size: .9em; color: #444; }
section { break-inside: auto; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
h2 { break-after: avoid; }
@media print { body { margin: 0; max-width: none; font-size: 9.5pt; }
  tr.fail td { background: none; } a { color: inherit; text-decoration: none; } }
"""


def _e(value: object) -> str:
    return html.escape(str(value))


def summary_line(suites: list[SuiteResult]) -> str:
    total = sum(len(s.lines) for s in suites)
    failed = sum(s.failed for s in suites)
    if not failed:
        return f"合格：検査 {total:,} 件すべて合格しました。"
    where = "、".join(s.name for s in suites if s.failed)
    return (f"不合格：検査 {total:,} 件のうち {failed:,} 件が不合格です（{where}）。"
            "この回次は出力できません。")


def render(facts: RoundFacts, run_time: dt.datetime, suites: list[SuiteResult]) -> str:
    local = run_time.astimezone(JST).replace(microsecond=0)
    written = local.strftime("%Y年%m月%d日 %H時%M分%S秒") + "（日本時間）"
    failed = sum(s.failed for s in suites)
    verdict = "fail" if failed else "pass"
    overview = "".join(
        f"<tr class=\"{'fail' if s.failed else 'pass'}\"><td><a href=\"#{_e(s.name)}\">"
        f"{_e(s.heading)}</a> {_e(s.title)}</td>"
        f"<td class=\"num\">{'—' if s.rows is None else f'{s.rows:,}'}</td>"
        f"<td class=\"num\">{len(s.lines):,}</td><td class=\"num\">{s.failed:,}</td>"
        f"<td class=\"status\">{'✘ 不合格' if s.failed else '✔ 合格'}</td></tr>"
        for s in suites)
    failures = "".join(f"<li>{_e(s.heading)}：{_e(line.description)}"
                       f"{'（' + _e(line.observed) + '）' if line.observed else ''}</li>"
                       for s in suites for line in s.lines if not line.success)
    if failures:
        failures = f"<p>不合格の検査：</p><ol class=\"failures\">{failures}</ol>"
    sections = []
    for s in suites:
        rows = "".join(
            f"<tr class=\"{'pass' if line.success else 'fail'}\">"
            f"<td class=\"status\">{'✔ 合格' if line.success else '✘ 不合格'}</td>"
            f"<td>{_e(line.description)}<br><span class=\"gx\">{_e(line.expectation)}</span></td>"
            f"<td class=\"observed\">{_e(line.observed or '—')}</td></tr>"
            for line in s.lines)
        counted = "" if s.rows is None else f"（{s.rows:,} 行を検査）"
        sections.append(
            f"<section id=\"{_e(s.name)}\"><h2>{_e(s.heading)} {_e(s.title)}{counted} — "
            f"{'不合格 ' + str(s.failed) + ' 件' if s.failed else 'すべて合格'}</h2>"
            "<table><colgroup><col class=\"status\"><col><col class=\"observed\"></colgroup>"
            "<thead><tr><th class=\"status\">結果</th><th>検査の内容</th>"
            "<th class=\"observed\">件数</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></section>")
    return f"""<!doctype html>
<html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>検証結果 {_e(facts.round_id)}</title>
<style>{STYLE}</style></head><body>
<h1>検証結果（セットアップデータ）</h1>
<p class="verdict {verdict}">{_e(summary_line(suites))}</p>
{failures}
<table class="facts">
<tr><th>抽出回次</th><td>{_e(facts.round_id)}{'（本番回次）' if facts.is_production else '（テスト回次）'}</td></tr>
<tr><th>基準日</th><td>{_e(facts.as_of)}</td></tr>
<tr><th>期待世帯数</th><td>{facts.expected_households:,} 世帯</td></tr>
<tr><th>検証した変換（build）</th><td>dbt invocation id <code>{_e(facts.dbt_invocation_id)}</code></td></tr>
<tr><th>検証日時</th><td>{_e(written)}<br><code>{_e(local.isoformat())}</code></td></tr>
<tr><th>検証の方法</th><td>Great Expectations（結果の形式 BOOLEAN_ONLY：行の値は記録していません）</td></tr>
</table>
<p class="note">件数は、このページを作るときに当方で数えた行数です（count(*) のみ）。行の値（氏名・住所など）は
このページにも検証結果にも載せていません。不合格の検査の行は、区職員が <code>migrate.py verify-pack</code> で確認します。</p>
<h2>ファイルごとの結果</h2>
<table><colgroup><col><col style="width:8em"><col style="width:5em"><col style="width:5em"><col class="status"></colgroup>
<thead><tr><th>ファイル</th><th class="num">行数</th><th class="num">検査数</th><th class="num">不合格</th><th class="status">結果</th></tr></thead>
<tbody>{overview}</tbody></table>
{''.join(sections)}
</body></html>
"""


def write(gx_dir: Path, facts: RoundFacts, result: CheckpointResult,
          relations: Mapping[str, str],
          parts: Mapping[str, Sequence[tuple[str, str]]] | None = None,
          titles: Mapping[str, str] | None = None) -> Path:
    """Write the report for this checkpoint run into ``gx_dir``; return its path."""
    page = page_path(gx_dir)
    page.write_text(render(facts, result.run_id.run_time,
                           collect(result, relations, parts, titles)),
                    encoding="utf-8")
    page.chmod(0o600)
    return page
