"""POSIX behaviour on a real mount, checked against what Linux does on a local file system."""
from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import json
import os
import random
import stat
import subprocess
import sys
import textwrap

import pytest

from harness import drop_caches, sha256_file, wait_until

MiB = 1 << 20
libc = ctypes.CDLL(None, use_errno=True)


# Every test runs on each metadata engine (SQLite, and Redis on a redis-server of its own);
# TIERFS_E2E_META=sqlite3|redis keeps one.
_ENGINES = [os.environ["TIERFS_E2E_META"]] if os.environ.get("TIERFS_E2E_META") else ["sqlite3", "redis"]


@pytest.fixture(params=[(t, e) for e in _ENGINES for t in (0, 1)],
                ids=[f"trash-{'on' if t else 'off'}-{e}" for e in _ENGINES for t in (0, 1)])
def volume(request, workdir, fs):
    """Every namespace and data test runs with the trash off and on (the product default is
    --trash-days 1: unlink, rmdir and rename-overwrite then move entries into .trash)."""
    from harness import Volume
    trash, meta = request.param
    return Volume(workdir, fs, meta=meta).format(trash_days=trash)


@pytest.fixture(params=_ENGINES)
def plain_volume(request, workdir, fs):
    """A volume without trash, for tests about space coming back after deletion."""
    from harness import Volume
    return Volume(workdir, fs, meta=request.param).format(trash_days=0)
AT_FDCWD = -100
RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2
FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE = 1, 2
libc.renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]


def _check(rc, what):
    if rc != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), what)


def renameat2(src, dst, flags):
    _check(libc.renameat2(AT_FDCWD, os.fsencode(src), AT_FDCWD, os.fsencode(dst), flags), src)


def fallocate(fd, mode, off, length):
    _check(libc.fallocate(fd, mode, off, length), "fallocate")


def rand_bytes(n, seed=1):
    return random.Random(seed).randbytes(n)


def write_file(path, data: bytes):
    with open(path, "wb") as f:
        f.write(data)


def read_file(path) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def as_user(uid, gid, fn, *args):
    """Run fn(*args) in a forked child with (uid, gid) and no supplementary groups; return its result.

    fn returns something JSON-serialisable; an OSError it raises comes back as {"errno": N}.
    """
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        code = 0
        try:
            os.close(r)
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            try:
                res = fn(*args)
            except OSError as e:
                res = {"errno": e.errno}
            os.write(w, json.dumps(res).encode())
        except BaseException as e:  # noqa: BLE001 - report anything to the parent
            os.write(w, json.dumps({"child_error": repr(e)}).encode())
            code = 1
        finally:
            os._exit(code)
    os.close(w)
    with os.fdopen(r) as f:
        out = f.read()
    os.waitpid(pid, 0)
    res = json.loads(out)
    assert not (isinstance(res, dict) and "child_error" in res), res
    return res


def err(e: int):
    return {"errno": e}


# ----------------------------------------------------------------------------------------------
# data


def test_create_read_write_append(mnt):
    p = mnt / "a.txt"
    write_file(p, b"hello")
    assert read_file(p) == b"hello"
    with open(p, "ab") as f:
        f.write(b" world")
    fd1 = os.open(p, os.O_WRONLY | os.O_APPEND)
    fd2 = os.open(p, os.O_WRONLY | os.O_APPEND)
    os.write(fd1, b"1")
    os.write(fd2, b"2")
    os.write(fd1, b"3")
    os.close(fd1)
    os.close(fd2)
    assert read_file(p) == b"hello world123"
    assert os.stat(p).st_size == 14
    with pytest.raises(FileExistsError):
        os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    write_file(p, b"x")  # O_TRUNC
    assert read_file(p) == b"x"
    assert os.listdir(mnt.path).count("a.txt") == 1


def test_overwrite_in_middle_across_blocks(mnt):
    p = mnt / "big.bin"
    data = bytearray(rand_bytes(12 * MiB, seed=2))
    write_file(p, data)
    patch = rand_bytes(MiB + 3, seed=3)
    off = 4 * MiB - 7  # straddles the 4 MiB block boundary
    with open(p, "r+b") as f:
        f.seek(off)
        f.write(patch)
    data[off:off + len(patch)] = patch
    for small_off in (1, 8 * MiB + 1):  # tiny overwrites too
        with open(p, "r+b") as f:
            f.seek(small_off)
            f.write(b"ZZ")
        data[small_off:small_off + 2] = b"ZZ"
    assert os.stat(p).st_size == len(data)
    assert read_file(p) == bytes(data)
    drop_caches()
    assert hashlib.sha256(read_file(p)).hexdigest() == hashlib.sha256(data).hexdigest()


