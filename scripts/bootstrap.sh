#!/usr/bin/env bash
# Create .venv with the pinned dependencies (requirements.txt) when it is missing or
# out of date. Sourced by run.sh and test.sh; safe to run again.
set -euo pipefail
project_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$project_dir/.venv"
python="${PYTHON:-python3}"

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "bootstrap: Python 3.11 or newer is needed (found: $("$python" --version 2>&1))." >&2
    echo "bootstrap: install it, or point PYTHON at one: PYTHON=python3.11 $0" >&2
    exit 2
fi

stamp="$venv/.requirements.sha256"
wanted="$(cat "$project_dir/requirements.txt" "$project_dir/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    exit 0
fi

echo "bootstrap: installing pinned dependencies into $venv (first run takes a few minutes)"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "pip==24.3.1" 2> >(grep -v "^WARNING: Location" >&2)
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$project_dir/requirements.txt" 2> >(grep -v "^WARNING: Location" >&2)
# The tool itself (scripts/nhi_migration, the nhi-migrate command), editable: the
# checkout is what runs. No download: the venv's own setuptools builds it.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
    --no-build-isolation -e "$project_dir" 2> >(grep -v "^WARNING: Location" >&2)
echo "$wanted" > "$stamp"
echo "bootstrap: done"
