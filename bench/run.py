#!/usr/bin/env python3
"""tierfs vs JuiceFS vs a bare FUSE passthrough vs the local file system, in one run on one machine.

    python3 bench/run.py                       # everything, full sizes, 3 repetitions (~2.5 h on 2 cores)
    python3 bench/run.py --skip build          # everything but the 12 compiles (~1 h)
    python3 bench/run.py --only fsx,sqlite     # some workloads only
    python3 bench/run.py --quick               # small sizes, no compile: checks that it works (~5 min)

Targets (columns), each fresh per repetition: tierfs and juicefs (the same setup: sqlite3 metadata and a
local-directory bucket under the work directory, `--trash-days 0`, default mount options plus
--enable-xattr), bindfs (a bare FUSE passthrough over a local directory, default options: the FUSE
ceiling), local (a plain directory on the file system holding the work directory: the limit FUSE
cannot beat). A missing binary or tool leaves its column or rows "n/a" with a note; the rest still runs.
`--meta redis`: tierfs and juicefs keep their metadata in one redis-server started for the run (DB 1 and
DB 2 with ?client-cache=true, flushed before every repetition), e.g. `--meta redis --only tree`.

Workloads (--only / --skip take these names), in this order on one volume per repetition:
  tree      Linux-tree extraction files/s (tar xf of the tarball decompressed once beforehand); then,
            not timed, every file's sha256 and mode and every symlink compared with the tarball
  files     N x 4 KiB files: create / read / stat / delete ops/s (page cache dropped between phases)
  seq       one big file: sequential write (fsync inside the clock), then read after a remount, MB/s
  randread  fio, 4 KiB random reads at queue depth 1 (psync) over the first 256 MiB of a 1 GiB file,
            after a remount + drop_caches; a fixed amount of I/O (64 MiB = 16,384 reads, each block at
            most once), every read checked by fio's crc32c verify headers; IOPS
  fsx       bench/fsx.cc (compiled here with g++): random read/write/truncate/mmap read/mmap write of
            1 B..64 KiB on one file of up to 10 MB, close+reopen 1 in 100, every read checked against an
            in-memory model; then the file is compared with the model after a remount; ops/s
  sqlite    100,000 inserts in transactions of 1,000 (random key order), then after a remount 20,000
            random point reads, each value checked; PRAGMA integrity_check must say ok; rows/s, reads/s
  build     git clone of this repository's HEAD onto the target (not timed), remount, then
            `cmake -G Ninja` + `ninja` (Release) there; the built `tierfs --version` must run; seconds
            (holds /tmp/tierfs-build.lock while timing, so it never overlaps another build)

Every check that fails marks the cell FAIL, prints why (for fsx: the op log tail and the command that
reproduces it) and makes the run exit 1. Reported: medians over repetitions (interleaved, so drift hits
every column alike) and tierfs/juicefs (>1 means tierfs is faster, for every row).
"""
from __future__ import annotations

import argparse
import datetime
import fcntl
import hashlib
import json
import os
import platform
import random
import shlex
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests" / "e2e"))

import linux_tree as L  # noqa: E402
from harness import (  # noqa: E402
    MOUNT_DEADLINE, Binary, RedisServer, Volume, drop_caches, is_mounted, juicefs_binary, tierfs_binary, wait_until)

MiB = 1 << 20
BUILD_LOCK = "/tmp/tierfs-build.lock"
WORKLOADS = ["tree", "files", "seq", "randread", "fsx", "sqlite", "build"]
METRICS = [  # key, workload, label, unit, higher is better
    ("tree", "tree", "Linux tree extract", "files/s", True),
    ("create", "files", "4 KiB files: create", "ops/s", True),
    ("read", "files", "4 KiB files: read", "ops/s", True),
    ("stat", "files", "4 KiB files: stat", "ops/s", True),
    ("delete", "files", "4 KiB files: delete", "ops/s", True),
    ("seqwrite", "seq", "sequential write", "MB/s", True),
    ("seqread", "seq", "sequential read (cold)", "MB/s", True),
    ("randread", "randread", "4 KiB random read, QD1 (cold)", "IOPS", True),
    ("fsx", "fsx", "fsx: mixed ops incl. mmap, one file", "ops/s", True),
    ("sqlite_insert", "sqlite", "SQLite: inserts (txn of 1,000)", "rows/s", True),
    ("sqlite_read", "sqlite", "SQLite: point reads (cold)", "reads/s", True),
    ("build", "build", "build: cmake + ninja of tierfs", "s", False),
]
FAIL = "FAIL"


