"""The audit log: who changed what in a project, and when.

Every change to a survey or a project setting made through the dashboard or the admin API
(surveys, project settings, server keys, webhooks, contacts erased, people and invitations)
calls `record` once it succeeded. Other code that changes a project calls it too:

    from refiner_server.team.audit import record
    record(engine, project_id="p1", actor=who, action="survey.updated",
           subject="survey:nps", detail={"version": 4})

`actor` is the request's `Principal` (the `who` that `team.access`'s dependencies give a
route: a person or an admin token; its `kind`, `id` and `label` are kept, so the row still
says who after the person or token is gone). `conn` is an open connection, to write in the
same transaction as the change, or an engine, to write in a transaction of its own.
`action` is `<thing>.<past tense>` (`survey.launched`, `key.revoked`); `subject` is
`<kind>:<id>` (`survey:nps`, `webhook:wh-1`), which the owners' page filters on;
`detail` is a small JSON object (what changed, never a secret).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from starlette.concurrency import run_in_threadpool

from refiner_server.db import iso, utcnow
from refiner_server.team.principal import Principal
from refiner_server.team.tables import audit_log

#: the most rows one page (dashboard or API) shows
MOST = 500


def record(
    conn: Connection | Engine,
    *,
    project_id: str | None,
    actor: Principal,
    action: str,
    subject: str,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Add one row to the audit log (see the module's docstring)."""
    row = dict(
        at=at or utcnow(),
        project_id=project_id,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_name=actor.label[:255],
        action=action,
        subject=subject[:255],
        detail=detail or {},
    )
    if isinstance(conn, Engine):
        with conn.begin() as c:
            c.execute(audit_log.insert().values(**row))
    else:
        conn.execute(audit_log.insert().values(**row))


async def recorded(engine: Engine, **row: Any) -> None:
    """`record` from an async route: in the threadpool, since the write may wait for the
    database's lock."""
    await run_in_threadpool(lambda: record(engine, **row))


def entries(
    engine: Engine,
    project_id: str,
    subject: str | None = None,
    before: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """A project's rows, newest first: of one `subject` when given, older than row
    `before` (the `id` of the last row of the previous page) when given."""
    t = audit_log
    query = sa.select(t).where(t.c.project_id == project_id)
    if subject is not None:
        query = query.where(t.c.subject == subject)
    if before is not None:
        query = query.where(t.c.pk < before)
    query = query.order_by(t.c.pk.desc()).limit(min(limit, MOST))
    with engine.connect() as conn:
        return [_out(r) for r in conn.execute(query).mappings()]


def subjects(engine: Engine, project_id: str) -> list[str]:
    """Every subject the project's log names, for the page's filter."""
    t = audit_log
    query = sa.select(t.c.subject).where(t.c.project_id == project_id).distinct()
    with engine.connect() as conn:
        return sorted(conn.execute(query).scalars())


def _out(row: Any) -> dict[str, Any]:
    return {
        "id": row["pk"],
        "at": iso(row["at"]),
        "project_id": row["project_id"],
        "actor": {"kind": row["actor_kind"], "id": row["actor_id"], "name": row["actor_name"]},
        "action": row["action"],
        "subject": row["subject"],
        "detail": row["detail"],
    }
