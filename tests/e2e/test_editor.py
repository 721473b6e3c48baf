"""The survey editor in Chromium against the e2e server, its live part on this project's
MicroPython build: an owner turns (a copy of) the demo survey into a branching survey,
partly by keyboard, sees a fault next to its field as they type and saves; what is posted
to the preview frame; the conflict of two owners in two browser contexts; hostile text
typed into the fields stays text; axe light and dark; 320 px."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from refiner_server.db import make_engine
from refiner_server.projects import demo_survey
from refiner_server.surveys.store import get_survey
from tests.e2e.conftest import PROJECT, Server
from tests.e2e.test_dashboard import (  # noqa: F401 (token is a fixture)
    HOSTILE,
    axe_violations,
    import_surveys,
    signed_in,
    token,
)

READY = "html[data-editor=ready]"
#: the preview frame's stand-in: records what the editor posts (the frame is the preview
#: helper's; this side is tested by what arrives)
RECORDER = (
    "<!doctype html><title>recorder</title><script>window.got = [];"
    "addEventListener('message', e => got.push(e.data));</script>"
)


def esc(name: str) -> str:
    """A form field's id as a CSS selector (`questions[0].id` has brackets and dots)."""
    return "#" + name.replace("[", "\\[").replace("]", "\\]").replace(".", "\\.")


@pytest.fixture
def survey_id(server: Server, tmp_path: Path) -> str:
    """A copy of the demo survey without its jump, under an id of its own."""
    survey = copy.deepcopy(demo_survey())
    survey["id"] = "edit-" + uuid.uuid4().hex[:8]
    survey.pop("logic")
    import_surveys(server, tmp_path, survey)
    return survey["id"]


def stored(server: Server, survey_id: str) -> dict[str, Any]:
    return get_survey(make_engine(server.db_url), PROJECT, survey_id)


@pytest.fixture
def owner(browser: Browser, server: Server, token: str) -> Iterator[BrowserContext]:  # noqa: F811
    with signed_in(browser, server, token) as context:
        context.route(
            "**/admin/preview", lambda r: r.fulfill(content_type="text/html", body=RECORDER)
        )
        yield context


def open_editor(context: BrowserContext, server: Server, survey_id: str) -> Page:
    page = context.new_page()
    page.goto(f"{server.base_url}/admin/projects/{PROJECT}/surveys/{survey_id}/edit")
    page.wait_for_selector(READY)
    return page