class CheckFailed(Exception):
    """A target returned wrong data or failed a workload's own check."""


# ----------------------------------------------------------------------------------------------
# targets


class Target:
    """Where a repetition runs. setup() gives a fresh empty directory on the file system under test;
    cold() forgets everything cached in memory (remount for FUSE, then drop the page cache);
    settle() returns once what was written and closed is on the storage (a no-op for every file
    system that stores it before close or fsync returns), and runs inside the write clocks."""

    name = "?"

    def setup(self, root: Path) -> Path: ...
    def cold(self) -> Path: ...
    def settle(self): pass
    def teardown(self): ...
    def describe(self) -> str: return ""


class LocalTarget(Target):
    name = "local"

    def setup(self, root):
        self.path = root / "local"
        self.path.mkdir()
        return self.path

    def cold(self):
        drop_caches()
        return self.path

    def teardown(self):
        pass


class VolumeTarget(Target):
    """A fresh tierfs or juicefs volume (sqlite3 metadata + local-directory bucket) per repetition;
    with `redis` (--meta redis): metadata in database `db` of that shared server, flushed first;
    with `minio` (bench/object_bench.py): the bucket is `root`'s name on that server, and cold()
    also empties the block cache (a fresh --cache-dir), so cold reads come from the object store."""

    def __init__(self, name: str, binary: Binary, redis: RedisServer | None = None, db: int = 0, query: str = "",
                 minio=None):
        self.name, self.binary, self.mount = name, binary, None
        self.redis, self.db, self.query, self.minio = redis, db, query, minio

    def setup(self, root):
        vol = Volume(root, self.binary, name="bench", redis=self.redis, minio=self.minio, bucket_name=root.name)
        if self.redis is not None:
            self.redis.cli("FLUSHDB", db=self.db)
            vol.meta_url = self.redis.url(self.db) + self.query
        self.mount = vol.format().mount(root / "mnt")
        return self.mount.path

    def cold(self):
        self.mount.umount()
        if self.minio is not None:  # the directory harness.Mount gives as --cache-dir
            shutil.rmtree(self.mount.volume.root / f"cache-{self.binary.flavor}", ignore_errors=True)
        self.mount = self.mount.volume.mount(self.mount.path, binary=self.binary, extra=self.mount.extra)
        drop_caches()
        return self.mount.path

    def teardown(self):
        if self.mount is not None:
            self.mount.umount()
            self.mount = None

    def describe(self):
        v = self.binary.run("--version").stdout.strip()
        meta = f"; META-URL redis://…/{self.db}{self.query}" if self.redis is not None else ""
        return f"`{self.binary.path}` {v}; mount flags {' '.join(self.binary.extra_mount_flags)}{meta}"


class ChildMountTarget(Target):
    """A FUSE file system whose process runs in the foreground as our child, so we hold its PID;
    unmounted with fusermount3 -u, then that PID is waited for (and stopped if it lingers).
    Subclasses give command() and, if they need it, env()."""

    proc = None

    def command(self) -> list[str]: ...
    def env(self) -> dict | None: return None

    def _start(self):
        cmd = self.command()
        with open(self.log, "ab") as logf:
            self.proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env=self.env())
        wait_until(lambda: os.path.ismount(self.path) or self.proc.poll() is not None, MOUNT_DEADLINE,
                   f"{self.name} mount of {self.path}")
        if not os.path.ismount(self.path):
            raise RuntimeError(f"{shlex.join(cmd)} exited {self.proc.returncode}: {self.log.read_text()[-500:]}")

    def _stop(self):
        if is_mounted(self.path):
            subprocess.run(["fusermount3", "-u", str(self.path)], capture_output=True)
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                self.proc.wait(timeout=10)
        if is_mounted(self.path):
            subprocess.run(["fusermount3", "-u", "-z", str(self.path)], capture_output=True)
        self.proc = None

    def cold(self):
        self._stop()
        self._start()
        drop_caches()
        return self.path

    def teardown(self):
        if self.proc is not None:
            self._stop()


class BindfsTarget(ChildMountTarget):
    """bindfs over a local directory: a FUSE passthrough with no storage logic of its own."""

    name = "bindfs"

    def __init__(self, path: str, flags: list[str]):
        self.bin, self.flags = path, flags

    def setup(self, root):
        self.src, self.path, self.log = root / "bindfs-src", root / "mnt", root / "bindfs.log"
        self.src.mkdir()
        self.path.mkdir()
        self._start()
        return self.path

    def command(self):
        return [self.bin, "-f", *self.flags, str(self.src), str(self.path)]

    def describe(self):
        v = subprocess.run([self.bin, "--version"], capture_output=True, text=True).stdout.strip()
        return f"`{self.bin}` {v}; flags: {' '.join(self.flags) or '(defaults)'} over a local directory"


