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

echo "== 1/4 ruff (imports, complexity, errors) and mypy"
.venv/bin/ruff check scripts
.venv/bin/mypy

echo "== 2/4 sqlfluff lint (dbt templater)"
.venv/bin/sqlfluff lint models tests analyses --processes 2

# The dbt build of a small extract (400 households, seed 7) is part of the fast tier:
# test_package_bytes.py runs that extract as a whole round (load, dbt build with every
# unit and data test, validation, export) and compares every byte of its package.
echo "== 3/4 Python tests, fast tier (pure functions, unit tests, the CLI, one small round)"
$py -m pytest scripts/tests -m "not slow" "${workers[@]}" "$@"
echo "== 4/4 Python tests, slow tier (whole rounds, the fault suite, the default round once)"
$py -m pytest scripts/tests -m "slow" "${workers[@]}" "$@"
echo "== all tests passed"
