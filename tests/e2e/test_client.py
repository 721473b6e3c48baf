"""The client's commands in a real page on both runtimes, checked in the real database."""

import sqlite3
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import Request

from tests.e2e.conftest import READY_TIMEOUT_S, HostPage, Server
from tests.e2e.hardening import wait_in_page

SEED_SNIPPETS = """
_refiner('identifyUser', {
    id: 'USER-ID-ABC-123', // Replace with your user ID
    email: 'jane@awesome.com', // Replace with user Email
});
_refiner('trackEvent', 'MyCustomEventName');
_refiner('onShow', function(formId) {
  console.log('Survey ' + formId + ' was shown');
});
_refiner('onDismiss', function(formId) {
 console.log('Survey ' + formId + ' was dismissed');
});
_refiner('onClose', function(formId) {
 console.log('Survey ' + formId + ' was closed');
});
_refiner('onComplete', function(formId, data) {
  console.log('Survey ' + formId + ' was submitted');
  console.log(data);
});
_refiner('addToResponse', {
  moreData: "Hello!",
  anotherDataField: "Hello2"
});
_refiner('setLocale', 'language-identifier');
_refiner('dismissForm', 'SURVEY_ID');
_refiner('closeForm', 'SURVEY_ID');
"""


def query(db_path: Path, sql: str, *params: object) -> list:
    with sqlite3.connect(db_path) as db:
        return db.execute(sql, params).fetchall()


def wait_for_rows(
    db_path: Path, sql: str, *params: object, count: int = 1, timeout_s: float = READY_TIMEOUT_S
) -> list:
    """Rows once at least `count` exist (writes reach the server asynchronously; on a loaded
    machine that may take long: the ceiling is generous, a row that comes returns at once)."""
    deadline = time.monotonic() + timeout_s
    while True:
        rows = query(db_path, sql, *params)
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def anonymous_id(host: HostPage) -> str:
    cookies = {c["name"]: c["value"] for c in host.page.context.cookies()}
    return cookies["refiner_anonymous_id"]


def events_of_user(
    db_path: Path, user_id: str, count: int = 1, timeout_s: float = READY_TIMEOUT_S
) -> list:
    return wait_for_rows(
        db_path,
        "SELECT e.name FROM events e JOIN contacts c ON c.pk = e.contact_pk "
        "WHERE c.user_id = ? ORDER BY e.received_at",
        user_id,
        count=count,
        timeout_s=timeout_s,
    )


def outbox_entries(host: HostPage) -> list:
    """The writes waiting in the outbox (one localStorage key each), oldest first."""
    return host.page.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('refiner:outbox:'))"
        ".map(k => JSON.parse(localStorage.getItem(k))).sort((a, b) => a.order - b.order)"
    )


def refiner_warnings(host: HostPage) -> list:
    """The client's warnings so far; Playwright's sync API delivers console events only
    while one of its calls runs, hence the short wait."""
    host.page.wait_for_timeout(100)
    return [m.text for m in host.console if m.type == "warning" and "[refiner]" in m.text]


def test_seed_snippets_pasted_unchanged(host: HostPage, db_path: Path) -> None:
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    host.open(after_loader="<script>" + SEED_SNIPPETS + "</script>")
    host.wait_ready()
    rows = wait_for_rows(
        db_path,
        "SELECT c.email FROM events e JOIN contacts c ON c.pk = e.contact_pk "
        "WHERE c.user_id = 'USER-ID-ABC-123' AND e.name = 'MyCustomEventName' "
        "AND e.received_at >= ?",
        started,
    )
    assert rows == [("jane@awesome.com",)]
    dismissals = wait_for_rows(
        db_path,
        "SELECT d.form_id FROM dismissals d JOIN contacts c ON c.pk = d.contact_pk "
        "WHERE c.user_id = 'USER-ID-ABC-123' AND d.received_at >= ?",
        started,
    )
    assert dismissals == [("SURVEY_ID",)]
    assert refiner_warnings(host) == []
    assert host.errors() == []


def test_queued_calls_run_in_order(host: HostPage, db_path: Path) -> None:
    user = "order-" + uuid.uuid4().hex
    queued = (
        "_refiner('trackEvent', 'first');"
        f"_refiner('identifyUser', {{id: '{user}'}});"
        "_refiner('trackEvent', 'second');"
        "_refiner('trackEvent', 'third');"
    )
    host.open(after_loader="<script>" + queued + "</script>")
    host.wait_ready()
    host.page.evaluate("_refiner('trackEvent', 'fourth')")
    names = [row[0] for row in events_of_user(db_path, user, count=4)]
    assert names == ["first", "second", "third", "fourth"]


