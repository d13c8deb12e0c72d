"""The validation gate: Great Expectations suites over one build's marts.

One suite per setup layout (keys, widths in CP932 bytes, code sets, dates, identities)
and one across layouts (households of KT020–KT080 in KT010, accounting balanced, file
totals equal to the legacy control totals net of what the accounting excluded, the
round's parameters, and no unmapped gaiji in a production round). The suites are built
from the layouts in dbt's manifest and run by one checkpoint; its results are written for
staff as one Japanese page that needs no network (validation_report.py), in place of
GX's Data Docs, which load their scripts from a CDN.

Privacy: every result is BOOLEAN_ONLY (no row values), the row queries select only a
constant and a guard refuses one that would select a column tagged personal in the
project's YAML (guard_row_queries), GX's usage statistics are off, and the staff report holds descriptions, pass or
fail and counts only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

os.environ["GX_ANALYTICS_ENABLED"] = "False"  # whatever the user's own setting says

from psycopg2 import sql  # noqa: E402

from . import db, layouts, refused, validation_report  # noqa: E402

RESULT_FORMAT = {"result_format": "BOOLEAN_ONLY"}
GX_URL_VARIABLE = "NHI_GX_CONNECTION"


@dataclass(frozen=True)
class Check:
    """One expectation: the suite (asset) it belongs to, a staff-readable description, and
    the GX expectation class name with its arguments. A check that shares one scan of a
    mart among several questions lists them in ``parts``: (description, SQL condition
    true for a failing row); when it fails, each part that fails is named on its own."""

    asset: str
    description: str
    expectation: str
    arguments: dict
    parts: tuple[tuple[str, str], ...] = ()
    relation: str = ""

    def build(self) -> Any:
        import great_expectations as gx

        return getattr(gx.expectations, self.expectation)(description=self.description,
                                                          **self.arguments)


@dataclass
class ValidationReport:
    success: bool
    evaluated: int
    failed: list[str] = field(default_factory=list)
    page: Path | None = None  # the staff report (validation_report.py)


@dataclass(frozen=True)
class RoundFacts:
    """The round as the CLI names it; is_production as the build decided (round_parameters)."""

    round_id: str
    as_of: str
    expected_households: int
    is_production: bool
    dbt_invocation_id: str


class PersonalDataInQuery(refused.Refused):
    """A row query of the gate would select a column tagged personal (column names only)."""


_SELECT_LIST = re.compile(r"\s*select\s+(?P<list>.*?)\s+from\s", re.IGNORECASE | re.DOTALL)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\*")


def guard_row_queries(checks: list[Check], personal_names: frozenset[str]) -> None:
    """Row queries must never select personal values: GX fetches the rows an
    UnexpectedRowsExpectation's query returns, so what it selects is what a result format
    other than BOOLEAN_ONLY would keep. Each query's select list may name no column tagged
    ``meta: {personal: true}`` anywhere in the project (layouts.personal_columns) and no
    ``*``; the gate's own queries select the constant 1."""
    for check in checks:
        query = check.arguments.get("unexpected_rows_query")
        if query is None:
            continue
        match = _SELECT_LIST.match(query)
        words = set(_WORD.findall(match.group("list"))) if match else {"*"}
        selected = sorted(w for w in words if w == "*" or w.lower() in personal_names)
        if selected:
            raise PersonalDataInQuery(
                f"the validation gate's row query of {check.asset} would select "
                f"{', '.join(selected)} (personal data, or every column); "
                "a row query selects a constant (validate.py)")


def round_facts(project: layouts.Project) -> RoundFacts:
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(sql.SQL(
            "select round_id, as_of::text, expected_households, is_production, "
            "dbt_invocation_id from {}").format(sql.SQL(project.relations["round_parameters"])))
        return RoundFacts(*db.fetch_one(cursor))


def _code_sets(seeds_schema: str) -> dict[str, list[str]]:
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(sql.SQL("select legacy_kind, new_code from {}.code_map").format(
            sql.Identifier(seeds_schema)))
        sets: dict[str, set[str]] = {}
        for kind, code in cursor.fetchall():
            sets.setdefault(kind, {""}).add(code)
    return {kind: sorted(codes) for kind, codes in sets.items()}


FieldRules = dict[tuple[str, str], str]  # (file_id, field) -> SQL true for a misfit


