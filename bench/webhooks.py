"""Webhooks under a server kill: N completed responses make N deliveries, none lost, none
duplicated under different ids.

Starts `refiner-server serve --webhooks-allow-private` on 127.0.0.1 over a fresh SQLite file
and/or a fresh PostgreSQL cluster (fsync on, `bench/postgres.py`), one endpoint pointing at
a local receiver (`bench/webhook_receiver.py`), then writes N completed responses from
`--writers` threads (each retried until acknowledged, as the browser client does). When
the receiver has a third of them it SIGKILLs the server and starts it again; the writers
ride through. It waits until every response's message arrived, then checks:
- lost: responses acknowledged whose message never arrived (must be 0);
- duplicated: responses that arrived under two different webhook-ids (must be 0); the
  same id arriving twice (the message in flight at the kill) is counted apart: `resent`;
- order: messages first arrive in the order they were queued.
Rates: deliveries/s before the kill (steady) and over the whole run (kill, restart and
the killed process's claim running out, `worker.LEASE_S`, included); lag: first arrival
minus the write's acknowledgement, p50 and p99, before the kill and overall.

    python bench/webhooks.py                     # N = 10,000, SQLite and PostgreSQL
    python bench/webhooks.py --n 2000 --db sqlite

Writes the rows and the load average to `bench/results/webhooks.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.postgres import Cluster  # noqa: E402
from bench.server import free_port, start_server, stop_server  # noqa: E402
from bench.webhook_receiver import Receiver  # noqa: E402
from refiner_server.db import make_engine, migrate  # noqa: E402
from refiner_server.projects import create_project, import_surveys  # noqa: E402
from refiner_server.webhooks.endpoints import create_endpoint  # noqa: E402
from refiner_server.webhooks.tables import webhook_deliveries  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "webhooks.json"
SURVEY = {
    "id": "nps",
    "name": "NPS",
    "status": "live",
    "questions": [
        {"id": "score", "type": "nps", "title": "How likely?"},
        {"id": "why", "type": "text", "title": "Why?"},
    ],
}


def run(db_url: str, n: int, writers: int, log: Path) -> dict:
    engine = make_engine(db_url)
    migrate(engine)
    create_project(engine, "bench")
    import_surveys(engine, "bench", [SURVEY])
    with Receiver() as receiver:
        create_endpoint(engine, "bench", receiver.url, ["response.completed"], allow_private=True)
        port = free_port()
        options = ["--webhooks-allow-private", "--rate-limit-project", "off"]
        options += ["--rate-limit-address", "off"]
        proc = start_server(db_url, port, log=log, options=options)
        acked: dict[str, float] = {}
        lock = threading.Lock()
        todo = iter(range(n))

        def write() -> None:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                for i in todo:
                    rid = f"resp-{i:07d}"
                    body = {
                        "form_id": "nps",
                        "anonymous_id": f"anon-{i:07d}",
                        "answers": {"score": i % 11, "why": "bench"},
                        "completed": True,
                    }
                    while True:  # the browser client retries until a 2xx
                        try:
                            r = client.put(f"/api/v1/client/bench/responses/{rid}", json=body)
                            if r.status_code == 200:
                                break
                        except httpx.TransportError:
                            pass
                        time.sleep(0.1)
                    with lock:
                        acked[rid] = time.time()

        threads = [threading.Thread(target=write) for _ in range(writers)]
        started = time.time()
        for t in threads:
            t.start()
        receiver.wait_for(lambda got: len(got) >= n // 3, 600)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        killed_at, at_kill = time.time(), len(receiver.received)
        proc = start_server(db_url, port, log=log, options=options)
        try:
            for t in threads:
                t.join()
            complete = receiver.wait_for(lambda got: len({m.id for m in got}) >= n, 900)
        finally:
            stop_server(proc)
        received = list(receiver.received)
    with engine.connect() as conn:
        queued = list(
            conn.execute(
                sa.select(webhook_deliveries.c.message_id).order_by(webhook_deliveries.c.pk)
            ).scalars()
        )
    engine.dispose()
    first: dict[str, tuple[str, float]] = {}  # webhook-id -> (response id, first arrival)
    ids_of: dict[str, set[str]] = {}
    for m in received:
        rid = m.json()["data"]["response"]["id"]
        first.setdefault(m.id, (rid, m.at))
        ids_of.setdefault(rid, set()).add(m.id)
    arrival = {rid: at for rid, at in first.values()}
    lags = sorted(arrival[r] - acked[r] for r in acked if r in arrival)
    steady = sorted(arrival[r] - acked[r] for r in acked if arrival.get(r, 1e18) < killed_at)
    before = [at for _rid, at in first.values() if at < killed_at]
    return {
        "n": n,
        "complete": complete,
        "lost": sum(1 for r in acked if r not in arrival),
        "duplicated": sum(1 for ids in ids_of.values() if len(ids) > 1),
        "resent": len(received) - len(first),
        "in_order": list(dict.fromkeys(m.id for m in received)) == queued,
        "at_kill": at_kill,
        "steady_per_s": (len(before) - 1) / (max(before) - min(before)) if len(before) > 1 else 0,
        "overall_per_s": len(first) / (max(a for _r, a in first.values()) - started),
        "p50_ms": 1000 * _pct(steady, 50),
        "p99_ms": 1000 * _pct(steady, 99),
        "p99_all_ms": 1000 * _pct(lags, 99),
    }


def _pct(values: list[float], p: int) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if p < 100 else values[-1]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--n", type=int, default=10_000, help="completed responses (default 10,000)")
    p.add_argument("--writers", type=int, default=4, help="writing threads (default 4)")
    p.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    args = p.parse_args()
    rows = []
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        for kind in ("sqlite", "postgresql"):
            if args.db not in (kind, "both"):
                continue
            if kind == "sqlite":
                url = f"sqlite:///{tmp}/bench.db"
            else:
                url = stack.enter_context(Cluster(durable=True)).url()
            rows.append((kind, run(url, args.n, args.writers, Path(tmp, f"{kind}.log"))))
    head = (
        "| database | N | lost | duplicated | resent (same id) | in order | deliveries/s before "
        "kill | deliveries/s overall | lag p50 / p99 before kill | lag p99 overall |"
    )
    print(head)
    print("|---" * (head.count("|") - 1) + "|")
    for kind, r in rows:
        print(
            f"| {kind} | {r['n']:,} | {r['lost']} | {r['duplicated']} | {r['resent']} | "
            f"{'yes' if r['in_order'] else 'NO'} | {r['steady_per_s']:.0f} | "
            f"{r['overall_per_s']:.0f} | {r['p50_ms']:.0f} / {r['p99_ms']:.0f} ms | "
            f"{r['p99_all_ms'] / 1000:.1f} s |"
        )
    RESULTS.write_text(json.dumps({"load": os.getloadavg(), "runs": dict(rows)}, indent=1) + "\n")
    ok = all(
        r["complete"] and not r["lost"] and not r["duplicated"] and r["in_order"] for _k, r in rows
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
