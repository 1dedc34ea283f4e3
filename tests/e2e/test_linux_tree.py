"""The Linux source tree on a mount: extract, verify every byte, walk it, git it, remount, delete it all.

Fast tier: a subtree (~700 entries, incl. symlinks). Full tier: the whole tree (~84k entries, 1.3 GB).
"""
from __future__ import annotations

import os
import subprocess

import pytest

import linux_tree as L
from harness import wait_until


def _usage(path):
    st = os.statvfs(path)
    return (st.f_blocks - st.f_bfree) * st.f_frsize, st.f_files - st.f_ffree


def _run(cmd, cwd=None, timeout=3600):
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, f"{cmd} -> {p.returncode}\n{p.stderr[-3000:]}"
    return p.stdout


def _workload(volume, mnt, patterns, cleanup_deadline):
    expected = L.select(L.manifest(), patterns)
    files = sum(1 for v in expected.values() if v[0] == "f")
    assert files > 0
    used0, inodes0 = _usage(mnt.path)

    L.extract(mnt.path, patterns)
    assert L.verify(mnt.path, expected) == []

    top = mnt / L.TOP
    assert len(_run(["find", str(top), "-type", "f"]).splitlines()) == files
    assert int(_run(["du", "-s", "--block-size=1", str(top)]).split()[0]) > 0
    subprocess.run(["ls", "-lR", str(top)], stdout=subprocess.DEVNULL, check=True)
    git = ["git", "-c", "safe.directory=*", "-c", "user.name=e2e", "-c", "user.email=e2e@example.com"]
    _run(git + ["init", "-q"], cwd=top)
    _run(git + ["add", "-A", "-f"], cwd=top)  # -f: Debian's tarball ships a .gitignore of "/*"
    _run(git + ["commit", "-q", "-m", "x"], cwd=top)
    assert _run(git + ["status", "--porcelain", "--ignored"], cwd=top) == ""
    tracked = len(_run(git + ["ls-files"], cwd=top).splitlines())
    assert tracked == files + sum(1 for v in expected.values() if v[0] == "l")

    m2 = mnt.remount()
    try:
        assert L.verify(m2.path, expected) == []
        # git re-checks every file against its index after the remount (ino/ctime changes force re-hashing)
        assert _run(git + ["status", "--porcelain"], cwd=m2 / L.TOP) == ""
        _run(["rm", "-rf", str(m2 / L.TOP)])
        assert [n for n in os.listdir(m2.path) if not n.startswith(".")] == []
        wait_until(lambda: _usage(m2.path) == (used0, inodes0), cleanup_deadline,
                   f"used space/inodes back to {(used0, inodes0)} (now {_usage(m2.path)})", interval=0.5)
        wait_until(lambda: not volume.chunk_objects(), cleanup_deadline,
                   f"no block objects left under {volume.chunks_dir}", interval=0.5)
    finally:
        m2.umount()


def test_linux_subtree(volume, mnt):
    _workload(volume, mnt, L.FAST_SUBTREE, cleanup_deadline=120)


@pytest.mark.full
def test_linux_whole_tree(volume, mnt):
    _workload(volume, mnt, None, cleanup_deadline=900)
