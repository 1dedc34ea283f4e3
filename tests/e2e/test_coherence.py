"""Cache coherence of two mounts of one Redis volume.

Both mounts keep kernel attributes and dentries for 30 s (--attr-cache/--entry-cache/
--dir-entry-cache 30), so only the server's invalidations (CLIENT TRACKING pushes, forwarded to the
kernel with fuse_lowlevel_notify_inval_*) can make one see the other's changes in time.

The checker is one deterministic loop (its seed printed; TIERFS_COHERENCE_SEED replays it) of
random operations, each through mount A or mount B: whole-file writes (the version is in the
content, and in the size), in-place overwrites, exclusive creates, chmod, setxattr, unlink,
rename (replacing or not), mkdir, rmdir, directory renames; and the checked reads stat, read,
getxattr, readdir. Model: for every path the history of its states, each with the time its write
completed and the mount that made it. A read that started at time t on one mount must return a
state at least as new as every write that completed before t - D (D = TIERFS_COHERENCE_D, 1 s),
and at least as new as the reading mount's own last write; anything older is a violation.
Reported: `stale_read_age` (reads that returned an older state within D: how long before the read
the first write they missed had completed; the invalidation delay as the checker witnessed it) and
`observe_delay` (a write's completion to the first read through the other mount that returned it;
an upper bound that includes the wait until the random loop happens to read the path).

Mutations are deterministic: a path (a file slot, a directory slot) is mutated only through the
mount that owns it; to take it over, the other mount first polls (bounded by D) until its own view
of the path is the latest state. So every mutation acts on a fresh view and its outcome is known.
"""
from __future__ import annotations

import errno
import os
import random
import shutil
import statistics
import time

import pytest

from harness import RedisServer, Volume, wait_until


D = float(os.environ.get("TIERFS_COHERENCE_D", "1.0"))
LONG_CACHES = ["--attr-cache", "30", "--entry-cache", "30", "--dir-entry-cache", "30"]
XATTR = "user.v"

DIRS = ["d0", "d1", "d2"]
FILES = [f"{d}/f{i}" for d in DIRS for i in range(6)]
SUBDIRS = [f"{d}/s{i}" for d in DIRS for i in range(2)]
FILE_MODES = [0o600, 0o640, 0o644, 0o664, 0o700, 0o755]
DIR_MODES = [0o700, 0o711, 0o750, 0o755]


def _seed() -> int:
    s = os.environ.get("TIERFS_COHERENCE_SEED")
    return int(s) if s else random.SystemRandom().randrange(1 << 32)


