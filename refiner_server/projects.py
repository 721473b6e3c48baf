"""Projects and their settings, and survey import: the operations behind the CLI and the
admin API (survey CRUD itself is `survey_store`)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from importlib import resources
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from refiner_server.db import projects, utcnow
from refiner_server.surveys.checks import DefinitionError, check_definition
from refiner_server.surveys.schema import schema_faults
from refiner_server.surveys.store import Conflict, NotFound, upsert_surveys

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
    allowed_origins: list[str] | None = None,
    recontact_days: int | None = None,
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
        "allowed_origins": allowed_origins or [],
        "created_at": utcnow(),
        "recontact_days": _recontact(recontact_days),
    }
    with engine.begin() as conn:
        if conn.execute(sa.select(projects.c.id).where(projects.c.id == project_id)).first():
            raise Conflict(f"project {project_id!r} already exists")
        conn.execute(projects.insert().values(**row))
    return row


def list_projects(engine: Engine) -> list[dict[str, Any]]:
    with engine.begin() as conn:
        rows = conn.execute(sa.select(projects).order_by(projects.c.id)).mappings().all()
    return [dict(r) for r in rows]


def check_survey(definition: Any) -> dict[str, Any]:
    """Against the JSON Schema (every place it refuses, one a line), then the full check
    (`survey_checks.check_definition`), whose fault leads: the one the API would give.
    Faults are prefixed with the survey's id for the operator."""
    faults = schema_faults(definition)
    try:
        checked = check_definition(definition)
    except DefinitionError as exc:
        faults = [str(exc), *[fault for fault in faults if fault != str(exc)]]
    if faults:
        sid = definition.get("id") if isinstance(definition, dict) else None
        prefix = f"survey {sid!r}: " if sid else "survey: "
        raise ProjectError(prefix + "\n  ".join(faults))
    return checked


def import_surveys(
    engine: Engine,
    project_id: str,
    data: Any,
    progress: Callable[[int], None] | None = None,
) -> list[str]:
    """Upsert one survey (an object) or several (a list), all checked before any is
    stored; returns their ids."""
    items = data if isinstance(data, list) else [data]
    defs = []
    for i, item in enumerate(items):
        try:
            defs.append(check_survey(item))
        except ProjectError as exc:
            raise ProjectError(f"[{i}] {exc}" if isinstance(data, list) else str(exc)) from None
    try:
        return upsert_surveys(engine, project_id, defs, progress)
    except (NotFound, DefinitionError) as exc:  # the project, a segment a survey names
        raise ProjectError(str(exc)) from None


def get_project(engine: Engine, project_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(sa.select(projects).where(projects.c.id == project_id)).first()
    if row is None:
        raise NotFound(f"project {project_id!r} does not exist")
    return dict(row._mapping)


def update_project(engine: Engine, project_id: str, **changes: Any) -> dict[str, Any]:
    """Change settings (name, allowed_origins, identity_verification, secret,
    ping_interval_s, recontact_days); switching verification on without a secret generates
    one."""
    current = get_project(engine, project_id)
    if "recontact_days" in changes:
        changes["recontact_days"] = _recontact(changes["recontact_days"])
    merged = dict(current, **changes)
    if merged["identity_verification"] and not merged["secret"]:
        changes["secret"] = secrets.token_hex(32)
    if changes:
        with engine.begin() as conn:
            conn.execute(projects.update().where(projects.c.id == project_id).values(**changes))
    return get_project(engine, project_id)


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


#: the longest recontact wait, in days (ten years): any longer is a typo
MAX_RECONTACT_DAYS = 3650


def _recontact(days: int | None) -> int | None:
    """The stored recontact wait: 0 or None is off (NULL)."""
    if days is not None and (isinstance(days, bool) or not 0 <= days <= MAX_RECONTACT_DAYS):
        raise ProjectError(f"recontact_days: 0 (off) to {MAX_RECONTACT_DAYS}")
    return days or None


def _is_id(value: str) -> bool:
    return all(c.isascii() and (c.isalnum() or c in "_-") for c in value)
