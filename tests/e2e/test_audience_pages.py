"""The dashboard's settings and segments pages in Chromium: used by keyboard alone (a
segment created, the recontact wait saved), axe-core finding nothing in light and dark,
and no horizontal scroll at 320 px."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from refiner_server.cli import main as server_cli
from tests.e2e.conftest import PROJECT, Server
from tests.e2e.test_dashboard import axe_violations, signed_in, token  # noqa: F401

SETTINGS = f"/admin/projects/{PROJECT}/settings"
SEGMENTS = f"/admin/projects/{PROJECT}/segments"


def tab_to(page: Page, element_id: str, most: int = 40) -> None:
    """Tab until the element of `element_id` has focus, as a keyboard user would."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} not reached by Tab")


def test_settings_and_a_segment_by_keyboard_alone(
    browser: Browser,
    server: Server,
    token: str,  # noqa: F811
) -> None:
    with signed_in(browser, server, token) as context:
        page = context.new_page()
        page.goto(server.base_url + SETTINGS)
        tab_to(page, "recontact_days")
        page.keyboard.press("Control+A")
        page.keyboard.type("14")
        page.keyboard.press("Enter")
        page.get_by_role("status").get_by_text("Settings saved").wait_for()
        assert page.locator("#recontact_days").input_value() == "14"

        page.goto(server.base_url + SEGMENTS)
        tab_to(page, "id")
        page.keyboard.type("e2e-keyboard")
        page.keyboard.press("Tab")
        page.keyboard.type("Keyboard people")
        tab_to(page, "audience")
        page.keyboard.press("Control+A")
        page.keyboard.type(json.dumps({"identified_only": True}))
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Create segment"
        page.keyboard.press("Enter")
        page.get_by_role("status").get_by_text("Segment created").wait_for()
        assert page.get_by_role("heading", level=1).text_content().startswith("Keyboard people")
    assert (
        server_cli(["project", "update", PROJECT, "--recontact-days", "0", "--db", server.db_url])
        == 0
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_on_the_audience_pages(
    browser: Browser,
    server: Server,
    token: str,  # noqa: F811
    built_static: dict[str, Any],
    scheme: str,
) -> None:
    axe = server.base_url + built_static["base"] + built_static["axe"]
    options = {"bypass_csp": True, "color_scheme": scheme}  # axe is a script: let it in
    with signed_in(browser, server, token, **options) as context:
        page = context.new_page()
        page.goto(server.base_url + SEGMENTS)
        if page.get_by_role("link", name="Axe people").count() == 0:
            page.fill("#id", "e2e-axe")
            page.fill("#name", "Axe people")
            page.get_by_role("button", name="Create segment").click()
            page.get_by_role("status").wait_for()
        for path in (SETTINGS, SEGMENTS, SEGMENTS + "/e2e-axe"):
            page.goto(server.base_url + path)
            assert axe_violations(page, axe) == [], path
            page.set_viewport_size({"width": 320, "height": 640})
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 320, (path, width)
            page.set_viewport_size({"width": 1280, "height": 720})
        page.goto(server.base_url + SETTINGS)  # a refused value: the error is announced
        page.fill("#recontact_days", "99999")
        page.evaluate("document.querySelector('#recontact_days').removeAttribute('max')")
        page.get_by_role("button", name="Save settings").click()
        page.get_by_role("alert").wait_for()
        assert axe_violations(page, axe) == [], "settings with an error"