def test_sparse_file(mnt):
    p = mnt / "sparse"
    far = 70 * MiB + 13  # past the first 64 MiB chunk
    with open(p, "wb") as f:
        f.write(b"A")
        f.seek(far)
        f.write(b"B")
    assert os.stat(p).st_size == far + 1
    with open(p, "rb") as f:
        assert f.read(1) == b"A"
        for off in (1, 4 * MiB - 1, 64 * MiB - 10, far - 5):
            f.seek(off)
            assert f.read(5) == b"\0" * 5, off
        f.seek(far)
        assert f.read() == b"B"
    h = hashlib.sha256(b"A" + b"\0" * (far - 1) + b"B").hexdigest()
    assert sha256_file(p) == h


def test_truncate_down_and_up(mnt):
    p = mnt / "t.bin"
    data = rand_bytes(10 * MiB, seed=4)
    write_file(p, data)
    cut = 3 * MiB + 5
    os.truncate(p, cut)
    assert os.stat(p).st_size == cut
    assert read_file(p) == data[:cut]
    os.truncate(p, 20 * MiB)  # growing must not bring old bytes back
    got = read_file(p)
    assert len(got) == 20 * MiB
    assert got[:cut] == data[:cut]
    assert got[cut:] == b"\0" * (20 * MiB - cut)
    with open(p, "r+b") as f:
        f.truncate(0)
    assert os.stat(p).st_size == 0 and read_file(p) == b""


def test_large_file_sha256(mnt):
    p = mnt / "large.bin"
    rng = random.Random(5)
    h = hashlib.sha256()
    with open(p, "wb") as f:
        for _ in range(100):
            block = rng.randbytes(MiB)
            h.update(block)
            f.write(block)
    assert os.stat(p).st_size == 100 * MiB
    drop_caches()
    assert sha256_file(p) == h.hexdigest()


def test_open_unlinked_file_stays_readable(mnt, volume):
    p = mnt / "ghost"
    data = rand_bytes(5 * MiB, seed=6)
    write_file(p, data)
    fd = os.open(p, os.O_RDWR)
    try:
        os.unlink(p)
        assert not p.exists()
        assert "ghost" not in os.listdir(mnt.path)
        # With the trash on, the entry moved into .trash: one link left (JuiceFS semantics).
        assert os.fstat(fd).st_nlink == (1 if volume.trash_days else 0)
        assert os.pread(fd, len(data), 0) == data
        os.pwrite(fd, b"more", len(data))
        assert os.pread(fd, 4, len(data)) == b"more"
    finally:
        os.close(fd)
    assert not p.exists()


# ----------------------------------------------------------------------------------------------
# namespace


def test_mkdir_rmdir_and_rename(mnt):
    d = mnt / "d1"
    os.makedirs(d / "sub" / "deeper")
    assert os.stat(d).st_nlink == 3  # ., parent's entry, sub/..
    write_file(d / "sub" / "f", b"f")
    with pytest.raises(OSError) as e:
        os.rmdir(d / "sub")
    assert e.value.errno == errno.ENOTEMPTY
    with pytest.raises(FileExistsError):
        os.mkdir(d)
    os.rename(d / "sub", mnt / "moved")
    assert read_file(mnt / "moved" / "f") == b"f"
    assert os.stat(d).st_nlink == 2
    # rename over an existing file replaces it
    write_file(mnt / "x", b"old")
    write_file(mnt / "y", b"new")
    ino_y = os.stat(mnt / "y").st_ino
    os.rename(mnt / "y", mnt / "x")
    assert read_file(mnt / "x") == b"new" and os.stat(mnt / "x").st_ino == ino_y
    assert not (mnt / "y").exists()
    # directory over an empty directory works, over a non-empty one fails
    os.mkdir(mnt / "empty")
    os.rename(mnt / "moved", mnt / "empty")
    assert read_file(mnt / "empty" / "f") == b"f"
    os.mkdir(mnt / "d2")
    with pytest.raises(OSError) as e:
        os.rename(mnt / "d2", mnt / "empty")
    assert e.value.errno in (errno.ENOTEMPTY, errno.EEXIST)
    with pytest.raises(OSError) as e:
        os.rename(mnt / "d2", mnt / "x")
    assert e.value.errno == errno.ENOTDIR
    os.mkdir(d / "deeper")
    with pytest.raises(OSError) as e:
        os.rename(d, d / "deeper" / "loop")  # a directory into itself
    assert e.value.errno == errno.EINVAL
    os.rmdir(d / "deeper")
    os.rmdir(d)
    os.rmdir(mnt / "d2")
    assert sorted(n for n in os.listdir(mnt.path) if not n.startswith(".")) == ["empty", "x"]