def field_rules(project: layouts.Project) -> FieldRules:
    """§2's field rules for this build: for each layout field, the SQL condition true for
    a value that does not fit it (no braces: GX formats its queries), as the view
    layout_field_rules holds them. The macro layout_field_misfit writes them there and in
    the record builder: this module and overflow.py keep no copy. A field without a rule
    stops the gate (a view from another build)."""
    with db.connect() as connection, connection.cursor() as cursor:
        cursor.execute(sql.SQL("select file_id, field_name, misfit_condition from {}").format(
            sql.SQL(project.relations["layout_field_rules"])))
        rules: FieldRules = {(file_id, name): condition
                             for file_id, name, condition in cursor.fetchall()}
    missing = [f"{layout.file_id}.{f.name}" for layout in project.layouts for f in layout.fields
               if (layout.file_id, f.name) not in rules]
    if missing:
        raise ValueError("layout_field_rules has no rule for " + ", ".join(missing))
    return rules


def _row_condition(check: Check) -> str | None:
    """The failing-row condition of a per-row check on one mart, or None for a check that
    is not one (uniqueness, row count, a production round's 〓 check, a cross check)."""
    column = f'"{check.arguments.get("column", "")}"'
    if check.expectation == "UnexpectedRowsExpectation":
        prefix = "select 1 from {batch} where "
        query = check.arguments["unexpected_rows_query"]
        return query[len(prefix):] if query.startswith(prefix) else None
    if check.expectation == "ExpectColumnValuesToNotBeNull":
        return f"{column} is null"
    if check.expectation == "ExpectColumnValuesToBeInSet":
        listed = ", ".join("'" + v.replace("'", "''") + "'" for v in check.arguments["value_set"])
        return f"{column} is not null and {column} not in ({listed})"
    return None


def shared_scans(checks: list[Check], project: layouts.Project) -> list[Check]:
    """The per-row checks of each mart (keys not empty, every field fits, codes are new
    codes, KT030's identities) as one expectation that reads the mart once; the others
    as they are. The shared expectation fails when any of its parts does, and the gate
    then names each failing part with its own description (see failing_parts)."""
    relations = {layout.file_id: layout.relation for layout in project.layouts}
    shared: dict[str, list[tuple[str, str]]] = {}
    result: list[Check] = []
    for check in checks:
        condition = _row_condition(check) if check.asset in relations else None
        if condition is None:
            result.append(check)
        else:
            shared.setdefault(check.asset, []).append((check.description, condition))
    for asset, parts in shared.items():
        where = " or ".join(f"({condition})" for _, condition in parts)
        result.append(Check(
            asset, f"{asset} の各行が {len(parts)} の規則を満たす（キーが空でない、各項目が §2 の型と桁に"
                   "収まる、コードは新コード（§3）、KT030 は §5 の恒等式）。1 回の読み取りで確かめ、"
                   "満たさない規則は名前を挙げる",
            "UnexpectedRowsExpectation",
            {"unexpected_rows_query": f"select 1 from {{batch}} where {where}"},
            parts=tuple(parts), relation=relations[asset]))
    return result


def failing_parts(check: Check) -> list[str]:
    """The descriptions of the parts of a failed shared check that fail (one query each,
    run only after a failure)."""
    failing = []
    with db.connect() as connection, connection.cursor() as cursor:
        for description, condition in check.parts:
            cursor.execute(f"select exists (select 1 from {check.relation} where {condition})")
            if db.fetch_one(cursor)[0]:
                failing.append(description)
    return failing or [check.description]


