"""When a survey stops being served by itself: at `schedule.end_at` (the ping's schedule
check) or once `schedule.max_responses` responses are completed (`surveys.closed_at`, set
in the transaction of the completion that reaches the limit, with `updated_at` so every
process's cache of live surveys drops it). An edit of the limit opens or closes it again.

Under PostgreSQL, completions committed at the same instant may each count the others
unseen, so a survey can close a few responses late, never early; SQLite's one writer makes
the count exact."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from refiner_server.client.rules import parse_date
from refiner_server.db import responses, surveys

_COMPLETED = sa.select(sa.func.count()).where(
    responses.c.project_id == sa.bindparam("project_id"),
    responses.c.form_id == sa.bindparam("form_id"),
    responses.c.completed,
)
_SURVEY = sa.select(surveys.c.definition, surveys.c.closed_at).where(
    surveys.c.project_id == sa.bindparam("project_id"), surveys.c.id == sa.bindparam("form_id")
)


def limit_of(definition: dict[str, Any]) -> int | None:
    return (definition.get("schedule") or {}).get("max_responses")


def closed_at(
    conn: Connection,
    project_id: str,
    form_id: str,
    definition: dict[str, Any],
    was: datetime | None,
    now: datetime,
) -> datetime | None:
    """What `closed_at` is for this definition: None without a limit or below it, else
    when it was first reached (`was`) or now."""
    limit = limit_of(definition)
    if limit is None:
        return None
    done = conn.execute(_COMPLETED, {"project_id": project_id, "form_id": form_id}).scalar_one()
    return (was or now) if done >= limit else None


def close_when_full(conn: Connection, project_id: str, form_id: str, now: datetime) -> None:
    """After a completion: close the survey if that reached its limit."""
    params = {"project_id": project_id, "form_id": form_id}
    row = conn.execute(_SURVEY, params).first()
    if row is None or row.closed_at is not None or limit_of(row.definition) is None:
        return
    if closed_at(conn, project_id, form_id, row.definition, None, now) is not None:
        conn.execute(
            surveys.update()
            .where(surveys.c.project_id == project_id, surveys.c.id == form_id)
            .values(closed_at=now, updated_at=now)
        )


def closing_note(definition: dict[str, Any], closed: datetime | None, now: datetime) -> str | None:
    """What the dashboard says of a survey that is no longer served by itself."""
    if closed is not None:
        return f"closed: {limit_of(definition)} responses reached"
    end = (definition.get("schedule") or {}).get("end_at")
    if end is not None:
        ended = parse_date(end)
        if ended <= now:
            return f"ended on {ended.strftime('%Y-%m-%d %H:%M')} UTC"
    return None
