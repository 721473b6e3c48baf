"""Bearer secrets stored hashed: admin tokens (`refiner-server token create`, global to the
server) and, with the same scheme, the server keys of a project (`server_api.keys`).

A secret reads `<prefix><id>_<secret>`; only the SHA-256 of the whole string is stored, so
a copy of the database gives no usable secret. Revoked ones stay listed (who had access and
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
#: longer strings are refused before any lookup
MAX_RAW = 200


class HashedSecrets:
    """The secrets of one table (`id`, `name`, `token_hash`, `created_at`, `revoked_at`,
    `last_used_at`, plus the owner columns given as `owner`, e.g. a project id)."""

    def __init__(self, table: sa.Table, prefix: str) -> None:
        self.table = table
        self.prefix = prefix

    def create(self, engine: Engine, name: str, **owner: Any) -> tuple[str, str]:
        """A new secret named `name`: (id, raw secret). The raw secret is shown once."""
        if not isinstance(name, str) or not name or len(name) > 255:
            raise ValueError("name: 1-255 characters")
        secret_id = secrets.token_hex(6)
        raw = f"{self.prefix}{secret_id}_{secrets.token_urlsafe(32)}"
        with engine.begin() as conn:
            conn.execute(
                self.table.insert().values(
                    id=secret_id, name=name, token_hash=_digest(raw), created_at=utcnow(), **owner
                )
            )
        return secret_id, raw

    def revoke(self, engine: Engine, secret_id: str, **owner: Any) -> bool:
        """True when the secret existed (with these owner columns) and was live; it never
        verifies again."""
        t = self.table
        with engine.begin() as conn:
            done = conn.execute(
                t.update()
                .where(t.c.id == secret_id, t.c.revoked_at.is_(None), *_owned(t, owner))
                .values(revoked_at=utcnow())
            )
        return done.rowcount == 1

    def verify(self, engine: Engine, raw: Any) -> dict[str, Any] | None:
        """The live secret `raw` is (`list`'s fields but `revoked_at`), or None. The
        lookup is by the id and the digests are compared in constant time, so timing says
        nothing about the secret."""
        if not isinstance(raw, str) or not raw.startswith(self.prefix) or len(raw) > MAX_RAW:
            return None
        t = self.table
        secret_id = raw[len(self.prefix) :].split("_", 1)[0]
        with engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.id == secret_id)).first()
        if row is None or not hmac.compare_digest(row.token_hash, _digest(raw)):
            return None
        if row.revoked_at is not None:
            return None
        now = utcnow()
        last = as_utc(row.last_used_at)
        if last is None or now - last >= TOUCH_EVERY:
            with engine.begin() as conn:
                conn.execute(t.update().where(t.c.id == row.id).values(last_used_at=now))
            last = now
        out = self._out(row)
        del out["revoked_at"]
        return dict(out, last_used_at=iso(last))

    def list(self, engine: Engine, **owner: Any) -> list[dict[str, Any]]:
        """Every secret ever made (with these owner columns), oldest first, none of them
        readable."""
        t = self.table
        query = sa.select(t).where(*_owned(t, owner)).order_by(t.c.created_at, t.c.id)
        with engine.connect() as conn:
            return [self._out(r) for r in conn.execute(query)]

    def _out(self, row: sa.Row[Any]) -> dict[str, Any]:
        out = {k: v for k, v in row._mapping.items() if k != "token_hash"}
        for key in ("created_at", "last_used_at", "revoked_at"):
            out[key] = iso(out[key])
        return out


def _owned(table: sa.Table, owner: dict[str, Any]) -> list[Any]:
    return [table.c[k] == v for k, v in owner.items()]


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


ADMIN_TOKENS = HashedSecrets(admin_tokens, PREFIX)
create_token = ADMIN_TOKENS.create
revoke_token = ADMIN_TOKENS.revoke
verify_token = ADMIN_TOKENS.verify
list_tokens = ADMIN_TOKENS.list
