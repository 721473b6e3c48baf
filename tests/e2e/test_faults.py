"""docs/client.md "Nothing is lost", fault by fault, on both runtimes: the real server stopped and
started, Playwright's routing for 500s, garbage and dropped connections, Chromium's network
emulation for a slow server, init scripts for blocked storage and disabled cookies, and a
second real server whose rate limit answers 429 with Retry-After."""

import json
import uuid
from collections import Counter
from pathlib import Path

import pytest
from playwright.sync_api import Request, Route

from tests.e2e.conftest import READY_TIMEOUT_S, HostPage, Server
from tests.e2e.hardening import (
    RECORDER,
    make_project,
    recorded,
    rows_while_routing,
    wait_in_page,
)
from tests.e2e.test_client import events_of_user, outbox_entries, query, wait_for_rows

PROJECT = "faults"
FORM = {
    "id": "faults-form",
    "name": "Faults",
    "status": "live",
    "questions": [
        {"id": "score", "type": "nps", "title": "How likely?", "required": True},
        {"id": "why", "type": "text", "title": "Why?"},
    ],
    "thank_you": {"title": "Thanks!", "auto_close_s": 0},
    "trigger": {"type": "manual"},
}
PAGE = '<button id="own" onclick="window.clicks = (window.clicks || 0) + 1">Page</button>'


@pytest.fixture(scope="module")
def faults(_server_session: Server, tmp_path_factory: pytest.TempPathFactory) -> None:
    make_project(_server_session, tmp_path_factory.mktemp("faults"), PROJECT, [FORM])


def start(host: HostPage, user: str, *, wait: bool = True) -> None:
    host.page.add_init_script(RECORDER)
    host.open(PAGE, project=PROJECT)
    host.wait_ready()
    if not wait:
        host.page.evaluate("user => _refiner('identifyUser', {id: user})", user)
        return
    with host.page.expect_response(lambda r: _pinged_as(r.request, user)):
        host.page.evaluate("user => _refiner('identifyUser', {id: user})", user)


def _pinged_as(request: Request, user: str) -> bool:
    """The ping that carries `user` (the boot ping may still be out when the page is ready)."""
    if not request.url.endswith("/ping"):
        return False
    identity = (request.post_data_json or {}).get("user") or {}
    return identity.get("id") == user


def survey(host: HostPage):
    return host.page.locator("refiner-survey")


def answer_survey(host: HostPage, why: str) -> None:
    host.page.evaluate("id => _refiner('showForm', id, true)", FORM["id"])
    answer_shown_survey(host, why)


def answer_shown_survey(host: HostPage, why: str) -> None:
    survey(host).get_by_role("radio", name="9 of 10").click()
    survey(host).get_by_role("textbox").fill(why)
    survey(host).get_by_role("button", name="Submit").click()
    survey(host).get_by_role("heading", name="Thanks!").wait_for()


def stored_responses(
    db_path: Path, user: str, count: int = 1, timeout_s: float = READY_TIMEOUT_S
) -> list:
    """(answers, completed) of the user's completed responses. Answers are compared as the
    JSON they are: MicroPython's dicts keep no order, so neither does the stored text."""
    rows = wait_for_rows(
        db_path,
        "SELECT r.answers, r.completed FROM responses r JOIN contacts c ON c.pk = r.contact_pk "
        "WHERE c.user_id = ? AND r.completed = 1",
        user,
        count=count,
        timeout_s=timeout_s,
    )
    return [(json.loads(answers), completed) for answers, completed in rows]


def our_warnings(host: HostPage) -> list:
    return [w for w in recorded(host, "__warnings") if w.startswith("[refiner]")]


def kept_responses(host: HostPage) -> list:
    """The responses waiting in the outbox, as what they carry: a live client retries
    them meanwhile, so `attempts` and `next_ms` move between two looks."""
    return [
        (e["key"], e["method"], e["path"], e["body"])
        for e in outbox_entries(host)
        if e["key"].startswith("response:")
    ]


def outbox_emptied(host: HostPage) -> None:
    """Waits until every write left the outbox (the server has them all: nothing is left
    to send twice)."""
    wait_in_page(host, lambda: outbox_entries(host) == [])
    assert outbox_entries(host) == []


