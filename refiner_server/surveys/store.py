"""Survey definitions in the database: create, read, update, status, delete, versions,
restore, duplicate.

Every definition a survey has had is kept in `survey_versions`, with who made it (`author`,
the signed-in principal's name) and, when it was not an edit, how it came to be (`note`); an
edit that changes the definition (anything but `status`) makes a new version, restoring an
old one makes a new version with its content, so nothing is ever lost, and a response
records the version it answered (set by the client endpoint). Every write sets
`surveys.updated_at`, which is how each server process notices that its cache of live
surveys is stale (`store.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from refiner_server.db import (
    as_utc,
    dismissals,
    iso,
    projects,
    responses,
    segments,
    survey_versions,
    surveys,
    utcnow,
    views,
)
from refiner_server.surveys import diff, templates
from refiner_server.surveys.checks import DefinitionError, check_definition
from refiner_server.surveys.closing import closed_at, closing_note
from refiner_server.surveys.fields import SURVEY_STATUSES


class NotFound(LookupError):
    """No such project, survey or version; the message names it."""


class Conflict(ValueError):
    """The survey exists already (create) or the ids disagree (update)."""


class VersionConflict(Conflict):
    """An update named the version it started from and the survey has moved on since:
    nothing was written; `current` is the survey as stored now."""

    def __init__(self, base_version: int, current: dict[str, Any]) -> None:
        super().__init__(
            f"survey {current['id']!r} is at version {current['version']}, not {base_version}:"
            " someone saved it since (reload it, or save again on top of that version)"
        )
        self.base_version = base_version
        self.current = current


def create_survey(
    engine: Engine,
    project_id: str,
    definition: Any,
    author: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Store a new survey as version 1; `Conflict` when the id is taken."""
    definition = check_definition(definition)
    with engine.begin() as conn:
        _project(conn, project_id)
        if _row(conn, project_id, definition["id"]) is not None:
            raise Conflict(f"survey {definition['id']!r} already exists")
        _save(conn, project_id, definition, utcnow(), author, note)
        return _public(_row(conn, project_id, definition["id"]))


def create_from_template(
    engine: Engine,
    project_id: str,
    template: str,
    locale: str = templates.FALLBACK,
    survey_id: str | None = None,
    name: str | None = None,
    author: str | None = None,
) -> dict[str, Any]:
    """A new draft from a template (`surveys.templates`), worded in `locale`, under
    `survey_id` or the first free id named after the template."""
    definition = templates.build(
        template, survey_id or free_id(engine, project_id, template), locale
    )
    if name:
        definition["name"] = name
    note = f"from template {template} ({templates.language(template, locale)})"
    return create_survey(engine, project_id, definition, author, note)


def free_id(engine: Engine, project_id: str, base: str) -> str:
    """`base`, or `base-2`, `base-3`, ... : the first id no survey of the project has."""
    with engine.connect() as conn:
        taken = set(
            conn.execute(
                sa.select(surveys.c.id).where(
                    surveys.c.project_id == project_id,
                    sa.or_(
                        surveys.c.id == base, surveys.c.id.startswith(base + "-", autoescape=True)
                    ),
                )
            ).scalars()
        )
    n, found = 1, base
    while found in taken:
        n += 1
        found = f"{base[: 63 - len(str(n))]}-{n}"
    return found


