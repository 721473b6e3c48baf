"""An owner's endpoints and their delivery log: what the admin API and the dashboard do,
as plain functions over an engine that waits for SQLite's write lock."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from refiner_server.db import iso, projects, utcnow
from refiner_server.surveys.store import NotFound
from refiner_server.webhooks import slack
from refiner_server.webhooks.outbox import RETRY_WINDOW, enqueue_test
from refiner_server.webhooks.payloads import EVENTS
from refiner_server.webhooks.signing import new_secret
from refiner_server.webhooks.tables import webhook_deliveries as D
from refiner_server.webhooks.tables import webhook_endpoints as E
from refiner_server.webhooks.targets import UnsafeTarget, check_url

#: how long the previous secret keeps signing after a rotation
ROTATION_OVERLAP = timedelta(hours=24)
STATUSES = ("pending", "delivered", "failed")


class InvalidEndpoint(ValueError):
    """Settings an endpoint cannot have; the message names the field."""


def create_endpoint(
    engine: Engine,
    project_id: str,
    url: str,
    events: Sequence[str] | None = None,
    format: str = "standard",
    description: str = "",
    allow_private: bool = False,
) -> dict[str, Any]:
    """A new endpoint with a new secret (returned: the caller shows it to the owner)."""
    row = {
        "id": "ep_" + secrets.token_hex(8),
        "project_id": project_id,
        "url": _url(url, allow_private),
        "format": _format(format),
        "events": _events(events, format),
        "description": description,
        "secret": new_secret(),
        "enabled": True,
        "created_at": utcnow(),
        "updated_at": utcnow(),
    }
    with engine.begin() as conn:
        if (
            conn.execute(sa.select(projects.c.id).where(projects.c.id == project_id)).first()
            is None
        ):
            raise NotFound(f"project {project_id!r} does not exist")
        conn.execute(E.insert(), row)
    return get_endpoint(engine, project_id, row["id"])


def list_endpoints(engine: Engine, project_id: str) -> list[dict[str, Any]]:
    """The project's endpoints, oldest first, with their queue counts."""
    with engine.connect() as conn:
        rows = conn.execute(
            _WITH_COUNTS.where(E.c.project_id == project_id).order_by(E.c.created_at, E.c.id)
        )
        return [dict(r) for r in rows.mappings()]


def disabled_endpoints(engine: Engine, project_id: str) -> list[dict[str, Any]]:
    """The project's endpoints the server disabled, for the dashboard's notice."""
    query = sa.select(E.c.id, E.c.url, E.c.disabled_reason).where(
        E.c.project_id == project_id, E.c.disabled_reason.is_not(None)
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query.order_by(E.c.id)).mappings()]


def get_endpoint(engine: Engine, project_id: str, endpoint_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = (
            conn.execute(_WITH_COUNTS.where(E.c.project_id == project_id, E.c.id == endpoint_id))
            .mappings()
            .first()
        )
    if row is None:
        raise NotFound(f"webhook endpoint {endpoint_id!r} does not exist in {project_id!r}")
    return dict(row)


def update_endpoint(
    engine: Engine,
    project_id: str,
    endpoint_id: str,
    allow_private: bool = False,
    **changes: Any,
) -> dict[str, Any]:
    """Change url, events, description or enabled. Enabling again clears the notice and
    makes the queue due now, with a fresh retry window: what waited is sent, not lost."""
    current = get_endpoint(engine, project_id, endpoint_id)
    now = utcnow()
    values: dict[str, Any] = {"updated_at": now}
    if changes.get("url") is not None:
        values["url"] = _url(changes["url"], allow_private)
    if changes.get("events") is not None:
        values["events"] = _events(changes["events"], current["format"])
    if changes.get("description") is not None:
        values["description"] = changes["description"]
    enable = changes.get("enabled")
    if enable is not None:
        values["enabled"] = enable
        if enable and not current["enabled"]:
            values.update(disabled_at=None, disabled_reason=None)
    with engine.begin() as conn:
        conn.execute(E.update().where(E.c.id == endpoint_id), values)
        if enable and not current["enabled"]:
            conn.execute(
                D.update().where(D.c.endpoint_id == endpoint_id, D.c.status == "pending"),
                {"next_attempt_at": now, "expires_at": now + RETRY_WINDOW},
            )
    return get_endpoint(engine, project_id, endpoint_id)


def delete_endpoint(engine: Engine, project_id: str, endpoint_id: str) -> None:
    """Delete the endpoint and its log (its queue is dropped with it)."""
    get_endpoint(engine, project_id, endpoint_id)
    with engine.begin() as conn:
        conn.execute(D.delete().where(D.c.endpoint_id == endpoint_id))
        conn.execute(E.delete().where(E.c.id == endpoint_id))


def rotate_secret(engine: Engine, project_id: str, endpoint_id: str) -> dict[str, Any]:
    """A new secret; the current one keeps signing beside it for ROTATION_OVERLAP."""
    current = get_endpoint(engine, project_id, endpoint_id)
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            E.update().where(E.c.id == endpoint_id),
            {
                "secret": new_secret(),
                "previous_secret": current["secret"],
                "previous_until": now + ROTATION_OVERLAP,
                "updated_at": now,
            },
        )
    return get_endpoint(engine, project_id, endpoint_id)


