"""The dashboard's preview in Chromium (docs/dashboard.md, "Preview"): the frame at
`/admin/preview`, sandboxed as the editor embeds it, draws what its parent posts with the
real MicroPython client, redraws on a change, clicks through branching, takes dark theme
and phone width, shows the validator's message for an invalid definition and hostile text
as text, and writes nothing; the owner's preview page drives it from its controls; a
try-out link shows a paused survey on a host page on both runtimes, writing nothing, and
an expired or forged one does not."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Frame, Page, Request

from refiner_server import tryouts
from refiner_server.team.principal import Principal
from tests.e2e.conftest import PROJECT, READY_TIMEOUT_S, HostPage, Server, host_html
from tests.e2e.hardening import wait_in_page
from tests.e2e.test_client import query, refiner_warnings
from tests.e2e.test_dashboard import HOSTILE, import_surveys, signed_in
from tests.e2e.test_dashboard import token as token  # the fixture

BRANCHING = {
    "id": "pv-branch",
    "name": "Preview branching",
    "status": "paused",
    "questions": [
        {"id": "score", "type": "nps", "title": "How likely are you to recommend us?"},
        {"id": "why", "type": "text", "title": "What should we fix first?"},
        {"id": "stars", "type": "rating", "title": "Rate the docs", "scale": 5},
    ],
    "logic": [{"if": {"question": "score", "op": "gte", "value": 9}, "goto": "stars"}],
    "thank_you": {"title": "Thanks, previewer", "auto_close_s": 0},
    "translations": {"de": {"questions": {"score": {"title": "Wie wahrscheinlich?"}}}},
}
PARENT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Editor</title>
</head><body><iframe id="f" sandbox="allow-scripts" src="/admin/preview"
title="Survey preview" style="width: 900px; height: 640px"></iframe>
<script>
  window.heard = [];
  addEventListener("message", function (e) {
    if (e.source === document.getElementById("f").contentWindow) heard.push(e.data);
  });
  window.post = function (m) { document.getElementById("f").contentWindow.postMessage(m, "*"); };
</script></body></html>"""


def request(definition: dict, **chosen: Any) -> dict:
    return {
        "type": "refiner:preview",
        "definition": definition,
        "locale": chosen.get("locale", "en"),
        "theme": chosen.get("theme", "light"),
        "position": chosen.get("position", "bottom-right"),
        "width": chosen.get("width", "desktop"),
    }


class Editor:
    """A parent page at the server's origin embedding the frame as the editor does, and
    every request the page and its frame made."""

    def __init__(self, page: Page, server: Server) -> None:
        self.page = page
        self.base_url = server.base_url
        self.requests: list[Request] = []
        page.set_default_timeout(READY_TIMEOUT_S * 1000)
        page.on("request", lambda r: self.requests.append(r))
        url = server.base_url + "/test/editor.html"
        page.route(url, lambda route: route.fulfill(body=PARENT, content_type="text/html"))
        page.goto(url)
        page.wait_for_function("heard.some(m => m.type === 'refiner:preview-ready')")

    @property
    def frame(self) -> Frame:
        return self.page.query_selector("#f").content_frame()

    def post(self, message: dict) -> dict:
        """Posts `message`; the frame's `drawn` answer to it."""
        before = len(self.drawn())
        self.page.evaluate("m => post(m)", message)
        self.page.wait_for_function(
            "n => heard.filter(m => m.type === 'refiner:preview-drawn').length > n", arg=before
        )
        return self.drawn()[-1]

    def drawn(self) -> list:
        return self.page.evaluate("heard.filter(m => m.type === 'refiner:preview-drawn')")

    def survey(self) -> Any:
        return self.page.frame_locator("#f").locator("refiner-survey")


@pytest.fixture
def editor(page: Page, server: Server) -> Editor:
    return Editor(page, server)


def written(db_path: Path, form_id: str) -> list:
    return [
        query(db_path, f"SELECT count(*) FROM {table} WHERE form_id = ?", form_id)[0][0]
        for table in ("views", "responses", "dismissals")
    ]


