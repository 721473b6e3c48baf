"""Schemathesis against our own OpenAPI document, in-process (ASGI, no network): every
operation, client and admin, gets generated requests; no answer may be a 5xx, and every
answer must match what the document declares (status, content type, body schema).

Bounded and derandomized (`EXAMPLES` per operation, the same examples every run) to fit
the suite's time budget; `REFINER_SCHEMATHESIS_EXAMPLES` raises it for a deeper hunt.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.server.admin_support import auth

EXAMPLES = int(os.environ.get("REFINER_SCHEMATHESIS_EXAMPLES", "25"))
#: The admin API takes inputs its schema cannot fully state: survey definitions (checked by
#: `survey_checks`, which names the path), `trait=key:value` filters and opaque cursors, so
#: a schema-valid request may rightly be refused there (422 naming the fault). The client
#: API's schema is exact: a refusal of schema-valid data fails the test.
UNSTATED = (positive_data_acceptance,)
PROJECTS = ("p1", "sec")


@pytest.fixture
def api_schema(app: Any) -> Any:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)

    @schema.hook
    def map_path_parameters(_context: Any, path_parameters: dict[str, Any]) -> dict[str, Any]:
        """Most made-up project ids do not exist: send half the requests to real ones, so
        that the handlers behind the 404 are exercised too."""
        if not path_parameters:
            return path_parameters
        project = path_parameters.get("project") or path_parameters.get("project_id")
        if isinstance(project, str) and len(project) % 2 == 0:
            key = "project" if "project" in path_parameters else "project_id"
            path_parameters[key] = PROJECTS[len(project) % 4 // 2]
        return path_parameters

    return schema


@pytest.fixture
def admin_headers(engine: Any) -> dict[str, str]:
    return auth(engine)


def test_every_operation(api_schema: Any, admin_headers: dict[str, str]) -> None:
    """Each operation in turn (schemathesis' pytest plugin does not run on pytest 9);
    every failing operation is reported with its smallest failing request."""
    failures = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 6  # at least the client API's
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            admin = case.path.startswith("/api/v1/admin")
            case.call_and_validate(headers=admin_headers, excluded_checks=UNSTATED if admin else ())

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # collected, then reported together
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