def deliveries(
    engine: Engine,
    project_id: str,
    endpoint_id: str,
    status: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """The endpoint's log, newest first; `before`: a delivery id, for the next page."""
    get_endpoint(engine, project_id, endpoint_id)
    query = sa.select(*_LOG_COLUMNS).where(D.c.endpoint_id == endpoint_id)
    if status is not None:
        query = query.where(D.c.status == status)
    if before is not None:
        query = query.where(D.c.pk < before)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(D.c.pk.desc()).limit(limit)).mappings()
        return [dict(r) for r in rows]


def delivery(engine: Engine, project_id: str, endpoint_id: str, delivery_id: int) -> dict[str, Any]:
    """One delivery of the log, with the body that is sent."""
    get_endpoint(engine, project_id, endpoint_id)
    with engine.connect() as conn:
        row = (
            conn.execute(
                sa.select(*_LOG_COLUMNS, D.c.body).where(
                    D.c.endpoint_id == endpoint_id, D.c.pk == delivery_id
                )
            )
            .mappings()
            .first()
        )
    if row is None:
        raise NotFound(f"delivery {delivery_id} does not exist for {endpoint_id!r}")
    return dict(row)


def redeliver(
    engine: Engine, project_id: str, endpoint_id: str, delivery_id: int | None = None
) -> int:
    """Queue a finished delivery again (`delivery_id`), or every failed one: same message,
    same `webhook-id`, due now, in its place in the order. Returns how many."""
    get_endpoint(engine, project_id, endpoint_id)
    now = utcnow()
    where = [D.c.endpoint_id == endpoint_id]
    if delivery_id is None:
        where.append(D.c.status == "failed")
    else:
        where += [D.c.pk == delivery_id, D.c.status != "pending"]
    with engine.begin() as conn:
        done = conn.execute(
            D.update().where(*where),
            {
                "status": "pending",
                "next_attempt_at": now,
                "expires_at": now + RETRY_WINDOW,
                "finished_at": None,
            },
        )
        return done.rowcount


def send_test(engine: Engine, project_id: str, endpoint_id: str) -> str:
    """Queue a `webhook.test` message to the endpoint; its message id."""
    endpoint = get_endpoint(engine, project_id, endpoint_id)
    with engine.begin() as conn:
        return enqueue_test(conn, endpoint, utcnow())


def public(endpoint: dict[str, Any]) -> dict[str, Any]:
    """An endpoint as the API shows it: no secret (it has its own route)."""
    out = {k: v for k, v in endpoint.items() if k not in _PRIVATE}
    for key in ("created_at", "updated_at", "disabled_at"):
        out[key] = iso(out[key])
    return out


def _url(url: str, allow_private: bool) -> str:
    try:
        check_url(url, allow_private)
    except UnsafeTarget as exc:
        raise InvalidEndpoint(str(exc)) from None
    return url


def _format(format: str) -> str:
    if format not in slack.FORMATS:
        raise InvalidEndpoint(f"format: one of {', '.join(slack.FORMATS)}")
    return format


def _events(events: Sequence[str] | None, format: str) -> list[str]:
    allowed = slack.EVENTS if format == "slack" else EVENTS
    if events is None:
        return list(allowed)
    unknown = [e for e in events if e not in allowed]
    if unknown or not events:
        raise InvalidEndpoint(
            f"events: one or more of {', '.join(allowed)}"
            + (f" ({format} endpoints)" if format == "slack" else "")
        )
    return sorted(set(events), key=allowed.index)


_PRIVATE = ("secret", "previous_secret", "lease_owner", "lease_until")


def _count(status: str) -> sa.Label[int]:
    return (
        sa.select(sa.func.count())
        .where(D.c.endpoint_id == E.c.id, D.c.status == status)
        .scalar_subquery()
        .label(status)
    )


_WITH_COUNTS = sa.select(E, *(_count(s) for s in STATUSES))
_LOG_COLUMNS = (
    D.c.pk.label("id"),
    D.c.message_id,
    D.c.event,
    D.c.status,
    D.c.attempts,
    D.c.created_at,
    D.c.next_attempt_at,
    D.c.finished_at,
    D.c.last_attempt_at,
    D.c.last_status_code,
    D.c.last_latency_ms,
    D.c.last_error,
    D.c.response_excerpt,
)
