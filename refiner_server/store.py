"""What the client endpoints do to the database, one transaction per request.

Kept apart from the HTTP layer so the CLI, the admin API and tests can call it directly.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from . import contacts as contacts_mod
from .audience import Facts
from .clock import Clock
from .db import (
    as_utc,
    contacts,
    dismissals,
    events,
    is_sqlite,
    iso,
    projects,
    responses,
    surveys,
    traits,
    views,
)
from .eligibility import NO_HISTORY, History, eligible, needs
from .errors import ApiError
from .models import DismissalIn, EventIn, Identified, PingIn, ResponseIn, ViewIn
from .signature import verify

RETRIES = 3


class ClientStore:
    """The client API's storage operations over one engine."""

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock = clock or Clock()
        # SQLite has one writer at a time: queue in-process on a lock rather than spin on
        # SQLITE_BUSY. PostgreSQL runs writers concurrently and retries unique-key races.
        self._lock = threading.Lock() if is_sqlite(engine) else nullcontext()

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self._lock, self.engine.begin() as conn:
            yield conn

    def _run(self, fn: Any, *args: Any) -> Any:
        """Run `fn(conn, *args)` in a transaction; retry when a concurrent writer won a
        unique-key race (only possible without the SQLite lock, e.g. on PostgreSQL)."""
        for attempt in range(RETRIES):
            try:
                with self._tx() as conn:
                    return fn(conn, *args)
            except IntegrityError:
                if attempt == RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    # -- checks shared by every endpoint ------------------------------------------------

    @staticmethod
    def _project(conn: Connection, project_id: str) -> sa.Row[Any]:
        row = conn.execute(sa.select(projects).where(projects.c.id == project_id)).first()
        if row is None:
            raise ApiError(404, "project_not_found", f"project {project_id!r} does not exist")
        return row

    @staticmethod
    def _check_identity(project: sa.Row[Any], body: Identified) -> None:
        """With identity verification on, only identified requests with a valid signature."""
        if not project.identity_verification:
            return
        user_id = body.who()
        if user_id is None:
            raise ApiError(
                401,
                "signature_required",
                "this project verifies identities: anonymous requests are refused",
            )
        if not body.signature:
            raise ApiError(401, "signature_required", "signature: required for this project")
        if not verify(project.secret or "", user_id, body.signature):
            raise ApiError(403, "invalid_signature", "signature: does not match the user id")

    def _open(self, conn: Connection, project_id: str, body: Identified) -> sa.Row[Any]:
        project = self._project(conn, project_id)
        self._check_identity(project, body)
        return project

    # -- ping ---------------------------------------------------------------------------

    def ping(self, project_id: str, body: PingIn) -> dict[str, Any]:
        return self._run(self._ping, project_id, body)

    def _ping(self, conn: Connection, project_id: str, body: PingIn) -> dict[str, Any]:
        project = self._open(conn, project_id, body)
        now = self.clock.now()
        user = body.user
        contact = contacts_mod.resolve(
            conn, project_id, body.anonymous_id, user.id if user else None, now, touch=True
        )
        if user is not None:
            fields: dict[str, Any] = {}
            if user.email is not None:
                fields["email"] = user.email
            if user.name is not None:
                fields["name"] = user.name
            if user.account is not None:
                acc = user.account
                account_pk = contacts_mod.upsert_account(conn, project_id, acc.id, acc.name, now)
                contacts_mod.upsert_traits(conn, project_id, acc.traits, now, account_pk=account_pk)
                fields["account_pk"] = account_pk
            if fields:
                conn.execute(contacts.update().where(contacts.c.pk == contact.pk).values(**fields))
            contacts_mod.upsert_traits(conn, project_id, user.traits, now, contact_pk=contact.pk)
            account_pk = fields.get("account_pk", contact.account_pk)
        else:
            account_pk = contact.account_pk
        return {
            "forms": self._eligible_forms(conn, project_id, body, contact, account_pk, now),
            "ping_interval_s": project.ping_interval_s,
            "contact": {
                "first_seen_at": iso(contact.first_seen_at),
                "last_seen_at": iso(contact.last_seen_at),
            },
        }

    def _eligible_forms(
        self,
        conn: Connection,
        project_id: str,
        body: PingIn,
        contact: sa.Row[Any],
        account_pk: int | None,
        now: datetime,
    ) -> list[dict[str, Any]]:
        """The live surveys this contact may see now, in creation order. At most four
        queries whatever the number of surveys: definitions, traits (only when a rule reads
        them), counts of the events rules name, and the contact's history per survey."""
        definitions = list(conn.execute(_LIVE, {"project_id": project_id}).scalars())
        if not definitions:
            return []
        want_traits, event_names = needs(definitions)
        user_traits: dict[str, tuple[str, Any]] = {}
        account_traits: dict[str, tuple[str, Any]] = {}
        if want_traits:
            for row in conn.execute(_TRAITS, {"contact_pk": contact.pk, "account_pk": account_pk}):
                into = user_traits if row.contact_pk is not None else account_traits
                into[row.key] = (row.type, contacts_mod.trait_value(row))
        counts: dict[str, int] = {}
        if event_names:
            names = sorted(event_names)
            rows = conn.execute(_EVENT_COUNTS, {"contact_pk": contact.pk, "names": names})
            counts = {name: n for name, n in rows}
        histories = _histories(conn, contact.pk)
        user = body.user
        facts = Facts(user is not None, user_traits, account_traits, counts, now)
        key = user.id if user is not None else body.anonymous_id
        return [
            d
            for d in definitions
            if eligible(d, project_id, key, facts, histories.get(d["id"], NO_HISTORY))
        ]

    # -- one survey, for a forced showForm ----------------------------------------------

    def form(self, project_id: str, form_id: str) -> dict[str, Any]:
        """The definition of a live survey, whoever asks: forcing skips audience and
        trigger, never status. Read-only, so no write lock."""
        with self.engine.connect().execution_options(readonly=True) as conn:
            self._project(conn, project_id)
            definition = conn.execute(
                sa.select(surveys.c.definition).where(
                    surveys.c.project_id == project_id,
                    surveys.c.id == form_id,
                    surveys.c.status == "live",
                )
            ).scalar()
        if definition is None:
            raise ApiError(404, "form_not_found", f"form {form_id!r} is not live in this project")
        return definition

    # -- append-only writes: events, views, dismissals -------------------------------------

    def event(self, project_id: str, body: EventIn) -> bool:
        """Store the event; False when its id was already stored (a retry)."""
        return self._run(
            self._append,
            project_id,
            body,
            events,
            "event_id",
            body.event_id,
            {"name": body.name, "occurred_at": body.occurred_at},
        )

    def view(self, project_id: str, body: ViewIn) -> bool:
        return self._run(
            self._append,
            project_id,
            body,
            views,
            "view_id",
            body.view_id,
            {"form_id": body.form_id, "shown_at": body.shown_at},
        )

    def dismissal(self, project_id: str, body: DismissalIn) -> bool:
        return self._run(
            self._append,
            project_id,
            body,
            dismissals,
            "dismissal_id",
            body.dismissal_id,
            {"form_id": body.form_id, "dismissed_at": body.dismissed_at},
        )

    def _append(
        self,
        conn: Connection,
        project_id: str,
        body: Any,
        table: sa.Table,
        id_col: str,
        id_value: str,
        values: dict[str, Any],
    ) -> bool:
        self._open(conn, project_id, body)
        seen = conn.execute(
            sa.select(sa.literal(1)).where(
                table.c.project_id == project_id, table.c[id_col] == id_value
            )
        ).first()
        if seen is not None:
            return False  # a retry: nothing new, no contact touched
        now = self.clock.now()
        contact = contacts_mod.resolve(conn, project_id, body.anonymous_id, body.user_id, now)
        row = {k: (now if v is None and k.endswith("_at") else v) for k, v in values.items()}
        conn.execute(
            table.insert().values(
                project_id=project_id,
                contact_pk=contact.pk,
                received_at=now,
                **{id_col: id_value},
                **row,
            )
        )
        return True

    # -- responses ------------------------------------------------------------------------

    def response(self, project_id: str, response_id: str, body: ResponseIn) -> dict[str, Any]:
        return self._run(self._response, project_id, response_id, body)

    def _response(
        self, conn: Connection, project_id: str, response_id: str, body: ResponseIn
    ) -> dict[str, Any]:
        self._open(conn, project_id, body)
        now = self.clock.now()
        key = (responses.c.project_id == project_id, responses.c.response_id == response_id)
        row = conn.execute(sa.select(responses).where(*key)).first()
        if row is None:
            contact = contacts_mod.resolve(conn, project_id, body.anonymous_id, body.user_id, now)
            conn.execute(
                responses.insert().values(
                    project_id=project_id,
                    response_id=response_id,
                    form_id=body.form_id,
                    contact_pk=contact.pk,
                    answers=body.answers,
                    data=body.data,
                    locale=body.locale,
                    page_url=body.page_url,
                    completed=body.completed,
                    created_at=now,
                    updated_at=now,
                    completed_at=now if body.completed else None,
                )
            )
        else:
            if row.form_id != body.form_id:
                raise ApiError(
                    409,
                    "response_form_mismatch",
                    f"form_id: response {response_id!r} belongs to form {row.form_id!r}",
                )
            changes = _response_changes(row, body, now)
            if changes:
                conn.execute(responses.update().where(*key).values(**changes, updated_at=now))
        row = conn.execute(sa.select(responses).where(*key)).one()
        return {
            "id": row.response_id,
            "form_id": row.form_id,
            "completed": row.completed,
            "created_at": iso(row.created_at),
            "updated_at": iso(row.updated_at),
            "completed_at": iso(row.completed_at),
        }