def tab_to(page: Page, text: str, most: int = 400) -> None:
    """Tab until the focused element's text is `text` (keyboard only)."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == text:
            return
    raise AssertionError(f"{text!r} was not reached by Tab")


def posted(page: Page) -> list[dict[str, Any]]:
    frame = next(f for f in page.frames if f.url.endswith("/admin/preview"))
    return frame.evaluate("window.got")


def test_an_owner_makes_the_demo_survey_branch_and_sees_faults_as_they_type(
    owner: BrowserContext, server: Server, survey_id: str
) -> None:
    page = open_editor(owner, server, survey_id)
    ready_ms = page.evaluate("performance.getEntriesByName('editor:ready')[0].startTime")
    print(f"editor interactive {ready_ms:.0f} ms after navigation")
    # by keyboard: to the "Add jump" button, Enter; a structural edit comes back unsaved
    tab_to(page, "Add jump")
    page.keyboard.press("Enter")
    page.wait_for_selector(esc("logic[0].goto"))
    page.wait_for_selector(READY)
    page.focus(esc("logic[0].if.question"))
    page.keyboard.type("score")
    page.keyboard.press("Tab")  # to "Is"
    page.keyboard.type("lte")
    page.keyboard.press("Tab")
    page.keyboard.type("6")
    page.keyboard.press("Tab")
    page.keyboard.type("why")
    assert page.input_value(esc("logic[0].if.op")) == "lte"
    # a second jump by the mouse: promoters skip to the rating
    page.click("text=Add jump")
    page.wait_for_selector(esc("logic[1].goto"))
    page.wait_for_selector(READY)
    page.select_option(esc("logic[1].if.question"), "score")
    page.select_option(esc("logic[1].if.op"), "gte")
    page.fill(esc("logic[1].if.value"), "9")
    page.select_option(esc("logic[1].goto"), "stars")
    # a fault, shown beside its field while typing, from the server's validator
    scale = esc("questions[3].scale")
    page.fill(scale, "42")
    error = page.locator(esc("err-questions[3].scale"))
    error.wait_for(state="visible")
    assert error.text_content() == "must be an integer from 3 to 10"
    assert page.get_attribute(scale, "aria-invalid") == "true"
    assert page.get_attribute(scale, "aria-describedby") == "err-questions[3].scale"
    assert "questions[3].scale" in page.text_content("#faults")
    print(f"edit to fault shown: {page.get_attribute('#editor', 'data-last-check-ms')} ms")
    # nothing invalid is saved: the page says why, the field keeps what was typed
    page.click("text=Save >> nth=0")
    page.wait_for_selector(esc("err-questions[3].scale") + ":not([hidden])")
    assert page.input_value(scale) == "42" and stored(server, survey_id)["version"] == 1
    page.wait_for_selector(READY)
    page.fill(scale, "7")
    error.wait_for(state="hidden")
    assert page.get_attribute(scale, "aria-invalid") is None
    # the preview was fed the draft as it changed, with the frame's controls
    page.wait_for_function("() => [...document.querySelectorAll('iframe.preview')].length === 1")
    page.select_option("#_preview_theme", "dark")
    page.select_option("#_preview_width", "desktop")
    page.select_option("#_preview_locale", "de")
    last = _wait_posted(page, lambda m: m["theme"] == "dark" and m["locale"] == "de")
    assert last["type"] == "refiner:preview" and last["width"] == "desktop"
    assert last["position"] == "bottom-right"
    assert last["definition"]["questions"][3]["scale"] == 7
    assert last["definition"]["logic"][1]["goto"] == "stars"
    page.click("text=Save >> nth=0")
    page.wait_for_url(f"**/surveys/{survey_id}?done=saved")
    saved = stored(server, survey_id)
    assert saved["version"] == 2 and saved["status"] == "live"
    assert saved["definition"]["logic"] == [
        {"if": {"question": "score", "op": "lte", "value": 6}, "goto": "why"},
        {"if": {"question": "score", "op": "gte", "value": 9}, "goto": "stars"},
    ]
    assert saved["definition"]["translations"] == demo_survey()["translations"]


def _wait_posted(page: Page, test: Any) -> dict[str, Any]:
    for _ in range(200):
        found = [m for m in posted(page) if test(m)]
        if found:
            return found[-1]
        page.wait_for_timeout(25)
    raise AssertionError(f"not posted; last: {posted(page)[-1:]}")


def test_leaving_with_unsaved_changes_asks_first(
    owner: BrowserContext, server: Server, survey_id: str
) -> None:
    page = open_editor(owner, server, survey_id)
    page.click(esc("questions[0].title"))
    page.keyboard.type(" changed")  # typed: a page asks only after a user's gesture
    with page.expect_event("dialog") as asked:
        page.close(run_before_unload=True)
    assert asked.value.type == "beforeunload"
    asked.value.dismiss()
    assert not page.is_closed()


def test_two_owners_conflict_and_nothing_is_lost(
    browser: Browser,
    server: Server,
    token: str,  # noqa: F811
    survey_id: str,
) -> None:
    with signed_in(browser, server, token) as alice, signed_in(browser, server, token) as bob:
        a, b = open_editor(alice, server, survey_id), open_editor(bob, server, survey_id)
        a.fill("#name", "Alice's name")
        a.click("text=Save >> nth=0")
        a.wait_for_url("**?done=saved")
        b.fill(esc("questions[0].title"), "Bob's question")
        b.click("text=Save >> nth=0")
        b.wait_for_selector("#conflict-h")
        rows = b.locator(".conflict tbody tr").all_text_contents()
        assert any("Alice's name" in r and "Demo NPS" in r for r in rows)
        assert any("Bob's question" in r for r in rows)
        assert b.input_value(esc("questions[0].title")) == "Bob's question"
        assert stored(server, survey_id)["definition"]["name"] == "Alice's name"
        b.click("text=Save mine over version 2 >> nth=0")
        b.wait_for_url("**?done=saved")
        final = stored(server, survey_id)
        assert final["version"] == 3
        assert final["definition"]["questions"][0]["title"] == "Bob's question"


def test_hostile_text_typed_into_fields_stays_text(
    owner: BrowserContext, server: Server, survey_id: str
) -> None:
    page = open_editor(owner, server, survey_id)
    fields = [
        "name",
        "questions[0].title",
        "questions[0].description",
        "questions[0].labels.low",
        "questions[2].choices[0].label",
        "thank_you.title",
        "translations[0].questions[0].title",
    ]
    for name in fields:
        page.fill(esc(name), HOSTILE)
    page.fill(esc("questions[2].choices[1].id"), HOSTILE[:60])
    page.fill(esc("questions[2].choices[2].id"), HOSTILE[:60])  # a duplicate: a fault
    error = page.locator(esc("err-questions[2].choices[2].id"))
    error.wait_for(state="visible")
    assert error.text_content().startswith("duplicate choice id '<img src=x")
    page.click("text=Save >> nth=0")
    page.wait_for_selector("#faults h2")
    page.wait_for_selector(READY)
    for name in fields:
        assert page.input_value(esc(name)) == HOSTILE
    assert page.evaluate("window.__pwned || 0") == 0  # PWNED counts from 0 up
    assert page.locator("#faults li").first.text_content().startswith("questions[2].choices[2].id")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_and_320px_does_not_scroll_sideways(
    browser: Browser,
    server: Server,
    token: str,  # noqa: F811
    built_static: dict[str, Any],
    survey_id: str,
    scheme: str,
) -> None:
    axe = server.base_url + built_static["base"] + built_static["axe"]
    options = {
        "bypass_csp": True,
        "color_scheme": scheme,
        "viewport": {"width": 320, "height": 640},
    }
    with signed_in(browser, server, token, **options) as context:
        context.route(
            "**/admin/preview", lambda r: r.fulfill(content_type="text/html", body=RECORDER)
        )
        page = open_editor(context, server, survey_id)
        page.fill(esc("questions[3].scale"), "42")  # with a fault shown
        page.locator(esc("err-questions[3].scale")).wait_for(state="visible")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        assert axe_violations(page, axe) == []
        page.set_viewport_size({"width": 1280, "height": 900})
        assert axe_violations(page, axe) == []


def test_dragging_a_question_by_its_handle_reorders_the_draft(
    owner: BrowserContext, server: Server, survey_id: str
) -> None:
    page = open_editor(owner, server, survey_id)
    page.set_viewport_size({"width": 1280, "height": 4000})  # both in view: no scroll mid-drag
    page.drag_and_drop(
        esc("questions[3]") + " .handle", esc("questions[0]"), target_position={"x": 40, "y": 20}
    )
    page.wait_for_selector("#editor[data-changed=true]")
    page.wait_for_selector(READY)
    ids = [page.input_value(esc(f"questions[{i}].id")) for i in range(4)]
    assert ids == ["stars", "score", "why", "plan"]
    assert stored(server, survey_id)["version"] == 1  # a draft until saved