def test_renameat2_noreplace_and_exchange(mnt):
    a, b, c = mnt / "a", mnt / "b", mnt / "c"
    write_file(a, b"AAA")
    write_file(b, b"BB")
    with pytest.raises(OSError) as e:
        renameat2(a, b, RENAME_NOREPLACE)
    assert e.value.errno == errno.EEXIST
    assert read_file(a) == b"AAA" and read_file(b) == b"BB"
    renameat2(a, c, RENAME_NOREPLACE)
    assert not a.exists() and read_file(c) == b"AAA"
    renameat2(b, c, RENAME_EXCHANGE)
    assert read_file(b) == b"AAA" and read_file(c) == b"BB"
    os.mkdir(mnt / "dir")
    write_file(mnt / "dir" / "in", b"i")
    renameat2(mnt / "dir", b, RENAME_EXCHANGE)  # a directory and a file swap places
    assert stat.S_ISDIR(os.stat(b).st_mode) and read_file(b / "in") == b"i"
    assert read_file(mnt / "dir") == b"AAA"
    with pytest.raises(FileNotFoundError):
        renameat2(mnt / "nope", c, RENAME_EXCHANGE)


def test_hard_links(mnt, volume):
    a, b = mnt / "orig", mnt / "link"
    write_file(a, b"shared")
    os.link(a, b)
    sa, sb = os.stat(a), os.stat(b)
    assert sa.st_ino == sb.st_ino and sa.st_nlink == sb.st_nlink == 2
    with open(b, "r+b") as f:
        f.write(b"SH")
    assert read_file(a) == b"SHared"
    os.mkdir(mnt / "d")
    os.link(a, mnt / "d" / "third")
    assert os.stat(a).st_nlink == 3
    os.unlink(a)
    # With the trash on, the removed name lives on in .trash and still counts (JuiceFS).
    assert os.stat(b).st_nlink == (3 if volume.trash_days else 2)
    assert read_file(mnt / "d" / "third") == b"SHared"
    with pytest.raises(PermissionError):
        os.link(mnt / "d", mnt / "dirlink")  # no hard links to directories


def test_symlinks(mnt):
    write_file(mnt / "target", b"T")
    os.symlink("target", mnt / "rel")
    os.symlink(str(mnt / "target"), mnt / "abs")
    os.symlink("does/not/exist", mnt / "dangling")
    long_target = "x/" * 1000 + "end"
    os.symlink(long_target, mnt / "long")
    assert os.readlink(mnt / "rel") == "target"
    assert os.readlink(mnt / "long") == long_target
    assert stat.S_ISLNK(os.lstat(mnt / "rel").st_mode)
    assert os.lstat(mnt / "rel").st_size == len("target")
    assert read_file(mnt / "rel") == b"T" and read_file(mnt / "abs") == b"T"
    assert not (mnt / "dangling").exists() and os.path.lexists(mnt / "dangling")
    os.rename(mnt / "rel", mnt / "rel2")
    assert os.readlink(mnt / "rel2") == "target"
    os.unlink(mnt / "rel2")
    assert (mnt / "target").exists()


def test_chmod_chown_utime(mnt):
    p = mnt / "f"
    write_file(p, b"x")
    before = os.stat(p)
    os.chmod(p, 0o4751)
    st = os.stat(p)
    assert stat.S_IMODE(st.st_mode) == 0o4751
    assert st.st_ctime_ns >= before.st_ctime_ns
    os.chown(p, 1000, 1001)
    st = os.stat(p)
    assert (st.st_uid, st.st_gid) == (1000, 1001)
    assert not st.st_mode & stat.S_ISUID  # chown clears setuid
    os.chown(p, -1, 2000)
    assert (os.stat(p).st_uid, os.stat(p).st_gid) == (1000, 2000)
    atime, mtime = 1_000_000_000_123_456_789, 1_500_000_000_987_654_321
    os.utime(p, ns=(atime, mtime))
    st = os.stat(p)
    assert st.st_mtime_ns == mtime and st.st_atime_ns == atime
    os.mkdir(mnt / "d", 0o700)
    os.chmod(mnt / "d", 0o1777)
    assert stat.S_IMODE(os.stat(mnt / "d").st_mode) == 0o1777
    os.symlink("f", mnt / "l")
    os.chown(mnt / "l", 1234, 1234, follow_symlinks=False)
    assert os.lstat(mnt / "l").st_uid == 1234 and os.stat(p).st_uid == 1000


def test_mtime_follows_writes(mnt):
    p = mnt / "m"
    write_file(p, b"1")
    os.utime(p, ns=(10**18, 10**18))  # a known old time, then a write must move it to "now"
    with open(p, "ab") as f:
        f.write(b"2")
    assert os.stat(p).st_mtime_ns != 10**18
    d_before = os.stat(mnt.path).st_mtime_ns
    os.utime(mnt.path, ns=(10**18, 10**18))
    write_file(mnt / "new", b"")
    assert os.stat(mnt.path).st_mtime_ns != 10**18, d_before