# Built once: constructing a statement costs more than running it on SQLite.
_LIVE = (
    sa.select(surveys.c.definition)
    .where(surveys.c.project_id == sa.bindparam("project_id"), surveys.c.status == "live")
    .order_by(surveys.c.created_at, surveys.c.id)
)
_TRAITS = sa.select(traits).where(
    sa.or_(
        traits.c.contact_pk == sa.bindparam("contact_pk"),
        traits.c.account_pk == sa.bindparam("account_pk"),  # NULL matches nothing
    )
)
_EVENT_COUNTS = (
    sa.select(events.c.name, sa.func.count())
    .where(
        events.c.contact_pk == sa.bindparam("contact_pk"),
        events.c.name.in_(sa.bindparam("names", expanding=True)),
    )
    .group_by(events.c.name)
)


def _per_form(kind: str, table: sa.Table, at: sa.Column[Any], *where: Any) -> sa.Select[Any]:
    return (
        sa.select(sa.literal(kind), table.c.form_id, sa.func.min(at), sa.func.max(at))
        .where(table.c.contact_pk == sa.bindparam("contact_pk"), *where)
        .group_by(table.c.form_id)
    )


_HISTORY = sa.union_all(
    _per_form("v", views, views.c.shown_at),
    _per_form("d", dismissals, dismissals.c.dismissed_at),
    _per_form("c", responses, responses.c.completed_at, responses.c.completed),
)