def test_the_frame_draws_redraws_and_clicks_through_the_logic_writing_nothing(
    editor: Editor, db_path: Path
) -> None:
    survey = editor.survey()
    drawn = editor.post(request(BRANCHING))
    assert isinstance(drawn["ms"], (int, float)) and drawn["ms"] >= 0
    assert survey.locator(".title").text_content() == "How likely are you to recommend us?"

    changed = json.loads(json.dumps(BRANCHING))
    changed["questions"][0]["title"] = "Would you recommend us?"
    editor.post(request(changed))
    assert survey.locator(".title").text_content() == "Would you recommend us?"
    assert survey.count() == 1  # the old one went at once

    title = survey.locator(".title")
    survey.get_by_role("radio", name="10 of 10").click()  # a scale moves on when picked
    survey.get_by_role("heading", name="Rate the docs").wait_for()  # the jump to stars
    survey.get_by_role("button", name="Back").click()
    survey.get_by_role("radio", name="3 of 10").click()
    survey.get_by_role("heading", name="What should we fix first?").wait_for()
    survey.get_by_role("textbox").fill("Speed")
    survey.get_by_role("button", name="Next").click()
    survey.get_by_role("radio", name="4 of 5 stars").click()
    survey.get_by_role("heading", name="Thanks, previewer").wait_for()
    assert title.count() == 1

    editor.post(request(BRANCHING, locale="de"))
    assert survey.locator(".title").text_content() == "Wie wahrscheinlich?"
    survey.get_by_role("button", name="Umfrage schließen").click()
    again = editor.page.frame_locator("#f").get_by_role("button", name="Show the survey again")
    again.click()
    assert survey.locator(".title").text_content() == "Wie wahrscheinlich?"

    # Nothing was written: no request but the runtime's files and the validator's check,
    # no row, no cookie and no storage in the frame.
    paths = {r.url.split("?")[0].removeprefix(editor.base_url) for r in editor.requests}
    others = {p for p in paths if not p.startswith(("/static/", "/test/"))}
    assert others == {"/admin/preview", "/admin/preview-frame.css", "/api/v1/schema/survey/check"}
    assert [r for r in editor.requests if r.method not in ("GET", "POST")] == []
    assert [r.url for r in editor.requests if r.method == "POST" and "/check" not in r.url] == []
    assert written(db_path, BRANCHING["id"]) == [0, 0, 0]
    assert editor.page.context.cookies() == []
    # the frame's origin is opaque: it has no cookie jar or storage to write to at all
    touch = "(() => { try { return typeof %s; } catch (e) { return e.name; } })()"
    assert editor.frame.evaluate(touch % "document.cookie") == "SecurityError"
    assert editor.frame.evaluate(touch % "localStorage") == "SecurityError"


def test_dark_theme_phone_width_and_each_position(editor: Editor) -> None:
    survey = editor.survey()
    editor.post(request(BRANCHING, theme="dark", width="phone"))
    panel = survey.locator(".panel")
    assert "theme-dark" in panel.get_attribute("class")
    box = survey.locator(".panel").bounding_box()
    stage = editor.frame.evaluate("JSON.stringify(document.body.getBoundingClientRect())")
    stage = json.loads(stage)
    assert stage["width"] == 375
    assert stage["x"] <= box["x"] and box["x"] + box["width"] <= stage["x"] + 375
    for position in ("bottom-left", "top", "bottom", "center", "bottom-right"):
        editor.post(request(BRANCHING, position=position))
        assert survey.get_attribute("data-position") == position
        assert "theme-light" in panel.get_attribute("class")


def test_an_invalid_definition_shows_the_validators_message(editor: Editor) -> None:
    broken = dict(BRANCHING, questions=[{"id": "q", "type": "slider", "title": "Q"}])
    editor.post(request(BRANCHING))
    editor.post(request(broken))
    fault = editor.page.frame_locator("#f").get_by_role("alert")
    assert fault.text_content().startswith("questions[0].type: must be one of ")
    assert editor.survey().count() == 0
    editor.post(request(BRANCHING))
    assert editor.survey().count() == 1 and not fault.is_visible()


def test_hostile_text_is_shown_as_text(editor: Editor) -> None:
    hostile = json.loads(json.dumps(BRANCHING))
    hostile["questions"][0]["title"] = HOSTILE
    hostile["questions"][0]["labels"] = {"low": HOSTILE, "high": HOSTILE}
    editor.post(request(hostile))
    assert editor.survey().locator(".title").text_content() == HOSTILE
    editor.page.wait_for_timeout(200)
    assert editor.frame.evaluate("window.__pwned") is None


def test_only_the_parent_and_only_the_shape_are_heard(editor: Editor, page: Page) -> None:
    editor.post(request(BRANCHING))
    editor.page.evaluate("m => post(m)", dict(request(BRANCHING), extra=1))
    editor.page.evaluate("m => post(m)", dict(request(BRANCHING), width="tablet"))
    # the frame's own window is not its parent
    editor.frame.evaluate("m => window.postMessage(m, '*')", request(BRANCHING))
    editor.page.wait_for_timeout(500)
    assert len(editor.drawn()) == 1
    warned = []
    page.on("console", lambda m: warned.append(m.text))
    editor.page.evaluate("m => post(m)", dict(request(BRANCHING), theme="auto"))
    editor.page.wait_for_timeout(300)
    assert any("[refiner] preview: message ignored: theme:" in w for w in warned), warned
    assert len(editor.drawn()) == 1


# -- the owner's preview page ----------------------------------------------------------------


