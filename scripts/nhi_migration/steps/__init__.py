"""One module per command of ``migrate.py``: each takes plain values (a round, paths, the
round's parameters) and the command's audit fields, prints its progress, calls the
modules that do the work (``load``, ``dbt_runner``, ``validate``, ``export``, …) and turns
what they refuse into one :class:`common.StepRefused` line. ``cli`` parses and dispatches.
"""
