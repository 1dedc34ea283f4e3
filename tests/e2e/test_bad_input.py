"""Bad input: each case must exit non-zero, say why in one line on stderr, and change nothing."""
from __future__ import annotations

import os
import subprocess

import pytest

from harness import Volume, assert_clear_error, file_fingerprint, mounts_under, tree_fingerprint


def _set_format_field(db, field, value_sql):
    subprocess.run(["sqlite3", str(db),
                    f"UPDATE jfs_setting SET value = json_set(value, '$.{field}', {value_sql}) WHERE name = 'format'"],
                   check=True)


def _snapshot(vol: Volume):
    return file_fingerprint(vol.db), tree_fingerprint(vol.bucket)


def test_unknown_meta_scheme(fs, workdir):
    mp = workdir / "mnt"
    mp.mkdir()
    before = tree_fingerprint(workdir)
    assert_clear_error(fs.run("format", "foo://somewhere/x", "vol", "--storage", "file",
                              "--bucket", f"{workdir}/bucket/"), r"foo")
    assert_clear_error(fs.run("mount", "foo://somewhere/x", mp, "-d"), r"foo")
    assert_clear_error(fs.run("status", "foo://somewhere/x"), r"foo")
    assert not os.path.ismount(mp)
    assert tree_fingerprint(workdir) == before


@pytest.mark.parametrize("cmd", ["mount", "status"])
def test_missing_sqlite_file(fs, workdir, cmd):
    db = workdir / "absent.db"
    mp = workdir / "mnt"
    mp.mkdir()
    args = ["mount", f"sqlite3://{db}", mp, "-d"] if cmd == "mount" else ["status", f"sqlite3://{db}"]
    assert_clear_error(fs.run(*args), r"no such|not exist|not found|not formatted|absent\.db")
    assert not db.exists(), "a failed command must not create the metadata file"
    assert not os.path.ismount(mp)


@pytest.mark.parametrize("cmd", ["mount", "status"])
def test_corrupt_sqlite_file(fs, workdir, cmd):
    db = workdir / "corrupt.db"
    db.write_bytes(os.urandom(16384))
    before = file_fingerprint(db)
    mp = workdir / "mnt"
    mp.mkdir()
    args = ["mount", f"sqlite3://{db}", mp, "-d"] if cmd == "mount" else ["status", f"sqlite3://{db}"]
    assert_clear_error(fs.run(*args), r"not a database|corrupt|malformed|invalid")
    assert file_fingerprint(db) == before
    assert not os.path.ismount(mp)


@pytest.mark.parametrize("field,value,pattern", [
    ("MetaVersion", "2", r"version"),
    ("MinClientVersion", "'9.9.9'", r"version|9\.9\.9"),
])
def test_volume_needs_newer_client(fs, volume, workdir, field, value, pattern):
    _set_format_field(volume.db, field, value)
    before = _snapshot(volume)
    mp = workdir / "mnt"
    mp.mkdir()
    assert_clear_error(fs.run("mount", volume.meta_url, mp, "-d"), pattern)
    assert not os.path.ismount(mp)
    assert _snapshot(volume) == before


def test_mount_point_missing(fs, volume, workdir):
    mp = workdir / "no" / "such" / "dir"
    before = _snapshot(volume)
    assert_clear_error(fs.run("mount", volume.meta_url, mp, "-d"), r"no such|not exist|mount ?point")
    assert not mp.exists() and not (workdir / "no").exists()
    assert _snapshot(volume) == before


def test_mount_point_already_mounted(fs, volume, mnt):
    (mnt / "keep").write_bytes(b"still here")
    assert_clear_error(fs.run("mount", volume.meta_url, mnt.path, "-d"), r"already|busy|mounted")
    assert len(mounts_under(str(mnt.path))) == 1
    assert (mnt / "keep").read_bytes() == b"still here"
    assert mnt.proc.poll() is None


def test_format_existing_volume_without_force(fs, volume, workdir):
    other_bucket = workdir / "other-bucket"
    before = _snapshot(volume)
    assert_clear_error(fs.run("format", volume.meta_url, "othername", "--storage", "file",
                              "--bucket", f"{other_bucket}/", "--block-size", "1M"),
                       r"already|exist|formatted|--force|cannot|update")
    assert _snapshot(volume) == before
    assert not other_bucket.exists()
    assert volume.status()["Setting"]["Name"] == volume.name


NOBODY = 65534  # uid and gid of nobody/nogroup


def _as_nobody():
    """subprocess.run arguments that run the command as nobody, without supplementary groups."""
    return {"user": NOBODY, "group": NOBODY, "extra_groups": []}


