#!/usr/bin/env bash
# The pre-commit hook as users get it: pre-commit (from PyPI) builds dormlint with its
# own Rust support from this repository, runs it on a staged bad file (the commit is
# refused, the finding shown), then on the fixed file (it passes).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet pre-commit
precommit="$work/venv/bin/pre-commit"
export PRE_COMMIT_HOME="$work/cache"

mkdir "$work/project"
cd "$work/project"
git init --quiet
git config user.email ci@example.invalid
git config user.name ci
cat > views.py <<'PY'
from shop.models import Student


def report(request):
    students = Student.objects.filter(active=True)
    if students:
        return "some"
    return "none"
PY
git add views.py

passed=0
failed=0
if "$precommit" try-repo "$repo" dormlint --files views.py > bad.txt 2>&1; then
    echo "FAIL: the hook passed a file with a finding"; cat bad.txt; failed=$((failed + 1))
elif grep -q "DJM101" bad.txt; then
    echo "ok: the hook refuses the bad file with DJM101"; passed=$((passed + 1))
else
    echo "FAIL: the hook failed without the finding"; cat bad.txt; failed=$((failed + 1))
fi

sed -i 's/    if students:/    if students.exists():/' views.py
git add views.py
if "$precommit" try-repo "$repo" dormlint --files views.py > good.txt 2>&1; then
    echo "ok: the hook passes the fixed file"; passed=$((passed + 1))
else
    echo "FAIL: the hook refused the fixed file"; cat good.txt; failed=$((failed + 1))
fi

echo "pre-commit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
