"""Bounded load test of the client API on loopback: `ping`, `events`, `responses/{id}`.

Starts `refiner-server serve` itself on 127.0.0.1 (a free port) over a fresh SQLite file
and over a fresh PostgreSQL database (`--db` picks; PostgreSQL is a throwaway cluster with
fsync on, from `bench/postgres.py`, or the server `--pg-url` names), seeds one
project with 20 live surveys (half with audience rules, sampling and an interval frequency),
then per endpoint: a warm-up (not counted), then up to `--requests` requests or `--duration`
seconds from `--concurrency` keep-alive connections of one asyncio client (raw HTTP/1.1 over
asyncio streams: the cheapest Python client, since it shares the machine's cores with the
server). `--runs` repeats the whole thing on fresh databases and reports medians.

Traffic:
- ping: visitors each with a stable anonymous id; 60 % identified (user id, email, typed
  traits, 1 in 3 with an account); 10 % of pings come from a visitor never seen before, the
  rest from one seen already, 5 % of those with a changed trait (a trait write).
- events: a new `event_id` each, from known visitors, names from a small set.
- responses: a new response id each, PUT partial then PUT completed (both counted).

Checks that every acknowledged write is in the database: contacts == distinct visitors
pinged, events rows == 202s, responses rows == distinct ids acknowledged and completed rows
== acknowledged completions. Server CPU (user+system of the server and its workers, from
/proc) is reported per request of the measured phase.

    python bench/server.py                       # 3 runs each, medians, SQLite and PostgreSQL
    python bench/server.py --db sqlite --runs 1 --endpoints ping   # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.postgres import Cluster  # noqa: E402
from refiner_server.db import contacts, events, make_engine, migrate, responses  # noqa: E402
from refiner_server.projects import create_project, import_surveys  # noqa: E402

HOST = "127.0.0.1"  # loopback only, never anything else
PROJECT = "bench"
API = f"/api/v1/client/{PROJECT}"
ENDPOINTS = ("ping", "events", "responses")
TICK = os.sysconf("SC_CLK_TCK")
START_S = 180  # a server's start on a loaded machine (imports, migrations check) took 46 s


def surveys() -> list[dict[str, Any]]:
    """20 live surveys; the odd ones target on traits, events and a 50 % sample."""
    out = []
    for i in range(20):
        s: dict[str, Any] = {
            "id": f"s{i:02d}",
            "status": "live",
            "trigger": {"type": "page", "include": [{"op": "starts_with", "value": "/app"}]},
            "questions": [
                {
                    "id": "nps",
                    "type": "nps",
                    "title": "How likely are you to recommend us to a friend?",
                },
                {"id": "why", "type": "text", "title": "What is the main reason?"},
            ],
        }
        if i % 2:
            s["audience"] = {
                "identified_only": True,
                "rules": [
                    {"trait": "plan", "op": "eq", "value": "pro"},
                    {"trait": "seats", "op": "gte", "value": 2},
                    {"event": "saved", "op": "at_least", "count": 1},
                ],
                "sample_percent": 50,
            }
            s["frequency"] = {"repeat": "interval", "interval_days": 30, "max_days": 365}
        out.append(s)
    return out


# -- traffic -------------------------------------------------------------------------------


@dataclass
class Visitor:
    anonymous_id: str
    user_id: str | None
    account_id: str | None
    seats: int = 3


class Traffic:
    """Request bodies, deterministic per seed; remembers what was acknowledged."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.visitors: list[Visitor] = []
        self.pinged: set[str] = set()  # anonymous ids acknowledged by a ping
        self.serial = 0

    def _id(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}-{self.serial:012d}"

    def new_visitor(self) -> Visitor:
        n = len(self.visitors)
        user = f"user-{n}" if self.rng.random() < 0.6 else None
        account = f"acc-{n % 50}" if user and self.rng.random() < 1 / 3 else None
        v = Visitor(self._id("anon"), user, account)
        self.visitors.append(v)
        return v

    def known(self) -> Visitor:
        return self.rng.choice(self.visitors) if self.visitors else self.new_visitor()

    def ping(self) -> tuple[str, str, bytes, Visitor]:
        if not self.visitors or self.rng.random() < 0.10:
            v = self.new_visitor()
        else:
            v = self.known()
            if v.user_id and self.rng.random() < 0.05:
                v.seats += 1
        body: dict[str, Any] = {
            "anonymous_id": v.anonymous_id,
            "signature": None,
            "locale": "en",
            "page": {"url": "https://example.com/app/settings", "title": "App", "referrer": ""},
            "user": None,
        }
        if v.user_id:
            body["user"] = {
                "id": v.user_id,
                "email": f"{v.user_id}@example.com",
                "name": "Jane Doe",
                "traits": {
                    "plan": "pro",
                    "seats": v.seats,
                    "paying": True,
                    "signed_up_at": "2024-04-26T15:58:14Z",
                },
                "account": (
                    {"id": v.account_id, "name": "Awesome Inc.", "traits": {"tier": "gold"}}
                    if v.account_id
                    else None
                ),
            }
        return "POST", f"{API}/ping", json.dumps(body).encode(), v

    def event(self) -> tuple[str, str, bytes, None]:
        v = self.known()
        body = {
            "event_id": self._id("evt"),
            "anonymous_id": v.anonymous_id,
            "user_id": v.user_id,
            "name": self.rng.choice(("saved", "opened", "exported", "invited")),
        }
        return "POST", f"{API}/events", json.dumps(body).encode(), None

    def response(self, completed: bool, response_id: str, v: Visitor) -> tuple[str, str, bytes]:
        answers: dict[str, Any] = {"nps": 9}
        if completed:
            answers["why"] = "Fast and simple."
        body = {
            "form_id": "s00",
            "anonymous_id": v.anonymous_id,
            "user_id": v.user_id,
            "answers": answers,
            "data": {"source": "bench"},
            "locale": "en",
            "page_url": "https://example.com/app/settings",
            "completed": completed,
        }
        return "PUT", f"{API}/responses/{response_id}", json.dumps(body).encode()


