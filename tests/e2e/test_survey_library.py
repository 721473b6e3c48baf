"""A survey's life in Chromium (issue 18): an owner makes a survey from the NPS template by
keyboard, launches it, a visitor on the demo page answers it (both runtimes), the owner
compares two versions and restores one; the new pages pass axe-core light and dark and fit
320 px."""

from __future__ import annotations

import itertools
import json
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import PROJECT, HostPage, Server
from tests.e2e.test_client import wait_for_rows
from tests.e2e.test_dashboard import axe_violations, cli, sign_in_by_keyboard, signed_in

ADMIN_API = f"/api/v1/admin/projects/{PROJECT}/surveys"
_made = itertools.count(1)


@pytest.fixture
def token(server: Server, capsys: pytest.CaptureFixture[str]) -> str:
    out = cli(capsys, "token", "create", "e2e librarian", "--db", server.db_url)
    return out.strip().splitlines()[-1]


def tab_to(page: Page, locator: Any, most: int = 80) -> None:
    """Press Tab until `locator` has the focus (the keyboard's way there)."""
    for _ in range(most):
        if locator.evaluate("e => e === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{locator} never took the focus")


def api(server: Server, token: str, survey_id: str, definition: dict | None = None) -> dict:
    """Read a survey through the admin API, or save a new version of it (as a script or the
    editor does)."""
    request = urllib.request.Request(
        f"{server.base_url}{ADMIN_API}/{survey_id}",
        data=None if definition is None else json.dumps(definition).encode(),
        method="GET" if definition is None else "PUT",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as answer:  # the e2e server on 127.0.0.1
        return json.loads(answer.read())


def test_owner_makes_launches_compares_and_restores(
    host: HostPage, server: Server, token: str, db_path: Any
) -> None:
    survey_id = f"lib-{host.runtime}"
    owner = host.page.context.new_page()
    sign_in_by_keyboard(owner, server.base_url, token)

    # the demo project's (other tests' projects may come first in the list)
    new_link = owner.locator(f'a[href="/admin/projects/{PROJECT}/new-survey"]')
    tab_to(owner, new_link)
    owner.keyboard.press("Enter")
    owner.wait_for_url(f"**/projects/{PROJECT}/new-survey")
    nps = owner.get_by_role("radio", name="Net Promoter Score (NPS)")
    assert nps.is_checked()  # the default
    assert owner.get_by_text("What do you like most about us?").count() == 1  # the preview
    tab_to(owner, owner.get_by_label("Language"))
    owner.keyboard.press("End")  # the last language, then back to English by keyboard
    owner.keyboard.press("Home")
    assert owner.get_by_label("Language").input_value() == "en"
    tab_to(owner, owner.get_by_label("Id (optional)"))
    owner.keyboard.type(survey_id)
    owner.keyboard.press("Enter")
    owner.wait_for_url(f"**/surveys/{survey_id}?done=created")
    assert owner.get_by_role("status").text_content() == "Survey created as a draft."
    assert owner.locator("h1 .status").text_content() == "draft"

    launch = owner.get_by_role("button", name="Launch survey")
    tab_to(owner, launch)
    owner.keyboard.press("Enter")
    owner.wait_for_url("**?done=launch")
    assert owner.locator("h1 .status").text_content() == "live"

    visitor = host.page
    visitor.goto(f"{server.base_url}/?runtime={host.runtime}")
    host.wait_ready()
    visitor.get_by_label("survey id").fill(survey_id)
    visitor.get_by_role("button", name="showForm").click()
    survey = visitor.locator("refiner-survey")
    survey.get_by_role("radio", name="9 of 10").click()  # a promoter: asked what they like
    survey.get_by_role("textbox").fill("The templates")
    survey.get_by_role("button", name="Submit").click()
    done = "SELECT answers FROM responses WHERE form_id = ? AND completed"
    (row,) = wait_for_rows(db_path, done, survey_id)
    assert json.loads(row[0]) == {"score": 9, "love": "The templates"}
    assert host.errors() == []

    definition = api(server, token, survey_id)["definition"]
    definition["questions"][0]["title"] = "Would you recommend us?"
    assert api(server, token, survey_id, definition)["version"] == 2

    owner.goto(f"{server.base_url}/admin/projects/{PROJECT}/surveys/{survey_id}")
    history = owner.locator("table.versions tbody tr")
    assert history.count() == 2
    assert "e2e librarian" in history.first.text_content()
    assert "title changed" in history.first.text_content()
    owner.get_by_label("Compare version").select_option("1")
    owner.get_by_label("with version").select_option("2")
    compare = owner.get_by_role("button", name="Compare")
    tab_to(owner, compare)
    owner.keyboard.press("Enter")
    owner.wait_for_url("**/versions/compare?a=1&b=2")
    change = owner.locator(".changes li")
    assert change.count() == 1
    assert "“Would you recommend us?”" in change.text_content()

    restore = owner.get_by_role("button", name="Restore version 1")
    tab_to(owner, restore)
    owner.keyboard.press("Enter")
    owner.wait_for_url("**?done=restored")
    assert owner.get_by_role("status").text_content() == "Version restored as a new version."
    first = owner.locator("table.versions tbody tr").first
    assert first.locator("th").text_content().startswith("3")
    assert "Restored version 1" in first.text_content()
    assert owner.locator("h1 .status").text_content() == "live"  # restoring keeps the status


@pytest.fixture
def library_pages(server: Server, capsys: pytest.CaptureFixture[str], token: str) -> list[str]:
    """The new pages, with a survey of two versions made for the test."""
    survey_id = f"lib-a11y-{next(_made)}"
    out = cli(
        capsys,
        "survey", "new", "--template", "churn", "--id", survey_id, "--project", PROJECT,
        "--db", server.db_url,
    )  # fmt: skip
    assert f"created {survey_id}" in out
    definition = api(server, token, survey_id)["definition"]
    definition["questions"][1]["title"] = "Anything else?"
    api(server, token, survey_id, definition)
    survey = f"/admin/projects/{PROJECT}/surveys/{survey_id}"
    return [
        f"/admin/projects/{PROJECT}/new-survey",
        survey,
        survey + "/versions/compare?a=1&b=2",
        survey + "/delete",
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_on_the_new_pages(
    browser: Browser,
    server: Server,
    token: str,
    library_pages: list[str],
    built_static: dict[str, Any],
    scheme: str,
) -> None:
    axe = server.base_url + built_static["base"] + built_static["axe"]
    options = {"bypass_csp": True, "color_scheme": scheme}  # axe is a script: let it in
    with signed_in(browser, server, token, **options) as context:
        page = context.new_page()
        for path in library_pages:
            page.goto(server.base_url + path)
            assert axe_violations(page, axe) == [], path


def test_the_new_pages_fit_320px(
    browser: Browser, server: Server, token: str, library_pages: list[str]
) -> None:
    with signed_in(browser, server, token, viewport={"width": 320, "height": 640}) as context:
        page = context.new_page()
        for path in library_pages:
            page.goto(server.base_url + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 320, (path, width)
