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
from refiner_server.db import iso, projects, surveys

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
).where(projects.c.id == sa.bindparam("project_id"))
_LIVE = (
    sa.select(surveys.c.definition)
    .where(surveys.c.project_id == sa.bindparam("project_id"), surveys.c.status == "live")
    .order_by(surveys.c.created_at, surveys.c.id)
)


class LiveSurveys:
    """The live surveys of one project as of `version`, decoded once and encoded once: a
    ping checks the version (one cheap query, so every process agrees with the database)
    and reuses the rest. The browser gets only their `client_view`s."""

    __slots__ = ("version", "definitions", "encoded", "by_id", "want_traits", "event_names")

    def __init__(self, version: tuple[Any, ...], definitions: list[dict[str, Any]]) -> None:
        self.version = version
        self.definitions = definitions
        views = [client_view(d) for d in definitions]
        self.encoded = [dumps(v) for v in views]
        self.by_id = {v.get("id"): v for v in views}
        self.want_traits, names = needs(definitions)
        self.event_names = sorted(names)


class LiveCache:
    """`LiveSurveys` per project, kept while their version holds."""

    def __init__(self) -> None:
        self._live: dict[str, LiveSurveys] = {}

    def get(self, conn: Connection, project_id: str, project: sa.Row[Any]) -> LiveSurveys:
        """The project's live surveys, decoded again only when the version read with the
        project row (`PROJECT_AND_SURVEYS`) has changed."""
        version = (project.surveys_count, project.surveys_updated_at)
        live = self._live.get(project_id)
        if live is None or live.version != version:
            definitions = list(conn.execute(_LIVE, {"project_id": project_id}).scalars())
            live = self._live[project_id] = LiveSurveys(version, definitions)
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
