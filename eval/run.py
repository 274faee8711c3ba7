#!/usr/bin/env python3
"""Measure dormlint's findings on real Django applications, against recorded verdicts.

Downloads a pinned list of large Django applications from PyPI (sdists, or a wheel
where the project ships no sdist) into a cache, unpacks each once, runs dormlint on
each project root, and prints:

  * findings by rule and by project, with the time each run took;
  * per rule, how many findings carry a verdict in eval/verdicts.tsv and the
    TRUE / FALSE / DEBATABLE counts and shares (precision as judged by a reader);
  * the findings that have no verdict yet, and the verdicts whose finding is gone.

Standard library only; `pip download` is run as a subprocess. See eval/README.md.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parent
REPO_ROOT = EVAL_DIR.parent
DEFAULT_CACHE = EVAL_DIR / ".cache"
DEFAULT_BINARY = REPO_ROOT / "target" / "release" / "dormlint"
VERDICTS = EVAL_DIR / "verdicts.tsv"
VERDICT_HEADER = ["project", "path", "row", "code", "verdict", "reason"]
VERDICT_VALUES = ("TRUE", "FALSE", "DEBATABLE")
# pip prepares an sdist's metadata (installing its build requirements) before saving it;
# ReviewBoard's took minutes without an end in sight.
PIP_TIMEOUT = 240


@dataclass(frozen=True)
class Project:
    name: str  # the PyPI name, also the project's key in verdicts.tsv
    version: str
    kind: str  # "sdist", or "wheel" when PyPI has no sdist of this version
    note: str = ""

    @property
    def key(self) -> str:
        return self.name


# Large real Django applications, none of them in the benchmark corpus (bench/README.md).
# Pinned so that a verdict's row number keeps pointing at the same code.
PROJECTS = [
    Project("weblate", "5.14.3", "sdist", "translation platform; Celery, gunicorn/uwsgi examples"),
    Project("pretix", "2026.8.0", "sdist", "ticket shop; Celery tasks, plugins"),
    Project("pretalx", "2025.2.2", "sdist", "conference CfP and schedule"),
    Project("ReviewBoard", "8.1", "sdist", "code review (Djblets)"),
    Project("postorius", "1.3.13", "sdist", "Mailman 3 web UI"),
    Project("HyperKitty", "1.3.12", "sdist", "Mailman 3 archiver"),
    Project("nautobot", "3.2.7", "sdist", "network source of truth (NetBox fork); jobs, Celery"),
    Project("modoboa", "2.12.0", "sdist", "mail hosting admin"),
    Project("label-studio", "1.23.2", "sdist", "data labelling; DRF, rq jobs"),
    Project("django-helpdesk", "2.6.1", "sdist", "ticketing app"),
]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- download / unpack


def archive_dir(cache: Path, p: Project) -> Path:
    return cache / "archives" / f"{p.name}-{p.version}"


def unpack_dir(cache: Path, p: Project) -> Path:
    return cache / "src" / f"{p.name}-{p.version}"


def download(cache: Path, p: Project) -> Path | None:
    """The archive of `p` in the cache, downloading it with pip when missing."""
    dest = archive_dir(cache, p)
    existing = [f for f in dest.glob("*") if f.is_file()] if dest.is_dir() else []
    if existing:
        return existing[0]
    dest.mkdir(parents=True, exist_ok=True)
    # `--no-binary NAME`, not `:all:`: `:all:` also forces the sdist's build requirements
    # (setuptools, ...) to be built from source just to read its metadata, minutes each.
    binary_opt = ["--no-binary", p.name] if p.kind == "sdist" else ["--only-binary", ":all:"]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", *binary_opt,
           f"{p.name}=={p.version}", "-d", str(dest), "--quiet", "--disable-pip-version-check"]
    log(f"downloading {p.name}=={p.version} ({p.kind})")
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=PIP_TIMEOUT)
        err = res.stderr
    except subprocess.TimeoutExpired as e:
        res, err = None, f"pip download took more than {PIP_TIMEOUT}s\n"
    files = [f for f in dest.glob("*") if f.is_file() and not f.name.endswith(".part")]
    if res is not None and res.returncode == 0 and files:
        return files[0]
    for f in dest.glob("*"):
        f.unlink()
    # pip prepares an sdist's metadata before it saves it, which installs (and can fail
    # on) the build requirements: pretix 2026.8.0's conflict with pip's own. The archive
    # itself is fine, so take it from PyPI's simple index and check its sha256.
    log(f"  pip download failed ({(err.strip().splitlines() or ['?'])[-1][:200]}); trying PyPI's simple index")
    got = download_from_simple_index(p, dest)
    if got is None:
        log(f"  download failed for {p.name}=={p.version}:\n{err.strip()[-2000:]}")
    return got


def download_from_simple_index(p: Project, dest: Path) -> Path | None:
    """The archive from PyPI's simple index (the JSON form pip itself reads), sha256-checked."""
    url = f"https://pypi.org/simple/{p.name.lower()}/"
    req = urllib.request.Request(url, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            meta = json.load(r)
    except (OSError, ValueError) as e:
        log(f"  {url}: {e}")
        return None
    norm = p.name.lower().replace("-", "_")
    for u in meta.get("files", []):
        fn = u["filename"]
        stem = fn.lower().replace("-", "_")
        if p.kind == "sdist":
            ok = stem in (f"{norm}_{p.version}.tar.gz", f"{norm}_{p.version}.zip")
        else:
            ok = stem.startswith(f"{norm}_{p.version}_") and fn.endswith("-none-any.whl")
        if not ok:
            continue
        target = dest / fn
        tmp = dest / (fn + ".part")
        h = hashlib.sha256()
        try:
            with urllib.request.urlopen(u["url"], timeout=300) as r, tmp.open("wb") as out:
                while chunk := r.read(1 << 20):
                    h.update(chunk)
                    out.write(chunk)
        except OSError as e:
            log(f"  {u['url']}: {e}")
            tmp.unlink(missing_ok=True)
            return None
        if h.hexdigest() != u.get("hashes", {}).get("sha256"):
            log(f"  {fn}: sha256 mismatch")
            tmp.unlink(missing_ok=True)
            return None
        tmp.rename(target)
        return target
    log(f"  PyPI lists no {p.kind} for {p.name}=={p.version}")
    return None


def unpack(cache: Path, p: Project, archive: Path) -> Path:
    """Unpack once; return the project root (the sdist's top directory, or the wheel's)."""
    dest = unpack_dir(cache, p)
    marker = dest / ".dormlint-eval-unpacked"
    if not marker.exists():
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        name = archive.name
        if name.endswith((".tar.gz", ".tgz", ".tar.bz2", ".tar")):
            with tarfile.open(archive) as tf:
                tf.extractall(dest, filter="data")
        elif name.endswith((".zip", ".whl")):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(dest)
        else:
            raise SystemExit(f"unknown archive type: {archive}")
        marker.write_text(archive.name + "\n")
    entries = [e for e in dest.iterdir() if e.name != marker.name]
    if p.kind == "sdist" and len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return dest


def fetch_all(cache: Path, projects: list[Project]) -> tuple[dict[str, Path], list[str]]:
    roots: dict[str, Path] = {}
    failed: list[str] = []
    for p in projects:
        archive = download(cache, p)
        if archive is None:
            failed.append(p.key)
            continue
        roots[p.key] = unpack(cache, p, archive)
    return roots, failed


# ---------------------------------------------------------------- running dormlint


@dataclass(frozen=True)
class Finding:
    project: str
    path: str  # relative to the project root, '/'-separated
    row: int
    column: int
    code: str
    message: str

    @property
    def key(self) -> tuple[str, str, int, str]:
        return (self.project, self.path, self.row, self.code)


def ensure_binary(binary: Path, is_default: bool) -> None:
    if binary.exists():
        return
    if not is_default:
        raise SystemExit(f"dormlint binary not found: {binary}")
    log(f"{binary} missing: running cargo build --release")
    res = subprocess.run(["cargo", "build", "--release"], cwd=REPO_ROOT)
    if res.returncode != 0 or not binary.exists():
        raise SystemExit("cargo build --release failed")


def run_dormlint(binary: Path, project: str, root: Path, preview: bool) -> tuple[list[Finding], float, str]:
    cmd = [str(binary), "check", str(root), "--output-format", "json", "--exit-zero", "--no-cache"]
    if preview:
        cmd.append("--preview")
    start = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if res.returncode != 0:
        return [], elapsed, f"exit {res.returncode}: {res.stderr.strip()[:500]}"
    try:
        raw = json.loads(res.stdout or "[]")
    except json.JSONDecodeError as e:
        return [], elapsed, f"unreadable JSON output: {e}"
    findings = []
    for d in raw:
        try:
            rel = Path(d["filename"]).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            rel = d["filename"]
        loc = d.get("location") or {}
        findings.append(Finding(project, rel, int(loc.get("row", 0)), int(loc.get("column", 0)),
                                d["code"], d.get("message", "")))
    findings.sort(key=lambda f: (f.path, f.row, f.column, f.code))
    return findings, elapsed, ""


# ---------------------------------------------------------------- verdicts


@dataclass(frozen=True)
class Verdict:
    project: str
    path: str
    row: int
    code: str
    verdict: str
    reason: str
    line_no: int

    @property
    def key(self) -> tuple[str, str, int, str]:
        return (self.project, self.path, self.row, self.code)


def read_verdicts(path: Path) -> list[Verdict]:
    if not path.exists():
        return []
    out = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            if n == 1 or cols[:len(VERDICT_HEADER)] == VERDICT_HEADER:
                continue
            if len(cols) < 6 or cols[4] not in VERDICT_VALUES or not cols[2].isdigit():
                log(f"{path.name}:{n}: malformed verdict line skipped: {line[:120]!r}")
                continue
            out.append(Verdict(cols[0], cols[1], int(cols[2]), cols[3], cols[4],
                               "\t".join(cols[5:]), n))
    return out


# ---------------------------------------------------------------- printing


def table(headers: list[str], rows: list[list[object]]) -> str:
    cells = [[str(c) for c in r] for r in [headers, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for k, r in enumerate(cells):
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def pct(n: int, d: int) -> str:
    return f"{100 * n / d:.0f}%" if d else "-"


def print_findings_table(findings: list[Finding], projects: list[str], timings: dict[str, float],
                         errors: dict[str, str]) -> None:
    codes = sorted({f.code for f in findings})
    count = collections.Counter((f.project, f.code) for f in findings)
    per_project = collections.Counter(f.project for f in findings)
    headers = ["project", *codes, "total", "time"]
    rows = []
    for pr in projects:
        rows.append([pr, *[count[(pr, c)] or "." for c in codes], per_project[pr],
                     f"{timings.get(pr, 0):.2f}s"])
    per_code = collections.Counter(f.code for f in findings)
    rows.append(["TOTAL", *[per_code[c] for c in codes], len(findings), f"{sum(timings.values()):.2f}s"])
    print("## Findings by rule and project\n")
    print(table(headers, rows))
    for pr, err in errors.items():
        print(f"\n!! {pr}: dormlint failed: {err}")
    print()


def print_verdict_tables(findings: list[Finding], verdicts: list[Verdict], show_all_unjudged: bool) -> None:
    by_key: dict[tuple, Verdict] = {}
    for v in verdicts:
        if v.key in by_key:
            log(f"verdicts.tsv:{v.line_no}: duplicate verdict for {v.key}, line {by_key[v.key].line_no} kept")
            continue
        by_key[v.key] = v
    current_keys = {f.key for f in findings}
    codes = sorted({f.code for f in findings} | {v.code for v in by_key.values() if v.key in current_keys})

    print("## Verdicts by rule (findings of this run that carry a verdict)\n")
    rows = []
    tot = collections.Counter()
    for c in codes:
        now = [f for f in findings if f.code == c]
        judged = [by_key[f.key] for f in now if f.key in by_key]
        k = collections.Counter(v.verdict for v in judged)
        n = len(judged)
        tot.update(k)
        tot["now"] += len(now)
        tot["judged"] += n
        rows.append([c, len(now), n, k["TRUE"], k["FALSE"], k["DEBATABLE"],
                     pct(k["TRUE"], n), pct(k["FALSE"], n), pct(k["DEBATABLE"], n)])
    n = tot["judged"]
    rows.append(["TOTAL", tot["now"], n, tot["TRUE"], tot["FALSE"], tot["DEBATABLE"],
                 pct(tot["TRUE"], n), pct(tot["FALSE"], n), pct(tot["DEBATABLE"], n)])
    print(table(["rule", "findings", "judged", "TRUE", "FALSE", "DEBAT", "TRUE%", "FALSE%", "DEBAT%"], rows))

    # FALSE kinds: the bracketed tag that opens a FALSE verdict's reason.
    kinds = collections.Counter()
    for f in findings:
        v = by_key.get(f.key)
        if v and v.verdict == "FALSE":
            r = v.reason.strip()
            kinds[r[1:r.index("]")] if r.startswith("[") and "]" in r else "(untagged)"] += 1
    if kinds:
        print("\nFALSE findings by kind: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))

    unjudged = [f for f in findings if f.key not in by_key]
    print(f"\n## Findings without a verdict: {len(unjudged)}\n")
    if show_all_unjudged:
        for f in unjudged:
            print(f"{f.project}:{f.path}:{f.row}:{f.column}: {f.code} {f.message}")
    else:
        per = collections.Counter(f.code for f in unjudged)
        print("  " + ", ".join(f"{c} {per[c]}" for c in sorted(per)) if per else "  none")
        shown = collections.Counter()
        for f in unjudged:
            if shown[f.code] < 3:
                shown[f.code] += 1
                print(f"  {f.project}:{f.path}:{f.row}:{f.column}: {f.code} {f.message[:110]}")
        if unjudged:
            print("  (--unjudged lists them all)")

    gone = [v for v in by_key.values() if v.key not in current_keys]
    print(f"\n## Verdicts whose finding is gone: {len(gone)}\n")
    gone_count = collections.Counter((v.code, v.verdict) for v in gone)
    if gone_count:
        print("  " + ", ".join(f"{c} {vd} {n}" for (c, vd), n in sorted(gone_count.items())))
    for v in sorted(gone, key=lambda v: (v.code, v.project, v.path, v.row)):
        print(f"  {v.code} {v.verdict:9} {v.project}:{v.path}:{v.row}  {v.reason[:100]}")


def show_source(roots: dict[str, Path], spec: str, findings: list[Finding], radius: int = 15) -> None:
    # PROJECT:PATH:ROW, or PROJECT:PATH:ROW:COL as --unjudged prints it.
    project_key, _, rest = spec.partition(":")
    parts = rest.split(":")
    if len(parts) >= 3 and parts[-1].isdigit() and parts[-2].isdigit():
        parts = parts[:-1]
    rel, row_s = ":".join(parts[:-1]), parts[-1]
    try:
        row = int(row_s)
    except ValueError:
        raise SystemExit(f"--show wants PROJECT:PATH:ROW, got {spec!r}")
    if project_key not in roots:
        raise SystemExit(f"unknown project {project_key!r}; known: {', '.join(roots)}")
    file = roots[project_key] / rel
    lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
    lo, hi = max(1, row - radius), min(len(lines), row + radius)
    print(f"== {project_key}:{rel}:{row}")
    for f in findings:
        if f.project == project_key and f.path == rel and abs(f.row - row) <= radius:
            print(f"   {f.row}:{f.column} {f.code} {f.message}")
    for i in range(lo, hi + 1):
        print(f"{'>' if i == row else ' '}{i:5} {lines[i - 1]}")


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dormlint", type=Path, default=None,
                    help=f"the binary (default {DEFAULT_BINARY.relative_to(REPO_ROOT)}, built if missing)")
    ap.add_argument("--cache", type=Path, default=None,
                    help="download/unpack directory (default $DORMLINT_EVAL_CACHE or eval/.cache)")
    ap.add_argument("--preview", action="store_true", help="pass --preview to dormlint")
    ap.add_argument("--project", action="append", default=[],
                    help="run only this project (repeatable)")
    ap.add_argument("--verdicts", type=Path, default=VERDICTS)
    ap.add_argument("--unjudged", action="store_true", help="list every finding without a verdict")
    ap.add_argument("--json-out", type=Path, help="write the raw findings here as JSON")
    ap.add_argument("--show", action="append", default=[], metavar="PROJECT:PATH:ROW",
                    help="print the source around a finding (±15 lines) and exit; repeatable")
    ap.add_argument("--download-only", action="store_true", help="download and unpack, run nothing")
    args = ap.parse_args(argv)

    cache = (args.cache or Path(os.environ.get("DORMLINT_EVAL_CACHE") or DEFAULT_CACHE)).resolve()
    selected = PROJECTS
    if args.project:
        wanted = {p.lower() for p in args.project}
        selected = [p for p in PROJECTS if p.key.lower() in wanted]
        if not selected:
            raise SystemExit(f"no such project; known: {', '.join(p.key for p in PROJECTS)}")
    if args.show:
        wanted = {s.partition(":")[0] for s in args.show}
        selected = [p for p in selected if p.key in wanted]

    roots, failed = fetch_all(cache, selected)
    if args.download_only:
        for k, r in roots.items():
            print(f"{k}\t{r}")
        return 1 if failed else 0

    binary = (args.dormlint or DEFAULT_BINARY).resolve()
    ensure_binary(binary, args.dormlint is None)

    findings: list[Finding] = []
    timings: dict[str, float] = {}
    errors: dict[str, str] = {}
    for p in selected:
        if p.key not in roots:
            continue
        fs, t, err = run_dormlint(binary, p.key, roots[p.key], args.preview)
        findings += fs
        timings[p.key] = t
        if err:
            errors[p.key] = err

    if args.show:
        for spec in args.show:
            show_source(roots, spec, findings)
        return 1 if failed else 0

    print(f"dormlint: {binary}{' --preview' if args.preview else ''}")
    print("projects: " + ", ".join(f"{p.name} {p.version}{' (wheel)' if p.kind == 'wheel' else ''}"
                                   for p in selected if p.key in roots) + "\n")
    print_findings_table(findings, [p.key for p in selected if p.key in roots], timings, errors)
    verdicts = [v for v in read_verdicts(args.verdicts) if v.project in roots]
    print_verdict_tables(findings, verdicts, args.unjudged)

    if args.json_out:
        args.json_out.write_text(json.dumps([f.__dict__ for f in findings], indent=1) + "\n")
        log(f"wrote {len(findings)} findings to {args.json_out}")
    if failed:
        log("download failed: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
