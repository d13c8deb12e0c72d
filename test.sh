#!/usr/bin/env bash
# Every test: sqlfluff lint, dbt build (models, unit tests, data tests) on a small
# generated extract, and the Python test suite, against real PostgreSQL (the embedded
# cluster unless PG* variables name a server). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
bash scripts/bootstrap.sh
py=.venv/bin/python
eval "$($py scripts/migrate.py db env)"
export NHI_DBT_THREADS=2
export NHI_HANDLERS=handlers.example.yml

echo "== 1/4 sqlfluff lint (dbt templater)"
.venv/bin/sqlfluff lint models tests analyses --processes 2

echo "== 2/4 dbt build on a small generated extract"
small=.local/extracts/ci-small
rm -rf "$small"
$py scripts/generate_extract.py --out "$small" --households 400 --seed 7
$py scripts/migrate.py load --input "$small" --round CITEST --operator V001
$py scripts/migrate.py build --round CITEST --as-of 2017-11-10 --expected-households 400 \
    --operator V001

echo "== 3/4 Python tests, fast tier (pure functions, unit tests, the CLI, one small round)"
$py -m pytest scripts/tests -m "not slow" "$@"
echo "== 4/4 Python tests, slow tier (whole rounds, the fault suite, the default round)"
$py -m pytest scripts/tests -m "slow" "$@"
echo "== all tests passed"
