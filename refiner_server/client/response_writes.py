"""How a response is stored: created by its first save, then changed by later saves of
the same id (the client saves after each step and retries until answered)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from refiner_server.client.answer_checks import AnswerChecks, with_dropped
from refiner_server.client.contacts import check_owner
from refiner_server.client.models import ResponseIn
from refiner_server.db import iso, responses
from refiner_server.http.errors import ApiError
from refiner_server.surveys.closing import close_when_full
from refiner_server.webhooks.outbox import queue_response

_INSERT_RESPONSE = responses.insert()
_RESPONSE = sa.select(responses).where(
    responses.c.project_id == sa.bindparam("project_id"),
    responses.c.response_id == sa.bindparam("response_id"),
)


def save_response(
    conn: Connection,
    checks: AnswerChecks,
    project_id: str,
    response_id: str,
    body: ResponseIn,
    contact: sa.Row[Any],
    now: datetime,
) -> dict[str, Any]:
    """Insert or update the response `contact` sends (inside the caller's transaction,
    which also queues its webhook messages); its answer (`ResponseOut` without `dropped`)."""
    params = {"project_id": project_id, "response_id": response_id}
    row = conn.execute(_RESPONSE, params).first()
    if row is not None:
        check_owner(row.contact_pk, contact, "response_id", response_id)
        if row.form_id != body.form_id:
            raise ApiError(
                409,
                "response_form_mismatch",
                f"form_id: response {response_id!r} belongs to form {row.form_id!r}",
            )
    version, answers, notes = checks.check(
        conn, project_id, body.form_id, row.survey_version if row else None, body.answers
    )
    notes = with_dropped(notes, body.dropped)
    changes: dict[str, Any] = {}
    if row is None:
        stored = {
            "form_id": body.form_id,
            "survey_version": version,
            "answers": answers,
            "notes": notes,
            "data": body.data,
            "locale": body.locale,
            "page_url": body.page_url,
            "completed": body.completed,
            "created_at": now,
            "updated_at": now,
            "completed_at": now if body.completed else None,
        }
        conn.execute(
            _INSERT_RESPONSE,
            dict(stored, contact_pk=contact.pk, **params),
        )
    else:
        stored = dict(row._mapping)
        changes = _response_changes(row, body, answers, notes, now)
        if changes:
            changes["updated_at"] = now
            conn.execute(
                responses.update().where(
                    responses.c.project_id == project_id,
                    responses.c.response_id == response_id,
                ),
                changes,
            )
            stored.update(changes)
    if row is None or changes:  # webhooks: a completion once, any other save as update
        completes = stored["completed"] and (row is None or "completed" in changes)
        queue_response(conn, project_id, response_id, stored, contact.pk, completes, now)
        if completes:
            close_when_full(conn, project_id, body.form_id, now)
    return {
        "id": response_id,
        "form_id": stored["form_id"],
        "completed": stored["completed"],
        "created_at": iso(stored["created_at"]),
        "updated_at": iso(stored["updated_at"]),
        "completed_at": iso(stored["completed_at"]),
    }


def _response_changes(
    row: sa.Row[Any],
    body: ResponseIn,
    answers: dict[str, Any],
    notes: list[str] | None,
    now: datetime,
) -> dict[str, Any]:
    """Columns a later save changes. The latest (checked) answers, their notes and the
    data replace the stored ones, except that a non-completed save arriving after
    completion is stale (a delayed retry of an earlier step) and changes nothing;
    `completed` never goes back to false."""
    if row.completed and not body.completed:
        return {}
    new = {
        "answers": answers,
        "notes": notes,
        "data": body.data,
        "locale": body.locale if body.locale is not None else row.locale,
        "page_url": body.page_url if body.page_url is not None else row.page_url,
    }
    changes = {k: v for k, v in new.items() if getattr(row, k) != v}
    if body.completed and not row.completed:
        changes.update(completed=True, completed_at=now)
    return changes
