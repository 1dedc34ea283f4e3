"""Write-back staging (issue 8) through real mounts on a real MinIO that counts the PUTs itself
(minio_s3_requests_total): small files are staged and usable at once, uploaded only after
--upload-delay or `tierfs flush`; files over --writeback-max-size are in the bucket when close
returns; files deleted before their upload cost no PUT; staged blocks survive kill -9 of the mount
(also while MinIO is down) and reach the bucket afterwards, with `juicefs fsck` clean.

Runs: python3 -m pytest tests/e2e/test_writeback.py (TIERFS_WB_CRASH_ROUNDS, default 20;
TIERFS_WB_DELETED_FILES, default 10000). This file is also the crash writer:
`python3 test_writeback.py writer DIR JOURNAL SEED`.
"""
from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness import Volume, drop_caches, is_mounted, sha256_file, wait_until
from minio_server import MinioServer

KiB, MiB = 1 << 10, 1 << 20
WRITEBACK = ["--writeback", "--upload-delay", "1h"]
ROUNDS = int(os.environ.get("TIERFS_WB_CRASH_ROUNDS", "20"))
DELETED_FILES = int(os.environ.get("TIERFS_WB_DELETED_FILES", "10000"))


@pytest.fixture
def minio(workdir):
    m = MinioServer(workdir / "minio").start()
    yield m
    m.stop()


