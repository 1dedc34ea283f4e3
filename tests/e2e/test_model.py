"""Model-based test: seeded random op sequences on a tierfs mount and on a local directory must agree.

Each run draws a seed (printed; fix it with TIERFS_MODEL_SEED) and applies TIERFS_MODEL_OPS ops
(default 10,000) per trash setting: create, write at random offsets (sparse, across the 4 MiB block
and 64 MiB chunk marks), truncate, rename (over files and directories, into its own subtree,
noreplace, exchange), link, unlink, mkdir, rmdir, symlink, chmod, xattrs, read, readdir, directory
streams re-read after changes, descriptors kept open across ops (write, read, ftruncate, fstat
through them after unlink or rename), remounts. After every op the results and the touched paths
must match; every 25 ops the whole trees (and, with trash on, the .trash entries) must match.

`-m soak` (`scripts/test.sh soak`) runs 100,000 ops per trash setting (TIERFS_MODEL_LONG_OPS).

On a mismatch the sequence is minimised by delta debugging for up to TIERFS_MODEL_SHRINK_SECS
(default 150 per test) and the test fails with the minimal sequence as a replayable literal. See model_fs.py.
"""
from __future__ import annotations

import ast
import errno
import os
import random
import time

import pytest

import model_fs
from model_fs import Config, Side, fmt_ops, replay, report, run_random, shrink

DEFAULT_OPS = 10_000
LONG_OPS = 100_000


@pytest.fixture(autouse=True)
def _umask():
    old = os.umask(0o022)  # the same umask on both sides, whatever the caller's
    yield
    os.umask(old)


def _seed() -> int:
    s = os.environ.get("TIERFS_MODEL_SEED")
    return int(s) if s else random.SystemRandom().randrange(1 << 32)


def _run(fs, workdir, trash: bool, nops: int):
    seed = _seed()
    cfg = Config(fs, trash)
    print(f"model: seed {seed}, {nops} ops, trash {'on' if trash else 'off'} "
          f"(rerun with TIERFS_MODEL_SEED={seed})")
    t0 = time.monotonic()
    ops, m = run_random(workdir / "run", cfg, seed, nops)
    elapsed = time.monotonic() - t0
    print(f"model: {len(ops)} ops in {elapsed:.1f}s")
    if m is None:
        assert len(ops) == nops
        return
    budget = float(os.environ.get("TIERFS_MODEL_SHRINK_SECS", "150"))
    first = f"first mismatch at op #{m.index}: {m.detail}"
    small, sm, tries = shrink(workdir, cfg, ops, m, budget)
    pytest.fail(f"seed {seed} (TIERFS_MODEL_SEED={seed} TIERFS_MODEL_OPS={nops}): {first}\n"
                f"minimised from {len(ops)} to {len(small)} ops in {tries} replays:\n\n"
                + report(sm, small, trash), pytrace=False)


@pytest.mark.parametrize("trash", [False, True], ids=["trash-off", "trash-on"])
def test_model(fs, workdir, trash):
    _run(fs, workdir, trash, int(os.environ.get("TIERFS_MODEL_OPS", DEFAULT_OPS)))


@pytest.mark.soak
@pytest.mark.parametrize("trash", [False, True], ids=["trash-off", "trash-on"])
def test_model_long(fs, workdir, trash):
    _run(fs, workdir, trash, int(os.environ.get("TIERFS_MODEL_LONG_OPS", LONG_OPS)))


# ----------------------------------------------------------------------------------------------
# the model checks itself: a second local directory with one planted bug must be caught and the
# failing sequence cut down to the few ops that show it


class _LosesTruncateUp(Side):
    """A file system that ignores truncates growing a file past 4 MiB."""

    def op_truncate(self, path, size):
        if size > model_fs.BLOCK and os.lstat(self.p(path)).st_size < size:
            return "ok"
        return super().op_truncate(path, size)


def test_model_catches_and_shrinks_a_planted_bug(workdir):
    cfg = Config(None, False, twin_side=_LosesTruncateUp)
    assert replay(workdir / "clean", Config(None, False), [("create", "a", 0o644, False),
                                                           ("truncate", "a", 5 << 20)]) is None
    for seed in range(20):
        ops, m = run_random(workdir / f"run{seed}", cfg, seed, 3000)
        if m is not None:
            break
    assert m is not None, "a twin that loses truncates was not caught in 20 x 3000 ops"
    small, sm, _ = shrink(workdir, cfg, ops, m, budget_s=120)
    text = report(sm, small, False)
    # the minimum is a file and the truncate that loses its size (perhaps a mkdir of its parent)
    assert sm.op[0] == "truncate" and sm.op[2] > model_fs.BLOCK, text
    assert len(small) <= 4, text
    assert ast.literal_eval(fmt_ops(small)) == small  # the printed sequence is a literal
    again = replay(workdir / "again", cfg, small)
    assert again is not None and again.signature() == sm.signature(), text
    assert "size" in sm.detail, text


def test_model_errno_results_compare(workdir):
    """Results carry the errno: a twin that says EPERM where Linux says EISDIR is a mismatch."""

    class WrongErrno(Side):
        def op_unlink(self, path):
            if os.path.isdir(self.p(path)):
                raise OSError(errno.EPERM, "unlink of a directory")
            return super().op_unlink(path)

    m = replay(workdir / "w", Config(None, False, twin_side=WrongErrno),
               [("mkdir", "d", 0o755), ("unlink", "d")])
    assert m is not None and m.where == "result" and m.index == 1
    assert "EISDIR" in m.detail and "EPERM" in m.detail
