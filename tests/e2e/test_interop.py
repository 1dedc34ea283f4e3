"""Interop with the real JuiceFS on the same volume: either one formats, writes, reads the other's data.

These fail (not skip) when juicefs is missing and TIERFS_REQUIRE_JUICEFS=1 (CI sets it).
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import stat

import pytest

from harness import Volume

MiB = 1 << 20


def write_corpus(root):
    """A tree with the cases that break block/slice bookkeeping: overwrites, holes, links, xattrs."""
    rng = random.Random(42)
    (root / "small.txt").write_bytes(b"hello from the writer\n")
    (root / "empty").write_bytes(b"")
    big = bytearray(rng.randbytes(20 * MiB))
    with open(root / "big", "wb") as f:
        f.write(big)
    with open(root / "big", "r+b") as f:  # overwrites in the middle, across a block boundary
        for off, n in ((6 * MiB - 3, MiB + 5), (15 * MiB, 3), (4 * MiB, 1)):
            patch = rng.randbytes(n)
            f.seek(off)
            f.write(patch)
            big[off:off + n] = patch
    with open(root / "sparse", "wb") as f:  # a hole across the 64 MiB chunk boundary
        f.write(b"S")
        f.seek(66 * MiB + 1)
        f.write(b"E" * 1000)
    with open(root / "truncated", "wb") as f:
        f.write(rng.randbytes(5 * MiB))
        f.truncate(3 * MiB + 1)
        f.truncate(4 * MiB)
    os.makedirs(root / "tree" / "a" / "b")
    for i in range(50):
        (root / "tree" / "a" / f"f{i}").write_bytes(rng.randbytes(rng.randrange(0, 70_000)))
    os.symlink("../small.txt", root / "tree" / "link")
    os.symlink("nowhere/at/all", root / "tree" / "dangling")
    os.link(root / "small.txt", root / "tree" / "b-hardlink")
    os.setxattr(root / "small.txt", "user.color", b"blue")
    os.setxattr(root / "tree", "user.bin", bytes(range(200)))
    os.chmod(root / "tree" / "a" / "f1", 0o640)
    os.chown(root / "tree" / "a" / "f2", 1000, 1001)
    os.utime(root / "tree" / "a" / "f3", ns=(1_234_567_890_123_456_789, 1_234_567_890_987_654_321))
    return hashlib.sha256(big).hexdigest()


def snapshot(root) -> dict:
    """Everything a reader can observe, per relative path (the virtual files in the root excluded)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if os.path.samefile(dirpath, root):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            filenames = [f for f in filenames if not f.startswith(".")]
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            e = {"mode": st.st_mode, "uid": st.st_uid, "gid": st.st_gid, "size": st.st_size,
                 "nlink": st.st_nlink, "ino": st.st_ino, "mtime": st.st_mtime_ns,
                 "xattrs": {k: os.getxattr(p, k, follow_symlinks=False).hex()
                            for k in sorted(os.listxattr(p, follow_symlinks=False))}}
            if stat.S_ISLNK(st.st_mode):
                e["target"] = os.readlink(p)
            elif stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                with open(p, "rb") as f:
                    while b := f.read(MiB):
                        h.update(b)
                e["sha256"] = h.hexdigest()
            out[os.path.relpath(p, root)] = e
    return out


def modify(root):
    """The reader's turn: change the writer's files in place."""
    with open(root / "big", "r+b") as f:
        f.seek(7 * MiB + 11)
        f.write(b"R" * (2 * MiB))
    with open(root / "small.txt", "ab") as f:
        f.write(b"appended by the reader\n")
    (root / "tree" / "new").write_bytes(b"n" * 5000)
    os.setxattr(root / "small.txt", "user.color", b"red")
    os.unlink(root / "tree" / "a" / "f4")
    os.rename(root / "tree" / "a" / "f5", root / "tree" / "f5-moved")


def _diff(a: dict, b: dict) -> list[str]:
    diffs = [f"only in writer: {k}" for k in a.keys() - b.keys()] + [f"only in reader: {k}" for k in b.keys() - a.keys()]
    for k in a.keys() & b.keys():
        for field in a[k]:
            if a[k][field] != b[k].get(field):
                diffs.append(f"{k}.{field}: {a[k][field]!r} != {b[k].get(field)!r}")
    return sorted(diffs)


def write_read_modify(vol, mp, writer, reader):
    """`writer` writes the corpus, `reader` reads it identical and modifies it, `writer` reads
    the modifications (each through its own mount of `vol` at `mp`, one at a time)."""
    m = vol.mount(mp, binary=writer)
    try:
        big_sha = write_corpus(m.path)
        written = snapshot(m.path)
    finally:
        m.umount()
    assert written["big"]["sha256"] == big_sha

    m = vol.mount(mp, binary=reader)
    try:
        assert _diff(written, snapshot(m.path)) == []
        modify(m.path)
        modified = snapshot(m.path)
    finally:
        m.umount()

    m = vol.mount(mp, binary=writer)
    try:
        assert _diff(modified, snapshot(m.path)) == []
    finally:
        m.umount()


@pytest.mark.parametrize("formatter,writer,reader", [
    ("juicefs", "juicefs", "tierfs"),
    ("tierfs", "tierfs", "juicefs"),
    ("juicefs", "tierfs", "juicefs"),
    ("tierfs", "juicefs", "tierfs"),
])
def test_same_volume_both_ways(fs, jfs, workdir, formatter, writer, reader):
    bins = {"tierfs": fs, "juicefs": jfs}
    vol = Volume(workdir, bins[formatter]).format()
    write_read_modify(vol, workdir / "mnt", bins[writer], bins[reader])


