"""Shared by the team tests: cheap argon2 parameters, people with roles, their sessions."""

from __future__ import annotations

import dataclasses
from typing import Any

from argon2.profiles import RFC_9106_LOW_MEMORY

from refiner_server.dashboard.session import COOKIE
from refiner_server.team.passwords import Passwords
from refiner_server.team.sessions import open_session
from refiner_server.team.users import add_member, create_user

#: argon2id, but fast: the tests hash hundreds of times
CHEAP = dataclasses.replace(RFC_9106_LOW_MEMORY, time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD = "correct horse battery"
SAME_ORIGIN = {"origin": "http://testserver"}


def cheap_passwords(app: Any) -> Passwords:
    app.state.passwords = Passwords(CHEAP)
    return app.state.passwords


def person(app: Any, email: str, **roles: str) -> str:
    """A new account with `roles` (project id: role): its id."""
    with app.state.admin_engine.begin() as conn:
        user_id = create_user(conn, app.state.passwords, email, PASSWORD)
        for project_id, role in roles.items():
            add_member(conn, project_id, user_id, role)
    return user_id


def cookie_of(app: Any, **owner: str) -> dict[str, str]:
    """The dashboard cookie of a new session of a person (`user_id=`) or token
    (`token_id=`)."""
    raw = open_session(app.state.admin_engine, app.state.clock.now(), **owner)
    return {COOKIE: raw}
