"""The table registry (var legacy_tables in dbt_project.yml, macros/legacy_tables.sql,
layouts.read_project): each fact about a legacy table is declared once, and every
consumer follows a change made in that one place.

The main test copies the project, changes it in one YAML place per fact, compiles the
models that read the registry with dbt (no build) and checks the compiled SQL and the
Python readers. The other tests hold the registry to the rest of the project without
dbt.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import yaml

from nhi_migration import dbt_runner, layouts, legacy, paths
from nhi_migration.validation import checks

PROJECT = paths.PROJECT_DIR
# The models that read the registry, checked in their compiled form.
CONSUMERS = {
    "accounting": "marts", "exceptions": "marts", "file_totals": "marts",
    "export_records": "export", "vrf_field_values": "verification",
    "vrf_field_pairs": "verification", "vrf_exceptions_by_household": "verification",
}
COPIED = ("dbt_project.yml", "models", "macros", "seeds", "functions", "tests", "analyses",
          "docs", "profiles")


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path.name}: {old!r} is not there exactly once"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _copy_project(folder: Path) -> Path:
    folder.mkdir()
    for name in COPIED:
        source = PROJECT / name
        if source.is_dir():
            shutil.copytree(source, folder / name)
        else:
            shutil.copy2(source, folder / name)
    return folder


def _compile(project: Path) -> Path:
    """dbt compile of the registry's consumers in ``project``; its target folder."""
    target = project / "target"
    result = subprocess.run(
        [dbt_runner.dbt_executable(), "compile", "--project-dir", str(project),
         "--profiles-dir", str(project / "profiles"), "--target-path", str(target),
         "--log-path", str(project / "logs"), "--no-use-colors", "--no-populate-cache",
         "--vars", json.dumps({"round": "REGTST", "as_of": "2017-11-10",
                               "expected_households": 400}),
         "--select", *CONSUMERS],
        cwd=project, env=dbt_runner.dbt_environment(), capture_output=True, text=True,
        check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return target


def _compiled(target: Path) -> dict[str, str]:
    folder = target / "compiled" / "nhi_migration" / "models"
    return {name: (folder / schema / f"{name}.sql").read_text(encoding="utf-8")
            for name, schema in CONSUMERS.items()}


def test_a_change_in_one_yaml_place_reaches_every_consumer(server, tmp_path):
    """Five changes, each made in the one place its fact is declared:

    - the registry entry of SHOBUN (dbt_project.yml): its decision model's key column;
    - CHOTEI's source meta (_legacy__sources.yml): its Japanese name and amount column;
    - JUSHO's column meta (_legacy__sources.yml): its Japanese label;
    - KT080's layout meta (_marts__models.yml): its file id and Japanese label;
    - a new, never-migrated legacy table KYOTEN: its source, its staging model and one
      registry entry.

    Accounting, exceptions, file totals, the export view, the verification views and
    the Python readers (layouts.read_project, the validation gate's checks) all follow.
    """
    project = _copy_project(tmp_path / "project")
    _edit(project / "dbt_project.yml",
          "{source: shobun, decided_by: int_dispositions, key: disposition_key,",
          "{source: shobun, decided_by: int_dispositions, key: disposition_key_renamed,")
    _edit(project / "dbt_project.yml", "    - {source: code_mst}\n",
          "    - {source: code_mst}\n    - {source: kyoten}\n")
    sources = project / "models" / "staging" / "legacy" / "_legacy__sources.yml"
    _edit(sources, "japanese: 期別調定, amount_column: chotei_gaku}",
          "japanese: 期別調定（改称）, amount_column: chotei_kingaku}")
    _edit(sources, "      - name: control\n", """      - name: kyoten
        description: 拠点（KYOTEN.csv）。A table added in the test; never migrated.
        meta: {file: KYOTEN.csv, key: [kyoten_cd], japanese: 拠点}
        columns:
          - name: kyoten_cd
            description: 拠点コード。Office code.
            meta: {label: 拠点コード}
          - name: sakujo_flg
            description: 削除フラグ。Logical deletion flag.
            meta: {label: 削除フラグ}
          - *source_file
          - *source_line

      - name: control
""")
    (project / "models" / "staging" / "legacy" / "stg_legacy__kyoten.sql").write_text(
        "select\n    kyoten_cd as office_code,\n    sakujo_flg = '1' as is_deleted\n"
        "from {{ source('legacy', 'kyoten') }}\n", encoding="utf-8")
    _edit(sources, "meta: {label: 住所, personal: true}",
          "meta: {label: 住所（改称）, personal: true}")
    marts = project / "models" / "marts" / "_marts__models.yml"
    _edit(marts, "file_id: KT080\n        label: 執行停止・不納欠損\n",
          "file_id: KT090\n        label: 執行停止・欠損（改称）\n")

    sql = _compiled(_compile(project))

    # SHOBUN's key column: every model that keys SHOBUN's rows
    for name in ("exceptions", "vrf_field_values", "vrf_field_pairs",
                 "vrf_exceptions_by_household"):
        assert ".disposition_key_renamed" in sql[name], name
        assert not re.search(r"\.disposition_key\b", sql[name]), name
    # CHOTEI's amount column: the accounting's measure
    assert "'AMOUNT:CHOTEI_KINGAKU'" in sql["accounting"]
    assert "AMOUNT:CHOTEI_GAKU" not in sql["accounting"]
    # KT080 is now KT090: the file totals, the records, the verification views
    for name in ("file_totals", "export_records", "vrf_field_values", "vrf_field_pairs"):
        assert "'KT090'" in sql[name], name
        assert "KT080" not in sql[name], name
    # KYOTEN: counted in the accounting, after CODE_MST (row 12), as never migrated
    assert re.search(r"13 as row_order,\s*'KYOTEN' as table_name", sql["accounting"])
    assert '"stg_legacy__kyoten"' in sql["accounting"]
    assert "KYOTEN" not in sql["exceptions"]  # no decision model: nothing to report
    # JUSHO's label (its source column's meta): the staff workbook's legacy column name
    # (its legacy-column rows are numbered from 101; rows from 1 are the setup fields)
    assert re.search(r"\b1\d\d, '住所（改称）', 'JUSHO'", sql["vrf_field_pairs"])
    assert not re.search(r"\b1\d\d, '住所', 'JUSHO'", sql["vrf_field_pairs"])

    registry = layouts.read_project(project / "target" / "manifest.json", project_dir=project)
    tables = {t.table_name: t for t in registry.tables}
    assert tables["SHOBUN"].key == "disposition_key_renamed"
    assert tables["CHOTEI"].label == "期別調定（改称）"
    assert tables["CHOTEI"].amount_measure == "AMOUNT:CHOTEI_KINGAKU"
    assert list(tables)[-1] == "KYOTEN" and tables["KYOTEN"].decided_by is None
    kt090 = registry.layout_of("kt080_dispositions")
    assert (kt090.file_id, kt090.label) == ("KT090", "執行停止・欠損（改称）")
    assert [r.table for r in kt090.legacy_rows] == ["SHOBUN"]
    facts = checks.RoundFacts("REGTST", "2017-11-10", 400, False, "")
    descriptions = [c.description for c in checks.cross_checks(registry, facts)]
    assert "KT090 の件数 = SHOBUN の抽出件数表の件数 − 除外した件数（§6）" in descriptions
    assert not any("KT080" in d for d in descriptions)


def test_the_registry_names_every_dump_table_once_in_the_dumps_order():
    """The registry's tables are the dump's data tables (legacy-extract.md §1, as the
    sources declare them), each once, in the same order: ACCOUNTING.csv's row order."""
    registry = _yaml(PROJECT / "dbt_project.yml")["vars"]["legacy_tables"]
    assert [e["source"] for e in registry] == [t.name for t in legacy.data_tables()]


def test_every_setup_file_and_its_legacy_rows_are_in_the_registry():
    """Each mart with a layout is the setup file of exactly one registry entry; each model
    its legacy_rows names decides a registry table; each field's legacy_columns are
    columns of the dump table whose rows the file holds; each file's exposure is labelled
    with the file's label."""
    registry = _yaml(PROJECT / "dbt_project.yml")["vars"]["legacy_tables"]
    by_file = {e["setup_file"]: e for e in registry if e.get("setup_file")}
    decided = {e["decided_by"] for e in registry if e.get("decided_by")}
    dump = {t.name: set(t.columns) for t in legacy.data_tables()}
    marts = _yaml(PROJECT / "models" / "marts" / "_marts__models.yml")["models"]
    labels = {}
    for model in marts:
        meta = (model.get("config") or {}).get("meta") or {}
        if "file_id" not in meta:
            continue
        assert model["name"] in by_file, f"{model['name']}: no registry entry has it as setup_file"
        assert {r["model"] for r in meta["legacy_rows"]} <= decided, model["name"]
        assert meta["legacy_rows"][0]["model"] == by_file[model["name"]]["decided_by"]
        source_columns = dump[by_file[model["name"]]["source"]]
        for column in model["columns"]:
            named = set((column.get("meta") or {}).get("legacy_columns", []))
            assert named <= source_columns, (model["name"], column["name"], named - source_columns)
        labels[meta["file_id"]] = meta["label"]
    assert len(labels) == len(by_file) == 8
    exposures = _yaml(PROJECT / "models" / "marts" / "_marts__exposures.yml")["exposures"]
    shown = {e["label"].split(".dat ")[0]: e["label"].split(".dat ")[1]
             for e in exposures if ".dat " in e["label"]}
    assert shown == labels


def test_no_second_hand_kept_list_of_the_tables():
    """No model, macro or Python module lists the legacy tables, their decision models,
    the marts or the file ids again (a file naming six or more of one kind is a list);
    dbt_project.yml's var legacy_tables is the list."""
    kinds = {
        "legacy tables (quoted)": [f"'{t.table_name}'" for t in legacy.data_tables()]
                                  + [f'"{t.table_name}"' for t in legacy.data_tables()],
        "decision models": [e["decided_by"] for e in
                            _yaml(PROJECT / "dbt_project.yml")["vars"]["legacy_tables"]
                            if e.get("decided_by")],
        "marts": [e["setup_file"] for e in
                  _yaml(PROJECT / "dbt_project.yml")["vars"]["legacy_tables"]
                  if e.get("setup_file")],
        "file ids": [f"KT0{n}0" for n in range(1, 9)],
    }
    files = [*PROJECT.glob("models/**/*.sql"), *PROJECT.glob("macros/**/*.sql"),
             *PROJECT.glob("tests/*.sql"), *PROJECT.glob("analyses/*.sql"),
             *(PROJECT / "scripts" / "nhi_migration").glob("*.py")]
    assert len(files) > 60
    lists = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        for kind, names in kinds.items():
            found = {n.strip("'\"") for n in names
                     if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text)}
            if len(found) >= 6:
                lists.append(f"{path.relative_to(PROJECT)}: {kind} {sorted(found)}")
    assert lists == []


def test_every_dump_column_has_its_japanese_label_in_meta():
    """The staff workbook names each legacy column by its meta label (never by a piece of
    its description's prose)."""
    sources = yaml.safe_load((paths.PROJECT_DIR / "models" / "staging" / "legacy"
                              / "_legacy__sources.yml").read_text(encoding="utf-8"))
    unlabelled = [f"{table['name']}.{column['name']}"
                  for table in sources["sources"][0]["tables"]
                  for column in table.get("columns", [])
                  if not column["name"].startswith("_")
                  and not (column.get("meta") or {}).get("label")]
    assert unlabelled == []