def content(cver: int | None, size: int) -> bytes:
    if cver is None:
        return b""
    unit = f"v{cver:09d}\n".encode()
    return (unit * (size // len(unit) + 1))[:size]


def _pct(xs, q):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def summary(xs) -> dict:
    return {"n": len(xs), "median_ms": round(statistics.median(xs) * 1e3, 3) if xs else None,
            "p99_ms": round(_pct(xs, 0.99) * 1e3, 3) if xs else None,
            "max_ms": round(max(xs) * 1e3, 3) if xs else None}


# ----------------------------------------------------------------------------------------------
# states and observations
#
# A state is None (absent), ("f", ino, cver, size, mode, xattr) or ("d", ino, mode, xattr);
# a directory listing is a frozenset of names.

def _observe_stat(root, path):
    try:
        st = os.lstat(os.path.join(root, path))
    except FileNotFoundError:
        return None
    if (st.st_mode & 0o170000) == 0o040000:
        return ("d", st.st_ino, st.st_mode & 0o7777)
    return ("f", st.st_ino, st.st_size, st.st_mode & 0o7777)


def _stat_matches(obs, s) -> bool:
    if obs is None or s is None:
        return obs is None and s is None
    if obs[0] != s[0] or obs[1] != s[1]:
        return False
    if s[0] == "d":
        return obs[2] == s[2]
    return obs[2] == s[3] and obs[3] == s[4]


def _redis_raw(port, *cmds):
    """Replies (bytes or None) of RESP2 commands sent on one fresh connection (diagnostics only)."""
    import socket
    with socket.create_connection(("127.0.0.1", port)) as sk:
        req = b""
        for c in cmds:
            req += f"*{len(c)}\r\n".encode() + b"".join(f"${len(a)}\r\n".encode() + a.encode() + b"\r\n" for a in c)
        sk.sendall(req)
        f = sk.makefile("rb")
        out = []
        for _ in cmds:
            line = f.readline()
            if line[:1] == b"$":
                n = int(line[1:])
                out.append(None if n < 0 else f.read(n + 2)[:-2])
            else:
                out.append(line.strip())
        return out


class Entry:
    __slots__ = ("seq", "t_done", "mount", "state", "seen", "op")

    def __init__(self, seq, t_done, mount, state, op=None):
        self.seq, self.t_done, self.mount, self.state, self.seen, self.op = seq, t_done, mount, state, False, op


class Violation(AssertionError):
    pass


class Checker:
    """The model and the random loop (see the module docstring)."""

    def __init__(self, roots: dict[str, str], seed: int, nops: int, d: float = D, hook=None, skip=()):
        self.roots, self.seed, self.nops, self.d, self.hook, self.skip = roots, seed, nops, d, hook, set(skip)
        self.rng = random.Random(seed)
        self.names = sorted(roots)
        self.hist: dict = {}
        self.owner: dict[str, str] = {}
        self.seq = 0
        self.violations: list[str] = []
        self.observe_delays: list[float] = []  # write -> first read by the other mount that saw it
        self.stale_ages: list[float] = []      # a read that returned an older state: age of the newest write it missed
        self.stale_reads = 0
        self.checked_reads = 0
        self.handoffs = 0
        self.op_counts: dict[str, int] = {}
        self.cur_op = None
        self.errors: dict[str, int] = {}

    # -- model
    def _record(self, key, mount, state, t_done):
        self.seq += 1
        self.hist.setdefault(key, [Entry(0, 0.0, None, None if key[0] == "p" else frozenset())])
        self.hist[key].append(Entry(self.seq, t_done, mount, state, self.cur_op))

    def latest(self, key):
        h = self.hist.get(key)
        if h:
            return h[-1].state
        return None if key[0] == "p" else frozenset()

    def check(self, op, mount, key, t0, t1, matches, what) -> bool:
        """Is the observation (`matches(state)`) new enough? True if it is the latest state."""
        self.checked_reads += 1
        h = self.hist.setdefault(key, [Entry(0, 0.0, None, None if key[0] == "p" else frozenset())])
        jmin = 0
        for j in range(len(h) - 1, 0, -1):
            e = h[j]
            if e.mount == mount or e.t_done < t0 - self.d:
                jmin = j
                break
        got = None
        for j in range(len(h) - 1, -1, -1):
            if matches(h[j].state):
                got = j
                break
        if got is None or got < jmin:
            missed = h[jmin]
            self.violations.append(
                f"{op} via {mount} of {key[1]}: expected version >= {missed.seq} (written via {missed.mount} "
                f"{t0 - missed.t_done:.3f}s before the read started), got "
                + (f"version {h[got].seq} (written {t0 - h[got].t_done:.3f}s before; superseded "
                   f"{t0 - h[got + 1].t_done:.3f}s before)" if got is not None else "a state that never existed")
                + f": observed {what}; latest version {h[-1].seq} = {h[-1].state}"
                + self.diagnose(mount, key))
            return False
        e = h[got]
        if not e.seen and e.mount not in (None, mount):
            e.seen = True
            self.observe_delays.append(t1 - e.t_done)
        if got < len(h) - 1:
            self.stale_reads += 1
            self.stale_ages.append(t0 - h[got + 1].t_done)
            return False
        return True

    def diagnose(self, mount, key) -> str:
        """What a violation looks like right after it: the mount's view again (does it persist,
        as a kernel cache entry would, or not, as a race would) and the server's."""
        if key[0] != "p":
            return ""
        root = self.roots[mount]
        again = [_observe_stat(root, key[1]) for _ in range(3)]
        other = {m: _observe_stat(r, key[1]) for m, r in self.roots.items() if m != mount}
        server = self.server_entry(key[1]) if getattr(self, "vol", None) else "?"
        now = time.monotonic()
        hist = [(e.seq, e.mount, e.op, f"{now - e.t_done:.3f}s ago", e.state) for e in self.hist[key][-5:]]
        return (f"\n    diagnosis: {mount} again {again}; other mounts {other}; server {server}"
                f"\n    history: {hist}")

    def server_entry(self, path):
        """The dentry chain of `path` as the Redis server holds it (ino of each component)."""
        srv = self.vol.redis
        ino = 1
        out = []
        for name in path.split("/"):
            raw = _redis_raw(srv.port, ["SELECT", "1"], ["HGET", f"d{ino}", name])[-1]
            if raw is None:
                out.append(f"{name}: absent")
                return out
            ino = int.from_bytes(raw[1:9], "big")
            out.append(f"{name}: ino {ino}")
        attr = _redis_raw(srv.port, ["SELECT", "1"], ["GET", f"i{ino}"])[-1]
        out.append(f"i{ino}: {'absent' if attr is None else str(len(attr)) + ' bytes'}")
        return out

    # -- reads
    def do_stat(self, m, path, op="stat"):
        t0 = time.monotonic()
        obs = _observe_stat(self.roots[m], path)
        t1 = time.monotonic()
        return self.check(op, m, ("p", path), t0, t1, lambda s: _stat_matches(obs, s), obs)

    def do_read(self, m, path):
        t0 = time.monotonic()
        try:
            with open(os.path.join(self.roots[m], path), "rb") as f:
                obs = f.read()
        except FileNotFoundError:
            obs = None
        t1 = time.monotonic()

        def matches(s):
            if s is None:
                return obs is None
            return obs is not None and s[0] == "f" and content(s[2], s[3]) == obs
        self.check("read", m, ("p", path), t0, t1, matches,
                   f"{len(obs)} bytes {obs[:24]!r}..." if obs else obs)

    def do_getxattr(self, m, path):
        t0 = time.monotonic()
        try:
            obs = os.getxattr(os.path.join(self.roots[m], path), XATTR, follow_symlinks=False).decode()
        except FileNotFoundError:
            obs = "ENOENT"
        except OSError as e:
            if e.errno != errno.ENODATA:
                raise
            obs = None
        t1 = time.monotonic()

        def matches(s):
            if s is None:
                return obs == "ENOENT"
            return obs == s[-1]
        self.check("getxattr", m, ("p", path), t0, t1, matches, obs)

    def do_readdir(self, m, d):
        t0 = time.monotonic()
        obs = frozenset(os.listdir(os.path.join(self.roots[m], d)))
        t1 = time.monotonic()
        self.check("readdir", m, ("ls", d), t0, t1, lambda s: s == obs, sorted(obs))

    # -- ownership
    def acquire(self, m, paths):
        """`m` may mutate `paths` once its own view of each is the latest state (polled, bounded by D)."""
        for p in paths:
            if self.owner.get(p, self.names[0]) == m:
                continue
            self.handoffs += 1
            n0 = len(self.violations)

            def seen_latest(m=m, p=p, n0=n0):
                if self.do_stat(m, p, op="take-over stat"):
                    return True
                if len(self.violations) > n0:  # stale past D: do_stat recorded it
                    raise Violation(self.violations[-1])
                return False
            wait_until(seen_latest, 60, f"{m} sees the latest state of {p}", interval=0.0005)
            self.owner[p] = m

    def _listing_change(self, m, d, t, add=(), remove=()):
        names = set(self.latest(("ls", d)))
        names |= set(add)
        names -= set(remove)
        self._record(("ls", d), m, frozenset(names), t)

    def _rename(self, m, src, dst):
        self.acquire(m, [src, dst])
        s, replaced = self.latest(("p", src)), self.latest(("p", dst))
        os.rename(os.path.join(self.roots[m], src), os.path.join(self.roots[m], dst))
        t = time.monotonic()
        self._record(("p", src), m, None, t)
        self._record(("p", dst), m, s, t)
        (sd, sn), (dd, dn) = src.split("/"), dst.split("/")
        self._listing_change(m, sd, t, remove=[sn])
        if replaced is None:
            self._listing_change(m, dd, t, add=[dn])

    # -- mutations (through the owner: the outcome is known)
    def mutate(self, op, m, rng):
        root = self.roots[m]
        full = lambda p: os.path.join(root, p)  # noqa: E731
        if op in ("write", "overwrite", "create", "chmod", "setxattr", "unlink"):
            p = rng.choice(FILES)
            s = self.latest(("p", p))
            if op == "overwrite" and (s is None or s[3] < 11):
                op = "write"
            if op in ("chmod", "setxattr", "unlink") and s is None:
                op = "create"
            if op == "create" and s is not None:
                op = "write"
            self.acquire(m, [p])
            seq = self.seq + 1
            if op == "write":
                size = 16 + seq % 997
                mode = s[4] if s else 0o644
                with open(full(p), "wb") as f:
                    f.write(content(seq, size))
                    ino = os.fstat(f.fileno()).st_ino
                if s is None:
                    os.chmod(full(p), mode)
                new = ("f", ino, seq, size, mode, s[5] if s else None)
            elif op == "overwrite":
                with open(full(p), "r+b") as f:
                    f.write(content(seq, s[3]))
                new = ("f", s[1], seq, s[3], s[4], s[5])
            elif op == "create":
                fd = os.open(full(p), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                ino = os.fstat(fd).st_ino
                os.close(fd)
                os.chmod(full(p), 0o644)  # no umask
                new = ("f", ino, None, 0, 0o644, None)
            elif op == "chmod":
                mode = rng.choice(FILE_MODES)
                os.chmod(full(p), mode)
                new = s[:4] + (mode, s[5])
            elif op == "setxattr":
                val = f"x{seq}"
                os.setxattr(full(p), XATTR, val.encode(), follow_symlinks=False)
                new = s[:5] + (val,)
            else:  # unlink
                os.unlink(full(p))
                new = None
            t = time.monotonic()
            self._record(("p", p), m, new, t)
            d, name = p.split("/")
            if (s is None) != (new is None):
                self._listing_change(m, d, t, add=[name] if new else [], remove=[] if new else [name])
        elif op == "rename":
            src, dst = rng.choice(FILES), rng.choice(FILES)
            if self.latest(("p", src)) is None or src == dst:
                return self.mutate("create", m, rng)
            self._rename(m, src, dst)
        elif op in ("mkdir", "rmdir", "dirrename", "dirchmod", "dirxattr"):
            p = rng.choice(SUBDIRS)
            s = self.latest(("p", p))
            if s is None and op != "dirrename":
                op = "mkdir"
            elif s is not None and op == "mkdir":
                op = "rmdir"
            if op == "dirrename":
                q = rng.choice(SUBDIRS)
                if s is None or p == q:
                    return self.mutate("mkdir", m, rng)
                return self._rename(m, p, q)  # q is absent or an empty directory
            self.acquire(m, [p])
            d, name = p.split("/")
            if op == "mkdir":
                os.mkdir(full(p))
                os.chmod(full(p), 0o755)
                new = ("d", os.stat(full(p)).st_ino, 0o755, None)
            elif op == "rmdir":
                os.rmdir(full(p))
                new = None
            elif op == "dirchmod":
                mode = rng.choice(DIR_MODES)
                os.chmod(full(p), mode)
                new = ("d", s[1], mode, s[3])
            else:
                val = f"x{self.seq + 1}"
                os.setxattr(full(p), XATTR, val.encode(), follow_symlinks=False)
                new = ("d", s[1], s[2], val)
            t = time.monotonic()
            self._record(("p", p), m, new, t)
            if (s is None) != (new is None):
                self._listing_change(m, d, t, add=[name] if new else [], remove=[] if new else [name])
        else:
            raise ValueError(op)

    # -- the loop
    OPS = [("stat", 20), ("read", 14), ("getxattr", 6), ("readdir", 5), ("dirstat", 4),
           ("write", 14), ("overwrite", 6), ("create", 3), ("chmod", 6), ("setxattr", 5), ("unlink", 5),
           ("rename", 7), ("mkdir", 3), ("rmdir", 2), ("dirrename", 2), ("dirchmod", 2), ("dirxattr", 1)]

    def setup(self):
        a = self.names[0]
        for d in DIRS:
            os.mkdir(os.path.join(self.roots[a], d))
        for d in DIRS:
            for m in self.names:
                wait_until(lambda: os.path.isdir(os.path.join(self.roots[m], d)), 10, f"{d} via {m}")

    def run(self):
        self.setup()
        skip = os.environ.get("TIERFS_COHERENCE_SKIP_OPS", "").split(",")  # to bisect a failure by op kind
        ops = [(o, w) for o, w in self.OPS if o not in skip and o not in self.skip]
        names, weights = zip(*ops)
        rng = self.rng
        t_start = time.monotonic()
        for i in range(self.nops):
            if self.hook:
                self.hook(self, i)
            op = rng.choices(names, weights)[0]
            m = rng.choice(self.names)
            self.op_counts[op] = self.op_counts.get(op, 0) + 1
            self.cur_op = op
            try:
                if op == "stat":
                    self.do_stat(m, rng.choice(FILES))
                elif op == "dirstat":
                    self.do_stat(m, rng.choice(SUBDIRS))
                elif op == "read":
                    self.do_read(m, rng.choice(FILES))
                elif op == "getxattr":
                    self.do_getxattr(m, rng.choice(FILES + SUBDIRS))
                elif op == "readdir":
                    self.do_readdir(m, rng.choice(DIRS))
                else:
                    # mostly the current owner of a path acts; sometimes the other mount takes over
                    self.mutate(op, m, rng)
            except Violation:
                pass
            except OSError as e:
                self.violations.append(f"op #{i} {op} via {m}: unexpected {e!r}")
            if len(self.violations) >= 20:
                break
        self.elapsed = time.monotonic() - t_start
        self.ops_done = i + 1
        # at the end, after D, both mounts must see the latest state of everything
        t_end = time.monotonic()
        wait_until(lambda: time.monotonic() > t_end + self.d, 2 * self.d + 5, "D to pass")
        for m in self.names:
            for p in FILES + SUBDIRS:
                self.do_stat(m, p, op="final stat")
            for p in FILES:
                self.do_read(m, p)
            for d in DIRS:
                self.do_readdir(m, d)

    def report(self) -> dict:
        return {"seed": self.seed, "ops": self.ops_done, "seconds": round(self.elapsed, 1),
                "checked_reads": self.checked_reads, "handoffs": self.handoffs,
                "stale_reads_within_D": self.stale_reads,
                "stale_read_age": summary(self.stale_ages),
                "observe_delay": summary(self.observe_delays),
                "violations": len(self.violations)}


# Known bugs (see the targeted tests in section 4): the random checker hits them within seconds.


def _two_mounts(workdir, fs):
    server = RedisServer(workdir / "redis").start()
    vol = Volume(workdir, fs, redis=server).format()
    a = vol.mount(workdir / "a", extra=LONG_CACHES)
    try:
        b = vol.mount(workdir / "b", extra=LONG_CACHES)
    except BaseException:
        a.umount()
        raise
    return vol, a, b


def run_checker(fs, workdir, record_property, nops, hook=None, extra_report=None, skip=()):
    seed = _seed()
    print(f"coherence seed {seed} (replay: TIERFS_COHERENCE_SEED={seed}), {nops} ops, D={D}s")
    record_property("coherence_seed", seed)
    vol, a, b = _two_mounts(workdir, fs)
    try:
        c = Checker({"A": str(a.path), "B": str(b.path)}, seed, nops, hook=hook, skip=skip)
        c.vol, c.mounts = vol, {"A": a, "B": b}
        c.run()
    finally:
        b.umount()
        a.umount()
    rep = c.report()
    if extra_report:
        rep.update(extra_report(c))
    print(f"coherence report: {rep}")
    for k, v in rep.items():
        record_property(f"coherence_{k}", v)
    assert c.ops_done == nops or c.violations, "the checker stopped early"
    if c.violations:
        pytest.fail(f"{len(c.violations)} coherence violations (seed {seed}, D={D}s):\n"
                    + "\n".join(c.violations[:20]))
    return c


# ----------------------------------------------------------------------------------------------
# 1. the checker


# 10,000 ops (~8 s) in the fast tier, 100,000 (~70 s) in the full tier. They found one bug, kept
# as a test of its own (test_posix.py test_a_name_replaced_by_another_mount_resolves_to_the_new_file):
# a stat or open through a dentry whose inode the other mount had just deleted by a replacing
# rename returned ENOENT (the inode's invalidation reached the kernel before the dentry's).
def test_coherence_checker(fs, workdir, record_property):
    run_checker(fs, workdir, record_property, int(os.environ.get("TIERFS_COHERENCE_OPS", "10000")))


@pytest.mark.full
def test_coherence_checker_100k(fs, workdir, record_property):
    run_checker(fs, workdir, record_property, 100_000)


# ----------------------------------------------------------------------------------------------
# 2. the invalidation delay, measured on its own


def test_invalidation_delay(fs, workdir, record_property):
    """A changes a file B has in its kernel cache (a write that changes the size, or a chmod);
    B polls stat until it sees the change: N=200 samples of the delay."""
    n = 200
    vol, a, b = _two_mounts(workdir, fs)
    delays = {"write": [], "chmod": []}
    try:
        os.mkdir(a / "m")
        for i in range(4):
            (a / "m" / f"f{i}").write_bytes(b"0")
        wait_until(lambda: all(os.path.exists(b / "m" / f"f{i}") for i in range(4)), 10, "B sees the files")
        for i in range(n):
            name = f"m/f{i % 4}"
            kind = "write" if i % 2 == 0 else "chmod"
            before = os.stat(b / name)  # cached in B's kernel for 30 s from here
            if kind == "write":
                size = before.st_size % 1000 + 1
                (a / name).write_bytes(b"x" * size)
                seen = lambda st: st.st_size == size  # noqa: E731
            else:
                mode = 0o600 if before.st_mode & 0o777 != 0o600 else 0o644
                os.chmod(a / name, mode)
                seen = lambda st: st.st_mode & 0o777 == mode  # noqa: E731
            t_done = time.monotonic()
            deadline = t_done + 5
            while True:
                st = os.stat(b / name)
                now = time.monotonic()
                if seen(st):
                    delays[kind].append(now - t_done)
                    break
                assert now < deadline, f"sample {i}: B does not see the {kind} of {name} via A after 5 s"
    finally:
        b.umount()
        a.umount()
    everything = delays["write"] + delays["chmod"]
    rep = {"all": summary(everything), "write": summary(delays["write"]), "chmod": summary(delays["chmod"])}
    print(f"invalidation delay (A's change -> B's stat sees it), {n} samples: {rep}")
    for k, v in rep.items():
        record_property(f"invalidation_delay_{k}", v)
    assert max(everything) < D, f"invalidation delay above D={D}s: {rep}"


# ----------------------------------------------------------------------------------------------
# 3. the invalidation connections killed mid-run


def _socket_ports(pid: int) -> set[int]:
    """Local TCP ports of the sockets process `pid` holds."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if f[9] in inodes:
                ports.add(int(f[1].rsplit(":", 1)[1], 16))
    return ports


def tracking_clients(server: RedisServer, pid: int) -> list[str]:
    """CLIENT LIST ids of process `pid`'s connections with tracking on (flags contain t)."""
    ports = _socket_ports(pid)
    ids = []
    for line in server.cli("CLIENT", "LIST").splitlines():
        f = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
        if "t" in f.get("flags", "") and int(f["addr"].rsplit(":", 1)[1]) in ports:
            ids.append(f["id"])
    return ids


@pytest.mark.full
def test_killed_invalidation_connection(fs, workdir, record_property):
    """The checker (10,000 ops), B's tracking connections killed at the server (CLIENT KILL ID)
    every 1,000 ops: B reconnects and re-enables tracking, and no read is stale beyond D. Without
    readdir (the checker above covers it), so that the connection loss is what is tested."""
    kills = []

    def hook(c, i):
        if i == 0 or i % 1000 != 500:
            return
        b = c.mounts["B"]
        ids = tracking_clients(c.vol.redis, b.proc.pid)
        assert ids, "no tracking connection of mount B at the server"
        for cid in ids:
            c.vol.redis.cli("CLIENT", "KILL", "ID", cid)
        kills.append((i, ids))
        wait_until(lambda: (now := tracking_clients(c.vol.redis, b.proc.pid)) and not set(now) & set(ids),
                   10, "B to reconnect with tracking on")

    c = run_checker(fs, workdir, record_property, int(os.environ.get("TIERFS_COHERENCE_OPS", "10000")),
                    hook=hook, extra_report=lambda c: {"kills": len(kills)}, skip=["readdir"])
    assert len(kills) == c.nops // 1000


# ----------------------------------------------------------------------------------------------
# 4. targeted: how the kernel of A came to hold f's attributes, then B rewrites f


def _kill_tracking(server, mount):
    ids = tracking_clients(server, mount.proc.pid)
    assert ids, "no tracking connection at the server"
    for cid in ids:
        server.cli("CLIENT", "KILL", "ID", cid)
    wait_until(lambda: (now := tracking_clients(server, mount.proc.pid)) and not set(now) & set(ids),
               10, "the mount to reconnect with tracking on")


@pytest.mark.parametrize("how", [
    "lookup", "own-create", "own-chmod",
    "readdirplus",
    "reconnect",
])
def test_other_mounts_write_reaches_a_cached_inode(fs, workdir, how):
    """A's kernel caches f's attributes (30 s) by `how`; B rewrites f with a new size: A's stat
    shows it within D."""
    vol, a, b = _two_mounts(workdir, fs)
    try:
        if how == "own-create":
            (a / "f").write_bytes(b"x")
        else:
            (b / "f").write_bytes(b"x")
            wait_until(lambda: os.path.exists(a / "f"), 10, "A sees f")
        if how == "own-chmod":
            os.chmod(a / "f", 0o600)
        elif how == "readdirplus":
            # a fresh directory listing: the kernel takes f's entry and attributes from readdirplus
            # (two entries: one would be read with a tracked GET, two are read with MGET)
            (b / "dir").mkdir()
            (b / "dir" / "f").write_bytes(b"x")
            (b / "dir" / "g").write_bytes(b"x")
            wait_until(lambda: "f" in os.listdir(a / "dir"), 10, "A lists dir/f")
            os.listdir(a / "dir")
        elif how == "reconnect":
            os.stat(a / "f")
            _kill_tracking(vol.redis, a)
        path = "dir/f" if how == "readdirplus" else "f"
        assert os.stat(a / path).st_size == 1
        (b / path).write_bytes(b"y" * 77)
        t_done = time.monotonic()
        while (size := os.stat(a / path).st_size) != 77:
            assert time.monotonic() - t_done < D, f"A still sees size {size} {D}s after B's write ({how})"
    finally:
        b.umount()
        a.umount()


@pytest.mark.parametrize("reader", ["open-descriptor", "reopen"])
def test_other_mounts_rewrite_reaches_cached_pages(fs, workdir, reader):
    """A holds f's bytes in its page cache (caches 30 s); B rewrites them in place, same length:
    A's next read, through the descriptor it kept open or a new open, shows B's bytes within D.
    (The invalidation drops A's attributes; the kernel drops the pages when it sees the new mtime.)"""
    vol, a, b = _two_mounts(workdir, fs)
    try:
        old, new = b"o" * 65536, b"n" * 65536
        (a / "f").write_bytes(old)
        fd = os.open(a / "f", os.O_RDONLY)
        try:
            assert os.pread(fd, len(old), 0) == old  # A's page cache holds f
            with open(b / "f", "r+b") as w:
                w.write(new)
            t_done = time.monotonic()
            while True:
                if reader == "open-descriptor":
                    got = os.pread(fd, len(new), 0)
                else:
                    got = (a / "f").read_bytes()
                if got == new:
                    break
                assert got == old, "A read bytes that are neither the old nor the new file"
                assert time.monotonic() - t_done < D, f"A still reads the old bytes {D}s after B's write"
        finally:
            os.close(fd)
    finally:
        b.umount()
        a.umount()


@pytest.mark.parametrize("read", ["stat", "open"])
# own-create-then-sibling is in the soak tier: about one round in 1,600 an open through B still
# finds the name absent (undiagnosed; notes/redis-engine.md).
@pytest.mark.parametrize("how", ["lookup", pytest.param("own-create-then-sibling", marks=pytest.mark.soak)])
def test_name_replaced_by_the_other_mount_never_reads_absent(fs, workdir, read, how):
    """B's kernel holds `f` (dentry and attributes, 30 s); A renames a new file over it, which
    deletes the old inode. B's stat/open of `f` must give the old file or the new one, never
    ENOENT: the old inode can be gone at the server before B's kernel drops the dentry that
    leads to it (200 rounds: the window is short)."""
    vol, a, b = _two_mounts(workdir, fs)
    try:
        absent, stale_handles = [], []
        (a / "f").write_bytes(b"0")
        wait_until(lambda: os.path.exists(b / "f"), 10, "B sees f")
        for i in range(1, 201):
            if how == "own-create-then-sibling":
                # B's kernel takes f from B's own create; then a change of the directory (B's
                # create of a sibling) makes the server announce the directory again
                os.unlink(b / "f")
                (b / "f").write_bytes(b"b")
                (b / f"h{i}").write_bytes(b"h")
            os.stat(b / "f")  # B's kernel caches the dentry and the attributes
            (a / "g").write_bytes(str(i).encode())
            os.rename(a / "g", a / "f")
            for _ in range(20):
                try:
                    if read == "stat":
                        os.stat(b / "f")
                    else:
                        with open(b / "f", "rb") as fh:
                            try:
                                fh.read()
                            except OSError as e:
                                # The open can still reach the old inode within the
                                # invalidation delay; A's rename deleted it (another client's
                                # open does not keep an inode, as in JuiceFS), so reading it
                                # through that descriptor is a stale handle, not an absent name.
                                if e.errno != errno.ESTALE:
                                    raise
                                stale_handles.append(i)
                except FileNotFoundError:
                    absent.append(i)
                    break
        assert not absent, f"B found f absent in rounds {absent[:10]} ({len(absent)} of 200)"
        print(f"reads of the replaced inode through a descriptor opened in time: {len(stale_handles)}")
    finally:
        b.umount()
        a.umount()