def build_checks(project: layouts.Project, arguments: RoundFacts,
                 code_sets: dict[str, list[str]], rules: FieldRules) -> list[Check]:
    """Every question of the gate, one Check each (run_gate shares the scans)."""
    checks: list[Check] = []
    for layout in project.layouts:
        fid = layout.file_id
        if fid == "KT010":
            checks.append(Check(fid, f"KT010 の件数 = 期待世帯数 {arguments.expected_households:,}"
                                     "（§1 expected households）",
                                "ExpectTableRowCountToEqual",
                                {"value": arguments.expected_households}))
        # One GROUP BY of the key (GX's own uniqueness expectations join the mart to its
        # key counts, several times slower on KT030); the description is unchanged.
        key_list = ", ".join(f'"{k}"' for k in layout.key)
        checks.append(Check(
            fid, (f"{fid} のキー {layout.key[0]} が一意" if len(layout.key) == 1
                  else f"{fid} のキー ({', '.join(layout.key)}) が一意"),
            "UnexpectedRowsExpectation",
            {"unexpected_rows_query":
             f"select 1 from {{batch}} group by {key_list} having count(*) > 1"}))
        for key in layout.key:
            checks.append(Check(fid, f"{fid}.{key} が空でない",
                                "ExpectColumnValuesToNotBeNull", {"column": key}))
        for f in layout.fields:
            kind = {"X": "半角 ASCII", "N": "CP932 のバイト数", "9": "0 以上の桁数",
                    "S9": "符号付きの桁数"}[f.type]
            if f.data_type == "date":
                kind = "実在する日付 YYYYMMDD"
            checks.append(Check(
                fid, f"{fid}.{f.name}（{f.item}）が {f.type}({f.width}) に収まる（{kind}、§2）",
                "UnexpectedRowsExpectation",
                {"unexpected_rows_query":
                 f"select 1 from {{batch}} where {rules[(fid, f.name)]}"}))
            if f.type == "N" and arguments.is_production:
                checks.append(Check(
                    fid, f"本番回次：{fid}.{f.name}（{f.item}）に未登録の外字（〓）がない（§4）",
                    "ExpectColumnValuesToNotMatchRegex", {"column": f.name, "regex": "〓"}))
            if f.code_kind:
                checks.append(Check(
                    fid, f"{fid}.{f.name}（{f.item}）が新コード（{f.code_kind}、§3）",
                    "ExpectColumnValuesToBeInSet",
                    {"column": f.name, "value_set": code_sets.get(f.code_kind, [""])}))
        if fid != "KT010":
            # A household number in KT010: NOT IN over KT010's numbers is one hashed
            # look-up per row, so this shares the mart's scan (a NULL number fails too).
            kt010 = next(lay for lay in project.layouts if lay.file_id == "KT010").relation
            checks.append(Check(
                fid, f"{fid} の世帯番号がすべて KT010 にある", "UnexpectedRowsExpectation",
                {"unexpected_rows_query":
                 f'select 1 from {{batch}} where "household_no" is null or "household_no" '
                 f"not in (select h.household_no from {kt010} as h "
                 "where h.household_no is not null)"}))
        if fid == "KT030":
            for identity in ("assessed_amount <> medical_amount + support_amount + care_amount",
                             "assessed_amount - paid_amount - written_off_amount "
                             "<> unpaid_amount - overpaid_amount"):
                checks.append(Check(
                    fid, f"KT030 の恒等式（§5）: not ({identity})", "UnexpectedRowsExpectation",
                    {"unexpected_rows_query": f"select 1 from {{batch}} where {identity}"}))
    checks.extend(_cross_checks(project, arguments))
    return checks


def _cross_checks(project: layouts.Project, arguments: RoundFacts) -> list[Check]:
    rel = project.relations
    checks = []

    def rows_check(description: str, failing_rows: str) -> None:
        """Fails when ``failing_rows`` (a query across the round's tables) returns a row.
        GX aliases the batch itself unless the query holds a join, so none does."""
        assert " join " not in failing_rows
        query = f"select 1 from {{batch}} where exists ({failing_rows})"
        checks.append(Check("ROUND", description, "UnexpectedRowsExpectation",
                            {"unexpected_rows_query": query}))

    checks.append(Check(
        "ROUND", f"この build の回次・基準日・期待世帯数が今回の指定（{arguments.round_id}、"
                 f"{arguments.as_of}、{arguments.expected_households}）と同じ",
        "UnexpectedRowsExpectation",
        {"unexpected_rows_query":
         f"select 1 from {{batch}} where round_id <> '{arguments.round_id}' "
         f"or as_of <> date '{arguments.as_of}' "
         f"or expected_households <> {arguments.expected_households}"}))
    rows_check("件数突合（ACCOUNTING）がすべて一致（§6）",
               f"select 1 from {rel['accounting']} as a where a.balanced <> 'Y'")
    def control_net(table: str, measure: str) -> str:
        """The legacy control figure net of everything the accounting excluded."""
        return (f"(select a.control_value - a.excluded from {rel['accounting']} as a "
                f"where a.table_name = '{table}' and a.measure = '{measure}')")

    # each setup file holds the migrated rows of one legacy table (the table registry)
    for table in project.tables:
        if table.setup_file is None:
            continue
        fid = project.layout_of(table.setup_file).file_id
        rows_check(
            f"{fid} の件数 = {table.table_name} の抽出件数表の件数 − 除外した件数（§6）",
            f"select 1 from {rel['file_totals']} as t where t.file_id = '{fid}' "
            f"and t.{table.counted_by} is distinct from {control_net(table.table_name, 'RECORDS')}")
    rows_check(
        "KT040 の保険料額合計 = SHUNO の抽出件数表の金額 − 除外した金額（§6）",
        f"select 1 from {rel['file_totals']} as t where t.file_id = 'KT040' "
        f"and t.premium_total is distinct from {control_net('SHUNO', 'AMOUNT:HONRYO_GAKU')}")
    rows_check(
        "KT030 の調定額合計 = CHOTEI の抽出件数表の金額 − 除外した金額 − 調定額の不一致の差（§5, §6）",
        f"select 1 from {rel['file_totals']} as t where t.file_id = 'KT030' "
        f"and t.assessed_total is distinct from {control_net('CHOTEI', 'AMOUNT:CHOTEI_GAKU')} "
        f"- (select coalesce(sum(p.recorded_amount - p.assessed_amount), 0) "
        f"from {rel['int_period_amounts']} as p)")
    if arguments.is_production:
        rows_check("本番回次：未登録の外字がない（§4）",
                   f"select 1 from {rel['exceptions']} as e where e.category = 'GAIJI_UNMAPPED'")
    return checks


