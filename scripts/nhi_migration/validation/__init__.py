"""The validation gate: Great Expectations suites over one build's marts.

One suite per setup layout (keys, widths in CP932 bytes, code sets, dates, identities)
and one across layouts (households of KT020–KT080 in KT010, accounting balanced, file
totals equal to the legacy control totals net of what the accounting excluded, the
round's parameters, and no unmapped gaiji in a production round). Its parts, one job
each: checks (every question, from the layouts in dbt's manifest: pure), guard (no row
query selects personal data: pure), database (what the gate reads from the build),
gx_runner (the suites and the checkpoint, the staff page of validation_report.py in
place of GX's Data Docs, which load their scripts from a CDN) and receipt (what the
exporter checks).

Privacy: every result is BOOLEAN_ONLY (no row values), the row queries select only a
constant and the guard refuses one that would select a column tagged personal in the
project's YAML, GX's usage statistics are off, and the staff report holds descriptions,
pass or fail and counts only.
"""

import os

os.environ["GX_ANALYTICS_ENABLED"] = "False"  # whatever the user's own setting says
