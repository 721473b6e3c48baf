"""Segments: named audiences of a project (identity mode, `match` and rules, the language of
a survey's `audience` without sampling), which surveys name by id in a rule
(`{"segment": "power-users"}`), so that one edit changes who every such survey reaches.

The operations behind the admin API and the dashboard: create, read, update, delete (refused
while a survey names the segment) and the count of contacts a segment matches now, which
runs the very rules the ping runs (`audience.in_audience`) over every contact of the
project, loading only the traits and events the rules name, in three queries.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.engine import Engine

from refiner_server.client.audience import Facts, in_audience
from refiner_server.client.contacts import trait_value
from refiner_server.db import contacts, events, iso, segments, surveys, traits, utcnow
from refiner_server.surveys.checks import DefinitionError, walk
from refiner_server.surveys.fields import ID_CHARS
from refiner_server.surveys.store import Conflict, NotFound, _project


class SegmentInUse(Conflict):
    """A segment that surveys name cannot be deleted; `surveys` are their ids."""

    def __init__(self, segment_id: str, survey_ids: list[str]) -> None:
        super().__init__(
            f"segment {segment_id!r} is used by surveys {', '.join(map(repr, survey_ids))}: "
            "take it out of their audiences first"
        )
        self.surveys = survey_ids


def check_segment(segment_id: Any, name: Any, audience: Any) -> dict[str, Any]:
    """The segment's audience, checked as a survey's is (`DefinitionError` names the path)."""
    if not isinstance(segment_id, str) or not 1 <= len(segment_id) <= 64:
        raise DefinitionError("id", "a string of 1-64 characters from [A-Za-z0-9_.-] is required")
    if not set(segment_id) <= ID_CHARS:
        raise DefinitionError("id", "a string of 1-64 characters from [A-Za-z0-9_.-] is required")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 255 or "\x00" in name:
        raise DefinitionError("name", "a name of 1-255 characters is required")
    if not isinstance(audience, dict):
        raise DefinitionError("audience", "must be an object")
    walk("audience", audience, "segment")
    return audience


def create_segment(
    engine: Engine, project_id: str, segment_id: str, name: str, audience: Any
) -> dict[str, Any]:
    audience = check_segment(segment_id, name, audience)
    now = utcnow()
    with engine.begin() as conn:
        _project(conn, project_id)
        if _row(conn, project_id, segment_id) is not None:
            raise Conflict(f"segment {segment_id!r} already exists")
        conn.execute(
            segments.insert().values(
                project_id=project_id,
                id=segment_id,
                name=name.strip(),
                definition=audience,
                created_at=now,
                updated_at=now,
            )
        )
        return _public(conn, _existing(conn, project_id, segment_id))


def update_segment(
    engine: Engine, project_id: str, segment_id: str, name: str, audience: Any
) -> dict[str, Any]:
    """Replace the name and audience; every survey that names it follows at its next ping."""
    audience = check_segment(segment_id, name, audience)
    with engine.begin() as conn:
        _existing(conn, project_id, segment_id)
        conn.execute(
            segments.update()
            .where(*_key(project_id, segment_id))
            .values(name=name.strip(), definition=audience, updated_at=utcnow())
        )
        return _public(conn, _existing(conn, project_id, segment_id))


def get_segment(engine: Engine, project_id: str, segment_id: str) -> dict[str, Any]:
    """The segment with its surveys and its count of contacts now."""
    with engine.connect() as conn:
        row = _existing(conn, project_id, segment_id)
        return dict(
            _public(conn, row), contacts=count_contacts(conn, project_id, row.definition, utcnow())
        )


def list_segments(engine: Engine, project_id: str) -> list[dict[str, Any]]:
    """The project's segments by id, each with its surveys and count of contacts now."""
    now = utcnow()
    with engine.connect() as conn:
        _project(conn, project_id)
        rows = conn.execute(
            sa.select(segments).where(segments.c.project_id == project_id).order_by(segments.c.id)
        ).all()
        users = _users(conn, project_id)
        return [
            dict(
                _public(conn, row, users),
                contacts=count_contacts(conn, project_id, row.definition, now),
            )
            for row in rows
        ]