def test_xattrs(mnt):
    p = mnt / "x"
    write_file(p, b"")
    os.setxattr(p, "user.a", b"1")
    os.setxattr(p, "user.bin", bytes(range(256)))
    os.setxattr(p, "user.empty", b"")
    assert os.getxattr(p, "user.a") == b"1"
    assert os.getxattr(p, "user.bin") == bytes(range(256))
    assert os.getxattr(p, "user.empty") == b""
    assert {"user.a", "user.bin", "user.empty"} <= set(os.listxattr(p))
    with pytest.raises(OSError) as e:
        os.setxattr(p, "user.a", b"2", os.XATTR_CREATE)
    assert e.value.errno == errno.EEXIST
    with pytest.raises(OSError) as e:
        os.setxattr(p, "user.none", b"2", os.XATTR_REPLACE)
    assert e.value.errno == errno.ENODATA
    os.setxattr(p, "user.a", b"22", os.XATTR_REPLACE)
    assert os.getxattr(p, "user.a") == b"22"
    os.removexattr(p, "user.a")
    with pytest.raises(OSError) as e:
        os.getxattr(p, "user.a")
    assert e.value.errno == errno.ENODATA
    assert "user.a" not in os.listxattr(p)
    os.mkdir(mnt / "d")
    os.setxattr(mnt / "d", "user.dir", b"yes")
    assert os.getxattr(mnt / "d", "user.dir") == b"yes"


def test_statfs(mnt):
    st = os.statvfs(mnt.path)
    assert st.f_bsize > 0 and st.f_frsize > 0
    assert st.f_blocks > 0 and 0 <= st.f_bfree <= st.f_blocks and st.f_bavail <= st.f_bfree
    assert st.f_files > 0 and 0 <= st.f_ffree <= st.f_files
    assert st.f_namemax >= 255
    used0 = (st.f_blocks - st.f_bfree) * st.f_frsize
    inodes0 = st.f_files - st.f_ffree
    for i in range(10):
        write_file(mnt / f"f{i}", rand_bytes(MiB, seed=i))

    def grown():
        s = os.statvfs(mnt.path)
        return (s.f_blocks - s.f_bfree) * s.f_frsize >= used0 + 10 * MiB and s.f_files - s.f_ffree >= inodes0 + 10
    wait_until(grown, 30, "statfs to count 10 new 1 MiB files")


def test_capacity_and_inodes_limits_show_in_statfs(workdir, fs):
    from harness import Volume
    vol = Volume(workdir, fs).format("--capacity", "1", "--inodes", "1000")
    m = vol.mount(workdir / "mnt")
    try:
        st = os.statvfs(m.path)
        assert st.f_blocks * st.f_frsize == 1 << 30
        assert st.f_files == 1000
        with pytest.raises(OSError) as e:  # usage counters may lag a little (juicefs overshoots by a few)
            for i in range(1200):
                write_file(m / f"f{i}", b"")
        assert e.value.errno == errno.ENOSPC
    finally:
        m.umount()


def test_fallocate_and_punch_hole(mnt):
    p = mnt / "fa"
    fd = os.open(p, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        os.posix_fallocate(fd, 0, 6 * MiB)
        assert os.fstat(fd).st_size == 6 * MiB
        assert os.pread(fd, 16, 5 * MiB) == b"\0" * 16
        data = rand_bytes(6 * MiB, seed=7)
        os.pwrite(fd, data, 0)
        fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, MiB + 100, 3 * MiB)
        assert os.fstat(fd).st_size == 6 * MiB
        expect = data[:MiB + 100] + b"\0" * (3 * MiB) + data[4 * MiB + 100:]
        assert os.pread(fd, 6 * MiB, 0) == expect
        fallocate(fd, FALLOC_FL_KEEP_SIZE, 6 * MiB, MiB)  # preallocate past EOF, size unchanged
        assert os.fstat(fd).st_size == 6 * MiB
    finally:
        os.close(fd)
    drop_caches()
    assert read_file(p) == expect


def test_copy_file_range(mnt):
    src, dst = mnt / "src", mnt / "dst"
    data = rand_bytes(9 * MiB + 17, seed=8)
    write_file(src, data)
    write_file(dst, b"D" * 100)
    with open(src, "rb") as fs_, open(dst, "r+b") as fd_:
        copied = 0
        n = 8 * MiB
        while copied < n:
            c = os.copy_file_range(fs_.fileno(), fd_.fileno(), n - copied, MiB + 3 + copied, 50 + copied)
            assert c > 0
            copied += c
    expect = b"D" * 50 + data[MiB + 3:MiB + 3 + 8 * MiB]
    assert os.stat(dst).st_size == len(expect)
    drop_caches()
    assert read_file(dst) == expect
    assert read_file(src) == data


