"""Volumes on a real MinIO (issue 7): tierfs and JuiceFS on one bucket, the objects a third-party
client (rclone) sees, bad buckets and credentials, and MinIO going away under a mount."""
from __future__ import annotations

import hashlib
import os
import subprocess
import threading
import time

import pytest

from harness import Volume, assert_clear_error, wait_until
from minio_server import PASSWORD, USER, MinioServer

MiB = 1 << 20


@pytest.fixture
def minio(workdir):
    return MinioServer(workdir / "minio").start()


def _data(n: int, seed: int) -> bytes:
    out, block = bytearray(), hashlib.sha256(str(seed).encode()).digest()
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out += block * 64
    return bytes(out[:n])


def _write(p, data: bytes):
    p.write_bytes(data)


def _read(p) -> bytes:
    return p.read_bytes()


def _through(vol, path, fn, binary=None):
    """fn(mount) on a fresh mount of `vol` at `path`, unmounted afterwards."""
    m = vol.mount(path, binary=binary)
    try:
        fn(m)
    finally:
        m.umount()


def _write_all(files):
    return lambda m: [_write(m / name, data) for name, data in files.items()]


def _check_all(files):
    def check(m):
        for name, data in files.items():
            assert _read(m / name) == data, name
    return check


def _keygen(workdir):
    key = workdir / "key.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    return key


def test_volume_on_minio_objects_are_where_juicefs_puts_them(fs, jfs, minio, workdir):
    """Format on MinIO, write small files and a 40 MiB one through the mount, read them back after
    a remount; rclone lists the block objects at chunks/{id/1000/1000}/{id/1000}/{id}_{indx}_{size}
    and the bytes of a one-block file are its content; `juicefs fsck` is clean."""
    vol = Volume(workdir, fs, minio=minio).format()
    files = {f"s{i}": _data(1000 + 997 * i, i) for i in range(20)}
    files["big"] = _data(40 * MiB, 99)
    _through(vol, workdir / "mnt", _write_all(files))
    _through(vol, workdir / "mnt", _check_all(files))
    keys = minio.keys(vol.bucket_name, f"{vol.name}/")
    assert f"{vol.name}/juicefs_uuid" in keys
    blocks = [k for k in keys if k.startswith(f"{vol.name}/chunks/")]
    import re
    pat = re.compile(rf"{vol.name}/chunks/(\d+)/(\d+)/(\d+)_(\d+)_(\d+)$")
    for k in blocks:
        g = pat.match(k)
        assert g, k
        sid = int(g[3])
        assert int(g[1]) == sid // 1000 // 1000 and int(g[2]) == sid // 1000, k
    # 40 MiB = 10 blocks of 4 MiB in one slice; each small file is one block of its own size
    assert sum(1 for k in blocks if k.endswith(f"_{4 * MiB}")) >= 10
    small = files["s3"]
    match = [k for k in blocks if k.endswith(f"_0_{len(small)}")]
    assert match and small in [minio.cat(vol.bucket_name, k) for k in match]
    p = jfs.run("fsck", vol.meta_url, "--path", "/", "--recursive")
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.mark.parametrize("codec", ["lz4", "zstd+rsa"])
def test_juicefs_and_tierfs_share_a_minio_volume(fs, jfs, minio, workdir, codec):
    """`juicefs format` on MinIO (lz4; or zstd with --encrypt-rsa-key), JuiceFS writes, tierfs reads
    byte-identically and writes, JuiceFS reads that back; `juicefs fsck` clean."""
    vol = Volume(workdir, fs, minio=minio)
    extra = ["--compress", "lz4"] if codec == "lz4" else ["--compress", "zstd", "--encrypt-rsa-key", str(_keygen(workdir))]
    p = jfs.run("format", vol.meta_url, vol.name, *vol.storage_args(), "--trash-days", "0", *extra)
    assert p.returncode == 0, p.stderr
    theirs = {f"j{i}": _data(5000 * i + 1, 100 + i) for i in range(5)} | {"jbig": _data(9 * MiB + 7, 7)}
    ours = {f"t{i}": _data(7000 * i + 3, 200 + i) for i in range(5)} | {"tbig": _data(6 * MiB + 1, 8)}
    _through(vol, workdir / "jmnt", _write_all(theirs), binary=jfs)
    _through(vol, workdir / "tmnt", lambda m: (_check_all(theirs)(m), _write_all(ours)(m)))
    _through(vol, workdir / "jmnt", _check_all(theirs | ours), binary=jfs)
    if codec != "lz4":  # encrypted: no plaintext in any stored object
        for k in minio.keys(vol.bucket_name, f"{vol.name}/chunks/"):
            assert ours["t1"][:64] not in minio.cat(vol.bucket_name, k)
    p = jfs.run("fsck", vol.meta_url, "--path", "/", "--recursive")
    assert p.returncode == 0, p.stdout + p.stderr


