"""Try-out links: a signed-in owner's short-lived permission for the client to show one
survey on a page of the owner's choosing, whatever its status (docs/dashboard.md, "Try it on
my site").

The link carries `?refiner_try=<token>`; the client sends the token to
`POST /api/v1/client/{project}/tryout`, which answers the survey's client view marked
`"trial": true`, and the client shows it writing nothing (no view, answer or dismissal).

A token is `<payload>.<mac>`, both base64url: the payload names who made it (a person or an
admin token), the project, the survey and when it expires; the MAC is HMAC-SHA256 under a
key drawn from that maker's stored digest (the admin token's, or the person's password
hash). So no new secret is kept, a copy of a link reveals no secret, and revoking the token,
changing the password or losing the editor's role in the project voids every link it made.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from refiner_server.db import admin_tokens, surveys
from refiner_server.team.principal import Principal
from refiner_server.team.roles import at_least
from refiner_server.team.tables import memberships, users

#: the query parameter the client reads (refiner_web/tryout.py PARAM)
PARAM = "refiner_try"
TTL = timedelta(minutes=30)
#: longer tokens are refused unread (the client refuses them too: refiner_web/tryout.py)
MAX_TOKEN = 512
MAX_URL = 2048


class Refused(ValueError):
    """A token that does not let this survey show here; str() says why, for the console."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(token_hash: str, payload: str) -> str:
    key = hashlib.sha256(b"refiner try-out\x00" + token_hash.encode("ascii")).digest()
    return _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())


def _maker_key(engine: Engine, kind: str, maker_id: str, project_id: str) -> str | None:
    """The stored digest of who made a link, while they may still edit the project: a live
    admin token's (server-wide, or scoped to the project as an editor or owner), or a
    person's password hash (an editor or owner of the project); None otherwise."""
    with engine.connect() as conn:
        if kind == "token":
            t = admin_tokens
            query = sa.select(t.c.token_hash, t.c.project_id, t.c.role).where(
                t.c.id == maker_id, t.c.revoked_at.is_(None)
            )
            row = conn.execute(query).first()
            if row is None or row.project_id not in (None, project_id):
                return None
            return row.token_hash if row.role is None or at_least(row.role, "editor") else None
        if kind == "user":
            query = (
                sa.select(users.c.password_hash, memberships.c.role)
                .join(memberships, memberships.c.user_id == users.c.id)
                .where(users.c.id == maker_id, memberships.c.project_id == project_id)
            )
            row = conn.execute(query).first()
            return row.password_hash if row and at_least(row.role, "editor") else None
    return None


def mint(engine: Engine, who: Principal, project_id: str, survey_id: str, now: datetime) -> str:
    """A try-out token for `survey_id` of `project_id`, made by `who` (an editor of the
    project), valid for `TTL` from `now`."""
    key = _maker_key(engine, who.kind, who.id, project_id)
    if key is None:
        raise Refused(f"{who.label} may not edit project {project_id!r}")
    expires = int((now + TTL).timestamp())
    claims = {"k": who.kind, "t": who.id, "p": project_id, "s": survey_id, "e": expires}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{payload}.{_mac(key, payload)}"


def verify(engine: Engine, token: Any, project_id: str, now: datetime) -> dict[str, Any]:
    """The client view of the survey `token` names, marked `trial`; `Refused` otherwise
    (forged, expired, another project's, its admin token revoked, the survey deleted)."""
    from refiner_server.client.view import client_view

    if not isinstance(token, str) or len(token) > MAX_TOKEN or token.count(".") != 1:
        raise Refused("this is not a try-out link's token")
    payload, mac = token.split(".")
    try:
        claims = json.loads(_unb64(payload))
        kind, maker, project, survey_id, expires = (claims[k] for k in ("k", "t", "p", "s", "e"))
    except (ValueError, KeyError, TypeError) as exc:
        raise Refused("this is not a try-out link's token") from exc
    if not all(isinstance(v, str) for v in (kind, maker, project, survey_id)):
        raise Refused("this is not a try-out link's token")
    key = _maker_key(engine, kind, maker, project)
    if key is None or not hmac.compare_digest(_mac(key, payload), mac):
        raise Refused(
            "this try-out link is not valid (forged, or its maker may no longer edit the survey)"
        )
    if not isinstance(expires, int) or now.timestamp() >= expires:
        raise Refused("this try-out link has expired: make a new one in the dashboard")
    if project != project_id:
        raise Refused(f"this try-out link is for project {project!r}, not this page's")
    t = surveys
    query = sa.select(t.c.definition).where(t.c.project_id == project, t.c.id == survey_id)
    with engine.connect() as conn:
        definition = conn.execute(query).scalar()
    if definition is None:
        raise Refused(f"survey {survey_id!r} no longer exists")
    return dict(client_view(definition), trial=True)


def link(page_url: str, token: str) -> str:
    """`page_url` with the token as `PARAM` in its query (an earlier one replaced); a
    `ValueError` for anything but an http(s) URL."""
    if not isinstance(page_url, str) or len(page_url) > MAX_URL:
        raise ValueError(f"a URL of at most {MAX_URL} characters")
    parts = urlsplit(page_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("an http:// or https:// address of a page of your site")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != PARAM]
    query.append((PARAM, token))
    return urlunsplit(parts._replace(query=urlencode(query)))