# ----------------------------------------------------------------------------------------------
# locks: a second process must see the first one's lock

_LOCK_PROBE = textwrap.dedent("""
    import fcntl, os, sys
    kind, path = sys.argv[1], sys.argv[2]
    fd = os.open(path, os.O_RDWR)
    try:
        if kind == "flock":
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        elif kind == "flock_sh":
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        else:  # posix byte range: "posix:START:LEN"
            _, start, length = kind.split(":")
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, int(length), int(start))
    except BlockingIOError:
        sys.exit(11)
    sys.exit(0)
""")


def _probe(kind, path) -> int:
    return subprocess.run([sys.executable, "-c", _LOCK_PROBE, kind, str(path)], timeout=60).returncode


def test_flock_conflict_between_processes(mnt):
    p = mnt / "lock"
    write_file(p, b"")
    with open(p, "r+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        assert _probe("flock", p) == 11
        assert _probe("flock_sh", p) == 11
        fcntl.flock(f, fcntl.LOCK_SH)
        assert _probe("flock_sh", p) == 0
        assert _probe("flock", p) == 11
        fcntl.flock(f, fcntl.LOCK_UN)
        assert _probe("flock", p) == 0


def test_posix_lock_conflict_between_processes(mnt):
    p = mnt / "plock"
    write_file(p, b"\0" * 1000)
    with open(p, "r+b") as f:
        fcntl.lockf(f, fcntl.LOCK_EX, 100, 0)  # bytes [0, 100)
        assert _probe("posix:50:10", p) == 11
        assert _probe("posix:100:100", p) == 0
        assert _probe("posix:0:0", p) == 11  # whole file
        fcntl.lockf(f, fcntl.LOCK_UN, 100, 0)
        assert _probe("posix:0:0", p) == 0


# ----------------------------------------------------------------------------------------------
# permissions as an unprivileged user (the mount is root's; Linux rules apply)


def test_permissions_as_other_users(mnt):
    root_dir = mnt / "rootonly"
    os.mkdir(root_dir, 0o755)
    write_file(root_dir / "secret", b"s")
    os.chmod(root_dir / "secret", 0o600)
    write_file(root_dir / "public", b"p")
    os.chmod(root_dir / "public", 0o644)
    os.mkdir(mnt / "closed", 0o700)

    def try_open(path, flags):
        os.close(os.open(path, flags, 0o644))
        return "ok"

    def try_read(path):
        with open(path, "rb") as f:
            return f.read().decode()

    nobody = (65534, 65534)
    assert as_user(*nobody, try_open, str(root_dir / "secret"), os.O_RDONLY) == err(errno.EACCES)
    assert as_user(*nobody, try_read, str(root_dir / "public")) == "p"
    assert as_user(*nobody, try_open, str(root_dir / "public"), os.O_WRONLY) == err(errno.EACCES)
    assert as_user(*nobody, try_open, str(root_dir / "new"), os.O_WRONLY | os.O_CREAT) == err(errno.EACCES)
    assert as_user(*nobody, os.mkdir, str(root_dir / "newdir")) == err(errno.EACCES)
    assert as_user(*nobody, os.unlink, str(root_dir / "public")) == err(errno.EACCES)
    assert as_user(*nobody, os.listdir, str(mnt / "closed")) == err(errno.EACCES)
    assert as_user(*nobody, os.stat, str(mnt / "closed" / "x")) == err(errno.EACCES)
    assert as_user(*nobody, os.chmod, str(root_dir / "public"), 0o666) == err(errno.EPERM)
    assert as_user(*nobody, os.chown, str(root_dir / "public"), 65534, 65534) == err(errno.EPERM)
    assert as_user(*nobody, os.utime, str(root_dir / "public"), (1, 1)) == err(errno.EPERM)
    assert not (root_dir / "new").exists() and not (root_dir / "newdir").exists()

    # a user's own files: full control; group bits apply to the group
    os.mkdir(mnt / "home", 0o755)
    os.chown(mnt / "home", 1000, 1000)
    assert as_user(1000, 1000, try_open, str(mnt / "home" / "mine"), os.O_WRONLY | os.O_CREAT) == "ok"
    assert os.stat(mnt / "home" / "mine").st_uid == 1000
    assert as_user(1000, 1000, os.chmod, str(mnt / "home" / "mine"), 0o640) is None
    assert as_user(1001, 1000, try_read, str(mnt / "home" / "mine")) == ""
    assert as_user(*nobody, try_open, str(mnt / "home" / "mine"), os.O_RDONLY) == err(errno.EACCES)


def test_sticky_bit_directory(mnt):
    tmp = mnt / "tmp"
    os.mkdir(tmp)
    os.chmod(tmp, 0o1777)

    def create(path):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o666))
        os.chmod(path, 0o666)
        return "ok"

    assert as_user(1000, 1000, create, str(tmp / "alice")) == "ok"
    assert as_user(65534, 65534, create, str(tmp / "bob")) == "ok"
    # others may write the file (0666) but not remove or rename it
    assert as_user(65534, 65534, os.unlink, str(tmp / "alice")) == err(errno.EPERM)
    assert as_user(65534, 65534, os.rename, str(tmp / "alice"), str(tmp / "stolen")) == err(errno.EPERM)
    assert as_user(65534, 65534, os.rename, str(tmp / "bob"), str(tmp / "alice")) == err(errno.EPERM)
    assert (tmp / "alice").exists()
    assert as_user(1000, 1000, os.unlink, str(tmp / "alice")) is None
    assert not (tmp / "alice").exists()
    os.unlink(tmp / "bob")  # root may


