"""Matrix, ranking, date, consent and call to action in the real widget, on both runtimes:
each answered by the pointer and by the keyboard alone, the answers stored by the real
server as the pure logic takes them; the call to action opens its page in a new tab with no
handle back on ours; a required matrix, consent and date refuse to go on; every type fits
320 px, right to left."""

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from refiner_server.cli import main as server_cli
from tests.e2e.conftest import PROJECT, HostPage, Server
from tests.e2e.test_client import anonymous_id, wait_for_rows
from tests.e2e.test_dashboard import axe_violations, signed_in
from tests.e2e.test_widget import (
    RECORD,
    active,
    animations_done,
    completed,
    definition,
    show,
    title,
)

ROWS = [{"id": "speed", "label": "Speed"}, {"id": "price", "label": "Price"}]
COLUMNS = [
    {"id": "bad", "label": "Bad"},
    {"id": "ok", "label": "OK"},
    {"id": "good", "label": "Good"},
]
ITEMS = [
    {"id": "a", "label": "Alerts"},
    {"id": "b", "label": "Boards"},
    {"id": "c", "label": "Charts"},
]
#: the page a call to action opens: one of the test server's own (no traffic leaves)
TARGET = "/api/v1/schema/survey.json"


def more_types(base_url: str) -> list:
    """The five types, required where that means something; the CTA points at the server."""
    return [
        {
            "id": "grid",
            "type": "matrix",
            "title": "How do we do?",
            "required": True,
            "rows": ROWS,
            "columns": COLUMNS,
        },
        {"id": "order", "type": "ranking", "title": "Rank these", "choices": ITEMS},
        {
            "id": "when",
            "type": "date",
            "title": "When did you start?",
            "required": True,
            "min": "2026-01-01",
            "max": "2026-12-31",
        },
        {
            "id": "terms",
            "type": "consent",
            "title": "Before we go on",
            "label": "I accept the terms",
            "link": {"label": "Read the terms", "url": base_url + TARGET + "?terms"},
        },
        {
            "id": "go",
            "type": "cta",
            "title": "Talk to us?",
            "description": "A call of 15 minutes.",
            "link": {"label": "Book a call", "url": base_url + TARGET},
        },
    ]


def forms(base_url: str) -> list:
    questions = more_types(base_url)
    return [
        definition("t-mouse", questions),
        definition("t-keys", questions, appearance={"position": "center", "theme": "light"}),
        definition("t-dark", questions, appearance={"position": "bottom-left", "theme": "dark"}),
    ]


