#!/usr/bin/env bash
# dormlint's language server driven from a real Neovim, headless: README.md's
# "Editors" section, checked in the editor. Usage: tests/editor/neovim.sh DORMLINT [NVIM]
# (NVIM defaults to `nvim` on the PATH). It writes a small Django project, asks the
# command line what it reports and what `--fix` writes there, then runs
# tests/editor/neovim.lua in Neovim, which opens the views with the server attached and
# compares what the editor shows and writes with those answers. Prints `ok:`/`FAIL:`
# lines and `neovim: N passed, N failed`; exits non-zero when anything failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dormlint=${1:?usage: tests/editor/neovim.sh DORMLINT [NVIM]}
nvim=${2:-nvim}
case $dormlint in /*) ;; *) dormlint=$PWD/$dormlint ;; esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! [ -x "$dormlint" ]; then
    echo "FAIL: no dormlint binary at $dormlint"
    echo "neovim: 0 passed, 1 failed"
    exit 1
fi
if ! command -v "$nvim" > /dev/null; then
    echo "FAIL: no Neovim ($nvim) on the PATH"
    echo "neovim: 0 passed, 1 failed"
    exit 1
fi

# The project: a model in one file, the view that misuses it in another (the server
# must know `Order` from the index to report anything).
project=$work/project
mkdir -p "$project/shop"
touch "$project/dormlint.toml" "$project/shop/__init__.py"
cat > "$project/shop/models.py" <<'PY'
from django.db import models


class Order(models.Model):
    paid = models.BooleanField(default=False)
    total = models.IntegerField()
PY
cat > "$project/shop/views.py" <<'PY'
from shop.models import Order


def dashboard(request):
    if Order.objects.filter(paid=True):
        return "some paid"
    orders = Order.objects.all()
    return len(orders)
PY
# The settings tests open other files with the same text.
cp "$project/shop/views.py" "$project/shop/orders.py"
cp "$project/shop/views.py" "$project/shop/reports.py"

expect=$work/expect
mkdir "$expect"
cp "$project/shop/views.py" "$expect/original.py"
# What the editor inserts for the half-typed test: a function being written above the
# view, cut off after `Order.objects.`.
python3 - "$expect/original.py" "$expect/broken.py" <<'PY'
import sys
text = open(sys.argv[1]).read()
half = "def half_typed(request):\n    total = Order.objects.\n\n\n"
open(sys.argv[2], "w").write(text.replace("def dashboard", half + "def dashboard", 1))
PY

# findings NAME TEXT [OPTIONS...]: what `dormlint check` reports for TEXT as
# shop/views.py in a copy of the project, one line per finding:
# `ROW:COL-ENDROW:ENDCOL CODE SEVERITY MESSAGE` (1-based columns), the help text after
# a literal `\n`, as the server joins them.
findings() {
    local name=$1 text=$2 copy=$work/copy-$1 status
    shift 2
    rm -rf "$copy"
    cp -r "$project" "$copy"
    cp "$text" "$copy/shop/views.py"
    status=0
    (cd "$copy" && "$dormlint" check --no-cache --output-format json "$@" shop/views.py) > "$copy.json" || status=$?
    (cd "$copy" && NO_COLOR=1 "$dormlint" check --no-cache "$@" shop/views.py) > "$copy.text" || true
    if [ "$status" -gt 1 ]; then
        echo "FAIL: dormlint check $* exited $status"
        exit 1
    fi
    python3 - "$copy.json" "$copy.text" > "$expect/$name.txt" <<'PY'
import json, re, sys
found = json.load(open(sys.argv[1]))
helps = []
for line in open(sys.argv[2]):
    if re.match(r"^(warning|error)\[DJM\d+\]: ", line):
        helps.append(None)
    elif re.match(r"^ += help: ", line) and helps:
        helps[-1] = line.split("= help: ", 1)[1].rstrip("\n")
assert len(helps) == len(found), (len(helps), len(found))
for f, help in zip(found, helps):
    message = f["message"] + (f"\\nhelp: {help}" if help else "")
    start, end = f["location"], f["end_location"]
    print(f'{start["row"]}:{start["column"]}-{end["row"]}:{end["column"]} '
          f'{f["code"]} {f["severity"]} {message}')
PY
}

# fixed NAME [OPTIONS...]: the bytes `dormlint check --fix` writes for the original.
fixed() {
    local name=$1 copy=$work/fix-$1
    shift
    rm -rf "$copy"
    cp -r "$project" "$copy"
    (cd "$copy" && "$dormlint" check --no-cache --fix "$@" shop/views.py > /dev/null) || true
    cp "$copy/shop/views.py" "$expect/$name.py"
}

findings findings "$expect/original.py"
findings broken "$expect/broken.py"
findings ignore101 "$expect/original.py" --ignore DJM101
findings select101 "$expect/original.py" --select DJM101
findings select102 "$expect/original.py" --select DJM102
fixed fixed101 --select DJM101
fixed fixed_all
findings fixed101 "$expect/fixed101.py"
findings fixed_all "$expect/fixed_all.py"
NO_COLOR=1 "$dormlint" explain DJM101 > "$expect/explain.txt"
cp "$repo/rules/DJM101.md" "$expect/doc.md"

# The README's Neovim 0.11 form runs `dormlint` from the PATH. Neovim's own files (its
# LSP log) go to the temporary directory too.
mkdir "$work/bin"
ln -s "$dormlint" "$work/bin/dormlint"
for xdg in CONFIG DATA STATE CACHE; do
    mkdir -p "$work/xdg/$xdg"
    export "XDG_${xdg}_HOME=$work/xdg/$xdg"
done

start=$EPOCHREALTIME
status=0
(cd "$project" && PATH="$work/bin:$PATH" DORMLINT_BIN="$dormlint" EDITOR_TEST_PROJECT="$project" \
    EDITOR_TEST_EXPECT="$expect" EDITOR_TEST_README="$repo/README.md" \
    timeout 60 "$nvim" --headless --clean -c "luafile $here/neovim.lua") || status=$?
echo "neovim: the session took $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s"
if [ "$status" -ne 0 ]; then
    # The script prints the tally line itself; a crash or a timeout prints none.
    [ "$status" -eq 1 ] || { echo "FAIL: Neovim exited $status (124: timed out)"; echo "neovim: 0 passed, 1 failed"; }
    exit 1
fi
