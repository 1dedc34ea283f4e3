"""`tierfs objbench`: the functional checks and the throughput table on a file bucket and on a
real MinIO, --json for scripts, one-line errors for a bucket it cannot use and for bad flags, and
nothing left behind.

The table layout and the JSON are tierfs's own (juicefs objbench prints other names), so these
tests skip under TIERFS_BIN=juicefs."""
from __future__ import annotations

import json
import os
import re

import pytest

from harness import assert_clear_error, tree_fingerprint
from minio_server import PASSWORD as MINIO_PASSWORD, USER as MINIO_USER, MinioServer

CHECKS = [
    "create the bucket and probe it", "put an object", "get an object", "overwrite an object",
    "put an empty object", "get a range", "get a range past the end", "get a missing key",
    "head an object", "head a missing key", "delete an object", "delete a missing key",
    "list by prefix", "list with marker and limit", "list continuation",
    "special characters in keys", "put a large object",
]
ITEMS = ["put small objects", "get small objects", "put big objects", "get big objects",
         "head objects", "list objects", "delete objects"]
# Small enough for a quick run: 8 blocks of 1 MiB, 20 small objects of 64 KiB.
QUICK = ["--block-size", "1M", "--big-object-size", "8M", "--small-object-size", "64K",
         "--small-objects", "20", "--threads", "3"]


@pytest.fixture(autouse=True)
def _tierfs_only(fs):
    if fs.flavor != "tierfs":
        pytest.skip("objbench's output is tierfs's own")


def _regular_files(root):
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]


def test_objbench_on_a_file_bucket_passes_and_prints_both_tables(fs, workdir):
    bucket = workdir / "bucket"
    p = fs.run("objbench", "--storage", "file", "--bucket", bucket, *QUICK)
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    for name in CHECKS:
        row = [l for l in lines if re.match(rf"\S+\s+{re.escape(name)}\s+pass$", l)]
        assert row, f"no passing row '{name}' in:\n{p.stdout}"
    assert f"{len(CHECKS)} checks: {len(CHECKS)} passed, 0 failed, 0 not supported, 0 skipped" in p.stdout
    assert re.search(r"^ITEM\s+REQUESTS\s+REQUESTS/S\s+MiB/S\s+MEDIAN ms\s+P99 ms\s+ERRORS$", p.stdout, re.M)
    for item in ITEMS:
        m = re.search(rf"^{item}\s+(\d+)\s+[\d.]+\s+(\S+)\s+[\d.]+\s+[\d.]+\s+(\d+)$", p.stdout, re.M)
        assert m, f"no row '{item}' in:\n{p.stdout}"
        assert m.group(3) == "0", f"{item}: errors\n{p.stdout}"
    assert re.search(r"^put big objects\s+8\s", p.stdout, re.M)
    assert re.search(r"^delete objects\s+28\s", p.stdout, re.M)
    assert "in 8 blocks of 1 MiB; 20 small objects of 64 KiB" in p.stdout
    assert _regular_files(bucket) == [], "objbench left objects behind"
    # Only its own (now empty) directories: the file storage leaves directories in place.
    assert all(d.startswith("__tierfs_objbench_") for d in os.listdir(bucket)), os.listdir(bucket)


