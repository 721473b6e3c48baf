"""One-time links: a token minted for one person and one survey, signed with the project's
secret, that files the answers given through it under that person and is spent by the
first completed response (docs/channels.md#one-time-links).

A token is `<payload>.<signature>`, both base64url: the payload is JSON naming the project
(`p`), survey (`f`), user id (`u`), expiry (`x`, Unix seconds) and a random nonce (`n`);
the signature is HMAC-SHA256 under the project's secret of NUL, `refiner-link`, NUL and
the payload. An identity-verification signature covers a user id, which never holds NUL,
so neither kind of signature can pass for the other. Rotating the secret voids every link.
Nothing is stored at minting; `link_uses` holds the links spent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.engine import Engine

from refiner_server.db import iso, link_uses, projects, surveys, utcnow
from refiner_server.http.errors import ApiError
from refiner_server.surveys.store import NotFound
from refiner_web import channels, values

DEFAULT_DAYS = 30
MAX_DAYS = 366
MAX_TOKEN = 1024
_DOMAIN = b"\x00refiner-link\x00"


class LinkRefused(ValueError):
    """A token that does not open its survey: `code` (`link_invalid`, `link_expired`,
    `link_used`) for the API and the page, `status` the HTTP status of either."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code, self.status = code, status

    def api_error(self) -> ApiError:
        return ApiError(self.status, self.code, str(self))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, payload: str) -> str:
    mac = hmac.new(secret.encode(), _DOMAIN + payload.encode("ascii"), hashlib.sha256)
    return _b64(mac.digest())


def sign_token(
    secret: str, project_id: str, form_id: str, user_id: str, expires_at: datetime
) -> str:
    """A token for `user_id` to answer `form_id` of `project_id` until `expires_at`."""
    claims = {
        "p": project_id,
        "f": form_id,
        "u": user_id,
        "x": int(expires_at.timestamp()),
        "n": secrets.token_hex(16),
    }
    payload = _b64(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    return payload + "." + _sign(secret, payload)


def read_token(
    secret: str | None, project_id: str, form_id: str | None, token: str, now: datetime
) -> dict[str, Any]:
    """The claims of a token of this project (and survey, when `form_id` is given):
    `{"token_id", "user_id", "form_id", "expires_at"}`. `LinkRefused` for a forged or
    altered token, one of another project or survey (403 `link_invalid`) and an expired
    one (410 `link_expired`)."""
    invalid = LinkRefused("link_invalid", 403, "link: this link is not valid")
    payload, _, signature = token.partition(".")
    if not secret or len(token) > MAX_TOKEN or not payload or not signature:
        raise invalid
    try:
        if not hmac.compare_digest(_sign(secret, payload), signature):
            raise invalid
        claims = json.loads(_unb64(payload))
    except (ValueError, UnicodeError, binascii.Error):
        raise invalid from None
    if not isinstance(claims, dict) or claims.get("p") != project_id:
        raise invalid
    if form_id is not None and claims.get("f") != form_id:
        raise invalid
    if not isinstance(claims.get("x"), int) or not isinstance(claims.get("n"), str):
        raise invalid
    expires_at = datetime.fromtimestamp(claims["x"], UTC)
    if expires_at <= now:
        raise LinkRefused("link_expired", 410, "link: this link has expired")
    return {
        "token_id": claims["n"],
        "user_id": claims["u"],
        "form_id": claims["f"],
        "expires_at": expires_at,
    }


def spent_by(conn: Connection, project_id: str, claims: dict[str, Any]) -> str | None:
    """The response id that spent the link, or None while it is unspent."""
    return conn.execute(
        sa.select(link_uses.c.response_id).where(
            link_uses.c.project_id == project_id, link_uses.c.token_id == claims["token_id"]
        )
    ).scalar()


def check_unspent(
    conn: Connection, project_id: str, claims: dict[str, Any], response_id: str
) -> None:
    """409 `link_used` when another response spent the link (the one that did may still
    be saved again: a retry)."""
    spent = spent_by(conn, project_id, claims)
    if spent is not None and spent != response_id:
        raise ApiError(409, "link_used", "link: this one-time link has already been answered")


def spend(
    conn: Connection, project_id: str, claims: dict[str, Any], response_id: str, now: datetime
) -> None:
    """Marks the link spent by `response_id` (its completed response), once: a second
    completion racing this one fails on the key and is retried into `check_unspent`."""
    if spent_by(conn, project_id, claims) is None:
        conn.execute(
            link_uses.insert().values(
                project_id=project_id,
                token_id=claims["token_id"],
                form_id=claims["form_id"],
                user_id=claims["user_id"],
                response_id=response_id,
                used_at=now,
            )
        )


class LinkOff(ValueError):
    """The survey takes no links (`channels.link` is `off`): the request was fine, the
    survey's state refuses it."""


def mint(
    engine: Engine, project_id: str, form_id: str, user_id: Any, days: Any = DEFAULT_DAYS
) -> dict[str, Any]:
    """A one-time link for `user_id` to answer `form_id`: `{"token", "path", "user_id",
    "expires_at"}`. The survey must exist with `channels.link` other than `off` (`NotFound`,
    `LinkOff`); a bad user id or number of days is a `ValueError`; a project without a
    secret gets one."""
    try:
        user_id = values.check_name(user_id)
    except ValueError as exc:
        raise ValueError(f"user_id: {exc}") from None
    if isinstance(days, bool) or not isinstance(days, int | float) or not 0 < days <= MAX_DAYS:
        raise ValueError(f"days: a number of days from 1 to {MAX_DAYS}")
    with engine.begin() as conn:
        secret = conn.execute(
            sa.select(projects.c.secret).where(projects.c.id == project_id)
        ).first()
        if secret is None:
            raise NotFound(f"project {project_id!r} does not exist")
        definition = conn.execute(
            sa.select(surveys.c.definition).where(
                surveys.c.project_id == project_id, surveys.c.id == form_id
            )
        ).scalar()
        if definition is None:
            raise NotFound(f"survey {form_id!r} does not exist in project {project_id!r}")
        if channels.link_access(definition) == "off":
            raise LinkOff(f"survey {form_id!r}: channels.link is off; links need it on")
        key = secret[0]
        if not key:
            key = secrets.token_hex(32)
            conn.execute(projects.update().where(projects.c.id == project_id).values(secret=key))
    expires_at = utcnow().replace(microsecond=0) + timedelta(days=days)
    token = sign_token(key, project_id, form_id, user_id, expires_at)
    return {
        "token": token,
        "path": f"/s/{project_id}/{form_id}?t={token}",
        "user_id": user_id,
        "expires_at": iso(expires_at),
    }
