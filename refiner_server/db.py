"""Schema and engine: SQLAlchemy Core tables that run on SQLite (default) and PostgreSQL.

Only portable types are used (String, Text, Integer, BigInteger, Boolean, DateTime, JSON).
Times are stored as UTC; SQLite drops the offset, so readers go through `as_utc`.
"""

from __future__ import annotations

import functools
import select
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TS = sa.DateTime(timezone=True)
ID = sa.String(64)  # ids made by clients, projects and surveys
LONG = sa.String(255)  # user ids, names, trait keys and values
URL = sa.String(2048)


def _project_fk() -> sa.Column[str]:
    return sa.Column(
        "project_id", ID, sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    )


def _contact_fk(nullable: bool = False) -> sa.Column[int]:
    return sa.Column(
        "contact_pk",
        sa.Integer,
        sa.ForeignKey("contacts.pk", ondelete="CASCADE"),
        nullable=nullable,
        index=True,
    )


projects = sa.Table(
    "projects",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", LONG, nullable=False, server_default=""),
    sa.Column("identity_verification", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("secret", LONG, nullable=True),
    sa.Column("ping_interval_s", sa.Integer, nullable=False, server_default="300"),
    sa.Column("allowed_origins", sa.JSON, nullable=False, default=list),
    sa.Column("created_at", TS, nullable=False),
    #: days no survey is shown after a person saw one (NULL: no wait; eligibility.py)
    sa.Column("recontact_days", sa.Integer, nullable=True),
)

surveys = sa.Table(
    "surveys",
    metadata,
    _project_fk(),
    sa.Column("id", ID, nullable=False),
    sa.Column("definition", sa.JSON, nullable=False),
    sa.Column("status", sa.String(32), nullable=False, server_default="draft"),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    #: when `schedule.max_responses` completed responses were reached (NULL: open)
    sa.Column("closed_at", TS, nullable=True),
    sa.PrimaryKeyConstraint("project_id", "id"),
)

#: named audiences (`audience` without `sample_percent`) that surveys' rules reference
segments = sa.Table(
    "segments",
    metadata,
    _project_fk(),
    sa.Column("id", ID, nullable=False),
    sa.Column("name", LONG, nullable=False),
    sa.Column("definition", sa.JSON, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.PrimaryKeyConstraint("project_id", "id"),
)

#: every definition a survey has had; a response names the version it answered
survey_versions = sa.Table(
    "survey_versions",
    metadata,
    sa.Column("project_id", ID, nullable=False),
    sa.Column("survey_id", ID, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("definition", sa.JSON, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    #: who made it: the signed-in principal's name (None: the CLI, or before 0007)
    sa.Column("author", LONG),
    #: how it came to be when not by an edit: "from template nps", "restored version 2"
    sa.Column("note", LONG),
    sa.PrimaryKeyConstraint("project_id", "survey_id", "version"),
    sa.ForeignKeyConstraint(
        ["project_id", "survey_id"], ["surveys.project_id", "surveys.id"], ondelete="CASCADE"
    ),
)

#: admin API bearer tokens; only the SHA-256 of the secret is kept. Without a project a
#: token has the whole server; with one, its `role` there (`team.principal`)
admin_tokens = sa.Table(
    "admin_tokens",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", LONG, nullable=False),
    sa.Column("project_id", ID, sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=True),
    sa.Column("role", sa.String(16), nullable=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("revoked_at", TS, nullable=True),
    sa.Column("last_used_at", TS, nullable=True),
)

#: keys of the server API and the Segment source, one project each; stored as `admin_tokens`
server_keys = sa.Table(
    "server_keys",
    metadata,
    sa.Column("id", ID, primary_key=True),
    _project_fk(),
    sa.Column("name", LONG, nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("revoked_at", TS, nullable=True),
    sa.Column("last_used_at", TS, nullable=True),
    sa.Index("ix_server_keys_project_id", "project_id"),
)

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    _project_fk(),
    sa.Column("account_id", LONG, nullable=False),
    sa.Column("name", LONG, nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.UniqueConstraint("project_id", "account_id"),
)

contacts = sa.Table(
    "contacts",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    _project_fk(),
    sa.Column("user_id", LONG, nullable=True),  # NULL: anonymous contact
    sa.Column("email", LONG, nullable=True),
    sa.Column("name", LONG, nullable=True),
    sa.Column(
        "account_pk",
        sa.Integer,
        sa.ForeignKey("accounts.pk", ondelete="SET NULL"),
        nullable=True,
        index=True,
    ),
    sa.Column("first_seen_at", TS, nullable=False),
    sa.Column("last_seen_at", TS, nullable=False),
    sa.UniqueConstraint("project_id", "user_id"),  # NULLs are distinct on SQLite and PG
    sa.Index("ix_contacts_project_email", "project_id", "email"),
)

contact_anonymous_ids = sa.Table(
    "contact_anonymous_ids",
    metadata,
    _project_fk(),
    sa.Column("anonymous_id", ID, nullable=False),
    _contact_fk(),
    sa.Column("created_at", TS, nullable=False),
    sa.PrimaryKeyConstraint("project_id", "anonymous_id"),
)

TRAIT_TYPES = ("string", "integer", "boolean", "date")

traits = sa.Table(
    "traits",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    _project_fk(),
    _contact_fk(nullable=True),
    sa.Column(
        "account_pk",
        sa.Integer,
        sa.ForeignKey("accounts.pk", ondelete="CASCADE"),
        nullable=True,
        index=True,
    ),
    sa.Column("key", LONG, nullable=False),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("value_text", LONG, nullable=True),
    sa.Column("value_int", sa.BigInteger, nullable=True),
    sa.Column("value_bool", sa.Boolean, nullable=True),
    sa.Column("value_date", TS, nullable=True),
    sa.Column("updated_at", TS, nullable=False),
    sa.CheckConstraint("(contact_pk IS NULL) <> (account_pk IS NULL)", name="one_owner"),
    sa.CheckConstraint("type IN ('string', 'integer', 'boolean', 'date')", name="known_type"),
    sa.UniqueConstraint("contact_pk", "key"),
    sa.UniqueConstraint("account_pk", "key"),
    sa.Index("ix_traits_project_key_text", "project_id", "key", "value_text"),
)

events = sa.Table(
    "events",
    metadata,
    _project_fk(),
    sa.Column("event_id", ID, nullable=False),
    _contact_fk(),
    sa.Column("name", LONG, nullable=False),
    sa.Column("occurred_at", TS, nullable=False),
    sa.Column("received_at", TS, nullable=False),
    sa.PrimaryKeyConstraint("project_id", "event_id"),
)

views = sa.Table(
    "views",
    metadata,
    _project_fk(),
    sa.Column("view_id", ID, nullable=False),
    sa.Column("form_id", ID, nullable=False),
    _contact_fk(),
    sa.Column("shown_at", TS, nullable=False),
    sa.Column("received_at", TS, nullable=False),
    sa.PrimaryKeyConstraint("project_id", "view_id"),
)

dismissals = sa.Table(
    "dismissals",
    metadata,
    _project_fk(),
    sa.Column("dismissal_id", ID, nullable=False),
    sa.Column("form_id", ID, nullable=False),
    _contact_fk(),
    sa.Column("dismissed_at", TS, nullable=False),
    sa.Column("received_at", TS, nullable=False),
    sa.PrimaryKeyConstraint("project_id", "dismissal_id"),
)

responses = sa.Table(
    "responses",
    metadata,
    _project_fk(),
    sa.Column("response_id", ID, nullable=False),
    sa.Column("form_id", ID, nullable=False),
    _contact_fk(),
    sa.Column("answers", sa.JSON, nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("locale", sa.String(64), nullable=True),
    sa.Column("page_url", URL, nullable=True),
    sa.Column("completed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("completed_at", TS, nullable=True),
    sa.Column("survey_version", sa.Integer, nullable=True),  # NULL: stored before versions
    # what the server left out of the latest save, and why (NULL: nothing)
    sa.Column("notes", sa.JSON, nullable=True),
    sa.PrimaryKeyConstraint("project_id", "response_id"),
    sa.Index("ix_responses_project_form", "project_id", "form_id"),
    # exports page through a project's responses in (created_at, response_id) order
    sa.Index("ix_responses_project_created", "project_id", "created_at", "response_id"),
)

#: the one-time links (refiner_server/channels/links.py) spent by a completed response
link_uses = sa.Table(
    "link_uses",
    metadata,
    _project_fk(),
    sa.Column("token_id", sa.String(32), nullable=False),  # the token's nonce
    sa.Column("form_id", ID, nullable=False),
    sa.Column("user_id", LONG, nullable=False),
    sa.Column("response_id", ID, nullable=False),
    sa.Column("used_at", TS, nullable=False),
    sa.PrimaryKeyConstraint("project_id", "token_id"),
)

#: tables that point at a contact; a merge moves their rows to the surviving contact
CONTACT_OWNED = (events, views, dismissals, responses)


def utcnow() -> datetime:
    """Aware UTC now; one clock for every stored time."""
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """Read side of the UTC convention: SQLite hands back naive datetimes that are UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    """Wire format of times: `2026-11-23T19:45:59Z` (docs/internals.md)."""
    value = as_utc(value)
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, busy_timeout_s: float = 30, **kwargs: Any) -> Engine:
    """Engine for `url`; on SQLite: WAL, synchronous=NORMAL, foreign keys, busy timeout,
    and `BEGIN IMMEDIATE` so that concurrent writers queue on the lock instead of failing
    with SQLITE_BUSY when a read transaction upgrades to a write. The server passes
    `busy_timeout_s=0` and waits for the lock itself without blocking its event loop
    (`ClientStore.call`). `postgresql://` URLs use psycopg 3 (SQLAlchemy's default would be
    psycopg2); pooled connections are checked before use (`_check_out`), so a restarted
    database server costs a reconnect rather than a failed request."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": busy_timeout_s})
    else:
        url = _with_driver(url)
        if "poolclass" not in kwargs:
            # the threadpool runs up to 40 handlers at once; beyond the pool they queue
            kwargs.setdefault("pool_size", 10)
            kwargs.setdefault("max_overflow", 10)
    engine = sa.create_engine(url, **kwargs)
    if is_sqlite(engine):
        event.listen(engine, "connect", functools.partial(_sqlite_on_connect, busy_timeout_s))
        event.listen(engine, "begin", _sqlite_on_begin)
    elif not kwargs.get("pool_pre_ping"):
        event.listen(engine, "checkin", _checked_in)
        event.listen(engine, "checkout", functools.partial(_check_out, engine.dialect))
    return engine


#: a pooled PostgreSQL connection idle longer than this gets a real ping (`_check_out`)
PING_IDLE_S = 10.0


def _checked_in(_dbapi_conn: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _check_out(dialect: sa.Dialect, dbapi_conn: Any, record: Any, _proxy: Any) -> None:
    """Liveness of a pooled PostgreSQL connection without a round trip per checkout
    (`pool_pre_ping` costs one `SELECT 1` each, as much as a statement of a ping): an idle
    connection has nothing to read, so it is pinged only when its socket is readable (the
    server's notice and EOF when it shut down or restarted) or when it has been idle for
    over `PING_IDLE_S` (the silent drops a socket does not show). A failed ping makes the
    pool replace it (`DisconnectionError`)."""
    idle = time.monotonic() - record.info.get("idle_since", time.monotonic())
    try:
        if idle > PING_IDLE_S or select.select([dbapi_conn.fileno()], [], [], 0)[0]:
            dialect.do_ping(dbapi_conn)
    except (OSError, ValueError, dialect.loaded_dbapi.Error) as exc:
        raise sa.exc.DisconnectionError(str(exc)) from exc


def _with_driver(url: str) -> str:
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url.removeprefix(scheme)
    return url


#: PostgreSQL's serialization_failure and deadlock_detected: the transaction may be retried
RETRY_SQLSTATES = ("40001", "40P01")


def is_retryable(exc: BaseException) -> bool:
    """A unique-key race lost to a concurrent writer, or a transaction PostgreSQL aborted
    to resolve a conflict: running it again from the start may succeed."""
    if isinstance(exc, IntegrityError):
        return True
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in RETRY_SQLSTATES


def is_busy(exc: BaseException) -> bool:
    """SQLITE_BUSY (any extended code), raw or wrapped by SQLAlchemy."""
    orig = getattr(exc, "orig", exc)
    code = getattr(orig, "sqlite_errorcode", None)
    return isinstance(orig, sqlite3.OperationalError) and code is not None and code & 0xFF == 5


def _sqlite_on_connect(busy_timeout_s: float, dbapi_conn: sqlite3.Connection, _rec: Any) -> None:
    dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _sqlite_on_begin)
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
    finally:
        cur.close()


def _sqlite_on_begin(conn: sa.Connection) -> None:
    # reads opt out with execution_options(readonly=True) so they never wait on writers
    # (straight to the driver: a statement through SQLAlchemy costs more than SQLite's BEGIN)
    readonly = conn.get_execution_options().get("readonly", False)
    conn.connection.dbapi_connection.execute("BEGIN" if readonly else "BEGIN IMMEDIATE")


MIGRATIONS = Path(__file__).with_name("migrations")
#: revision of the schema that databases made before migrations existed have
BASELINE = "0001"
#: `pg_advisory_xact_lock` key: one migrating process at a time per PostgreSQL database
MIGRATE_LOCK = 0x5EF1E4


@functools.cache
def _head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(Config(MIGRATIONS / "alembic.ini")).get_current_head()


def migrate(engine: Engine, progress: Callable[[int], None] | None = None) -> None:
    """Bring the schema to the latest Alembic revision (`refiner_server/migrations/`).

    Idempotent, and safe when several processes start at once: it runs in one transaction
    that holds SQLite's write lock (`BEGIN IMMEDIATE`) or a PostgreSQL advisory lock, so
    the others wait and then find the schema current. An empty database gets the tables of
    `metadata` and is stamped at head (tests check the revisions build the same schema); a
    database made before migrations existed is stamped at the baseline, then upgraded."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

    head = _head()
    with engine.begin() as conn:
        if not is_sqlite(engine):
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATE_LOCK})
        current = MigrationContext.configure(conn).get_current_revision()
        if current == head:
            return
        config = Config(MIGRATIONS / "alembic.ini", attributes={"connection": conn})
        if progress is not None:
            config.attributes["on_version_apply"] = lambda **_step: progress(1)
        if current is None and not sa.inspect(conn).has_table(projects.name):
            metadata.create_all(conn)
            command.stamp(config, "head")
            return
        if current is None:
            command.stamp(config, BASELINE)
        command.upgrade(config, "head")


# the webhook and team tables join `metadata` (they import the column types above)
from refiner_server.team import tables as _team_tables  # noqa: E402, F401
from refiner_server.webhooks import tables as _webhook_tables  # noqa: E402, F401