# ----------------------------------------------------------------------------------------------
# internal files and persistence


def test_stats_and_config_virtual_files(mnt, volume):
    names = os.listdir(mnt.path)
    assert ".stats" in names and ".config" in names
    stats = (mnt / ".stats").read_text()
    lines = [l for l in stats.splitlines() if l.strip()]
    assert lines, ".stats is empty"
    for l in lines:
        name, value = l.split(" ")
        float(value)
        assert name.startswith(("tierfs_", "juicefs_")), l
    cfg = json.loads((mnt / ".config").read_text())
    assert cfg["Format"]["Name"] == volume.name
    assert not cfg["Format"].get("SecretKey")
    assert stat.S_IMODE(os.stat(mnt / ".stats").st_mode) == 0o444
    assert stat.S_IMODE(os.stat(mnt / ".config").st_mode) == 0o400
    with pytest.raises(OSError):
        write_file(mnt / ".stats", b"x")


def test_remount_persistence(mnt):
    data = rand_bytes(9 * MiB, seed=9)
    os.makedirs(mnt / "a" / "b")
    write_file(mnt / "a" / "b" / "data", data)
    os.chmod(mnt / "a" / "b" / "data", 0o640)
    os.chown(mnt / "a" / "b" / "data", 1000, 1000)
    os.utime(mnt / "a" / "b" / "data", ns=(1_600_000_000_000_000_001, 1_600_000_000_000_000_002))
    os.symlink("b/data", mnt / "a" / "link")
    os.link(mnt / "a" / "b" / "data", mnt / "hard")
    os.setxattr(mnt / "a", "user.k", b"v")
    with open(mnt / "sparse", "wb") as f:
        f.seek(5 * MiB)
        f.write(b"end")
    before = {p: os.lstat(mnt / p) for p in ("a", "a/b", "a/b/data", "a/link", "hard", "sparse")}
    m2 = mnt.remount()
    try:
        assert read_file(m2 / "a" / "b" / "data") == data
        assert os.readlink(m2 / "a" / "link") == "b/data"
        assert os.getxattr(m2 / "a", "user.k") == b"v"
        assert read_file(m2 / "sparse") == b"\0" * (5 * MiB) + b"end"
        for p, old in before.items():
            new = os.lstat(m2 / p)
            for field in ("st_ino", "st_mode", "st_uid", "st_gid", "st_size", "st_nlink", "st_mtime_ns"):
                assert getattr(new, field) == getattr(old, field), (p, field)
    finally:
        m2.umount()


# ----------------------------------------------------------------------------------------------
# directory listings, set-id bits, interrupted lock waits, space of open-unlinked files

libc.opendir.restype = ctypes.c_void_p
libc.opendir.argtypes = [ctypes.c_char_p]
libc.readdir.restype = ctypes.c_void_p
libc.readdir.argtypes = [ctypes.c_void_p]
libc.rewinddir.argtypes = [ctypes.c_void_p]
libc.closedir.argtypes = [ctypes.c_void_p]


def _readdir_names(dirp) -> set[str]:
    """Every name readdir(3) returns from the current position to the end (struct dirent: d_name at 19)."""
    names = set()
    while True:
        ent = libc.readdir(dirp)
        if not ent:
            return names
        names.add(ctypes.string_at(ent + 19).decode())


def test_rewinddir_lists_the_directory_afresh(mnt):
    d = mnt / "rw"
    os.mkdir(d)
    write_file(d / "a", b"")
    dirp = libc.opendir(os.fsencode(d))
    assert dirp
    try:
        assert _readdir_names(dirp) == {".", "..", "a"}
        write_file(d / "b", b"")
        os.unlink(d / "a")
        libc.rewinddir(dirp)
        assert _readdir_names(dirp) == {".", "..", "b"}  # as ext4: rewinddir sees the changes
    finally:
        libc.closedir(dirp)