def test_juicefs_fsck_and_dump_accept_our_volume(fs, jfs, workdir):
    vol = Volume(workdir, fs).format()
    m = vol.mount(workdir / "mnt")
    try:
        write_corpus(m.path)
        os.unlink(m / "tree" / "a" / "f7")  # leave some deletions for the checker to account for
    finally:
        m.umount()
    p = jfs.run("fsck", vol.meta_url, "--path", "/", "--recursive")
    assert p.returncode == 0, p.stderr
    out = workdir / "dump.json"
    p = jfs.run("dump", vol.meta_url, out)
    assert p.returncode == 0, p.stderr
    dump = json.loads(out.read_text())
    assert dump["Setting"]["Name"] == vol.name
    root = dump["FSTree"]["entries"]
    assert {"small.txt", "big", "sparse", "tree"} <= root.keys()
    assert root["big"]["attr"]["length"] == 20 * MiB
    assert root["sparse"]["attr"]["length"] == 66 * MiB + 1001
    tree = root["tree"]["entries"]
    assert tree["link"]["symlink"] == "../small.txt"
    assert tree["b-hardlink"]["attr"]["inode"] == root["small.txt"]["attr"]["inode"]
    assert "f7" not in tree["a"]["entries"] and "f6" in tree["a"]["entries"]
    assert any(x["name"] == "user.color" for x in root["small.txt"].get("xattrs", []))
    # and juicefs mounts it and reads it after the dump
    m = vol.mount(workdir / "mnt", binary=jfs)
    try:
        assert (m / "small.txt").read_bytes() == b"hello from the writer\n"
    finally:
        m.umount()


_HOLDER = """
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
os.unlink(sys.argv[1])
block = os.urandom(1 << 20)
for i in range(int(sys.argv[2])):
    os.pwrite(fd, block, i << 20)
os.fsync(fd)
print("held", flush=True)
sys.stdin.read()  # keep the open-unlinked file until killed
"""


def _kill_tree(proc):
    """kill -9 a mount process and its descendants (a foreground `juicefs mount` serves FUSE from
    a child it supervises): parent first, so nobody restarts the child."""
    def children(pid):
        out = []
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    out += [int(c) for c in f.read().split()]
            except OSError:
                pass
        return out
    pids, todo = [], [proc.pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo += children(p)
    for p in pids:
        try:
            os.kill(p, 9)
        except ProcessLookupError:
            pass
    proc.wait()


def _counter(vol, name) -> int:
    import sqlite3
    with sqlite3.connect(f"file:{vol.db}?mode=ro", uri=True) as c:
        row = c.execute("SELECT value FROM jfs_counter WHERE name=?", (name,)).fetchone()
    return row[0] if row else 0


def _sql(vol, q):
    import sqlite3
    with sqlite3.connect(f"file:{vol.db}?mode=ro", uri=True) as c:
        return c.execute(q).fetchall()


@pytest.mark.parametrize("dies,cleans", [("tierfs", "juicefs"), ("juicefs", "tierfs")])
def test_stale_session_with_open_unlinked_file_is_cleaned_with_counters(fs, jfs, workdir, dies, cleans):
    """A client dies holding an open-unlinked (sustained) file; the other implementation cleans its
    stale session: the file's data and its share of usedSpace/totalInodes go, nothing is left."""
    import subprocess
    import sys
    from harness import wait_until
    bins = {"tierfs": fs, "juicefs": jfs}
    vol = Volume(workdir, fs).format()
    space0, inodes0 = _counter(vol, "usedSpace"), _counter(vol, "totalInodes")
    m = vol.mount(workdir / "mnt", binary=bins[dies], extra=["--heartbeat", "1"])
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(m / "held"), "8"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert _sql(vol, "SELECT count(*) FROM jfs_sustained") == [(1,)]
        wait_until(lambda: _counter(vol, "usedSpace") >= space0 + 8 * MiB, 30, "the sustained file to be charged")
        _kill_tree(m.proc)  # the client dies: its session row, its sustained inode stay behind
    finally:
        holder.kill()
        holder.wait()
    m.umount()  # detaches the dead FUSE mount
    assert vol.chunk_objects(), "the held file's data should still be there"
    other = vol.mount(workdir / "mnt2", binary=bins[cleans], extra=["--heartbeat", "1"])
    try:
        # The dead session expires after 5 heartbeats; the survivor's cleanup job then frees it.
        wait_until(lambda: _sql(vol, "SELECT count(*) FROM jfs_sustained") == [(0,)], 90,
                   "the stale session's sustained file to be released")
        wait_until(lambda: not vol.chunk_objects(), 60, "the released file's objects to be deleted")
        wait_until(lambda: (_counter(vol, "usedSpace"), _counter(vol, "totalInodes")) == (space0, inodes0), 30,
                   f"counters back to {(space0, inodes0)}, now "
                   f"{(_counter(vol, 'usedSpace'), _counter(vol, 'totalInodes'))}")
        wait_until(lambda: _sql(vol, "SELECT count(*) FROM jfs_delfile") == [(0,)], 30,
                   "the deletion to finish (its jfs_delfile row goes last)")
    finally:
        other.umount()
