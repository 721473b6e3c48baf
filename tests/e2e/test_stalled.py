"""A request that never gets an answer (a stalled connection) must not hold the outbox:
the client gives up on it after `REQUEST_TIMEOUT_MS` and sends it again. Playwright's
clock jumps over the wait; the page's own timer aborts the request."""

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Route

from refiner_web.outbox import REQUEST_TIMEOUT_MS
from tests.e2e.conftest import HostPage, Server
from tests.e2e.hardening import (
    RECORDER,
    make_project,
    recorded,
    rows_while_routing,
    wait_in_page,
)

PROJECT = "stalled"


@pytest.fixture(scope="module")
def project(_server_session: Server, tmp_path_factory: pytest.TempPathFactory) -> None:
    make_project(_server_session, tmp_path_factory.mktemp("stalled"), PROJECT, [])


def test_a_stalled_request_is_given_up_and_sent_again(
    host: HostPage, db_path: Path, project: None
) -> None:
    held = []

    def stall_the_first(route: Route) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)  # never answered

    host.page.route(f"**/api/v1/client/{PROJECT}/events", stall_the_first)
    host.page.add_init_script(RECORDER)
    host.open(project=PROJECT)
    host.wait_ready()
    host.page.clock.install()  # after boot, which waits on performance marks
    event = "after-stall-" + uuid.uuid4().hex
    host.page.evaluate("name => _refiner('trackEvent', name)", event)
    wait_in_page(host, lambda: held, step_ms=50)
    assert held, "the event was never sent"
    sql = "SELECT name FROM events WHERE name = ?"
    assert rows_while_routing(host, db_path, sql, event, timeout_s=1) == []

    host.page.clock.fast_forward(REQUEST_TIMEOUT_MS + 1000)
    assert rows_while_routing(host, db_path, sql, event) == [(event,)]
    assert recorded(host, "__warnings") == []
    assert host.page_errors == []
