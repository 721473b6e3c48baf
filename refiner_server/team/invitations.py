"""Invitations by link: an owner invites an email with a role; the link carries a token
that is stored hashed, expires after `VALID_FOR` and works once. The invitee sets a
password (a new person) or gives theirs (a person with an account already) and gets the
role. The server sends no mail: the owner passes the link on."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from refiner_server.db import as_utc, iso, projects
from refiner_server.surveys.store import NotFound
from refiner_server.team.passwords import Passwords
from refiner_server.team.roles import check_role
from refiner_server.team.sessions import MAX_RAW, digest
from refiner_server.team.tables import invitations, memberships
from refiner_server.team.users import add_member, create_user, normal_email, user_by_email

VALID_FOR = timedelta(days=7)
PREFIX = "rfi_"


class InvalidInvitation(ValueError):
    """A link that is unknown, used, revoked or expired: one message for all, as the page
    says the same whatever the reason."""


class WrongPassword(ValueError):
    """The invitee has an account and gave another password than theirs."""


def invite(
    conn: Connection, project_id: str, email: str, role: str, invited_by: str, now: datetime
) -> tuple[dict[str, Any], str]:
    """A new invitation and its raw token (shown once, in the link). An earlier invitation
    of the same email to the project still open is revoked; a member is not invited
    (ValueError: change their role instead)."""
    email = normal_email(email)
    check_role(role)
    if conn.execute(sa.select(projects.c.id).where(projects.c.id == project_id)).first() is None:
        raise NotFound(f"no project {project_id!r}")
    person = user_by_email(conn, email)
    if person is not None:
        m = memberships.c
        query = sa.select(m.role).where(m.project_id == project_id, m.user_id == person["id"])
        if conn.execute(query).first() is not None:
            raise ValueError(f"{email} is a member already: change their role instead")
    i = invitations.c
    conn.execute(
        invitations.update()
        .where(i.project_id == project_id, i.email == email, *_open(now))
        .values(revoked_at=now)
    )
    raw = PREFIX + secrets.token_urlsafe(32)
    row = dict(
        id=secrets.token_hex(6),
        project_id=project_id,
        email=email,
        role=role,
        token_hash=digest(raw),
        invited_by=invited_by[:255],
        created_at=now,
        expires_at=now + VALID_FOR,
    )
    conn.execute(invitations.insert().values(**row))
    return _out(row), raw


def pending(engine: Engine, project_id: str, now: datetime) -> list[dict[str, Any]]:
    """The project's invitations still open, newest first."""
    i = invitations.c
    query = (
        sa.select(invitations)
        .where(i.project_id == project_id, *_open(now))
        .order_by(i.created_at.desc())
    )
    with engine.connect() as conn:
        return [_out(r) for r in conn.execute(query).mappings()]


def revoke(conn: Connection, project_id: str, invitation_id: str, now: datetime) -> dict[str, Any]:
    """Close an open invitation: its row as it was. NotFound when there is none open."""
    i = invitations.c
    where = (i.project_id == project_id, i.id == invitation_id, *_open(now))
    row = conn.execute(sa.select(invitations).where(*where)).mappings().first()
    if row is None:
        raise NotFound(f"no open invitation {invitation_id!r}")
    conn.execute(invitations.update().where(*where).values(revoked_at=now))
    return _out(row)


def find(engine: Engine, raw: str, now: datetime) -> dict[str, Any]:
    """The open invitation of a link's token, with `has_account` (whether its email has an
    account: the page asks for a new password or for theirs); InvalidInvitation else."""
    with engine.connect() as conn:
        row = _find(conn, raw, now)
        has_account = user_by_email(conn, row["email"]) is not None
    return dict(_out(row), has_account=has_account)


def accept(
    conn: Connection, passwords: Passwords, raw: str, password: str, now: datetime
) -> tuple[dict[str, Any], str]:
    """Use the link once: (the invitation, the person's id), who now has its role. A new
    person's `password` becomes theirs (WeakPassword when too weak); an existing person's
    must be theirs (WrongPassword)."""
    row = _find(conn, raw, now)
    person = user_by_email(conn, row["email"])
    if person is None:
        user_id = create_user(conn, passwords, row["email"], password)
    elif passwords.verify(person["password_hash"], password):
        user_id = person["id"]
    else:
        raise WrongPassword("That is not the password of this account.")
    i = invitations.c
    used = conn.execute(
        invitations.update().where(i.id == row["id"], *_open(now)).values(accepted_at=now)
    )
    if used.rowcount != 1:  # another request used it first
        raise InvalidInvitation(_GONE)
    add_member(conn, row["project_id"], user_id, row["role"])
    return _out(row), user_id


_GONE = "This invitation link is not valid: it was used or withdrawn, or it has expired."


def _find(conn: Connection, raw: str, now: datetime) -> Any:
    if not isinstance(raw, str) or not raw.startswith(PREFIX) or len(raw) > MAX_RAW:
        raise InvalidInvitation(_GONE)
    query = sa.select(invitations).where(invitations.c.token_hash == digest(raw), *_open(now))
    row = conn.execute(query).mappings().first()
    if row is None:
        raise InvalidInvitation(_GONE)
    return row


def _open(now: datetime) -> tuple[Any, ...]:
    i = invitations.c
    return (i.accepted_at.is_(None), i.revoked_at.is_(None), i.expires_at > now)


def _out(row: Any) -> dict[str, Any]:
    out = {k: row[k] for k in ("id", "project_id", "email", "role", "invited_by")}
    out["created_at"] = iso(as_utc(row["created_at"]))
    out["expires_at"] = iso(as_utc(row["expires_at"]))
    return out
