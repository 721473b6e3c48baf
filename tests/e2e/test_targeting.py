"""Targeting in a real single-page app on both runtimes: page rules across pushState routes,
a stale delay cancelled, an event trigger, and identity verification."""

import hashlib
import hmac
import json
import uuid
from pathlib import Path

import pytest

from refiner_server.cli import main as server_cli
from tests.e2e.conftest import HostPage, Server, host_html
from tests.e2e.hardening import wait_in_page
from tests.e2e.test_client import events_of_user, query, refiner_warnings, wait_for_rows

SETTINGS = {"include": [{"match": "starts_with", "value": "/test/spa/settings"}]}
NPS = [{"id": "score", "type": "nps", "title": "How likely are you to recommend us?"}]
ON_SETTINGS = {
    "id": "e2e-on-settings",
    "status": "live",
    "questions": NPS,
    "trigger": {"type": "page", "pages": SETTINGS, "delay_s": 1},
    "frequency": {"repeat": "each_trigger"},
}
ON_EVENT = {
    "id": "e2e-on-event",
    "status": "live",
    "questions": NPS,
    "trigger": {"type": "event", "event": "E2E-Upgraded"},
}
ON_SCROLL = {
    "id": "e2e-on-scroll",
    "status": "live",
    "questions": NPS,
    "trigger": {
        "type": "scroll",
        "percent": 60,
        "pages": {"include": [{"match": "equals", "value": "/test/spa/long"}]},
    },
}
ON_EXIT = {
    "id": "e2e-on-exit",
    "status": "live",
    "questions": NPS,
    "trigger": {
        "type": "exit_intent",
        "pages": {"include": [{"match": "equals", "value": "/test/spa/leaving"}]},
    },
}
SECRET = "e2e-secret-for-verified-project"
VERIFIED = {"id": "e2e-verified", "status": "live", "questions": NPS, "trigger": {"type": "manual"}}
#: on the verified project, for nobody: only `showForm(id, true)` fetches it
FOR_NOBODY = {
    **VERIFIED,
    "id": "e2e-for-nobody",
    "audience": {"rules": [{"trait": "email", "op": "contains", "value": "@secret-customer"}]},
}

SPA = """
<nav>
  <a href="/test/spa/home" data-route>Home</a>
  <a href="/test/spa/settings/profile" data-route>Settings</a>
  <a href="/test/spa/billing" data-route>Billing</a>
</nav>
<main id="view">home</main>
<script>
  // A plain-JS router: links change the route with pushState, as React Router does.
  document.addEventListener('click', function (event) {
    var link = event.target.closest('a[data-route]');
    if (!link) return;
    event.preventDefault();
    history.pushState({at: Date.now()}, '', link.getAttribute('href'));
    document.getElementById('view').textContent = link.textContent;
  });
</script>
"""


