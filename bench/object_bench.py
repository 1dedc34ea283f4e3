#!/usr/bin/env python3
"""tierfs vs JuiceFS vs s3fs vs rclone mount on one MinIO, next to MinIO's own throughput (issue 7).

    python3 bench/object_bench.py                        # everything, full sizes, 3 repetitions
    python3 bench/object_bench.py --quick                # small sizes: checks that it works (~5 min)
    python3 bench/object_bench.py --only ceiling,objbench
    python3 bench/object_bench.py --only seq,files --targets tierfs,juicefs --reps 5

One MinIO ($MINIO_BIN, default /root/go/bin/minio, as tests/e2e/minio_server.py starts it: free
127.0.0.1 ports, a data directory of the run's own) serves every column; each target gets a bucket
of its own per repetition, deleted afterwards (MinIO's force delete).

Parts (--only / --skip take these names), run in this order in every repetition:
  ceiling   MinIO's throughput for 4 MiB PUT / GET from many parallel clients: `tierfs objbench` and
            `juicefs objbench` (a --ceiling-mib object in 4 MiB blocks) with --ceiling-threads
            requests in flight, and `rclone copy` of --ceiling-mib / 4 files of 4 MiB with as many
            --transfers (to and from /dev/shm, checksums off, every byte compared afterwards); the
            best median of these clients is the ceiling
  objbench  `tierfs objbench` vs `juicefs objbench`, the same sizes (JuiceFS's defaults: 4 MiB blocks,
            1 GiB big object, 100 small objects of 128 KiB) and --objbench-threads
  seq       through the mount: one --big-mib file, 1 MiB writes, fsync inside the clock; read after a
            remount with the page cache dropped (and tierfs's / JuiceFS's block cache emptied: a
            fresh --cache-dir), every MiB compared with what was written (each MiB is stamped
            with its index, so a block read from the wrong place fails)
  files     through the mount: --files files of --file-kib each, written one after the other
            (open, write, close), then read after the same cold remount, each compared
  tree      through the mount: the Linux-tree extract (bench/run.py's workload: tar xf of the
            decompressed linux-source tarball, then every file's sha256, mode and symlink checked)

Targets (columns), each freshly formatted / mounted per repetition and interleaved:
  tierfs    $TIERFS_BIN: sqlite3 metadata, --storage minio, default mount options (+ --enable-xattr)
  juicefs   $JUICEFS_BIN (`juicefs` on PATH): the same setup (+ --no-usage-report)
  s3fs      `s3fs BUCKET MNT -f -o url=…,use_path_request_style,passwd_file=…` (defaults otherwise)
  rclone    `rclone mount m:BUCKET MNT --vfs-cache-mode writes --vfs-write-back 0s` with a fresh
            --cache-dir per mount; rclone uploads after close, so every write clock also waits until
            its remote-control API reports no upload queued or in progress (vfs/stats)
For tierfs, JuiceFS and s3fs a close or fsync returns once the data is in the bucket.

Reported: medians over repetitions, tierfs/juicefs per row (>1: tierfs is faster), the big-file rows
as % of the ceiling; a wrong byte marks the cell FAIL and the run exits 1.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import run as R  # bench/run.py: targets, workloads, helpers
from run import FAIL, MiB, CheckFailed, fmt, median_of, parse_list, timed, wait_until
from harness import juicefs_binary, tierfs_binary
from minio_server import MINIO_BIN, PASSWORD, USER, MinioServer

PARTS = ["ceiling", "objbench", "seq", "files", "tree"]
MOUNT_PARTS = ["seq", "files", "tree"]
TARGETS = ["tierfs", "juicefs", "s3fs", "rclone"]
MB_PER_MIB = MiB / 1e6
# objbench rows: key, label, unit, tierfs item (+ field), juicefs item
OBJBENCH_ROWS = [
    ("put_big", "put big objects (4 MiB blocks)", "MiB/s", "put big objects", "upload objects"),
    ("get_big", "get big objects", "MiB/s", "get big objects", "download objects"),
    ("put_small", "put small objects", "objects/s", "put small objects", "put small objects"),
    ("get_small", "get small objects", "objects/s", "get small objects", "get small objects"),
    ("list", "list objects", "objects/s", "list objects", "list objects"),
    ("head", "head objects", "objects/s", "head objects", "head objects"),
    ("delete", "delete objects", "objects/s", "delete objects", "delete objects"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def drop_bucket(minio: MinioServer, bucket: str):
    """Delete a bucket and everything in it in one request (MinIO's x-minio-force-delete; the
    objects go to MinIO's trash, which it empties in the background)."""
    minio.rclone("--header", "x-minio-force-delete: true", "rmdir", f"m:{bucket}", check=False)


# ----------------------------------------------------------------------------------------------
# the two third-party mounts


class S3fsTarget(R.ChildMountTarget):
    name = "s3fs"

    def __init__(self, binary: str, minio: MinioServer):
        self.bin, self.minio = binary, minio

    def setup(self, root):
        self.bucket, self.path, self.log = root.name, root / "mnt", root / "s3fs.log"
        self.passwd = root / "s3fs.passwd"
        self.passwd.write_text(f"{USER}:{PASSWORD}\n")
        self.passwd.chmod(0o600)  # s3fs refuses a password file others can read
        self.minio.make_bucket(self.bucket)
        self.path.mkdir()
        self._start()
        return self.path

    def command(self):
        return [self.bin, self.bucket, str(self.path), "-f", "-o",
                f"url={self.minio.endpoint},use_path_request_style,passwd_file={self.passwd}"]

    def describe(self):
        v = subprocess.run([self.bin, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
        return (f"`{self.bin}` ({v}); `s3fs BUCKET MNT -f -o url=http://127.0.0.1:PORT,use_path_request_style,"
                f"passwd_file=FILE`")


class RcloneTarget(R.ChildMountTarget):
    """rclone mount with --vfs-cache-mode writes: the mode rclone's documentation gives for
    "all normal file system operations" (opening a file for writing, seeking in it); reads of
    files opened read-only go to the remote, as tierfs's and JuiceFS's cold reads do. `full`
    would also keep what is read on the local disk, which a cold read never has."""

    name = "rclone"

    def __init__(self, binary: str, minio: MinioServer, mode: str):
        self.bin, self.minio, self.mode = binary, minio, mode

    def setup(self, root):
        self.bucket, self.root, self.path, self.log = root.name, root, root / "mnt", root / "rclone.log"
        self.minio.make_bucket(self.bucket)
        self.path.mkdir()
        self._start()
        return self.path

    def command(self):
        self.cache, self.rc = self.root / f"rclone-cache-{time.monotonic_ns()}", f"127.0.0.1:{free_port()}"
        return [self.bin, "mount", f"m:{self.bucket}", str(self.path), "--vfs-cache-mode", self.mode,
                "--vfs-write-back", "0s", "--cache-dir", str(self.cache), "--rc", "--rc-addr", self.rc,
                "--rc-no-auth"]

    def env(self):
        return self.minio.rclone_env()

    def _rc(self, command: str) -> dict:
        req = urllib.request.Request(f"http://{self.rc}/{command}", data=b"{}",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    def settle(self):
        """Returns when rclone has uploaded as many files as its cache holds (every file written
        through this mount is there, each written once by these workloads) and is uploading
        nothing. vfs/stats's upload queue cannot tell: rclone queues a file when the kernel's
        RELEASE arrives, which is after close() has returned."""
        want = sum(len(files) for _, _, files in os.walk(self.cache / "vfs"))

        def done():
            if self._rc("vfs/stats")["diskCache"]["erroredFiles"]:
                raise CheckFailed(f"rclone: files failed to upload ({self.log})")
            st = self._rc("core/stats")
            return st["transfers"] >= want and not st.get("transferring")

        wait_until(done, 3600, f"rclone's uploads of {want} files", interval=0.05)

    def _stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.settle()
        super()._stop()
        shutil.rmtree(self.cache, ignore_errors=True)

    def describe(self):
        v = subprocess.run([self.bin, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
        return (f"`{self.bin}` ({v}); `rclone mount m:BUCKET MNT --vfs-cache-mode {self.mode} "
                f"--vfs-write-back 0s --cache-dir FRESH --rc` (RCLONE_CONFIG_M_*: type s3, provider Minio)")


# ----------------------------------------------------------------------------------------------
# the files workload (seq and tree are bench/run.py's)


def read_all(path) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        parts = []
        while chunk := os.read(fd, MiB):
            parts.append(chunk)
        return b"".join(parts)
    finally:
        os.close(fd)


def w_files(target, path, scratch, a):
    size = a.file_kib << 10
    buf = os.urandom(size)
    names = [path / f"f{i:05d}" for i in range(a.files)]

    def write():
        for i, n in enumerate(names):
            fd = os.open(n, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            if os.write(fd, R.stamped(buf, i)) != size:
                raise CheckFailed(f"{n}: short write")
            os.close(fd)
        target.settle()

    res = {"fwrite": a.files / timed(write)}
    target.cold()
    bad = []

    def read():
        for i, n in enumerate(names):
            if read_all(n) != R.stamped(buf, i) and len(bad) < 3:
                bad.append(n.name)

    res["fread"] = a.files / timed(read)
    if bad:
        raise CheckFailed(f"{path}: files {bad} read back other bytes than were written")
    return res


METRICS = [  # key, workload, label, unit, higher is better (as bench/run.py's METRICS)
    ("seqwrite", "seq", "seq write {big}, fsync in the clock", "MB/s", True),
    ("seqread", "seq", "seq read {big} (cold)", "MB/s", True),
    ("fwrite", "files", "{files} files: write", "files/s", True),
    ("fread", "files", "{files} files: read (cold)", "files/s", True),
    ("tree", "tree", "Linux tree extract{tree_reps}", "files/s", True),
]
RUNNERS = {"seq": R.w_seq, "files": w_files, "tree": R.w_tree}


# ----------------------------------------------------------------------------------------------
# object-level clients: the ceiling and objbench


def tierfs_objbench(binary, minio, bucket, threads, big_mib, small_objects) -> dict:
    cmd = [binary.path, "objbench", "--storage", "minio", "--bucket", minio.bucket_url(bucket),
           "--access-key", USER, "--secret-key", PASSWORD, "--skip-functional-tests", "--json",
           "--block-size", "4M", "--big-object-size", f"{big_mib}M", "--small-object-size", "128K",
           "--small-objects", str(small_objects), "--threads", str(threads)]
    p = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=1800)
    try:
        doc = json.loads(p.stdout)
    except json.JSONDecodeError:
        raise CheckFailed(f"`{shlex.join(cmd)}` exited {p.returncode}: {p.stderr[-1000:]}") from None
    perf = {r["item"]: r for r in doc["performance"]}
    if p.returncode != 0 or not doc["passed"] or any(r["errors"] for r in perf.values()):
        raise CheckFailed(f"tierfs objbench failed (exit {p.returncode}): "
                          f"{[(k, r['first_error']) for k, r in perf.items() if r['errors']]} {p.stderr[-500:]}")
    out = {}
    for key, _, unit, item, _ in OBJBENCH_ROWS:
        r = perf[item]
        if unit == "MiB/s":
            out[key] = r["mib_per_second"]
        elif key == "list":  # objects listed per second, as JuiceFS counts them
            out[key] = r["listed"] / r["seconds"]
        else:
            out[key] = r["requests_per_second"]
    return out


_JFS_ROW = re.compile(r"^\|\s*([a-z ]+?)\s*\|\s*([\d.]+) (MiB/s|objects/s)\s*\|", re.M)


def juicefs_objbench(binary, minio, bucket, threads, big_mib, small_objects) -> dict:
    cmd = [binary.path, "objbench", "--storage", "minio", "--access-key", USER, "--secret-key", PASSWORD,
           "--skip-functional-tests", "--block-size", "4M", "--big-object-size", f"{big_mib}M",
           "--small-object-size", "128K", "--small-objects", str(small_objects), "--threads", str(threads),
           minio.bucket_url(bucket)]
    p = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=1800)
    rows = {m.group(1): float(m.group(2)) for m in _JFS_ROW.finditer(p.stdout)}
    missing = [item for *_, item in OBJBENCH_ROWS if item not in rows]
    if p.returncode != 0 or missing or re.search(r"failed|error", p.stdout, re.I):
        raise CheckFailed(f"juicefs objbench (exit {p.returncode}) lacks rows {missing}:\n{p.stdout[-1500:]}"
                          f"{p.stderr[-1000:]}")
    return {key: rows[item] for key, *_, item in OBJBENCH_ROWS}


def rclone_ceiling(minio, bucket, transfers, src: Path, dst: Path) -> dict:
    """`rclone copy` of the 4 MiB files in `src` to the bucket and back into `dst` with `transfers`
    in flight; rclone's own checksums off (MD5 on 2 cores would set the pace), our compare after."""
    nbytes = sum(f.stat().st_size for f in src.iterdir())
    common = ["--transfers", str(transfers), "--checkers", str(transfers), "--s3-no-check-bucket",
              "--s3-disable-checksum", "--ignore-checksum", "--no-traverse", "--no-check-dest"]
    minio.make_bucket(bucket)
    up = timed(lambda: minio.rclone("copy", *common, str(src), f"m:{bucket}"))
    shutil.rmtree(dst, ignore_errors=True)
    down = timed(lambda: minio.rclone("copy", *common, f"m:{bucket}", str(dst)))
    bad = [f.name for f in src.iterdir() if R.same_file(f, dst / f.name) is not None]
    shutil.rmtree(dst, ignore_errors=True)
    drop_bucket(minio, bucket)
    if bad:
        raise CheckFailed(f"rclone copy: {len(bad)} files came back different, e.g. {bad[:3]}")
    return {"put_big": nbytes / MiB / up, "get_big": nbytes / MiB / down}


def object_rep(rep, a, minio, bins, results, failures):
    """One repetition of the ceiling and objbench parts: results[client][threads] gets a dict."""
    jobs = []
    if "ceiling" in a.parts:
        for t in a.ceiling_threads:
            if bins["tierfs"]:
                jobs.append(("ceiling", "tierfs objbench", t, lambda b, t=t: tierfs_objbench(
                    bins["tierfs"], minio, b, t, a.ceiling_mib, 1)))
            if bins["juicefs"]:
                jobs.append(("ceiling", "juicefs objbench", t, lambda b, t=t: juicefs_objbench(
                    bins["juicefs"], minio, b, t, a.ceiling_mib, 1)))
            jobs.append(("ceiling", "rclone copy", t, lambda b, t=t: rclone_ceiling(
                minio, b, t, a.ceiling_src, a.base / "ceiling-dst")))
    if "objbench" in a.parts:
        for t in a.objbench_threads:
            if bins["tierfs"]:
                jobs.append(("objbench", "tierfs", t, lambda b, t=t: tierfs_objbench(
                    bins["tierfs"], minio, b, t, a.objbench_mib, a.small_objects)))
            if bins["juicefs"]:
                jobs.append(("objbench", "juicefs", t, lambda b, t=t: juicefs_objbench(
                    bins["juicefs"], minio, b, t, a.objbench_mib, a.small_objects)))
    for part, client, t, fn in jobs:
        bucket = re.sub(r"[^a-z0-9]+", "-", f"{part}-{client}-{t}-{rep}")
        t0 = time.monotonic()
        try:
            r = fn(bucket)
            print(f"  rep {rep + 1} {part} {client} -p {t}: {time.monotonic() - t0:.1f} s  "
                  + ", ".join(f"{k}={v:,.1f}" for k, v in r.items()), file=sys.stderr, flush=True)
        except Exception as e:  # noqa: BLE001 - one failing client must not hide the others
            r = {k: FAIL for k, *_ in OBJBENCH_ROWS}
            failures.append(f"rep {rep + 1} {part} {client} -p {t}: {e!r}"[:3000])
            print(f"\n!!! {failures[-1]}\n", file=sys.stderr, flush=True)
        drop_bucket(minio, bucket)
        results[part].setdefault(client, {}).setdefault(t, []).append(r)


# ----------------------------------------------------------------------------------------------
# report


def med(reps: list[dict], key: str):
    return median_of(reps, key) if reps else None


def ratio(x, y, fmt_="{:.2f}"):
    if x in (None, FAIL) or y in (None, FAIL) or not y:
        return "n/a"
    return fmt_.format(x / y)


def values(reps, key) -> str:
    return ", ".join(fmt(r[key]) for r in reps if key in r)


def report(a, names, mres, ores, targets, ceiling_note, elapsed, notes, failures) -> str:
    sizes = {"big": f"{a.big_mib} MiB" if a.big_mib % 1024 else f"{a.big_mib // 1024} GiB",
             "files": f"{a.files:,} × {a.file_kib} KiB",
             "tree_reps": f" ({min(a.tree_reps, a.reps)} repetition{'s' if min(a.tree_reps, a.reps) > 1 else ''})"
             if a.tree_reps and a.tree_reps < a.reps else ""}
    lines = [f"Run {datetime.datetime.now().isoformat(timespec='seconds')} on {platform.node()}: {os.cpu_count()} "
             f"cores, Linux {platform.release()}; one MinIO ({ceiling_note}); medians of {a.reps} repetitions, "
             f"interleaved; {elapsed / 60:.1f} min in all.", ""]
    ceil = {}
    if "ceiling" in a.parts:
        lines += ["MinIO's ceiling: 4 MiB objects, MB/s (medians; per repetition in brackets):", "",
                  "| client | requests in flight | PUT MB/s | GET MB/s |", "|---|---:|---:|---:|"]
        for client, by_t in ores["ceiling"].items():
            for t, reps in sorted(by_t.items()):
                row = []
                for k in ("put_big", "get_big"):
                    m = med(reps, k)
                    mb = m * MB_PER_MIB if m not in (None, FAIL) else m
                    if mb not in (None, FAIL):
                        ceil[k] = max(ceil.get(k, 0), mb)
                    row.append(f"{fmt(mb)} ({', '.join(fmt(r[k] * MB_PER_MIB) if r[k] != FAIL else FAIL for r in reps)})")
                lines.append(f"| {client} | {t} | {row[0]} | {row[1]} |")
        lines += ["", f"Ceiling (the best median): PUT {fmt(ceil.get('put_big'))} MB/s, "
                      f"GET {fmt(ceil.get('get_big'))} MB/s.", ""]
    if "objbench" in a.parts:
        lines += [f"`tierfs objbench` vs `juicefs objbench` (4 MiB blocks, {a.objbench_mib} MiB big object, "
                  f"{a.small_objects} small objects of 128 KiB; medians):", "",
                  "| item | unit | " + " | ".join(f"tierfs -p {t} | juicefs -p {t} | ratio -p {t}"
                                                    for t in a.objbench_threads) + " |",
                  "|---|---|" + "---:|---:|---:|" * len(a.objbench_threads)]
        for key, label, unit, *_ in OBJBENCH_ROWS:
            cells = []
            for t in a.objbench_threads:
                tv = med(ores["objbench"].get("tierfs", {}).get(t, []), key)
                jv = med(ores["objbench"].get("juicefs", {}).get(t, []), key)
                cells += [fmt(tv), fmt(jv), ratio(tv, jv)]
            lines.append(f"| {label} | {unit} | " + " | ".join(cells) + " |")
        lines.append("")
    rows = [m for m in METRICS if m[1] in a.parts]
    if rows:
        ratio_col = {"tierfs", "juicefs"} <= set(names)
        lines += ["Through the mount (medians; ratio >1: tierfs faster; % of the ceiling's PUT / GET):", "",
                  "| workload | unit | " + " | ".join(names) + (" | tierfs/juicefs" if ratio_col else "")
                  + " | tierfs % of ceiling | juicefs % of ceiling |",
                  "|---|---|" + "---:|" * len(names) + ("---:|" if ratio_col else "") + "---:|---:|"]
        for key, w, label, unit, _ in rows:
            m = {n: med(mres[n], key) for n in names}
            cells = ["n/a" if (w, n) in a.not_run else fmt(m[n]) for n in names]
            row = f"| {label.format(**sizes)} | {unit} | " + " | ".join(cells)
            if ratio_col:
                row += f" | {ratio(m['tierfs'], m['juicefs'])}"
            c = ceil.get({"seqwrite": "put_big", "seqread": "get_big"}.get(key, ""))
            for n in ("tierfs", "juicefs"):
                row += f" | {ratio(m.get(n), c, '{:.0%}') if c else ''}"
            lines.append(row + " |")
        lines += ["", "Per repetition:", ""]
        for key, w, label, unit, _ in rows:
            lines.append(f"- {label.format(**sizes)}: " + "; ".join(
                f"{n} {values(mres[n], key)}" for n in names if mres[n] and (w, n) not in a.not_run))
    cmd = "python3 bench/object_bench.py " + shlex.join(sys.argv[1:])
    lines += ["", f"Reproduce (as root): `{cmd}`"]
    lines += [f"- {n}: {t.describe()}" for n, t in zip(names, targets) if t is not None]
    lines += [f"- note: {x}" for x in notes]
    if failures:
        lines += ["", f"FAILURES ({len(failures)}):", ""]
        for f in failures:
            lines += ["```", *f.splitlines()[:60], "```"]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3, help="repetitions (median reported)")
    ap.add_argument("--only", help=f"comma-separated parts to run (of {','.join(PARTS)}); default all")
    ap.add_argument("--skip", default="", help="comma-separated parts not to run")
    ap.add_argument("--targets", default=",".join(TARGETS), help="mount columns, in order")
    ap.add_argument("--tree-targets", default="tierfs,juicefs,s3fs",
                    help="targets the tree part runs on (the others are n/a: rclone mount has no symlinks)")
    ap.add_argument("--quick", action="store_true",
                    help="small sizes: 128 MiB file, 500 files, the Linux subtree, 256 MiB objects")
    g = ap.add_argument_group("sizes")
    g.add_argument("--big-mib", type=int, default=1024, help="seq: file size in MiB")
    g.add_argument("--files", type=int, default=10_000, help="files: how many")
    g.add_argument("--file-kib", type=int, default=128, help="files: size of each in KiB")
    g.add_argument("--tree-reps", type=int, default=0,
                   help="tree: run it in the first N repetitions only (default: all); the whole tree takes "
                        "minutes per target on MinIO")
    g.add_argument("--no-verify-tree", dest="verify_tree", action="store_false",
                   help="tree: skip the (untimed) sha256 check of every extracted file")
    g.add_argument("--ceiling-mib", type=int, default=1024, help="ceiling: MiB moved per client and direction")
    g.add_argument("--ceiling-threads", default="32,64", help="ceiling: requests in flight (comma-separated)")
    g.add_argument("--objbench-threads", default="4,32", help="objbench: --threads values (comma-separated)")
    g.add_argument("--objbench-mib", type=int, default=1024, help="objbench: big object size in MiB")
    g.add_argument("--small-objects", type=int, default=100, help="objbench: number of small objects")
    ap.add_argument("--rclone-cache-mode", default="writes", choices=["writes", "full"])
    ap.add_argument("--workdir", default="/tmp", help="parent of the run's directory obench-* (mounts, MinIO data)")
    ap.add_argument("--out", help="also write the markdown report to this file")
    ap.add_argument("--json-out", help="also write every repetition's values as JSON to this file")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/object_bench.py needs root (FUSE mounts, drop_caches)")
    a.parts = parse_list(a.only, PARTS, "part") if a.only else list(PARTS)
    skip = set(parse_list(a.skip, PARTS, "part"))
    a.parts = [p for p in PARTS if p in a.parts and p not in skip]
    a.workloads = [p for p in MOUNT_PARTS if p in a.parts]  # what run.one_rep runs
    a.ceiling_threads = [int(x) for x in a.ceiling_threads.split(",")]
    a.objbench_threads = [int(x) for x in a.objbench_threads.split(",")]
    if a.quick:
        a.big_mib, a.files, a.ceiling_mib, a.objbench_mib = min(a.big_mib, 128), min(a.files, 500), \
            min(a.ceiling_mib, 256), min(a.objbench_mib, 256)
    names = parse_list(a.targets, TARGETS, "target")
    tree_on = set(parse_list(a.tree_targets, TARGETS, "target"))
    a.not_run = {("tree", n) for n in names if n not in tree_on}
    notes, failures = [], []
    R.find_tools(a, notes)
    for n in names:
        if ("tree", n) in a.not_run and "tree" in a.parts:
            notes.append(f"tree: not run on {n}" + (" (rclone mount has no symlinks; the tree has 56)"
                                                    if n == "rclone" else " (--tree-targets)"))

    base = Path(tempfile.mkdtemp(prefix="obench-", dir=a.workdir))
    a.base = base
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("bench/object_bench.py: terminated"))
    minio = None
    targets: list = []
    mres = {n: [] for n in names}
    ores = {"ceiling": {}, "objbench": {}}
    t_start = time.monotonic()
    try:
        minio = MinioServer(base / "minio").start()
        bins = {n: b if b is not None and b.exists() else None for n, b in
                (("tierfs", tierfs_binary()), ("juicefs", juicefs_binary()))}
        tools = {"s3fs": shutil.which("s3fs"), "rclone": shutil.which("rclone")}
        for n in names:
            if n in bins:
                t = R.VolumeTarget(n, bins[n], minio=minio) if bins[n] is not None else None
            else:
                t = (S3fsTarget(tools[n], minio) if n == "s3fs" else
                     RcloneTarget(tools[n], minio, a.rclone_cache_mode)) if tools[n] else None
            if t is None:
                notes.append(f"{n}: not found; column left n/a.")
            targets.append(t)
        if "tree" in a.parts and "tree" not in a.unavailable:
            R.L.manifest()  # computed once and cached, outside any timing
            a.tarball = R.L.plain_tarball()
        if "ceiling" in a.parts:  # the files rclone uploads: random, made once, in memory
            a.ceiling_src = Path(tempfile.mkdtemp(prefix="obench-ceiling-", dir="/dev/shm"))
            for i in range(a.ceiling_mib // 4):
                (a.ceiling_src / f"b{i:05d}").write_bytes(os.urandom(4 * MiB))
        for rep in range(a.reps):
            print(f"rep {rep + 1}/{a.reps} ...", file=sys.stderr, flush=True)
            object_rep(rep, a, minio, bins, ores, failures)
            if not a.workloads or (a.workloads == ["tree"] and a.tree_reps and rep >= a.tree_reps):
                continue
            for n, t in zip(names, targets):  # interleaved, so drift hits every column alike
                if t is None:
                    continue
                root = base / f"{n}-{rep}"  # also the bucket's name
                root.mkdir()
                a.workloads = [w for w in MOUNT_PARTS if w in a.parts and (w, n) not in a.not_run
                               and (w != "tree" or not a.tree_reps or rep < a.tree_reps)]
                label = f"{n} rep {rep + 1}"
                mres[n].append(R.rep_or_fail(t, root, a, label, failures, METRICS, RUNNERS))
                drop_bucket(minio, root.name)
                shutil.rmtree(root, ignore_errors=True)
    finally:
        R.clean_up(targets, [minio], base)
        if getattr(a, "ceiling_src", None):
            shutil.rmtree(a.ceiling_src, ignore_errors=True)
    elapsed = time.monotonic() - t_start
    v = subprocess.run([MINIO_BIN, "--version"], capture_output=True, text=True).stdout.splitlines()
    fstype = subprocess.run(["findmnt", "-no", "FSTYPE", "-T", a.workdir], capture_output=True, text=True).stdout
    ceiling_note = f"{v[0] if v else MINIO_BIN}, single drive on {fstype.strip()}"
    text = report(a, names, mres, ores, targets, ceiling_note, elapsed, notes, failures)
    print(text)
    if a.out:
        Path(a.out).write_text(text)
    if a.json_out:
        Path(a.json_out).write_text(json.dumps({"mount": mres, "object": ores}, indent=1, default=str))
    if failures:
        print(f"bench/object_bench.py: {len(failures)} failure(s); see FAILURES above", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
