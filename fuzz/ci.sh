#!/usr/bin/env bash
# CI's fuzz step: builds the check_source target with cargo-fuzz, seeds a throwaway
# corpus with every fixture, fuzzes for FUZZ_SECONDS (60) on one process, and exits
# non-zero if libFuzzer finds a crash, a timeout or an out-of-memory input. The last
# line printed is `fuzz: ...`, for .ci/run's log. The crashing input is left in
# fuzz/artifacts/check_source/ and printed in base64 by libFuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
seconds=${FUZZ_SECONDS:-60}

if ! cargo fuzz --version 2>/dev/null | grep -qx "cargo-fuzz $CARGO_FUZZ_VERSION"; then
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

# Fuzz the dependency versions the project ships: the main lock file, plus what only
# the fuzz crate needs (libfuzzer-sys and its build dependencies).
cp Cargo.lock fuzz/Cargo.lock
# The sanitizer flags are nightly-only; RUSTC_BOOTSTRAP lets the stable toolchain take them.
export RUSTC_BOOTSTRAP=1
# No AddressSanitizer: src/ has no `unsafe`, and the sanitizer build alone took half
# of CI's 30 minutes. Panics, overflows, timeouts and runaway memory are still caught.
# cargo-fuzz compiles release builds as one codegen unit, for the speed of long
# campaigns; 16 let both cores compile: the build took 3 min 3 s instead of 4 min 1 s,
# and a one-minute smoke run does not need the last inlining.
build=(-s none --codegen-units 16)
cargo fuzz build "${build[@]}" check_source

corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
mkdir "$corpus/new" "$corpus/seed"
n=0
while IFS= read -r -d '' file; do
    n=$((n + 1))
    cp "$file" "$corpus/seed/$n.py"
done < <(find fixtures -name '*.py' -type f -print0)

mkdir -p target
log=target/fuzz.log
status=0
cargo fuzz run "${build[@]}" check_source "$corpus/new" "$corpus/seed" -- \
    -dict=fuzz/python.dict -max_total_time="$seconds" -timeout=10 -max_len=8192 \
    -print_final_stats=1 >"$log" 2>&1 || status=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
cov=$(grep -oE '(DONE|pulse|NEW|REDUCE) +cov: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+$' || true)
if [ "$status" -ne 0 ]; then
    tail -n 80 "$log"
    echo "fuzz: FAILED (exit $status) after ${runs:-?} runs; see fuzz/artifacts/check_source/ and $log"
    exit 1
fi
echo "fuzz: ${runs:-?} runs in ${seconds} s from $n fixtures, ${cov:-?} coverage edges, no crash"
