"""Crash consistency: kill -9 the mount at a random moment while writers work, mount again, check.

Each round (20 by default; TIERFS_CRASH_ROUNDS) two writer processes (TIERFS_CRASH_WRITERS), each
in its own subtree, work on the mount at once. A writer creates files of varied sizes (empty, a few
bytes, 4 KiB, ~1 MiB, several 4 MiB blocks, sparse across the 64 MiB chunk boundary) in several
write() calls (sometimes out of order), overwrites and extends them in place, truncates, copies
ranges (copy_file_range), renames (also over existing files), hard-links, unlinks, makes symlinks
and directories, and keeps files open while it unlinks them or renames another file over them
(sustained inodes), sometimes writing to them after the unlink. Every operation is journaled
outside the mount: a `b` record before it starts, a `d` record once its durability point returned
(fsync of the file; fsync of the parent directories for namespace operations), the journal itself
fsynced after every record.

After a seeded random number of journaled operations plus a random delay, or a few ms after a
writer journaled (`f`) that its k-th fsync starts (the seed is printed; TIERFS_CRASH_SEED repeats
the choices, not the timing) the test sends SIGKILL to the process serving the mount (our own
child), detaches the dead mount (fusermount3 -u -z) and, with nothing mounted, checks the crashed
volume: `juicefs fsck` is clean, every slice in jfs_chunk has all its block objects, jfs_chunk_ref
counts exactly the records of each slice. Then it mounts the volume again and checks:
  - every operation journaled `d` took effect exactly: the tree holds exactly the model's names
    (reference copies of every file's bytes live outside the mount), sizes and sha256 match, hard
    links share one inode with the right nlink, symlinks point where they did;
  - the operation each writer had in flight did or did not happen; for data writes every byte is
    the old or the new one (or zero where nothing was committed yet), a truncate is all or nothing;
  - every file reads to its end without error (no EIO, also for files the journal does not know);
  - in three rounds of four (the others go on at once, so that a kill may hit the cleanup and dead
    sessions pile up), once the killed sessions' leftovers are gone (their jfs_session2 rows,
    jfs_sustained and jfs_delfile rows; polled: a session expires 5 x --heartbeat 1 s after its last
    refresh, and the live mount cleans it up at its next heartbeat), jfs_counter usedSpace and
    totalInodes equal both the sum over jfs_node and the sum over the tree (JuiceFS accounting:
    every inode but the root counts once, align4K(length) bytes for a file, 4 KiB for the others),
    and jfs_node holds no inode the tree does not reach.
At the end, after a clean unmount: the counters again, `juicefs fsck` and `juicefs fsck --path /
--recursive`, the object checks; the objects no slice references (uploads the kills cut off, as
`.ID_I_LEN.tmp.*` files or before their commit) are counted and printed with `juicefs gc`'s dry-run
summary (gc skips objects younger than an hour, so its own leak count stays 0 here). Leaks are not
failures.

Against juicefs itself (TIERFS_BIN=juicefs) the data and tree checks apply as they are; its counters
and directory stats are batched in memory and lost with the process, so for it the counter
comparison and `fsck --recursive` are printed, not asserted.

Runs: python3 -m pytest tests/e2e -k crash -s (the seed and a summary are printed; about 2.5 min).
`-m soak` (`scripts/test.sh soak`) runs a long variant (TIERFS_CRASH_LONG_ROUNDS, 150). TIERFS_CRASH_SKIP_OPS=op,op leaves
operations out, to minimise a failure. This file is also the writer:
`python3 test_crash.py writer MOUNT STATE JOURNAL SEED`.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import re
import signal
import sqlite3
import stat
import struct
import subprocess
import sys
import time
from pathlib import Path

KiB, MiB = 1 << 10, 1 << 20
BLOCK, CHUNK = 4 * MiB, 64 * MiB
ROOT_INO, MIN_INTERNAL_INO, TRASH_INO = 1, 0x7FFFFFFF00000000, 0x7FFFFFFF10000000
TYPE_FILE = 1  # jfs_node.type of regular files (JuiceFS TypeFile)

# Bounds of each writer's subtree, so that reading the tree back every round stays cheap.
MAX_NAMES = 24
MAX_DENSE = 20 * MiB  # bytes of files below the chunk size
MAX_SPARSE = 1  # files beyond the 64 MiB chunk boundary (mostly hole)
MAX_BLOCKS = 2  # files of several 4 MiB blocks
MAX_HELD = 3  # unlinked files the writer keeps open
WRITERS = int(os.environ.get("TIERFS_CRASH_WRITERS", "2"))  # concurrent writers, each in its own subtree
# For minimising a failure only: operations the writer leaves out (comma separated, e.g. "sustain").
SKIP_OPS = set(filter(None, os.environ.get("TIERFS_CRASH_SKIP_OPS", "").split(",")))


def base_dirs(writer: int) -> list[str]:
    """The directories of writer `writer`'s subtree that stay (its home first)."""
    home = f"w{writer}"
    return [home, f"{home}/a", f"{home}/b", f"{home}/a/c"]


