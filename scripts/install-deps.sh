#!/usr/bin/env bash
# Installs the Debian 12 packages that building, testing, fuzzing and benchmarking need.
# Idempotent: packages already installed are skipped, and apt-get runs only when one is missing.
set -euo pipefail

packages=(
    # build
    g++ cmake ninja-build pkg-config
    libssl-dev openssl ca-certificates
    libboost-dev libboost-program-options-dev libboost-system-dev
    libtbb-dev libsimdjson-dev zlib1g-dev libzstd-dev
    # tests: Catch2, the HTTPS server the JWKS tests start, and the independent verifier
    catch2 nginx-light python3 python3-jwt python3-cryptography
    # fuzzing and sanitizers
    clang-14 libclang-rt-14-dev
    # benchmarks and their plot
    libbenchmark-dev gnuplot-nox
)

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$package")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#packages[@]} packages are installed"
    exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
    sudo_cmd=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
