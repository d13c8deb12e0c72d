"""GX's UnexpectedRowsExpectation asking its question once (imports GX: load it lazily).

GX's own class depends on two metrics over the same query: ``unexpected_rows_query.table``
(the query, its first rows fetched) and ``unexpected_rows_query.row_count`` (``SELECT
COUNT(*)`` over the query), so a check that passes scans its mart twice. Only the count
decides success, and under BOOLEAN_ONLY neither the rows nor the count are kept: this
subclass depends on the count alone (one query per check) and answers as GX's class does
for every result format, without the rows under COMPLETE (the gate never fetches a row)."""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.core.result_format import ResultFormat
from great_expectations.expectations import UnexpectedRowsExpectation


class UnexpectedRowsCountExpectation(UnexpectedRowsExpectation):
    """Fails when ``unexpected_rows_query`` returns a row; one ``COUNT(*)`` query."""

    metric_dependencies: ClassVar[tuple[str, ...]] = ("unexpected_rows_query.row_count",)

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None,
                  execution_engine: Any = None) -> dict:
        result_format: Any = self._get_result_format(runtime_configuration=runtime_configuration)
        if isinstance(result_format, dict):
            result_format = result_format.get("result_format", ResultFormat.SUMMARY)
        unexpected_row_count = metrics["unexpected_rows_query.row_count"]
        success = unexpected_row_count == 0
        if result_format == ResultFormat.BOOLEAN_ONLY:
            return {"success": success}
        return {"success": success, "result": {"observed_value": unexpected_row_count}}


# The gate's expectation for each kind a Check names (checks.Check.build); the others are GX's.
IN_PLACE_OF = {"UnexpectedRowsExpectation": UnexpectedRowsCountExpectation}