# ----------------------------------------------------------------------------------------------
# helpers


def timed(fn) -> float:
    t0 = time.monotonic()
    fn()
    return time.monotonic() - t0


class BuildLock:
    """The machine-wide lock every C++ build takes, so builds never overlap (waiting is not timed)."""

    def __enter__(self):
        self.f = open(BUILD_LOCK, "a")
        try:
            fcntl.flock(self.f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"  waiting for {BUILD_LOCK} (another build is running) ...", file=sys.stderr, flush=True)
            fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()


def run_logged(cmd: list[str], log: Path, what: str, **kw):
    with open(log, "ab") as f:
        f.write(f"$ {shlex.join(cmd)}\n".encode())
        f.flush()
        p = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **kw)
    if p.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise CheckFailed(f"{what}: `{shlex.join(cmd)}` exited {p.returncode}; log {log}:\n{tail}")


def same_file(a: Path, b: Path) -> str | None:
    """None when the two files hold the same bytes, else what differs."""
    sa, sb = a.stat().st_size, b.stat().st_size
    if sa != sb:
        return f"size {sb} != {sa}"
    with open(a, "rb") as fa, open(b, "rb") as fb:
        off = 0
        while True:
            x, y = fa.read(MiB), fb.read(MiB)
            if x != y:
                i = next(i for i in range(min(len(x), len(y))) if x[i] != y[i])
                return f"first difference at byte {off + i}"
            if not x:
                return None
            off += len(x)


# ----------------------------------------------------------------------------------------------
# workloads: each takes (target, path of an empty dir on it, local scratch dir, args) -> {metric: value}


def w_tree(target, path, scratch, a):
    patterns = L.FAST_SUBTREE if a.quick else None
    nfiles = sum(1 for v in L.select(L.manifest(), patterns).values() if v[0] != "d")
    drop_caches()
    subprocess.run(["cat", a.tarball], stdout=subprocess.DEVNULL, check=True)  # source hot, target cold
    res = {"tree": nfiles / (L.extract(path, patterns, tarball=a.tarball) + timed(target.settle))}
    if a.verify_tree:  # not timed: every file's sha256, mode and every symlink against the tarball
        problems = L.verify(path, L.select(L.manifest(), patterns))
        if problems:
            raise CheckFailed(f"Linux tree in {path} differs from the tarball ({len(problems)} problems):\n"
                              + "\n".join(problems[:20]))
    return res


def w_files(target, path, scratch, a):
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
            data = os.read(fd, 8192)
            os.close(fd)
            if data != block:
                raise CheckFailed(f"{n}: read back {len(data)} bytes that differ from the 4 KiB written")

    def stat():
        for n in names:
            if os.stat(n).st_size != 4096:
                raise CheckFailed(f"{n}: stat size {os.stat(n).st_size} != 4096")

    def delete():
        for n in names:
            os.unlink(n)

    res = {"create": a.files / timed(create)}
    for key, fn in (("read", read), ("stat", stat), ("delete", delete)):
        drop_caches()
        res[key] = a.files / timed(fn)
    if os.listdir(d):
        raise CheckFailed(f"{d}: {len(os.listdir(d))} entries left after deleting all")
    return res


def stamped(buf: bytes, i: int) -> bytes:
    """`buf` with `i` in its first 8 bytes: pieces written from one random buffer still differ, so a
    read that returns the wrong piece (another block, another file) fails the comparison."""
    return i.to_bytes(8, "little") + buf[8:]


def stamped_range(buf: bytes, n: int, length: int) -> bytes:
    """Bytes [n, n + length) of a file whose MiB i is stamped(buf, i) (len(buf) == MiB)."""
    i, off = divmod(n, MiB)
    if off == 0 and length == MiB:  # the usual read: one whole piece
        return stamped(buf, i)
    out = bytearray()
    while len(out) < length:
        i, off = divmod(n + len(out), MiB)
        out += stamped(buf, i)[off:off + length - len(out)]
    return bytes(out)


