"""Shared by the admin API tests: a token header and the client calls that make data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from refiner_server.db import contacts, responses
from refiner_server.tokens import create_token

ADMIN = "/api/v1/admin"
CLIENT = "/api/v1/client"
T0 = datetime(2026, 3, 1, tzinfo=UTC)

NPS = {
    "id": "nps",
    "name": "NPS",
    "status": "live",
    "questions": [
        {"id": "score", "type": "nps", "title": "How likely?", "required": True},
        {"id": "why", "type": "text", "title": "Why?"},
        {
            "id": "plan",
            "type": "multiple_choice",
            "title": "Plans?",
            "choices": [{"id": "free", "label": "Free"}, {"id": "pro", "label": "Pro"}],
            "other": True,
        },
    ],
    "logic": [{"if": {"question": "score", "op": "gte", "value": 9}, "goto": "plan"}],
    "trigger": {"type": "manual"},
}


def auth(engine: Any, name: str = "tests") -> dict[str, str]:
    """Authorization header of a fresh token."""
    _token_id, raw = create_token(engine, name)
    return {"Authorization": f"Bearer {raw}"}


def respond(
    client: Any,
    response_id: str,
    answers: dict[str, Any],
    *,
    project: str = "p1",
    form: str = "nps",
    user_id: str | None = None,
    completed: bool = True,
    data: dict[str, Any] | None = None,
) -> None:
    """A response through the public client endpoint, as the browser sends it."""
    body = {
        "form_id": form,
        "anonymous_id": "anon-" + response_id,
        "user_id": user_id,
        "answers": answers,
        "data": data or {},
        "completed": completed,
    }
    r = client.put(f"{CLIENT}/{project}/responses/{response_id}", json=body)
    assert r.status_code == 200, r.text


def insert_rows(
    engine, n, *, project="p1", form="nps", at=T0, step=timedelta(seconds=1), same_time=False
):
    prefix = "r" if form == "nps" else form[0]
    """`n` responses of one contact, inserted in one executemany."""
    with engine.begin() as conn:
        pk = conn.execute(
            contacts.insert().values(
                project_id=project, user_id=f"bulk-{form}", first_seen_at=at, last_seen_at=at
            )
        ).inserted_primary_key[0]
        conn.execute(
            responses.insert(),
            [
                {
                    "project_id": project,
                    "response_id": f"{prefix}{i:07d}",
                    "form_id": form,
                    "contact_pk": pk,
                    "answers": {"score": i % 11, "why": f"reason number {i}"},
                    "data": {"plan": "pro"},
                    "completed": i % 2 == 0,
                    "created_at": at if same_time else at + i * step,
                    "updated_at": at,
                    "completed_at": at if i % 2 == 0 else None,
                    "survey_version": 1,
                }
                for i in range(n)
            ],
        )