@pytest.fixture(scope="module")
def typed(_server_session: Server, tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("types") / "forms.json"
    path.write_text(json.dumps(forms(_server_session.base_url)), "utf-8")
    command = ["survey", "import", str(path), "--project", "demo", "--db", _server_session.db_url]
    assert server_cli(command) == 0


def start(host: HostPage, locale: str = "") -> None:
    setup = RECORD
    if locale:
        setup += "<script>_refiner('setLocale', %s)</script>" % json.dumps(locale)
    host.open("<main><h1>Host</h1></main>", after_loader=setup)
    host.wait_ready()


def stored(host: HostPage, db_path: Path, form_id: str) -> dict:
    rows = wait_for_rows(
        db_path,
        "SELECT t.answers FROM responses t JOIN contact_anonymous_ids a"
        " ON a.contact_pk = t.contact_pk WHERE a.anonymous_id = ? AND t.completed"
        " AND t.form_id = ?",
        anonymous_id(host),
        form_id,
    )
    return json.loads(rows[0][0])


EXPECTED = {
    "grid": {"speed": "ok", "price": "bad"},
    "order": ["b", "a", "c"],
    "when": "2026-03-15",
    "terms": True,
    "go": True,
}


def no_opener(popup: Any) -> bool:
    popup.wait_for_load_state()
    return popup.evaluate("window.opener === null") and popup.url.endswith(TARGET)


def test_every_type_answered_with_the_pointer(host: HostPage, typed: None, db_path: Path) -> None:
    start(host)
    survey = show(host, "t-mouse")
    page = host.page
    # matrix: required, so a missing row is refused with its message
    survey.get_by_role("radio", name="Speed: OK").click()
    survey.get_by_role("button", name="Next").click()
    assert survey.locator(".error").text_content() == "Please answer every row."
    survey.get_by_role("radio", name="Price: Bad").click()
    survey.get_by_role("button", name="Next").click()
    # ranking: drag Boards above Alerts
    assert title(host) == "Rank these"
    boards = survey.locator("li[data-id=b]").bounding_box()
    alerts = survey.locator("li[data-id=a]").bounding_box()
    page.mouse.move(boards["x"] + 30, boards["y"] + boards["height"] / 2)
    page.mouse.down()
    page.mouse.move(alerts["x"] + 30, alerts["y"] + 4, steps=5)
    page.mouse.up()
    order = survey.locator("li").evaluate_all("items => items.map(i => i.dataset.id)")
    assert order == ["b", "a", "c"]
    assert survey.locator("#rf-rank-live").text_content() == "Boards: position 1 of 3."
    survey.get_by_role("button", name="Next").click()
    # date: outside min/max is refused; the native input takes the day
    box = survey.locator("input[type=date]")
    assert (box.get_attribute("min"), box.get_attribute("max")) == ("2026-01-01", "2026-12-31")
    box.fill("2025-12-01")
    survey.get_by_role("button", name="Next").click()
    assert survey.locator(".error").text_content() == "Please pick a date on or after 2026-01-01."
    box.fill("2026-03-15")
    survey.get_by_role("button", name="Next").click()
    # consent: required, the terms open safely
    terms = survey.get_by_role("link", name="Read the terms (opens in a new tab)")
    assert (terms.get_attribute("target"), terms.get_attribute("rel")) == (
        "_blank",
        "noopener noreferrer",
    )
    survey.get_by_role("button", name="Next").click()
    assert survey.locator(".error").text_content() == "Please tick the box to go on."
    survey.get_by_text("I accept the terms").click()
    survey.get_by_role("button", name="Next").click()
    # call to action: no Next of its own; the click opens the page and finishes
    assert survey.locator("button.next").count() == 0
    cta = survey.get_by_role("link", name="Book a call (opens in a new tab)")
    with page.context.expect_page() as opened:
        cta.click()
    assert no_opener(opened.value)
    opened.value.close()
    assert completed(host) == EXPECTED
    assert stored(host, db_path, "t-mouse") == EXPECTED


def tab_to(host: HostPage, name: str, most: int = 12) -> None:
    """Tab until the widget's focus is on `name` (its aria-label or text)."""
    for _ in range(most):
        if active(host) == name:
            return
        host.page.keyboard.press("Tab")
    assert active(host) == name


def test_every_type_answered_with_the_keyboard_alone(
    host: HostPage, typed: None, db_path: Path
) -> None:
    start(host)
    survey = show(host, "t-keys")  # a modal: focus goes to the first control
    keys = host.page.keyboard
    animations_done(host)
    assert active(host) == "Speed: Bad"
    keys.press("ArrowRight")  # picks OK in the Speed row
    keys.press("Tab")  # the Price row
    assert active(host) == "Price: Bad"
    keys.press("Space")
    keys.press("Enter")
    host.page.wait_for_function(
        "document.querySelector('refiner-survey').shadowRoot"
        ".querySelector('.title').textContent === 'Rank these'"
    )
    tab_to(host, "Move Alerts down")
    keys.press("Enter")  # Alerts goes second; focus stays on its button
    assert active(host) == "Move Alerts down"
    live = survey.locator("#rf-rank-live")
    assert live.text_content() == "Alerts: position 2 of 3."
    tab_to(host, "Next")
    keys.press("Enter")
    host.page.wait_for_function(
        "document.querySelector('refiner-survey').shadowRoot"
        ".querySelector('input[type=date]') !== null"
    )
    tab_to(host, "INPUT")
    keys.type("03152026")  # month, day, year: the date input's segments in en-US
    keys.press("Enter")
    host.page.wait_for_function(
        "document.querySelector('refiner-survey').shadowRoot"
        ".querySelector('input[type=checkbox]') !== null"
    )
    tab_to(host, "INPUT")
    keys.press("Space")
    keys.press("Enter")
    tab_to(host, "Book a call (opens in a new tab)")
    with host.page.context.expect_page() as opened:
        keys.press("Enter")
    assert no_opener(opened.value)
    opened.value.close()
    assert completed(host) == EXPECTED
    assert stored(host, db_path, "t-keys") == EXPECTED


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_every_type_fits_320_px_in_both_directions(
    host: HostPage, typed: None, locale: str
) -> None:
    host.page.set_viewport_size({"width": 320, "height": 640})
    start(host, locale)
    survey = show(host, "t-dark")
    sr = "document.querySelector('refiner-survey').shadowRoot"
    for _ in range(5):
        panel = host.page.evaluate(
            "(() => { const p = %s.querySelector('.panel');"
            " return [p.scrollWidth, p.clientWidth, getComputedStyle(p).direction,"
            " p.getBoundingClientRect().right]; })()" % sr
        )
        assert panel[0] <= panel[1] and panel[3] <= 320, (title(host), panel)
        assert panel[2] == ("rtl" if locale == "ar" else "ltr")
        if survey.locator("table input").count():
            for row in ROWS:
                survey.locator("input[aria-label^='%s']" % row["label"]).first.click()
        if survey.locator("input[type=date]").count():
            survey.locator("input[type=date]").fill("2026-05-05")
        if survey.locator("input[type=checkbox]").count():
            survey.locator("input[type=checkbox]").check()
        if survey.locator("button.next").count():
            survey.locator("button.next").click()
    assert survey.locator(".cta a").count() == 1


def put_response(server: Server, n: int, answers: dict) -> None:
    """A response through the client API, as the browser sends it (to our own server)."""
    body = {"anonymous_id": "anon-dash-%06d" % n, "form_id": "t-dark", "answers": answers}
    request = urllib.request.Request(
        "%s/api/v1/client/%s/responses/resp-dash-%06d" % (server.base_url, PROJECT, n),
        data=json.dumps(dict(body, completed=True)).encode(),
        headers={"content-type": "application/json"},
        method="PUT",
    )
    with urllib.request.urlopen(request, timeout=30) as answered:
        assert answered.status == 200


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_dashboard_summarises_every_type_accessibly(
    browser: Browser,
    server: Server,
    typed: None,
    built_static: dict,
    capsys: pytest.CaptureFixture[str],
    scheme: str,
) -> None:
    """The survey page of the five types: their charts and tables, axe-core finding
    nothing in light and dark, and no sideways scroll at 320 px."""
    put_response(server, 1, EXPECTED)
    put_response(server, 2, dict(EXPECTED, order=["c", "b", "a"], when="2026-07-01"))
    capsys.readouterr()
    assert server_cli(["token", "create", "qtypes", "--db", server.db_url]) == 0
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    axe = server.base_url + built_static["base"] + built_static["axe"]
    options = {
        "bypass_csp": True,
        "color_scheme": scheme,
        "viewport": {"width": 320, "height": 640},
    }
    with signed_in(browser, server, raw, **options) as context:
        page = context.new_page()
        page.goto(server.base_url + "/admin/projects/%s/surveys/t-dark" % PROJECT)
        assert page.locator("#q0-row1-t").text_content() == "How do we do?: Price"
        assert page.get_by_role("table", name="Answers to Rank these").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        assert axe_violations(page, axe) == []