@pytest.mark.parametrize("mode,after", [(0o4777, 0o777), (0o2777, 0o777), (0o6777, 0o777)])
def test_write_by_another_user_clears_setid_bits(mnt, mode, after):
    p = mnt / f"setid-{mode:o}"
    write_file(p, b"root's")
    os.chmod(p, mode)
    assert stat.S_IMODE(os.stat(p).st_mode) == mode

    def append(path):
        with open(path, "ab") as f:
            f.write(b" and nobody's")
        return "ok"

    assert as_user(65534, 65534, append, str(p)) == "ok"  # Linux: the write succeeds ...
    assert stat.S_IMODE(os.stat(p).st_mode) == after  # ... and clears the set-id bits
    assert read_file(p) == b"root's and nobody's"


_LOCK_WAITER = textwrap.dedent("""
    import fcntl, os, signal, sys
    lock, how, path = sys.argv[1], sys.argv[2], sys.argv[3]
    fd = os.open(path, os.O_RDWR)

    class Interrupted(Exception):
        pass

    def on_alarm(*_):
        raise Interrupted()  # a handler that raises: Python does not restart the call (PEP 475)

    if how == "signal":
        signal.signal(signal.SIGALRM, on_alarm)
    print("waiting", flush=True)
    if how == "signal":
        signal.alarm(2)
    try:
        if lock == "flock":
            fcntl.flock(fd, fcntl.LOCK_EX)
        else:
            fcntl.lockf(fd, fcntl.LOCK_EX, 0, 0)
    except Interrupted:
        print("interrupted", flush=True)
        sys.exit(4)
    print("granted", flush=True)
    sys.exit(0)
""")


@pytest.mark.parametrize("how", ["kill", "signal"])
@pytest.mark.parametrize("lock", ["flock", "posix"])
def test_interrupted_lock_wait_ends_and_is_never_granted(mnt, lock, how):
    """A blocking flock/F_SETLKW ended by a signal (FUSE INTERRUPT) stops waiting at once and
    never gets the lock afterwards (Linux semantics)."""
    p = mnt / f"lock-{lock}-{how}"
    write_file(p, b"x" * 10)
    with open(p, "r+b") as holder:
        if lock == "flock":
            fcntl.flock(holder, fcntl.LOCK_EX)
        else:
            fcntl.lockf(holder, fcntl.LOCK_EX, 0, 0)
        w = subprocess.Popen([sys.executable, "-c", _LOCK_WAITER, lock, how, str(p)],
                             stdout=subprocess.PIPE, text=True)
        try:
            assert w.stdout.readline().strip() == "waiting"
            wait_until(lambda: _in_lock_wait(w.pid), 30, "the waiter to block in the lock call")
            if how == "kill":
                w.kill()
                assert w.wait(timeout=20) == -9, "a killed lock waiter did not die while the lock was held"
            else:  # SIGALRM after 2 s: the call must return EINTR while we still hold the lock
                assert w.wait(timeout=30) == 4, "the signal did not end the lock wait"
                assert w.stdout.read().strip() == "interrupted"
        finally:
            if w.poll() is None:
                w.kill()
                w.wait()
        # The interrupted waiter holds nothing: we still hold the lock ...
        assert _probe("flock" if lock == "flock" else "posix:0:0", p) == 11
    # ... and once we closed it, nobody holds it: a non-blocking probe gets it at once.
    assert _probe("flock" if lock == "flock" else "posix:0:0", p) == 0