# -- a minimal HTTP/1.1 keep-alive client ------------------------------------------------------


class Conn:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes) -> int:
        """Send one request and read the whole answer; the status (0 on a broken connection)."""
        try:
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
            assert self.reader is not None
            self.writer.write(
                f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            head = await self.reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            length = next(
                int(line.split(":", 1)[1])
                for line in lines[1:]
                if line.lower().startswith("content-length:")
            )
            await self.reader.readexactly(length)
            return status
        except (OSError, asyncio.IncompleteReadError, ValueError, StopIteration):
            self.close()
            return 0

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Phase:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    acked: int = 0  # acknowledged writes (2xx)
    elapsed: float = 0.0
    cpu: float = 0.0
    responses: tuple[int, int] = (0, 0)  # response ids acknowledged, and completed


async def drive(
    port: int, traffic: Traffic, endpoint: str, count: int, duration: float, concurrency: int
) -> Phase:
    """Run `count` requests (or until `duration` s) on `concurrency` connections."""
    phase = Phase()
    deadline = time.perf_counter() + duration
    left = count
    acked_responses: set[str] = set()
    completed: set[str] = set()

    async def timed(conn: Conn, method: str, path: str, body: bytes) -> bool:
        t = time.perf_counter()
        status = await conn.request(method, path, body)
        phase.latencies.append(time.perf_counter() - t)
        if 200 <= status < 300:
            phase.acked += 1
            return True
        phase.errors += 1
        return False

    async def worker() -> None:
        nonlocal left
        conn = Conn(port)
        try:
            while left > 0 and time.perf_counter() < deadline:
                if endpoint == "responses":
                    left -= 2
                    rid, v = traffic._id("resp"), traffic.known()
                    if await timed(conn, *traffic.response(False, rid, v)):
                        acked_responses.add(rid)
                    if await timed(conn, *traffic.response(True, rid, v)):
                        acked_responses.add(rid)
                        completed.add(rid)
                    continue
                left -= 1
                if endpoint == "ping":
                    method, path, body, visitor = traffic.ping()
                    if await timed(conn, method, path, body):
                        traffic.pinged.add(visitor.anonymous_id)
                else:
                    method, path, body, _ = traffic.event()
                    await timed(conn, method, path, body)
        finally:
            conn.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    phase.elapsed = time.perf_counter() - start
    phase.responses = (len(acked_responses), len(completed))
    return phase


# -- the server under test ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def cpu_seconds(root_pid: int) -> float:
    """User+system CPU of `root_pid` and its descendants (live ones), from /proc."""
    children: dict[int, list[int]] = {}
    stats: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        ppid, ut, st = int(fields[1]), int(fields[11]), int(fields[12])
        stats[int(entry)] = (ppid, (ut + st) / TICK)
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0.0, [root_pid]
    while todo:
        pid = todo.pop()
        total += stats.get(pid, (0, 0.0))[1]
        todo.extend(children.get(pid, []))
    return total


def start_server(
    db_url: str,
    port: int,
    workers: int = 1,
    log: Path | None = None,
    options: Sequence[str] = (),
) -> subprocess.Popen[bytes]:
    """`refiner-server serve` on 127.0.0.1:`port` with `options` added, returned once it
    accepts connections; its output goes to `log` (or nowhere). Also used by tests/server
    (scale-out, durability) and bench/load.py."""
    cmd = [
        sys.executable,
        "-m",
        "refiner_server.cli",
        "serve",
        "--db",
        db_url,
        "--host",
        HOST,
        "--port",
        str(port),
        "--static",
        "/nonexistent",
        "--index",
        "/nonexistent",
    ]
    if workers != 1:
        cmd += ["--workers", str(workers)]
    cmd += options
    out = log.open("ab") if log else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    finally:
        if log:
            out.close()
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            detail = log.read_text(errors="replace")[-3000:] if log else ""
            raise RuntimeError(f"server exited ({proc.returncode}): {detail}")
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                time.sleep(0.5 if workers != 1 else 0.05)  # let every worker come up
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"server did not start within {START_S} s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """End a server `start_server` started: SIGTERM, then SIGKILL after 10 s."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def seed(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    create_project(engine, PROJECT, name="Bench")
    import_surveys(engine, PROJECT, surveys())
    engine.dispose()


def count_rows(db_url: str) -> dict[str, int]:
    engine = make_engine(db_url)
    with engine.connect() as conn:

        def n(table: sa.Table, *where: Any) -> int:
            q = sa.select(sa.func.count()).select_from(table).where(table.c.project_id == PROJECT)
            return conn.execute(q.where(*where)).scalar_one()

        out = {
            "contacts": n(contacts),
            "events": n(events),
            "responses": n(responses),
            "completed": n(responses, responses.c.completed),
        }
    engine.dispose()
    return out


def one_run(args: argparse.Namespace, db_url: str, run: int) -> list[dict[str, Any]]:
    seed(db_url)
    port = free_port()
    proc = start_server(db_url, port, args.workers)
    traffic = Traffic(seed=run)
    rows = []
    try:
        for endpoint in args.endpoints:
            warm = asyncio.run(
                drive(port, traffic, endpoint, args.warmup, args.duration, args.concurrency)
            )
            cpu0 = cpu_seconds(proc.pid)
            phase = asyncio.run(
                drive(port, traffic, endpoint, args.requests, args.duration, args.concurrency)
            )
            phase.cpu = cpu_seconds(proc.pid) - cpu0
            counts = count_rows(db_url)
            done = len(phase.latencies)
            lat = sorted(phase.latencies)
            if endpoint == "ping":
                stored_ok = counts["contacts"] == len(traffic.pinged)
            elif endpoint == "events":
                stored_ok = counts["events"] == warm.acked + phase.acked
            else:
                ids = [a + b for a, b in zip(warm.responses, phase.responses, strict=True)]
                stored_ok = [counts["responses"], counts["completed"]] == ids
            rows.append(
                {
                    "endpoint": endpoint,
                    "requests": done,
                    "req_s": done / phase.elapsed,
                    "p50_ms": lat[len(lat) // 2] * 1000,
                    "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000,
                    "errors": phase.errors + warm.errors,
                    "rows_match": stored_ok,
                    "server_cpu_ms_per_req": phase.cpu / done * 1000,
                }
            )
    finally:
        stop_server(proc)
    return rows


def median_rows(runs: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    out = []
    for i, first in enumerate(runs[0]):
        same = [r[i] for r in runs]
        row = {"endpoint": first["endpoint"]}
        for key in ("requests", "req_s", "p50_ms", "p99_ms", "server_cpu_ms_per_req"):
            row[key] = statistics.median(r[key] for r in same)
        row["errors"] = sum(r["errors"] for r in same)
        row["rows_match"] = all(r["rows_match"] for r in same)
        out.append(row)
    return out


def table(title: str, rows: list[dict[str, Any]]) -> str:
    lines = [
        title,
        f"{'endpoint':<10} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'errors':>6} {'rows==acked':>11} {'srv CPU ms/req':>14}",
    ]
    for r in rows:
        lines.append(
            f"{r['endpoint']:<10} {r['requests']:>8.0f} {r['req_s']:>7.0f} {r['p50_ms']:>7.1f} "
            f"{r['p99_ms']:>7.1f} {r['errors']:>6} {'yes' if r['rows_match'] else 'NO':>11} "
            f"{r['server_cpu_ms_per_req']:>14.2f}"
        )
    return "\n".join(lines)


@contextmanager
def databases(kind: str, pg_url: str | None) -> Iterator[Callable[[int], str]]:
    """A fresh database per run: a new SQLite file, or a new PostgreSQL database (on the
    server `pg_url` names, else on a throwaway cluster started here)."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield lambda run: f"sqlite:///{tmp}/bench-{run}.db"
        return
    with ExitStack() as stack:
        if pg_url is None:
            pg_url = stack.enter_context(Cluster(durable=True)).url()
        admin = make_engine(pg_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        stack.callback(admin.dispose)
        base, made = sa.make_url(pg_url), []

        def fresh(run: int) -> str:
            name = f"refiner_bench_{os.getpid()}_{run}"
            with admin.connect() as conn:
                conn.execute(sa.text(f"CREATE DATABASE {name}"))
            made.append(name)
            return base.set(database=name).render_as_string(hide_password=False)

        yield fresh
        with admin.connect() as conn:
            for name in made:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--requests", type=int, default=10_000, help="per endpoint (default 10000)")
    p.add_argument("--duration", type=float, default=20.0, help="max s per endpoint (default 20)")
    p.add_argument("--warmup", type=int, default=1_000, help="uncounted requests (default 1000)")
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--workers", type=int, default=2, help="server processes (default 2)")
    p.add_argument("--runs", type=int, default=3, help="fresh databases; medians (default 3)")
    p.add_argument("--endpoints", nargs="+", choices=ENDPOINTS, default=list(ENDPOINTS))
    p.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    p.add_argument(
        "--pg-url", metavar="URL", help="PostgreSQL server to use (default: a throwaway cluster)"
    )
    p.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "server.json")
    args = p.parse_args()

    report: dict[str, Any] = {
        "settings": {k: v for k, v in vars(args).items() if k not in ("json", "pg_url")},
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "results": {},
    }
    for name in ("sqlite", "postgresql"):
        if args.db not in (name, "both"):
            continue
        runs = []
        with databases(name, args.pg_url) as fresh:
            for run in range(args.runs):
                rows = one_run(args, fresh(run), run)
                print(table(f"{name}, run {run + 1}/{args.runs}", rows), file=sys.stderr)
                runs.append(rows)
        medians = median_rows(runs)
        report["results"][name] = {"median": medians, "runs": runs}
        print(table(f"{name}: medians of {args.runs} runs", medians))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json}")
    ok = all(
        r["errors"] == 0 and r["rows_match"]
        for v in report["results"].values()
        for r in v["median"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