def _data(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def _cache_dir(vol: Volume) -> Path:
    return vol.root / f"cache-{vol.binary.flavor}"


def _staged(vol: Volume) -> list[Path]:
    uuid = vol.status()["Setting"]["UUID"]
    root = _cache_dir(vol) / uuid / "rawstaging"
    return [Path(d) / f for d, _, fs in os.walk(root) for f in fs]


def _fsck(jfs, vol: Volume):
    if jfs is None:
        return
    p = jfs.run("fsck", vol.meta_url, "--path", "/", "--recursive", timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    low = p.stderr.lower()
    assert "lost" not in low and "broken" not in low and "can't find" not in low, p.stderr[-3000:]


def _flush(fs, m):
    p = fs.run("flush", m.path, timeout=600)
    assert p.returncode == 0, f"tierfs flush: {p.stderr}\n{m.log_tail()}"


def _read_back_from_the_bucket(vol: Volume, path: Path, files: dict[str, str]):
    """Mounts without write-back and with an empty cache directory, so every byte comes from
    MinIO, and compares the sha256 of each file."""
    shutil.rmtree(_cache_dir(vol), ignore_errors=True)
    m = vol.mount(path)
    try:
        for name, digest in files.items():
            assert sha256_file(m / name) == digest, name
    finally:
        m.umount()


def test_small_files_are_staged_used_at_once_and_uploaded_only_when_flushed(fs, jfs, workdir, minio):
    vol = Volume(workdir, fs, minio=minio).format()
    m = vol.mount(workdir / "mnt", extra=WRITEBACK)
    try:
        puts = minio.requests()
        assert puts > 0, "MinIO counted no PUT of format's: the counter is not what we read"
        rnd = random.Random(8)
        files = {}
        for i in range(120):
            data = _data(rnd.choice([4 * KiB, 100 * KiB, 1 * MiB, 5 * MiB + 3]), i)
            (m / f"small{i}").write_bytes(data)
            files[f"small{i}"] = hashlib.sha256(data).hexdigest()
        assert minio.requests() == puts, "a file under --writeback-max-size was uploaded before the delay"
        staged = _staged(vol)
        assert len(staged) >= 120, len(staged)
        drop_caches()
        for name, digest in files.items():  # read from the staged copies
            assert sha256_file(m / name) == digest, name
        stats = (m / ".stats").read_text()
        assert "tierfs_staging_reads 0\n" not in stats

        # Over the limit (25 MiB by default): in the bucket when close returns, nothing staged.
        big = _data(30 * MiB + 5, 99)
        (m / "big").write_bytes(big)
        files["big"] = hashlib.sha256(big).hexdigest()
        assert minio.requests() - puts >= 8, "the 30 MiB file's 8 blocks were not uploaded by close"
        assert len(_staged(vol)) == len(staged), "blocks of a file over the limit were staged"

        _flush(fs, m)
        assert _staged(vol) == []
        assert "tierfs_staging_blocks 0\n" in (m / ".stats").read_text()
    finally:
        m.umount()
    _read_back_from_the_bucket(vol, workdir / "mnt", files)
    _fsck(jfs, vol)


def test_files_deleted_before_their_upload_cause_no_put(fs, workdir, minio):
    vol = Volume(workdir, fs, minio=minio).format()
    m = vol.mount(workdir / "mnt", extra=WRITEBACK)
    try:
        puts = minio.requests()
        d = m / "d"
        d.mkdir()
        for i in range(DELETED_FILES):
            p = d / f"f{i}"
            p.write_bytes(_data(4 * KiB + (i % 7) * 1000, i))
            if i % 3 == 0:  # some overwritten first, some truncated, the rest just deleted
                p.write_bytes(b"again")
            elif i % 3 == 1:
                os.truncate(p, 0)
            p.unlink()
        # Deletions of staged blocks are done by the mount's cleanup, which may trail the unlinks.
        try:
            wait_until(lambda: _staged(vol) == [], 120, "staged blocks of the deleted files to go")
        except AssertionError:
            left = _staged(vol)
            stats = [l for l in (m / ".stats").read_text().splitlines() if "staging" in l]
            raise AssertionError(f"{len(left)} staged files left, e.g. {left[:5]}; {stats}")
        assert minio.requests() - puts == 0
        stats = (m / ".stats").read_text()
        dropped = int(stats.split("tierfs_staging_dropped ", 1)[1].split("\n", 1)[0])
        assert dropped >= DELETED_FILES, stats
    finally:
        m.umount()
    assert minio.requests() - puts == 0, "unmounting uploaded something"


# --- crash loop -----------------------------------------------------------------------------

def writer(root: str, journal: str, seed: int):
    """Writes files with fsync until killed; journals "> name" before a file's first write and
    "name sha256" after its fsync returned."""
    rnd = random.Random(seed)
    with open(journal, "a") as j:
        for i in range(100000):
            name = f"{root}/w{seed}_{i}"
            size = rnd.choice([0, 5, 4 * KiB, 60 * KiB, 300 * KiB, 1 * MiB + 17, 5 * MiB])
            data = rnd.randbytes(size)
            j.write(f"> {os.path.basename(name)}\n")
            j.flush()
            try:
                fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                for off in range(0, size, 128 * KiB):
                    os.write(fd, data[off:off + 128 * KiB])
                os.fsync(fd)
                os.close(fd)
            except OSError:
                return  # the mount is gone
            j.write(f"{os.path.basename(name)} {hashlib.sha256(data).hexdigest()}\n")
            j.flush()
            os.fsync(j.fileno())


def _journal(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    out = {}
    for line in path.read_text().splitlines():
        name, digest = line.split()
        if name != ">":  # "> name": a file being written, not yet fsynced
            out[name] = digest
    return out


def _in_flight(path: Path) -> bool:
    """Whether the writer's last journal line says it is in the middle of a file."""
    lines = path.read_text().splitlines() if path.exists() else []
    return bool(lines) and lines[-1].startswith("> ")


def _crash_round(fs, vol, mnt: Path, journal: Path, seed: int, rnd: random.Random, minio_down=None):
    m = vol.mount(mnt, extra=WRITEBACK)
    before = len(_journal(journal))
    w = subprocess.Popen([sys.executable, __file__, "writer", str(mnt / "data"), str(journal), str(seed)])
    try:
        # The kill comes after a random number of fsynced files, while the next one is being
        # written (its "> name" line is the journal's last).
        target = before + rnd.randint(1, 25)
        wait_until(lambda: (len(_journal(journal)) >= target and _in_flight(journal)) or w.poll() is not None,
                   120, f"the writer to journal {target} files")
        if minio_down is not None:
            minio_down()
            wait_until(lambda: (len(_journal(journal)) >= target + 3 and _in_flight(journal))
                       or w.poll() is not None, 120, "writes to go on with MinIO down")
        os.kill(m.proc.pid, signal.SIGKILL)
        m.proc.wait(timeout=30)
    finally:
        if w.poll() is None:
            w.kill()
        w.wait(timeout=30)
        subprocess.run(["fusermount3", "-u", "-z", str(mnt)], capture_output=True)
        m.umount()
    assert not is_mounted(mnt)


def _verify(vol, mnt: Path, files: dict[str, str], extra=WRITEBACK):
    m = vol.mount(mnt, extra=extra)
    try:
        for name, digest in files.items():
            assert sha256_file(m / "data" / name) == digest, f"{name} lost or changed after kill -9"
    finally:
        m.umount()


@pytest.mark.parametrize("minio_stops", [False, True], ids=["minio-up", "minio-stopped"])
def test_kill_minus_9_in_write_back_loses_no_fsynced_file(fs, jfs, workdir, minio, minio_stops):
    vol = Volume(workdir, fs, minio=minio).format()
    mnt, journal = workdir / "mnt", workdir / "journal"
    m = vol.mount(mnt)
    (m / "data").mkdir()
    m.umount()
    seed0 = int(os.environ.get("TIERFS_WB_CRASH_SEED", str(random.randrange(1 << 30))))
    print(f"write-back crash loop seed {seed0}")
    rnd = random.Random(seed0)
    for r in range(ROUNDS):
        _crash_round(fs, vol, mnt, journal, seed0 + r, rnd, minio.stop if minio_stops else None)
        if minio_stops:
            minio.start()
        files = _journal(journal)
        # Every fsynced file of this round (and, every fifth round, of all rounds) is intact.
        check = files if r % 5 == 4 else {k: v for k, v in files.items() if k.startswith(f"w{seed0 + r}_")}
        _verify(vol, mnt, check)
    files = _journal(journal)
    assert len(files) >= ROUNDS
    assert _staged(vol), "nothing was staged: the loop did not test write-back"
    # Shorten the delay: everything staged reaches the bucket.
    m = vol.mount(mnt, extra=["--writeback", "--upload-delay", "0"])
    try:
        _flush(fs, m)
    finally:
        m.umount()
    assert _staged(vol) == []
    _read_back_from_the_bucket(vol, mnt, {f"data/{k}": v for k, v in files.items()})
    _fsck(jfs, vol)


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "writer":
    writer(sys.argv[2], sys.argv[3], int(sys.argv[4]))


# --- tier 1 shared with JuiceFS ----------------------------------------------------------------

GETS = ("GetObject",)


def _fill_and_read_back(filler, reader, jfs, fs, vol, workdir, minio, files):
    """`filler` writes `files` and fills its cache directory (warmup); `reader` mounts on the same
    directory (a symlink of its own flavor's cache dir) and reads everything: no GET at MinIO."""
    m = vol.mount(workdir / "mnt", binary=filler)
    try:
        for name, data in files.items():
            (m / name).write_bytes(data)
        p = filler.run("warmup", m.path, timeout=600)
        assert p.returncode == 0, p.stderr
        # JuiceFS writes cache files behind its warmup's return: poll its own check.
        def all_cached():
            c = filler.run("warmup", "--check", m.path, timeout=600)
            return "(100.0%)" in c.stdout + c.stderr
        wait_until(all_cached, 120, f"{filler.flavor}'s cache to hold every block")
    finally:
        m.umount()
    own, other = vol.root / f"cache-{reader.flavor}", vol.root / f"cache-{filler.flavor}"
    shutil.rmtree(own, ignore_errors=True)
    own.symlink_to(other)
    m = vol.mount(workdir / "mnt", binary=reader)
    try:
        drop_caches()
        gets = minio.requests(GETS)
        for name, data in files.items():
            assert hashlib.sha256((m / name).read_bytes()).digest() == hashlib.sha256(data).digest(), name
        assert minio.requests(GETS) - gets == 0, f"{reader.flavor} downloaded blocks {filler.flavor} had cached"
        if reader.flavor == "tierfs":
            stats = (m / ".stats").read_text()
            hits = int(stats.split("tierfs_blockcache_hits ", 1)[1].split("\n", 1)[0])
            assert hits > 0, stats
        # The control: evicted, the same reads download (so the count above could have failed).
        p = reader.run("warmup", "--evict", m.path, timeout=600)
        assert p.returncode == 0, p.stderr
        drop_caches()
        gets = minio.requests(GETS)
        for name in files:
            (m / name).read_bytes()
        assert minio.requests(GETS) - gets >= len(files)
    finally:
        m.umount()


@pytest.mark.parametrize("direction", ["juicefs-fills", "tierfs-fills"])
def test_a_cache_directory_filled_by_one_client_serves_the_other(fs, jfs, workdir, minio, direction):
    vol = Volume(workdir, fs, minio=minio).format()
    rnd = random.Random(5)
    files = {f"f{i}": _data(rnd.choice([3000, 70 * KiB, 4 * MiB, 9 * MiB + 5]), i) for i in range(12)}
    filler, reader = (jfs, fs) if direction == "juicefs-fills" else (fs, jfs)
    _fill_and_read_back(filler, reader, jfs, fs, vol, workdir, minio, files)


def _stat(m, name: str) -> float:
    for line in (m / ".stats").read_text().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in .stats")


def test_no_staged_block_waits_past_delay_plus_deadline_under_sustained_writes(fs, workdir, minio):
    """Writes at up to 1.3x the upload bandwidth (--upload-limit 8 Mbps, 0.85 of it used) for 24 s:
    the staging backlog would grow without bound; the deadline makes writers upload directly
    before any staged block is overdue by more than the deadline."""
    delay, deadline = 2.0, 6.0
    vol = Volume(workdir, fs, minio=minio).format()
    m = vol.mount(workdir / "mnt", extra=["--writeback", "--upload-delay", str(delay), "--upload-deadline",
                                          str(deadline), "--upload-limit", "8"])
    try:
        rate = 1.3 * 8e6 / 8 * 0.85  # bytes/s
        size = 64 * KiB
        t0, written = time.monotonic(), 0
        while time.monotonic() - t0 < 24:
            t = time.monotonic()
            (m / f"f{written}").write_bytes(_data(size, written))
            written += 1
            # Pacing the load (not waiting for the system): at most `rate`; a slow write is
            # not made up for by a burst after it.
            time.sleep(max(0.0, size / rate - (time.monotonic() - t)))
        staged_any = _stat(m, "tierfs_staging_uploads") > 0
        _flush(fs, m)
        worst = _stat(m, "tierfs_staging_block_delay_max_seconds")
        direct = _stat(m, "tierfs_staging_uploads") < written
        print(f"{written} files; worst staged wait {worst:.2f} s (delay {delay} + deadline {deadline})")
        assert staged_any, "nothing was uploaded from staging during the run"
        assert direct, "the deadline never sent a write directly: the load did not test it"
        assert worst <= delay + deadline, f"a staged block waited {worst:.1f} s"
    finally:
        m.umount()


def test_warmup_check_and_evict_through_the_mount(fs, workdir, minio):
    vol = Volume(workdir, fs, minio=minio).format()
    m = vol.mount(workdir / "mnt", extra=["--cache-partial-only"])  # reads cache no full block
    try:
        (m / "d").mkdir()
        for i in range(3):
            (m / "d" / f"f{i}").write_bytes(_data(6 * MiB, i))  # one full block, one partial each
        def check():
            p = fs.run("warmup", "--check", m / "d", check=True)
            return float(p.stdout.rsplit("(", 1)[1].split("%", 1)[0])
        drop_caches()
        for i in range(3):
            (m / "d" / f"f{i}").read_bytes()  # caches the partial blocks only, behind the reads
        wait_until(lambda: check() > 25, 60, "the read blocks to reach the disk cache")
        assert check() < 40, check()  # 3 x 2 MiB of 18 MiB: no full block
        p = fs.run("warmup", m / "d", check=True)
        assert "3 files, 6 blocks" in p.stdout, p.stdout
        assert check() == 100.0
        gets = minio.requests(GETS)
        drop_caches()
        for i in range(3):
            assert (m / "d" / f"f{i}").read_bytes() == _data(6 * MiB, i)
        assert minio.requests(GETS) == gets
        fs.run("warmup", "--evict", m / "d" / "f0", check=True)
        assert 60 < check() < 70, check()
    finally:
        m.umount()


def test_bad_write_back_and_cache_input_gets_one_line(fs, workdir, minio):
    from harness import assert_clear_error
    vol = Volume(workdir, fs, minio=minio).format()
    mnt = workdir / "mnt"
    mnt.mkdir()
    for flags, pattern in [
        (["--writeback", "--cache-size", "0"], "writeback needs a disk cache"),
        (["--upload-hours", "25,3"], "upload-hours"),
        (["--upload-hours", "abc"], "upload-hours"),
        (["--cache-eviction", "fifo"], "cache-eviction"),
        (["--verify-cache-checksum", "bogus"], "verify-cache-checksum"),
        (["--free-space-ratio", "1.5"], "free-space-ratio"),
        (["--upload-delay", "soon"], "upload-delay"),
    ]:
        p = fs.run("mount", vol.meta_url, mnt, *flags)
        assert_clear_error(p, pattern)
        assert not is_mounted(mnt)
    assert_clear_error(fs.run("flush", workdir), "not inside a tierfs mount")
    assert_clear_error(fs.run("warmup", workdir / "nothing"), "nothing")
    m = vol.mount(mnt)
    try:
        assert_clear_error(fs.run("warmup", "--check", "--evict", m.path), "exclude")
        (m / "f").write_bytes(b"x")
        p = fs.run("flush", m.path)  # no write-back: nothing to do
        assert p.returncode == 0, p.stderr
        # .control is root's: another user is refused.
        p = subprocess.run(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                            "sh", "-c", f"echo flush > {m.path}/.control"], capture_output=True, text=True)
        assert p.returncode != 0
    finally:
        m.umount()


def test_a_full_staging_disk_falls_back_to_direct_uploads(fs, workdir, minio):
    """The cache directory is a 16 MiB tmpfs: once staging would leave it under
    --free-space-ratio/2 free, blocks are uploaded directly; no write fails."""
    vol = Volume(workdir, fs, minio=minio).format()
    cache = workdir / "cache-tierfs"
    cache.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(cache)], check=True)
    try:
        m = vol.mount(workdir / "mnt", extra=WRITEBACK)
        try:
            puts = minio.requests()
            files = {f"f{i}": _data(1 * MiB + i, i) for i in range(40)}  # 40 MiB > the disk
            for name, data in files.items():
                (m / name).write_bytes(data)
            assert minio.requests() - puts >= 20, "nothing fell back to a direct upload"
            assert len(_staged(vol)) >= 4, "nothing was staged"
            for name, data in files.items():
                assert (m / name).read_bytes() == data, name
            _flush(fs, m)
        finally:
            m.umount()
    finally:
        subprocess.run(["umount", str(cache)], check=False)
    _read_back_from_the_bucket(vol, workdir / "mnt", {k: hashlib.sha256(v).hexdigest() for k, v in files.items()})
