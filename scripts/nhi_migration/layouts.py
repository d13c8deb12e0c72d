"""The setup-file layouts and the table registry as the dbt project declares them
(setup-layouts.md §6, §8).

Each mart declares its layout once, in its YAML meta; the table registry (which legacy
tables there are, the model that decides each one's rows, its key and amount columns, the
setup file its migrated rows go to) is var ``legacy_tables`` in ``dbt_project.yml``, each
entry completed from its source's meta in ``_legacy__sources.yml``. The exporter, the
validation gate, the comparison and the tests read both through this module, the layouts
and the sources from ``target/manifest.json``: there is no second copy of either in
Python. (The SQL side reads the same: macros/legacy_tables.sql, macros/layout_record.sql.)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from .paths import PROJECT_DIR


@dataclass(frozen=True)
class Field:
    name: str  # column of the mart, e.g. household_no
    item: str  # 項目名, e.g. 世帯番号
    type: str  # X, 9, S9 or N
    width: int  # bytes
    position: int  # 1-based byte position in the record
    data_type: str  # the mart column's SQL type (date fields are written YYYYMMDD)
    code_kind: str | None  # legacy code kind for a mapped code column
    personal: bool = False  # tagged meta: {personal: true} (names, address, phone …)


@dataclass(frozen=True)
class TrailerFigure:
    item: str
    figure: str  # column of file_totals
    type: str
    width: int


@dataclass(frozen=True)
class LegacyRows:
    """Legacy rows a record is made from (a mart's meta ``legacy_rows``): the migrated
    rows of ``model`` whose ``join`` columns equal the record's key."""

    model: str  # intermediate model, e.g. int_payments
    table: str  # legacy table, e.g. SHUNO
    key: str  # the legacy key column as the dump names it, e.g. SHUNO_ID
    id: str  # the model's column holding that key
    on: tuple[tuple[str, str], ...]  # (mart column, model column)


@dataclass(frozen=True)
class RegisteredTable:
    """One entry of the table registry (var legacy_tables), completed from its source."""

    source: str  # the source table, e.g. setai (its staging model: stg_legacy__setai)
    table_name: str  # as _CONTROL, ACCOUNTING.csv and EXCEPTIONS.csv name it: SETAI
    label: str  # its Japanese name (source meta japanese), e.g. 世帯
    legacy_key: str  # the dump's key column, e.g. SETAI_NO
    decided_by: str | None  # the model giving each row its outcome; None: never migrated
    key: str | None  # that model's column holding the legacy key
    amount: str | None  # the staged and decided column _CONTROL totals
    amount_measure: str | None  # ACCOUNTING.csv's measure for it, e.g. AMOUNT:CHOTEI_GAKU
    setup_file: str | None  # the mart holding its migrated rows
    counted_by: str  # the file_totals figure counting them

    @property
    def staging(self) -> str:
        return f"stg_legacy__{self.source}"


@dataclass(frozen=True)
class Layout:
    file_id: str
    model: str
    schema: str
    relation: str  # schema-qualified, quoted
    record_length: int
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    trailer: tuple[TrailerFigure, ...]
    legacy_rows: tuple[LegacyRows, ...] = ()
    label: str = ""  # the file's Japanese name (model meta label), e.g. 滞納世帯

    @property
    def file_name(self) -> str:
        return f"{self.file_id}.dat"


@dataclass(frozen=True)
class CsvOutput:
    """A package CSV written from a model (EXCEPTIONS.csv, ACCOUNTING.csv)."""

    file_name: str
    relation: str
    columns: tuple[str, ...]
    headers: tuple[str, ...]
    order_by: tuple[str, ...]


@dataclass(frozen=True)
class Project:
    """What the exporter and the gate need from one build's manifest."""

    layouts: tuple[Layout, ...]
    csv_outputs: tuple[CsvOutput, ...]
    relations: dict[str, str]  # model name -> schema-qualified relation
    control_headers: tuple[tuple[str, str], ...]  # (file_totals column, KT000 header)
    dbt_version: str
    project_checksum: str
    tables: tuple[RegisteredTable, ...] = ()  # the table registry, in its order
    # model or source ("legacy.setai") -> its columns tagged meta: {personal: true}
    personal: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)

    @property
    def personal_names(self) -> frozenset[str]:
        """Every column name tagged personal anywhere in the project."""
        return frozenset(name for columns in self.personal.values() for name in columns)

    def layout_of(self, model: str) -> Layout:
        return next(layout for layout in self.layouts if layout.model == model)

    @property
    def households(self) -> Layout:
        """The file of the households: the setup file of the table keyed by SETAI_NO."""
        (table,) = [t for t in self.tables if t.legacy_key == "SETAI_NO" and t.setup_file]
        assert table.setup_file is not None
        return self.layout_of(table.setup_file)


def _relation(node: dict) -> str:
    return f'"{node["schema"]}"."{node["alias"]}"'


def _meta(item: dict) -> dict:
    return item.get("meta") or item.get("config", {}).get("meta") or {}


