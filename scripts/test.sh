#!/usr/bin/env bash
# Installs what is missing, builds the release preset and runs every test.
#
# With --full, or when the environment variable CI is "true", it then also builds the fuzz preset:
# clang with AddressSanitizer and UndefinedBehaviorSanitizer on every library, and the test suite
# and the libFuzzer harnesses in one build. It runs every test under the sanitizers, then each
# fuzz harness for 60 seconds (scripts/fuzz.sh). One sanitized build serves both, which keeps CI
# within its time budget on two cores. Any failing test, sanitizer report or fuzzer finding
# fails the script, and the wall time of each step is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

full=false
if [[ "${1:-}" == "--full" || "${CI:-}" == "true" ]]; then
    full=true
fi

step_names=()
step_seconds=()

# Runs a command and records its wall time under the step name given as the first argument.
run_step() {
    local name=$1
    shift
    local start=$SECONDS
    echo "test.sh: $name: $*"
    "$@"
    step_names+=("$name")
    step_seconds+=($((SECONDS - start)))
}

print_step_times() {
    local total=0
    echo "test.sh: wall time per step:"
    for i in "${!step_names[@]}"; do
        printf '  %-22s %5d s\n' "${step_names[$i]}" "${step_seconds[$i]}"
        total=$((total + step_seconds[i]))
    done
    printf '  %-22s %5d s\n' total "$total"
}
trap print_step_times EXIT

run_step install-deps scripts/install-deps.sh
run_step release-configure cmake --preset release
run_step release-build cmake --build --preset release
run_step release-test ctest --preset release -j2

if [[ "$full" == true ]]; then
    run_step sanitize-configure cmake --preset fuzz
    run_step sanitize-build cmake --build --preset fuzz
    # The equivalence and differential tests check 100,000 signatures by default, which is slow
    # under the sanitizers. This run checks 5,000 each, and the release run keeps the full counts.
    run_step sanitize-test env JWTBATCH_EQUIVALENCE_COUNT=5000 JWTBATCH_DIFFERENTIAL_COUNT=5000 \
        ctest --test-dir build/fuzz -j2 --output-on-failure --no-tests=error
    run_step fuzz scripts/fuzz.sh 60
fi