@pytest.fixture(scope="module")
def targeted(_server_session: Server, tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("targeting")
    db = ["--db", _server_session.db_url]
    (folder / "demo.json").write_text(json.dumps([ON_SETTINGS, ON_EVENT, ON_SCROLL, ON_EXIT]))
    assert (
        server_cli(["survey", "import", str(folder / "demo.json"), "--project", "demo", *db]) == 0
    )
    assert (
        server_cli(
            ["project", "create", "verified", "--identity-verification", "--secret", SECRET, *db]
        )
        == 0
    )
    (folder / "verified.json").write_text(json.dumps([VERIFIED, FOR_NOBODY]))
    assert (
        server_cli(
            ["survey", "import", str(folder / "verified.json"), "--project", "verified", *db]
        )
        == 0
    )


def survey(host: HostPage):
    return host.page.locator("refiner-survey")


def wait_served(host: HostPage, form_id: str) -> None:
    """Until a ping's answer served `form_id` (its audience entry is stored): only then does
    the client watch the scroll or exit signals its trigger needs."""
    host.page.wait_for_function(
        "id => (localStorage.getItem('refiner:audience') || '').includes(id)", arg=form_id
    )


def open_spa(host: HostPage) -> None:
    host.page.goto(host.serve("spa/home", host_html(host.runtime, SPA)))
    host.wait_ready()


def test_page_trigger_follows_push_state_routes(host: HostPage, targeted: None) -> None:
    open_spa(host)
    host.page.wait_for_timeout(1500)
    assert survey(host).count() == 0  # /test/spa/home is not a settings page
    host.page.get_by_role("link", name="Settings").click()
    assert host.page.evaluate("location.pathname") == "/test/spa/settings/profile"
    survey(host).get_by_role("radio", name="7 of 10").wait_for()
    assert survey(host).get_attribute("data-form") == "e2e-on-settings"


def test_leaving_the_route_cancels_the_pending_delay(host: HostPage, targeted: None) -> None:
    open_spa(host)
    host.page.get_by_role("link", name="Settings").click()
    host.page.wait_for_timeout(300)  # well inside the one-second delay
    host.page.get_by_role("link", name="Billing").click()
    host.page.wait_for_timeout(2500)
    assert survey(host).count() == 0
    host.page.go_back()  # popstate back onto a settings route starts a new occasion
    survey(host).get_by_role("radio", name="7 of 10").wait_for()


def test_event_trigger_shows_after_track_event(host: HostPage, targeted: None) -> None:
    open_spa(host)
    host.page.evaluate("_refiner('trackEvent', 'E2E-Other')")
    host.page.wait_for_timeout(800)
    assert survey(host).count() == 0
    host.page.evaluate("_refiner('trackEvent', 'E2E-Upgraded')")
    survey(host).get_by_role("radio", name="7 of 10").wait_for()
    assert survey(host).get_attribute("data-form") == "e2e-on-event"


def test_scroll_trigger(host: HostPage, targeted: None) -> None:
    page = host_html(host.runtime, '<div style="height: 4000px">long</div>')
    host.page.goto(host.serve("spa/long", page))
    host.wait_ready()
    wait_served(host, "e2e-on-scroll")
    host.page.mouse.wheel(0, 1000)  # about 40 % of the page seen
    host.page.wait_for_timeout(800)
    assert survey(host).count() == 0
    host.page.mouse.wheel(0, 2000)
    survey(host).get_by_role("radio", name="7 of 10").wait_for()
    assert survey(host).get_attribute("data-form") == "e2e-on-scroll"


def test_exit_intent_trigger(host: HostPage, targeted: None) -> None:
    host.page.goto(host.serve("spa/leaving", host_html(host.runtime, "<p>leaving</p>")))
    host.wait_ready()
    wait_served(host, "e2e-on-exit")
    host.page.mouse.move(400, 300)
    host.page.mouse.move(400, 5)  # near the top, still inside: no exit
    host.page.wait_for_timeout(500)
    assert survey(host).count() == 0
    host.page.evaluate(  # the pointer leaves the window through the top edge
        "document.documentElement.dispatchEvent(new MouseEvent('mouseout',"
        " {bubbles: true, clientX: 400, clientY: -2, relatedTarget: null}))"
    )
    survey(host).get_by_role("radio", name="7 of 10").wait_for()
    assert survey(host).get_attribute("data-form") == "e2e-on-exit"


def _signature(user: str) -> str:
    return hmac.new(SECRET.encode(), user.encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize("signed", [False, True])
def test_identity_verification(host: HostPage, targeted: None, db_path: Path, signed: bool) -> None:
    user = "verified-" + uuid.uuid4().hex
    signature = _signature(user) if signed else _signature(user)[::-1]
    host.open(project="verified")
    host.wait_ready()
    identified = (
        "([user, signature]) => _refiner('identifyUser', {id: user, plan: 'pro'}, {signature})"
    )
    with host.page.expect_response(  # the identifying ping's answer, taken or refused
        lambda r: r.url.endswith("/ping") and user in (r.request.post_data or "")
    ):
        host.page.evaluate(identified, [user, signature])
    contacts = query(db_path, "SELECT 1 FROM contacts WHERE user_id = ?", user)
    if signed:
        wait_served(host, "e2e-verified")
        host.page.evaluate("_refiner('showForm', 'e2e-verified')")
        survey(host).get_by_role("radio", name="7 of 10").wait_for()
        assert contacts == [(1,)]
    else:

        def refused() -> bool:
            return any("server refused (403)" in w for w in refiner_warnings(host))

        wait_in_page(host, refused)  # the client took the refusal: nothing is served now
        host.page.evaluate("_refiner('showForm', 'e2e-verified')")
        wait_in_page(host, lambda: "showForm" in refiner_warnings(host)[-1])
        assert refiner_warnings(host)[-1] == (
            "[refiner] showForm: survey e2e-verified is not live or not served to this user"
        )
        assert survey(host).count() == 0
        assert contacts == []
        assert refused()


def test_verified_user_in_a_signed_account(host: HostPage, targeted: None, db_path: Path) -> None:
    """The signature covers the user id and the account id (docs/security.md): the ping
    joins the account, and the writes carry the account id so the same signature holds."""
    user, account = "member-" + uuid.uuid4().hex, "acct-" + uuid.uuid4().hex
    host.open(project="verified")
    host.wait_ready()
    host.page.evaluate(
        "([user, account, signature]) => {"
        " _refiner('identifyUser', {id: user, account: {id: account, name: 'Acme', seats: 5}},"
        " {signature}); _refiner('trackEvent', 'E2E-Member'); }",
        [user, account, _signature(user + "\0" + account)],
    )
    assert events_of_user(db_path, user) == [("E2E-Member",)]
    joined = (
        "SELECT a.name FROM contacts c JOIN accounts a ON a.pk = c.account_pk WHERE c.user_id = ?"
    )
    assert wait_for_rows(db_path, joined, user) == [("Acme",)]
    host.page.evaluate("_refiner('showForm', 'e2e-verified')")
    survey(host).get_by_role("radio", name="7 of 10").wait_for()
    # only the anonymous ping before identifyUser was refused
    assert [w for w in refiner_warnings(host) if "anonymous requests" not in w] == []


def test_forced_survey_on_a_verified_project(host: HostPage, targeted: None) -> None:
    """`showForm(id, true)` for a survey the ping did not serve fetches it signed, and the
    page gets no audience rules."""
    user = "forcer-" + uuid.uuid4().hex
    host.open(project="verified")
    host.wait_ready()
    host.page.evaluate(
        "([user, signature]) => {"
        " _refiner('onBeforeShow', (id, config) => { window.shownConfig = config; });"
        " _refiner('identifyUser', {id: user}, {signature});"
        " _refiner('showForm', 'e2e-for-nobody', true); }",
        [user, _signature(user)],
    )
    survey(host).get_by_role("radio", name="7 of 10").wait_for()
    assert survey(host).get_attribute("data-form") == "e2e-for-nobody"
    keys = host.page.evaluate("Object.keys(window.shownConfig).sort()")
    assert keys == ["id", "questions", "trigger"]
