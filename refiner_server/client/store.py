"""What the client endpoints do to the database, one transaction per request.

Kept apart from the HTTP layer so the CLI, the admin API and tests can call it directly.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.concurrency import run_in_threadpool

from refiner_server.channels import links
from refiner_server.client import contacts as contacts_mod
from refiner_server.client import origins
from refiner_server.client.answer_checks import AnswerChecks
from refiner_server.client.audience import Facts
from refiner_server.client.eligibility import NO_HISTORY, Recontact, eligible
from refiner_server.client.history import contact_history
from refiner_server.client.live import PROJECT_AND_SURVEYS, LiveCache, LiveSurveys, ping_answer
from refiner_server.client.models import (
    DismissalIn,
    EventIn,
    Identified,
    PingIn,
    ResponseIn,
    User,
    ViewIn,
    WriteIn,
)
from refiner_server.client.response_writes import save_response
from refiner_server.client.signature import verify
from refiner_server.clock import Clock
from refiner_server.db import (
    as_utc,
    contacts,
    dismissals,
    events,
    is_busy,
    is_retryable,
    is_sqlite,
    projects,
    traits,
    views,
)
from refiner_server.http.errors import ApiError
from refiner_server.webhooks.outbox import queue_dismissed, queue_identified

T = TypeVar("T")

RETRIES = 3
BUSY_TIMEOUT_S = 30  # how long `call` waits for another process's write lock
BUSY_FIRST_WAIT_S, BUSY_MAX_WAIT_S = 0.0002, 0.005
#: a ping refreshes `last_seen_at` only when the stored one is older than this (or ahead of
#: the clock): a coarse activity stamp (no rule reads it), so that the repeat pings of an
#: open page (every `ping_interval_s`, 300 s by default) mostly write nothing
LAST_SEEN_EVERY = timedelta(hours=1)


class ClientStore:
    """The client API's storage operations over one engine."""

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock = clock or Clock()
        # SQLite has one writer at a time: queue in-process on a lock rather than spin on
        # SQLITE_BUSY. PostgreSQL runs writers concurrently and retries unique-key races.
        self._lock = threading.Lock() if is_sqlite(engine) else nullcontext()
        self._inline = is_sqlite(engine)
        # PostgreSQL reads in autocommit: no BEGIN and ROLLBACK round trips. Under its READ
        # COMMITTED every statement takes its own snapshot, in a transaction or not.
        self._read_options: dict[str, Any] = {"readonly": True}
        if not self._inline:
            self._read_options["isolation_level"] = "AUTOCOMMIT"
        self._live = LiveCache()
        self._answers = AnswerChecks()
        insert = sqlite_insert if is_sqlite(engine) else pg_insert
        # RETURNING says whether the row went in: psycopg's rowcount of these is -1
        self._insert_new = {
            t.name: insert(t).on_conflict_do_nothing().returning(t.c.project_id)
            for t in (events, views, dismissals)
        }

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a store operation for an async handler. On SQLite it runs on the event loop:
        its statements take microseconds, less than a hop to the threadpool, and one thread
        per process means no contention for the GIL or the write lock. A networked database
        would block the loop, so there it goes to the threadpool."""
        if not self._inline:
            return await run_in_threadpool(fn, *args)
        # Another process holds the write lock (`serve --workers N`, the CLI): SQLite's own
        # busy wait would sleep on the event loop, stalling every request of this worker,
        # so the engine fails at once (`busy_timeout_s=0`) and the wait happens here. Only
        # `BEGIN IMMEDIATE` can be busy, before anything is done, so a retry is safe.
        delay, deadline = BUSY_FIRST_WAIT_S, time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                return fn(*args)
            except (sqlite3.OperationalError, OperationalError) as exc:
                if not is_busy(exc) or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, BUSY_MAX_WAIT_S)

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self._lock, self.engine.begin() as conn:
            yield conn

    def _read(self) -> Connection:
        """A read-only connection: `BEGIN` rather than `BEGIN IMMEDIATE` on SQLite, so it
        neither takes nor waits for the write lock (WAL readers see a snapshot); no
        transaction at all on PostgreSQL."""
        return self.engine.connect().execution_options(**self._read_options)

    def _run(self, fn: Any, *args: Any) -> Any:
        """Run `fn(conn, *args)` in a transaction; retry when a concurrent writer won a
        unique-key race or PostgreSQL gave up on a deadlock or serialisation conflict (only
        possible without the SQLite lock). Every try starts over from fresh reads."""
        for attempt in range(RETRIES):
            try:
                with self._tx() as conn:
                    return fn(conn, *args)
            except (IntegrityError, OperationalError) as exc:
                if attempt == RETRIES - 1 or not is_retryable(exc):
                    raise
        raise AssertionError("unreachable")

    # -- checks shared by every endpoint ------------------------------------------------

    @staticmethod
    def _project(conn: Connection, project_id: str, query: sa.Select[Any] | None = None) -> Any:
        row = conn.execute(query if query is not None else _PROJECT, {"project_id": project_id})
        row = row.first()
        if row is None:
            raise ApiError(404, "project_not_found", f"project {project_id!r} does not exist")
        origins.check(project_id, row.allowed_origins)
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
        if not verify(project.secret or "", user_id, body.signature, body.account_of()):
            raise ApiError(
                403,
                "invalid_signature",
                "signature: does not match the user id (and the account id, when one is sent)",
            )

    def _open(
        self, conn: Connection, project_id: str, body: Identified, vouched: bool = False
    ) -> sa.Row[Any]:
        """The project row, once the request may write to it. `vouched`: the ids come from
        the site's backend with a server key of the project (`server_api`), which stands in
        for a signature."""
        project = self._project(conn, project_id)
        if isinstance(body, WriteIn) and body.link is not None:
            self._through_link(project, body)
        elif not vouched:
            self._check_identity(project, body)
        return project

    def _through_link(self, project: sa.Row[Any], body: WriteIn) -> dict[str, Any]:
        """A write through a one-time link: its token vouches for the person it names,
        who the write is filed under (the browser's anonymous id is left out: a forwarded
        link must not merge the forwarder's history into that person). Its claims."""
        try:
            claims = links.read_token(
                project.secret,
                project.id,
                getattr(body, "form_id", None),
                body.link,
                self.clock.now(),
            )
        except links.LinkRefused as exc:
            raise exc.api_error() from None
        body.user_id, body.anonymous_id, body.signature = claims["user_id"], None, None
        return claims

    @staticmethod
    def _anonymous_id(project: sa.Row[Any], body: Identified, vouched: bool) -> str | None:
        """The anonymous id a contact is resolved by. With identity verification the contact
        is the verified user alone: an unsigned anonymous id neither merges nor moves
        anything, so presenting someone else's cannot reach their history. A vouched
        request's ids are the site's own word, as a signature would be."""
        return None if project.identity_verification and not vouched else body.anonymous_id

    def _writer(
        self,
        conn: Connection,
        project: sa.Row[Any],
        body: Identified,
        now: datetime,
        vouched: bool = False,
    ) -> tuple[sa.Row[Any], bool]:
        """The contact a write comes from, resolved (created, merged) as its ids say, and
        whether this write identified it (its user id is new to the project)."""
        anonymous_id, user_id = self._anonymous_id(project, body, vouched), body.who()
        contact = contacts_mod.settled(conn, project.id, anonymous_id, user_id)
        if contact is not None:
            return contact, False
        new_user = user_id is not None and not contacts_mod.known_user(conn, project.id, user_id)
        return contacts_mod.resolve(conn, project.id, anonymous_id, user_id, now), new_user

    # -- ping ---------------------------------------------------------------------------

    def ping(self, project_id: str, body: PingIn) -> bytes:
        """The JSON answer of a ping. The usual ping (a known contact, nothing new) only
        reads, plus one `UPDATE` of `last_seen_at` when that is `LAST_SEEN_EVERY` old; any
        other change goes through `_ping_write`, which resolves the contact under the lock."""
        now = self.clock.now()
        user = body.user
        with self._read() as conn:
            project = self._project(conn, project_id, PROJECT_AND_SURVEYS)
            self._check_identity(project, body)
            live = self._live.get(conn, project_id, project)
            contact = contacts_mod.settled(
                conn,
                project_id,
                self._anonymous_id(project, body, False),
                user.id if user else None,
            )
            forms = None
            if contact is not None:
                stored: list[sa.Row[Any]] = []
                if live.want_traits or (user and (user.traits or user.account)):
                    stored = self._traits(conn, contact.pk, contact.account_pk)
                if user is None or contacts_mod.unchanged(contact, user, stored):
                    forms = self._eligible(conn, project, body, contact.pk, live, stored, now)
        if forms is None:
            return self._run(self._ping_write, project_id, body, live, now)
        last_seen = as_utc(contact.last_seen_at)
        if not timedelta(0) <= now - last_seen < LAST_SEEN_EVERY:
            with self._tx() as conn:
                conn.execute(_TOUCH, {"contact_pk": contact.pk, "now": now})
            last_seen = now
        return ping_answer(project, contact.first_seen_at, last_seen, live, forms)

    def _ping_write(
        self, conn: Connection, project_id: str, body: PingIn, live: LiveSurveys, now: datetime
    ) -> bytes:
        project = self._open(conn, project_id, body)
        contact, identified = self._writer(conn, project, body, now)
        account_pk = self._save_user(conn, project_id, contact, body.user, now)
        if identified:  # with the traits and account of this very ping
            queue_identified(conn, project_id, contact.pk, now)
        stored = self._traits(conn, contact.pk, account_pk) if live.want_traits else []
        forms = self._eligible(conn, project, body, contact.pk, live, stored, now)
        return ping_answer(project, contact.first_seen_at, now, live, forms)

    @staticmethod
    def _save_user(
        conn: Connection, project_id: str, contact: sa.Row[Any], user: User | None, now: datetime
    ) -> int | None:
        """Store what `user` says of `contact` (fields, traits, account and its traits) and
        mark it seen; the pk of its account after that."""
        account_pk = contact.account_pk
        fields: dict[str, Any] = {"contact": contact.pk, "last_seen_at": now}
        if user is not None:
            if user.email is not None:
                fields["email"] = user.email
            if user.name is not None:
                fields["name"] = user.name
            if user.account is not None:
                acc = user.account
                account_pk = contacts_mod.upsert_account(conn, project_id, acc.id, acc.name, now)
                contacts_mod.upsert_traits(conn, project_id, acc.traits, now, account_pk=account_pk)
                fields["account_pk"] = account_pk
            contacts_mod.upsert_traits(conn, project_id, user.traits, now, contact_pk=contact.pk)
        conn.execute(_SET_CONTACT, fields)  # the columns set are the keys of `fields`
        return account_pk

    # -- vouched writes: the server API and the Segment source ----------------------------

    def identify(self, project_id: str, body: PingIn) -> None:
        """What a ping stores of its user (fields, traits, account), sent by the site's
        backend: `vouched` (no signature), and no surveys to choose."""
        self._run(self._identify, project_id, body)

    def _identify(self, conn: Connection, project_id: str, body: PingIn) -> None:
        project = self._open(conn, project_id, body, vouched=True)
        now = self.clock.now()
        contact, identified = self._writer(conn, project, body, now, vouched=True)
        self._save_user(conn, project_id, contact, body.user, now)
        if identified:
            queue_identified(conn, project_id, contact.pk, now)

    def seen(self, project_id: str, body: WriteIn) -> None:
        """The contact of these ids was seen now (a page view sent by the backend)."""
        self._run(self._seen, project_id, body)

    def _seen(self, conn: Connection, project_id: str, body: WriteIn) -> None:
        project = self._open(conn, project_id, body, vouched=True)
        now = self.clock.now()
        contact, identified = self._writer(conn, project, body, now, vouched=True)
        if identified:
            queue_identified(conn, project_id, contact.pk, now)
        conn.execute(_TOUCH, {"contact_pk": contact.pk, "now": now})

    @staticmethod
    def _traits(conn: Connection, contact_pk: int, account_pk: int | None) -> list[sa.Row[Any]]:
        return list(conn.execute(_TRAITS, {"contact_pk": contact_pk, "account_pk": account_pk}))

    def _eligible(
        self,
        conn: Connection,
        project: sa.Row[Any],
        body: PingIn,
        contact_pk: int,
        live: LiveSurveys,
        stored: list[sa.Row[Any]],
        now: datetime,
    ) -> list[int]:
        """Indexes of the live surveys this contact may see now, in creation order. One
        query whatever the number of surveys: counts of the events rules name, and the
        contact's history per survey, every survey's for the recontact wait (the traits
        are `stored`)."""
        if not live.definitions:
            return []
        user_traits: dict[str, tuple[str, Any]] = {}
        account_traits: dict[str, tuple[str, Any]] = {}
        for row in stored:
            into = user_traits if row.contact_pk is not None else account_traits
            into[row.key] = (row.type, contacts_mod.trait_value(row))
        counts, histories = contact_history(conn, contact_pk, live.event_names)
        user = body.user
        facts = Facts(
            user is not None,
            user_traits,
            account_traits,
            counts,
            now,
            device=body.device,
            locale=body.locale,
            segments=live.segments,
        )
        key = user.id if user is not None else body.anonymous_id
        wait = Recontact(project.recontact_days, histories)
        return [
            i
            for i, d in enumerate(live.definitions)
            if eligible(d, project.id, key, facts, histories.get(d["id"], NO_HISTORY), wait)
        ]

    # -- one survey, for a forced showForm ----------------------------------------------

    def form(self, project_id: str, form_id: str, body: Identified) -> dict[str, Any]:
        """The client view of a live survey, for anyone the project lets in (signed on a
        verified project): forcing skips audience and trigger, never status. Read-only, so
        no write lock."""
        with self._read() as conn:
            project = self._project(conn, project_id, PROJECT_AND_SURVEYS)
            self._check_identity(project, body)
            definition = self._live.get(conn, project_id, project).by_id.get(form_id)
        if definition is None:
            raise ApiError(404, "form_not_found", f"form {form_id!r} is not live in this project")
        return definition

    # -- append-only writes: events, views, dismissals -------------------------------------

    def event(self, project_id: str, body: EventIn, vouched: bool = False) -> bool:
        """Store the event; False when its id was already stored (a retry). `vouched`: sent
        by the site's backend (`_open`)."""
        return self._run(
            self._append,
            project_id,
            body,
            events,
            "event_id",
            body.event_id,
            {"name": body.name, "occurred_at": body.occurred_at},
            vouched,
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
        vouched: bool = False,
    ) -> bool:
        project = self._open(conn, project_id, body, vouched)
        now = self.clock.now()
        contact, identified = self._writer(conn, project, body, now, vouched)
        if identified:
            queue_identified(conn, project_id, contact.pk, now)
        row = {k: (now if v is None and k.endswith("_at") else v) for k, v in values.items()}
        params = dict(row, project_id=project_id, contact_pk=contact.pk, received_at=now)
        params[id_col] = id_value
        # one statement for new and retried ids alike: a stored id inserts nothing
        if conn.execute(self._insert_new[table.name], params).first() is not None:
            if table is dismissals:
                dismissal = {"id": id_value, "form_id": row["form_id"]}
                dismissal["dismissed_at"] = row["dismissed_at"]
                queue_dismissed(conn, project_id, dismissal, contact.pk, now)
            return True
        owner = conn.execute(
            sa.select(table.c.contact_pk).where(
                table.c.project_id == project_id, table.c[id_col] == id_value
            )
        ).scalar_one()
        contacts_mod.check_owner(owner, contact, id_col, id_value)
        return False  # a retry: nothing new

    # -- responses ------------------------------------------------------------------------

    def response(self, project_id: str, response_id: str, body: ResponseIn) -> dict[str, Any]:
        return self._run(self._response, project_id, response_id, body)

    def _response(
        self, conn: Connection, project_id: str, response_id: str, body: ResponseIn
    ) -> dict[str, Any]:
        link = body.link
        project = self._open(conn, project_id, body)
        claims = None
        if link is not None:  # `_open` checked it; its claims, again
            claims = links.read_token(
                project.secret, project_id, body.form_id, link, self.clock.now()
            )
            links.check_unspent(conn, project_id, claims, response_id)
        now = self.clock.now()
        contact, identified = self._writer(conn, project, body, now)
        if identified:
            queue_identified(conn, project_id, contact.pk, now)
        stored = save_response(conn, self._answers, project_id, response_id, body, contact, now)
        if claims is not None and stored["completed"]:
            links.spend(conn, project_id, claims, response_id, now)
        return stored


# Built once: constructing a statement costs more than running it on SQLite.
_PROJECT = sa.select(projects).where(projects.c.id == sa.bindparam("project_id"))
_SET_CONTACT = contacts.update().where(contacts.c.pk == sa.bindparam("contact"))
_TOUCH = (
    contacts.update()
    .where(contacts.c.pk == sa.bindparam("contact_pk"))
    .values(last_seen_at=sa.bindparam("now"))
)
_TRAITS = sa.select(traits).where(
    sa.or_(
        traits.c.contact_pk == sa.bindparam("contact_pk"),
        traits.c.account_pk == sa.bindparam("account_pk"),  # NULL matches nothing
    )
)
