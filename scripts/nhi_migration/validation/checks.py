"""Every question of the gate, one Check each, from the layouts and tables in dbt's
manifest (layouts.Project), the round's facts, the code sets and §2's field rules; and
the per-row checks of each mart shared as one scan. Pure: no database, no GX until a
Check is built into its expectation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import layouts


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
        """The GX expectation; an UnexpectedRowsExpectation is built as its one-query
        subclass (one_query.py: the count alone, not the rows and then the count)."""
        import great_expectations as gx

        from .one_query import IN_PLACE_OF

        kind = IN_PLACE_OF.get(self.expectation) or getattr(gx.expectations, self.expectation)
        return kind(description=self.description, **self.arguments)


@dataclass(frozen=True)
class RoundFacts:
    """The round as the CLI names it; is_production as the build decided (round_parameters)."""

    round_id: str
    as_of: str
    expected_households: int
    is_production: bool
    dbt_invocation_id: str


FieldRules = dict[tuple[str, str], str]  # (file_id, field) -> SQL true for a misfit


def row_condition(check: Check) -> str | None:
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
    then names each failing part with its own description (database.failing_parts)."""
    relations = {layout.file_id: layout.relation for layout in project.layouts}
    shared: dict[str, list[tuple[str, str]]] = {}
    result: list[Check] = []
    for check in checks:
        condition = row_condition(check) if check.asset in relations else None
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
        # One row per key held by more than one row (NULL keys are one key, as in GROUP
        # BY), found by one sort of the key: a GROUP BY of it hashes KT030's 1.6 million
        # keys, spills and takes three times as long; GX's own uniqueness expectations
        # join the mart to its key counts, slower still. The description is unchanged.
        key_list = ", ".join(f'"{k}"' for k in layout.key)
        checks.append(Check(
            fid, (f"{fid} のキー {layout.key[0]} が一意" if len(layout.key) == 1
                  else f"{fid} のキー ({', '.join(layout.key)}) が一意"),
            "UnexpectedRowsExpectation",
            {"unexpected_rows_query":
             "select 1 from (select row_number() over w as copy, count(*) over w as copies "
             f"from {{batch}} window w as (partition by {key_list})) as keyed "
             "where copy = 1 and copies > 1"}))
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
    checks.extend(cross_checks(project, arguments))
    return checks


def cross_checks(project: layouts.Project, arguments: RoundFacts) -> list[Check]:
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
