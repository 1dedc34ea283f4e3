"""Volumes, mounts and binaries for end-to-end tests and benchmarks (no pytest dependency).

The binary under test is $TIERFS_BIN (default <repo>/build/src/cli/tierfs); $JUICEFS_BIN (default
`juicefs` on PATH) is the reference. Mounts run in the foreground as our own child process (so we know
its PID); `Mount.umount()` always cleans up: `<bin> umount`, then `fusermount3 -u -z`, then it stops
the PID it started, and nothing else.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

E2E_TMP = os.environ.get("TIERFS_E2E_TMP", "/tmp")
MOUNT_DEADLINE = float(os.environ.get("TIERFS_MOUNT_DEADLINE", "60"))
CMD_TIMEOUT = float(os.environ.get("TIERFS_CMD_TIMEOUT", "120"))
VOLNAME = "e2evol"


# ----------------------------------------------------------------------------------------------
# small helpers


def terminate(proc: subprocess.Popen, grace: float = 30):
    """SIGTERM our child `proc`, SIGKILL it if it is still there after `grace` seconds; reaped."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_until(cond, timeout: float, what: str, interval: float = 0.05):
    """Poll `cond` until it returns a truthy value or `timeout` seconds pass (then fail)."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def sha256_file(path, bufsize=1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(bufsize):
            h.update(chunk)
    return h.hexdigest()


def file_fingerprint(path: Path):
    """Bytes + mtime of a file, or None if absent: used to assert that a failed command changed nothing."""
    if not path.exists():
        return None
    st = path.stat()
    return (sha256_file(path), st.st_mtime_ns, st.st_size)


def tree_fingerprint(root: Path):
    """Relative path -> (type, size, sha) for everything under root; None if root is absent."""
    if not root.exists():
        return None
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root)] = ("d",)
        for f in filenames:
            p = os.path.join(dirpath, f)
            out[os.path.relpath(p, root)] = ("f", os.path.getsize(p), sha256_file(p))
    return out


def drop_caches():
    subprocess.run(["sync"], check=True)
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def mounts_under(prefix: str) -> list[str]:
    """Mount points (from /proc/mounts) equal to or below `prefix`, deepest first."""
    res = []
    with open("/proc/mounts") as f:
        for line in f:
            mp = line.split()[1].encode().decode("unicode_escape")
            if mp == prefix or mp.startswith(prefix.rstrip("/") + "/"):
                res.append(mp)
    return sorted(res, key=len, reverse=True)


def is_mounted(path) -> bool:
    """From /proc/mounts, so a dead FUSE mount (stat fails with ENOTCONN) still counts as mounted."""
    return str(path) in mounts_under(str(path))


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# Log lines that are not the error itself: JuiceFS prints `<INFO>`/`<WARNING>`, spdlog `[info]`.
_LOG_NOISE = re.compile(r"<(INFO|DEBUG|WARNING|WARN)>|\[(info|debug|trace|warn|warning)\]", re.I)


def assert_clear_error(proc: subprocess.CompletedProcess, pattern: str):
    """Non-zero exit and exactly one error line on stderr (log chatter aside) that matches `pattern`."""
    assert proc.returncode != 0, f"expected failure, got exit 0\nstdout={proc.stdout}\nstderr={proc.stderr}"
    lines = [l for l in proc.stderr.splitlines() if l.strip() and not _LOG_NOISE.search(l)]
    assert len(lines) == 1, f"expected one error line on stderr, got {len(lines)}:\n{proc.stderr}"
    line = lines[0]
    assert len(line) < 500, f"error line too long: {line}"
    assert not re.search(r"panic|goroutine|terminate called|Traceback|Segmentation", line), line
    assert re.search(pattern, line, re.I), f"error line does not say why (/{pattern}/): {line}"
    return line


# ----------------------------------------------------------------------------------------------
# binaries


class Binary:
    """A tierfs-compatible CLI: tierfs itself or the real juicefs."""

    def __init__(self, path: str, extra_mount_flags: list[str] | None = None):
        self.path = _resolve_shim(str(path))
        self.flavor = "juicefs" if os.path.basename(self.path).startswith("juicefs") else "tierfs"
        if extra_mount_flags is None:
            # juicefs has xattrs off by default; tierfs accepts --enable-xattr and ignores it.
            extra_mount_flags = ["--enable-xattr"]
            if self.flavor == "juicefs":
                extra_mount_flags += ["--no-usage-report"]
        self.extra_mount_flags = extra_mount_flags

    def __repr__(self):
        return f"Binary({self.flavor}:{self.path})"

    def exists(self) -> bool:
        return os.path.isfile(self.path) and os.access(self.path, os.X_OK)

    def run(self, *args, timeout=CMD_TIMEOUT, check=False, **kw) -> subprocess.CompletedProcess:
        cmd = [self.path, *map(str, args)]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, **kw)
        if check and p.returncode != 0:
            raise AssertionError(f"{shlex.join(cmd)} -> exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
        return p


def _resolve_shim(path: str) -> str:
    """pyenv shims fork before exec: resolve to the real binary so PIDs we hold are the mount's own."""
    if "/shims/" in path and shutil.which("pyenv"):
        p = subprocess.run(["pyenv", "which", os.path.basename(path)], capture_output=True, text=True)
        if p.returncode == 0 and p.stdout.strip():
            return p.stdout.strip()
    return path