def _in_lock_wait(pid) -> bool:
    """True once the process sleeps in the kernel on a FUSE request (or any blocking syscall)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        with open(f"/proc/{pid}/syscall") as f:
            sc = f.read().split()[0]
    except OSError:
        return False
    return state in ("S", "D") and sc in ("72", "73")  # fcntl, flock (x86_64)


def _used(mnt) -> tuple[int, int]:
    s = os.statvfs(mnt.path)
    return (s.f_blocks - s.f_bfree) * s.f_frsize, s.f_files - s.f_ffree


def test_space_of_open_unlinked_files_is_returned(plain_volume, workdir):
    volume = plain_volume
    mnt = volume.mount(workdir / "mnt")
    used0 = _used(mnt)
    chunk = rand_bytes(MiB, seed=11)
    fd = os.open(mnt / "u1", os.O_RDWR | os.O_CREAT, 0o644)
    os.unlink(mnt / "u1")
    for i in range(256):
        os.pwrite(fd, chunk, i * MiB)
    os.close(fd)
    fd = os.open(mnt / "u2", os.O_RDWR | os.O_CREAT, 0o644)
    for i in range(64):
        os.pwrite(fd, chunk, i * MiB)
    os.fsync(fd)
    os.unlink(mnt / "u2")
    os.ftruncate(fd, 0)
    os.close(fd)
    # Deletion is asynchronous: wait (bounded) for the objects to go, then the counters must be back.
    wait_until(lambda: not volume.chunk_objects(), 60, "the unlinked files' objects to be deleted")
    wait_until(lambda: _used(mnt) == used0, 30, f"df to return to {used0} (now {_used(mnt)})")
    mnt.umount()


def _fuse_reads(mnt) -> tuple[int, int]:
    """tierfs_fuse_ops_total_read as `.stats` shows it at open, and the number of FUSE reads this
    call itself made of `.stats` (counted in the next snapshot). `.stats` is direct I/O: every
    read(2) of at most 64 KiB (below any max_read) is exactly one FUSE read, so the count is
    exact; a buffered read's count depends on the text's length, which changes as counters
    gain digits."""
    fd = os.open(mnt / ".stats", os.O_RDONLY)
    chunks, calls = [], 0
    try:
        while True:
            b = os.read(fd, 64 * 1024)
            calls += 1
            if not b:
                break
            chunks.append(b)
    finally:
        os.close(fd)
    for line in b"".join(chunks).decode().splitlines():
        if line.startswith("tierfs_fuse_ops_total_read "):
            return int(float(line.split()[1])), calls
    raise AssertionError("no tierfs_fuse_ops_total_read in .stats")


def test_page_cache_kept_while_unchanged_and_dropped_after_another_mounts_write(mnt, volume, workdir, fs):
    """An open of a file unchanged since the last open keeps the kernel's cached pages (no FUSE
    reads); after another mount rewrote it (same length), the next open reads the new bytes."""
    if fs.flavor != "tierfs":
        pytest.skip(".stats counters are tierfs's")
    p = mnt / "cached"
    write_file(p, rand_bytes(2 * MiB, seed=21))
    data = read_file(p)  # fills the page cache
    before, own = _fuse_reads(mnt)
    for _ in range(3):
        assert read_file(p) == data
    after, own_after = _fuse_reads(mnt)
    assert after - before - own == 0, "an unchanged file was read through FUSE again"
    other = volume.mount(workdir / "other")
    try:
        new = rand_bytes(2 * MiB, seed=22)
        write_file(other / "cached", new)
    finally:
        other.umount()
    assert read_file(p) == new  # close-to-open: the next open sees the other mount's write
    assert _fuse_reads(mnt)[0] - after - own_after > 0, "the rewritten file came from the page cache"


def test_an_open_after_another_mounts_rewrite_reads_it_while_an_older_descriptor_stays_open(mnt, volume, workdir):
    """Close-to-open with a descriptor kept open: this mount read f through fd (the slice
    lists it read stay with the open file); another mount rewrites f in place (same length,
    no truncate); a new open here reads the new bytes, and so does fd once the attributes
    are re-read (a stat)."""
    old, new = b"o" * 300_000, b"n" * 300_000
    (mnt / "f").write_bytes(old)
    fd = os.open(mnt / "f", os.O_RDONLY)
    try:
        assert os.pread(fd, len(old), 0) == old
        other = volume.mount(workdir / "other")
        try:
            with open(other / "f", "r+b") as w:
                w.write(new)
        finally:
            other.umount()
        assert (mnt / "f").read_bytes() == new, "a new open read the old bytes"
        os.stat(mnt / "f")
        assert os.pread(fd, len(new), 0) == new, "the older descriptor read the old bytes"
    finally:
        os.close(fd)


@pytest.mark.parametrize("read", ["stat", "open", "getxattr", "chmod"])
def test_a_name_replaced_by_another_mount_resolves_to_the_new_file(plain_volume, workdir, read):
    """Atomic replacement (write a temporary file, rename it over the name) done by another
    mount, while this mount's kernel still holds the old dentry (entry cache 30 s, attributes
    uncached): the old inode is gone at the server, so the request for it fails, and the kernel
    must walk the path again (ESTALE) and find the new file, never ENOENT for a name that exists."""
    a = plain_volume.mount(workdir / "a")
    try:
        b = plain_volume.mount(workdir / "b", extra=["--entry-cache", "30", "--attr-cache", "0"])
        try:
            write_file(a / "f", b"old")
            assert read_file(b / "f") == b"old"  # B's kernel caches the dentry f -> old inode
            write_file(a / "f.tmp", b"new!")
            os.rename(a / "f.tmp", a / "f")
            if read == "stat":
                assert os.stat(b / "f").st_size == 4
            elif read == "open":
                assert read_file(b / "f") == b"new!"
            elif read == "getxattr":
                with pytest.raises(OSError) as e:
                    os.getxattr(b / "f", "user.none")
                assert e.value.errno == errno.ENODATA
            else:
                os.chmod(b / "f", 0o600)
                assert os.stat(a / "f").st_mode & 0o777 == 0o600
            os.unlink(a / "f")  # and a name that is really gone is ENOENT
            with pytest.raises(FileNotFoundError):
                os.stat(b / "f")
        finally:
            b.umount()
    finally:
        a.umount()
