#!/usr/bin/env python3
"""tierfs vs JuiceFS vs the local file system, in one run on one machine.

    sudo python3 bench/run.py                 # full sizes, 3 repetitions (~15-30 min on 2 cores)
    sudo python3 bench/run.py --quick         # small sizes, to check that it works (~2 min)

Both FUSE file systems get the same setup: sqlite3 metadata and a local-directory bucket under the
work directory, `--trash-days 0`, default mount options (plus --enable-xattr). "local" is a plain
directory on the host file system holding the work directory: the limit FUSE cannot beat.

Per repetition, on a fresh volume: Linux-tree extraction files/s (tar xf of the tarball decompressed
once beforehand, so xz does not set the pace); N x 4 KiB files
create / read / stat / delete ops/s; one big file sequential write then read MB/s. Page caches are
dropped between phases; the big file is read after unmount + mount (cold). Reported: medians.
A missing binary leaves its column "n/a" with a note; the rest still runs.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "e2e"))

import linux_tree as L  # noqa: E402
from harness import Binary, Volume, drop_caches, juicefs_binary, tierfs_binary  # noqa: E402

MiB = 1 << 20
METRICS = [  # key, label, unit
    ("tree", "Linux tree extract", "files/s"),
    ("create", "4 KiB files: create", "ops/s"),
    ("read", "4 KiB files: read", "ops/s"),
    ("stat", "4 KiB files: stat", "ops/s"),
    ("delete", "4 KiB files: delete", "ops/s"),
    ("seqwrite", "sequential write", "MB/s"),
    ("seqread", "sequential read (cold)", "MB/s"),
]


class Target:
    """Where a repetition runs: a fresh FUSE volume, or a fresh local directory."""

    def __init__(self, name: str, binary: Binary | None):
        self.name, self.binary = name, binary
        self.mount = None

    def setup(self, root: Path) -> Path:
        if self.binary is None:
            (root / "local").mkdir()
            return root / "local"
        vol = Volume(root, self.binary, name="bench").format()
        self.mount = vol.mount(root / "mnt")
        return self.mount.path

    def cold(self) -> Path:
        """Forget everything cached in memory: remount a FUSE volume; drop the page cache."""
        if self.mount is not None:
            self.mount = self.mount.remount()
        drop_caches()
        return self.mount.path if self.mount is not None else None

    def teardown(self):
        if self.mount is not None:
            self.mount.umount()
            self.mount = None


def timed(fn) -> float:
    t0 = time.monotonic()
    fn()
    return time.monotonic() - t0


def one_rep(target: Target, root: Path, a) -> dict[str, float]:
    res = {}
    path = target.setup(root)
    try:
        patterns = L.FAST_SUBTREE if a.quick else None
        nfiles = sum(1 for v in L.select(L.manifest(), patterns).values() if v[0] != "d")
        drop_caches()
        subprocess.run(["cat", a.tarball], stdout=subprocess.DEVNULL, check=True)  # source hot, target cold
        res["tree"] = nfiles / L.extract(path, patterns, tarball=a.tarball)

        d = path / "small"
        d.mkdir()
        names = [str(d / f"f{i:05d}") for i in range(a.files)]
        block = os.urandom(4096)

        def create():
            for n in names:
                fd = os.open(n, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.write(fd, block)
                os.close(fd)

        def read():
            for n in names:
                fd = os.open(n, os.O_RDONLY)
                assert len(os.read(fd, 8192)) == 4096
                os.close(fd)

        def stat():
            for n in names:
                os.stat(n)

        def delete():
            for n in names:
                os.unlink(n)

        res["create"] = a.files / timed(create)
        for key, fn in (("read", read), ("stat", stat), ("delete", delete)):
            drop_caches()
            res[key] = a.files / timed(fn)

        size = a.big_mib * MiB
        buf = os.urandom(MiB)
        big = path / "big"

        def write():
            fd = os.open(big, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            for _ in range(a.big_mib):
                os.write(fd, buf)
            os.fsync(fd)
            os.close(fd)

        drop_caches()
        res["seqwrite"] = size / 1e6 / timed(write)
        path = target.cold() or path
        big = path / "big"

        def readall():
            fd = os.open(big, os.O_RDONLY)
            n = 0
            while chunk := os.read(fd, MiB):
                n += len(chunk)
            os.close(fd)
            assert n == size

        res["seqread"] = size / 1e6 / timed(readall)
    finally:
        target.teardown()
    return res


def fmt(v) -> str:
    if v is None:
        return "n/a"
    return f"{v:,.0f}" if v >= 100 else f"{v:,.1f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3, help="repetitions per target (median reported), >= 3")
    ap.add_argument("--files", type=int, default=10_000, help="number of 4 KiB files")
    ap.add_argument("--big-mib", type=int, default=1024, help="sequential file size in MiB")
    ap.add_argument("--quick", action="store_true", help="Linux subtree, 1,000 files, 128 MiB (a smoke run)")
    ap.add_argument("--targets", default="tierfs,juicefs,local", help="comma-separated subset")
    ap.add_argument("--workdir", default=os.environ.get("TIERFS_E2E_TMP", "/tmp"),
                    help="parent of the per-run work directory (its file system is 'local')")
    ap.add_argument("--out", help="also write the markdown report to this file")
    a = ap.parse_args()
    if a.quick:
        a.files, a.big_mib = min(a.files, 1000), min(a.big_mib, 128)
    if os.geteuid() != 0:
        sys.exit("bench/run.py needs root (FUSE mounts, drop_caches)")

    notes = []
    targets = []
    bins = {"tierfs": tierfs_binary(), "juicefs": juicefs_binary()}
    for name in a.targets.split(","):
        if name == "local":
            targets.append(Target("local", None))
            continue
        b = bins[name]
        if b is None or not b.exists():
            notes.append(f"{name}: binary not found ({b.path if b else 'not on PATH'}); column left n/a.")
            targets.append(None)
            continue
        targets.append(Target(name, b))
    names = a.targets.split(",")

    L.manifest()  # computed once and cached, outside any timing
    a.tarball = L.plain_tarball()
    results: dict[str, list[dict]] = {n: [] for n in names}
    base = Path(tempfile.mkdtemp(prefix="e2e-bench-", dir=a.workdir))
    try:
        for rep in range(a.reps):
            for name, t in zip(names, targets):  # interleaved, so drift hits every column alike
                if t is None:
                    continue
                root = base / f"{name}-{rep}"
                root.mkdir()
                print(f"rep {rep + 1}/{a.reps}: {name} ...", file=sys.stderr, flush=True)
                try:
                    results[name].append(one_rep(t, root, a))
                except Exception as e:  # noqa: BLE001 - one failing target must not hide the others
                    notes.append(f"{name} rep {rep + 1} failed: {e!r}"[:300])
                shutil.rmtree(root, ignore_errors=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)

    med = {n: {k: (statistics.median(r[k] for r in results[n]) if results[n] else None) for k, _, _ in METRICS}
           for n in names}
    cmd = "sudo python3 bench/run.py " + shlex.join(sys.argv[1:])
    lines = [
        f"Run {datetime.datetime.now().isoformat(timespec='seconds')} on {platform.node()}: "
        f"{os.cpu_count()} cores, Linux {platform.release()}, local FS = "
        f"{subprocess.run(['findmnt', '-no', 'FSTYPE', '-T', a.workdir], capture_output=True, text=True).stdout.strip()}; "
        f"medians of {a.reps} repetitions; {a.files} x 4 KiB files; {a.big_mib} MiB sequential file"
        f"{'; Linux subtree only' if a.quick else '; whole Linux 6.1 tree'}.",
        "",
        "| workload | unit | " + " | ".join(names) + (" | tierfs/juicefs |" if {"tierfs", "juicefs"} <= set(names) else ""),
        "|---|---|" + "---:|" * len(names) + ("---:|" if {"tierfs", "juicefs"} <= set(names) else ""),
    ]
    for key, label, unit in METRICS:
        row = f"| {label} | {unit} | " + " | ".join(fmt(med[n][key]) for n in names) + " |"
        if {"tierfs", "juicefs"} <= set(names):
            t, j = med["tierfs"][key], med["juicefs"][key]
            row += f" {t / j:.2f} |" if t and j else " n/a |"
        lines.append(row)
    lines += ["", f"Reproduce: `{cmd}`"]
    for n in names:
        if n != "local" and bins.get(n) and bins[n].exists():
            v = subprocess.run([bins[n].path, "version"], capture_output=True, text=True).stdout.strip()
            lines.append(f"- {n}: `{bins[n].path}` {v}")
    lines += [f"- note: {x}" for x in notes]
    report = "\n".join(lines) + "\n"
    print(report)
    if a.out:
        Path(a.out).write_text(report)


if __name__ == "__main__":
    main()
