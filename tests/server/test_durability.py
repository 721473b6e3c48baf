"""A server killed with SIGKILL in the middle of a burst of writes loses none it
acknowledged: a 2xx is sent only after the transaction committed. (SQLite's WAL with
`synchronous=NORMAL` survives a crash of the process; only a power cut may lose the last
commits, which a SIGKILL is not.)"""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from bench.server import free_port, start_server
from refiner_server.db import events, make_engine, migrate, responses
from refiner_server.projects import create_project

CLIENT = "/api/v1/client/p1"
WRITERS = 6
KILL_AFTER = 150  # acknowledged writes before the kill


def burst(base_url: str, acked: dict[str, set[str]], stop: threading.Event, n: int) -> None:
    """Events and completed responses with fresh ids until the server goes away."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        for i in itertools.count():
            if stop.is_set():
                return
            anon = f"anon-{n:04d}{i % 7:04d}"
            try:
                if i % 3:
                    event_id = f"evt-{n:04d}-{i:08d}"
                    body = {"event_id": event_id, "anonymous_id": anon, "name": "burst"}
                    r = client.post(f"{CLIENT}/events", json=body)
                    kind, key = "events", event_id
                else:
                    key = f"resp-{n:04d}-{i:08d}"
                    body = {"form_id": "f", "anonymous_id": anon, "completed": True}
                    r = client.put(f"{CLIENT}/responses/{key}", json=body)
                    kind = "responses"
            except httpx.TransportError:
                return  # killed: whatever was not answered may or may not be stored
            if r.is_success:
                acked[kind].add(key)


def test_sigkill_mid_burst_loses_no_acknowledged_write(db_url: str, tmp_path: Path):
    engine = make_engine(db_url)
    migrate(engine)
    create_project(engine, "p1")
    port = free_port()
    log = tmp_path / "server.log"
    proc = start_server(db_url, port, log=log)
    acked: dict[str, set[str]] = {"events": set(), "responses": set()}
    stop = threading.Event()
    writers = [
        threading.Thread(target=burst, args=(f"http://127.0.0.1:{port}", acked, stop, n))
        for n in range(WRITERS)
    ]
    try:
        for w in writers:
            w.start()
        deadline = time.monotonic() + 60
        while sum(map(len, acked.values())) < KILL_AFTER and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)  # mid-burst: the writers are still sending
        proc.wait(10)
    finally:
        stop.set()
        for w in writers:
            w.join(30)
        if proc.poll() is None:
            proc.kill()
    assert sum(map(len, acked.values())) >= KILL_AFTER, log.read_text()

    proc = start_server(db_url, port, log=log)  # recovery: the database opens again
    try:
        r = httpx.post(
            f"http://127.0.0.1:{port}{CLIENT}/ping", json={"anonymous_id": "anon-after0"}
        )
        assert r.status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)
    with engine.connect() as conn:
        stored_events = set(conn.execute(sa.select(events.c.event_id)).scalars())
        completed = set(
            conn.execute(sa.select(responses.c.response_id).where(responses.c.completed)).scalars()
        )
    engine.dispose()
    assert acked["events"] - stored_events == set()
    assert acked["responses"] - completed == set()
