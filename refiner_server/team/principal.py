"""Who a request is: a person signed in to the dashboard, or an admin token (a script's,
or the dashboard's token sign-in).

An admin token without a project has the whole server, as tokens always had (scripts and
tests made before roles keep working); a token made with `--project P --role R` has role R
in P and nothing else; a person has the roles of their memberships. `id` and `name` are
what the audit log keeps of the actor (`audit.record`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from refiner_server.team.roles import at_least
from refiner_server.team.tables import memberships


class Principal:
    """`kind` "user" or "token"; `roles` maps project id to role, or is None for a
    server-wide token (owner of every project, and may create projects)."""

    def __init__(
        self, kind: str, principal_id: str, name: str, roles: dict[str, str] | None
    ) -> None:
        self.kind = kind
        self.id = principal_id
        self.name = name
        self.roles = roles

    @property
    def server_wide(self) -> bool:
        return self.roles is None

    @property
    def label(self) -> str:
        """How pages and the audit log name it: `ada@example.com`, `token ci`."""
        return self.name if self.kind == "user" else f"token {self.name}"

    def role_in(self, project_id: str) -> str | None:
        return "owner" if self.roles is None else self.roles.get(project_id)

    def may(self, project_id: str, needed: str) -> bool:
        return at_least(self.role_in(project_id), needed)

    def visible(self, projects: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The projects (rows with an `id`) it belongs to."""
        return [p for p in projects if self.role_in(p["id"]) is not None]

    def __repr__(self) -> str:
        return f"Principal({self.kind}, {self.id!r}, {self.name!r})"


def of_token(token: dict[str, Any]) -> Principal:
    """The principal of a live admin token (`tokens.verify_token`'s answer)."""
    project_id, role = token.get("project_id"), token.get("role")
    roles = None if project_id is None else {project_id: role}
    return Principal("token", token["id"], token["name"], roles)


def of_user(conn: Connection | Engine, user_id: str, email: str) -> Principal:
    """The principal of a person, with their roles as they are now."""
    query = sa.select(memberships.c.project_id, memberships.c.role).where(
        memberships.c.user_id == user_id
    )
    if isinstance(conn, Engine):
        with conn.connect() as c:
            rows = c.execute(query).all()
    else:
        rows = conn.execute(query).all()
    return Principal("user", user_id, email, {r.project_id: r.role for r in rows})
