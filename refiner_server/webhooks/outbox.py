"""Enqueueing: a delivery row per subscribed endpoint, written in the caller's transaction,
so a message exists exactly when the fact it tells of was committed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from refiner_server.webhooks import payloads, slack
from refiner_server.webhooks.payloads import TEST_EVENT, envelope
from refiner_server.webhooks.signing import new_message_id
from refiner_server.webhooks.tables import webhook_deliveries, webhook_endpoints

#: how long a message is retried before it is given up (and its endpoint disabled)
RETRY_WINDOW = timedelta(hours=24)


def enqueue(
    conn: Connection,
    project_id: str,
    event: str,
    now: datetime,
    build: Callable[[], dict[str, Any]],
) -> int:
    """Queue `event` for every endpoint of the project that takes it (disabled ones too:
    they get their messages when enabled again). `build` makes the data, only when some
    endpoint wants it. Returns the number of deliveries queued."""
    targets = [
        row for row in conn.execute(_ENDPOINTS, {"project_id": project_id}) if event in row.events
    ]
    if not targets:
        return 0
    data = build()
    bodies = {
        fmt: slack.message(data) if fmt == "slack" else envelope(event, now, data)
        for fmt in {row.format for row in targets}
    }
    conn.execute(
        webhook_deliveries.insert(),
        [delivery(row.id, event, bodies[row.format], now) for row in targets],
    )
    return len(targets)


def queue_response(
    conn: Connection,
    project_id: str,
    response_id: str,
    stored: dict[str, Any],
    contact_pk: int,
    completes: bool,
    now: datetime,
) -> None:
    """`response.completed` when this save completed it, else `response.updated`."""
    enqueue(
        conn,
        project_id,
        "response.completed" if completes else "response.updated",
        now,
        lambda: payloads.response_data(conn, project_id, response_id, stored, contact_pk),
    )


def queue_dismissed(
    conn: Connection, project_id: str, dismissal: dict[str, Any], contact_pk: int, now: datetime
) -> None:
    """`survey.dismissed` for a new dismissal (`id`, `form_id`, `dismissed_at`)."""
    enqueue(
        conn,
        project_id,
        "survey.dismissed",
        now,
        lambda: payloads.dismissal_data(conn, project_id, dismissal, contact_pk),
    )


def queue_identified(conn: Connection, project_id: str, contact_pk: int, now: datetime) -> None:
    """`contact.identified`, in the transaction that identified them."""
    enqueue(
        conn,
        project_id,
        "contact.identified",
        now,
        lambda: payloads.identified_data(conn, project_id, contact_pk),
    )


def enqueue_test(conn: Connection, endpoint: dict[str, Any], now: datetime) -> str:
    """Queue a test message to one endpoint (behind its queue: order holds); its id."""
    if endpoint["format"] == "slack":
        body = slack.text_message(f"refiner-web test message to {endpoint['url']}")
    else:
        body = envelope(TEST_EVENT, now, {"project_id": endpoint["project_id"]})
    row = delivery(endpoint["id"], TEST_EVENT, body, now)
    conn.execute(webhook_deliveries.insert(), row)
    return row["message_id"]


def delivery(endpoint_id: str, event: str, body: bytes, now: datetime) -> dict[str, Any]:
    """The row of a new delivery, due now."""
    return {
        "endpoint_id": endpoint_id,
        "message_id": new_message_id(),
        "event": event,
        "body": body.decode(),
        "status": "pending",
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
        "expires_at": now + RETRY_WINDOW,
    }


_ENDPOINTS = sa.select(
    webhook_endpoints.c.id, webhook_endpoints.c.format, webhook_endpoints.c.events
).where(webhook_endpoints.c.project_id == sa.bindparam("project_id"))
