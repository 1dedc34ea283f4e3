"""The Redis metadata engine against real redis-server processes (each test starts its own on a
free port): interop with the real JuiceFS, two mounts of one volume (locks, a killed client's
session), server faults (restart, death, a hung server) and bad input.

The interop tests fail (not skip) when juicefs is missing and TIERFS_REQUIRE_JUICEFS=1.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from harness import RedisServer, Volume, assert_clear_error, assert_files, is_mounted, wait_until
from test_interop import _HOLDER, _kill_tree, write_read_modify
from test_posix import _probe, read_file as _read, write_file as _write

MiB = 1 << 20



def _redis_volume(workdir, binary, *server_args, password=None) -> Volume:
    server = RedisServer(workdir / "redis", extra_args=server_args, password=password).start()
    return Volume(workdir, binary, redis=server)


def _db_fingerprint(server: RedisServer, db: int = 1):
    """Every key of `db` with a hash of its serialised value, and the key counts of all DBs."""
    script = ("local r = {} for _, k in ipairs(redis.call('KEYS', '*')) do "
              "r[#r + 1] = k .. '=' .. redis.sha1hex(redis.call('DUMP', k)) end return r")
    keys = sorted(server.cli("EVAL", script, 0, db=db).split())
    keyspace = [l for l in server.cli("INFO", "keyspace").splitlines() if l.startswith("db")]
    return keys, keyspace


def _sessions(server: RedisServer) -> list[int]:
    return [int(s) for s in server.cli("ZRANGE", "allSessions", 0, -1).split()]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------------------------------------
# 1. interop with the real JuiceFS


@pytest.mark.parametrize("formatter,other", [("juicefs", "tierfs"), ("tierfs", "juicefs")])
def test_volume_formatted_by_one_is_mounted_by_the_other(fs, jfs, workdir, formatter, other):
    """The formatter's volume: the other one writes the corpus, the formatter reads it
    byte-identical and modifies it, the other one reads the modifications."""
    bins = {"tierfs": fs, "juicefs": jfs}
    vol = _redis_volume(workdir, fs).format(binary=bins[formatter])
    write_read_modify(vol, workdir / "mnt", bins[other], bins[formatter])
    p = jfs.run("fsck", vol.meta_url, "--path", "/", "--recursive")
    assert p.returncode == 0, p.stdout + p.stderr


def test_tierfs_and_juicefs_mounted_at_once(fs, jfs, workdir):
    """Both mounted on one Redis volume, taking turns: after the writer's close, the reader's
    open sees the new file, a same-length rewrite, an append, a rename, an unlink; at the end
    `juicefs fsck` is clean and `juicefs dump` lists the tree."""
    vol = _redis_volume(workdir, fs).format()
    t = vol.mount(workdir / "t")
    j = vol.mount(workdir / "j", binary=jfs)
    rng = random.Random(5)
    expect = {}  # name -> bytes, as both must see it
    try:
        os.mkdir(t / "shared")
        _write(t / "shared" / "rewritten", rng.randbytes(300_000))
        _write(t / "shared" / "log", b"")
        for i in range(16):
            writer, reader = (t, j) if i % 2 == 0 else (j, t)
            name = f"shared/f{i}"
            data = rng.randbytes(rng.choice([0, 1, 4095, 70_000, 4 * MiB + 17]))
            _write(writer / name, data)
            expect[name] = data
            assert _read(reader / name) == data, f"{reader.binary.flavor} reads {name} written by the other"
            new = rng.randbytes(300_000)  # a rewrite in place: the length does not change
            with open(writer / "shared" / "rewritten", "r+b") as f:
                f.write(new)
            assert _read(reader / "shared" / "rewritten") == new
            expect["shared/rewritten"] = new
            line = f"line {i} by {writer.binary.flavor}\n".encode()
            with open(writer / "shared" / "log", "ab") as f:
                f.write(line)
            expect["shared/log"] = expect.get("shared/log", b"") + line
            assert _read(reader / "shared" / "log") == expect["shared/log"]
            if i % 4 == 3:  # the other mount renames one file and removes another
                os.rename(reader / f"shared/f{i}", reader / f"shared/moved{i}")
                expect[f"shared/moved{i}"] = expect.pop(f"shared/f{i}")
                os.unlink(reader / f"shared/f{i - 1}")
                del expect[f"shared/f{i - 1}"]
                assert _read(writer / f"shared/moved{i}") == expect[f"shared/moved{i}"]
                assert not os.path.exists(writer / f"shared/f{i - 1}")
        for m in (t, j):
            assert sorted(os.listdir(m / "shared")) == sorted(n.split("/")[1] for n in expect)
            for name, data in expect.items():
                assert _read(m / name) == data, f"{m.binary.flavor}: {name}"
    finally:
        j.umount()
        t.umount()
    p = jfs.run("fsck", vol.meta_url, "--path", "/", "--recursive")
    assert p.returncode == 0, p.stdout + p.stderr
    out = workdir / "dump.json"
    jfs.run("dump", vol.meta_url, out, check=True)
    dump = json.loads(out.read_text())
    assert dump["Setting"]["Name"] == vol.name
    entries = dump["FSTree"]["entries"]["shared"]["entries"]
    assert sorted(entries) == sorted(n.split("/")[1] for n in expect)
    for name, data in expect.items():
        assert entries[name.split("/")[1]]["attr"]["length"] == len(data), name


# ----------------------------------------------------------------------------------------------
# 2. two tierfs mounts of one volume


def _lock(fd, kind):
    if kind == "flock":
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    else:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 0, 0)


def _unlock(fd, kind):
    if kind == "flock":
        fcntl.flock(fd, fcntl.LOCK_UN)
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN, 0, 0)


@pytest.mark.parametrize("kind", ["flock", "posix"])
def test_locks_conflict_between_mounts(fs, workdir, kind):
    vol = _redis_volume(workdir, fs).format()
    a = vol.mount(workdir / "a")
    b = vol.mount(workdir / "b")
    probe = "flock" if kind == "flock" else "posix:0:0"
    try:
        _write(a / "lock", b"x")
        for holder, other in ((a, b), (b, a)):
            with open(holder / "lock", "r+b") as f:
                _lock(f, kind)
                assert _probe(probe, other / "lock") == errno.EAGAIN, f"lock via {holder.path} not seen via {other.path}"
                if kind == "posix":  # a range lock conflicts only where the ranges meet
                    fcntl.lockf(f, fcntl.LOCK_UN, 100, 0)  # [0, 100) free, [100, EOF) still held
                    assert _probe("posix:0:100", other / "lock") == 0
                    assert _probe("posix:50:100", other / "lock") == errno.EAGAIN
                _unlock(f, kind)
                assert _probe(probe, other / "lock") == 0
            # closing the file releases the lock as well
            with open(holder / "lock", "r+b") as f:
                _lock(f, kind)
                assert _probe(probe, other / "lock") == errno.EAGAIN
            assert _probe(probe, other / "lock") == 0
    finally:
        b.umount()
        a.umount()


# test_interop's holder of an open-unlinked file, also holding a flock (argv[3]) and a POSIX lock (argv[4]).
_LOCK_HOLDER = _HOLDER.replace("import os, sys", "import fcntl, os, sys").replace('print("held", flush=True)', """
fcntl.flock(os.open(sys.argv[3], os.O_RDWR), fcntl.LOCK_EX)
fcntl.lockf(os.open(sys.argv[4], os.O_RDWR), fcntl.LOCK_EX, 0, 0)
print("held", flush=True)""")


def test_killed_mount_is_cleaned_up_by_the_live_mount(fs, workdir):
    """Mount A (heartbeat 1 s) is killed with kill -9 holding a flock, a POSIX lock and an
    open-unlinked file; once A's session expires (5 heartbeats), live mount B cleans it: the
    locks are released, the sustained file is deleted (its objects gone), A's keys are gone."""
    vol = _redis_volume(workdir, fs).format()
    r = vol.redis
    a = vol.mount(workdir / "a", extra=["--heartbeat", "1"])
    (sid_a,) = _sessions(r)
    b = vol.mount(workdir / "b", extra=["--heartbeat", "1"])
    holder = None
    try:
        _write(b / "flocked", b"")
        _write(b / "plocked", b"")
        holder = subprocess.Popen([sys.executable, "-c", _LOCK_HOLDER, str(a / "held"), "8",
                                   str(a / "flocked"), str(a / "plocked")],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "held"
        assert r.cli("SMEMBERS", f"session{sid_a}").split(), "A's open-unlinked file is not sustained"
        assert len(r.cli("SMEMBERS", f"locked{sid_a}").split()) == 2
        assert vol.chunk_objects()
        assert _probe("flock", b / "flocked") == errno.EAGAIN
        assert _probe("posix:0:0", b / "plocked") == errno.EAGAIN
        _kill_tree(a.proc)
    finally:
        if holder is not None:
            holder.kill()
            holder.wait()
    a.umount()  # detaches the dead FUSE mount
    assert sid_a in _sessions(r)
    try:
        wait_until(lambda: sid_a not in _sessions(r), 60, f"B to clean A's stale session {sid_a}")
        assert _probe("flock", b / "flocked") == 0
        assert _probe("posix:0:0", b / "plocked") == 0
        assert r.cli("EXISTS", f"session{sid_a}", f"locked{sid_a}").strip() == "0"
        assert sid_a not in [int(x) for x in r.cli("HKEYS", "sessionInfos").split()]
        wait_until(lambda: not vol.chunk_objects(), 60, "the sustained file's objects to be deleted")
        wait_until(lambda: r.cli("ZCARD", "delfiles").strip() == "0", 30, "delfiles to empty")
        assert sorted(n for n in os.listdir(b.path) if not n.startswith(".")) == ["flocked", "plocked"]
    finally:
        b.umount()


# ----------------------------------------------------------------------------------------------
# 3. faults


@pytest.mark.full
def test_redis_restart_mid_workload(fs, workdir):
    """redis-server (AOF, fsync always) killed with kill -9 and restarted on the same port while a
    writer creates files: operations resume, and every file whose close returned is intact (then,
    and after a remount)."""
    vol = _redis_volume(workdir, fs, "--appendonly", "yes", "--appendfsync", "always").format()
    m = vol.mount(workdir / "mnt")
    stop = threading.Event()
    closed: list[tuple[str, str]] = []  # (name, sha256) once its close returned
    failed: list[tuple[str, int]] = []

    def writer():
        rng = random.Random(9)
        i = 0
        while not stop.is_set():
            d = f"d{i // 20}"
            name = f"{d}/f{i}"
            data = rng.randbytes(rng.choice([0, 100, 8000, 200_000, 1_100_000]))
            try:
                os.makedirs(m / d, exist_ok=True)
                _write(m / name, data)
                closed.append((name, hashlib.sha256(data).hexdigest()))
            except OSError as e:
                failed.append((name, e.errno))
            i += 1

    th = threading.Thread(target=writer, daemon=True)
    th.start()
    try:
        wait_until(lambda: len(closed) >= 40, 60, "the writer's first 40 files")
        before = list(closed)
        vol.redis.kill()
        vol.redis.start()  # same port, same AOF
        n = len(closed)
        wait_until(lambda: len(closed) >= n + 40 or not th.is_alive(), 120,
                   f"the writer to resume after the restart (failures: {failed[-5:]})")
    finally:
        stop.set()
        th.join(timeout=120)
    assert not th.is_alive(), "the writer hangs"
    assert len(closed) >= n + 40
    for name, sha in before:
        assert hashlib.sha256(_read(m / name)).hexdigest() == sha, f"{name}, closed before the kill"
    m = m.remount()
    try:
        for name, sha in closed:
            assert hashlib.sha256(_read(m / name)).hexdigest() == sha, name
    finally:
        m.umount()


_STAT = "import os, sys\ntry:\n    os.stat(sys.argv[1])\nexcept OSError as e:\n    sys.exit(e.errno)\n"


@pytest.mark.parametrize("how", ["killed", "stopped"])
def test_dead_server_fails_stat_with_eio_in_time(fs, workdir, how):
    """With read-timeout=2s&max-retries=1 a stat through the mount fails with EIO in bounded time,
    whether the server is gone (connections refused) or hung (SIGSTOP: nothing answers)."""
    vol = _redis_volume(workdir, fs).format()
    # Client cache off: with it, a hung server's still-open connection lets cached attrs answer.
    vol.meta_url += "?read-timeout=2s&dial-timeout=2s&max-retries=1&client-cache=false"
    m = vol.mount(workdir / "mnt", extra=["--attr-cache", "0", "--entry-cache", "0", "--dir-entry-cache", "0"])
    try:
        _write(m / "f", b"data")
        assert subprocess.run([sys.executable, "-c", _STAT, str(m / "f")], timeout=30).returncode == 0
        if how == "killed":
            vol.redis.kill()
        else:
            os.kill(vol.redis.proc.pid, signal.SIGSTOP)
        t0 = time.monotonic()
        try:
            rc = subprocess.run([sys.executable, "-c", _STAT, str(m / "f")], timeout=60).returncode
        except subprocess.TimeoutExpired:
            pytest.fail("stat through the mount hangs on a dead redis-server")
        took = time.monotonic() - t0
        assert rc == errno.EIO, f"stat failed with {errno.errorcode.get(rc, rc)}, not EIO"
        assert took < 20, f"stat took {took:.1f}s with read-timeout=2s, max-retries=1"
    finally:
        if how == "stopped":
            os.kill(vol.redis.proc.pid, signal.SIGCONT)
        m.umount()
    assert not is_mounted(m.path)


# ----------------------------------------------------------------------------------------------
# 4. bad input: one error line, non-zero exit, nothing changed


def _commands(url, workdir):
    mp = workdir / "mnt"
    mp.mkdir(exist_ok=True)
    return {"format": ["format", url, "vol", "--storage", "file", "--bucket", f"{workdir}/bucket/"],
            "mount": ["mount", url, mp, "-d", "--log", workdir / "mount.log"],
            "status": ["status", url]}


@pytest.mark.parametrize("cmd", ["format", "mount", "status"])
@pytest.mark.parametrize("case,pattern", [
    ("bad-port", r"port.*notaport"),
    ("bad-db", r"database.*nodb"),
    ("closed-port", r"connect|refused"),
    ("wrong-password", r"WRONGPASS|password|login|auth"),
    ("password-needed", r"NOAUTH|password|login|auth"),
])
def test_bad_redis_url(fs, workdir, cmd, case, pattern):
    server = RedisServer(workdir / "redis", password="right-pw-31").start()
    port = _closed_port() if case == "closed-port" else server.port
    url = {"bad-port": "redis://127.0.0.1:notaport/1",
           "bad-db": f"redis://:right-pw-31@127.0.0.1:{port}/nodb",
           "wrong-password": f"redis://:Wr0ng-pw-77@127.0.0.1:{port}/1",
           }.get(case, f"redis://127.0.0.1:{port}/1")
    before = _db_fingerprint(server)
    t0 = time.monotonic()
    line = assert_clear_error(fs.run(*_commands(url, workdir)[cmd], timeout=60), pattern)
    assert time.monotonic() - t0 < 30
    assert "Wr0ng-pw-77" not in line and "right-pw-31" not in line
    assert _db_fingerprint(server) == before
    assert not (workdir / "bucket").exists()
    assert not is_mounted(workdir / "mnt")


def test_format_refuses_a_db_with_other_keys(fs, workdir):
    vol = _redis_volume(workdir, fs)
    r = vol.redis
    r.cli("SET", "app:counter", 41)
    r.cli("HSET", "app:user:1", "name", "ada", "lang", "c")
    r.cli("RPUSH", "app:queue", "a", "b", "c")
    before = _db_fingerprint(r)
    fmt = ["format", vol.meta_url, vol.name, "--storage", "file", "--bucket", f"{vol.bucket}/"]
    assert_clear_error(fs.run(*fmt), r"keys|not empty|--force")
    assert _db_fingerprint(r) == before
    assert r.cli("GET", "app:counter").strip() == "41"
    bucket_made = vol.bucket.exists()
    # DB 2 of the same server is empty: formatting there works and leaves DB 1 alone
    fs.run(fmt[0], r.url(2), *fmt[2:5], "--bucket", f"{workdir}/bucket2/", check=True)
    assert _db_fingerprint(r)[0] == before[0]
    # --force (which the error suggests) formats DB 1 anyway, as juicefs does without it
    fs.run(*fmt[:5], "--bucket", f"{workdir}/bucket3/", "--force", check=True)
    assert vol.status()["Setting"]["Name"] == vol.name
    assert r.cli("GET", "app:counter").strip() == "41"
    assert not bucket_made, "the refused format touched the bucket"


def test_evicting_server_gets_a_warning(fs, workdir):
    """maxmemory-policy allkeys-lru: format and mount work and warn about noeviction (as JuiceFS,
    they set the policy to noeviction)."""
    vol = _redis_volume(workdir, fs, "--maxmemory-policy", "allkeys-lru")
    p = fs.run("format", vol.meta_url, vol.name, "--storage", "file", "--bucket", f"{vol.bucket}/", check=True)
    assert "noeviction" in p.stderr + p.stdout, p.stderr
    assert vol.redis.cli("CONFIG", "GET", "maxmemory-policy").split()[1] == "noeviction"
    vol.redis.cli("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    m = vol.mount(workdir / "mnt")
    try:
        _write(m / "f", b"still works")
        assert _read(m / "f") == b"still works"
        assert "noeviction" in m.log.read_text()
    finally:
        m.umount()


@pytest.mark.parametrize("how", ["url", "env"])
def test_password_is_never_printed(fs, workdir, monkeypatch, how):
    pw = "Secr3t-Pw-8642"
    server = RedisServer(workdir / "redis", password=pw).start()
    vol = Volume(workdir, fs, redis=server)
    if how == "url":
        vol.meta_url = f"redis://:{pw}@127.0.0.1:{server.port}/1"
    else:
        monkeypatch.setenv("REDIS_PASSWORD", pw)
    out = [fs.run("format", vol.meta_url, vol.name, "--storage", "file", "--bucket", f"{vol.bucket}/", check=True)]
    m = vol.mount(workdir / "mnt")
    try:
        _write(m / "f", b"x")
        out.append(fs.run("status", vol.meta_url, check=True))
        assert len(json.loads(out[-1].stdout)["Sessions"]) == 1
        config = (m / ".config").read_text()
    finally:
        m.umount()
    bg = workdir / "mnt-bg"
    bg.mkdir()
    out.append(fs.run("mount", vol.meta_url, bg, "-d", "--log", workdir / "bg.log", check=True))
    try:
        assert is_mounted(bg)
    finally:
        fs.run("umount", bg, check=True)
    # errors that name the URL: a missing mount point, a second format
    out.append(fs.run("mount", vol.meta_url, workdir / "nodir", "-d"))
    out.append(fs.run("format", vol.meta_url, vol.name, "--storage", "file", "--bucket", f"{vol.bucket}/"))
    assert out[-1].returncode != 0 and out[-2].returncode != 0
    texts = {"mount log": m.log.read_text(), "background log": (workdir / "bg.log").read_text(), ".config": config,
             "sessionInfos": server.cli("HGETALL", "sessionInfos"), "setting": server.cli("GET", "setting")}
    for i, p in enumerate(out):
        texts[f"{p.args[1]} #{i} stdout"], texts[f"{p.args[1]} #{i} stderr"] = p.stdout, p.stderr
    leaked = [k for k, v in texts.items() if pw in v]
    assert not leaked, f"the password shows in {leaked}"


# ----------------------------------------------------------------------------------------------
# 5. metrics of the client-side cache


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_client_cache_metrics_count_hits_and_invalidations(fs, workdir):
    """/metrics shows the Redis client's cache: repeated stats (kernel caches off) are hits, and a
    change by another mount is an invalidation."""
    import urllib.request
    vol = _redis_volume(workdir, fs).format()
    port = _free_port()
    nocache = ["--attr-cache", "0", "--entry-cache", "0", "--dir-entry-cache", "0"]
    a = vol.mount(workdir / "a", extra=nocache + ["--metrics", f"127.0.0.1:{port}"])
    b = vol.mount(workdir / "b", extra=nocache + ["--metrics", f"127.0.0.1:{_free_port()}"])
    try:
        def metric(name):
            text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
            vals = [float(l.split()[-1]) for l in text.splitlines() if l.startswith(name + "{")]
            assert vals, f"{name} missing from /metrics"
            return vals[0]
        _write(b / "f", b"one")
        os.stat(a / "f")
        hits0, inval0 = metric("tierfs_redis_cache_hits"), metric("tierfs_redis_cache_invalidations")
        for _ in range(20):
            os.stat(a / "f")
        assert metric("tierfs_redis_cache_hits") >= hits0 + 20
        _write(b / "f", b"two, longer")
        wait_until(lambda: os.stat(a / "f").st_size == 11, 10, "mount a sees b's write")
        assert metric("tierfs_redis_cache_invalidations") > inval0
        assert metric("tierfs_redis_commands") > 0
    finally:
        a.umount()
        b.umount()


# ----------------------------------------------------------------------------------------------
# 6. Sentinel failover


def _start_sentinel(root: Path, master_port: int) -> tuple[subprocess.Popen, int]:
    root.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    conf = root / "sentinel.conf"
    conf.write_text(f"sentinel monitor mymaster 127.0.0.1 {master_port} 1\n"
                    "sentinel down-after-milliseconds mymaster 1000\n"
                    "sentinel failover-timeout mymaster 10000\n")
    log = open(root / "sentinel.log", "ab")
    p = subprocess.Popen(["redis-server", str(conf), "--sentinel", "--port", str(port), "--bind", "127.0.0.1",
                          "--dir", str(root)], stdout=log, stderr=subprocess.STDOUT)

    def master_known():
        r = subprocess.run(["redis-cli", "-p", str(port), "SENTINEL", "get-master-addr-by-name", "mymaster"],
                           capture_output=True, text=True)
        return r.returncode == 0 and str(master_port) in r.stdout
    wait_until(master_known, 20, "the sentinel knows the master")
    return p, port


@pytest.mark.full
def test_sentinel_failover_mid_workload(fs, workdir):
    """A volume reached through a sentinel: the master dies mid-workload, the sentinel promotes
    the replica, and the mount carries on against the new master; every file closed before the
    kill (and replicated: WAIT) or after the failover is intact."""
    from pathlib import Path
    aof = ["--appendonly", "yes", "--appendfsync", "always"]
    master = RedisServer(workdir / "master", extra_args=aof).start()
    replica = RedisServer(workdir / "replica", extra_args=[*aof, "--replicaof", "127.0.0.1", master.port]).start()
    wait_until(lambda: "master_link_status:up" in replica.cli("INFO", "replication"), 30, "replica in sync")
    sentinel, sport = _start_sentinel(Path(workdir) / "sentinel", master.port)
    try:
        vol = Volume(workdir, fs, redis=master)
        vol.meta_url = f"redis://mymaster,127.0.0.1:{sport}/1?max-retry-backoff=300ms&read-timeout=3s"
        vol.format()
        m = vol.mount(workdir / "mnt", extra=["--attr-cache", "0", "--entry-cache", "0"])
        written = {}

        def put(i):
            data = hashlib.sha256(str(i).encode()).digest() * (1 + i % 50)
            _write(m / f"f{i}", data)
            written[i] = data

        for i in range(50):
            put(i)
        assert master.cli("WAIT", 1, 10000).strip() == "1", "the replica did not acknowledge the writes"
        master.kill()
        # The mount may fail calls while the sentinel fails over; then it must work again.
        deadline = time.monotonic() + 60
        i = 50
        while i < 100:
            try:
                put(i)
                i += 1
            except OSError as e:
                assert e.errno in (errno.EIO, errno.ENOENT), e
                assert time.monotonic() < deadline, "no write succeeded within 60 s of the master's death"
        for i, data in written.items():
            assert _read(m / f"f{i}") == data, f"f{i} differs after the failover"
        m.umount()
        m2 = vol.mount(workdir / "mnt2")
        for i, data in written.items():
            assert _read(m2 / f"f{i}") == data, f"f{i} differs after a remount"
        m2.umount()
    finally:
        sentinel.terminate()
        sentinel.wait(timeout=30)
        replica.stop()
        master.stop()


def test_server_without_resp3_runs_with_the_cache_off(fs, workdir):
    """A server that does not know HELLO (Redis < 6; here HELLO is renamed away): no RESP3, so no
    client-side cache; format and mount work and say so once, and two mounts still see each
    other's writes through the kernel's (here disabled) caches."""
    vol = _redis_volume(workdir, fs, "--rename-command", "HELLO", "")
    assert "unknown command" in vol.redis.cli("HELLO", "3", check=False).lower()
    vol.format()
    nocache = ["--attr-cache", "0", "--entry-cache", "0", "--dir-entry-cache", "0"]
    a = vol.mount(workdir / "a", extra=nocache)
    try:
        b = vol.mount(workdir / "b", extra=nocache)
        try:
            _write(a / "f", b"one")
            assert _read(b / "f") == b"one"
            _write(b / "f", b"second")
            assert _read(a / "f") == b"second"
            for m in (a, b):
                assert "does not speak RESP3: client-side cache off" in m.log.read_text()
                stats = (m / ".stats").read_text()
                hits = [l for l in stats.splitlines() if l.startswith("tierfs_redis_cache_hits")]
                assert hits and all(float(l.split()[-1]) == 0 for l in hits), hits
        finally:
            b.umount()
    finally:
        a.umount()


def test_unmount_after_many_creates_exits_cleanly(fs, workdir):
    """An unmount closes the Redis connections, which flushes the client cache and would announce
    every cached inode to the kernel layer after it is gone (the mount died of SIGSEGV at exit
    about one time in two): the mount must exit 0, five times in a row."""
    vol = _redis_volume(workdir, fs).format()
    for r in range(5):
        m = vol.mount(workdir / "mnt")
        try:
            (m / f"d{r}").mkdir()
            for i in range(1000):
                _write(m / f"d{r}" / f"f{i}", b"x" * 100)
        finally:
            m.umount()
        assert m.proc.returncode == 0, f"round {r}: the mount exited {m.proc.returncode}\n{m.log_tail()}"


# ----------------------------------------------------------------------------------------------
# Redis Cluster: real cluster nodes; every key of a volume carries the hash tag "{DB}", so the
# volume lives in one slot and the client talks to that slot's master.

@pytest.fixture
def cluster(workdir):
    from harness import RedisCluster
    c = RedisCluster(workdir / "cluster").start()
    yield c
    c.stop()


@pytest.mark.parametrize("url", ["seeds", "one-other-node"])
def test_volume_on_redis_cluster(fs, workdir, cluster, url):
    """Format and mount on a real 3-master cluster, through a URL that lists every node, or that
    names one node which does not serve the volume's slot (the cluster is detected and the
    slot's master found): files written read back after a remount, every key of the volume is
    on the slot's master with the "{1}" prefix (JuiceFS's layout), no other node holds a key."""
    owner = cluster.owner("{1}")
    other = next(n for n in cluster.nodes if n is not owner)
    vol = Volume(workdir, fs, redis=cluster)
    if url == "one-other-node":
        vol.meta_url = f"redis://127.0.0.1:{other.port}/1"
    vol.format()
    files = {f"d/f{i}": os.urandom(1000 * i + 1) for i in range(20)}
    m = vol.mount(workdir / "mnt")
    try:
        (m.path / "d").mkdir()
        for name, data in files.items():
            (m.path / name).write_bytes(data)
        os.symlink("d/f1", m.path / "link")
        os.rename(m.path / "d" / "f2", m.path / "d" / "moved")
        files["d/moved"] = files.pop("d/f2")
    finally:
        m.umount()
    m = vol.mount(workdir / "mnt")
    try:
        assert_files(m.path, files)
        assert os.readlink(m.path / "link") == "d/f1"
        assert sorted(os.listdir(m.path / "d")) == sorted(n[2:] for n in files)
    finally:
        m.umount()
    keys = cluster.keys(owner)
    assert "{1}setting" in keys and "{1}i1" in keys and "{1}d1" in keys, keys[:20]
    assert all(k.startswith("{1}") for k in keys), [k for k in keys if not k.startswith("{1}")]
    for n in cluster.nodes:
        if n is not owner:
            assert cluster.keys(n) == [], f"node {n.port} holds keys"


def test_juicefs_and_tierfs_share_a_volume_on_redis_cluster(fs, jfs, workdir, cluster):
    """Formatted by JuiceFS on the cluster URL: JuiceFS writes, tierfs reads identical and
    modifies, JuiceFS reads the modifications; `juicefs fsck` clean."""
    vol = Volume(workdir, fs, redis=cluster)
    vol.format(binary=jfs)
    write_read_modify(vol, workdir / "mnt", jfs, fs)
    p = jfs.run("fsck", vol.meta_url, "--path", "/", "--recursive")
    assert p.returncode == 0, p.stdout + p.stderr


def test_slot_moved_to_another_master_while_mounted(fs, workdir, cluster):
    """The volume's slot migrates to another master (live resharding) while the mount holds
    connections to the old one: the next operations get MOVED, the client asks the cluster
    again and goes on at the new master; nothing written before is lost."""
    vol = Volume(workdir, fs, redis=cluster).format()
    m = vol.mount(workdir / "mnt")
    try:
        before = {f"a{i}": os.urandom(3000 + i) for i in range(10)}
        for name, data in before.items():
            (m.path / name).write_bytes(data)
        old = cluster.owner("{1}")
        new = next(n for n in cluster.nodes if n is not old)
        cluster.migrate("{1}", new)
        assert cluster.owner("{1}") is new and cluster.keys(old) == []
        after = {f"b{i}": os.urandom(5000 + i) for i in range(10)}
        for name, data in after.items():
            (m.path / name).write_bytes(data)
        os.unlink(m.path / "a0")
        del before["a0"]
        for name, data in (before | after).items():
            assert (m.path / name).read_bytes() == data, name
        assert sorted(n for n in os.listdir(m.path) if not n.startswith(".")) == sorted(before | after)
        assert "the cluster moved the slot" in m.log.read_text(), "no MOVED reached the client"
    finally:
        m.umount()
    assert "{1}setting" in cluster.keys(new)