def test_objbench_json_for_scripts(fs, workdir):
    bucket = workdir / "bucket"
    # The bucket as JuiceFS's positional ENDPOINT.
    p = fs.run("objbench", "--storage", "file", bucket, "--json", *QUICK)
    assert p.returncode == 0, p.stdout + p.stderr
    doc = json.loads(p.stdout)
    assert doc["passed"] is True and doc["cleanup"] == "ok"
    assert doc["storage"].startswith(f"file://{bucket}/__tierfs_objbench_")
    assert doc["settings"] == {"block_size": 1 << 20, "big_object_size": 8 << 20, "big_objects": 8,
                               "small_object_size": 64 << 10, "small_objects": 20, "threads": 3}
    assert [r["test"] for r in doc["functional"]] == CHECKS
    assert {r["result"] for r in doc["functional"]} == {"pass"}
    perf = {r["item"]: r for r in doc["performance"]}
    assert list(perf) == ITEMS
    assert perf["put big objects"]["bytes"] == 8 << 20
    assert perf["get small objects"]["bytes"] == 20 * (64 << 10)
    assert perf["list objects"]["listed"] == 3 * 28
    for r in doc["performance"]:
        assert r["errors"] == 0 and r["first_error"] == "", r
        assert r["requests_per_second"] > 0 and r["median_ms"] <= r["p99_ms"], r
    assert _regular_files(bucket) == []


def test_objbench_skip_functional_tests_only_measures(fs, workdir):
    bucket = workdir / "bucket"
    p = fs.run("objbench", "--storage", "file", "--bucket", bucket, "--skip-functional-tests", *QUICK)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Functional checks" not in p.stdout
    assert re.search(r"^get big objects\s+8\s", p.stdout, re.M)
    assert _regular_files(bucket) == []


@pytest.mark.parametrize("skip", [False, True], ids=["checks", "skip-functional-tests"])
def test_objbench_on_an_unusable_bucket_fails_in_one_line(fs, workdir, skip):
    (workdir / "plain").write_bytes(b"I am a file")
    before = tree_fingerprint(workdir)
    extra = ["--skip-functional-tests"] if skip else []
    p = fs.run("objbench", "--storage", "file", "--bucket", workdir / "plain" / "bucket", *extra, *QUICK)
    assert_clear_error(p, r"objbench: storage file://.* is not usable: .*Not a directory")
    if not skip:  # the table still shows which row failed and that the rest were skipped
        assert re.search(r"^basic\s+create the bucket and probe it\s+fail\s+\S", p.stdout, re.M), p.stdout
        assert re.search(r"^large\s+put a large object\s+skipped\s", p.stdout, re.M), p.stdout
        assert "Throughput" not in p.stdout
    assert tree_fingerprint(workdir) == before


@pytest.mark.parametrize("flags, pattern", [
    (["--threads", "0"], r"--threads"),
    (["--small-objects", "0"], r"--small-objects"),
    (["--block-size", "lots"], r"--block-size.*lots"),
    (["--big-object-size", "0"], r"--big-object-size"),
    (["--storage", "nfs"], r"unknown storage 'nfs'"),
])
def test_objbench_bad_flags_fail_in_one_line(fs, workdir, flags, pattern):
    before = tree_fingerprint(workdir)
    assert_clear_error(fs.run("objbench", "--bucket", workdir / "bucket", *flags), pattern)
    assert tree_fingerprint(workdir) == before


def test_objbench_needs_a_bucket(fs, workdir):
    assert_clear_error(fs.run("objbench", "--storage", "file", cwd=workdir), r"bucket")
    assert os.listdir(workdir) == []


@pytest.fixture
def minio(workdir):
    return MinioServer(workdir / "minio").start()


def test_objbench_on_minio_passes_and_cleans_up(fs, minio):
    p = fs.run("objbench", "--storage", "minio", "--bucket", minio.bucket_url("objbench"), "--json",
               "--access-key", MINIO_USER, "--secret-key", MINIO_PASSWORD, *QUICK)
    assert p.returncode == 0, p.stdout + p.stderr
    doc = json.loads(p.stdout)
    failed = [(r["test"], r["error"]) for r in doc["functional"] if r["result"] != "pass"]
    assert not failed and doc["passed"] and doc["cleanup"] == "ok", failed or doc
    assert [r["item"] for r in doc["performance"]] == ITEMS
    assert all(r["errors"] == 0 for r in doc["performance"]), doc["performance"]
    # The probe created the bucket; a third-party client finds nothing left in it.
    assert minio.keys("objbench") == []
