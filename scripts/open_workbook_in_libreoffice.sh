#!/bin/sh
# Open a verification workbook in LibreOffice (headless) and say whether it opened and how
# long it took: every sheet is converted to CSV in a private folder, the rows of each CSV
# are counted, and the CSVs are removed again (they hold the workbook's personal data).
# Prints file names, counts and seconds only, never a value.
#
#   scripts/open_workbook_in_libreoffice.sh .local/rounds/TEST01/verify/verify-pack-TEST01.xlsx
#
# Needs soffice (Debian/Ubuntu: apt-get install libreoffice-calc-nogui); LibreOffice ≥ 7.2
# for the all-sheets CSV filter option. Exit 0 when every sheet came out, 1 otherwise.
set -eu

workbook=${1:?usage: $0 WORKBOOK.xlsx}
[ -f "$workbook" ] || { echo "REFUSED: no such workbook: $workbook" >&2; exit 1; }
command -v soffice >/dev/null 2>&1 || {
    echo "REFUSED: soffice not found (apt-get install libreoffice-calc-nogui)" >&2; exit 1; }

umask 077
work=$(mktemp -d "${TMPDIR:-/tmp}/nhi-lo-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
mkdir "$work/profile" "$work/out"

# 44,34,76,1,,0,false,true,false,false,false,-1: comma, double quote, UTF-8, from row 1,
# default columns, English locale, quote text only, detect nothing, as shown, no formulas,
# no BOM, and -1: every sheet to <name>-<sheet>.csv.
filter='csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1'
start=$(date +%s.%N)
status=0
soffice -env:UserInstallation="file://$work/profile" --headless --norestore \
    --convert-to "$filter" --outdir "$work/out" "$workbook" >"$work/log" 2>&1 || status=$?
end=$(date +%s.%N)
seconds=$(echo "$end - $start" | bc)

sheets=0
for csv in "$work"/out/*.csv; do
    [ -f "$csv" ] || continue
    sheets=$((sheets + 1))
    printf '  %s: %s lines\n' "$(basename "$csv" | sed 's/^.*-\([^-]*\)\.csv$/\1/')" \
        "$(wc -l <"$csv" | tr -d ' ')"
done
if [ "$status" -eq 0 ] && [ "$sheets" -gt 0 ]; then
    printf 'opened: %s (%s sheets) in %.1f s with %s\n' "$(basename "$workbook")" "$sheets" \
        "$seconds" "$(soffice --version | cut -d' ' -f1-2)"
else
    printf 'NOT OPENED: %s (soffice exit %s, %s sheets) after %.1f s\n' \
        "$(basename "$workbook")" "$status" "$sheets" "$seconds" >&2
    exit 1
fi
