#!/usr/bin/env bash
# Benchmark dormlint against ruff on the same real Django code, and against the floor of
# merely reading and parsing it. Everything comes from the package registries:
# Django and other large Django sdists from PyPI, ruff from PyPI, hyperfine from Debian.
# Usage: bench/run.sh            (results in bench/.cache/results.md and on stdout)
set -euo pipefail
bench=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$bench")
cache="$bench/.cache"
corpus="$cache/corpus"
mkdir -p "$cache"

# Tools.
if ! command -v hyperfine >/dev/null; then
    apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null
fi
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
if [ ! -x "$cache/venv/bin/ruff" ]; then
    python3 -m venv "$cache/venv"
    "$cache/venv/bin/pip" install --quiet ruff==0.14.4
fi
ruff="$cache/venv/bin/ruff"

# The corpus: source distributions, unpacked once.
sdists=(Django==5.1.4 wagtail==6.3.1 djangorestframework==3.15.2 django-oscar==3.2.5 django-cms==4.1.4 django-allauth==65.3.0 django-extensions==3.2.3 django-filter==24.3)
if [ ! -d "$corpus" ]; then
    mkdir -p "$cache/sdists" "$corpus"
    "$cache/venv/bin/pip" download --quiet --no-deps --no-binary :all: -d "$cache/sdists" "${sdists[@]}"
    for archive in "$cache"/sdists/*; do
        case "$archive" in
            *.tar.gz) tar -xzf "$archive" -C "$corpus" ;;
            *.zip) python3 -m zipfile -e "$archive" "$corpus" ;;
        esac
    done
fi
files=$(find "$corpus" -name '*.py' | wc -l)
lines=$(find "$corpus" -name '*.py' -print0 | xargs -0 cat | wc -l)

cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
dormlint="$repo/target/release/dormlint"
changed=$(find "$corpus" -path '*django/db/models/query.py' | head -1)

cd "$corpus"
common="--exit-zero -q --output-format concise"
"$ruff" check --select DJ --exit-zero -q . >/dev/null || true   # prime ruff's cache
# hyperfine takes either one --prepare for every command or one per command.
rm -rf .dormlint_cache
hyperfine --warmup 1 --runs 5 --export-markdown "$cache/hyperfine.md" \
    -n "parse-only floor" --prepare ":" "$dormlint check . --parse-only -q" \
    -n "dormlint cold" --prepare ":" "$dormlint check . --no-cache $common" \
    -n "dormlint warm" --prepare ":" "$dormlint check . $common" \
    -n "dormlint one file changed" --prepare "echo '# touched' >> $changed" "$dormlint check . $common" \
    -n "dormlint one file changed, a call added" --prepare "printf 'def _bench_touched():\n    return len([])\n' >> $changed" "$dormlint check . $common" \
    -n "ruff --select DJ cold" --prepare ":" "$ruff check --select DJ --no-cache --exit-zero -q ." \
    -n "ruff --select DJ warm" --prepare ":" "$ruff check --select DJ --exit-zero -q ."
peak=$( { /usr/bin/time -v "$dormlint" check . --no-cache $common >/dev/null; } 2>&1 | awk -F': ' '/Maximum resident/ {print $2}')
floor_peak=$( { /usr/bin/time -v "$dormlint" check . --parse-only -q >/dev/null; } 2>&1 | awk -F': ' '/Maximum resident/ {print $2}')

{
    echo "corpus: ${sdists[*]}"
    echo "files: $files Python files, $lines lines"
    echo "machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
    echo
    cat "$cache/hyperfine.md"
    echo
    echo "peak RSS: dormlint cold $((peak / 1024)) MiB (target <= 100 MiB), parse-only $((floor_peak / 1024)) MiB"
    echo
    python3 - "$cache/hyperfine.md" <<'PY'
import re, sys
rows = {}
for line in open(sys.argv[1]):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) > 2 and "±" in cells[1]:
        rows[cells[0].strip("`")] = float(cells[1].split("±")[0])
def ratio(a, b):
    return rows[a] / rows[b]
print(f"cold / ruff cold: {ratio('dormlint cold', 'ruff --select DJ cold'):.2f} (target <= 1.0)")
print(f"warm / ruff warm: {ratio('dormlint warm', 'ruff --select DJ warm'):.2f} (target <= 0.5)")
print(f"one file changed / ruff warm: {ratio('dormlint one file changed', 'ruff --select DJ warm'):.2f} (target <= 1.0)")
print(f"one file changed, a call added / ruff warm: {ratio('dormlint one file changed, a call added', 'ruff --select DJ warm'):.2f} (target <= 1.0)")
print(f"cold / parse-only floor: {ratio('dormlint cold', 'parse-only floor'):.2f} (two parses a file: 2.0 is the design's floor)")
PY
} | tee "$cache/results.md"

# The registry-wide run: every finding by code, and the files that did not parse.
"$dormlint" check . --no-cache --exit-zero --output-format json > "$cache/findings.json"
python3 - "$cache/findings.json" <<'PY' | tee -a "$cache/results.md"
import collections, json, sys
findings = json.load(open(sys.argv[1]))
by_code = collections.Counter(f["code"] for f in findings)
print("\nfindings by code:", ", ".join(f"{c} {n}" for c, n in sorted(by_code.items())))
for f in findings:
    if f["code"] in ("DJM000", "DJM001", "DJM002"):
        print(f"  {f['code']} {f['filename']}:{f['location']['row']}: {f['message']}")
PY
