"""Admin bearer tokens: made by `refiner-server token create`, global to the server.

A token reads `rft_<id>_<secret>`; only the SHA-256 of the whole string is stored, so a
copy of the database gives no usable token. Revoked tokens stay listed (who had access and
until when) but never verify again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from refiner_server.db import admin_tokens, as_utc, iso, utcnow

PREFIX = "rft_"
#: `last_used_at` is refreshed at most this often, so a busy script does not write per request
TOUCH_EVERY = timedelta(minutes=1)


def create_token(engine: Engine, name: str) -> tuple[str, str]:
    """A new token named `name`: (token_id, raw token). The raw token is shown once."""
    if not name or len(name) > 255:
        raise ValueError("token name: 1-255 characters")
    token_id = secrets.token_hex(6)
    raw = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
    with engine.begin() as conn:
        conn.execute(
            admin_tokens.insert().values(
                id=token_id, name=name, token_hash=_digest(raw), created_at=utcnow()
            )
        )
    return token_id, raw


def revoke_token(engine: Engine, token_id: str) -> bool:
    """True when the token existed and was live; it never verifies again."""
    with engine.begin() as conn:
        done = conn.execute(
            admin_tokens.update()
            .where(admin_tokens.c.id == token_id, admin_tokens.c.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
    return done.rowcount == 1


def verify_token(engine: Engine, raw: str) -> dict[str, Any] | None:
    """The live token `raw` is, or None. The lookup is by the digest of the secret and
    the digests are compared in constant time, so timing says nothing about the secret."""
    if not isinstance(raw, str) or not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    digest = _digest(raw)
    token_id = raw[len(PREFIX) :].split("_", 1)[0]
    with engine.connect() as conn:
        row = conn.execute(sa.select(admin_tokens).where(admin_tokens.c.id == token_id)).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    if row.revoked_at is not None:
        return None
    now = utcnow()
    last = as_utc(row.last_used_at)
    if last is None or now - last >= TOUCH_EVERY:
        with engine.begin() as conn:
            conn.execute(
                admin_tokens.update().where(admin_tokens.c.id == row.id).values(last_used_at=now)
            )
        last = now
    return {
        "id": row.id,
        "name": row.name,
        "created_at": iso(row.created_at),
        "last_used_at": iso(last),
    }


def list_tokens(engine: Engine) -> list[dict[str, Any]]:
    """Every token ever made, oldest first, without any secret."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(admin_tokens).order_by(admin_tokens.c.created_at)).all()
    return [
        {
            "id": r.id,
            "name": r.name,
            "created_at": iso(r.created_at),
            "last_used_at": iso(r.last_used_at),
            "revoked_at": iso(r.revoked_at),
        }
        for r in rows
    ]


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()
