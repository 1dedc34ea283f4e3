"""`tierfs dump` / `tierfs load` against the real JuiceFS: each loads the other's dump, the loaded
volume reads byte-identically through a mount, `juicefs fsck` is clean; bad input and non-empty
targets are refused with one error line and leave the target unchanged.

The juicefs tests fail (not skip) when juicefs is missing and TIERFS_REQUIRE_JUICEFS=1 (CI).
"""
from __future__ import annotations

import gzip
import json
import os
import sqlite3
import subprocess

from harness import CMD_TIMEOUT, Volume, assert_clear_error, file_fingerprint
from test_interop import _diff, snapshot, write_corpus


def _tables(db) -> list[str]:
    if not os.path.exists(db):
        return []
    with sqlite3.connect(db) as c:
        return [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")]


def _without_counters(text: str) -> dict:
    """A dump but for what load recomputes: the counters, and the trash root's nlink (always 2 after
    a load, as JuiceFS keeps it; a tierfs volume counts the hourly directories in it)."""
    d = json.loads(text)
    d.pop("Counters")
    if "Trash" in d:
        d["Trash"]["attr"].pop("nlink")
    return d


def _written_volume(workdir, binary, trash_days=1, meta=None):
    """A volume formatted and written by `binary`, one file deleted into the trash; its snapshot."""
    vol = Volume(workdir / "src", binary, meta=meta)
    vol.root.mkdir(exist_ok=True)
    vol.format(trash_days=trash_days)
    m = vol.mount(workdir / "mnt")
    try:
        write_corpus(m.path)
        os.unlink(m.path / "tree" / "a" / "f7")
        os.rename(m.path / "tree" / "a" / "f8", m.path / "tree" / "a" / "f8 renamed%\"<&>\n")
        written = snapshot(m.path)
    finally:
        m.umount()
    return vol, written


def _loaded(workdir, name, binary, meta=None) -> Volume:
    v = Volume(workdir / name, binary, meta=meta)
    v.root.mkdir(exist_ok=True)
    return v


def _reads_as_written(vol, mnt, written):
    """Through a mount of `vol`: the tree of _written_volume, its deleted file in the trash."""
    m = vol.mount(mnt)
    try:
        assert _diff(written, snapshot(m.path)) == []
        trash = os.listdir(m.path / ".trash")
        assert len(trash) == 1 and any(n.endswith("-f7") for n in os.listdir(m.path / ".trash" / trash[0]))
    finally:
        m.umount()


def test_juicefs_dump_loads_into_tierfs(fs, jfs, workdir):
    src, written = _written_volume(workdir, jfs)
    for out in (workdir / "j.json", workdir / "j.json.gz"):
        jfs.run("dump", src.meta_url, out, check=True)
    # tierfs dumps the juicefs volume byte for byte as juicefs does
    fs.run("dump", src.meta_url, workdir / "t.json", check=True)
    assert (workdir / "t.json").read_bytes() == (workdir / "j.json").read_bytes()

    for i, dump in enumerate((workdir / "j.json", workdir / "j.json.gz")):
        dst = _loaded(workdir, f"dst{i}", fs)
        fs.run("load", dst.meta_url, dump, check=True)
        _reads_as_written(dst, workdir / f"mnt{i}", written)
        # and the loaded volume dumps to the same tree (counters are recomputed by load)
        p = fs.run("dump", dst.meta_url, check=True)
        j = (workdir / "j.json").read_text() if i == 0 else gzip.decompress((workdir / "j.json.gz").read_bytes()).decode()
        assert _without_counters(p.stdout) == _without_counters(j)
    p = jfs.run("fsck", _loaded_url(workdir, "dst0"), "--path", "/", "--recursive")
    assert p.returncode == 0, p.stderr


def _loaded_url(workdir, name):
    return f"sqlite3://{workdir / name / 'meta.db'}"


def test_tierfs_dump_loads_with_juicefs(fs, jfs, workdir):
    src, written = _written_volume(workdir, fs)
    out = workdir / "t.json.gz"
    fs.run("dump", src.meta_url, out, check=True)
    assert not (workdir / "t.json.gz.tmp").exists()
    dst = _loaded(workdir, "dst", jfs)
    jfs.run("load", dst.meta_url, out, check=True)
    p = jfs.run("fsck", dst.meta_url, "--path", "/", "--recursive")
    assert p.returncode == 0, p.stderr
    m = dst.mount(workdir / "mnt2")
    try:
        assert _diff(written, snapshot(m.path)) == []
    finally:
        m.umount()
    # juicefs dumps what it loaded to the tree tierfs dumped
    p = jfs.run("dump", dst.meta_url, check=True)
    assert _without_counters(p.stdout) == _without_counters(gzip.decompress(out.read_bytes()).decode())


def test_dump_to_stdout_loads_from_stdin(fs, workdir):
    src = Volume(workdir / "src", fs)
    src.root.mkdir()
    src.format()
    m = src.mount(workdir / "mnt")
    try:
        write_corpus(m.path)
        written = snapshot(m.path)
    finally:
        m.umount()
    dump = subprocess.run([fs.path, "dump", src.meta_url], capture_output=True, timeout=CMD_TIMEOUT, check=True)
    dst = _loaded(workdir, "dst", fs)
    subprocess.run([fs.path, "load", dst.meta_url], input=dump.stdout, capture_output=True,
                   timeout=CMD_TIMEOUT, check=True)
    m = dst.mount(workdir / "mnt2")
    try:
        assert _diff(written, snapshot(m.path)) == []
    finally:
        m.umount()


def test_secret_key_removed_unless_kept(fs, workdir):
    vol = Volume(workdir, fs).format("--access-key", "ak", "--secret-key", "sk-value")
    p = fs.run("dump", vol.meta_url, check=True)
    assert json.loads(p.stdout)["Setting"]["SecretKey"] == "removed"
    assert "removed" in p.stderr
    p = fs.run("dump", vol.meta_url, "--keep-secret-key", check=True)
    # As `juicefs dump --keep-secret-key`: the secret as the setting keeps it, encrypted with the
    # volume's UUID (KeyEncrypted), never in clear; loading the dump keeps it usable.
    setting = json.loads(p.stdout)["Setting"]
    assert setting["KeyEncrypted"] is True
    assert setting["SecretKey"] not in ("removed", "sk-value", "")
    assert "sk-value" not in p.stdout
    dump = workdir / "kept.json"
    dump.write_text(p.stdout)
    other = Volume(workdir / "other", fs)
    other.root.mkdir()
    fs.run("load", other.meta_url, str(dump), check=True)
    again = fs.run("dump", other.meta_url, "--keep-secret-key", check=True)
    assert json.loads(again.stdout)["Setting"]["SecretKey"] == setting["SecretKey"]


def test_load_bad_input_is_refused_and_changes_nothing(fs, workdir):
    vol = Volume(workdir, fs).format()
    good = fs.run("dump", vol.meta_url, check=True).stdout
    cases = {
        "truncated.json": good[: len(good) // 2],
        "notjson.json": "this is not json\n",
        "array.json": "[]",
        "nocounters.json": '{"Setting": {"Name": "x"}, "FSTree": {"attr": {"inode": 1, "type": "directory"}}}',
        "badtype.json": good.replace('"type":"directory"', '"type":"bogus"', 1),
    }
    for name, text in cases.items():
        (workdir / name).write_text(text)
        target = workdir / f"{name}.db"
        p = fs.run("load", f"sqlite3://{target}", workdir / name)
        assert_clear_error(p, r"malformed|invalid|unknown type|not an array|object")
        assert not target.exists(), name  # a failed command creates no database file
    empty = workdir / "empty.db"
    sqlite3.connect(empty).close()  # an existing empty database stays, still empty
    p = fs.run("load", f"sqlite3://{empty}", workdir / "truncated.json")
    assert_clear_error(p, r"malformed")
    assert empty.exists() and _tables(empty) == []
    gz = workdir / "bad.json.gz"
    gz.write_bytes(b"\x1f\x8b not really gzip")
    p = fs.run("load", f"sqlite3://{workdir / 'gz.db'}", gz)
    assert_clear_error(p, r"gz|malformed|incorrect header|data|compression")
    assert not (workdir / "gz.db").exists()
    p = fs.run("load", f"sqlite3://{workdir / 'missing.db'}", workdir / "no-such-file.json")
    assert_clear_error(p, r"no such file")
    assert not (workdir / "missing.db").exists()


def test_load_into_non_empty_volume_is_refused(fs, workdir):
    vol = Volume(workdir, fs).format()
    (workdir / "d.json").write_text(fs.run("dump", vol.meta_url, check=True).stdout)
    before = file_fingerprint(vol.db)
    p = fs.run("load", vol.meta_url, workdir / "d.json")
    assert_clear_error(p, r"not empty")
    assert file_fingerprint(vol.db) == before


def test_juicefs_redis_volume_dumps_and_loads_into_redis(fs, jfs, workdir):
    """A Redis volume written by juicefs: tierfs dumps it as juicefs does; juicefs's dump loads
    with tierfs into another Redis, reads byte-identically through a tierfs mount, is clean for
    juicefs fsck, and juicefs dumps what tierfs loaded to the same tree."""
    src, written = _written_volume(workdir, jfs, meta="redis")
    jfs.run("dump", src.meta_url, workdir / "j.json", check=True)
    fs.run("dump", src.meta_url, workdir / "t.json", check=True)
    assert (workdir / "t.json").read_bytes() == (workdir / "j.json").read_bytes()

    dst = _loaded(workdir, "dst", fs, meta="redis")
    fs.run("load", dst.meta_url, workdir / "j.json", check=True)
    _reads_as_written(dst, workdir / "mnt2", written)
    p = jfs.run("fsck", dst.meta_url, "--path", "/", "--recursive")
    assert p.returncode == 0, p.stderr
    j = (workdir / "j.json").read_text()
    assert _without_counters(fs.run("dump", dst.meta_url, check=True).stdout) == _without_counters(j)
    assert _without_counters(jfs.run("dump", dst.meta_url, check=True).stdout) == _without_counters(j)


def test_tierfs_redis_dump_loads_with_juicefs(fs, jfs, workdir):
    """tierfs's dump of a Redis volume it wrote loads with juicefs into Redis, fsck-clean; tierfs
    loads its own dump into Redis and juicefs fsck finds it clean too."""
    src, written = _written_volume(workdir, fs, meta="redis")
    fs.run("dump", src.meta_url, workdir / "t.json", check=True)
    for name, binary in (("jdst", jfs), ("tdst", fs)):
        dst = _loaded(workdir, name, binary, meta="redis")
        binary.run("load", dst.meta_url, workdir / "t.json", check=True)
        p = jfs.run("fsck", dst.meta_url, "--path", "/", "--recursive")
        assert p.returncode == 0, p.stderr
        m = dst.mount(workdir / f"mnt-{name}", binary=fs)
        try:
            assert _diff(written, snapshot(m.path)) == []
        finally:
            m.umount()
        got = jfs.run("dump", dst.meta_url, check=True).stdout
        assert _without_counters(got) == _without_counters((workdir / "t.json").read_text())


def test_load_into_non_empty_redis_is_refused(fs, workdir):
    vol = Volume(workdir / "v", fs, meta="redis")
    vol.root.mkdir(exist_ok=True)
    vol.format()
    (workdir / "d.json").write_text(fs.run("dump", vol.meta_url, check=True).stdout)
    p = fs.run("load", vol.meta_url, workdir / "d.json")
    assert_clear_error(p, r"not empty")
    # a truncated dump into an empty DB fails and leaves it empty: a good load then works
    other = vol.redis.url(2)
    (workdir / "cut.json").write_text((workdir / "d.json").read_text()[:-40])
    p = fs.run("load", other, workdir / "cut.json")
    assert_clear_error(p, r"malformed")
    fs.run("load", other, workdir / "d.json", check=True)
    assert _without_counters(fs.run("dump", other, check=True).stdout) == \
        _without_counters((workdir / "d.json").read_text())