def test_anonymous_cookie_survives_reset_and_reload(host: HostPage, db_path: Path) -> None:
    user = "cookie-" + uuid.uuid4().hex
    host.open()
    host.wait_ready()
    first = anonymous_id(host)
    assert len(first) == 32 and int(first, 16) >= 0
    cookie = [c for c in host.page.context.cookies() if c["name"] == "refiner_anonymous_id"][0]
    assert cookie["path"] == "/" and cookie["sameSite"] == "Lax"
    # two years asked; Chrome caps cookies at 400 days, renewed on every page load
    assert cookie["expires"] > time.time() + 399 * 86400

    host.page.evaluate(f"_refiner('identifyUser', {{id: '{user}'}})")
    host.page.reload()
    host.wait_ready()
    host.page.evaluate("_refiner('trackEvent', 'after-reload')")
    assert events_of_user(db_path, user) == [("after-reload",)]  # identity survived reload
    assert anonymous_id(host) == first

    host.page.evaluate("_refiner('resetUser')")
    assert anonymous_id(host) == first
    pings = []
    host.page.on(
        "request", lambda r: pings.append(r.post_data_json) if r.url.endswith("/ping") else None
    )
    host.page.reload()
    host.wait_ready()
    wait_in_page(host, lambda: pings)  # the ping may leave after the client is live
    assert anonymous_id(host) == first
    assert pings and pings[-1]["user"] is None and pings[-1]["anonymous_id"] == first


def test_traits_land_typed(host: HostPage, db_path: Path) -> None:
    user = "traits-" + uuid.uuid4().hex
    account = "acct-" + uuid.uuid4().hex
    host.open()
    host.wait_ready()
    host.page.evaluate(
        """([user, account]) => _refiner('identifyUser', {
            id: user, name: 'Jane Doe', email: 'jane@awesome.com',
            signed_up_at: '2020-04-26T17:58:14+02:00', upgraded_at: '2021-05-05 17:12',
            stamp_at: 1588000000, a_number: 42, quoted: '42', paying: true,
            custom_user_data: 'Some important data',
            account: {id: account, name: 'Awesome Inc.', paying_customer: true,
                      trial_ends_at: '2020-05-26T17:58:14+02:00', seats: 12}
        })""",
        [user, account],
    )
    sql = (
        "SELECT t.key, t.type, t.value_text, t.value_int, t.value_bool, t.value_date "
        "FROM traits t JOIN contacts c ON c.pk = t.contact_pk WHERE c.user_id = ? ORDER BY t.key"
    )
    rows = wait_for_rows(db_path, sql, user, count=7)
    by_key = {key: rest for key, *rest in rows}
    assert by_key["signed_up_at"][0] == "date"
    assert by_key["signed_up_at"][4].startswith("2020-04-26 15:58:14")
    assert by_key["upgraded_at"][4].startswith("2021-05-05 17:12:00")
    assert by_key["stamp_at"][4].startswith("2020-04-27 15:06:40")
    assert by_key["a_number"][:3] == ["integer", None, 42]
    assert by_key["quoted"][:2] == ["string", "42"]
    assert by_key["paying"][0] == "boolean" and by_key["paying"][3] == 1
    assert by_key["custom_user_data"][:2] == ["string", "Some important data"]
    contact = query(
        db_path,
        "SELECT c.name, c.email, a.account_id, a.name FROM contacts c "
        "JOIN accounts a ON a.pk = c.account_pk WHERE c.user_id = ?",
        user,
    )
    assert contact == [("Jane Doe", "jane@awesome.com", account, "Awesome Inc.")]
    account_traits = query(
        db_path,
        "SELECT t.key, t.type FROM traits t JOIN accounts a ON a.pk = t.account_pk "
        "WHERE a.account_id = ? ORDER BY t.key",
        account,
    )
    assert account_traits == [
        ("paying_customer", "boolean"),
        ("seats", "integer"),
        ("trial_ends_at", "date"),
    ]


BAD_CALLS = [
    ("_refiner('flyToMoon')", "flyToMoon", "unknown command"),
    ("_refiner('trackEvent', 42)", "trackEvent", "event name must be a non-empty string"),
    ("_refiner('trackEvent', '')", "trackEvent", "event name must be a non-empty string"),
    ("_refiner('identifyUser', 'USER-1')", "identifyUser", "must be an object"),
    ("_refiner('identifyUser', {name: 'no id'})", "identifyUser", "needs an id or an email"),
    ("_refiner('showForm')", "showForm", "survey id must be a non-empty string"),
    ("_refiner('showForm', 'x', 'yes')", "showForm", "force must be true or false"),
    ("_refiner('setLocale', 5)", "setLocale", "language tag"),
    ("_refiner('addToResponse', 'text')", "addToResponse", "takes an object or null"),
    ("_refiner('onShow', 'alert(1)')", "onShow", "takes a function or null"),
    ("_refiner(Symbol('x'))", "_refiner", "must be a command name"),
    ("_refiner('setProject', {})", "setProject", "project id must be a non-empty string"),
]


