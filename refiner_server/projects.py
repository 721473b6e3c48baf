"""Projects and survey definitions: the operations behind the CLI (and the admin API later)."""

from __future__ import annotations

import json
import secrets
from importlib import resources
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .db import projects, surveys, utcnow
from .survey_checks import check_targeting

SURVEY_STATUSES = ("draft", "live", "paused", "archived")
DEMO_PROJECT = "demo"


class ProjectError(ValueError):
    """A refused project or survey operation; the message is for the operator."""


def create_project(
    engine: Engine,
    project_id: str,
    name: str | None = None,
    identity_verification: bool = False,
    secret: str | None = None,
    ping_interval_s: int = 300,
) -> dict[str, Any]:
    """Insert a project; with identity verification and no secret, one is generated."""
    if not project_id or len(project_id) > 64 or not _is_id(project_id):
        raise ProjectError("project id: 1-64 characters from [A-Za-z0-9_-]")
    if identity_verification and not secret:
        secret = secrets.token_hex(32)
    row = {
        "id": project_id,
        "name": name or project_id,
        "identity_verification": identity_verification,
        "secret": secret,
        "ping_interval_s": ping_interval_s,
        "allowed_origins": [],
        "created_at": utcnow(),
    }
    with engine.begin() as conn:
        if conn.execute(sa.select(projects.c.id).where(projects.c.id == project_id)).first():
            raise ProjectError(f"project {project_id!r} already exists")
        conn.execute(projects.insert().values(**row))
    return row


def list_projects(engine: Engine) -> list[dict[str, Any]]:
    with engine.begin() as conn:
        rows = conn.execute(sa.select(projects).order_by(projects.c.id)).mappings().all()
    return [dict(r) for r in rows]


def check_survey(definition: Any) -> dict[str, Any]:
    """The minimum a stored survey needs (DESIGN.md §4) and the shape of its targeting,
    which the ping evaluates; the client validates the rest."""
    if not isinstance(definition, dict):
        raise ProjectError("survey: must be a JSON object")
    sid = definition.get("id")
    if not isinstance(sid, str) or not 1 <= len(sid) <= 64:
        raise ProjectError("survey id: a string of 1-64 characters is required")
    if not isinstance(definition.get("questions"), list):
        raise ProjectError(f"survey {sid!r}: questions must be a list")
    status = definition.setdefault("status", "draft")
    if status not in SURVEY_STATUSES:
        raise ProjectError(f"survey {sid!r}: status must be one of {', '.join(SURVEY_STATUSES)}")
    try:
        check_targeting(definition)
    except ValueError as exc:
        raise ProjectError(f"survey {sid!r}: {exc}") from None
    return definition


def import_surveys(engine: Engine, project_id: str, data: Any) -> list[str]:
    """Upsert one survey (an object) or several (a list); returns their ids."""
    items = data if isinstance(data, list) else [data]
    defs = [check_survey(d) for d in items]
    now = utcnow()
    with engine.begin() as conn:
        if not conn.execute(sa.select(projects.c.id).where(projects.c.id == project_id)).first():
            raise ProjectError(f"project {project_id!r} does not exist")
        for d in defs:
            key = (surveys.c.project_id == project_id, surveys.c.id == d["id"])
            values = {"definition": d, "status": d["status"], "updated_at": now}
            if conn.execute(sa.select(surveys.c.id).where(*key)).first():
                conn.execute(surveys.update().where(*key).values(**values))
            else:
                conn.execute(
                    surveys.insert().values(
                        project_id=project_id, id=d["id"], created_at=now, **values
                    )
                )
    return [d["id"] for d in defs]


def demo_survey() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("demo_survey.json").read_text("utf-8")
    return json.loads(text)


def ensure_demo(engine: Engine) -> None:
    """Project `demo` with the demo NPS survey, for `serve --demo` and the e2e tests."""
    with engine.begin() as conn:
        exists = conn.execute(sa.select(projects.c.id).where(projects.c.id == DEMO_PROJECT)).first()
    if not exists:
        create_project(engine, DEMO_PROJECT, name="Demo")
    import_surveys(engine, DEMO_PROJECT, demo_survey())


def _is_id(value: str) -> bool:
    return all(c.isascii() and (c.isalnum() or c in "_-") for c in value)
