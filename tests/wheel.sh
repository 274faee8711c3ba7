#!/usr/bin/env bash
# The wheel as users get it: maturin (from PyPI) builds it as ruff's is built
# (`bindings = "bin"`), pip installs it into a fresh virtualenv, and the installed
# `dormlint` checks the fixtures. Leaves the wheel in $target/wheels/ for
# tests/precommit.sh, and prints the measured times.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
case $target in /*) ;; *) target=$repo/$target ;; esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
ok() { echo "ok: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1"; failed=$((failed + 1)); }

python3 -m venv "$work/build"
"$work/build/bin/pip" install --quiet 'maturin>=1.5,<2.0'
rm -rf "$target/wheels"
start=$EPOCHREALTIME
(cd "$repo" && CARGO_TARGET_DIR=$target "$work/build/bin/maturin" build --release --locked --out "$target/wheels")
echo "wheel: maturin build took $(since "$start")s"
wheel=$(ls "$target"/wheels/dormlint-*.whl)
case $(basename "$wheel") in
    *-py3-none-*) ok "the wheel holds the binary alone ($(basename "$wheel"))" ;;
    *) fail "unexpected wheel tag: $(basename "$wheel")" ;;
esac

python3 -m venv "$work/venv"
start=$EPOCHREALTIME
"$work/venv/bin/pip" install --quiet --no-index --find-links "$target/wheels" dormlint
echo "wheel: pip install took $(since "$start")s"
dormlint=$work/venv/bin/dormlint

version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -1)
if [ "$("$dormlint" --version)" = "dormlint $version" ]; then
    ok "the installed dormlint is version $version"
else
    fail "dormlint --version says $("$dormlint" --version)"
fi

# The fixtures, through the installed binary: the incidents are found (exit 1), and the
# findings are the ones the cargo-built binary reports.
cd "$repo/fixtures"
set +e
"$dormlint" check stories --no-cache --output-format concise -q > "$work/wheel.txt"
status=$?
set -e
if [ "$status" -eq 1 ] && grep -q "DJM301" "$work/wheel.txt"; then
    ok "the installed dormlint reports the stories ($(wc -l < "$work/wheel.txt") findings)"
else
    fail "check stories exited $status"; cat "$work/wheel.txt"
fi
if [ -x "$target/debug/dormlint" ]; then
    "$target/debug/dormlint" check stories --no-cache --output-format concise -q > "$work/cargo.txt" || true
    if cmp -s "$work/wheel.txt" "$work/cargo.txt"; then
        ok "the wheel's findings equal the cargo build's"
    else
        fail "the wheel and the cargo build disagree"; diff "$work/wheel.txt" "$work/cargo.txt" || true
    fi
fi

echo "wheel: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
