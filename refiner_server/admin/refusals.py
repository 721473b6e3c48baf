"""The store's refusals as admin API errors (the bearer-token gate is `deps.AdminToken`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from refiner_server.http.errors import ApiError
from refiner_server.projects import ProjectError
from refiner_server.surveys.checks import DefinitionError
from refiner_server.surveys.store import Conflict, NotFound, VersionConflict


@contextmanager
def refusals() -> Iterator[None]:
    """Store exceptions as API errors: 404 unknown, 409 conflict, 412 a stale base
    version, 422 bad definition."""
    try:
        yield
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except VersionConflict as exc:
        raise ApiError(412, "version_conflict", str(exc)) from None
    except Conflict as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    except DefinitionError as exc:
        raise ApiError(422, "invalid_survey", str(exc)) from None
    except ProjectError as exc:
        raise ApiError(422, "invalid_project", str(exc)) from None
