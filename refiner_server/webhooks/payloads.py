"""The JSON bodies of webhook messages (docs/webhooks.md "Payload").

Every body is `{"type", "timestamp", "data"}` as the Standard Webhooks specification
suggests. They are built inside the transaction that stores the fact, from what it stored,
so a message says exactly what the database holds at commit.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from refiner_server.client.contacts import trait_value
from refiner_server.db import accounts, contacts, iso, survey_versions, surveys, traits

EVENTS = ("response.completed", "response.updated", "survey.dismissed", "contact.identified")
TEST_EVENT = "webhook.test"
#: the largest body sent; a response beyond it goes without its answers and hidden fields,
#: marked `"truncated": true` (the admin API has them whole)
MAX_BODY_BYTES = 256 * 1024


def envelope(event: str, at: datetime, data: dict[str, Any]) -> bytes:
    """The body of one message, bounded by MAX_BODY_BYTES."""
    body = _encode({"type": event, "timestamp": iso(at), "data": data})
    if len(body) <= MAX_BODY_BYTES or "response" not in data:
        return body
    response = dict(data["response"], answers={}, hidden_fields={}, truncated=True)
    return _encode({"type": event, "timestamp": iso(at), "data": dict(data, response=response)})


def person(conn: Connection, contact_pk: int) -> dict[str, Any]:
    """A contact as stored: ids, email, name, traits, and the account with its traits."""
    row = conn.execute(_CONTACT, {"pk": contact_pk}).one()
    owned = {"contact": {}, "account": {}}
    for t in conn.execute(_TRAITS, {"contact_pk": contact_pk, "account_pk": row.account_pk}):
        value = trait_value(t)
        owned["contact" if t.contact_pk is not None else "account"][t.key] = (
            iso(value) if isinstance(value, datetime) else value
        )
    account = None
    if row.account_id is not None:
        account = {"id": row.account_id, "name": row.account_name, "traits": owned["account"]}
    return {
        "user_id": row.user_id,
        "email": row.email,
        "name": row.name,
        "traits": owned["contact"],
        "account": account,
    }


def survey(
    conn: Connection, project_id: str, survey_id: str, version: int | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Id, name and version of a survey, and its question titles by id (of `version`, or
    of the current definition when the version is not known)."""
    definition = None
    if version is not None:
        definition = conn.execute(
            _VERSION, {"project_id": project_id, "survey_id": survey_id, "version": version}
        ).scalar()
    if definition is None:
        current = conn.execute(_SURVEY, {"project_id": project_id, "survey_id": survey_id})
        row = current.first()
        definition, version = (row.definition, row.version) if row else ({}, version)
    about = {"id": survey_id, "name": definition.get("name") or survey_id, "version": version}
    return about, {q["id"]: q.get("title") or q["id"] for q in definition.get("questions") or []}


def response_data(
    conn: Connection, project_id: str, response_id: str, stored: dict[str, Any], contact_pk: int
) -> dict[str, Any]:
    """The `data` of `response.completed` and `response.updated`."""
    about, titles = survey(conn, project_id, stored["form_id"], stored["survey_version"])
    answers = {
        qid: {"title": titles.get(qid, qid), "value": value}
        for qid, value in (stored["answers"] or {}).items()
    }
    return {
        "project_id": project_id,
        "survey": about,
        "response": {
            "id": response_id,
            "completed": bool(stored["completed"]),
            "created_at": iso(stored["created_at"]),
            "updated_at": iso(stored["updated_at"]),
            "completed_at": iso(stored["completed_at"]),
            "locale": stored["locale"],
            "page_url": stored["page_url"],
            "answers": answers,
            "hidden_fields": stored["data"] or {},
        },
        "person": person(conn, contact_pk),
    }


def dismissal_data(
    conn: Connection, project_id: str, dismissal: dict[str, Any], contact_pk: int
) -> dict[str, Any]:
    """The `data` of `survey.dismissed`."""
    about, _titles = survey(conn, project_id, dismissal["form_id"], None)
    return {
        "project_id": project_id,
        "survey": about,
        "dismissal": {"id": dismissal["id"], "dismissed_at": iso(dismissal["dismissed_at"])},
        "person": person(conn, contact_pk),
    }


def identified_data(conn: Connection, project_id: str, contact_pk: int) -> dict[str, Any]:
    """The `data` of `contact.identified`: the person as stored once the call was."""
    return {"project_id": project_id, "person": person(conn, contact_pk)}


def _encode(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


_CONTACT = (
    sa.select(
        contacts.c.user_id,
        contacts.c.email,
        contacts.c.name,
        contacts.c.account_pk,
        accounts.c.account_id,
        accounts.c.name.label("account_name"),
    )
    .select_from(contacts.outerjoin(accounts, accounts.c.pk == contacts.c.account_pk))
    .where(contacts.c.pk == sa.bindparam("pk"))
)
_TRAITS = sa.select(traits).where(
    sa.or_(
        traits.c.contact_pk == sa.bindparam("contact_pk"),
        traits.c.account_pk == sa.bindparam("account_pk"),  # NULL matches nothing
    )
)
_VERSION = sa.select(survey_versions.c.definition).where(
    survey_versions.c.project_id == sa.bindparam("project_id"),
    survey_versions.c.survey_id == sa.bindparam("survey_id"),
    survey_versions.c.version == sa.bindparam("version"),
)
_SURVEY = sa.select(surveys.c.definition, surveys.c.version).where(
    surveys.c.project_id == sa.bindparam("project_id"),
    surveys.c.id == sa.bindparam("survey_id"),
)
