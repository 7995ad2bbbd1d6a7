#!/usr/bin/env bash
# Builds the libFuzzer harnesses (preset fuzz), writes their seed corpora and runs each harness
# for SECONDS seconds, as many at once as there are cores (JWTBATCH_FUZZ_JOBS overrides). Fails when a harness reports a finding (crash, leak,
# sanitizer report, broken invariant, timeout or out-of-memory); the input that caused it is
# kept as build/fuzz-artifacts/<harness>-*.
#
# Usage: scripts/fuzz.sh SECONDS [HARNESS...]   (default: every harness)
# Environment: JWTBATCH_FUZZ_BUILD_DIR (default build/fuzz) to build elsewhere than the preset.
#
# Each run is appended to build/fuzz-time.log as "date harness seconds executions status", and
# the totals per harness over that log are printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -lt 1 || ! "$1" =~ ^[0-9]+$ || "$1" -eq 0 ]]; then
    echo "usage: scripts/fuzz.sh SECONDS [HARNESS...]" >&2
    exit 2
fi
seconds=$1
shift
harnesses=("$@")
if ((${#harnesses[@]} == 0)); then
    harnesses=(token signed_token base64url jwks line_reader compressed_input csv_record ndjson_record)
fi

build_dir=${JWTBATCH_FUZZ_BUILD_DIR:-build/fuzz}
corpus_dir=build/fuzz-corpus
artifact_dir=build/fuzz-artifacts
time_log=build/fuzz-time.log

cmake --preset fuzz -B "$build_dir" >/dev/null
cmake --build "$build_dir" --target fuzz_harnesses -j2
/usr/bin/python3 scripts/make-fuzz-corpus.py "$corpus_dir"
mkdir -p "$artifact_dir"

# Runs one harness for $seconds and records the run; returns non-zero on a finding.
run_harness() {
    local name=$1
    local binary=$build_dir/tests/fuzz/fuzz_$name
    local output=$artifact_dir/$name.log
    local status=ok
    echo "fuzz: $name for ${seconds}s"
    # -max_len 8192 fits every seed, and -use_value_profile helps it find the byte comparisons
    # of JSON member names and base64url checks.
    if ! "$binary" "$corpus_dir/$name" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -max_len=8192 -use_value_profile=1 -print_final_stats=1 \
        -artifact_prefix="$artifact_dir/$name-" >"$output" 2>&1; then
        status=failed
        echo "fuzz: $name found a problem; log: $output" >&2
        grep -E "ERROR|invariant failed|Test unit written" "$output" >&2 || tail -n 20 "$output" >&2
    fi
    local executions elapsed
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$output" | tail -n 1)
    elapsed=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$output" | tail -n 1)
    printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" "${elapsed:-$seconds}" \
        "${executions:-0}" "$status" >>"$time_log"
    echo "fuzz: $name: ${executions:-0} executions in ${elapsed:-$seconds}s, $status"
    [[ "$status" == ok ]]
}

# One harness per core at a time: each is single-threaded, so the cores run them side by side.
jobs=${JWTBATCH_FUZZ_JOBS:-$(nproc)}
failures=0
running=0
for name in "${harnesses[@]}"; do
    if ((running >= jobs)); then
        wait -n || failures=$((failures + 1))
        running=$((running - 1))
    fi
    run_harness "$name" &
    running=$((running + 1))
done
while ((running > 0)); do
    wait -n || failures=$((failures + 1))
    running=$((running - 1))
done

echo "fuzz: totals in $time_log (harness, seconds, executions):"
awk -F'\t' '{ seconds[$2] += $3; runs[$2] += $4 }
    END { for (name in seconds) printf "  %-18s %8d s %12d executions\n", name, seconds[name], runs[name] }' \
    "$time_log" | sort

if ((failures > 0)); then
    echo "fuzz: $failures harnesses found problems; see the logs in $artifact_dir" >&2
    exit 1
fi
