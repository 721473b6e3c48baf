"""Dashboard sessions, kept on the server.

The cookie holds a random id; the row keeps its SHA-256, so a copy of the database signs
nobody in. A session ends after `IDLE` without a request, `ABSOLUTE` after sign-in in any
case, at sign-out, at "sign out everywhere" (every session of that person or token), and
when its person or its token is gone or revoked (checked on every request).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from refiner_server.db import admin_tokens, as_utc
from refiner_server.team.principal import Principal, of_token, of_user
from refiner_server.team.tables import sessions, users

IDLE = timedelta(hours=12)
ABSOLUTE = timedelta(days=7)
#: `last_seen_at` is written at most this often, so pages do not each write
TOUCH_EVERY = timedelta(minutes=1)
#: longer cookies are refused before any lookup
MAX_RAW = 100


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def open_session(
    engine: Engine, now: datetime, *, user_id: str | None = None, token_id: str | None = None
) -> str:
    """A new session of a person or a token: the cookie's value, shown to nobody else. The
    owner's expired sessions are swept on the way."""
    raw = secrets.token_urlsafe(32)
    s = sessions.c
    owner = s.user_id == user_id if user_id is not None else s.token_id == token_id
    with engine.begin() as conn:
        conn.execute(
            sessions.delete().where(
                owner, sa.or_(s.last_seen_at < now - IDLE, s.created_at < now - ABSOLUTE)
            )
        )
        conn.execute(
            sessions.insert().values(
                id_hash=digest(raw),
                user_id=user_id,
                token_id=token_id,
                created_at=now,
                last_seen_at=now,
            )
        )
    return raw


def resolve(engine: Engine, raw: str | None, now: datetime) -> Principal | None:
    """Who the session `raw` is, or None: unknown, expired (then deleted), or its token
    revoked."""
    if not raw or len(raw) > MAX_RAW:
        return None
    key = digest(raw)
    with engine.connect() as conn:
        row = conn.execute(sa.select(sessions).where(sessions.c.id_hash == key)).first()
        if row is None:
            return None
        seen, born = as_utc(row.last_seen_at), as_utc(row.created_at)
        if now - seen >= IDLE or now - born >= ABSOLUTE:
            principal = None
        elif row.user_id is not None:
            email = conn.execute(
                sa.select(users.c.email).where(users.c.id == row.user_id)
            ).scalar_one()
            principal = of_user(conn, row.user_id, email)
        else:
            token = conn.execute(
                sa.select(admin_tokens).where(
                    admin_tokens.c.id == row.token_id, admin_tokens.c.revoked_at.is_(None)
                )
            ).first()
            principal = None if token is None else of_token(dict(token._mapping))
    if principal is None:
        close(engine, raw)
    elif now - seen >= TOUCH_EVERY:
        with engine.begin() as conn:
            conn.execute(
                sessions.update().where(sessions.c.id_hash == key).values(last_seen_at=now)
            )
    return principal


def close(engine: Engine, raw: str) -> None:
    """End one session (sign-out)."""
    with engine.begin() as conn:
        conn.execute(sessions.delete().where(sessions.c.id_hash == digest(raw)))


def close_all(engine: Engine, principal: Principal) -> int:
    """End every session of a person, or of a token: how many there were."""
    column = sessions.c.user_id if principal.kind == "user" else sessions.c.token_id
    with engine.begin() as conn:
        return conn.execute(sessions.delete().where(column == principal.id)).rowcount
