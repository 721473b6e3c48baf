"""Server keys: what the site's backend shows the server API and the Segment source.

A key belongs to one project and reads `rfs_<id>_<secret>`; it is stored hashed and shown
once, as admin tokens are (`tokens.HashedSecrets`). Its prefix `rfs_<id>` names it in
lists, so an owner can tell which key a log line or a config file holds.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from refiner_server.db import server_keys
from refiner_server.projects import get_project
from refiner_server.tokens import HashedSecrets

PREFIX = "rfs_"
SERVER_KEYS = HashedSecrets(server_keys, PREFIX)


def create_key(engine: Engine, project_id: str, name: str) -> tuple[str, str]:
    """A new key of `project_id` named `name`: (key id, raw key), the raw key shown once.
    NotFound when the project does not exist."""
    get_project(engine, project_id)
    return SERVER_KEYS.create(engine, name, project_id=project_id)


def revoke_key(engine: Engine, key_id: str, project_id: str | None = None) -> bool:
    """True when the key (of `project_id`, when given) existed and was live."""
    owner = {} if project_id is None else {"project_id": project_id}
    return SERVER_KEYS.revoke(engine, key_id, **owner)


def list_keys(engine: Engine, project_id: str | None = None) -> list[dict[str, Any]]:
    """Every key (of one project, or all), oldest first, with its prefix and never its
    secret."""
    owner = {} if project_id is None else {"project_id": project_id}
    return [dict(k, prefix=PREFIX + k["id"]) for k in SERVER_KEYS.list(engine, **owner)]


def verify_key(engine: Engine, raw: Any) -> dict[str, Any] | None:
    """The live key `raw` is, with its `project_id`; None for any other string."""
    return SERVER_KEYS.verify(engine, raw)
