"""Schemathesis against our own OpenAPI document, in-process (ASGI, no network), with the
engine the `st run` CLI drives: its examples, coverage and fuzzing phases and every check
it runs (no 5xx; status, content type, headers and body as declared; schema-valid input
accepted, schema-violating input refused; OPTIONS and unsupported methods answered with a
true `Allow`), client, admin and server API and the Segment source (with a server key), on
SQLite and PostgreSQL (the `db_url` fixture).

Seeded and derandomised (the same requests every run) and bounded to `EXAMPLES` per
operation to fit the suite's time budget; `REFINER_SCHEMATHESIS_EXAMPLES` raises it and
`REFINER_SCHEMATHESIS_SEED` changes the seed for a deeper hunt. Stateful testing stays off:
the operations are independent, and its cost grows with the links between them.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Sequence
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

from refiner_server.client.rules import ID_PATTERN
from refiner_server.server_api.keys import create_key
from tests.server.admin_support import ADMIN, auth

EXAMPLES = int(os.environ.get("REFINER_SCHEMATHESIS_EXAMPLES", "5"))
SEED = int(os.environ.get("REFINER_SCHEMATHESIS_SEED", "1"))
PROJECTS = ("p1", "sec")
#: A survey definition has cross-field rules no JSON schema states (logic that points at a
#: later question, choice ids unique within a question, ...; `survey_checks` names the path
#: of each fault), so a body the schema admits may rightly be refused with a 422. Only
#: there is "schema-valid input is accepted" not checked; every other check still runs.
DEFINITION_BODIES = [
    f"POST {ADMIN}/projects/{{project_id}}/surveys",
    f"PUT {ADMIN}/projects/{{project_id}}/surveys/{{survey_id}}",
    "POST /api/v1/schema/survey/check",  # the validator's verdict on such a body
    # likewise a webhook's URL: https and a public host (docs/webhooks.md "Targets"), and a
    # Slack endpoint takes response.completed only
    f"POST {ADMIN}/projects/{{project_id}}/webhooks",
    f"PATCH {ADMIN}/projects/{{project_id}}/webhooks/{{endpoint_id}}",
    # and an invitation's email: one address (`team.users.normal_email`)
    f"POST {ADMIN}/projects/{{project_id}}/invitations",
    # and a segment's audience: the survey format's rules (docs/surveys.md)
    f"POST {ADMIN}/projects/{{project_id}}/segments",
    f"PUT {ADMIN}/projects/{{project_id}}/segments/{{segment_id}}",
]


def run_engine(
    app: Any, headers: dict[str, str], keyed: Sequence[dict[str, Any]] = ()
) -> tuple[list[str], int]:
    """The failures the engine finds (one line per operation, check and kind of failure,
    with the request that showed it) and the number of scenarios it ran. `keyed`: more
    operation settings (the server API's own key headers)."""
    config = SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "headers": headers,
            "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
            "phases": {"stateful": {"enabled": False}},
            "operations": [
                {
                    "include-name": DEFINITION_BODIES,
                    "checks": {"positive_data_acceptance": {"enabled": False}},
                },
                *keyed,
            ],
        }
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)

    @schema.hook
    def map_path_parameters(_context: Any, path_parameters: dict[str, Any]) -> dict[str, Any]:
        """Most made-up project ids do not exist: send half of the valid ones to real
        projects, so that the handlers behind the 404 are exercised too (an invalid one
        stays as it is: it may be what a negative case is about)."""
        key = next((k for k in ("project", "project_id") if k in (path_parameters or {})), None)
        project = path_parameters[key] if key else None
        if isinstance(project, str) and re.fullmatch(ID_PATTERN, project) and len(project) <= 64:
            if len(project) % 2 == 0:
                path_parameters[key] = PROJECTS[len(project) % 4 // 2]
        return path_parameters

    failures: dict[tuple[str, str, str], str] = {}
    scenarios = 0
    for event in from_schema(schema).execute():
        if isinstance(event, events.NonFatalError):  # an operation that could not be tested
            failures[(event.label, "engine", "error")] = repr(event.value)
        elif isinstance(event, events.FatalError):
            raise event.exception
        if not isinstance(event, events.ScenarioFinished):
            continue
        scenarios += 1
        for case_id, checks in event.recorder.checks.items():
            for check in checks:
                if check.failure_info is None:
                    continue
                key = (event.recorder.label, check.name, check.failure_info.failure.title)
                if key not in failures:
                    case = event.recorder.cases[case_id].value
                    answer = event.recorder.interactions.get(case_id)
                    status = answer.response.status_code if answer and answer.response else None
                    failures[key] = (
                        f"{case.method} {case.formatted_path} query={case.query!r} "
                        f"body={case.body!r:.300} -> {status}\n    {check.failure_info.failure}"
                    )
    found = [
        f"{label}: {check} ({title}) by\n  {how}" for (label, check, title), how in failures.items()
    ]
    return found, scenarios


def test_every_operation_every_check(app: Any, engine: Any) -> None:
    """Zero failures: every finding is reported together, each with a request that shows it."""
    raw = create_key(app.state.admin_engine, "p1", "schemathesis")[1]
    basic = base64.b64encode(f"{raw}:".encode()).decode()
    keyed = [
        {"include-path-regex": "^/api/v1/server/", "headers": {"Authorization": f"Bearer {raw}"}},
        {"include-path-regex": "^/api/segment/", "headers": {"Authorization": f"Basic {basic}"}},
    ]
    failures, scenarios = run_engine(app, auth(engine), keyed)
    assert scenarios >= 30  # every operation, client and admin, in each phase
    assert not failures, "\n\n".join(failures)