def get_survey(engine: Engine, project_id: str, survey_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        return _public(_existing(conn, project_id, survey_id))


def update_survey(
    engine: Engine,
    project_id: str,
    survey_id: str,
    definition: Any,
    author: str | None = None,
    base_version: int | None = None,
) -> dict[str, Any]:
    """Replace the definition; a new version when anything but `status` changed. With
    `base_version` (the version the writer started from), `VersionConflict` instead of a
    write when the survey is at another version now, so no one overwrites a save unseen."""
    if isinstance(definition, dict):
        definition.setdefault("id", survey_id)
    definition = check_definition(definition)
    if definition["id"] != survey_id:
        raise DefinitionError("id", f"must be {survey_id!r}, the survey being updated")
    with engine.begin() as conn:
        row = _existing(conn, project_id, survey_id, lock=base_version is not None)
        if base_version is not None and row.version != base_version:
            raise VersionConflict(base_version, _public(row))
        _save(conn, project_id, definition, utcnow(), author)
        return _public(_row(conn, project_id, survey_id))


def set_status(engine: Engine, project_id: str, survey_id: str, status: str) -> dict[str, Any]:
    """Launch, pause, resume or archive: the status changes, the version does not."""
    if status not in SURVEY_STATUSES:
        raise DefinitionError("status", f"must be one of {', '.join(SURVEY_STATUSES)}")
    with engine.begin() as conn:
        row = _existing(conn, project_id, survey_id)
        definition = dict(row.definition, status=status)
        conn.execute(
            surveys.update()
            .where(*_key(project_id, survey_id))
            .values(status=status, definition=definition, updated_at=utcnow())
        )
        return _public(_row(conn, project_id, survey_id))


def delete_survey(engine: Engine, project_id: str, survey_id: str) -> None:
    """Remove the survey, its versions and everything people sent about it (views,
    dismissals, responses); archive a survey instead to keep its answers."""
    with engine.begin() as conn:
        _existing(conn, project_id, survey_id)
        for table in (responses, views, dismissals):
            conn.execute(
                table.delete().where(table.c.project_id == project_id, table.c.form_id == survey_id)
            )
        conn.execute(
            survey_versions.delete().where(
                survey_versions.c.project_id == project_id,
                survey_versions.c.survey_id == survey_id,
            )
        )
        conn.execute(surveys.delete().where(*_key(project_id, survey_id)))


def what_goes_with(engine: Engine, project_id: str, survey_id: str) -> dict[str, int]:
    """What deleting the survey deletes with it, counted (its confirmation says so)."""
    counts = {}
    with engine.connect() as conn:
        _existing(conn, project_id, survey_id)
        for name, table in (("responses", responses), ("views", views), ("dismissals", dismissals)):
            counts[name] = conn.execute(
                sa.select(sa.func.count())
                .select_from(table)
                .where(table.c.project_id == project_id, table.c.form_id == survey_id)
            ).scalar_one()
        counts["versions"] = conn.execute(
            sa.select(sa.func.count())
            .select_from(survey_versions)
            .where(
                survey_versions.c.project_id == project_id,
                survey_versions.c.survey_id == survey_id,
            )
        ).scalar_one()
    return counts


def list_surveys(engine: Engine, project_id: str) -> list[dict[str, Any]]:
    """The project's surveys in creation order, each with its `responses` and `completed`
    counts (one grouped query for all of them)."""
    counts = (
        sa.select(
            responses.c.form_id,
            sa.func.count().label("responses"),
            sa.func.count(responses.c.completed_at).label("completed"),
        )
        .where(responses.c.project_id == project_id)
        .group_by(responses.c.form_id)
    )
    with engine.connect() as conn:
        _project(conn, project_id)
        per_form = {r.form_id: r for r in conn.execute(counts)}
        rows = conn.execute(
            sa.select(surveys)
            .where(surveys.c.project_id == project_id)
            .order_by(surveys.c.created_at, surveys.c.id)
        ).all()
    out = []
    for row in rows:
        found = per_form.get(row.id)
        out.append(
            dict(
                _public(row),
                responses=found.responses if found else 0,
                completed=found.completed if found else 0,
            )
        )
    return out


def restore_version(
    engine: Engine, project_id: str, survey_id: str, version: int, author: str | None = None
) -> dict[str, Any]:
    """Make the content of `version` the survey's again, as a new version (the status stays
    as it is); nothing changes when it is the current content already."""
    with engine.begin() as conn:
        row = _existing(conn, project_id, survey_id)
        old = _version(conn, project_id, survey_id, version)
        definition = dict(old.definition, status=row.status)
        _save(conn, project_id, definition, utcnow(), author, f"restored version {version}")
        return _public(_row(conn, project_id, survey_id))


def duplicate_survey(
    engine: Engine,
    project_id: str,
    survey_id: str,
    new_id: str | None = None,
    author: str | None = None,
) -> dict[str, Any]:
    """A copy of the survey's current definition as a new draft, named "(copy)", under
    `new_id` or the first free `<id>-copy`."""
    source = get_survey(engine, project_id, survey_id)
    copy = dict(
        source["definition"],
        id=new_id or free_id(engine, project_id, f"{survey_id[:59]}-copy"),
        name=f"{source['name']} (copy)",
        status="draft",
    )
    note = f"duplicated from {survey_id} version {source['version']}"
    return create_survey(engine, project_id, copy, author, note)


def get_version(engine: Engine, project_id: str, survey_id: str, version: int) -> dict[str, Any]:
    with engine.connect() as conn:
        _existing(conn, project_id, survey_id)
        return _version_out(_version(conn, project_id, survey_id, version))


def version_history(engine: Engine, project_id: str, survey_id: str) -> list[dict[str, Any]]:
    """Every version, newest first, each with a one-line summary of what it changed from
    the one before (`diff.summary`) and without its definition."""
    versions = list_versions(engine, project_id, survey_id)
    out = []
    previous = None
    for entry in versions:
        line = diff.summary(previous, entry["definition"])
        previous = entry["definition"]
        summary = f"{entry['note'].capitalize()}: {line}" if entry["note"] else line
        out.append({k: v for k, v in entry.items() if k != "definition"} | {"summary": summary})
    return out[::-1]


def list_versions(engine: Engine, project_id: str, survey_id: str) -> list[dict[str, Any]]:
    """Every version of a survey, oldest first."""
    with engine.connect() as conn:
        _existing(conn, project_id, survey_id)
        rows = conn.execute(
            sa.select(survey_versions)
            .where(
                survey_versions.c.project_id == project_id,
                survey_versions.c.survey_id == survey_id,
            )
            .order_by(survey_versions.c.version)
        ).all()
    return [_version_out(r) for r in rows]


def _version_out(row: sa.Row[Any]) -> dict[str, Any]:
    return {
        "version": row.version,
        "definition": row.definition,
        "created_at": iso(row.created_at),
        "author": row.author,
        "note": row.note,
    }


def upsert_surveys(
    engine: Engine,
    project_id: str,
    definitions: Iterable[dict[str, Any]],
    progress: Callable[[int], None] | None = None,
) -> list[str]:
    """Create or replace checked definitions in one transaction (what `survey import` does);
    `progress(1)` after each one."""
    ids = []
    now = utcnow()
    with engine.begin() as conn:
        _project(conn, project_id)
        for definition in definitions:
            _save(conn, project_id, definition, now)
            ids.append(definition["id"])
            if progress is not None:
                progress(1)
    return ids


def _save(
    conn: Connection,
    project_id: str,
    definition: dict[str, Any],
    now: Any,
    author: str | None = None,
    note: str | None = None,
) -> None:
    """Insert or update one checked definition, recording a new version when it changed."""
    row = _row(conn, project_id, definition["id"])
    _check_segments(conn, project_id, definition)
    closed = closed_at(
        conn, project_id, definition["id"], definition, row.closed_at if row else None, now
    )
    values = {
        "definition": definition,
        "status": definition["status"],
        "updated_at": now,
        "closed_at": closed,
    }
    if row is None:
        version = 1
        conn.execute(
            surveys.insert().values(
                project_id=project_id, id=definition["id"], created_at=now, version=1, **values
            )
        )
    else:
        version = row.version
        if _content(row.definition) != _content(definition):
            version += 1
        conn.execute(
            surveys.update().where(*_key(project_id, row.id)).values(version=version, **values)
        )
        if version == row.version:
            return
    conn.execute(
        survey_versions.insert().values(
            project_id=project_id,
            survey_id=definition["id"],
            version=version,
            definition=definition,
            created_at=now,
            author=author,
            note=note,
        )
    )


def _check_segments(conn: Connection, project_id: str, definition: dict[str, Any]) -> None:
    """Every segment the audience names exists in the project."""
    rules = (definition.get("audience") or {}).get("rules") or []
    named = [(i, r["segment"]) for i, r in enumerate(rules) if "segment" in r]
    if not named:
        return
    found = set(
        conn.execute(
            sa.select(segments.c.id).where(
                segments.c.project_id == project_id,
                segments.c.id.in_([sid for _, sid in named]),
            )
        ).scalars()
    )
    for i, sid in named:
        if sid not in found:
            raise DefinitionError(f"audience.rules[{i}].segment", f"no segment {sid!r}")


def _content(definition: dict[str, Any]) -> dict[str, Any]:
    """What makes a version: the definition without its status."""
    return {k: v for k, v in definition.items() if k != "status"}


def _key(project_id: str, survey_id: str) -> tuple[Any, ...]:
    return (surveys.c.project_id == project_id, surveys.c.id == survey_id)


def _project(conn: Connection, project_id: str) -> None:
    if conn.execute(sa.select(projects.c.id).where(projects.c.id == project_id)).first() is None:
        raise NotFound(f"project {project_id!r} does not exist")


def _row(
    conn: Connection, project_id: str, survey_id: str, lock: bool = False
) -> sa.Row[Any] | None:
    """The survey's row; `lock`: held until the transaction ends (PostgreSQL's row lock;
    SQLite's writer holds the whole database)."""
    query = sa.select(surveys).where(*_key(project_id, survey_id))
    return conn.execute(query.with_for_update() if lock else query).first()


def _version(conn: Connection, project_id: str, survey_id: str, version: int) -> sa.Row[Any]:
    row = None
    if 1 <= version < 2**31:  # PostgreSQL's integer: a larger one is no version either
        row = conn.execute(
            sa.select(survey_versions).where(
                survey_versions.c.project_id == project_id,
                survey_versions.c.survey_id == survey_id,
                survey_versions.c.version == version,
            )
        ).first()
    if row is None:
        raise NotFound(f"survey {survey_id!r} has no version {version}")
    return row


def _existing(conn: Connection, project_id: str, survey_id: str, lock: bool = False) -> sa.Row[Any]:
    row = _row(conn, project_id, survey_id, lock)
    if row is None:
        _project(conn, project_id)
        raise NotFound(f"survey {survey_id!r} does not exist in project {project_id!r}")
    return row


def _public(row: sa.Row[Any] | None) -> dict[str, Any]:
    assert row is not None
    return {
        "id": row.id,
        "name": row.definition.get("name") or row.id,
        "status": row.status,
        "version": row.version,
        "definition": row.definition,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "closed_at": iso(row.closed_at),
        "closing": closing_note(row.definition, as_utc(row.closed_at), utcnow()),
    }