def align4k(n: int) -> int:
    """usedSpace of one inode of length n (JuiceFS align4K: 4 KiB aligned, at least 4 KiB)."""
    return 4096 if n == 0 else ((n - 1) // 4096 + 1) * 4096


def data(seed: int, n: int) -> bytes:
    return random.Random(seed).randbytes(n)


def build(pieces, size: int, base: bytes = b"") -> bytearray:
    """`base` (zero-extended or cut to `size`) with the pieces [off, len, seed] written over it."""
    buf = bytearray(base[:size])
    buf.extend(bytes(size - len(buf)))
    for off, n, seed in pieces:
        buf[off:off + n] = data(seed, n)
    return buf


# ----------------------------------------------------------------------------------------------
# the writer (a separate process; its only output that matters is the journal)


def _pwrite_all(fd, buf: bytes, off: int):
    view = memoryview(buf)
    while view:
        n = os.pwrite(fd, view, off)
        view, off = view[n:], off + n


def _fsync_dir(path: Path):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _split(rng, off: int, n: int, most: int):
    """[off, off+n) cut into 1..most contiguous pieces [off, len, seed]."""
    k = rng.randint(1, max(1, min(most, n)))
    cuts = sorted(rng.sample(range(1, n), k - 1)) if n > 1 and k > 1 else []
    bounds = [0, *cuts, n]
    return [[off + a, b - a, rng.getrandbits(63)] for a, b in zip(bounds, bounds[1:]) if b > a]


class Writer:
    def __init__(self, root: str, state: dict, journal: str, seed: int):
        self.root = Path(root)
        self.rng = random.Random(seed)
        self.names: dict[str, int] = dict(state["names"])
        self.objs: dict[int, dict] = {int(k): dict(v) for k, v in state["objs"].items()}
        self.dirs: set[str] = set(state["dirs"])
        self.base_dirs: set[str] = set(state["base_dirs"])
        self.next_obj, self.obj_step = state["next_obj"], state["obj_step"]  # ids disjoint between writers
        self.prefix = f"r{state['round']}-"
        self.count = 0
        self.seq = 0
        self.held: list[int] = []  # fds of unlinked files (sustained inodes)
        self.journal = open(journal, "a")
        self.ppid = os.getppid()

    # journal
    def _log(self, rec: dict):
        self.journal.write(json.dumps(rec, separators=(",", ":")) + "\n")
        self.journal.flush()
        os.fsync(self.journal.fileno())

    def begin(self, rec: dict):
        self.seq += 1
        self._log({"seq": self.seq, "ph": "b", **rec})

    def syncing(self):
        """Marks that the data are written and the fsync starts: the test may aim its kill at it."""
        self._log({"seq": self.seq, "ph": "f"})

    def done(self):
        self._log({"seq": self.seq, "ph": "d"})

    # model helpers
    def new_name(self, kind: str) -> str:
        self.count += 1
        return f"{self.rng.choice(sorted(self.dirs))}/{kind}{self.prefix}{self.count}"

    def new_obj(self) -> int:
        self.next_obj += self.obj_step
        return self.next_obj - self.obj_step

    def files(self):
        return [n for n, o in sorted(self.names.items()) if self.objs[o]["kind"] == "file"]

    def nlinks(self, obj: int) -> int:
        return sum(1 for o in self.names.values() if o == obj)

    def drop_name(self, name: str):
        obj = self.names.pop(name)
        if obj not in self.names.values():
            del self.objs[obj]

    def empty_dirs(self):
        used = {n.rpartition("/")[0] for n in self.names} | {d.rpartition("/")[0] for d in self.dirs}
        return [d for d in sorted(self.dirs) if d not in used and d not in self.base_dirs]

    def p(self, name: str) -> Path:
        return self.root / name

    def parent(self, name: str) -> Path:
        return self.root / name.rpartition("/")[0]

    # operations
    def op_create(self):
        r = self.rng
        sizes = [o["size"] for o in self.objs.values() if o["kind"] == "file"]
        kind = r.choices(["empty", "tiny", "4k", "1m", "blocks", "chunk"], [10, 20, 15, 27, 18, 10])[0]
        if kind == "chunk" and sum(s > CHUNK for s in sizes) >= MAX_SPARSE:
            kind = "1m"
        if kind == "blocks" and sum(BLOCK < s <= CHUNK for s in sizes) >= MAX_BLOCKS:
            kind = "1m"
        if kind == "chunk":  # a little at the start, a lot of hole, then across the chunk boundary
            head = r.randint(1, 64 * KiB)
            tail_off = CHUNK - r.randint(1, 512 * KiB)
            pieces = _split(r, 0, head, 2) + _split(r, tail_off, CHUNK - tail_off + r.randint(1, MiB), 3)
        else:
            n = {"empty": 0, "tiny": r.randint(1, 100), "4k": r.choice([4095, 4096, 4097, 8192]),
                 "1m": MiB + r.randint(-64 * KiB, 64 * KiB), "blocks": BLOCK + r.randint(1, 5 * MiB)}[kind]
            pieces = _split(r, 0, n, 5) if n else []
        if r.random() < 0.3:
            r.shuffle(pieces)  # out of order: later slices land before earlier ones
        size = max((off + n for off, n, _ in pieces), default=0)
        name, obj = self.new_name("f"), self.new_obj()
        self.begin({"op": "create", "name": name, "obj": obj, "pieces": pieces, "size": size})
        fd = os.open(self.p(name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            for off, n, seed in pieces:
                _pwrite_all(fd, data(seed, n), off)
            self.syncing()
            os.fsync(fd)
        finally:
            os.close(fd)
        self.names[name] = obj
        self.objs[obj] = {"kind": "file", "size": size}
        self.done()

    def op_write(self):
        r = self.rng
        name = r.choice(self.files())
        obj = self.objs[self.names[name]]
        size = obj["size"]
        if size == 0 or r.random() < 0.15:
            off = size  # append
        elif size > BLOCK and r.random() < 0.3:
            off = BLOCK * r.randint(1, size // BLOCK) - r.randint(0, 300)  # around a block boundary
        else:
            off = r.randrange(size)
        n = r.choice([1, r.randint(2, 4096), r.randint(4096, 256 * KiB), r.randint(256 * KiB, 2 * MiB)])
        if size <= CHUNK:
            n = max(1, min(n, CHUNK - off))  # files below the chunk size stay below it
        pieces = _split(r, off, n, 3)
        if r.random() < 0.3:
            r.shuffle(pieces)
        self.begin({"op": "write", "name": name, "pieces": pieces})
        fd = os.open(self.p(name), os.O_WRONLY)
        try:
            for off_, n_, seed in pieces:
                _pwrite_all(fd, data(seed, n_), off_)
            self.syncing()
            os.fsync(fd)
        finally:
            os.close(fd)
        obj["size"] = max(size, off + n)
        self.done()

    def op_trunc(self):
        r = self.rng
        name = r.choice(self.files())
        obj = self.objs[self.names[name]]
        size = obj["size"]
        new = r.choice([0, r.randint(0, size), min(size + r.randint(1, 3 * MiB), max(size, CHUNK - 1))])
        self.begin({"op": "trunc", "name": name, "size": new})
        fd = os.open(self.p(name), os.O_WRONLY)
        try:
            os.ftruncate(fd, new)
            self.syncing()
            os.fsync(fd)
        finally:
            os.close(fd)
        obj["size"] = new
        self.done()

    def op_rename(self):
        r = self.rng
        src = r.choice(sorted(self.names))
        others = [n for n in sorted(self.names) if self.names[n] != self.names[src]]
        dst = r.choice(others) if others and r.random() < 0.3 else self.new_name("m")
        self.begin({"op": "rename", "src": src, "dst": dst})
        os.rename(self.p(src), self.p(dst))
        _fsync_dir(self.parent(src))
        _fsync_dir(self.parent(dst))
        obj = self.names[src]
        if dst in self.names:
            self.drop_name(dst)
        del self.names[src]
        self.names[dst] = obj
        self.done()

    def op_link(self):
        src = self.rng.choice(self.files())
        dst = self.new_name("l")
        self.begin({"op": "link", "src": src, "dst": dst})
        os.link(self.p(src), self.p(dst))
        _fsync_dir(self.parent(dst))
        self.names[dst] = self.names[src]
        self.done()

    def op_unlink(self):
        name = self.rng.choice(sorted(self.names))
        self.begin({"op": "unlink", "name": name})
        os.unlink(self.p(name))
        _fsync_dir(self.parent(name))
        self.drop_name(name)
        self.done()

    def op_symlink(self):
        r = self.rng
        if self.names and r.random() < 0.5:
            target = "../" * r.randint(0, 2) + r.choice(sorted(self.names))
        else:
            target = "".join(r.choice("abcdefghij/._-") for _ in range(r.randint(1, 300)))
        name, obj = self.new_name("s"), self.new_obj()
        self.begin({"op": "symlink", "name": name, "obj": obj, "target": target})
        os.symlink(target, self.p(name))
        _fsync_dir(self.parent(name))
        self.names[name] = obj
        self.objs[obj] = {"kind": "symlink", "target": target}
        self.done()

    def op_mkdir(self):
        d = self.rng.choice([d for d in sorted(self.dirs) if d.count("/") < 3])
        self.count += 1
        name = f"{d}/d{self.prefix}{self.count}"
        self.begin({"op": "mkdir", "name": name})
        os.mkdir(self.p(name))
        _fsync_dir(self.parent(name))
        self.dirs.add(name)
        self.done()

    def op_rmdir(self):
        name = self.rng.choice(self.empty_dirs())
        self.begin({"op": "rmdir", "name": name})
        os.rmdir(self.p(name))
        _fsync_dir(self.parent(name))
        self.dirs.discard(name)
        self.done()

    def op_sustain(self):
        """Open a file, then unlink it or rename another file over it, and keep it open: its inode
        lives on, sustained by this session (a kill leaves it to the stale-session cleanup)."""
        r = self.rng
        name = r.choice([n for n in self.files() if self.nlinks(self.names[n]) == 1])
        others = [n for n in sorted(self.names) if self.names[n] != self.names[name]]
        fd = os.open(self.p(name), os.O_RDWR)
        self.held.append(fd)
        if others and r.random() < 0.5:
            src = r.choice(others)
            self.begin({"op": "rename", "src": src, "dst": name, "held": True})
            os.rename(self.p(src), self.p(name))
            _fsync_dir(self.parent(src))
            _fsync_dir(self.parent(name))
            obj = self.names.pop(src)
            self.drop_name(name)
            self.names[name] = obj
        else:
            self.begin({"op": "unlink", "name": name, "held": True})
            os.unlink(self.p(name))
            _fsync_dir(self.parent(name))
            self.drop_name(name)
        self.done()

    def op_sustain_write(self):
        """Open a file, unlink it, write to it and fsync: data of an inode no name reaches."""
        r = self.rng
        name = r.choice([n for n in self.files() if self.nlinks(self.names[n]) == 1])
        fd = os.open(self.p(name), os.O_RDWR)
        self.held.append(fd)
        size = self.objs[self.names[name]]["size"]
        self.begin({"op": "unlink", "name": name, "held": True, "then": "write"})
        os.unlink(self.p(name))
        _fsync_dir(self.parent(name))
        if r.random() < 0.3:
            os.ftruncate(fd, r.randint(0, size))
        else:
            n = r.randint(1, MiB)
            _pwrite_all(fd, data(r.getrandbits(63), n), r.randint(0, max(0, min(size, CHUNK - n))))
        self.syncing()
        os.fsync(fd)
        self.drop_name(name)
        self.done()

    def op_copy(self):
        """copy_file_range from a file into a new file or over part of another one."""
        r = self.rng
        src = r.choice([n for n in self.files() if self.objs[self.names[n]]["size"] > 0])
        ssize = self.objs[self.names[src]]["size"]
        soff = r.randrange(ssize)
        n = r.randint(1, min(ssize - soff, r.choice([4096, MiB, 6 * MiB])))
        targets = [f for f in self.files() if self.names[f] != self.names[src]]
        new = not targets or r.random() < 0.6
        if new:
            dst, obj = self.new_name("c"), self.new_obj()
            doff = r.choice([0, 0, r.randint(0, 2 * MiB)])
        else:
            dst = r.choice(targets)
            obj = self.names[dst]
            dsize = self.objs[obj]["size"]
            doff = r.randint(0, dsize)
            if dsize <= CHUNK:
                n = max(1, min(n, CHUNK - doff))  # files below the chunk size stay below it
        self.begin({"op": "copy", "name": dst, "new": new, "obj": obj, "src": src, "soff": soff,
                    "doff": doff, "len": n})
        sfd = os.open(self.p(src), os.O_RDONLY)
        dfd = os.open(self.p(dst), os.O_WRONLY | (os.O_CREAT | os.O_EXCL if new else 0), 0o644)
        try:
            left, so, do = n, soff, doff
            while left:
                k = os.copy_file_range(sfd, dfd, left, so, do)
                assert k > 0, f"copy_file_range returned {k} with {left} bytes left"
                left, so, do = left - k, so + k, do + k
            self.syncing()
            os.fsync(dfd)
        finally:
            os.close(sfd)
            os.close(dfd)
        if new:
            self.names[dst] = obj
            self.objs[obj] = {"kind": "file", "size": doff + n}
        else:
            self.objs[obj]["size"] = max(self.objs[obj]["size"], doff + n)
        self.done()

    def op_release(self):
        os.close(self.held.pop(0))

    def step(self):
        files = self.files()
        dense = sum(o["size"] for o in self.objs.values() if o["kind"] == "file" and o["size"] <= CHUNK)
        full = len(self.names) >= MAX_NAMES or dense >= MAX_DENSE
        single = [n for n in files if self.nlinks(self.names[n]) == 1]
        weights = {
            "create": 0 if full else 30,
            "write": 18 if files and not full else (4 if files else 0),
            "trunc": 5 if files else 0,
            "rename": 10 if self.names else 0,
            "link": 4 if files and not full else 0,
            "unlink": (40 if full else 8) if self.names else 0,
            "symlink": 0 if full else 4,
            "mkdir": 3 if len(self.dirs) < 4 + len(self.base_dirs) else 0,
            "rmdir": 3 if self.empty_dirs() else 0,
            "sustain": 3 if single and len(self.held) < MAX_HELD else 0,
            "sustain_write": 2 if single and len(self.held) < MAX_HELD else 0,
            "copy": 5 if not full and any(self.objs[self.names[f]]["size"] for f in files) else 0,
            "release": 2 if self.held else 0,
        }
        for op in SKIP_OPS:
            weights[op] = 0
        op = self.rng.choices(list(weights), list(weights.values()))[0]
        getattr(self, "op_" + op)()

    def run(self, max_ops=100000):
        for _ in range(max_ops):
            if os.getppid() != self.ppid:
                return 4  # the test is gone: stop
            self.step()
        return 0


def writer_main(argv):
    root, state_path, journal, seed = argv
    state = json.loads(Path(state_path).read_text())
    w = Writer(root, state, journal, int(seed))
    try:
        return w.run()
    except OSError as e:
        # ENOTCONN/ECONNABORTED once the mount is killed; anything before that the test reports.
        print(f"writer: {type(e).__name__}: {e} (op {w.seq})", file=sys.stderr, flush=True)
        return 3


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "writer":
    sys.exit(writer_main(sys.argv[2:]))


# ----------------------------------------------------------------------------------------------
# the test side (imports only the test needs, so the writer starts fast)

import pytest  # noqa: E402

from harness import _LIVE_MOUNTS, Volume, is_mounted, wait_until  # noqa: E402

ROUNDS = int(os.environ.get("TIERFS_CRASH_ROUNDS", "20"))
LONG_ROUNDS = int(os.environ.get("TIERFS_CRASH_LONG_ROUNDS", "150"))
HEARTBEAT = 1  # s; a killed session expires after 5 heartbeats
CLEANUP_DEADLINE = float(os.environ.get("TIERFS_CRASH_CLEANUP_DEADLINE", "60"))


def _sha(buf) -> str:
    return hashlib.sha256(buf).hexdigest()


def _read(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _slice0(buf, off: int, n: int) -> bytes:
    b = bytes(buf[off:off + n])
    return b + bytes(n - len(b))


def first_bad_byte(obs: bytes, a, b):
    """Offset of the first byte of `obs` that is neither a's nor b's (both zero-extended), or None."""
    step = 1 << 16
    for off in range(0, len(obs), step):
        o = obs[off:off + step]
        x, y = _slice0(a, off, len(o)), _slice0(b, off, len(o))
        if o == x or o == y:
            continue
        for i, (p, q, s) in enumerate(zip(o, x, y)):
            if p != q and p != s:
                return off + i
    return None


def first_diff(a: bytes, b: bytes):
    for i, (p, q) in enumerate(zip(a, b)):
        if p != q:
            return i
    return min(len(a), len(b)) if len(a) != len(b) else None


class Model:
    """The expected tree: names -> objects; the bytes of every file object in ref/<obj>."""

    def __init__(self, workdir: Path):
        self.ref = workdir / "ref"
        self.ref.mkdir()
        self.names: dict[str, int] = {}
        self.objs: dict[int, dict] = {}  # {"kind": "file"} | {"kind": "symlink", "target": ...}
        self.dirs: set[str] = {d for i in range(WRITERS) for d in base_dirs(i)}
        self.next_obj = 1

    def refpath(self, obj: int) -> Path:
        return self.ref / str(obj)

    def content(self, obj: int) -> bytes:
        return _read(self.refpath(obj))

    def set_content(self, obj: int, buf):
        self.refpath(obj).write_bytes(bytes(buf))

    def drop_name(self, name: str):
        obj = self.names.pop(name)
        if obj not in self.names.values():
            if self.objs.pop(obj)["kind"] == "file":
                self.refpath(obj).unlink()

    def state(self, round_: int, writer: int) -> dict:
        """What writer `writer` starts from: its subtree, and object ids no other writer uses."""
        home = base_dirs(writer)[0]
        names = {n: o for n, o in self.names.items() if n.startswith(home + "/")}
        objs = {}
        for obj in set(names.values()):
            objs[obj] = dict(self.objs[obj])
            if objs[obj]["kind"] == "file":
                objs[obj]["size"] = self.refpath(obj).stat().st_size
        first = self.next_obj + (writer - self.next_obj) % WRITERS
        return {"round": round_, "names": names, "objs": objs, "base_dirs": base_dirs(writer),
                "dirs": sorted(d for d in self.dirs if d == home or d.startswith(home + "/")),
                "next_obj": first, "obj_step": WRITERS}

    def apply(self, rec: dict):
        """Apply one operation that is known to have taken effect."""
        op = rec["op"]
        if op in ("create", "write", "trunc"):  # on the reference copy, sparse as on the mount
            if op == "create":
                self.names[rec["name"]] = rec["obj"]
                self.objs[rec["obj"]] = {"kind": "file"}
            with open(self.refpath(self.names[rec["name"]]), "wb" if op == "create" else "r+b") as f:
                for off, n, seed in rec.get("pieces", []):
                    f.seek(off)
                    f.write(data(seed, n))
                if op != "write":
                    f.truncate(rec["size"])
        elif op == "copy":
            chunk = self.copied(rec)
            if rec["new"]:
                self.names[rec["name"]] = rec["obj"]
                self.objs[rec["obj"]] = {"kind": "file"}
            with open(self.refpath(rec["obj"]), "wb" if rec["new"] else "r+b") as f:
                f.seek(rec["doff"])
                f.write(chunk)
        elif op == "rename":
            obj = self.names[rec["src"]]
            if rec["dst"] in self.names:
                self.drop_name(rec["dst"])
            del self.names[rec["src"]]
            self.names[rec["dst"]] = obj
        elif op == "link":
            self.names[rec["dst"]] = self.names[rec["src"]]
        elif op == "unlink":
            self.drop_name(rec["name"])
        elif op == "symlink":
            self.names[rec["name"]] = rec["obj"]
            self.objs[rec["obj"]] = {"kind": "symlink", "target": rec["target"]}
        elif op == "mkdir":
            self.dirs.add(rec["name"])
        elif op == "rmdir":
            self.dirs.discard(rec["name"])
        else:
            raise AssertionError(f"unknown op {rec}")
        if "obj" in rec:
            self.next_obj = max(self.next_obj, rec["obj"] + 1)

    def copied(self, rec: dict) -> bytes:
        """The bytes a copy_file_range record copies (from the source's reference, before the op)."""
        with open(self.refpath(self.names[rec["src"]]), "rb") as f:
            f.seek(rec["soff"])
            chunk = f.read(rec["len"])
        assert len(chunk) == rec["len"], f"copy record beyond the source's end: {rec}"
        return chunk

    def data_outcomes(self, rec: dict):
        """(bytes before, or None for a file the op creates; bytes after) of an op that writes data."""
        if rec["op"] == "create":
            return None, build(rec["pieces"], rec["size"])
        if rec["op"] == "copy":
            old = None if rec["new"] else self.content(rec["obj"])
            new = build([], max(len(old or b""), rec["doff"] + rec["len"]), old or b"")
            new[rec["doff"]:rec["doff"] + rec["len"]] = self.copied(rec)
            return old, new
        old = self.content(self.names[rec["name"]])
        return old, build(rec["pieces"], max(len(old), *(off + n for off, n, _ in rec["pieces"])), old)

    def resolve(self, rec: dict, mnt: Path, ctx: str) -> str:
        """The operation in flight at the crash: check that what the mount shows is one of its allowed
        outcomes, and make the model follow it. Returns what was seen."""
        op = rec["op"]
        if "obj" in rec:
            self.next_obj = max(self.next_obj, rec["obj"] + 1)
        if op in ("create", "write", "copy"):
            p = mnt / rec["name"]
            old, new = self.data_outcomes(rec)
            if old is None:  # a new file: absent, or each byte written or still zero
                if not os.path.lexists(p):
                    return "absent"
                assert stat.S_ISREG(os.lstat(p).st_mode), f"{ctx}: {p} is not a regular file"
                obs = _read(p)
                assert len(obs) <= len(new), f"{ctx}: {p} has {len(obs)} bytes, the writer wrote {len(new)}"
                bad = first_bad_byte(obs, b"", new)
                assert bad is None, f"{ctx}: {p} byte {bad} is neither written data nor zero"
                self.names[rec["name"]] = rec["obj"]
                self.objs[rec["obj"]] = {"kind": "file"}
                seen = "new" if obs == new else "empty" if not obs else "partial"
            else:  # an existing file: each byte old or new, the length between
                obs = _read(p)
                assert len(old) <= len(obs) <= len(new), \
                    f"{ctx}: {p} has {len(obs)} bytes, was {len(old)}, the write ends at {len(new)}"
                bad = first_bad_byte(obs, old, new)
                assert bad is None, f"{ctx}: {p} byte {bad} is neither the old nor the new data"
                seen = "new" if obs == new else "old" if obs == old else "mixed"
            self.set_content(self.names[rec["name"]], obs)
            return seen
        if op == "trunc":
            p, obj = mnt / rec["name"], self.names[rec["name"]]
            old = self.content(obj)
            new = build([], rec["size"], old)
            obs = _read(p)
            assert obs in (old, new), \
                f"{ctx}: {p} ({len(obs)} bytes) is neither before ({len(old)}) nor after ({len(new)}) " \
                "the truncate"
            self.set_content(obj, obs)
            return "new" if obs == new else "old"
        happened = {
            "rename": lambda: not os.path.lexists(mnt / rec["src"]),
            "link": lambda: os.path.lexists(mnt / rec["dst"]),
            "unlink": lambda: not os.path.lexists(mnt / rec["name"]),
            "symlink": lambda: os.path.lexists(mnt / rec["name"]),
            "mkdir": lambda: os.path.lexists(mnt / rec["name"]),
            "rmdir": lambda: not os.path.lexists(mnt / rec["name"]),
        }[op]()
        if happened:
            self.apply(rec)  # the full check of the tree then tells whether it happened completely
        return "new" if happened else "old"


def read_journal(path: Path):
    """(done records, the record in flight or None) from a journal a killed writer may have cut short."""
    recs = []
    if path.exists():
        for line in path.read_text().splitlines(keepends=True):
            if not line.endswith("\n"):
                break  # the last line, cut by the kill
            recs.append(json.loads(line))
    done, pending = [], None
    for r in recs:
        if r["ph"] == "f":
            continue
        if r["ph"] == "b":
            assert pending is None, f"journal {path}: begin {r['seq']} while {pending['seq']} is open"
            pending = r
        else:
            assert pending is not None and pending["seq"] == r["seq"], f"journal {path}: stray done {r}"
            done.append(pending)
            pending = None
    return done, pending


def count_phase(path: Path, phase: str) -> int:
    try:
        return path.read_bytes().count(b'"ph":"%s"' % phase.encode())
    except FileNotFoundError:
        return 0


def walk(mnt: Path, ctx: str):
    """Everything under the mount: relative path -> (lstat, sha256 of files, link target). Reads every
    file to the end (an EIO fails here). The root's virtual files (.stats, .config) are left out."""
    def fail(e):
        raise AssertionError(f"{ctx}: listing {e.filename} after the remount: {e}") from e

    out = {}
    for dirpath, dirnames, filenames in os.walk(mnt, onerror=fail):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = os.lstat(p)
            if st.st_ino >= MIN_INTERNAL_INO:
                continue
            rel = str(p.relative_to(mnt))
            sha = target = None
            if stat.S_ISREG(st.st_mode):
                try:
                    h = hashlib.sha256()
                    with open(p, "rb") as f:
                        while b := f.read(MiB):
                            h.update(b)
                    sha = h.hexdigest()
                except OSError as e:
                    raise AssertionError(f"{ctx}: reading {rel} after the remount: {e}") from e
            elif stat.S_ISLNK(st.st_mode):
                target = os.readlink(p)
            out[rel] = (st, sha, target)
    return out


def check_tree(model: Model, seen: dict, mnt: Path, ctx: str):
    expected = set(model.names) | model.dirs
    missing = sorted(expected - seen.keys())
    extra = sorted(seen.keys() - expected)
    assert not missing and not extra, \
        f"{ctx}: tree differs from the journal: missing {missing}, unexpected {extra}"
    for d in model.dirs:
        assert stat.S_ISDIR(seen[d][0].st_mode), f"{ctx}: {d} is not a directory"
    by_obj: dict[int, list[str]] = {}
    for name, obj in model.names.items():
        by_obj.setdefault(obj, []).append(name)
    for obj, names in sorted(by_obj.items()):
        o = model.objs[obj]
        sts = [seen[n][0] for n in names]
        if o["kind"] == "symlink":
            for n in names:
                assert stat.S_ISLNK(seen[n][0].st_mode) and seen[n][2] == o["target"], \
                    f"{ctx}: symlink {n} -> {seen[n][2]!r}, want {o['target']!r}"
            continue
        want = model.content(obj)
        for n, st in zip(names, sts):
            assert stat.S_ISREG(st.st_mode), f"{ctx}: {n} is not a regular file"
            if st.st_size != len(want) or seen[n][1] != _sha(want):
                got = _read(mnt / n)
                raise AssertionError(f"{ctx}: {n} (journaled) differs: {len(got)} bytes, want {len(want)}; "
                                     f"first difference at byte {first_diff(got, want)}")
        assert len({st.st_ino for st in sts}) == 1, f"{ctx}: hard links {names} are different inodes"
        assert sts[0].st_nlink == len(names), \
            f"{ctx}: {names[0]} has nlink {sts[0].st_nlink}, want {len(names)}"


def tree_usage(seen: dict):
    """(usedSpace, totalInodes) as JuiceFS accounts the tree: every inode but the root once."""
    inodes = {}
    for st, _, _ in seen.values():
        inodes[st.st_ino] = align4k(st.st_size) if stat.S_ISREG(st.st_mode) else align4k(0)
    return sum(inodes.values()), len(inodes)


def db_snapshot(db: Path) -> dict:
    """One read transaction over the tables the checks need."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        con.execute("BEGIN")
        snap = {
            "counters": dict(con.execute("SELECT name, value FROM jfs_counter")),
            "nodes": con.execute("SELECT inode, type, length, nlink FROM jfs_node").fetchall(),
            "sessions": [(sid, json.loads(info or "{}")) for sid, info in
                         con.execute("SELECT sid, info FROM jfs_session2")],
            "sustained": con.execute("SELECT sid, inode FROM jfs_sustained").fetchall(),
            "delfile": con.execute("SELECT inode, length FROM jfs_delfile").fetchall(),
        }
        con.execute("COMMIT")
        return snap
    finally:
        con.close()


def node_usage(nodes):
    space = count = 0
    for ino, typ, length, _ in nodes:
        if ino == ROOT_INO or ino >= TRASH_INO:
            continue
        space += align4k(length) if typ == TYPE_FILE else align4k(0)
        count += 1
    return space, count


def leftovers(snap: dict, dead_sids) -> dict:
    """What dead sessions leave for others to clean: their rows, sustained inodes, jfs_delfile rows."""
    return {"dead sessions": [sid for sid, _ in snap["sessions"] if sid in dead_sids],
            "sustained": snap["sustained"], "delfile": snap["delfile"]}


def check_counters(db: Path, seen: dict, ctx: str, dead_sids=(), exact_counters=True):
    """Waits until the dead sessions' leftovers are cleaned up, then compares the three accounts.
    tierfs updates jfs_counter inside each transaction, so a kill cannot lose an update; juicefs
    batches the deltas in memory (flushed each second), so for it only the tree and jfs_node are
    compared and a counter difference is printed."""
    def clean():
        s = db_snapshot(db)
        return s if not any(leftovers(s, dead_sids).values()) else None
    try:
        snap = wait_until(clean, CLEANUP_DEADLINE, "cleanup of the killed session", interval=0.2)
    except AssertionError:
        raise AssertionError(f"{ctx}: leftovers not cleaned within {CLEANUP_DEADLINE:.0f}s: "
                             f"{leftovers(db_snapshot(db), dead_sids)}") from None
    c = snap["counters"]
    counters = (c.get("usedSpace", 0), c.get("totalInodes", 0))
    nodes = node_usage(snap["nodes"])
    tree = tree_usage(seen)
    orphans = sorted({ino for ino, *_ in snap["nodes"] if ino != ROOT_INO and ino < TRASH_INO}
                     - {st.st_ino for st, _, _ in seen.values()})
    assert not orphans, f"{ctx}: jfs_node rows the tree does not reach: " \
                        f"{[n for n in snap['nodes'] if n[0] in orphans][:10]}"
    assert nodes == tree, f"{ctx}: (usedSpace, totalInodes) from jfs_node {nodes}, from the tree {tree}"
    if exact_counters:
        assert counters == nodes, f"{ctx}: (usedSpace, totalInodes) counters {counters}, from the tree {tree}"
    elif counters != nodes:
        print(f"{ctx}: counters {counters}, tree {tree} (juicefs flushes counter deltas once a second)")


def check_objects(vol, ctx: str) -> tuple[int, int]:
    """With nothing mounted: every slice jfs_chunk references has all its block objects, jfs_chunk_ref
    counts exactly the records of each slice. Returns the (objects, bytes) no slice references: uploads
    a crash cut off before their commit or in the middle (`.ID_I_LEN.tmp.*`, as JuiceFS's file store
    names them), deletions it cut short; leaks, not errors."""
    con = sqlite3.connect(f"file:{vol.db}?mode=ro", uri=True, timeout=30)
    try:
        records, sizes = {}, {}
        for ino, indx, blob in con.execute("SELECT inode, indx, CAST(slices AS BLOB) FROM jfs_chunk"):
            blob = bytes(blob)
            assert len(blob) % 24 == 0, f"{ctx}: jfs_chunk ({ino},{indx}) has {len(blob)} bytes of slices"
            for i in range(0, len(blob), 24):
                _, sid, size, _, _ = struct.unpack(">IQIII", blob[i:i + 24])
                if sid:
                    records[sid] = records.get(sid, 0) + 1
                    sizes[sid] = size
        refs = {sid: n for sid, _, n in con.execute("SELECT chunkid, size, refs FROM jfs_chunk_ref")}
        pending = {sid for blob, in con.execute("SELECT CAST(slices AS BLOB) FROM jfs_delslices")
                   for (sid,) in struct.iter_unpack(">Q4x", bytes(blob))}
    finally:
        con.close()
    bad_refs = {sid: (refs.get(sid), records.get(sid)) for sid in set(refs) | set(records)
                if refs.get(sid) != records.get(sid)}
    assert not bad_refs, f"{ctx}: jfs_chunk_ref refs != slice records (id: (refs, records)): " \
                         f"{dict(list(bad_refs.items())[:10])}"
    objects, tmp = {}, []
    for d, _, files in os.walk(vol.chunks_dir):
        for f in files:
            if m := re.fullmatch(r"(\d+)_(\d+)_(\d+)", f):
                objects.setdefault(int(m[1]), set()).add((int(m[2]), int(m[3])))
            elif re.fullmatch(r"\.(jfs\.)?\d+_\d+_\d+\.tmp\..+", f):  # tierfs, juicefs
                tmp.append(os.path.getsize(os.path.join(d, f)))  # an upload the kill cut short
            else:
                raise AssertionError(f"{ctx}: unexpected file in the bucket: {d}/{f}")
    missing = []
    for sid, size in sorted(sizes.items()):
        want = {(i, min(BLOCK, size - i * BLOCK)) for i in range((size + BLOCK - 1) // BLOCK)}
        if not want <= objects.get(sid, set()):
            missing.append((sid, sorted(want - objects.get(sid, set()))))
    assert not missing, f"{ctx}: slices in jfs_chunk whose objects are missing: {missing[:10]}"
    leaked = [n for sid, blocks in objects.items() if sid not in records and sid not in pending
              for _, n in blocks] + tmp
    return len(leaked), sum(leaked)


def fsck_clean(jfs, url: str, ctx: str, *extra):
    p = jfs.run("fsck", url, *extra, timeout=600)
    broken = [l for l in p.stderr.splitlines()
              if re.search(r"<(ERROR|FATAL)>|lost|broken|can't find", l, re.I)
              and not re.search(r"\b0 (objects|broken)", l)]
    assert p.returncode == 0 and not broken, \
        f"{ctx}: juicefs fsck {' '.join(extra)} -> exit {p.returncode}\n" \
        f"{p.stdout[-2000:]}\n{p.stderr[-4000:]}"


def gc_report(jfs, url: str) -> str:
    """`juicefs gc` (dry run): its summary line. It skips objects younger than an hour, so right after
    the run its `leaked` count is 0 by construction; check_objects counts the leaks itself."""
    p = jfs.run("gc", url, timeout=600)
    assert p.returncode == 0, f"juicefs gc -> exit {p.returncode}\n{p.stderr[-3000:]}"
    lines = [l for l in (p.stdout + p.stderr).splitlines() if "scanned" in l and "leaked" in l]
    return re.sub(r"^.*?<INFO>: | \[gc@.*$", "", lines[-1]) if lines else (p.stdout + p.stderr)[-2000:]


# ----------------------------------------------------------------------------------------------
# the test


def _start_writer(mnt: Path, model: Model, round_: int, writer: int, workdir: Path, seed: int):
    tag = f"{round_}-{writer}"
    state = workdir / f"state-{tag}.json"
    state.write_text(json.dumps(model.state(round_, writer)))
    journal = workdir / f"journal-{tag}.jsonl"
    err = workdir / f"writer-{tag}.err"
    cmd = [sys.executable, __file__, "writer", str(mnt), str(state), str(journal), str(seed)]
    with open(err, "wb") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return proc, journal, err


def _ppid(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def server_pid(m, db: Path) -> int:
    """The process serving the mount, from its session row: tierfs's is our child itself; juicefs's
    foreground mount is a supervisor whose child serves (and records its own ProcessID)."""
    def find():
        for _, info in db_snapshot(db)["sessions"]:
            pid = info.get("ProcessID")
            if pid == m.proc.pid or (pid and _ppid(pid) == m.proc.pid):
                return pid
        return None
    pid = wait_until(find, 30, f"the session row of mount pid {m.proc.pid}")
    if m.binary.flavor == "tierfs":
        assert pid == m.proc.pid, f"tierfs mount pid {m.proc.pid} but session ProcessID {pid}"
    return pid


def crash(m, pid: int):
    """SIGKILL the serving process (and a supervisor, stopped first so that it cannot restart it)."""
    if pid != m.proc.pid:
        os.kill(m.proc.pid, signal.SIGSTOP)
    os.kill(pid, signal.SIGKILL)
    if pid != m.proc.pid:
        os.kill(m.proc.pid, signal.SIGKILL)
    return pid


def _detach(m):
    """After SIGKILL: the FUSE connection is dead (ENOTCONN); detach it and forget the mount."""
    m.proc.wait(timeout=30)
    subprocess.run(["fusermount3", "-u", "-z", str(m.path)], capture_output=True)
    wait_until(lambda: not is_mounted(m.path), 30, f"detach of {m.path}")
    m.umount()  # only bookkeeping now: not mounted, process reaped


def run_crash_rounds(fs, jfs, workdir: Path, rounds: int, record_property):
    seed = int(os.environ.get("TIERFS_CRASH_SEED") or random.SystemRandom().getrandbits(32))
    print(f"\ncrash test: seed {seed} (TIERFS_CRASH_SEED={seed} to repeat), {rounds} rounds")
    record_property("crash_seed", seed)
    rng = random.Random(seed)
    vol = Volume(workdir, fs).format()
    mp = workdir / "mnt"
    extra = ["--heartbeat", str(HEARTBEAT)]
    exact = fs.flavor == "tierfs"
    model = Model(workdir)
    m = vol.mount(mp, extra=extra)
    spid = server_pid(m, vol.db)
    for d in sorted(model.dirs):
        os.mkdir(mp / d)
        _fsync_dir((mp / d).parent)
    stats = {"outcomes": {}, "ops": 0, "settled": 0, "leaked": (0, 0)}
    t0 = time.monotonic()
    try:
        for rnd in range(rounds):
            ctx = f"seed {seed} round {rnd}"
            writers = [_start_writer(mp, model, rnd, i, workdir, rng.getrandbits(63)) for i in range(WRITERS)]
            try:
                # The kill comes after k operations plus up to 0.4 s, or (aimed at the commit path)
                # a few ms after the k-th fsync started.
                if rng.random() < 0.6:
                    phase, k, delay = "d", rng.choice([0, 1, 2, 3, 5, 8, 12, 20, 30]), rng.uniform(0, 0.4)
                else:
                    phase, k, delay = "f", rng.randint(1, 8), rng.uniform(0, 0.06)
                wait_until(lambda: sum(count_phase(j, phase) for _, j, _ in writers) >= k
                           or any(w.poll() is not None for w, _, _ in writers), 120,
                           f"{k} journal records {phase!r} ({ctx})")
                time.sleep(delay)  # the random moment itself, not a synchronisation
                stopped = [(w, e) for w, _, e in writers if w.poll() is not None]
                crash(m, spid)
                killed_pid = spid
            finally:
                for w, _, _ in writers:
                    if w.poll() is None:
                        w.kill()
                    w.wait()
            for w, e in stopped:
                raise AssertionError(f"{ctx}: a writer stopped before the crash (exit {w.returncode}):\n"
                                     f"{e.read_text(errors='replace')}")
            _detach(m)
            dead_sids = {sid for sid, _ in db_snapshot(vol.db)["sessions"]}  # no mount is live now
            done, pending = [], []
            for _, journal, _ in writers:
                d, p = read_journal(journal)
                done += d  # the writers' subtrees are disjoint: only each one's own order matters
                pending += [p] if p else []
            stats["ops"] += len(done)
            inflight = ", ".join(f"{p['op']} {p.get('name') or p.get('src')}" for p in pending) or "none"
            ctx += f" (killed pid {killed_pid} after {len(done)} ops, in flight: {inflight})"
            fsck_clean(jfs, vol.meta_url, ctx + ", crashed volume")
            stats["leaked"] = check_objects(vol, ctx + ", crashed volume")
            try:
                m = vol.mount(mp, extra=extra)
                spid = server_pid(m, vol.db)
            except AssertionError as e:
                raise AssertionError(f"{ctx}: the volume does not mount again: {e}") from None
            for rec in done:
                model.apply(rec)
            for rec in pending:
                seen_as = model.resolve(rec, mp, ctx)
                key = f"{rec['op']}{'(held)' if rec.get('held') else ''}:{seen_as}"
                stats["outcomes"][key] = stats["outcomes"].get(key, 0) + 1
            seen = walk(mp, ctx)
            check_tree(model, seen, mp, ctx)
            # Most rounds wait for the cleanup and compare the counters; the others go on at once, so
            # that the next kill may hit the cleanup itself and sessions pile up.
            if rng.random() < 0.75 or rnd == rounds - 1:
                check_counters(vol.db, seen, ctx, dead_sids, exact)
                stats["settled"] += 1
        m.umount()
        ctx = f"seed {seed} after the last round"
        sessions = db_snapshot(vol.db)["sessions"]
        assert not sessions, f"{ctx}: session rows after a clean unmount: {sessions}"
        check_counters(vol.db, seen, ctx + ", clean unmount", exact_counters=exact)
        fsck_clean(jfs, vol.meta_url, ctx)
        if exact:
            fsck_clean(jfs, vol.meta_url, ctx, "--path", "/", "--recursive")
        else:  # juicefs loses its in-memory directory stats with the process, and fsck -r says so
            p = jfs.run("fsck", vol.meta_url, "--path", "/", "--recursive", timeout=600)
            print(f"{ctx}: juicefs fsck --path / --recursive -> exit {p.returncode}")
        stats["leaked"] = check_objects(vol, ctx)
        gc = gc_report(jfs, vol.meta_url)
    finally:
        for mm in [x for x in _LIVE_MOUNTS if x.path == mp]:
            mm.umount()
    elapsed = time.monotonic() - t0
    print(f"crash test: {rounds} rounds ({stats['settled']} with the counter check), {stats['ops']} "
          f"journaled ops in {elapsed:.0f}s; in-flight outcomes {dict(sorted(stats['outcomes'].items()))}")
    errors = sorted({re.sub(r"^\[[^]]*\] ", "", line) for log in workdir.glob("mount-*.log")
                     for line in log.read_text(errors="replace").splitlines()
                     if re.search(r"\[(error|critical)\]", line)})
    print(f"crash test: {len(errors)} distinct error lines in the mount logs"
          + "".join(f"\n  {line}" for line in errors[:20]))
    objs, nbytes = stats["leaked"]
    print(f"crash test: {objs} leaked objects ({nbytes} bytes) no slice references; juicefs gc: {gc}")
    record_property("crash_leaked_objects", objs)
    return stats, gc


def test_crash_consistency(fs, jfs, workdir, record_property):
    run_crash_rounds(fs, jfs, workdir, ROUNDS, record_property)


@pytest.mark.soak
def test_crash_consistency_long(fs, jfs, workdir, record_property):
    run_crash_rounds(fs, jfs, workdir, LONG_ROUNDS, record_property)


def test_counters_follow_data_written_after_unlink(fs, workdir):
    """The accounting the crash test relies on, without a crash: writes and truncates through a file
    that is open but unlinked (a sustained inode) must not move usedSpace once the file is gone."""
    vol = Volume(workdir, fs).format()
    m = vol.mount(workdir / "mnt")
    try:
        fd = os.open(m / "grown", os.O_CREAT | os.O_RDWR, 0o644)
        os.unlink(m / "grown")
        _pwrite_all(fd, data(1, MiB), 0)
        os.fsync(fd)
        os.close(fd)
        (m / "shrunk").write_bytes(data(2, 2 * MiB))
        fd = os.open(m / "shrunk", os.O_RDWR)
        os.unlink(m / "shrunk")
        os.ftruncate(fd, 0)
        os.fsync(fd)
        os.close(fd)
        (m / "kept").write_bytes(data(3, 5000))
    finally:
        m.umount()
    snap = db_snapshot(vol.db)
    c = snap["counters"]
    assert node_usage(snap["nodes"]) == (8192, 1)  # only "kept" is left
    assert (c["usedSpace"], c["totalInodes"]) == (8192, 1), f"counters {c['usedSpace']}, {c['totalInodes']}"
