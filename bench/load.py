"""Bounded load test with Debian's `wrk` on loopback: `ping`, `events`, `responses/{id}`.

Starts `refiner-server serve --workers 2` on 127.0.0.1 (a free port, rate limits off) over a
fresh SQLite file and over a fresh PostgreSQL database (`--db` picks; bench/server.py's
`databases`, `seed`, `start_server` and `count_rows`), then drives each endpoint with `wrk`
and the script `bench/load.lua`: a warm-up (not measured), then `--duration` seconds from
`--threads` threads and `--connections` keep-alive connections. Every request is a new write
(see load.lua): pings from a pool of visitors (10 % new), events with a new `event_id`,
responses PUT completed to a new id. The script stops sending at the deadline and reports
once every request it sent is answered; wrk is then stopped (SIGINT), so nothing is in
flight when the rows are counted.

Errors are answers other than 2xx plus wrk's socket errors (connect, read, write, and
timeouts: answers slower than 2 s). Checks, warm-up included: contacts == visitors pinged
(exact when every ping got a 2xx), events rows == distinct event ids acknowledged (the
answer echoes the id), responses rows == distinct response ids acknowledged and completed
rows == those acknowledged completed. p50/p99 are wrk's (`latency:percentile`, after its
correction for coordinated omission). Server CPU as in bench/server.py.

    python bench/load.py                      # SQLite and PostgreSQL, 15 s per endpoint
    python bench/load.py --db sqlite --duration 5
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server import (  # noqa: E402
    API,
    ENDPOINTS,
    HOST,
    count_rows,
    cpu_seconds,
    databases,
    free_port,
    seed,
    start_server,
    stop_server,
    table,
)

SCRIPT = Path(__file__).with_name("load.lua")
RATE_LIMITS_OFF = ("--rate-limit-project", "off", "--rate-limit-address", "off")
DRAIN_S = 10  # wrk's own duration is --duration plus this: a cap the drain never reaches


def wrk(
    args: argparse.Namespace, port: int, endpoint: str, seconds: float, tag: str, pool: int
) -> dict[str, int]:
    """One wrk run; the counts load.lua's done() prints."""
    cmd = [
        "wrk",
        f"--threads={args.threads}",
        f"--connections={args.connections}",
        f"--duration={math.ceil(seconds) + DRAIN_S}s",
        f"--script={SCRIPT}",
        f"http://{HOST}:{port}{API}",
        "--",
        endpoint,
        str(seconds),
        tag,
        str(pool),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    result, drained = None, 0
    for line in proc.stdout:
        if line == "drained\n":
            drained += 1
            if drained == args.threads:
                proc.send_signal(signal.SIGINT)  # wrk ends the run and reports
        elif line.startswith("result "):
            result = dict(sorted(json.loads(line.removeprefix("result ")).items()))
    if proc.wait() != 0 or result is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {' '.join(cmd)}")
    return result


def errors(run: dict[str, int]) -> int:
    return sum(run[k] for k in ("other", "connect", "read", "write", "timeout"))


def check(endpoint: str, runs: list[dict[str, int]], rows: dict[str, int]) -> bool:
    """Rows in the database == writes acknowledged by `runs` (warm-up and measured)."""
    if endpoint == "ping":
        # a ping does not echo the visitor: exact only when every ping got a 2xx
        everyone = all(r["other"] == 0 and r["answered"] == r["sent"] for r in runs)
        return everyone and rows["contacts"] == sum(r["visitors"] for r in runs)
    acked = sum(r["acked"] for r in runs)
    if endpoint == "events":
        return rows["events"] == acked
    return rows["responses"] == acked and rows["completed"] == sum(r["completed"] for r in runs)


def one_database(args: argparse.Namespace, db_url: str) -> list[dict[str, Any]]:
    seed(db_url)
    port = free_port()
    proc = start_server(db_url, port, args.workers, options=RATE_LIMITS_OFF)
    out, pool = [], 0
    try:
        for endpoint in ENDPOINTS:  # this order: events and responses come from pinged visitors
            runs = [wrk(args, port, endpoint, args.warmup, "w", pool)] if args.warmup else []
            cpu0 = cpu_seconds(proc.pid)
            run = wrk(args, port, endpoint, args.duration, "m", pool)
            cpu = cpu_seconds(proc.pid) - cpu0
            runs.append(run)
            if endpoint == "ping":
                pool = run["pool"]
            rows = count_rows(db_url)
            out.append(
                {
                    "endpoint": endpoint,
                    "requests": run["requests"],
                    "req_s": run["requests"] / (run["duration_us"] / 1e6),
                    "p50_ms": run["p50_us"] / 1000,
                    "p99_ms": run["p99_us"] / 1000,
                    "errors": sum(errors(r) for r in runs),
                    "rows_match": check(endpoint, runs, rows),
                    "server_cpu_ms_per_req": cpu / run["requests"] * 1000,
                    "rows": rows,
                    "wrk": runs,
                }
            )
    finally:
        stop_server(proc)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--duration", type=float, default=15.0, help="s per endpoint (default 15)")
    p.add_argument("--warmup", type=float, default=2.0, help="uncounted s first (default 2)")
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    p.add_argument("--workers", type=int, default=2, help="server processes (default 2)")
    p.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    p.add_argument(
        "--pg-url", metavar="URL", help="PostgreSQL server to use (default: a throwaway cluster)"
    )
    p.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "load.json")
    args = p.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk not found (Debian: apt-get install wrk)")
    version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout

    report: dict[str, Any] = {
        "settings": {k: v for k, v in vars(args).items() if k not in ("json", "pg_url")},
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "wrk": version.split(" Copyright")[0],
        },
        "results": {},
    }
    for name in ("sqlite", "postgresql"):
        if args.db not in (name, "both"):
            continue
        with databases(name, args.pg_url) as fresh:
            rows = one_database(args, fresh(0))
        report["results"][name] = rows
        print(table(name, rows))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json}")
    ok = all(r["errors"] == 0 and r["rows_match"] for v in report["results"].values() for r in v)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