@pytest.mark.parametrize("how", ["under-regular-file", "read-only-tmpfs", "read-only-dir-as-user"])
def test_unwritable_bucket(fs, workdir, how):
    """format tries the bucket (a probe object put, read, listed, deleted) before it writes any
    metadata, and refuses it in one line that keeps the storage's own error."""
    db = workdir / "meta.db"
    run_as = {}
    pattern = r"bucket|storage|not a directory|read-only|permission|writable"
    if how == "under-regular-file":
        (workdir / "plain").write_bytes(b"I am a file")
        bucket = workdir / "plain" / "bucket"
    elif how == "read-only-tmpfs":
        ro = workdir / "ro"
        ro.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(ro)], check=True)
        (ro / "bucket").mkdir()
        subprocess.run(["mount", "-o", "remount,ro", str(ro)], check=True)
        bucket = ro / "bucket"
    else:  # a directory its user may read but not write; the database's directory is writable
        bucket = workdir / "bucket"
        bucket.mkdir()
        os.chown(bucket, NOBODY, NOBODY)
        bucket.chmod(0o500)
        (workdir / "meta").mkdir(mode=0o777)
        (workdir / "meta").chmod(0o777)
        db = workdir / "meta" / "meta.db"
        run_as = _as_nobody()
        pattern = r"storage .*(not usable|not configured correctly).*(permission denied|EACCES)"
    before = tree_fingerprint(workdir)
    line = assert_clear_error(
        fs.run("format", f"sqlite3://{db}", "vol", "--storage", "file", "--bucket", f"{bucket}/", **run_as),
        pattern)
    assert not db.exists(), f"format failed ({line}) but left a metadata file behind"
    assert tree_fingerprint(workdir) == before


def test_unwritable_bucket_leaves_an_existing_empty_database_without_metadata(fs, workdir):
    """A database file that exists but is empty gets no table and no setting when the bucket is
    refused. (SQLite itself may write its 4 KiB header there when the file is opened in WAL
    mode: that is not metadata.)"""
    bucket = workdir / "bucket"
    bucket.mkdir()
    os.chown(bucket, NOBODY, NOBODY)
    bucket.chmod(0o500)
    meta = workdir / "meta"
    meta.mkdir()
    meta.chmod(0o777)
    db = meta / "meta.db"
    db.touch()
    os.chown(db, NOBODY, NOBODY)
    before = tree_fingerprint(bucket)
    assert_clear_error(fs.run("format", f"sqlite3://{db}", "vol", "--storage", "file", "--bucket",
                              f"{bucket}/", **_as_nobody()),
                       r"storage .*(not usable|not configured correctly).*(permission denied|EACCES)")
    tables = subprocess.run(["sqlite3", str(db), ".tables"], capture_output=True, text=True, check=True)
    assert tables.stdout.strip() == "", f"a refused format created tables: {tables.stdout}"
    assert tree_fingerprint(bucket) == before


@pytest.mark.parametrize("feature", ["sm4gcm", "acl", "shards", "dir-quota"])
def test_volume_with_unsupported_feature_is_refused(fs, jfs, workdir, feature):
    """A volume using a feature tierfs does not implement yet is refused by mount, naming the
    feature, before anything changes (SM2/SM4-GCM encrypted volumes: tierfs encrypts with RSA
    keys only, tests/e2e/test_encryption.py)."""
    vol = Volume(workdir, jfs)
    extra = {"sm4gcm": [], "acl": ["--enable-acl"], "shards": ["--shards", "4"], "dir-quota": []}[feature]
    env = None
    if feature == "sm4gcm":
        key = workdir / "key.pem"
        subprocess.run(["openssl", "genpkey", "-algorithm", "SM2", "-out", str(key)], check=True,
                       capture_output=True)
        extra = ["--encrypt-rsa-key", str(key), "--encrypt-algo", "sm4gcm"]
        env = {**os.environ, "JFS_RSA_PASSPHRASE": ""}
    bucket = f"{vol.bucket}-%d/" if feature == "shards" else f"{vol.bucket}/"  # a bucket per shard
    jfs.run("format", vol.meta_url, vol.name, "--storage", "file", "--bucket", bucket,
            "--trash-days", "0", *extra, check=True, env=env)
    if feature == "dir-quota":
        m = vol.mount(workdir / "setup", binary=jfs)
        os.mkdir(m / "limited")
        m.umount()
        jfs.run("quota", "set", vol.meta_url, "--path", "/limited", "--capacity", "1", check=True)
    # Logical content: opening a database juicefs left in WAL mode checkpoints it (bytes move).
    def snapshot():
        dump = subprocess.run(["sqlite3", str(vol.db), ".dump"], capture_output=True, text=True, check=True)
        return dump.stdout, {str(b): tree_fingerprint(b) for b in sorted(workdir.glob("bucket*"))}
    before = snapshot()
    mp = workdir / "mnt"
    mp.mkdir()
    pattern = {"sm4gcm": r"SM4-GCM encrypt", "acl": r"ACL", "shards": r"shard", "dir-quota": r"quota"}[feature]
    assert_clear_error(fs.run("mount", vol.meta_url, mp, "-d"), pattern)
    assert not os.path.ismount(mp)
    assert snapshot() == before
