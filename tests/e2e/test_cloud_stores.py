"""Volumes on the other object stores through a real mount (issue 7): Azure Blob on Azurite and
Google Cloud Storage on fake-gcs-server, both real servers started by the test. The backends'
own conformance suites run in the unit tests; these show that format, mount, the chunk layout and
a remount work on them end to end, and that a dead store gives EIO, not a hang."""
from __future__ import annotations

import errno
import os
import re
import shutil
import time

import pytest

from cloud_servers import AZURITE_ACCOUNT, AZURITE_KEY, AzuriteServer, FakeGcsServer
from harness import Volume, assert_files
from test_interop import write_read_modify
from test_minio import _data

MiB = 1 << 20


@pytest.fixture(params=["wasb", "gs"])
def store(request, workdir):
    server = (AzuriteServer if request.param == "wasb" else FakeGcsServer)(workdir / request.param).start()
    yield server
    server.stop()


def test_volume_on_the_store_reads_back_after_a_remount(fs, workdir, store):
    """Format (the bucket does not exist yet: created), write small files, a 21 MiB one (six
    blocks of one slice), overwrite the middle of it and rename one file; after a remount every
    byte reads back; on GCS the block objects sit at JuiceFS's keys with the file's bytes."""
    vol = Volume(workdir, fs, minio=store, bucket_name="cloudbox").format()
    files = {f"s{i}": _data(777 * i + 1, i) for i in range(12)}
    big = bytearray(_data(21 * MiB, 99))
    m = vol.mount(workdir / "mnt")
    try:
        for name, data in files.items():
            (m.path / name).write_bytes(data)
        (m.path / "big").write_bytes(big)
        with open(m.path / "big", "r+b") as f:
            f.seek(5 * MiB + 3)
            f.write(b"Z" * 70000)
        big[5 * MiB + 3:5 * MiB + 3 + 70000] = b"Z" * 70000
        os.rename(m.path / "s1", m.path / "renamed")
        files["renamed"] = files.pop("s1")
    finally:
        m.umount()
    m = vol.mount(workdir / "mnt")
    try:
        assert_files(m.path, files | {"big": bytes(big)})
    finally:
        m.umount()
    if isinstance(store, FakeGcsServer):
        keys = store.keys("cloudbox", f"{vol.name}/")
        assert f"{vol.name}/juicefs_uuid" in keys
        pat = re.compile(rf"{vol.name}/chunks/(\d+)/(\d+)/(\d+)_(\d+)_(\d+)$")
        blocks = [k for k in keys if pat.match(k)]
        assert sum(1 for k in blocks if k.endswith(f"_{4 * MiB}")) >= 5, blocks
        small = files["s3"]
        assert small in [store.cat("cloudbox", k) for k in blocks if k.endswith(f"_0_{len(small)}")]


def test_a_dead_store_gives_eio_not_a_hang(fs, workdir, store):
    """The store goes away under a mount: a read that needs an object (a fresh mount, its cache
    directory emptied) fails with EIO once the retries are spent (--io-retries 1), within a
    minute, and the mount stays up with its metadata."""
    vol = Volume(workdir, fs, minio=store, bucket_name="deadbox").format()
    m = vol.mount(workdir / "mnt")
    try:
        (m.path / "f").write_bytes(_data(300_000, 5))
    finally:
        m.umount()
    for d in vol.root.glob("cache-*"):  # the block must come from the store
        shutil.rmtree(d)
    m = vol.mount(workdir / "mnt", extra=["--io-retries", "1", "--get-timeout", "2"])
    try:
        store.stop()
        t0 = time.monotonic()
        with pytest.raises(OSError) as e:
            (m.path / "f").read_bytes()
        assert e.value.errno == errno.EIO
        assert time.monotonic() - t0 < 60, "EIO came too late"
        assert os.path.ismount(m.path)
        assert sorted(n for n in os.listdir(m.path) if not n.startswith(".")) == ["f"]  # metadata still serves
    finally:
        m.umount()


def test_juicefs_and_tierfs_share_a_volume_on_the_store(fs, jfs, workdir, store, monkeypatch):
    """`juicefs format` on the emulator, the way JuiceFS reaches one (GCS: STORAGE_EMULATOR_HOST
    and a gs://BUCKET; Azure: a connection string with the emulator's BlobEndpoint and the
    container in the bucket URL); JuiceFS writes, tierfs reads identical and modifies, JuiceFS
    reads the modifications; `juicefs fsck` clean."""
    if isinstance(store, FakeGcsServer):
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"127.0.0.1:{store.port}")
        monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "tierfs-e2e")
        bucket = ["--storage", "gs", "--bucket", "gs://sharedbox"]
    else:
        monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING",
                           f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
                           f"BlobEndpoint={store.endpoint}/{AZURITE_ACCOUNT};")
        bucket = ["--storage", "wasb", "--bucket", "https://sharedbox.blob.core.windows.net"]
    vol = Volume(workdir, fs)
    p = jfs.run("format", vol.meta_url, vol.name, *bucket, "--trash-days", "0")
    assert p.returncode == 0, p.stderr
    write_read_modify(vol, workdir / "mnt", jfs, fs)
    p = jfs.run("fsck", vol.meta_url, "--path", "/", "--recursive")
    assert p.returncode == 0, p.stdout + p.stderr