def w_seq(target, path, scratch, a):
    size = a.big_mib * MiB
    buf = os.urandom(MiB)
    big = path / "big"

    def write():
        fd = os.open(big, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        for i in range(a.big_mib):
            if os.write(fd, stamped(buf, i)) != MiB:
                raise CheckFailed(f"{big}: short write")
        os.fsync(fd)
        os.close(fd)
        target.settle()

    drop_caches()
    res = {"seqwrite": size / 1e6 / timed(write)}
    target.cold()  # the mount point, and so `big`, stay the same
    bad = []

    def readall():
        fd = os.open(big, os.O_RDONLY)
        n = 0
        while chunk := os.read(fd, MiB):
            # A memcmp (and one copy for the stamp): cheap next to a read.
            if chunk != stamped_range(buf, n, len(chunk)) and len(bad) < 3:
                bad.append(n)
            n += len(chunk)
        os.close(fd)
        if n != size:
            raise CheckFailed(f"{big}: read {n} bytes, wrote {size}")

    res["seqread"] = size / 1e6 / timed(readall)
    if bad:
        raise CheckFailed(f"{big}: the reads at offsets {bad} returned other bytes than were written")
    os.unlink(big)
    return res


def w_randread(target, path, scratch, a):
    d = path / "randread"
    d.mkdir()
    f = d / "file"
    common = ["--filename", str(f), "--verify=crc32c", "--verify_interval=4k", "--output-format=json"]
    # The file is written by fio with a crc32c header in every 4 KiB, so each random read is checked.
    run_logged([a.fio, "--name=layout", "--rw=write", "--bs=1m", f"--size={a.rand_file_mib}m", "--do_verify=0",
                "--end_fsync=1", *common], scratch / "fio-layout.log", "fio layout")
    if f.stat().st_size != a.rand_file_mib * MiB:
        raise CheckFailed(f"{f}: {f.stat().st_size} bytes after fio wrote {a.rand_file_mib} MiB")
    target.cold()
    out = scratch / "fio-randread.json"
    cmd = [a.fio, "--name=randread", "--rw=randread", "--bs=4k", "--ioengine=psync", "--iodepth=1",
           f"--size={a.rand_region_mib}m", f"--io_size={a.rand_io_mib}m", "--randrepeat=1", "--randseed=1", *common,
           f"--output={out}"]
    p = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    text = out.read_text(errors="replace") if out.exists() else ""
    if p.returncode != 0:
        raise CheckFailed(f"`{shlex.join(cmd)}` exited {p.returncode} (a verify failure means wrong data):\n"
                          f"{p.stderr[-1500:]}{text[-1500:] if 'verify' in text else ''}")
    job = json.loads(text[text.index("{"):])["jobs"][0]
    rd = job["read"]
    if job["error"] or rd["io_bytes"] != a.rand_io_mib * MiB:
        raise CheckFailed(f"fio randread: error {job['error']}, read {rd['io_bytes']} of {a.rand_io_mib * MiB} bytes")
    os.unlink(f)
    return {"randread": rd["total_ios"] / (rd["runtime"] / 1000)}


def w_fsx(target, path, scratch, a):
    d = path / "fsx"
    d.mkdir()
    model = scratch / "fsx-model"
    cmd = [a.fsx_bin, "-N", str(a.fsx_ops), "-S", str(a.fsx_seed), "-d", str(model), str(d / "file")]
    p = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise CheckFailed(f"fsx exited {p.returncode}; reproduce on a fresh {target.name} mount with "
                          f"`{shlex.join(cmd)}` ({a.fsx_src} built with g++ -O2 -std=c++20):\n{p.stderr[-4000:]}")
    res = json.loads(p.stdout.strip().splitlines()[-1])
    target.cold()
    diff = same_file(model, d / "file")
    if diff:
        raise CheckFailed(f"fsx: after a remount the file differs from the model: {diff} (`{shlex.join(cmd)}`)")
    os.unlink(d / "file")
    return {"fsx": res["ops_per_s"]}


def sqlite_value(i: int) -> bytes:
    return hashlib.sha512(b"%d" % i).digest() * 2  # 128 bytes that depend on the key


def w_sqlite(target, path, scratch, a):
    d = path / "sqlite"
    d.mkdir()
    db = d / "bench.db"
    rng = random.Random(42)
    keys = list(range(1, a.sqlite_rows + 1))
    rng.shuffle(keys)  # random key order: inserts land all over the B-tree, as an index would
    rows = [(k, sqlite_value(k)) for k in keys]
    batches = [rows[i:i + a.sqlite_batch] for i in range(0, len(rows), a.sqlite_batch)]
    probe = [rng.randint(1, a.sqlite_rows) for _ in range(a.sqlite_reads)]
    want = [sqlite_value(k) for k in probe]

    # Default SQLite settings: rollback journal (DELETE), synchronous=FULL, 4 KiB pages.
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("CREATE TABLE kv (k INTEGER PRIMARY KEY, v BLOB NOT NULL)")

    def insert():
        for b in batches:
            con.execute("BEGIN")
            con.executemany("INSERT INTO kv VALUES (?, ?)", b)
            con.execute("COMMIT")

    res = {"sqlite_insert": len(rows) / timed(insert)}
    con.close()
    target.cold()
    con = sqlite3.connect(db, isolation_level=None)
    bad = []

    def read():
        for k, w in zip(probe, want):
            r = con.execute("SELECT v FROM kv WHERE k = ?", (k,)).fetchone()
            if r is None or r[0] != w:
                bad.append(k)

    res["sqlite_read"] = len(probe) / timed(read)
    if bad:
        raise CheckFailed(f"SQLite: {len(bad)} of {len(probe)} point reads returned a wrong value, e.g. key {bad[0]}")
    ic = [r[0] for r in con.execute("PRAGMA integrity_check")]
    n = con.execute("SELECT count(*) FROM kv").fetchone()[0]
    con.close()
    if ic != ["ok"]:
        raise CheckFailed(f"SQLite: PRAGMA integrity_check: {ic[:10]}")
    if n != a.sqlite_rows:
        raise CheckFailed(f"SQLite: {n} rows, inserted {a.sqlite_rows}")
    return res


def w_build(target, path, scratch, a):
    src = path / "tierfs-src"
    log = scratch / "build.log"
    run_logged(["git", "clone", "-q", "--no-hardlinks", str(a.build_repo), str(src)], log, "git clone")
    run_logged(["git", "-C", str(src), "checkout", "-q", "--detach", a.build_commit], log, "git checkout")
    target.cold()  # the compile starts cold; the mount point stays the same
    env = {**os.environ, "CCACHE_DISABLE": "1"}
    env.pop("CMAKE_CXX_COMPILER_LAUNCHER", None)
    env.pop("CMAKE_C_COMPILER_LAUNCHER", None)
    ninja = ["ninja", "-C", str(src / "build"), "-j", str(a.build_jobs), *([a.build_target] if a.build_target else [])]
    with BuildLock():
        t0 = time.monotonic()
        run_logged(["cmake", "-G", "Ninja", "-S", str(src), "-B", str(src / "build"), "-DCMAKE_BUILD_TYPE=Release"],
                   log, "cmake", env=env)
        run_logged(ninja, log, "ninja", env=env)
        secs = time.monotonic() - t0
    exe = src / "build" / "src" / "cli" / "tierfs"
    p = subprocess.run([str(exe), "--version"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if p.returncode != 0 or not p.stdout.startswith("tierfs "):
        raise CheckFailed(f"built {exe} --version: exit {p.returncode}, stdout {p.stdout[:200]!r}, "
                          f"stderr {p.stderr[:300]!r}")
    return {"build": secs}


RUNNERS = {"tree": w_tree, "files": w_files, "seq": w_seq, "randread": w_randread, "fsx": w_fsx,
           "sqlite": w_sqlite, "build": w_build}


# ----------------------------------------------------------------------------------------------
# one repetition on one target


def one_rep(target: Target, root: Path, a, label: str, failures: list[str], metrics=METRICS,
            runners=RUNNERS) -> dict:
    """Runs a.workloads (the names in `runners`, rows in `metrics`) on one fresh volume of `target`."""
    res = {}
    path = target.setup(root)
    broken = None
    try:
        for w in a.workloads:
            keys = [k for k, wl, *_ in metrics if wl == w]
            if w in a.unavailable:
                continue
            if broken:
                res.update({k: FAIL for k in keys})
                failures.append(f"{label} {w}: not run, the target is unusable after: {broken}")
                continue
            scratch = root / f"scratch-{w}"
            scratch.mkdir()
            wdir = path / f"w-{w}"
            wdir.mkdir()
            t0 = time.monotonic()
            try:
                res.update(runners[w](target, wdir, scratch, a))
                print(f"  {label} {w}: {time.monotonic() - t0:.1f} s  "
                      + ", ".join(f"{k}={res[k]:,.1f}" for k in keys), file=sys.stderr, flush=True)
            except Exception as e:  # noqa: BLE001 - one failing workload must not hide the others
                res.update({k: FAIL for k in keys})
                kind = "CHECK FAILED" if isinstance(e, CheckFailed) else "ERROR"
                msg = f"{label} {w}: {kind}: {e}" if isinstance(e, CheckFailed) else \
                    f"{label} {w}: {kind}: {e!r}\n{traceback.format_exc(limit=4)}"
                failures.append(msg)
                print(f"\n!!! {msg}\n", file=sys.stderr, flush=True)
                try:  # a remount tells whether the next workload can still run
                    target.cold()
                    if not os.path.isdir(path):
                        raise RuntimeError(f"{path} is gone after a remount")
                except Exception as e2:  # noqa: BLE001
                    broken = f"{w} ({e2!r})"
    finally:
        target.teardown()
    return res


def rep_or_fail(target: Target, root: Path, a, label: str, failures: list[str], metrics=METRICS,
                runners=RUNNERS) -> dict:
    """one_rep, or every row FAIL when the target could not even be set up (the others still run)."""
    try:
        return one_rep(target, root, a, label, failures, metrics, runners)
    except Exception as e:  # noqa: BLE001
        failures.append(f"{label}: setup failed: {e!r}"[:2000])
        print(f"\n!!! {failures[-1]}\n", file=sys.stderr, flush=True)
        return {k: FAIL for k, w, *_ in metrics if w in a.workloads}


def clean_up(targets: list, servers: list, base: Path):
    """At the end of a run, also an interrupted one: unmount every target, stop the servers
    started for the run (None: not started), remove the run's directory."""
    for t in targets:
        if t is not None:
            t.teardown()
    for s in servers:
        if s is not None:
            s.stop()
    shutil.rmtree(base, ignore_errors=True)


# ----------------------------------------------------------------------------------------------
# report


def fmt(v) -> str:
    if v is None:
        return "n/a"
    if v == FAIL:
        return "**FAIL**"
    return f"{v:,.0f}" if v >= 100 else f"{v:,.1f}"


def median_of(reps: list[dict], key: str):
    vals = [r[key] for r in reps if key in r]
    if not vals:
        return None
    if FAIL in vals:
        return FAIL
    return statistics.median(vals)


def find_tools(a, notes):
    """Tools the workloads need; a missing one leaves its rows n/a (scripts/install-deps.sh installs them)."""
    a.unavailable = set()
    need = {"randread": ["fio"], "fsx": ["g++"], "build": ["git", "cmake", "ninja", "g++"], "tree": ["tar", "xz"]}
    for w, tools in need.items():
        missing = [t for t in tools if shutil.which(t) is None]
        if w in a.workloads and missing:
            a.unavailable.add(w)
            notes.append(f"{w}: {', '.join(missing)} not found (bash scripts/install-deps.sh installs it); rows n/a.")
    a.fio = shutil.which("fio")


def parse_list(s: str, allowed: list[str], what: str) -> list[str]:
    items = [x.strip() for x in s.split(",") if x.strip()]
    bad = [x for x in items if x not in allowed]
    if bad:
        sys.exit(f"unknown {what}: {', '.join(bad)} (choose from {','.join(allowed)})")
    return items


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3, help="repetitions per target (median reported), >= 3")
    ap.add_argument("--only", help=f"comma-separated workloads to run (of {','.join(WORKLOADS)}); default all")
    ap.add_argument("--skip", default="", help="comma-separated workloads not to run")
    ap.add_argument("--targets", default="tierfs,juicefs,bindfs,local", help="comma-separated subset, in column order")
    ap.add_argument("--quick", action="store_true",
                    help="small sizes (Linux subtree, 1,000 files, 128 MiB, fewer ops) and no build unless --only "
                         "names it (then only the tierfs target is built)")
    g = ap.add_argument_group("sizes")
    g.add_argument("--no-verify-tree", dest="verify_tree", action="store_false",
                   help="tree: skip the (untimed) sha256 check of every extracted file")
    g.add_argument("--files", type=int, default=10_000, help="number of 4 KiB files")
    g.add_argument("--big-mib", type=int, default=1024, help="sequential file size in MiB")
    g.add_argument("--rand-file-mib", type=int, default=1024, help="randread: file size in MiB")
    g.add_argument("--rand-region-mib", type=int, default=256, help="randread: reads fall in the first N MiB")
    g.add_argument("--rand-io-mib", type=int, default=64, help="randread: MiB read in 4 KiB reads (fixed amount)")
    g.add_argument("--fsx-ops", type=int, default=20_000, help="fsx: operations")
    g.add_argument("--fsx-seed", type=int, default=1, help="fsx: seed (the op sequence depends only on it)")
    g.add_argument("--sqlite-rows", type=int, default=100_000, help="SQLite: rows inserted")
    g.add_argument("--sqlite-batch", type=int, default=1000, help="SQLite: rows per transaction")
    g.add_argument("--sqlite-reads", type=int, default=20_000, help="SQLite: random point reads")
    g.add_argument("--build-jobs", type=int, default=os.cpu_count(), help="build: ninja -j (default: cores)")
    g.add_argument("--build-target", default="", help="build: ninja target (default: all, tests included)")
    g.add_argument("--build-repo", default=str(REPO), help="build: repository whose HEAD is cloned")
    ap.add_argument("--meta", choices=["sqlite3", "redis"], default="sqlite3",
                    help="metadata engine of the tierfs and juicefs columns: a sqlite3 file each, or one "
                         "redis-server started for the run (tierfs in DB 1, juicefs in DB 2 with "
                         "--juicefs-redis-query, each flushed before every repetition)")
    ap.add_argument("--juicefs-redis-query", default="?client-cache=true",
                    help="--meta redis: the query of juicefs's META-URL ('' for JuiceFS's defaults)")
    ap.add_argument("--workdir", default=os.environ.get("TIERFS_E2E_TMP", "/tmp"),
                    help="parent of the per-run work directory (its file system is 'local')")
    ap.add_argument("--out", help="also write the markdown report to this file")
    a = ap.parse_args()
    explicit = {x for x in (a.only or "").split(",") if x}
    a.workloads = parse_list(a.only, WORKLOADS, "workload") if a.only else list(WORKLOADS)
    skip = set(parse_list(a.skip, WORKLOADS, "workload"))
    if a.quick:
        a.files, a.big_mib = min(a.files, 1000), min(a.big_mib, 128)
        a.rand_file_mib, a.rand_region_mib, a.rand_io_mib = min(a.rand_file_mib, 128), min(a.rand_region_mib, 32), \
            min(a.rand_io_mib, 8)
        a.fsx_ops, a.sqlite_rows, a.sqlite_reads = min(a.fsx_ops, 3000), min(a.sqlite_rows, 10_000), \
            min(a.sqlite_reads, 2000)
        if "build" not in explicit:
            skip.add("build")
        a.build_target = a.build_target or "tierfs"
    a.workloads = [w for w in WORKLOADS if w in a.workloads and w not in skip]
    if a.rand_region_mib > a.rand_file_mib or a.rand_io_mib > a.rand_region_mib:
        sys.exit("need --rand-io-mib <= --rand-region-mib <= --rand-file-mib")
    names = parse_list(a.targets, ["tierfs", "juicefs", "bindfs", "local"], "target")
    if os.geteuid() != 0:
        sys.exit("bench/run.py needs root (FUSE mounts, drop_caches)")

    notes, failures = [], []
    find_tools(a, notes)
    targets: list[Target | None] = []
    base = Path(tempfile.mkdtemp(prefix="e2e-bench-", dir=a.workdir))
    redis = RedisServer(base / "redis").start() if a.meta == "redis" else None
    redis_db = {"tierfs": (1, ""), "juicefs": (2, a.juicefs_redis_query)}
    bins = {"tierfs": tierfs_binary(), "juicefs": juicefs_binary()}
    for name in names:
        if name == "local":
            targets.append(LocalTarget())
        elif name == "bindfs":
            b = os.environ.get("BINDFS_BIN") or shutil.which("bindfs")
            if b is None:
                notes.append("bindfs: not found (bash scripts/install-deps.sh installs it); column left n/a.")
                targets.append(None)
            else:
                targets.append(BindfsTarget(b, shlex.split(os.environ.get("BINDFS_FLAGS", ""))))
        else:
            b = bins[name]
            if b is None or not b.exists():
                notes.append(f"{name}: binary not found ({b.path if b else 'not on PATH'}); column left n/a.")
                targets.append(None)
            else:
                targets.append(VolumeTarget(name, b, redis, *redis_db[name]) if redis else VolumeTarget(name, b))

    # SIGTERM (e.g. from `timeout`) unwinds like Ctrl-C, so every mount is unmounted on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("bench/run.py: terminated"))
    results: dict[str, list[dict]] = {n: [] for n in names}
    t_start = time.monotonic()
    try:
        if "tree" in a.workloads and "tree" not in a.unavailable:
            L.manifest()  # computed once and cached, outside any timing
            a.tarball = L.plain_tarball()
        if "fsx" in a.workloads and "fsx" not in a.unavailable:
            a.fsx_src = HERE / "fsx.cc"
            a.fsx_bin = str(base / "fsx")
            with BuildLock():
                subprocess.run(["g++", "-O2", "-std=c++20", "-Wall", "-Wextra", "-o", a.fsx_bin, str(a.fsx_src)],
                               check=True)
        if "build" in a.workloads and "build" not in a.unavailable:
            a.build_commit = subprocess.run(["git", "-C", a.build_repo, "rev-parse", "HEAD"], capture_output=True,
                                            text=True, check=True).stdout.strip()
        for rep in range(a.reps):
            for name, t in zip(names, targets):  # interleaved, so drift hits every column alike
                if t is None:
                    continue
                root = base / f"{name}-{rep}"
                root.mkdir()
                label = f"{name} rep {rep + 1}"
                print(f"rep {rep + 1}/{a.reps}: {name} ({','.join(a.workloads)}) ...", file=sys.stderr, flush=True)
                results[name].append(rep_or_fail(t, root, a, label, failures))
                shutil.rmtree(root, ignore_errors=True)
    finally:
        clean_up(targets, [redis], base)
    elapsed = time.monotonic() - t_start

    rows = [m for m in METRICS if m[1] in a.workloads]
    med = {n: {k: median_of(results[n], k) for k, *_ in rows} for n in names}
    ratio = {"tierfs", "juicefs"} <= set(names)
    fstype = subprocess.run(["findmnt", "-no", "FSTYPE", "-T", a.workdir], capture_output=True, text=True).stdout
    sizes = []
    if "files" in a.workloads:
        sizes.append(f"{a.files} x 4 KiB files")
    if "seq" in a.workloads:
        sizes.append(f"{a.big_mib} MiB sequential file")
    if "tree" in a.workloads:
        sizes.append("Linux subtree only" if a.quick else "whole Linux 6.1 tree")
    if "randread" in a.workloads:
        sizes.append(f"randread {a.rand_io_mib} MiB in the first {a.rand_region_mib} MiB of {a.rand_file_mib} MiB")
    if "fsx" in a.workloads:
        sizes.append(f"fsx {a.fsx_ops:,} ops seed {a.fsx_seed}")
    if "sqlite" in a.workloads:
        sizes.append(f"SQLite {a.sqlite_rows:,} rows in txns of {a.sqlite_batch:,}, {a.sqlite_reads:,} reads")
    if "build" in a.workloads:
        sizes.append(f"build of {a.build_commit[:9]} with -j{a.build_jobs}"
                     + (f", target {a.build_target}" if a.build_target else ", all targets"))
    lines = [
        f"Run {datetime.datetime.now().isoformat(timespec='seconds')} on {platform.node()}: "
        f"{os.cpu_count()} cores, Linux {platform.release()}, local FS = {fstype.strip()}, metadata {a.meta}; "
        f"medians of {a.reps} repetitions; {'; '.join(sizes)}; {elapsed / 60:.1f} min in all.",
        "",
        "| workload | unit | " + " | ".join(names) + (" | tierfs/juicefs |" if ratio else " |"),
        "|---|---|" + "---:|" * len(names) + ("---:|" if ratio else ""),
    ]
    for key, w, label, unit, higher in rows:
        row = f"| {label} | {unit}{'' if higher else ' (lower is better)'} | " + " | ".join(
            "n/a" if w in a.unavailable else fmt(med[n][key]) for n in names) + " |"
        if ratio:
            t, j = med["tierfs"][key], med["juicefs"][key]
            if t in (None, FAIL) or j in (None, FAIL):
                row += " n/a |"
            else:
                row += f" {(t / j if higher else j / t):.2f} |"
        lines.append(row)
    cmd = "python3 bench/run.py " + shlex.join(sys.argv[1:])  # as root
    lines += ["", f"Reproduce: `{cmd}`"]
    for n, t in zip(names, targets):
        if t is not None and t.describe():
            lines.append(f"- {n}: {t.describe()}")
    lines += [f"- note: {x}" for x in notes]
    if failures:
        lines += ["", f"FAILURES ({len(failures)}):", ""]
        for f in failures:
            lines += ["```", *f.splitlines()[:60], "```"]
    report = "\n".join(lines) + "\n"
    print(report)
    if a.out:
        Path(a.out).write_text(report)
    if failures:
        print(f"bench/run.py: {len(failures)} failure(s); see FAILURES above", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
