"""What a ping answers: the project's live surveys, decoded and encoded once per version of
the set, and the answer's JSON spliced from them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from refiner_server.client.eligibility import needs
from refiner_server.client.view import client_view
from refiner_server.db import iso, projects, segments, surveys

# Built once: constructing a statement costs more than running it on SQLite.
#: the project with the version of its set of surveys (`LiveSurveys.version`)
PROJECT_AND_SURVEYS = sa.select(
    projects,
    sa.select(sa.func.count())
    .where(surveys.c.project_id == projects.c.id)
    .scalar_subquery()
    .label("surveys_count"),
    # every writer of a survey sets updated_at: with the count, the version of the set
    sa.select(sa.func.max(surveys.c.updated_at))
    .where(surveys.c.project_id == projects.c.id)
    .scalar_subquery()
    .label("surveys_updated_at"),
    # the segments the surveys' rules may name are part of the set too
    sa.select(sa.func.count())
    .where(segments.c.project_id == projects.c.id)
    .scalar_subquery()
    .label("segments_count"),
    sa.select(sa.func.max(segments.c.updated_at))
    .where(segments.c.project_id == projects.c.id)
    .scalar_subquery()
    .label("segments_updated_at"),
).where(projects.c.id == sa.bindparam("project_id"))
#: live and not closed by their response limit (`closed_at`, set with `updated_at`)
_LIVE = (
    sa.select(surveys.c.definition)
    .where(
        surveys.c.project_id == sa.bindparam("project_id"),
        surveys.c.status == "live",
        surveys.c.closed_at.is_(None),
    )
    .order_by(surveys.c.created_at, surveys.c.id)
)
_SEGMENTS = sa.select(segments.c.id, segments.c.definition).where(
    segments.c.project_id == sa.bindparam("project_id")
)


class LiveSurveys:
    """The live surveys of one project as of `version`, decoded once and encoded once: a
    ping checks the version (one cheap query, so every process agrees with the database)
    and reuses the rest. The browser gets only their `client_view`s."""

    __slots__ = (
        "version",
        "definitions",
        "segments",
        "encoded",
        "by_id",
        "want_traits",
        "event_names",
    )

    def __init__(
        self,
        version: tuple[Any, ...],
        definitions: list[dict[str, Any]],
        segments: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.version = version
        self.definitions = definitions
        self.segments = segments or {}
        views = [client_view(d) for d in definitions]
        self.encoded = [dumps(v) for v in views]
        self.by_id = {v.get("id"): v for v in views}
        self.want_traits, names = needs(definitions, self.segments)
        self.event_names = sorted(names)


class LiveCache:
    """`LiveSurveys` per project, kept while their version holds."""

    def __init__(self) -> None:
        self._live: dict[str, LiveSurveys] = {}

    def get(self, conn: Connection, project_id: str, project: sa.Row[Any]) -> LiveSurveys:
        """The project's live surveys, decoded again only when the version read with the
        project row (`PROJECT_AND_SURVEYS`) has changed."""
        version = (
            project.surveys_count,
            project.surveys_updated_at,
            project.segments_count,
            project.segments_updated_at,
        )
        live = self._live.get(project_id)
        if live is None or live.version != version:
            params = {"project_id": project_id}
            definitions = list(conn.execute(_LIVE, params).scalars())
            found = {}
            if project.segments_count:
                found = {sid: audience for sid, audience in conn.execute(_SEGMENTS, params)}
            live = self._live[project_id] = LiveSurveys(version, definitions, found)
        return live


def dumps(value: Any) -> bytes:
    """JSON as Starlette's JSONResponse writes it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def ping_answer(
    project: sa.Row[Any],
    first_seen_at: datetime,
    last_seen_at: datetime,
    live: LiveSurveys,
    forms: list[int],
) -> bytes:
    """`{"forms": [...], "ping_interval_s": n, "contact": {...}}`, splicing in the
    surveys as encoded once per version."""
    rest = dumps(
        {
            "ping_interval_s": project.ping_interval_s,
            "contact": {
                "first_seen_at": iso(first_seen_at),
                "last_seen_at": iso(last_seen_at),
            },
        }
    )
    return b'{"forms":[' + b",".join(live.encoded[i] for i in forms) + b"]," + rest[1:]