def personal_columns(manifest: dict) -> dict[str, tuple[str, ...]]:
    """The columns tagged ``meta: {personal: true}`` in the project's models and sources,
    by model name or ``source.table``: the one list of what is personal data, declared
    beside the data in the YAML. The gate's row-query guard, the staff workbook and the
    privacy tests read it from here."""
    result: dict[str, tuple[str, ...]] = {}
    items = [(n["name"], n) for n in manifest["nodes"].values()
             if n["resource_type"] == "model" and n["package_name"] == "nhi_migration"]
    items += [(f'{s["source_name"]}.{s["name"]}', s) for s in manifest.get("sources", {}).values()
              if s["package_name"] == "nhi_migration"]
    for name, node in sorted(items):
        tagged = tuple(c["name"] for c in node["columns"].values()
                       if _meta(c).get("personal") is True)
        if tagged:
            result[name] = tagged
    return result


def read_registry(manifest: dict, project_dir: Path = PROJECT_DIR) -> tuple[RegisteredTable, ...]:
    """The table registry: var legacy_tables of ``project_dir``'s dbt_project.yml, each
    entry completed from its source's meta in the manifest (as macros/legacy_tables.sql
    does)."""
    project = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    sources = {n["name"]: n for n in manifest["sources"].values()
               if n["source_name"] == "legacy" and n["package_name"] == "nhi_migration"}
    tables = []
    for entry in project["vars"]["legacy_tables"]:
        meta = _meta(sources[entry["source"]])
        amount_column = meta.get("amount_column")
        tables.append(RegisteredTable(
            source=entry["source"], table_name=entry["source"].upper(),
            label=meta.get("japanese", ""), legacy_key=meta["key"][0].upper(),
            decided_by=entry.get("decided_by"), key=entry.get("key"),
            amount=entry.get("amount"),
            amount_measure=(f"AMOUNT:{amount_column.upper()}"
                            if entry.get("amount") and amount_column else None),
            setup_file=entry.get("setup_file"),
            counted_by=entry.get("counted_by", "record_count")))
    return tuple(tables)


def read_project(manifest_path: Path, project_dir: Path = PROJECT_DIR) -> Project:
    """Read the layouts, the table registry and the package outputs of the project from a
    dbt manifest (and the registry's var from ``project_dir``)."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    models = {n["name"]: n for n in manifest["nodes"].values()
              if n["resource_type"] == "model" and n["package_name"] == "nhi_migration"}
    tables = read_registry(manifest, project_dir)
    decided = {t.decided_by: t for t in tables if t.decided_by}
    layouts = []
    csv_outputs = []
    for name, node in sorted(models.items()):
        meta = _meta(node)
        if "file_id" in meta:
            fields = []
            for column in node["columns"].values():
                column_meta = _meta(column)
                if "width" not in column_meta:
                    continue
                fields.append(Field(
                    name=column["name"], item=column_meta["item"],
                    type=str(column_meta["type"]), width=int(column_meta["width"]),
                    position=int(column_meta["position"]),
                    data_type=(column.get("data_type") or "").lower(),
                    code_kind=column_meta.get("code_kind"),
                    personal=column_meta.get("personal") is True))
            layouts.append(Layout(
                file_id=meta["file_id"], model=name, schema=node["schema"],
                relation=_relation(node), record_length=int(meta["record_length"]),
                key=tuple(meta["key"]), fields=tuple(fields),
                trailer=tuple(TrailerFigure(item=t["item"], figure=t["figure"],
                                            type=str(t["type"]), width=int(t["width"]))
                              for t in meta["trailer"]),
                legacy_rows=tuple(LegacyRows(model=r["model"], table=decided[r["model"]].table_name,
                                             key=decided[r["model"]].legacy_key, id=r["id"],
                                             on=tuple(r["join"].items()))
                                  for r in meta.get("legacy_rows", [])),
                label=meta.get("label", "")))
        if "csv_file" in meta:
            columns = [c for c in node["columns"].values() if "csv_header" in _meta(c)]
            csv_outputs.append(CsvOutput(
                file_name=meta["csv_file"], relation=_relation(node),
                columns=tuple(c["name"] for c in columns),
                headers=tuple(_meta(c)["csv_header"] for c in columns),
                order_by=tuple(meta["order_by"])))
    totals = models["file_totals"]
    control_headers = tuple((c["name"], _meta(c)["control_header"])
                            for c in totals["columns"].values() if "control_header" in _meta(c))
    checksum_source = "".join(sorted(n["checksum"]["checksum"] for n in models.values()))
    return Project(
        layouts=tuple(sorted(layouts, key=lambda layout: layout.file_id)),
        csv_outputs=tuple(csv_outputs),
        relations={name: _relation(node) for name, node in models.items()},
        control_headers=control_headers,
        dbt_version=manifest["metadata"]["dbt_version"],
        project_checksum=hashlib.sha256(checksum_source.encode()).hexdigest(),
        tables=tables,
        personal=personal_columns(manifest),
    )


def check_layout(layout: Layout) -> None:
    """The declared positions tile the record exactly, in the order the fields are written
    (YAML order, as layout_record.sql writes them): a typo or a swapped column stops the
    export."""
    position = 1
    for field in layout.fields:
        if field.position != position:
            raise ValueError(f"{layout.file_id}: {field.name} starts at {field.position}, "
                             f"expected {position}")
        position += field.width
    if position - 1 != layout.record_length:
        raise ValueError(f"{layout.file_id}: fields add up to {position - 1} bytes, the "
                         f"record length is {layout.record_length}")
