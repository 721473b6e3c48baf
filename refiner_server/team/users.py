"""People and their roles: accounts (email, argon2 hash), sign-in by password, and the
memberships that give a person a role in a project, with the one rule that keeps a project
manageable: it never loses its last owner."""

from __future__ import annotations

import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from refiner_server.db import iso, projects, utcnow
from refiner_server.surveys.store import NotFound
from refiner_server.team.passwords import MAX_LENGTH, Passwords, check_strength
from refiner_server.team.roles import check_role
from refiner_server.team.tables import memberships, users


class LastOwner(ValueError):
    """A change that would leave a project without an owner."""


def normal_email(email: object) -> str:
    """`email` trimmed and lower-cased; ValueError unless it looks like one address."""
    if not isinstance(email, str):
        raise ValueError("email: a string")
    text = email.strip().lower()
    local, at, domain = text.partition("@")
    if (
        not at
        or not local
        or "." not in domain
        or len(text) > 255
        or any(c.isspace() for c in text)
    ):
        raise ValueError("email: one address, like ada@example.com")
    return text


def create_user(conn: Connection, passwords: Passwords, email: str, password: str) -> str:
    """A new person: their id. ValueError for a taken email or a weak password."""
    email = normal_email(email)
    check_strength(password, email)
    if user_by_email(conn, email) is not None:
        raise ValueError(f"{email} has an account already")
    user_id = secrets.token_hex(8)
    conn.execute(
        users.insert().values(
            id=user_id, email=email, password_hash=passwords.hash(password), created_at=utcnow()
        )
    )
    return user_id


def user_by_email(conn: Connection, email: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(users).where(users.c.email == email.strip().lower())).first()
    return None if row is None else dict(row._mapping)


def user_by_id(conn: Connection, user_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
    return None if row is None else dict(row._mapping)


def authenticate(
    engine: Engine, passwords: Passwords, email: str, password: str
) -> dict[str, Any] | None:
    """The person whose email and password these are, or None, in the same time either way
    (`Passwords.verify`). A hash made with older parameters is replaced by one of today's."""
    with engine.connect() as conn:
        user = user_by_email(conn, email) if len(password) <= MAX_LENGTH else None
    stored = None if user is None else user["password_hash"]
    if not passwords.verify(stored, password[:MAX_LENGTH]) or user is None:
        return None
    if passwords.needs_rehash(user["password_hash"]):
        with engine.begin() as conn:
            conn.execute(
                users.update()
                .where(users.c.id == user["id"])
                .values(password_hash=passwords.hash(password))
            )
    return user


def set_password(conn: Connection, passwords: Passwords, user_id: str, password: str) -> None:
    user = user_by_id(conn, user_id)
    if user is None:
        raise NotFound(f"no person {user_id!r}")
    check_strength(password, user["email"])
    conn.execute(
        users.update().where(users.c.id == user_id).values(password_hash=passwords.hash(password))
    )


def members(engine: Engine, project_id: str) -> list[dict[str, Any]]:
    """The project's people with their roles, owners first, then by email."""
    order = sa.case({"owner": 0, "editor": 1}, value=memberships.c.role, else_=2)
    query = (
        sa.select(users.c.id, users.c.email, memberships.c.role, memberships.c.created_at)
        .join(users, users.c.id == memberships.c.user_id)
        .where(memberships.c.project_id == project_id)
        .order_by(order, users.c.email)
    )
    with engine.connect() as conn:
        return [dict(r._mapping, created_at=iso(r.created_at)) for r in conn.execute(query)]


def add_member(conn: Connection, project_id: str, user_id: str, role: str) -> None:
    """Give a person `role` in the project (a member already: the new role)."""
    check_role(role)
    if conn.execute(sa.select(projects.c.id).where(projects.c.id == project_id)).first() is None:
        raise NotFound(f"no project {project_id!r}")
    if _role(conn, project_id, user_id) is None:
        conn.execute(
            memberships.insert().values(
                project_id=project_id, user_id=user_id, role=role, created_at=utcnow()
            )
        )
    else:
        set_role(conn, project_id, user_id, role)


def set_role(conn: Connection, project_id: str, user_id: str, role: str) -> str:
    """Change a member's role: the role they had. LastOwner if it takes the project's last
    owner away."""
    check_role(role)
    before = _role(conn, project_id, user_id)
    if before is None:
        raise NotFound(f"no member {user_id!r} in project {project_id!r}")
    if before == "owner" and role != "owner":
        _keep_an_owner(conn, project_id)
    conn.execute(
        memberships.update()
        .where(memberships.c.project_id == project_id, memberships.c.user_id == user_id)
        .values(role=role)
    )
    return before


def remove_member(conn: Connection, project_id: str, user_id: str) -> str:
    """Take a person out of the project: the role they had. LastOwner for its last owner."""
    before = _role(conn, project_id, user_id)
    if before is None:
        raise NotFound(f"no member {user_id!r} in project {project_id!r}")
    if before == "owner":
        _keep_an_owner(conn, project_id)
    conn.execute(
        memberships.delete().where(
            memberships.c.project_id == project_id, memberships.c.user_id == user_id
        )
    )
    return before


def _role(conn: Connection, project_id: str, user_id: str) -> str | None:
    m = memberships.c
    query = sa.select(m.role).where(m.project_id == project_id, m.user_id == user_id)
    return conn.execute(query).scalar_one_or_none()


def _keep_an_owner(conn: Connection, project_id: str) -> None:
    """LastOwner unless the project has another owner. The owners' rows are locked (FOR
    UPDATE on PostgreSQL; SQLite's write transaction holds the whole file), so two owners
    demoting each other at once cannot both succeed."""
    m = memberships.c
    query = sa.select(m.user_id).where(m.project_id == project_id, m.role == "owner")
    if conn.dialect.name != "sqlite":
        query = query.with_for_update()
    if len(conn.execute(query).all()) < 2:
        raise LastOwner("a project keeps at least one owner: make another owner first")


def list_users(engine: Engine) -> list[dict[str, Any]]:
    """Every account (by email) with its roles per project; never a hash."""
    with engine.connect() as conn:
        people = conn.execute(
            sa.select(users.c.id, users.c.email, users.c.created_at).order_by(users.c.email)
        ).all()
        rows = conn.execute(sa.select(memberships)).all()
    roles: dict[str, dict[str, str]] = {}
    for r in rows:
        roles.setdefault(r.user_id, {})[r.project_id] = r.role
    return [
        {
            "id": p.id,
            "email": p.email,
            "created_at": iso(p.created_at),
            "roles": roles.get(p.id, {}),
        }
        for p in people
    ]
