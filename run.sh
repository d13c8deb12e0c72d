#!/usr/bin/env bash
# The main job on the embedded default: a whole TEST01 round on the default synthetic
# extract (46,565 households as of 2017-11-10). Sets everything up on a fresh machine.
# Extra arguments go to `migrate.py run` (e.g. --round TEST02).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
bash scripts/bootstrap.sh
extract=.local/extracts/default
rm -rf "$extract"
.venv/bin/python scripts/generate_extract.py --out "$extract"
# The demo runs as vendor handler V001 of the example handlers file; a real engagement
# uses the ward's own file (NHI_HANDLERS) and the operator's own ID.
export NHI_HANDLERS="${NHI_HANDLERS:-handlers.example.yml}"
exec .venv/bin/python scripts/migrate.py run --input "$extract" --round TEST01 \
    --as-of 2017-11-10 --expected-households 46565 --out out/TEST01 \
    --operator "${NHI_OPERATOR:-V001}" "$@"
