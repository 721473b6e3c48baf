"""A project's allowed origins (`projects.allowed_origins`), checked where the store reads
the project row, so the check costs no query of its own.

The CORS middleware puts the request's `Origin` in `REQUEST_ORIGIN` for the client API; the
store calls `check` with the row it loaded anyway. An empty list allows every origin (the
snippet works anywhere out of the box). A request without `Origin` is not from a
cross-origin page (browsers send it on every cross-origin request, `sendBeacon` and
no-cors `fetch` included), so only the list's absence or a match lets a page's request in.

The refusal is the write not happening, not the answer being hidden: the 403 carries the
client API's usual CORS headers, so the page reads `origin_not_allowed` and the client can
tell the site owner (and keep the write for when the list allows the site) instead of
seeing an opaque network failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from functools import lru_cache

from refiner_server.http.errors import ApiError

DEFAULT_PORTS = {"http": ":80", "https": ":443"}


#: the `Origin` of the client-API request being handled (None: no header, or another path)
REQUEST_ORIGIN: ContextVar[str | None] = ContextVar("refiner_origin", default=None)


def normalise(origin: str) -> str:
    """`scheme://host[:port]` lower case, without a default port or a trailing slash, as
    browsers send it."""
    origin = origin.strip().rstrip("/").lower()
    scheme = origin.partition("://")[0]
    default = DEFAULT_PORTS.get(scheme)
    if default and origin.endswith(default):
        origin = origin[: -len(default)]
    return origin


@lru_cache(maxsize=1024)
def _allowed(origins: tuple[str, ...]) -> frozenset[str]:
    return frozenset(normalise(o) for o in origins)


def check(project_id: str, allowed: Sequence[str] | None) -> None:
    """Refuse (403) a client-API request whose `Origin` the project does not allow."""
    origin = REQUEST_ORIGIN.get()
    if origin is None or not allowed:
        return
    if normalise(origin) in _allowed(tuple(allowed)):
        return
    raise ApiError(
        403,
        "origin_not_allowed",
        f"origin {origin!r} is not allowed for project {project_id!r}",
    )
