#!/usr/bin/env python3
"""Metadata operations through the mount, on Redis: tierfs (three configurations) vs JuiceFS, one run.

    python3 bench/meta_ops.py                          # 100,000 files, 1/4/16 threads, 3 reps
    python3 bench/meta_ops.py --files 20000 --reps 2 --out /tmp/meta.md

One redis-server (started here, no persistence) serves every column, each in a database of its own
that is flushed, formatted and mounted afresh for every repetition (columns interleaved, so drift
hits them alike). Columns (`--columns`):
  tierfs          redis://…/1                      everything on (client-side cache, id pools)
  tierfs-nocache  redis://…/2?client-cache=false   no client-side cache
  tierfs-noprime  redis://…/3?metaprime=0          one counter increment per inode / slice id
  juicefs         redis://…/4?client-cache=true    JuiceFS (`juicefs` on PATH or $JUICEFS_BIN) with its
                                                   client-side cache on
Neither client has an option to turn its auto-pipelining off, so there is no such column.
Every mount: `--attr-cache 0 --entry-cache 0 --dir-entry-cache 0` (the kernel caches nothing: every
stat is a LOOKUP + GETATTR to the file system), `--trash-days 0` at format, local-directory bucket.

For each thread count (`--threads`, default 1,4,16), in a directory of its own on the mount, each
thread works on its own subdirectory (creates in one directory are serialised by the kernel's lock
on the parent) holding files/threads empty files, phase after phase, all threads in each phase:
  create   open(O_CREAT|O_EXCL|O_WRONLY) + close
  stat     os.stat of every file (cold: kernel caches off)
  readdir  os.listdir of the thread's directory (entries/s)
  rename   every file to a new name in the same directory
  unlink   every file
Reported: ops/s (medians over repetitions), and Redis commands per operation: the delta of the
server's `INFO commandstats` calls (INFO itself excluded) over the phase divided by its ops
(commands run inside Lua scripts are counted by Redis too). Checks: stat sizes, listdir counts,
empty directories at the end; a failure makes the run exit 1.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "e2e"))

from harness import RedisServer, Volume, juicefs_binary, tierfs_binary  # noqa: E402
from run import CheckFailed, fmt  # noqa: E402

COLUMNS = {  # name: (binary, db, URL query)
    "tierfs": ("tierfs", 1, ""),
    "tierfs-nocache": ("tierfs", 2, "?client-cache=false"),
    "tierfs-noprime": ("tierfs", 3, "?metaprime=0"),
    "juicefs": ("juicefs", 4, "?client-cache=true"),
}
PHASES = ["create", "stat", "readdir", "rename", "unlink"]
COLD = ["--attr-cache", "0", "--entry-cache", "0", "--dir-entry-cache", "0"]


def commandstats(server: RedisServer) -> dict[str, int]:
    out = server.cli("INFO", "commandstats", db=0)
    res = {}
    for line in out.splitlines():  # cmdstat_get:calls=3,usec=...
        if line.startswith("cmdstat_"):
            name, rest = line[len("cmdstat_"):].split(":", 1)
            res[name] = int(dict(kv.split("=") for kv in rest.split(","))["calls"])
    return res


def delta(before: dict, after: dict) -> dict[str, int]:
    d = {k: after.get(k, 0) - before.get(k, 0) for k in after if k not in ("info", "client|list")}
    return {k: v for k, v in d.items() if v}


def in_threads(n: int, fn) -> float:
    """Runs fn(t) in n threads started together; seconds from the start to the last one done."""
    errors: list[BaseException] = []
    gate = threading.Barrier(n + 1)

    def body(t):
        gate.wait()
        try:
            fn(t)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    ts = [threading.Thread(target=body, args=(t,)) for t in range(n)]
    for t in ts:
        t.start()
    gate.wait()
    t0 = time.monotonic()
    for t in ts:
        t.join()
    secs = time.monotonic() - t0
    if errors:
        raise errors[0]
    return secs


def workload(top: Path, threads: int, files: int, server: RedisServer, log) -> dict:
    per = files // threads
    dirs = [top / f"d{t}" for t in range(threads)]
    top.mkdir()
    for d in dirs:
        d.mkdir()

    def create(t):
        d = dirs[t]
        for i in range(per):
            os.close(os.open(d / f"f{i}", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))

    def stat(t):
        d = dirs[t]
        for i in range(per):
            if os.stat(d / f"f{i}").st_size != 0:
                raise CheckFailed(f"{d}/f{i}: size != 0")

    def readdir(t):
        n = len(os.listdir(dirs[t]))
        if n != per:
            raise CheckFailed(f"{dirs[t]}: listdir gave {n} entries, created {per}")

    def rename(t):
        d = dirs[t]
        for i in range(per):
            os.rename(d / f"f{i}", d / f"g{i}")

    def unlink(t):
        d = dirs[t]
        for i in range(per):
            os.unlink(d / f"g{i}")

    res = {}
    for name, fn in (("create", create), ("stat", stat), ("readdir", readdir), ("rename", rename),
                     ("unlink", unlink)):
        before = commandstats(server)
        secs = in_threads(threads, fn)
        cmds = delta(before, commandstats(server))
        ops = per * threads
        res[name] = ops / secs
        res[name + ":cmds"] = sum(cmds.values()) / ops
        res[name + ":mix"] = {k: v / ops for k, v in sorted(cmds.items(), key=lambda kv: -kv[1])}
        log(f"    {threads:>2} threads {name:8s} {ops / secs:>10,.0f} ops/s  {sum(cmds.values()) / ops:6.2f} cmds/op  "
            + " ".join(f"{k}={v:.2f}" for k, v in list(res[name + ':mix'].items())[:6]))
    for d in dirs:
        if os.listdir(d):
            raise CheckFailed(f"{d}: entries left after unlinking all")
    return res


def tracking_clients(server: RedisServer, db: int) -> int:
    """Connections of database `db` with CLIENT TRACKING on (flag t): does the client cache run?"""
    out = server.cli("CLIENT", "LIST", db=0)
    n = 0
    for line in out.splitlines():
        f = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
        if f.get("db") == str(db) and "t" in f.get("flags", ""):
            n += 1
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=100_000, help="files per thread count (split among threads)")
    ap.add_argument("--threads", default="1,4,16")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--columns", default=",".join(COLUMNS))
    ap.add_argument("--workdir", default=os.environ.get("TIERFS_E2E_TMP", "/tmp"))
    ap.add_argument("--out", help="also write the markdown report here")
    a = ap.parse_args()
    threads = [int(x) for x in a.threads.split(",")]
    names = [c for c in a.columns.split(",") if c]
    if bad := [c for c in names if c not in COLUMNS]:
        sys.exit(f"unknown columns {bad} (of {','.join(COLUMNS)})")
    if os.geteuid() != 0:
        sys.exit("bench/meta_ops.py needs root (FUSE mounts)")
    bins = {"tierfs": tierfs_binary(), "juicefs": juicefs_binary()}
    for n in names:
        b = bins[COLUMNS[n][0]]
        if b is None or not b.exists():
            sys.exit(f"{n}: binary not found ({b.path if b else 'juicefs not on PATH'})")

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit("bench/meta_ops.py: terminated"))
    base = Path(tempfile.mkdtemp(prefix="meta-ops-", dir=a.workdir))
    server = RedisServer(base / "redis").start()
    results: dict[str, list[dict]] = {n: [] for n in names}
    tracking: dict[str, int] = {}
    failures = []
    t_start = time.monotonic()
    try:
        for rep in range(a.reps):
            for n in names:
                flavor, db, query = COLUMNS[n]
                log(f"rep {rep + 1}/{a.reps}: {n}")
                root = base / f"{n}-{rep}"
                server.cli("FLUSHDB", db=db)
                vol = Volume(root, bins[flavor], name="bench", redis=server)
                vol.meta_url = server.url(db) + query
                mount = None
                try:
                    vol.format()
                    mount = vol.mount(root / "mnt", extra=COLD)
                    tracking[n] = tracking_clients(server, db)
                    res = {}
                    for th in threads:
                        r = workload(mount.path / f"t{th}", th, a.files, server, log)
                        res.update({f"{k}@{th}": v for k, v in r.items()})
                    results[n].append(res)
                except Exception as e:  # noqa: BLE001 - one column failing must not hide the others
                    failures.append(f"{n} rep {rep + 1}: {e!r}")
                    log(f"!!! {failures[-1]}")
                finally:
                    if mount is not None:
                        mount.umount()
                server.cli("FLUSHDB", db=db)
                subprocess.run(["rm", "-rf", str(root)])
        version = next((l.split(":", 1)[1].strip() for l in server.cli("INFO", "server", db=0).splitlines()
                        if l.startswith("redis_version")), "?")
    finally:
        server.stop()
        subprocess.run(["rm", "-rf", str(base)])
    elapsed = time.monotonic() - t_start

    def med(n, key):
        vals = [r[key] for r in results[n] if key in r]
        return statistics.median(vals) if vals else None

    ratio = "tierfs" in names and "juicefs" in names
    lines = [f"Run {datetime.datetime.now().isoformat(timespec='seconds')} on {platform.node()}: {os.cpu_count()} cores, "
             f"Linux {platform.release()}, redis-server {version}; {a.files:,} files per thread count; medians of "
             f"{a.reps} repetitions; {elapsed / 60:.1f} min in all.", "",
             "ops/s (readdir: entries/s):", "",
             "| op | threads | " + " | ".join(names) + (" | tierfs/juicefs |" if ratio else " |"),
             "|---|---:|" + "---:|" * len(names) + ("---:|" if ratio else "")]
    for p in PHASES:
        for th in threads:
            k = f"{p}@{th}"
            row = f"| {p} | {th} | " + " | ".join(fmt(med(n, k)) for n in names) + " |"
            if ratio:
                t, j = med("tierfs", k), med("juicefs", k)
                row += f" {t / j:.2f} |" if t and j else " n/a |"
            lines.append(row)
    lines += ["", "Redis commands per operation (INFO commandstats delta / ops, 16 threads or the largest count):", "",
              "| op | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    th = max(threads)
    for p in PHASES:
        lines.append(f"| {p} | " + " | ".join(
            "n/a" if med(n, f"{p}:cmds@{th}") is None else f"{med(n, f'{p}:cmds@{th}'):.2f}" for n in names) + " |")
    lines += ["", f"Command mix per operation ({th} threads, last repetition):", ""]
    for p in PHASES:
        for n in names:
            if results[n] and f"{p}:mix@{th}" in results[n][-1]:
                mix = results[n][-1][f"{p}:mix@{th}"]
                lines.append(f"- {p}, {n}: " + ", ".join(f"{k} {v:.2f}" for k, v in mix.items() if v >= 0.01))
    lines += ["", "Reproduce (as root): `python3 bench/meta_ops.py " + shlex.join(sys.argv[1:]) + "`"]
    for n in names:
        b = bins[COLUMNS[n][0]]
        lines.append(f"- {n}: `{b.path}` {b.run('--version').stdout.strip()}; META-URL redis://…/{COLUMNS[n][1]}"
                     f"{COLUMNS[n][2]}; connections with CLIENT TRACKING on: {tracking.get(n, '?')}")
    if failures:
        lines += ["", "FAILURES:", *[f"- {f}" for f in failures]]
    report = "\n".join(lines) + "\n"
    print(report)
    if a.out:
        Path(a.out).write_text(report)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
