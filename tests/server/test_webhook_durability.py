"""Webhooks survive a server killed with SIGKILL in the middle of delivering: after a
restart every completed response reaches the receiver, in order, and a message that
arrives twice (sent before the kill, its result not yet written) carries the same
`webhook-id` both times."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import httpx
import sqlalchemy as sa

from bench.server import free_port, start_server, stop_server
from bench.webhook_receiver import Receiver
from refiner_server.db import make_engine, migrate
from refiner_server.projects import create_project, import_surveys
from refiner_server.webhooks.endpoints import create_endpoint
from refiner_server.webhooks.tables import webhook_deliveries
from refiner_server.webhooks.worker import BATCH, LEASE_S

from .admin_support import CLIENT, NPS

RESPONSES = 200
KILL_AFTER = 60  # messages received before the kill


def test_sigkill_mid_delivery_loses_and_reorders_nothing(db_url: str, tmp_path: Path):
    engine = make_engine(db_url)
    migrate(engine)
    create_project(engine, "p1")
    import_surveys(engine, "p1", [NPS])
    written = threading.Event()

    def answer(_id: str, _seen: int) -> tuple[int, bytes]:
        written.wait(60)  # the queue fills first, so the kill finds most of it undelivered
        return 200, b"ok"

    with Receiver(answer, delay_s=0.005) as receiver:
        create_endpoint(engine, "p1", receiver.url, ["response.completed"], allow_private=True)
        port, log = free_port(), tmp_path / "server.log"
        options = ["--webhooks-allow-private"]
        proc = start_server(db_url, port, log=log, options=options)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                for i in range(RESPONSES):
                    body = {
                        "form_id": "nps",
                        "anonymous_id": f"anon-{i:06d}",
                        "answers": {"score": i % 11},
                        "completed": True,
                    }
                    r = client.put(f"{CLIENT}/p1/responses/resp-{i:06d}", json=body)
                    assert r.status_code == 200, r.text
            written.set()
            assert receiver.wait_for(lambda got: len(got) >= KILL_AFTER), log.read_text()
            os.kill(proc.pid, signal.SIGKILL)  # mid-delivery: most messages still queued
            proc.wait(10)
            at_kill = len(receiver.received)
            assert at_kill < RESPONSES, "delivered everything before the kill: nothing tested"
            proc = start_server(db_url, port, log=log, options=options)
            ids = lambda got: {m.id for m in got}  # noqa: E731
            # the killed process's claim expires first (LEASE_S), then the rest comes
            assert receiver.wait_for(lambda got: len(ids(got)) == RESPONSES, LEASE_S + 90)
        finally:
            stop_server(proc)
    with engine.connect() as conn:
        queued = conn.execute(
            sa.select(webhook_deliveries.c.message_id, webhook_deliveries.c.status).order_by(
                webhook_deliveries.c.pk
            )
        ).all()
    engine.dispose()
    assert {status for _id, status in queued} == {"delivered"}
    by_id: dict[str, set[str]] = {}
    first_seen: list[str] = []
    for m in receiver.received:
        if m.id not in by_id:
            first_seen.append(m.id)
        by_id.setdefault(m.id, set()).add(m.json()["data"]["response"]["id"])
    assert all(len(responses) == 1 for responses in by_id.values())  # a duplicate is the same
    assert sorted(r for (r,) in by_id.values()) == [f"resp-{i:06d}" for i in range(RESPONSES)]
    assert first_seen == [message_id for message_id, _status in queued]  # in order
    # sent again: at most the batch of results not yet written at the kill (same ids)
    assert len(receiver.received) - RESPONSES <= BATCH
