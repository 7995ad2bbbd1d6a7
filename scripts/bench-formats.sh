#!/bin/sh
# Verifies the same records as plain lines, NDJSON, CSV and gzip NDJSON with the release
# binary, checks that every format gives the same verdicts, and prints each run's time and
# throughput (best of RUNS).
#
# Usage: scripts/bench-formats.sh [COUNT]   (default 200000; RUNS=3; JWTBATCH=path to binary)
set -eu

count=${1:-200000}
runs=${RUNS:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
binary=${JWTBATCH:-$root/build/release/jwtbatch}
if [ ! -x "$binary" ]; then
    echo "bench-formats: $binary not found: build the release preset or set JWTBATCH" >&2
    exit 2
fi

folder=$(mktemp -d "${TMPDIR:-/tmp}/jwtbatch-formats-XXXXXX")
trap 'rm -rf "$folder"' EXIT
echo "bench-formats: writing $count records in four formats to $folder"
python3 "$root/scripts/make-format-corpus.py" "$count" "$folder"
ls -l "$folder" | awk 'NR > 1 { printf "bench-formats:   %-14s %12d bytes\n", $9, $5 }'

common="--jwks $folder/jwks.json --now 2026-11-02T10:00:00Z --dedup-cache 0"

# Runs one format RUNS times and prints its best time; the verdicts go to FORMAT.verdicts.
run_format() {
    name=$1
    shift
    best=""
    for _ in $(seq "$runs"); do
        # shellcheck disable=SC2086
        "$binary" $common --quiet --summary-json "$folder/$name.json" "$@" \
            >"$folder/$name.csv" || [ $? -eq 1 ]
        seconds=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['seconds'])" \
            "$folder/$name.json")
        best=$(python3 -c "import sys; a=sys.argv[1]; b=float(sys.argv[2]); \
print(b if a == '' else min(float(a), b))" "$best" "$seconds")
    done
    cut -d, -f3,4 "$folder/$name.csv" >"$folder/$name.verdicts"
    python3 - "$name" "$best" "$count" "$folder/$name.json" <<'PY'
import json, sys
name, best, count, summary = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
data = json.load(open(summary))
print(f"bench-formats: {name:<12} {best:8.3f} s {count / best:10.0f} records/s "
      f"valid {data['valid']} invalid {data['invalid']}")
PY
}

echo "bench-formats: $("$binary" --version), $(nproc) cores, best of $runs runs"
run_format lines "$folder/tokens.txt"
run_format ndjson --input-format ndjson "$folder/log.ndjson"
run_format csv --input-format csv "$folder/log.csv"
run_format ndjson-gzip --input-format ndjson "$folder/log.ndjson.gz"
run_format event-time --input-format ndjson --time-field ts --keep order_id \
    "$folder/log.ndjson.gz"

status=0
for name in ndjson csv ndjson-gzip event-time; do
    if cmp -s "$folder/lines.verdicts" "$folder/$name.verdicts"; then
        echo "bench-formats: $name verdicts identical to lines"
    else
        echo "bench-formats: $name verdicts differ from lines" >&2
        status=1
    fi
done
exit $status
