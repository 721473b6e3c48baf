"""Segments: named audiences of a project (identity mode, `match` and rules, the language of
a survey's `audience` without sampling), which surveys name by id in a rule
(`{"segment": "power-users"}`), so that one edit changes who every such survey reaches.

The operations behind the admin API and the dashboard: create, read, update, delete (refused
while a survey names the segment) and the count of contacts a segment matches now, which
runs the very rules the ping runs (`audience.rule_matches`) over every contact of the
project, loading only the traits and events the rules name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.engine import Engine

from refiner_server.client.audience import Facts, rule_matches, trait_matches
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
    """How many contacts of the project the audience matches now, by the ping's own rules
    (`rule_matches`, `trait_matches`), a rule at a time rather than a contact at a time:
    each rule holds for every contact by default (its outcome with no trait, no event and
    no visit) but for a set of exceptions, found from the rows of the one trait key or event
    name it names; `match` combines the sets. Device and locale rules are of a visit, which
    a contact has none of here: they hold, so the count is the most the segment can reach.
    One query for the contacts and one per trait or event rule."""
    people = conn.execute(
        sa.select(contacts.c.pk, contacts.c.user_id.is_not(None), contacts.c.account_pk).where(
            contacts.c.project_id == project_id
        )
    ).all()
    if audience.get("identified_only"):
        universe = {pk for pk, known, _ in people if known}
    elif audience.get("anonymous_only"):
        universe = {pk for pk, known, _ in people if not known}
    else:
        universe = {pk for pk, _, _ in people}
    rules = audience.get("rules") or []
    if not rules:
        return len(universe)
    outcomes = [_outcome(conn, project_id, rule, now, people) for rule in rules]
    if audience.get("match") == "any":
        passing: set[int] = set()
        failing_all: set[int] | None = None  # contacts every default-true rule fails
        for default, exceptions in outcomes:
            if default:
                failing_all = exceptions if failing_all is None else failing_all & exceptions
            else:
                passing |= exceptions
        if failing_all is not None:
            passing |= universe - failing_all
        return len(passing & universe)
    matched = universe
    for default, exceptions in sorted(outcomes, key=lambda o: o[0]):  # the narrowing first
        matched = matched - exceptions if default else matched & exceptions
    return len(matched)


def _outcome(
    conn: Connection,
    project_id: str,
    rule: dict[str, Any],
    now: datetime,
    people: list[sa.Row[Any]],
) -> tuple[bool, set[int]]:
    """(what `rule` gives a contact it knows nothing of, the contacts it gives the other)."""
    nothing = Facts(False, {}, {}, {}, now, visit=False)
    default = rule_matches(rule, nothing, nested=True)
    if "event" in rule:
        counted = conn.execute(
            sa.select(events.c.contact_pk, sa.func.count())
            .where(events.c.project_id == project_id, events.c.name == rule["event"])
            .group_by(events.c.contact_pk)
        )
        return default, {pk for pk, n in counted if (n >= rule["count"]) != default}
    key = rule.get("trait", rule.get("account_trait"))
    if key is None:  # device, locale: no visit here
        return default, set()
    owner = traits.c.contact_pk if "trait" in rule else traits.c.account_pk
    rows = conn.execute(
        sa.select(
            owner,
            traits.c.type,
            traits.c.value_text,
            traits.c.value_int,
            traits.c.value_bool,
            traits.c.value_date,
        ).where(traits.c.project_id == project_id, traits.c.key == key)
    )  # no `owner IS NOT NULL`: SQLite would walk that column's index, not the key's
    op, value = rule["op"], rule.get("value")
    differ = {
        row[0]
        for row in rows
        if row[0] is not None
        and trait_matches(op, value, (row.type, trait_value(row)), now) != default
    }
    if "trait" in rule:
        return default, differ
    return default, {pk for pk, _, account_pk in people if account_pk in differ}


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
