#!/usr/bin/env python3
"""Write-back and the tier-1 cache (issue 8), on one MinIO started for the run (SQLite metadata):

    python3 bench/writeback.py                  # 3 reps, 10,000 files, the Linux tree, 1 GiB re-read
    python3 bench/writeback.py --quick          # small sizes (a smoke run, ~3 min)
    python3 bench/writeback.py --only files --reps 5

Columns, each on a fresh volume (own bucket on the shared MinIO) per repetition, interleaved:
  tierfs-wb    tierfs --writeback --upload-delay 1m (defaults otherwise: staged blocks fsynced)
  tierfs       tierfs without write-back (every close uploads)
  juicefs-wb   juicefs --writeback --upload-delay 1m
  juicefs      juicefs without write-back
  bindfs       a bare FUSE passthrough over a local directory (the limit of the re-read row)
  local        a plain directory (the limit of every row)
Rows:
  files    --files (10,000) files of 4 KiB..1 MiB (log-uniform sizes, seed 1) written and closed in one
           directory, files/s; each file read back and compared afterwards (not timed)
  tree     the Linux source tree extracted (bench/linux_tree.py), files/s; verified afterwards
  reread   a --cached-mib (1,024) file written, read once (fills the disk cache), page cache dropped, read
           again: MB/s of the second read (every MiB checked); with the disk cache on for the volumes
Uploads left after the clock (staged blocks) are flushed and unmounted outside the clock.
Medians over repetitions and the ratios the issue asks for are printed as a markdown table.
"""
from __future__ import annotations

import argparse
import hashlib
import math
import os
import random
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
from harness import Volume, drop_caches, juicefs_binary, tierfs_binary  # noqa: E402
from minio_server import MinioServer  # noqa: E402
from run import BindfsTarget, LocalTarget  # noqa: E402

MiB = 1 << 20
WB = ["--writeback", "--upload-delay", "1m"]


class VolumeColumn:
    def __init__(self, name, binary, extra, minio):
        self.name, self.binary, self.extra, self.minio, self.mount = name, binary, extra, minio, None

    def setup(self, root: Path) -> Path:
        vol = Volume(root, self.binary, name="bench", minio=self.minio, bucket_name=root.name.lower())
        self.mount = vol.format().mount(root / "mnt", extra=self.extra)
        return self.mount.path

    def cold(self) -> Path:
        drop_caches()
        return self.mount.path

    def teardown(self):
        if self.mount is None:
            return
        if self.binary.flavor == "tierfs" and "--writeback" in self.extra:
            self.binary.run("flush", self.mount.path, timeout=1800)
        self.mount.umount()  # juicefs uploads what it staged before it exits (not timed)
        self.mount = None


def sizes(n: int, seed: int = 1) -> list[int]:
    rnd = random.Random(seed)
    return [int(math.exp(rnd.uniform(math.log(4096), math.log(1 << 20)))) for _ in range(n)]


def content(i: int, size: int) -> bytes:
    return (hashlib.sha256(str(i).encode()).digest() * (size // 32 + 1))[:size]


def files(path: Path, n: int) -> float:
    d = path / "files"
    d.mkdir()
    ss = sizes(n)
    t0 = time.monotonic()
    for i, s in enumerate(ss):
        with open(d / f"f{i}", "wb") as f:
            f.write(content(i, s))
    dt = time.monotonic() - t0
    for i, s in enumerate(ss):
        if (d / f"f{i}").read_bytes() != content(i, s):
            raise AssertionError(f"files: f{i} reads back wrong")
    return n / dt


def tree(path: Path, subtree, tarball: str) -> float:
    expected = L.select(L.manifest(), subtree)
    nfiles = sum(1 for v in expected.values() if v[0] != "d")
    dest = path / "tree"
    dest.mkdir()
    dt = L.extract(dest, subtree, tarball=tarball)
    bad = L.verify(dest, expected)
    if bad:
        raise AssertionError(f"tree: {len(bad)} entries differ, e.g. {bad[:3]}")
    return nfiles / dt


def reread(col, path: Path, mib: int) -> float:
    p = path / "big"
    with open(p, "wb") as f:
        for i in range(mib):
            f.write(i.to_bytes(8, "little") * (MiB // 8))
        f.flush()
        os.fsync(f.fileno())
    with open(p, "rb") as f:  # fills the disk cache
        while f.read(MiB):
            pass
    path = col.cold()
    t0 = time.monotonic()
    with open(path / "big", "rb") as f:
        for i in range(mib):
            if f.read(MiB) != i.to_bytes(8, "little") * (MiB // 8):
                raise AssertionError(f"reread: MiB {i} wrong")
    return mib * MiB / 1e6 / (time.monotonic() - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--files", type=int, default=10000)
    ap.add_argument("--cached-mib", type=int, default=1024)
    ap.add_argument("--only", default="files,tree,reread")
    ap.add_argument("--targets", default="tierfs-wb,tierfs,juicefs-wb,juicefs,bindfs,local")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    if a.quick:
        a.files, a.cached_mib, a.reps = min(a.files, 1000), min(a.cached_mib, 128), min(a.reps, 1)
    subtree = L.FAST_SUBTREE if a.quick else None
    tarball = L.plain_tarball() if "tree" in a.only else ""  # decompressed once, not timed
    if tarball:
        L.manifest()
    work = Path(tempfile.mkdtemp(prefix="wbbench-", dir=os.environ.get("TIERFS_E2E_TMP", "/tmp")))
    minio = MinioServer(work / "minio").start()
    fs, jfs = tierfs_binary(), juicefs_binary()
    makers = {
        "tierfs-wb": lambda: VolumeColumn("tierfs-wb", fs, WB, minio),
        "tierfs": lambda: VolumeColumn("tierfs", fs, [], minio),
        "juicefs-wb": lambda: VolumeColumn("juicefs-wb", jfs, WB, minio),
        "juicefs": lambda: VolumeColumn("juicefs", jfs, [], minio),
        "bindfs": lambda: BindfsTarget(shutil.which("bindfs"), []),
        "local": lambda: LocalTarget(),
    }
    targets = a.targets.split(",")
    rows = a.only.split(",")
    results = {(r, t): [] for r in rows for t in targets}
    try:
        for rep in range(a.reps):
            for t in targets:
                for r in rows:
                    if r != "reread" and t == "bindfs":
                        continue
                    root = work / f"r{rep}-{t}-{r}"
                    root.mkdir()
                    col = makers[t]()
                    path = col.setup(root)
                    try:
                        if r == "files":
                            v = files(path, a.files)
                        elif r == "tree":
                            v = tree(path, subtree, tarball)
                        else:
                            v = reread(col, path, a.cached_mib)
                    finally:
                        col.teardown()
                    results[(r, t)].append(v)
                    print(f"rep {rep} {r:7s} {t:10s} {v:10.1f}", flush=True)
                    shutil.rmtree(root, ignore_errors=True)
    finally:
        minio.stop()
    med = {k: statistics.median(v) for k, v in results.items() if v}
    units = {"files": "files/s", "tree": "files/s", "reread": "MB/s"}
    print("\n| row | " + " | ".join(targets) + " |")
    print("|---|" + "---|" * len(targets))
    for r in rows:
        cells = [f"{med[(r, t)]:.0f}" if (r, t) in med else "n/a" for t in targets]
        print(f"| {r} ({units[r]}) | " + " | ".join(cells) + " |")
    def ratio(r, x, y):
        return f"{med[(r, x)] / med[(r, y)]:.2f}x" if (r, x) in med and (r, y) in med else "n/a"
    for r in rows:
        if r == "reread":
            print(f"\n{r}: tierfs/bindfs {ratio(r, 'tierfs', 'bindfs')}, tierfs-wb/bindfs {ratio(r, 'tierfs-wb', 'bindfs')}")
        else:
            print(f"\n{r}: tierfs-wb/juicefs-wb {ratio(r, 'tierfs-wb', 'juicefs-wb')}, "
                  f"tierfs-wb/tierfs {ratio(r, 'tierfs-wb', 'tierfs')}, tierfs-wb/local {ratio(r, 'tierfs-wb', 'local')}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