def test_missing_bucket_is_created(fs, minio, workdir):
    vol = Volume(workdir, fs, minio=minio, bucket_name="made-by-format").format()
    assert f"{vol.name}/juicefs_uuid" in minio.keys("made-by-format", f"{vol.name}/")


def test_missing_bucket_the_credentials_cannot_create_fails_with_the_servers_message(fs, minio, workdir):
    """Credentials that may read objects but not create buckets (MinIO STS credentials with an
    inline policy): format of a missing bucket fails with the server's own refusal in one line,
    and neither the bucket nor the volume exists afterwards."""
    ak, sk, token = minio.assume_role({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": ["arn:aws:s3:::*"]}]})
    vol = Volume(workdir, fs, minio=minio, bucket_name="not-allowed")
    p = fs.run("format", vol.meta_url, vol.name, "--storage", "minio", "--bucket",
               minio.bucket_url("not-allowed"), "--access-key", ak, "--secret-key", sk,
               "--session-token", token)
    assert_clear_error(p, r"not-allowed.*(Access Denied|AccessDenied)")
    assert "not-allowed" not in minio.rclone("lsd", "m:").stdout
    st = fs.run("status", vol.meta_url)
    assert st.returncode != 0, "a volume was written although format failed: " + st.stdout


@pytest.mark.parametrize("bad", ["secret", "access"])
def test_wrong_credentials_fail_format_with_the_servers_message(fs, minio, workdir, bad):
    vol = Volume(workdir, fs, minio=minio)
    ak, sk = (USER, "wrong-secret-key") if bad == "secret" else ("nosuchuser", PASSWORD)
    p = fs.run("format", vol.meta_url, vol.name, "--storage", "minio", "--bucket",
               minio.bucket_url(vol.bucket_name), "--access-key", ak, "--secret-key", sk)
    assert_clear_error(p, r"SignatureDoesNotMatch|InvalidAccessKeyId|403")
    assert not vol.db.exists() or os.path.getsize(vol.db) == 0 or "e2evol" not in fs.run(
        "status", vol.meta_url).stdout


def test_endpoint_that_is_not_an_object_store(fs, workdir):
    """An HTTP server that is not S3 (a plain python http.server): one line, nothing formatted."""
    import http.server
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        vol = Volume(workdir, fs)
        p = fs.run("format", vol.meta_url, vol.name, "--storage", "minio", "--bucket",
                   f"http://127.0.0.1:{srv.server_address[1]}/b", "--access-key", "a", "--secret-key", "b")
        assert_clear_error(p, r"minio|s3|http|object|storage|bucket")
        assert fs.run("status", vol.meta_url).returncode != 0
    finally:
        srv.shutdown()


def test_clock_skew_the_server_rejects(fs, minio, workdir):
    """tierfs's clock an hour behind (libfaketime): MinIO refuses the signature as too skewed and
    format says so in one line."""
    vol = Volume(workdir, fs, minio=minio)
    env = {**os.environ, "FAKETIME": "-1h", "LD_PRELOAD": "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"}
    assert os.path.exists(env["LD_PRELOAD"]), "faketime not installed (bash scripts/install-deps.sh)"
    p = subprocess.run([fs.path, "format", vol.meta_url, vol.name, *vol.storage_args()],
                       capture_output=True, text=True, env=env, timeout=120)
    assert_clear_error(p, r"RequestTimeTooSkewed|skew")


def test_dead_endpoint_gives_eio_after_the_retry_bound(fs, minio, workdir):
    """MinIO stopped under a mount: reading a block that is not cached (a fresh mount, its cache
    directory emptied) fails with EIO after the retries (--io-retries 3); it does not hang."""
    import shutil
    vol = Volume(workdir, fs, minio=minio).format()
    _through(vol, workdir / "mnt", _write_all({"f": _data(3 * MiB, 5)}))
    for d in vol.root.glob("cache-*"):
        shutil.rmtree(d)
    m = vol.mount(workdir / "mnt", extra=["--io-retries", "3"])
    try:
        assert os.stat(m / "f").st_size == 3 * MiB
        minio.stop()
        t0 = time.monotonic()
        with pytest.raises(OSError) as e:
            _read(m / "f")
        assert e.value.errno == 5, e.value  # EIO
        assert time.monotonic() - t0 < 60, "EIO came too late"
    finally:
        m.umount()


@pytest.mark.full
def test_minio_down_for_30s_during_writes(fs, minio, workdir):
    """A writer keeps writing 256 KiB files (each closed: acknowledged, or failed with an error);
    MinIO is stopped for 30 s and started again. Writes resume, and every acknowledged file reads
    back intact after a remount."""
    vol = Volume(workdir, fs, minio=minio).format()
    m = vol.mount(workdir / "mnt")
    acked: dict[str, bytes] = {}
    failed: list[str] = []
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set():
            name, data = f"w{i}", _data(256 * 1024, i)
            try:
                _write(m / name, data)
                acked[name] = data
            except OSError:
                failed.append(name)
            i += 1

    t = threading.Thread(target=writer)
    try:
        t.start()
        wait_until(lambda: len(acked) >= 20, 60, "20 files written before the outage")
        minio.stop()
        t_down = time.monotonic()
        wait_until(lambda: time.monotonic() - t_down >= 30, 40, "30 s of outage")
        minio.start()
        n_back = len(acked)
        wait_until(lambda: len(acked) >= n_back + 20, 120, "writes to resume after MinIO is back")
        stop.set()
        t.join(timeout=300)
        assert not t.is_alive(), "the writer hung"
    finally:
        stop.set()
        m.umount()
    _through(vol, workdir / "mnt", _check_all(acked))


@pytest.mark.full
def test_a_5gib_file_keeps_the_client_within_its_buffer(fs, minio, workdir):
    """Writing a 5 GiB file through the mount keeps the client's RSS under --buffer-size + 200 MiB,
    and reading it back streams (the same bound); the content is checked by its sha256."""
    buffer_mib = 300
    vol = Volume(workdir, fs, minio=minio).format()
    m = vol.mount(workdir / "mnt", extra=["--buffer-size", str(buffer_mib)])
    peak = {"write": 0, "read": 0}
    phase = ["write"]
    done = threading.Event()

    def sample():  # the client's resident set, every 0.2 s (a measurement, not a synchronisation)
        while not done.wait(0.2):
            with open(f"/proc/{m.proc.pid}/status") as f:
                kib = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
            peak[phase[0]] = max(peak[phase[0]], kib // 1024)

    t = threading.Thread(target=sample)
    t.start()
    try:
        h_in = hashlib.sha256()
        chunk = _data(8 * MiB, 1)
        with open(m / "big", "wb") as f:
            for i in range(640):
                block = chunk[i % 7:] + chunk[:i % 7]
                h_in.update(block)
                f.write(block)
        phase[0] = "read"
        h_out = hashlib.sha256()
        with open(m / "big", "rb") as f:
            while b := f.read(8 * MiB):
                h_out.update(b)
        assert h_out.hexdigest() == h_in.hexdigest()
    finally:
        done.set()
        t.join()
        m.umount()
    print(f"peak RSS (MiB): {peak}")
    assert peak["write"] < buffer_mib + 200, peak
    assert peak["read"] < buffer_mib + 200, peak


def test_a_flipped_bit_in_a_stored_object_is_eio_naming_the_key(fs, minio, workdir):
    """A block object changed at rest (one bit, its x-amz-meta-crc32c kept, rewritten with rclone):
    reading the file fails with EIO and the log names the object; never wrong bytes."""
    import shutil
    vol = Volume(workdir, fs, minio=minio).format()
    data = _data(1 * MiB + 5, 3)
    _through(vol, workdir / "mnt", _write_all({"f": data}))
    [key] = [k for k in minio.keys(vol.bucket_name, f"{vol.name}/chunks/") if k.endswith(f"_0_{len(data)}")]
    stored = minio.cat(vol.bucket_name, key)
    assert stored == data
    meta = minio.rclone("lsjson", "-M", f"m:{vol.bucket_name}/{key}").stdout
    import json
    crc = json.loads(meta)[0]["Metadata"]["crc32c"]
    flipped = bytearray(stored)
    flipped[len(flipped) // 2] ^= 0x01
    src = workdir / "flipped"
    src.write_bytes(bytes(flipped))
    minio.rclone("copyto", "-M", "--metadata-set", f"crc32c={crc}", src, f"m:{vol.bucket_name}/{key}")
    assert minio.cat(vol.bucket_name, key) == bytes(flipped)
    for d in vol.root.glob("cache-*"):
        shutil.rmtree(d)
    m = vol.mount(workdir / "mnt")
    try:
        t0 = time.monotonic()
        with pytest.raises(OSError) as e:
            _read(m / "f")
        assert e.value.errno == 5, e.value  # EIO
        assert time.monotonic() - t0 < 10, "a corrupt object is not worth retrying"
        assert key.split("/", 1)[1] in m.log.read_text(), m.log_tail()
    finally:
        m.umount()
