#!/usr/bin/env python3
"""The Linux source tree workload, shared by tests/e2e/test_linux_tree.py and bench/run.py.

    python3 bench/linux_tree.py extract DEST [--subtree PATTERN ...]   # tar xJf, prints files/s
    python3 bench/linux_tree.py verify DEST [--subtree PATTERN ...]    # sha256 of every file vs the tarball

The manifest (path -> type, sha256 or link target) is computed by streaming the tarball once with
Python's tarfile and cached under $TIERFS_E2E_CACHE (default /tmp/e2e-cache), keyed by size and mtime.
"""
from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import stat
import subprocess
import sys
import tarfile
import time
from pathlib import Path

TARBALL = os.environ.get("TIERFS_LINUX_TARBALL", "/usr/src/linux-source-6.1.tar.xz")
TOP = "linux-source-6.1"
# The fast tier's subtree: ~700 entries with files, directories and symlinks.
FAST_SUBTREE = [f"{TOP}/kernel*", f"{TOP}/fs/ext4*", f"{TOP}/scripts/dtc*"]
CACHE = Path(os.environ.get("TIERFS_E2E_CACHE", "/tmp/e2e-cache"))


def manifest(tarball: str = TARBALL) -> dict[str, list]:
    """{relative path: ["f", sha256, size, mode] | ["l", target] | ["d"]} for the whole tarball."""
    st = os.stat(tarball)
    cache = CACHE / f"{Path(tarball).name}.{st.st_size}.{st.st_mtime_ns}.json"
    if cache.exists():
        return json.loads(cache.read_text())
    out: dict[str, list] = {}
    with tarfile.open(tarball, "r|xz") as tf:
        for ti in tf:
            name = ti.name.rstrip("/")
            if ti.isdir():
                out[name] = ["d"]
            elif ti.issym():
                out[name] = ["l", ti.linkname]
            elif ti.islnk():
                out[name] = list(out[ti.linkname])
            elif ti.isreg():
                h = hashlib.sha256()
                f = tf.extractfile(ti)
                while b := f.read(1 << 20):
                    h.update(b)
                out[name] = ["f", h.hexdigest(), ti.size, ti.mode & 0o7777]
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    tmp.write_text(json.dumps(out))
    tmp.rename(cache)
    return out


def select(man: dict, patterns: list[str] | None) -> dict:
    """The entries GNU tar --wildcards PATTERN would extract (a match or anything below it)."""
    if not patterns:
        return man
    def hit(name):
        parts = name.split("/")
        return any(fnmatch.fnmatchcase("/".join(parts[:i]), p) for p in patterns for i in range(1, len(parts) + 1))
    return {k: v for k, v in man.items() if hit(k)}


def plain_tarball(tarball: str = TARBALL) -> str:
    """The tarball decompressed once into the cache: benchmarks time the file system, not xz."""
    st = os.stat(tarball)
    plain = CACHE / f"{Path(tarball).name}.{st.st_size}.{st.st_mtime_ns}.tar"
    if not plain.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = plain.with_suffix(".part")
        with open(tmp, "wb") as out:
            subprocess.run(["xz", "-dc", tarball], stdout=out, check=True)
        tmp.rename(plain)
    return str(plain)


def extract(dest: str | os.PathLike, patterns: list[str] | None = None, tarball: str = TARBALL) -> float:
    """tar xf into dest (xz or plain, by the tarball's name); returns seconds taken."""
    cmd = ["tar", "-xJf" if tarball.endswith(".xz") else "-xf", tarball, "-C", str(dest)]
    if patterns:
        cmd += ["--wildcards", *patterns]
    t0 = time.monotonic()
    subprocess.run(cmd, check=True)
    return time.monotonic() - t0


def verify(dest: str | os.PathLike, expected: dict) -> list[str]:
    """Problems found comparing dest against `expected` (selected manifest); [] when identical."""
    dest = Path(dest)
    problems = []
    seen = set()
    for dirpath, dirnames, filenames in os.walk(dest / TOP):
        if ".git" in dirnames:  # a repository made on top of the tree (the tarball has none)
            dirnames.remove(".git")
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            seen.add(os.path.relpath(p, dest))
    want_nondirs = {k for k, v in expected.items() if v[0] != "d"}
    have_nondirs = {k for k in seen if not os.path.isdir(dest / k) or os.path.islink(dest / k)}
    for k in sorted(want_nondirs - have_nondirs)[:20]:
        problems.append(f"missing: {k}")
    for k in sorted(have_nondirs - want_nondirs)[:20]:
        problems.append(f"unexpected: {k}")
    for k in sorted(want_nondirs & have_nondirs):
        e, p = expected[k], dest / k
        st = os.lstat(p)
        if e[0] == "l":
            if not stat.S_ISLNK(st.st_mode) or os.readlink(p) != e[1]:
                problems.append(f"symlink differs: {k}")
        else:
            if not stat.S_ISREG(st.st_mode) or st.st_size != e[2]:
                problems.append(f"size/type differs: {k}")
                continue
            h = hashlib.sha256()
            with open(p, "rb") as f:
                while b := f.read(1 << 20):
                    h.update(b)
            if h.hexdigest() != e[1]:
                problems.append(f"sha256 differs: {k}")
            if stat.S_IMODE(st.st_mode) != e[3]:
                problems.append(f"mode differs: {k} {oct(stat.S_IMODE(st.st_mode))} != {oct(e[3])}")
        if len(problems) > 50:
            break
    for k in (k for k, v in expected.items() if v[0] == "d"):
        if not os.path.isdir(dest / k):
            problems.append(f"missing dir: {k}")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("action", choices=["extract", "verify", "manifest"])
    ap.add_argument("dest", nargs="?")
    ap.add_argument("--subtree", action="append", help="tar --wildcards pattern (repeatable); default whole tree")
    ap.add_argument("--fast", action="store_true", help=f"use the fast-tier subtree {FAST_SUBTREE}")
    a = ap.parse_args()
    patterns = FAST_SUBTREE if a.fast else a.subtree
    if a.action == "manifest":
        print(len(select(manifest(), patterns)), "entries")
    elif a.action == "extract":
        n = sum(1 for v in select(manifest(), patterns).values() if v[0] != "d")
        secs = extract(a.dest, patterns)
        print(f"extracted {n} files in {secs:.1f}s: {n / secs:.0f} files/s")
    else:
        problems = verify(a.dest, select(manifest(), patterns))
        print("\n".join(problems) or "OK")
        sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