def delete_segment(engine: Engine, project_id: str, segment_id: str) -> None:
    """Remove a segment no survey names; `SegmentInUse` lists the surveys that do."""
    with engine.begin() as conn:
        _existing(conn, project_id, segment_id)
        using = _users(conn, project_id).get(segment_id)
        if using:
            raise SegmentInUse(segment_id, using)
        conn.execute(segments.delete().where(*_key(project_id, segment_id)))


def count_contacts(
    conn: Connection, project_id: str, audience: dict[str, Any], now: datetime
) -> int:
    """How many contacts of the project the audience matches now. Device and locale rules
    are of a visit, which a contact has none of here: they hold, so the count is the most
    the segment can reach. Three queries (contacts; the traits the rules name; counts of the
    events they name), then the ping's own rules per contact."""
    rules = audience.get("rules") or []
    user_keys = {r["trait"] for r in rules if "trait" in r}
    account_keys = {r["account_trait"] for r in rules if "account_trait" in r}
    names = {r["event"] for r in rules if "event" in r}
    by_contact: dict[int, dict[str, tuple[str, Any]]] = {}
    by_account: dict[int, dict[str, tuple[str, Any]]] = {}
    if user_keys or account_keys:
        for row in conn.execute(
            sa.select(traits).where(
                traits.c.project_id == project_id, traits.c.key.in_(user_keys | account_keys)
            )
        ):
            if row.contact_pk is not None and row.key in user_keys:
                by_contact.setdefault(row.contact_pk, {})[row.key] = (row.type, trait_value(row))
            elif row.account_pk is not None and row.key in account_keys:
                by_account.setdefault(row.account_pk, {})[row.key] = (row.type, trait_value(row))
    counts: dict[int, dict[str, int]] = {}
    if names:
        for pk, name, n in conn.execute(
            sa.select(events.c.contact_pk, events.c.name, sa.func.count())
            .where(events.c.project_id == project_id, events.c.name.in_(names))
            .group_by(events.c.contact_pk, events.c.name)
        ):
            counts.setdefault(pk, {})[name] = n
    none: dict[str, Any] = {}
    matched = 0
    people = conn.execute(
        sa.select(contacts.c.pk, contacts.c.user_id.is_not(None), contacts.c.account_pk).where(
            contacts.c.project_id == project_id
        )
    )
    for pk, identified, account_pk in people:
        facts = Facts(
            bool(identified),
            by_contact.get(pk, none),
            by_account.get(account_pk, none) if account_pk is not None else none,
            counts.get(pk, none),
            now,
            visit=False,
        )
        if in_audience(audience, facts, nested=True):
            matched += 1
    return matched


def _users(conn: Connection, project_id: str) -> dict[str, list[str]]:
    """Segment id -> the ids of the surveys whose audience names it (any status)."""
    out: dict[str, list[str]] = {}
    for survey_id, definition in conn.execute(
        sa.select(surveys.c.id, surveys.c.definition)
        .where(surveys.c.project_id == project_id)
        .order_by(surveys.c.created_at, surveys.c.id)
    ):
        for rule in (definition.get("audience") or {}).get("rules") or []:
            if isinstance(rule, dict) and isinstance(rule.get("segment"), str):
                using = out.setdefault(rule["segment"], [])
                if survey_id not in using:
                    using.append(survey_id)
    return out


def _key(project_id: str, segment_id: str) -> tuple[Any, ...]:
    return (segments.c.project_id == project_id, segments.c.id == segment_id)


def _row(conn: Connection, project_id: str, segment_id: str) -> sa.Row[Any] | None:
    return conn.execute(sa.select(segments).where(*_key(project_id, segment_id))).first()


def _existing(conn: Connection, project_id: str, segment_id: str) -> sa.Row[Any]:
    row = _row(conn, project_id, segment_id)
    if row is None:
        _project(conn, project_id)
        raise NotFound(f"segment {segment_id!r} does not exist in project {project_id!r}")
    return row


def _public(
    conn: Connection, row: sa.Row[Any], users: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    users = users if users is not None else _users(conn, row.project_id)
    return {
        "id": row.id,
        "name": row.name,
        "audience": row.definition,
        "surveys": users.get(row.id, []),
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }
