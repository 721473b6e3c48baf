"""The owners' dashboard in Chromium against the e2e server: a token made with the CLI,
answers sent by the real client (both runtimes), sign-in by keyboard, the charts' numbers,
pause (the client stops getting the survey), the CSV download; hostile text shown as text
with and without the CSP; 320 px without horizontal scroll; axe-core light and dark."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from refiner_server.cli import main as server_cli
from refiner_server.projects import demo_survey
from tests.e2e.conftest import PROJECT, HostPage, Server
from tests.e2e.hardening import wait_in_page
from tests.e2e.test_client import refiner_warnings, wait_for_rows

API = f"/api/v1/client/{PROJECT}"
#: (score, the other answers on the demo survey's path for that score)
ANSWERS = [
    (10, [("star", 4)]),
    (9, [("star", 5)]),
    (3, [("text", "Too slow"), ("plan", "Pro"), ("star", 2)]),
]
PWNED = "window.__pwned = (window.__pwned || 0) + 1"
PAYLOADS = [
    f'<img src=x onerror="{PWNED}">',
    f"<script>{PWNED}</script>",
    f'<a href="javascript:{PWNED}">link</a>',
    f'"><svg onload="{PWNED}">',
    f"javascript:{PWNED}",
]
HOSTILE = " ".join(PAYLOADS)
NOT_FOUND = "/admin/projects/demo/surveys/no-such-survey"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run `refiner-server ARGS` in this process; its standard output."""
    capsys.readouterr()
    assert server_cli(list(args)) == 0
    return capsys.readouterr().out


def import_surveys(server: Server, tmp_path: Path, *surveys: dict) -> None:
    path = tmp_path / "surveys.json"
    path.write_text(json.dumps(list(surveys)), "utf-8")
    assert (
        server_cli(["survey", "import", str(path), "--project", PROJECT, "--db", server.db_url])
        == 0
    )


@pytest.fixture
def token(server: Server, capsys: pytest.CaptureFixture[str]) -> str:
    """A fresh admin token, made by the CLI against the e2e server's database."""
    out = cli(capsys, "token", "create", "e2e owner", "--db", server.db_url)
    return out.strip().splitlines()[-1]


def sign_in_by_keyboard(page: Page, base_url: str, raw: str) -> None:
    page.goto(base_url + "/admin")
    assert page.url.startswith(base_url + "/admin/login")
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "token":
            break
    page.keyboard.type(raw)
    page.keyboard.press("Enter")
    page.wait_for_url(base_url + "/admin")


def answer(host: HostPage, form_id: str, user: str, score: int, steps: list) -> None:
    """One response through the real client on a fresh host page."""
    host.open(
        after_loader="<script>_refiner('identifyUser', %s);"
        "_refiner('addToResponse', {source: 'e2e'});</script>"
        % json.dumps({"id": user, "email": f"{user}@example.com", "plan": "team"})
    )
    host.wait_ready()
    host.page.evaluate("id => _refiner('showForm', id, true)", form_id)
    survey = host.page.locator("refiner-survey")
    survey.get_by_role("radio", name=f"{score} of 10").click()
    for kind, value in steps:
        if kind == "text":
            survey.get_by_role("textbox").fill(value)
            survey.get_by_role("button", name="Next").click()
        elif kind == "plan":
            survey.get_by_role("radio", name=value).click()
        else:
            survey.get_by_role("radio", name=f"{value} of 5 stars").click()
            if survey.get_by_role("button", name="Submit").count():
                survey.get_by_role("button", name="Submit").click()


def chart_values(page: Page, chart: str) -> list[str]:
    return page.locator(f"svg[aria-labelledby^='{chart}-t'] text.value").all_text_contents()


def test_dashboard_shows_what_the_client_sent(
    host: HostPage, server: Server, token: str, tmp_path: Path, db_path: Path
) -> None:
    form_id = f"dash-{host.runtime}"
    import_surveys(server, tmp_path, dict(demo_survey(), id=form_id, name=f"Dash {host.runtime}"))
    for n, (score, steps) in enumerate(ANSWERS, 1):
        answer(host, form_id, f"dash-{host.runtime}-{n}", score, steps)
    done = "SELECT answers FROM responses WHERE form_id = ? AND completed"
    assert len(wait_for_rows(db_path, done, form_id, count=3)) == 3

    page = host.page.context.new_page()
    sign_in_by_keyboard(page, server.base_url, token)
    card = page.locator("li.card", has=page.get_by_role("link", name=f"Dash {host.runtime}"))
    assert card.locator("dd").all_text_contents() == ["3", "3"]  # responses, completed
    card.get_by_role("link").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/surveys/{form_id}")
    assert page.locator(".headline .big").first.text_content() == "33"  # (2 - 1) / 3
    assert chart_values(page, "q0-dist") == ["0", "0", "0", "1", "0", "0", "0", "0", "0", "1", "1"]
    assert page.get_by_text("Promoters: 2 (66.7 %)").count() == 1
    assert chart_values(page, "q3-dist") == ["0", "1", "0", "1", "1"]  # stars 2, 4, 5
    assert page.locator(".headline .big").nth(1).text_content() == "3.67"
    latest = page.locator("article.response").first
    assert f"dash-{host.runtime}-3" in latest.locator("h3").text_content()
    assert "Too slow" in latest.text_content() and "e2e" in latest.text_content()
    assert "team" in latest.text_content()  # the user's trait

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text("utf-8"))))
    assert sorted(int(r["score"]) for r in rows) == [3, 9, 10]
    assert {r["data.source"] for r in rows} == {"e2e"}
    assert sorted(r["user_id"] for r in rows) == [f"dash-{host.runtime}-{n}" for n in (1, 2, 3)]

    page.get_by_role("button", name="Pause survey").focus()
    page.keyboard.press("Enter")
    page.get_by_role("status").wait_for()
    assert page.get_by_role("status").text_content() == "Survey paused."
    assert page.title().startswith("Survey paused: ")  # read out on load, unlike the status
    host.open()
    host.wait_ready()
    host.page.evaluate("id => _refiner('showForm', id, true)", form_id)
    wait_in_page(host, lambda: any(form_id in w for w in refiner_warnings(host)))
    assert host.page.locator("refiner-survey").count() == 0
    assert any(form_id in w for w in refiner_warnings(host)), refiner_warnings(host)
    assert host.errors() == []


# -- one runtime is enough from here: the pages have no client in them ----------------------


@pytest.fixture(scope="module")
def hostile(_server_session: Server, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A survey whose every text is hostile, answered over the client API by a user with
    hostile traits, hidden fields and events."""
    server = _server_session
    survey = {
        "id": "dash-xss",
        "name": "XSS " + HOSTILE,
        "status": "live",
        "questions": [
            {"id": "score", "type": "nps", "title": "NPS " + HOSTILE},
            {
                "id": "pick",
                "type": "multiple_choice",
                "title": "Pick " + HOSTILE,
                "choices": [{"id": "a", "label": HOSTILE}, {"id": "b", "label": "B"}],
                "other": True,
                "other_label": HOSTILE,
            },
            {"id": "why", "type": "text", "title": HOSTILE},
        ],
        "thank_you": {"title": HOSTILE},
        "trigger": {"type": "event", "event": HOSTILE[:255]},
        "translations": {"de": {"questions": {"why": {"title": HOSTILE}}}},
    }
    import_surveys(server, tmp_path_factory.mktemp("xss"), survey)
    user = {
        "id": "x-" + PAYLOADS[0],
        "email": None,
        "traits": {"nick": PAYLOADS[1], "site": PAYLOADS[4]},
    }
    post(server, "ping", {"anonymous_id": "anon-xss-00000001", "user": user})
    post(
        server, "events", {"event_id": "evt-xss-0001", "user_id": user["id"], "name": HOSTILE[:255]}
    )
    post(
        server, "views", {"view_id": "view-xss-0001", "form_id": "dash-xss", "user_id": user["id"]}
    )
    answers = {"score": 9, "pick": ["a", "other"], "pick_other": HOSTILE, "why": HOSTILE}
    body = {"form_id": "dash-xss", "user_id": user["id"], "answers": answers, "completed": True}
    post(server, "responses/resp-xss-0001", dict(body, data={"ref": HOSTILE}), "PUT")
    return "/admin/projects/demo/surveys/dash-xss"


def post(server: Server, path: str, body: dict, method: str = "POST") -> None:
    request = urllib.request.Request(
        f"{server.base_url}{API}/{path}",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        assert r.status in (200, 202)


@contextlib.contextmanager
def signed_in(
    browser: Browser, server: Server, raw: str, **options: Any
) -> Iterator[BrowserContext]:
    context = browser.new_context(**options)
    try:
        page = context.new_page()
        page.goto(server.base_url + "/admin/login")
        page.fill("#token", raw)
        page.keyboard.press("Enter")
        page.wait_for_url(server.base_url + "/admin")
        page.close()
        yield context
    finally:
        context.close()


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["csp", "no-csp"])
def test_hostile_text_is_shown_never_run(
    browser: Browser, server: Server, token: str, hostile: str, bypass_csp: bool
) -> None:
    """With the CSP on and, to test the escaping itself, with the CSP bypassed."""
    with signed_in(browser, server, token, bypass_csp=bypass_csp) as context:
        page = context.new_page()
        page.add_init_script("window.__pwned = 0")
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        console: list[str] = []  # a blocked inline handler would be reported here
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
        for path in ("/admin", hostile):
            page.goto(server.base_url + path)
            page.wait_for_load_state("load")
            for link in page.locator("a").all():
                assert not (link.get_attribute("href") or "").startswith("javascript:")
            assert page.locator("main img, main script, main iframe, main svg[onload]").count() == 0
        assert page.get_by_role("heading", level=1).text_content().startswith("XSS " + PAYLOADS[0])
        main = page.locator("main").text_content()
        assert main.count(PAYLOADS[1]) >= 5  # name, questions, choice, answers, data, traits
        assert "x-" + PAYLOADS[0] in main and "event “" + HOSTILE[:255] in main
        page.wait_for_timeout(300)
        assert page.evaluate("window.__pwned") == 0 and dialogs == [] and console == []


def axe_violations(page: Page, axe_url: str) -> list[str]:
    page.add_script_tag(url=axe_url)
    return page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map("
        "v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')))"
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing(
    browser: Browser,
    server: Server,
    token: str,
    hostile: str,
    built_static: dict[str, Any],
    scheme: str,
) -> None:
    axe = server.base_url + built_static["base"] + built_static["axe"]
    options = {"bypass_csp": True, "color_scheme": scheme}  # axe is a script: let it in
    login = browser.new_page(**options)
    login.goto(server.base_url + "/admin/login")
    assert axe_violations(login, axe) == [], "login"
    login.close()
    with signed_in(browser, server, token, **options) as context:
        page = context.new_page()
        for path in ("/admin", hostile, "/admin/projects/demo/surveys/demo-nps", NOT_FOUND):
            page.goto(server.base_url + path)
            assert axe_violations(page, axe) == [], path


def test_no_horizontal_scroll_at_320px(
    browser: Browser, server: Server, token: str, hostile: str
) -> None:
    with signed_in(browser, server, token, viewport={"width": 320, "height": 640}) as context:
        page = context.new_page()
        for path in ("/admin", hostile, "/admin/projects/demo/surveys/demo-nps", "/admin/login"):
            page.goto(server.base_url + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 320, (path, width)
        page.goto(server.base_url + hostile)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        assert page.locator(".skip").bounding_box()["y"] >= 0  # visible once focused
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
