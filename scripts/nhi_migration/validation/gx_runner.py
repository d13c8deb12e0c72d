"""The gate run by Great Expectations: one suite per asset from the checks, one
checkpoint, BOOLEAN_ONLY results, and the staff page (validation_report.py) written
from them in place of GX's Data Docs."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from .. import layouts, validation_report
from .checks import RoundFacts, build_checks, shared_scans
from .database import code_sets, failing_parts, field_rules
from .guard import guard_row_queries

RESULT_FORMAT = {"result_format": "BOOLEAN_ONLY"}
GX_URL_VARIABLE = "NHI_GX_CONNECTION"


@dataclass
class ValidationReport:
    success: bool
    evaluated: int
    failed: list[str] = field(default_factory=list)
    page: Path | None = None  # the staff report (validation_report.py)


def connection_url() -> str:
    """SQLAlchemy URL from the libpq variables (the password stays in PGPASSWORD)."""
    user = quote(os.environ.get("PGUSER", ""), safe="")
    database = quote(os.environ.get("PGDATABASE", ""), safe="")
    host = os.environ.get("PGHOST", "localhost")
    port = os.environ.get("PGPORT", "5432")
    return f"postgresql+psycopg2://{user}@/{database}?host={quote(host, safe='/')}&port={port}"


def run_gate(project: layouts.Project, arguments: RoundFacts, gx_dir: Path,
             progress: Callable[[str], None],
             before_checks: Callable[[], object] = lambda: None) -> ValidationReport:
    """Build the suites for this build, run the checkpoint, write the staff report.
    ``before_checks`` is called (and its wait ended) before the first expectation runs."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    marts_schema = project.layouts[0].schema
    seeds_schema = marts_schema.rsplit("_", 1)[0] + "_seeds"
    checks = shared_scans(build_checks(project, arguments, code_sets(seeds_schema),
                                       field_rules(project)), project)
    guard_row_queries(checks, project.personal_names)
    if gx_dir.exists():
        shutil.rmtree(gx_dir)
    gx_dir.mkdir(parents=True, mode=0o700)
    os.environ[GX_URL_VARIABLE] = connection_url()
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
    before_checks()
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