def tierfs_binary() -> Binary:
    path = os.environ.get("TIERFS_BIN") or str(REPO / "build/src/cli/tierfs")
    extra = os.environ.get("TIERFS_MOUNT_FLAGS")
    return Binary(path, shlex.split(extra) if extra is not None else None)


def juicefs_binary() -> Binary | None:
    path = os.environ.get("JUICEFS_BIN") or shutil.which("juicefs")
    return Binary(path) if path else None


# ----------------------------------------------------------------------------------------------
# volumes and mounts


# Signals that mean the mount process crashed (SIGILL, SIGABRT, SIGBUS, SIGFPE, SIGSEGV).
CRASH_SIGNALS = (4, 6, 7, 8, 11)


class Mount:
    """A foreground `<bin> mount` child process; `umount()` always cleans up."""

    def __init__(self, volume: "Volume", path: Path, binary: Binary, extra=()):
        self.volume, self.path, self.binary, self.extra = volume, Path(path), binary, list(extra)
        self.proc: subprocess.Popen | None = None
        self.log = volume.root / f"mount-{binary.flavor}-{int(time.time() * 1000)}.log"
        self.crash_reported = False

    def start(self) -> "Mount":
        self.path.mkdir(parents=True, exist_ok=True)
        cmd = [self.binary.path, "mount", self.volume.meta_url, str(self.path),
               "--cache-dir", str(self.volume.root / f"cache-{self.binary.flavor}"),
               *self.binary.extra_mount_flags, *self.extra]
        with open(self.log, "wb") as logf:
            self.proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        _LIVE_MOUNTS.append(self)
        try:
            wait_until(lambda: os.path.ismount(self.path) or self.proc.poll() is not None,
                       MOUNT_DEADLINE, f"mount of {self.path}")
        except AssertionError:
            self.umount()
            raise AssertionError(f"{shlex.join(cmd)} did not mount within {MOUNT_DEADLINE}s\n{self.log_tail()}")
        if not os.path.ismount(self.path):
            rc = self.proc.returncode
            self.umount()
            raise AssertionError(f"{shlex.join(cmd)} exited {rc} before mounting\n{self.log_tail()}")
        return self

    def log_tail(self, n=30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def umount(self):
        if is_mounted(self.path):
            try:
                self.binary.run("umount", self.path, timeout=60)
            except subprocess.TimeoutExpired:
                pass
        if is_mounted(self.path):
            subprocess.run(["fusermount3", "-u", "-z", str(self.path)], capture_output=True)
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                terminate(self.proc, grace=10)
        if self in _LIVE_MOUNTS:
            _LIVE_MOUNTS.remove(self)
        # A mount that died of SIGSEGV/SIGABRT/... (tests only ever SIGKILL a mount on purpose)
        # fails the test that unmounts it, even when everything it served was right.
        rc = self.proc.returncode if self.proc is not None else None
        if rc is not None and -rc in CRASH_SIGNALS and not self.crash_reported:
            self.crash_reported = True
            raise AssertionError(f"{self.binary.flavor} mount of {self.path} died of signal {-rc}\n"
                                 f"{self.log_tail()}")

    def remount(self) -> "Mount":
        self.umount()
        return self.volume.mount(self.path, binary=self.binary, extra=self.extra)

    def __truediv__(self, other) -> Path:
        return self.path / other

    def __fspath__(self):
        return str(self.path)


_LIVE_MOUNTS: list[Mount] = []


def assert_files(root: Path, files: dict):
    """Every `name: bytes` of `files` reads back identical under `root`."""
    for name, data in files.items():
        assert (Path(root) / name).read_bytes() == data, name


class RedisServer:
    """A redis-server of the test's own on a free 127.0.0.1 port, its files in `root`.

    `extra_args` go to redis-server after ours (a later `--appendonly yes` wins over our `no`);
    `password` is the server's --requirepass (and what `cli` authenticates with)."""

    def __init__(self, root: Path, extra_args=(), password: str | None = None):
        self.root = Path(root)
        self.extra_args = [str(a) for a in extra_args]
        self.password = password
        self.proc: subprocess.Popen | None = None
        self.port = 0

    def start(self) -> "RedisServer":
        """Start the server: on a free port the first time, on the same port after kill()/stop().
        Returns once it accepts connections: it runs `--supervised systemd` and sends READY=1 to a
        notify socket of ours (the sd_notify protocol) after it has loaded its data and listens."""
        import socket
        if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
            raise AssertionError("redis-server / redis-cli not installed (bash scripts/install-deps.sh)")
        self.root.mkdir(parents=True, exist_ok=True)
        if not self.port:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
        sock_path = self.root / "notify.sock"
        sock_path.unlink(missing_ok=True)
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(str(sock_path))
        auth = ["--requirepass", self.password] if self.password else []
        log = open(self.root / "redis.log", "ab")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.root), *auth, *self.extra_args,
             "--supervised", "systemd"],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "NOTIFY_SOCKET": str(sock_path)})
        log.close()
        _LIVE_REDIS.append(self)
        try:
            self._wait_ready(notify)
        finally:
            notify.close()
        return self

    def _wait_ready(self, notify, timeout: float = 20):
        import select
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # Wakes at the latest every 0.1 s to notice a server that died before notifying.
            if select.select([notify], [], [], 0.1)[0] and b"READY=1" in notify.recv(512):
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited: {(self.root / 'redis.log').read_text()[-2000:]}")
        raise AssertionError(f"redis-server on port {self.port} did not report READY=1 within {timeout:.0f}s")

    def url(self, db: int = 1) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def cli(self, *args, db: int = 1, check=True) -> str:
        """`redis-cli` against database `db`: its --raw stdout."""
        auth = ["-a", self.password, "--no-auth-warning"] if self.password else []
        p = subprocess.run(["redis-cli", "-p", str(self.port), "-n", str(db), *auth, "--raw", *map(str, args)],
                           capture_output=True, text=True, timeout=30)
        if check and (p.returncode != 0 or p.stdout.startswith(("ERR", "NOAUTH", "WRONGTYPE"))):
            raise AssertionError(f"redis-cli {args} -> {p.returncode}: {p.stdout}{p.stderr}")
        return p.stdout

    def kill(self):
        """SIGKILL: the server dies without a chance to save or to close connections cleanly."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        if self in _LIVE_REDIS:
            _LIVE_REDIS.remove(self)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(18)  # SIGCONT first: a test may have stopped it (SIGSTOP)
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self in _LIVE_REDIS:
            _LIVE_REDIS.remove(self)


_LIVE_REDIS: list[RedisServer] = []


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisCluster:
    """A real Redis Cluster of `n` masters (redis-server --cluster-enabled, joined with
    `redis-cli --cluster create`), each node a RedisServer under root/node{i}. url(db) names
    every node as a seed, the way users write a cluster URL."""

    def __init__(self, root: Path, n: int = 3):
        self.root = Path(root)
        # The bus port is given (free too): by default it is the port + 10000, which a free
        # port above 55535 cannot have.
        self.nodes = [RedisServer(self.root / f"node{i}", extra_args=[
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", "5000", "--cluster-port", str(_free_port())]) for i in range(n)]

    def start(self) -> "RedisCluster":
        for node in self.nodes:
            node.start()
        p = subprocess.run(["redis-cli", "--cluster", "create",
                            *(f"127.0.0.1:{node.port}" for node in self.nodes),
                            "--cluster-replicas", "0", "--cluster-yes"],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise AssertionError(f"redis-cli --cluster create -> {p.returncode}: {p.stdout}{p.stderr}")
        # The nodes agree on the slot map through their gossip: nothing to wait on but polling.
        wait_until(lambda: all("cluster_state:ok" in self.cli(node, "CLUSTER", "INFO") for node in self.nodes),
                   30, "every cluster node to report cluster_state:ok")
        return self

    def url(self, db: int = 1) -> str:
        return "redis://" + ",".join(f"127.0.0.1:{node.port}" for node in self.nodes) + f"/{db}"

    @staticmethod
    def cli(node: RedisServer, *args) -> str:
        return node.cli(*args, db=0)

    def owner(self, key: str) -> RedisServer:
        """The master serving `key`'s slot, from CLUSTER NODES (id, ip:port@bus, flags, ...,
        then the slot ranges a master serves)."""
        slot = int(self.cli(self.nodes[0], "CLUSTER", "KEYSLOT", key))
        by_port = {node.port: node for node in self.nodes}
        for line in self.cli(self.nodes[0], "CLUSTER", "NODES").splitlines():
            f = line.split()
            if len(f) < 9 or "master" not in f[2]:
                continue
            for r in f[8:]:
                lo, _, hi = r.partition("-")
                if lo.isdigit() and int(lo) <= slot <= int(hi or lo):
                    return by_port[int(f[1].split("@")[0].rsplit(":", 1)[1])]
        raise AssertionError(f"no master serves slot {slot}")

    @staticmethod
    def keys(node: RedisServer) -> list[str]:
        return sorted(node.cli("KEYS", "*", db=0).split())

    def migrate(self, key: str, to: RedisServer):
        """Moves the slot of `key`, with its keys, to master `to` (the steps of the cluster
        specification, "Live resharding": IMPORTING, MIGRATING, MIGRATE, SETSLOT NODE)."""
        src = self.owner(key)
        slot = self.cli(src, "CLUSTER", "KEYSLOT", key).strip()
        src_id, dst_id = self.cli(src, "CLUSTER", "MYID").strip(), self.cli(to, "CLUSTER", "MYID").strip()
        self.cli(to, "CLUSTER", "SETSLOT", slot, "IMPORTING", src_id)
        self.cli(src, "CLUSTER", "SETSLOT", slot, "MIGRATING", dst_id)
        while keys := self.cli(src, "CLUSTER", "GETKEYSINSLOT", slot, "1000").split():
            self.cli(src, "MIGRATE", "127.0.0.1", to.port, "", 0, 10000, "KEYS", *keys)
        for node in self.nodes:
            self.cli(node, "CLUSTER", "SETSLOT", slot, "NODE", dst_id)

    def stop(self):
        for node in self.nodes:
            node.stop()


def stop_redis_under(d: Path):
    for r in [r for r in _LIVE_REDIS if d == r.root or d in r.root.parents]:
        r.stop()


def e2e_meta() -> str:
    """The metadata engine the e2e volumes use: TIERFS_E2E_META=sqlite3 (default) or redis."""
    return os.environ.get("TIERFS_E2E_META", "sqlite3")


class Volume:
    """A volume rooted at `root` (bucket/ inside): sqlite3 (meta.db inside) by default, or on a
    redis-server of its own (TIERFS_E2E_META=redis, or meta="redis"), or in DB 1 of `redis`."""

    def __init__(self, root: Path, binary: Binary, name: str = VOLNAME, meta: str | None = None,
                 redis: RedisServer | None = None, minio=None, bucket_name: str = "tierfs-e2e"):
        self.root, self.binary, self.name = Path(root), binary, name
        self.minio, self.bucket_name = minio, bucket_name  # minio: tests/e2e/minio.py MinioServer
        self.db = self.root / "meta.db"
        self.redis: RedisServer | None = redis
        if redis is not None:
            self.meta_url = redis.url(1)
        elif (meta or e2e_meta()) == "redis":
            self.redis = RedisServer(self.root / "redis").start()
            self.meta_url = self.redis.url(1)
        else:
            self.meta_url = f"sqlite3://{self.db}"
        self.bucket = self.root / "bucket"
        self.trash_days = 0

    @property
    def chunks_dir(self) -> Path:
        return self.bucket / self.name / "chunks"

    def chunk_objects(self) -> list:
        """The volume's block objects: paths in the local bucket, or keys in the MinIO bucket."""
        if self.minio is not None:
            return self.minio.keys(self.bucket_name, f"{self.name}/chunks/")
        if not self.chunks_dir.exists():
            return []
        return [Path(d) / f for d, _, fs in os.walk(self.chunks_dir) for f in fs]

    def storage_args(self) -> list[str]:
        """`format`'s storage flags: the local directory, the MinIO bucket, or a bucket of another
        object-store server that says its flags (cloud_servers.py)."""
        if self.minio is None:
            return ["--storage", "file", "--bucket", f"{self.bucket}/"]
        if hasattr(self.minio, "storage_args"):
            return self.minio.storage_args(self.bucket_name)
        from minio_server import USER, PASSWORD
        return ["--storage", "minio", "--bucket", self.minio.bucket_url(self.bucket_name),
                "--access-key", USER, "--secret-key", PASSWORD]

    def format(self, *extra, binary: Binary | None = None, trash_days=0) -> "Volume":
        b = binary or self.binary
        b.run("format", self.meta_url, self.name, *self.storage_args(),
              "--trash-days", trash_days, *extra, check=True)
        self.trash_days = trash_days
        return self

    def mount(self, path: Path, binary: Binary | None = None, extra=()) -> Mount:
        return Mount(self, path, binary or self.binary, extra).start()

    def status(self, binary: Binary | None = None) -> dict:
        p = (binary or self.binary).run("status", self.meta_url, check=True)
        return json.loads(p.stdout)
