#!/usr/bin/env bash
# Both pre-commit hooks as users get them, through real pre-commit (from PyPI) and a
# `.pre-commit-config.yaml` naming each hook's repository and `rev`:
# - the rust hook (.pre-commit-hooks.yaml): pre-commit builds dormlint from a one-commit
#   copy of this repository's files, working-tree changes included (as `try-repo`
#   would), in the shared cargo target directory;
# - the python hook (pre-commit-mirror/, ruff-pre-commit's pattern): pre-commit installs
#   the wheel tests/wheel.sh built (PIP_FIND_LINKS), no compile.
# Each refuses a staged bad file (the finding shown), passes the fixed file, and with
# --force-exclude passes a staged file under an excluded directory. Each hook is
# installed once and its environment reused, as in a user's repository: `try-repo`
# installed it again for every run, and each rust install recompiled the crate (50-80 s).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
case $target in /*) ;; *) target=$repo/$target ;; esac
wheels=${DORMLINT_WHEELS:-$target/wheels}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
ok() { echo "ok: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1"; failed=$((failed + 1)); }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet pre-commit
precommit="$work/venv/bin/pre-commit"
export PRE_COMMIT_HOME="$work/cache"
export GIT_AUTHOR_NAME=ci GIT_AUTHOR_EMAIL=ci@example.invalid
export GIT_COMMITTER_NAME=ci GIT_COMMITTER_EMAIL=ci@example.invalid

# Both hooks hand dormlint the same files: Python and every deployment file kind it
# reads (src/process/files.rs, config_kind, which ignores case), and nothing else.
if "$work/venv/bin/python" - "$repo/.pre-commit-hooks.yaml" "$repo/pre-commit-mirror/.pre-commit-hooks.yaml" <<'PY'
import re, sys, yaml
patterns = [yaml.safe_load(open(path))[0]["files"] for path in sys.argv[1:]]
assert patterns[0] == patterns[1], patterns
read = ["a/views.py", "stubs.pyi", "uwsgi.ini", "supervisord.conf", "start.sh",
        "web.service", "docker-compose.yml", "k8s/deploy.yaml", "Procfile",
        "Procfile.dev", "docker/Dockerfile.prod", "Containerfile", "app.dockerfile",
        ".env", "deploy/.env.production", "prod.env", ".envs/.production/.django",
        "lc/dockerfile", "procfile", "docker-compose.YML", "uwsgi.INI"]
skipped = ["README.md", "requirements.txt", "setup.cfg.orig", "a/.envrc", "notes.txt"]
wrong = [f for f in read if not re.search(patterns[0], f)]
wrong += [f for f in skipped if re.search(patterns[0], f)]
sys.exit(f"files pattern is wrong for {wrong}" if wrong else 0)
PY
then
    ok "both hooks take Python and every deployment file kind, and only those"
else
    fail "the hooks' files pattern"
fi

# one_commit_repo DIR: DIR as a git repository of one commit; prints that commit.
one_commit_repo() {
    (cd "$1" && git init --quiet && git add -A && git commit --quiet -m hook && git rev-parse HEAD)
}

# The rust hook's repository: this one's tracked and untracked-but-not-ignored files.
source_repo="$work/source"
mkdir "$source_repo"
# (A tracked file deleted in the working tree is left out, as a commit of it would.)
(cd "$repo" && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' file; do
        if [ -e "$file" ]; then printf '%s\0' "$file"; fi
    done | xargs -0 cp --parents -t "$source_repo")
source_rev=$(one_commit_repo "$source_repo")

# The python hook's repository: the mirror directory as its own repository.
mirror="$work/mirror"
cp -r "$repo/pre-commit-mirror" "$mirror"
mirror_rev=$(one_commit_repo "$mirror")

mkdir "$work/project"
cd "$work/project"
git init --quiet
cat > dormlint.toml <<'TOML'
extend-exclude = ["legacy/"]
TOML
bad_view='from shop.models import Student


def report(request):
    students = Student.objects.filter(active=True)
    if students:
        return "some"
    return "none"
'
mkdir legacy
printf '%s' "$bad_view" > legacy/views.py

# hook_runs NAME REPO REV: the three cases, with REPO at REV as the configured hook.
hook_runs() {
    local name=$1 start
    printf 'repos:\n  - repo: %s\n    rev: %s\n    hooks:\n      - id: dormlint\n' \
        "$2" "$3" > .pre-commit-config.yaml
    printf '%s' "$bad_view" > views.py
    git add views.py dormlint.toml legacy/views.py .pre-commit-config.yaml
    start=$EPOCHREALTIME
    if "$precommit" run dormlint --files views.py > bad.txt 2>&1; then
        fail "$name: the hook passed a file with a finding"; cat bad.txt
    elif grep -q "DJM101" bad.txt; then
        ok "$name: the hook refuses the bad file with DJM101"
    else
        fail "$name: the hook failed without the finding"; cat bad.txt
    fi
    echo "pre-commit: $name hook installed and ran in $(since "$start")s"

    sed -i 's/    if students:/    if students.exists():/' views.py
    git add views.py
    if "$precommit" run dormlint --files views.py > good.txt 2>&1; then
        ok "$name: the hook passes the fixed file"
    else
        fail "$name: the hook refused the fixed file"; cat good.txt
    fi

    if "$precommit" run dormlint --files legacy/views.py > excluded.txt 2>&1; then
        ok "$name: --force-exclude leaves the excluded legacy/views.py alone"
    else
        fail "$name: the hook checked an excluded file"; cat excluded.txt
    fi
}

# The rust hook builds in the shared target directory. pre-commit's `cargo install`
# ignores Cargo.lock, so its dependencies resolve anew and most are compiled again
# (as for a user); what matches the wheel's release build is reused.
export CARGO_TARGET_DIR=$target
hook_runs rust "$source_repo" "$source_rev"

if ls "$wheels"/dormlint-*.whl > /dev/null 2>&1; then
    export PIP_FIND_LINKS=$wheels
    hook_runs python "$mirror" "$mirror_rev"
else
    fail "python: no wheel in $wheels (run tests/wheel.sh first)"
fi

echo "pre-commit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