def _connection_url() -> str:
    """SQLAlchemy URL from the libpq variables (the password stays in PGPASSWORD)."""
    user = quote(os.environ.get("PGUSER", ""), safe="")
    database = quote(os.environ.get("PGDATABASE", ""), safe="")
    host = os.environ.get("PGHOST", "localhost")
    port = os.environ.get("PGPORT", "5432")
    return f"postgresql+psycopg2://{user}@/{database}?host={quote(host, safe='/')}&port={port}"


def run_gate(project: layouts.Project, arguments: RoundFacts, gx_dir: Path,
             progress: Callable[[str], None]) -> ValidationReport:
    """Build the suites for this build, run the checkpoint, write the staff report."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    marts_schema = project.layouts[0].schema
    seeds_schema = marts_schema.rsplit("_", 1)[0] + "_seeds"
    checks = shared_scans(build_checks(project, arguments, _code_sets(seeds_schema),
                                       field_rules(project)), project)
    guard_row_queries(checks, project.personal_names)
    if gx_dir.exists():
        shutil.rmtree(gx_dir)
    gx_dir.mkdir(parents=True, mode=0o700)
    os.environ[GX_URL_VARIABLE] = _connection_url()
    context = gx.get_context(mode="file", project_root_dir=str(gx_dir))
    context.enable_analytics(False)
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.variables.save()
    source = context.data_sources.add_postgres(name="nhi", connection_string="${%s}" % GX_URL_VARIABLE)
    assets = {layout.file_id: (layout.schema, layout.model) for layout in project.layouts}
    assets["ROUND"] = (marts_schema, "round_parameters")
    definitions = []
    for name, (schema, table) in assets.items():
        asset = source.add_table_asset(name=name, table_name=table, schema_name=schema)
        batch = asset.add_batch_definition_whole_table("whole_table")
        suite = gx.ExpectationSuite(name=name)
        for check in (c for c in checks if c.asset == name):
            suite.add_expectation(check.build())
        suite = context.suites.add(suite)
        definitions.append(context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch, suite=suite)))
    checkpoint = context.checkpoints.add(gx.Checkpoint(
        name=f"round_{arguments.round_id}", validation_definitions=definitions,
        actions=[], result_format=RESULT_FORMAT))  # no Data Docs: the staff report instead
    progress(f"  {len(checks)} expectations in {len(definitions)} suites …")
    result = checkpoint.run()
    report = ValidationReport(success=bool(result.success), evaluated=0)
    by_description = {check.description: check for check in checks}
    for validation in result.run_results.values():
        for item in validation.results:
            report.evaluated += 1
            config = item.expectation_config
            if not item.success and config is not None:
                failed = by_description.get(config.description or "")
                if failed is not None and failed.parts:
                    report.failed.extend(failing_parts(failed))
                else:
                    report.failed.append(config.description or config.type)
            elif not item.success:
                report.failed.append("an expectation without its configuration")
    relations = {name: f'"{schema}"."{table}"' for name, (schema, table) in assets.items()}
    shared = {check.description: check.parts for check in checks if check.parts}
    titles = {layout.file_id: layout.label for layout in project.layouts}
    report.page = validation_report.write(gx_dir, arguments, result, relations, shared, titles)
    return report


def write_receipt(path: Path, facts: RoundFacts, report: ValidationReport,
                  fingerprint: dict[str, str]) -> None:
    """What the exporter checks: this validation passed for this very build."""
    path.write_text(json.dumps({
        "round": facts.round_id,
        "dbt_invocation_id": facts.dbt_invocation_id,
        "relations": fingerprint,
        "success": report.success,
        "expectations_evaluated": report.evaluated,
        "expectations_failed": len(report.failed),
    }, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def relation_fingerprint(project: layouts.Project) -> dict[str, str]:
    """What every mart holds, as a count and a sum of row hashes (about a second for the
    largest at the default size): a rebuild or an edit after the validation changes it."""
    marts_schema = project.layouts[0].schema
    result = {}
    with db.connect() as connection, connection.cursor() as cursor:
        for name, relation in sorted(project.relations.items()):
            if not relation.startswith(f'"{marts_schema}".'):
                continue
            cursor.execute(sql.SQL(
                "select count(*)::text || ':' || coalesce(sum(hashtextextended(t::text, 0)), 0)"
                "::text from {} as t").format(sql.SQL(relation)))
            result[name] = db.fetch_one(cursor)[0]
    return result