def test_the_owners_preview_page_drives_the_frame(
    browser: Browser, server: Server, token: str, tmp_path: Path
) -> None:
    import_surveys(server, tmp_path, BRANCHING)
    with signed_in(browser, server, token) as context:
        page = context.new_page()
        page.set_default_timeout(READY_TIMEOUT_S * 1000)
        page.goto(server.base_url + "/admin/projects/demo/surveys/pv-branch")
        page.get_by_role("link", name="Preview").click()
        page.wait_for_url("**/surveys/pv-branch/preview")
        survey = page.frame_locator("#preview-frame").locator("refiner-survey")
        survey.locator(".title").wait_for()
        assert survey.locator(".title").text_content() == "How likely are you to recommend us?"
        page.get_by_label("Theme").select_option("dark")
        page.frame_locator("#preview-frame").locator(".panel.theme-dark").wait_for()
        page.get_by_label("Language").select_option("de")
        survey.get_by_role("heading", name="Wie wahrscheinlich?").wait_for()
        page.get_by_label("Width").select_option("phone")
        page.wait_for_function("document.getElementById('preview-frame').clientWidth <= 375")
        page.get_by_label("Position").select_option("center")
        page.frame_locator("#preview-frame").locator(
            "refiner-survey[data-position=center]"
        ).wait_for()
        assert page.locator("#preview-timing").text_content().startswith("Drawn in ")


# -- try it on my site -----------------------------------------------------------------------


def try_link(browser: Browser, server: Server, token: str, page_url: str) -> str:
    """The link the owner's preview page makes for `page_url`."""
    with signed_in(browser, server, token) as context:
        page = context.new_page()
        page.goto(server.base_url + "/admin/projects/demo/surveys/pv-branch/preview")
        page.get_by_label("Page address").fill(page_url)
        page.get_by_role("button", name="Make a link").click()
        return page.locator(".try-link a").get_attribute("href")


def test_a_try_out_link_shows_a_paused_survey_and_records_nothing(
    browser: Browser, host: HostPage, server: Server, token: str, tmp_path: Path, db_path: Path
) -> None:
    import_surveys(server, tmp_path, BRANCHING)
    target = site_page(host, "try.html")
    link = try_link(browser, server, token, target + "?plan=pro#top")
    assert link.startswith(target + "?plan=pro&refiner_try=") and link.endswith("#top")
    host.page.goto(link)
    survey = host.page.locator("refiner-survey")
    survey.locator(".title").wait_for()
    assert survey.locator(".title").text_content() == "How likely are you to recommend us?"
    survey.get_by_role("radio", name="9 of 10").click()
    survey.get_by_role("radio", name="5 of 5 stars").click()
    survey.get_by_role("heading", name="Thanks, previewer").wait_for()
    host.page.wait_for_timeout(500)
    assert written(db_path, BRANCHING["id"]) == [0, 0, 0]
    assert [r for r in refiner_warnings(host) if "tryout" in r] == []
    assert host.errors() == []


def site_page(host: HostPage, name: str) -> str:
    """A host page of the owner's site at `{base_url}/test/{name}`, served whatever its
    query; its URL."""
    url = f"{host.base_url}/test/{name}"
    text = host_html(host.runtime, "<main><h1>My site</h1></main>")
    host.page.route(
        lambda seen: seen.split("?")[0] == url,
        lambda route: route.fulfill(body=text, content_type="text/html"),
    )
    return url


@pytest.mark.parametrize("fault", ["expired", "forged", "other project", "garbled"])
def test_an_expired_or_forged_try_out_link_shows_nothing(
    host: HostPage, server: Server, token: str, tmp_path: Path, fault: str
) -> None:
    import_surveys(server, tmp_path, BRANCHING)
    engine = sa.create_engine(server.db_url)
    token_id = token.removeprefix("rft_").split("_", 1)[0]
    now = datetime.now(UTC)
    when = now - tryouts.TTL - timedelta(minutes=1) if fault == "expired" else now
    project = "elsewhere" if fault == "other project" else PROJECT
    maker = Principal("token", token_id, "e2e", None)  # the server-wide token
    minted = tryouts.mint(engine, maker, project, BRANCHING["id"], when)
    engine.dispose()
    if fault == "forged":
        claims = {"k": "token", "t": token_id, "p": PROJECT, "s": "demo-nps", "e": 2**40}
        payload = json.dumps(claims)
        minted = tryouts._b64(payload.encode()) + "." + minted.split(".")[1]
    elif fault == "garbled":
        minted = "<script>alert(1)</script>"
    url = site_page(host, "try-bad.html")
    host.page.goto(url + "?" + urlencode({tryouts.PARAM: minted}))
    host.wait_ready()
    wait_in_page(host, lambda: any("tryout" in w for w in refiner_warnings(host)))
    warnings = [w for w in refiner_warnings(host) if "tryout" in w]
    expected = {
        "expired": "has expired",
        "forged": "is not valid",
        "other project": "is for project 'elsewhere'",
        "garbled": "characters no token has",
    }[fault]
    assert len(warnings) == 1 and expected in warnings[0], warnings
    assert warnings[0].startswith("[refiner] tryout: survey not shown: ")
    assert host.page.locator("refiner-survey").count() == 0
    assert host.errors() == []


def test_a_redraw_leaves_the_editors_focus_where_it_is(editor: Editor) -> None:
    """The owner types in the editor while the frame redraws: even a modal survey (center)
    must not take the focus out of the field."""
    editor.page.evaluate(
        "() => { const f = document.createElement('input'); f.id = 'field';"
        " document.body.prepend(f); f.focus(); }"
    )
    for position in ("center", "bottom-right", "center"):
        editor.post(request(BRANCHING, position=position))
        assert editor.page.evaluate("document.activeElement.id") == "field", position
