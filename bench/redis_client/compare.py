#!/usr/bin/env python3
"""The Redis client alone against the server's ceiling, on one fresh redis-server:

    ninja -C build redis_client_bench && python3 bench/redis_client/compare.py [--seconds 2] [--reps 3]

Rows, for SET, GET and HGET (32-byte values; GET/HGET of keys that exist):
  - redis-benchmark -P 16 (50 clients, 16 commands per round trip): the server's pipelined ceiling
  - redis-benchmark -P 1 -c 1: one command per round trip, one connection
  - redis_client_bench (bench/redis_client/main.cc): one command per round trip on a Dedicated
    connection; Client::Do from 1, 4, 16, 64 threads (auto-pipelined over the shared connections);
    Client::Send with 8 in flight from 16 threads
Each cell is the median over --reps runs (the client and redis-benchmark alternate); the last column
is the row's share of the -P 16 ceiling of the same command. Everything (server, client, load
generator) shares the machine's cores: on 2 cores the ceiling is what one server thread does while
redis-benchmark takes the other core.
"""
from __future__ import annotations

import argparse
import csv
import io
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))
from harness import RedisServer  # noqa: E402

OPS = ["set", "get", "hget"]


def redis_benchmark(port: int, op: str, pipeline: int, clients: int, n: int) -> float:
    cmd = ["redis-benchmark", "-p", str(port), "-P", str(pipeline), "-c", str(clients), "-n", str(n), "--csv"]
    cmd += ["-t", op] if op != "hget" else ["HGET", "rb:hash", "field"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = [r for r in csv.reader(io.StringIO(out)) if r and r[0] != "test"]
    return float(rows[0][1])


def client_bench(exe: Path, url: str, seconds: float, writes: dict) -> dict[tuple[str, str, int], float]:
    """ops/s per (op, mode, threads); `writes` gets the write(2) calls per command of each row."""
    out = subprocess.run([str(exe), url, str(seconds)], capture_output=True, text=True, check=True).stdout
    res = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0] in OPS:
            res[(cells[0], cells[1], int(cells[2]))] = float(cells[3])
            writes.setdefault((cells[0], cells[1], int(cells[2])), []).append(float(cells[4] or "nan"))
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=2.0, help="measuring window per client row")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--n", type=int, default=1_000_000, help="redis-benchmark -P 16 requests per run")
    ap.add_argument("--exe", default=str(REPO / "build" / "bench" / "redis_client" / "redis_client_bench"))
    a = ap.parse_args()
    exe = Path(a.exe)
    if not exe.exists():
        sys.exit(f"{exe} missing: ninja -C build redis_client_bench")
    with tempfile.TemporaryDirectory(prefix="redis-client-bench-") as tmp:
        server = RedisServer(Path(tmp)).start()
        try:
            server.cli("HSET", "rb:hash", "field", "0123456789abcdef0123456789abcdef", db=0)
            cells: dict[tuple[str, str, int], list[float]] = {}
            writes: dict[tuple[str, str, int], list[float]] = {}
            for rep in range(a.reps):
                print(f"rep {rep + 1}/{a.reps} ...", file=sys.stderr, flush=True)
                for op in OPS:
                    cells.setdefault((op, "redis-benchmark -P 16 (50 connections)", 50), []).append(
                        redis_benchmark(server.port, op, 16, 50, a.n))
                    cells.setdefault((op, "redis-benchmark -P 1 -c 1", 1), []).append(
                        redis_benchmark(server.port, op, 1, 1, a.n // 20))
                for k, v in client_bench(exe, server.url(2), a.seconds, writes).items():
                    cells.setdefault(k, []).append(v)
            info = server.cli("INFO", "server", db=0)
        finally:
            server.stop()
    version = next((l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("redis_version")), "?")
    med = {k: statistics.median(v) for k, v in cells.items()}
    print(f"redis-server {version}, medians of {a.reps} runs, {a.seconds:g} s per client row\n")
    print("| op | mode | threads / connections | ops/s | share of -P 16 ceiling | write(2) per command |")
    print("|---|---|---:|---:|---:|---:|")
    for op in OPS:
        ceiling = med[(op, "redis-benchmark -P 16 (50 connections)", 50)]
        for (o, mode, th), v in med.items():
            if o == op:
                w = statistics.median(writes[(o, mode, th)]) if (o, mode, th) in writes else None
                w = "" if w is None else f"{w:.3f}"
                print(f"| {op.upper()} | {mode} | {th} | {v:,.0f} | {v / ceiling:.0%} | {w} |")


if __name__ == "__main__":
    main()