def _histories(conn: Connection, contact_pk: int) -> dict[str, History]:
    """Views, dismissals and completions of one contact per survey, in one query."""
    out: dict[str, History] = {}
    for kind, form_id, first, last in conn.execute(_HISTORY, {"contact_pk": contact_pk}):
        h = out.setdefault(form_id, History())
        if kind == "v":
            h.first_view, h.last_view = as_utc(first), as_utc(last)
        elif kind == "d":
            h.last_dismissal = as_utc(last)
        else:
            h.last_completion = as_utc(last)
    return out


def _response_changes(row: sa.Row[Any], body: ResponseIn, now: datetime) -> dict[str, Any]:
    """Columns a later save changes. The latest answers and data replace the stored ones,
    except that a non-completed save arriving after completion is stale (a delayed retry of
    an earlier step) and changes nothing; `completed` never goes back to false."""
    if row.completed and not body.completed:
        return {}
    new = {
        "answers": body.answers,
        "data": body.data,
        "locale": body.locale if body.locale is not None else row.locale,
        "page_url": body.page_url if body.page_url is not None else row.page_url,
    }
    changes = {k: v for k, v in new.items() if getattr(row, k) != v}
    if body.completed and not row.completed:
        changes.update(completed=True, completed_at=now)
    return changes