def test_bad_calls_warn_once_and_change_nothing_else(host: HostPage, db_path: Path) -> None:
    user = "bad-" + uuid.uuid4().hex
    host.open()
    host.wait_ready()
    host.page.evaluate(f"_refiner('identifyUser', {{id: '{user}', plan: 'pro'}})")
    for code, command, rule in BAD_CALLS:
        before = len(refiner_warnings(host))
        host.page.evaluate(code)
        # console events reach us late on a busy machine: wait for the first, and
        # refiner_warnings' own pause gives a second one the time to show up
        wait_in_page(host, lambda n=before: len(refiner_warnings(host)) > n)
        new = refiner_warnings(host)[before:]
        assert len(new) == 1, (code, new)
        assert new[0].startswith(f"[refiner] {command}: ") and rule in new[0], (code, new)
    # a bad trait drops alone, the user keeps the rest
    host.page.evaluate(f"_refiner('identifyUser', {{id: '{user}', plan: 'team', big: 2**40}})")
    host.page.evaluate("_refiner('trackEvent', 'still-alive')")
    assert events_of_user(db_path, user) == [("still-alive",)]
    plan = wait_for_rows(
        db_path,
        "SELECT t.value_text FROM traits t JOIN contacts c ON c.pk = t.contact_pk "
        "WHERE c.user_id = ? AND t.key = 'plan' AND t.value_text = 'team'",
        user,
    )
    assert plan == [("team",)]
    big = query(
        db_path,
        "SELECT 1 FROM traits t JOIN contacts c ON c.pk = t.contact_pk "
        "WHERE c.user_id = ? AND t.key = 'big'",
        user,
    )
    assert big == []
    assert "trait big dropped" in refiner_warnings(host)[-1]
    assert host.page_errors == []
    # the project did not change behind the page's back
    assert all("/api/v1/client/demo/" in url for url in _client_urls(host))


def _client_urls(host: HostPage) -> list:
    return host.page.evaluate(
        "performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(u => u.includes('/api/v1/client/'))"
    )


def test_event_kept_while_server_down_arrives_once_after_restart(
    host: HostPage, server: Server, db_path: Path
) -> None:
    user = "offline-" + uuid.uuid4().hex
    host.open()
    host.wait_ready()
    host.page.evaluate(f"_refiner('identifyUser', {{id: '{user}'}})")
    server.stop()
    try:
        host.page.evaluate("_refiner('trackEvent', 'while-down')")
        wait_in_page(  # at least one failed try
            host, lambda: [e["attempts"] > 0 for e in outbox_entries(host)] == [True], 30
        )
        outbox = outbox_entries(host)
        assert [entry["body"]["name"] for entry in outbox] == ["while-down"]
        assert outbox[0]["attempts"] >= 1
        url = host.page.url
        host.page.goto("about:blank")  # the tab leaves while the server is down
    finally:
        server.start()
    host.page.goto(url)  # a later visit to the site
    host.wait_ready()
    assert events_of_user(db_path, user) == [("while-down",)]
    wait_in_page(host, lambda: outbox_entries(host) == [])  # nothing left to resend
    assert outbox_entries(host) == []
    assert events_of_user(db_path, user, count=2, timeout_s=0) == [("while-down",)]  # once


def test_stop_pinging_stops_background_pings_but_not_the_pages_commands(
    host: HostPage, db_path: Path
) -> None:
    """After stopPinging, an identity the page hands over still reaches the server (in one
    ping), as trackEvent does; a page coming back into view starts no ping."""
    user = "stop-" + uuid.uuid4().hex
    pings: list[Request] = []
    host.page.on("request", lambda r: pings.append(r) if r.url.endswith("/ping") else None)
    host.open()
    host.wait_ready()
    wait_in_page(host, lambda: len(pings) == 1)  # the boot ping

    host.page.evaluate("_refiner('stopPinging')")
    host.page.evaluate(f"_refiner('identifyUser', {{id: '{user}', plan: 'stopped'}})")
    host.page.evaluate("_refiner('trackEvent', 'after-stop')")
    assert events_of_user(db_path, user) == [("after-stop",)]
    plan = wait_for_rows(
        db_path,
        "SELECT t.value_text FROM traits t JOIN contacts c ON c.pk = t.contact_pk "
        "WHERE c.user_id = ? AND t.key = 'plan'",
        user,
    )
    assert plan == [("stopped",)]  # the identity's traits came with its ping
    wait_in_page(host, lambda: len(pings) >= 2)  # Playwright delivers the request event late
    assert [r.post_data_json["user"] for r in pings][1]["id"] == user
    host.page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    host.page.evaluate("_refiner('trackEvent', 'after-visible')")
    assert events_of_user(db_path, user, count=2) == [("after-stop",), ("after-visible",)]
    assert [u for u in _client_urls(host) if u.endswith("/ping")] == [pings[0].url] * 2
    assert len(pings) == 2
