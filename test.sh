#!/usr/bin/env bash
# Every test: sqlfluff lint, and the Python test suite (whole rounds; dbt build with its
# unit and data tests on a small extract among them; the default round once), against
# real PostgreSQL (the embedded cluster unless PG* variables name a server). Exits
# non-zero on any failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
bash scripts/bootstrap.sh
py=.venv/bin/python
eval "$($py scripts/migrate.py db env)"
export NHI_DBT_THREADS=2
export NHI_HANDLERS=handlers.example.yml
# Both cores: pytest-xdist runs the test files on NHI_TEST_WORKERS workers (one file per
# worker, so a file's fixtures are built once); NHI_TEST_WORKERS=0 runs them in one process.
workers=(-n "${NHI_TEST_WORKERS:-2}" --dist loadfile)

echo "== 1/3 ruff (imports, complexity, errors) and mypy"
.venv/bin/ruff check scripts
.venv/bin/mypy

echo "== 2/3 sqlfluff lint (dbt templater)"
.venv/bin/sqlfluff lint models tests analyses --processes 2

# One pytest session runs both tiers (the fast tier: pure functions, unit tests, the CLI,
# one small round, BASE04, whose dbt build runs every unit and data test; the slow tier:
# whole rounds, the fault suite, the default round once), so that the workers share all
# of it out and finish together: the default round starts first, on a worker of its own
# (FILE_ORDER in scripts/tests/conftest.py). `-m "not slow"` or `-m slow` runs one tier.
echo "== 3/3 Python tests, fast and slow tiers (unit tests, the CLI, whole rounds, the fault suite, the default round once)"
$py -m pytest scripts/tests "${workers[@]}" "$@"
echo "== all tests passed"