def test_answer_given_while_server_is_down_survives_reload_and_close(
    host: HostPage, server: Server, db_path: Path, faults: None
) -> None:
    user = "down-" + uuid.uuid4().hex
    start(host, user)
    server.stop()
    try:
        answer_survey(host, "kept")
        wait_in_page(  # tried and failed
            host,
            lambda: (
                [e["attempts"] > 0 for e in outbox_entries(host) if e["body"].get("completed")]
                == [True]
            ),
        )
        kept = kept_responses(host)
        assert len(kept) == 1 and kept[0][3]["completed"]
        host.page.reload()  # the client cannot even load now; the answer waits in storage
        assert kept_responses(host) == kept
        context = host.page.context
        host.page.close()  # the tab goes away while the server is down
    finally:
        server.start()
    later = HostPage(context.new_page(), host.base_url, host.runtime)
    later.open(project=PROJECT)  # a later visit to the site
    later.wait_ready()
    assert stored_responses(db_path, user) == [({"score": 9, "why": "kept"}, 1)]
    outbox_emptied(later)
    assert len(stored_responses(db_path, user, count=2, timeout_s=0)) == 1  # exactly once
    assert later.errors() == []


def test_slow_server_holds_neither_the_survey_nor_the_page(
    host: HostPage, db_path: Path, faults: None
) -> None:
    user = "slow-" + uuid.uuid4().hex
    start(host, user)
    answered = []
    host.page.on(
        "requestfinished", lambda r: answered.append(r.url) if "/responses/" in r.url else None
    )
    cdp = host.page.context.new_cdp_session(host.page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 3000, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    host.page.evaluate("id => _refiner('showForm', id, true)", FORM["id"])
    survey(host).get_by_role("radio", name="9 of 10").click()
    survey(host).get_by_role("textbox").wait_for()  # the next question, not the server
    host.page.click("#own")
    assert host.page.evaluate("window.clicks") == 1  # the page is its own
    survey(host).get_by_role("textbox").fill("slow")
    survey(host).get_by_role("button", name="Submit").click()
    survey(host).get_by_role("heading", name="Thanks!").wait_for()
    assert answered == []  # all that happened before the server answered anything
    assert stored_responses(db_path, user) == [({"score": 9, "why": "slow"}, 1)]
    assert host.errors() == [] and recorded(host, "__rejections") == []


def test_500_garbage_and_dropped_connections_are_retried_until_stored(
    host: HostPage, db_path: Path, faults: None
) -> None:
    user = "flaky-" + uuid.uuid4().hex
    tries = Counter()

    def flaky(route: Route) -> None:
        event_id = route.request.post_data_json["event_id"]
        tries[event_id] += 1
        if tries[event_id] == 1:
            route.fulfill(status=500, body="<html>oops</html>")
        elif tries[event_id] == 2:
            route.abort("connectionreset")
        else:
            route.continue_()

    start(host, user)
    host.page.route("**/api/v1/client/%s/events" % PROJECT, flaky)
    host.page.evaluate("_refiner('trackEvent', 'flaky')")
    sql = "SELECT e.name FROM events e JOIN contacts c ON c.pk = e.contact_pk WHERE c.user_id = ?"
    assert rows_while_routing(host, db_path, sql, user) == [("flaky",)]
    assert list(tries.values()) == [3]
    host.page.wait_for_timeout(500)
    assert rows_while_routing(host, db_path, sql, user, count=2, timeout_s=20) == [("flaky",)]
    assert our_warnings(host) == []  # retrying is silent
    assert host.errors() == []


def test_a_garbage_ping_answer_costs_one_warning(host: HostPage, faults: None) -> None:
    host.page.route(
        "**/api/v1/client/%s/ping" % PROJECT,
        lambda route: route.fulfill(status=200, body="<html>not json"),
    )
    host.page.add_init_script(RECORDER)
    host.open(PAGE, project=PROJECT)
    host.wait_ready()
    warning = "[refiner] ping: the server's answer is not JSON"
    # the first ping answered, then an identifying one (an identifyUser made before the
    # first ping leaves rides in it: one ping, one warning)
    wait_in_page(host, lambda: len(our_warnings(host)) >= 1)
    user = "garbage-" + uuid.uuid4().hex
    host.page.evaluate("user => _refiner('identifyUser', {id: user})", user)
    wait_in_page(host, lambda: len(our_warnings(host)) >= 2)
    host.page.wait_for_timeout(300)  # and no third
    assert our_warnings(host) == [warning] * 2
    host.page.evaluate("_refiner('showForm', 'faults-form')")
    host.page.wait_for_timeout(300)
    assert survey(host).count() == 0  # nothing was served
    assert host.errors() == [] and recorded(host, "__rejections") == []


BLOCKED = """Object.defineProperty(window, 'localStorage', {
  get() { throw new DOMException('The operation is insecure.', 'SecurityError'); }
});"""
FULL = """(() => {
  try { for (let i = 0; ; i++) localStorage.setItem('filler-' + i, 'x'.repeat(1 << 20)); }
  catch (e) {}
  for (let size = 1 << 19; size >= 1; size >>= 1) {
    try { for (let i = 0; ; i++) localStorage.setItem('f' + size + '-' + i, 'x'.repeat(size)); }
    catch (e) {}
  }
})();"""


@pytest.mark.parametrize("storage", [BLOCKED, FULL], ids=["blocked", "full"])
def test_without_storage_the_client_works_in_memory(
    host: HostPage, db_path: Path, faults: None, storage: str
) -> None:
    user = "nostorage-" + uuid.uuid4().hex
    host.page.add_init_script(storage)
    start(host, user)
    host.page.evaluate("_refiner('trackEvent', 'in-memory')")
    answer_survey(host, "memory")
    assert events_of_user(db_path, user) == [("in-memory",)]
    assert stored_responses(db_path, user) == [({"score": 9, "why": "memory"}, 1)]
    warnings = our_warnings(host)
    assert len(warnings) == 1 and warnings[0].startswith("[refiner] storage: unavailable")
    assert host.errors() == [] and recorded(host, "__rejections") == []


def test_without_cookies_the_anonymous_id_lives_in_storage(host: HostPage, faults: None) -> None:
    host.page.add_init_script(
        "Object.defineProperty(Document.prototype, 'cookie', "
        "{get() { return ''; }, set(value) {}, configurable: true});"
    )
    pings = []
    host.page.on(
        "request", lambda r: pings.append(r.post_data_json) if r.url.endswith("/ping") else None
    )
    host.page.add_init_script(RECORDER)

    def wait_for_pings(count: int) -> None:
        # a page's ping may leave after `ready`; a reload before it would cancel it
        wait_in_page(host, lambda: len(pings) >= count)

    host.open(project=PROJECT)
    host.wait_ready()
    wait_for_pings(1)
    host.page.reload()
    host.wait_ready()
    wait_for_pings(2)
    ids = {ping["anonymous_id"] for ping in pings}
    assert len(pings) == 2 and len(ids) == 1
    assert host.page.evaluate("localStorage.getItem('refiner:anonymous_id')") in ids
    assert host.page.context.cookies() == []
    assert our_warnings(host) == [] and host.errors() == []


class RateLimitedServer(Server):
    """A second real server whose per-project limit is tiny: 2 requests, then one in 2 s."""

    def command(self) -> list:
        return super().command() + ["--rate-limit-project", "0.5/2"]


@pytest.fixture
def limited(tmp_path: Path, built_static: dict) -> Server:
    server = RateLimitedServer(tmp_path)
    server.start()
    yield server
    server.stop()


def test_outbox_honours_a_real_429_and_retry_after(host: HostPage, limited: Server) -> None:
    host = HostPage(host.page, limited.base_url, host.runtime)
    host.page.add_init_script(RECORDER)
    answers = []
    host.page.on(
        "response",
        lambda r: (
            answers.append((r.status, r.headers.get("retry-after")))
            if r.url.endswith("/events")
            else None
        ),
    )
    host.open()
    host.wait_ready()
    host.page.evaluate("for (let i = 0; i < 4; i++) _refiner('trackEvent', 'limited-' + i)")
    names = wait_for_rows(limited.db_path, "SELECT name FROM events ORDER BY name", count=4)
    assert names == [("limited-%d" % i,) for i in range(4)]
    timings = []

    def all_answered() -> bool:  # the rows are stored before the last answer reaches the page
        timings[:] = host.page.evaluate(
            "performance.getEntriesByType('resource').filter(e => e.name.endsWith('/events'))"
            ".map(e => [e.startTime, e.responseEnd, e.responseStatus])"
        )
        return [status for _, _, status in timings].count(202) == 4

    wait_in_page(host, all_answered)
    refused = [after for status, after in answers if status == 429]
    assert refused and all(int(after) >= 1 for after in refused), answers
    wait_ms = 1000 * min(int(after) for after in refused)
    for (_, ended, status), (started, _, _) in zip(timings, timings[1:], strict=False):
        if status == 429:  # the next try waited out Retry-After
            assert started - ended >= wait_ms - 20, timings
    assert [status for _, _, status in timings].count(202) == 4
    assert query(limited.db_path, "SELECT count(*) FROM events") == [(4,)]
    assert host.errors() == [] and recorded(host, "__rejections") == []
