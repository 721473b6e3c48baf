"""Shared by the admin API tests: a token header and the client calls that make data."""

from __future__ import annotations

from typing import Any

from refiner_server.tokens import create_token

ADMIN = "/api/v1/admin"
CLIENT = "/api/v1/client"

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
