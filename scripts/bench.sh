#!/usr/bin/env bash
# Runs the benchmark suite and `openssl speed` in one session and writes docs/benchmarks.md,
# docs/benchmarks.svg and the raw results under docs/bench-runs/<date>-<host>/.
# Ratios are what to compare: absolute rates on shared machines move from run to run.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset bench >/dev/null
cmake --build --preset bench --target jwtbatch_bench jwtbatch

run_dir="docs/bench-runs/$(date -u +%Y-%m-%d)-$(hostname -s)"
rm -rf "$run_dir"
mkdir -p "$run_dir"
export JWTBATCH_BENCH_DIR="${JWTBATCH_BENCH_DIR:-build/bench/inputs}"
mkdir -p "$JWTBATCH_BENCH_DIR"

echo "bench: Google Benchmark suites"
build/bench/bench/jwtbatch_bench --benchmark_out="$run_dir/benchmark.json" \
    --benchmark_out_format=json --benchmark_counters_tabular=true

# End-to-end runs of the binary: rows are formatted and written, then dropped by /dev/null.
binary=build/bench/jwtbatch
jwks="$JWTBATCH_BENCH_DIR/jwks.json"
tokens="$JWTBATCH_BENCH_DIR/tokens-100k.txt"
million="$JWTBATCH_BENCH_DIR/tokens-1m.txt"
: >"$million"
for _ in 1 2 3 4 5 6 7 8 9 10; do
    cat "$tokens" >>"$million"
done

# Runs the binary once; the summary gives the pipeline's own time, and cli-NAME.wall the whole
# process's wall time, start-up and key tables included.
run_cli() {
    local name=$1
    shift
    echo "bench: jwtbatch $name"
    local started ended
    started=$(date +%s.%N)
    "$binary" --jwks "$jwks" --quiet --summary-json "$run_dir/cli-$name.json" "$@" >/dev/null || {
        status=$?
        if ((status != 0)); then
            echo "bench: jwtbatch $name exited with $status" >&2
            exit 1
        fi
    }
    ended=$(date +%s.%N)
    echo "$ended - $started" | bc >"$run_dir/cli-$name.wall"
}
# Seven rounds of `openssl speed` beside the fast runs: one sample of either moves by 20% on a
# shared machine, so the report compares each round's figures and takes medians.
for round in 1 2 3 4 5 6 7; do
    echo "bench: openssl speed -seconds 5 ecdsap256 (round $round)"
    openssl speed -seconds 5 ecdsap256 2>/dev/null | tee "$run_dir/openssl-speed-$round.txt"
    run_cli "fast-1-thread-$round" --threads 1 --dedup-cache 0 "$tokens"
    run_cli "fast-2-threads-$round" --threads 2 --dedup-cache 0 "$tokens"
done
run_cli evp-1-thread --threads 1 --dedup-cache 0 --verifier evp "$tokens"
run_cli evp-2-threads --threads 2 --dedup-cache 0 --verifier evp "$tokens"
# A run of 100,000 repeated records lasts about a tenth of a second, so it is run five times.
for attempt in 1 2 3 4 5; do
    run_cli "repeated-2-threads-$attempt" --threads 2 "$JWTBATCH_BENCH_DIR/tokens-1k-x100.txt"
done
repeated_million="$JWTBATCH_BENCH_DIR/tokens-1k-x1000.txt"
: >"$repeated_million"
for _ in 1 2 3 4 5 6 7 8 9 10; do
    cat "$JWTBATCH_BENCH_DIR/tokens-1k-x100.txt" >>"$repeated_million"
done
run_cli repeated-million-2-threads --threads 2 "$repeated_million"
rm -f "$repeated_million"
run_cli million-no-dedup --threads 2 --dedup-cache 0 "$million"
rm -f "$million"

echo "bench: the same 200,000 records in each input format"
JWTBATCH="$binary" RUNS=3 scripts/bench-formats.sh 200000 | tee "$run_dir/formats.txt"

{
    echo "commit $(git rev-parse --short HEAD)"
    echo "date $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "cores $(nproc)"
    echo "cpu $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
    echo "compiler $(g++ --version | head -1)"
    echo "openssl $(openssl version)"
} >"$run_dir/machine.txt"

python3 scripts/bench-report.py "$run_dir" docs/benchmarks.md docs/benchmarks.svg
echo "bench: wrote docs/benchmarks.md and $run_dir"
