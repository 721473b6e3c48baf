"""A team in Chromium (issue 18), against the e2e server: the first owner made with the CLI
signs in by keyboard, invites a viewer by link; the viewer sets a password through the
link, sees the survey but cannot change it; "sign out everywhere" ends the viewer's other
browser's session. axe-core finds nothing on the new pages, light and dark, and none of
them scrolls sideways at 320 px."""

from __future__ import annotations

import io
import sqlite3
import sys
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from refiner_server.cli import main as server_cli
from tests.e2e.conftest import Server
from tests.e2e.test_dashboard import axe_violations

OWNER, VIEWER = "owner-e2e@example.com", "viewer-e2e@example.com"
PASSWORD = "a long enough passphrase"
SURVEY = "/admin/projects/demo/surveys/demo-nps"


@pytest.fixture(scope="module")
def owner(_server_session: Server) -> str:
    """The demo project's first owner, made as docs/dashboard.md says: the CLI, the password
    on standard input."""
    stdin, sys.stdin = sys.stdin, io.StringIO(PASSWORD + "\n")
    try:
        code = server_cli(
            ["user", "create", OWNER, "--owner-of", "demo", "--db", _server_session.db_url]
        )
    finally:
        sys.stdin = stdin
    assert code == 0
    return OWNER


def sign_in_by_keyboard(page: Page, server: Server, email: str) -> None:
    page.goto(server.base_url + "/admin")
    assert "/admin/login" in page.url
    for _ in range(4):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "email":
            break
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(server.base_url + "/admin")


def status_of(server: Server, survey_id: str) -> str:
    with sqlite3.connect(server.db_path) as db:
        return db.execute(
            "SELECT status FROM surveys WHERE project_id = 'demo' AND id = ?", (survey_id,)
        ).fetchone()[0]


def test_owner_invites_a_viewer_who_cannot_change_a_survey(
    browser: Browser, server: Server, owner: str
) -> None:
    owners = browser.new_context()
    page = owners.new_page()
    sign_in_by_keyboard(page, server, owner)
    assert page.get_by_text("Your role: owner").count() >= 1
    page.get_by_role("link", name="People").first.click()
    page.wait_for_url("**/people")
    page.get_by_label("Email").focus()
    page.keyboard.type(VIEWER)
    page.keyboard.press("Tab")  # the role
    page.keyboard.press("Home")  # viewer, the first
    page.get_by_role("button", name="Create invitation link").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=f"Invitation for {VIEWER} (viewer)").wait_for()
    link = page.locator("code.secret").text_content()
    assert link.startswith(server.base_url + "/admin/join/rfi_")
    assert page.get_by_role("row", name=VIEWER).count() == 1  # open invitations

    viewers = browser.new_context()
    try:
        mine = viewers.new_page()
        mine.goto(link)
        mine.get_by_label("Choose a password").fill(PASSWORD)
        mine.get_by_label("The same again").fill(PASSWORD)
        mine.get_by_role("button", name="Join").click()
        mine.wait_for_url(server.base_url + "/admin")
        assert mine.get_by_text("Your role: viewer").count() == 1
        assert mine.get_by_role("link", name="People").count() == 0
        mine.goto(server.base_url + SURVEY)
        assert mine.get_by_role("link", name="Download CSV").count() == 1
        assert mine.get_by_role("button", name="Pause survey").count() == 0
        before = status_of(server, "demo-nps")
        refused = mine.request.post(
            server.base_url + SURVEY + "/status",
            form={"status": "paused" if before == "live" else "live"},
            headers={"origin": server.base_url},
        )
        assert refused.status == 403
        assert status_of(server, "demo-nps") == before
        mine.goto(link)  # the link worked once
        assert mine.get_by_role("heading", name="Invitation not valid").count() == 1
    finally:
        viewers.close()

    page.goto(server.base_url + "/admin/projects/demo/audit")
    rows = page.locator("tbody tr").all_text_contents()
    assert any("invitation.accepted" in r and VIEWER in r for r in rows), rows
    assert any("invitation.created" in r and owner in r for r in rows), rows
    owners.close()


def signed_in(browser: Browser, server: Server, email: str, **options: Any) -> BrowserContext:
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(server.base_url + "/admin/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(server.base_url + "/admin")
    page.close()
    return context


def test_sign_out_everywhere_ends_the_other_browsers_session(
    browser: Browser, server: Server, owner: str
) -> None:
    laptop, phone = signed_in(browser, server, owner), signed_in(browser, server, owner)
    try:
        other = phone.new_page()
        other.goto(server.base_url + "/admin")
        assert other.url == server.base_url + "/admin"
        page = laptop.new_page()
        page.goto(server.base_url + "/admin")
        page.get_by_role("button", name="Sign out everywhere").focus()
        page.keyboard.press("Enter")
        page.get_by_role("status").wait_for()
        assert (
            page.get_by_role("status").text_content() == "Signed out on every device and browser."
        )
        other.reload()
        assert "/admin/login" in other.url  # the phone's session ended with the laptop's
        assert other.get_by_label("Email").count() == 1
    finally:
        laptop.close()
        phone.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_on_the_team_pages(
    browser: Browser, server: Server, owner: str, built_static: dict[str, Any], scheme: str
) -> None:
    axe = server.base_url + built_static["base"] + built_static["axe"]
    options = {"bypass_csp": True, "color_scheme": scheme}  # axe is a script: let it in
    context = signed_in(browser, server, owner, **options)
    try:
        page = context.new_page()
        page.goto(server.base_url + "/admin/projects/demo/people")
        page.get_by_label("Email").fill(f"axe-{scheme}@example.com")
        page.get_by_role("button", name="Create invitation link").click()
        link = page.locator("code.secret").text_content()
        assert axe_violations(page, axe) == [], "people with a link"
        for path in ("/admin/projects/demo/audit", "/admin/projects/demo/audit?survey=demo-nps"):
            page.goto(server.base_url + path)
            assert axe_violations(page, axe) == [], path
        stranger = browser.new_page(**options)
        for url in (link, server.base_url + "/admin/login"):
            stranger.goto(url)
            assert axe_violations(stranger, axe) == [], url
        stranger.close()
    finally:
        context.close()


def test_no_horizontal_scroll_at_320px(browser: Browser, server: Server, owner: str) -> None:
    context = signed_in(browser, server, owner, viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        for path in ("/admin", "/admin/projects/demo/people", "/admin/projects/demo/audit"):
            page.goto(server.base_url + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 320, (path, width)
    finally:
        context.close()
