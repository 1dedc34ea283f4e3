"""The CLI contract shared with JuiceFS: format flags, status JSON, info, daemon mount, umount, metrics."""
from __future__ import annotations

import os
import random
import re
import socket
import urllib.request

import pytest

from harness import Volume, drop_caches, pid_alive, sha256_file, wait_until

MiB = 1 << 20


def test_status_json(volume, mnt):
    st = volume.status()
    setting = st["Setting"]
    assert setting["Name"] == volume.name
    assert setting["Storage"] == "file"
    assert setting["Bucket"].rstrip("/") == str(volume.bucket)
    assert setting["BlockSize"] == 4096  # KiB, as in JuiceFS
    assert setting["TrashDays"] == 0
    assert setting["MetaVersion"] == 1
    assert re.fullmatch(r"[0-9a-f-]{36}", setting["UUID"])
    for secret in ("SecretKey", "SessionToken", "EncryptKey"):
        assert setting.get(secret) in (None, "", "removed"), secret
    sessions = st["Sessions"]
    assert len(sessions) == 1
    assert sessions[0]["MountPoint"] == str(mnt.path)
    pid = sessions[0]["ProcessID"]
    assert pid == mnt.proc.pid or _ppid(pid) == mnt.proc.pid  # juicefs serves from a forked child


def _ppid(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return int(next(l for l in f if l.startswith("PPid:")).split()[1])


def test_status_without_mounts_has_no_sessions(volume):
    assert volume.status()["Sessions"] in ([], None)


@pytest.mark.parametrize("compress", ["none", "lz4", "zstd"])
def test_format_flags_block_size_and_compression(fs, workdir, compress):
    vol = Volume(workdir, fs).format("--block-size", "1M", "--compress", compress)
    setting = vol.status()["Setting"]
    assert setting["BlockSize"] == 1024 and setting["Compression"] == compress
    m = vol.mount(workdir / "mnt")
    try:
        data = (b"compressible " * 300_000)[: 3 * MiB] + random.Random(1).randbytes(MiB)
        (m / "f").write_bytes(data)
        objs = vol.chunk_objects()
        assert len(objs) == 4, objs  # 4 MiB in 1 MiB blocks
        if compress != "none":
            assert sum(o.stat().st_size for o in objs) < 2 * MiB
        else:
            assert all(o.stat().st_size == MiB for o in objs)
        drop_caches()
        assert (m / "f").read_bytes() == data
    finally:
        m.umount()


def test_block_size_in_kib_number(fs, workdir):
    vol = Volume(workdir, fs).format("--block-size", "4096")
    assert vol.status()["Setting"]["BlockSize"] == 4096


def test_info_shows_chunks_and_object_keys(volume, mnt):
    p = mnt / "f"
    p.write_bytes(random.Random(2).randbytes(6 * MiB))
    out = volume.binary.run("info", p, check=True).stdout
    assert re.search(rf"inode:\s*{os.stat(p).st_ino}\b", out), out
    assert re.search(rf"length:\s*{6 * MiB}\b|6\.00 MiB", out), out
    keys = re.findall(rf"{volume.name}/chunks/\d+/\d+/\d+_\d+_\d+", out)
    assert len(keys) == 2, out  # two 4 MiB blocks
    for k in keys:
        assert (volume.bucket / k).is_file(), k


def test_daemon_mount_and_umount(volume, workdir, fs):
    mp = workdir / "dmnt"
    mp.mkdir()
    p = fs.run("mount", volume.meta_url, mp, "-d", "--cache-dir", workdir / "dcache", *fs.extra_mount_flags)
    assert p.returncode == 0, p.stderr
    try:
        assert os.path.ismount(mp), "mount -d must return only once the mount is ready"
        (mp / "hello").write_bytes(b"hi")
        sessions = volume.status()["Sessions"]
        assert len(sessions) == 1
        daemon_pid = sessions[0]["ProcessID"]
        assert pid_alive(daemon_pid)
    finally:
        u = fs.run("umount", mp)
    assert u.returncode == 0, u.stderr
    assert not os.path.ismount(mp)
    wait_until(lambda: not pid_alive(daemon_pid), 30, "the mount daemon to exit after umount")
    wait_until(lambda: volume.status()["Sessions"] in ([], None), 30, "the session to be removed")
    m = volume.mount(mp)
    try:
        assert (m / "hello").read_bytes() == b"hi"
    finally:
        m.umount()


def test_umount_not_mounted_fails(fs, workdir):
    p = fs.run("umount", workdir)
    assert p.returncode != 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_mount_flags_and_metrics_endpoint(volume, workdir):
    port = _free_port()
    m = volume.mount(workdir / "mnt", extra=["--attr-cache", "2", "--entry-cache", "2", "--dir-entry-cache", "2",
                                             "--buffer-size", "64", "--metrics", f"127.0.0.1:{port}"])
    try:
        (m / "f").write_bytes(b"x" * 1000)
        assert (m / "f").read_bytes() == b"x" * 1000
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
        names = {l.split("{")[0].split(" ")[0] for l in body.splitlines() if l and not l.startswith("#")}
        prefix = "juicefs_" if volume.binary.flavor == "juicefs" else "tierfs_"
        for metric in ("used_space", "used_inodes", "fuse_ops_total"):
            assert prefix + metric in names, metric
    finally:
        m.umount()


def test_big_write_read_after_remount(mnt):
    rng = random.Random(3)
    data = rng.randbytes(33 * MiB)
    (mnt / "f").write_bytes(data)
    m2 = mnt.remount()
    try:
        drop_caches()
        assert sha256_file(m2 / "f") == __import__("hashlib").sha256(data).hexdigest()
    finally:
        m2.umount()
