"""Who is asked, and how often, in Chromium on both runtimes: the device class the client
decides from viewport and pointer picks the phone survey for a phone and not for a desktop;
the project's recontact wait holds a second survey back after the first was seen; a survey
closed by its response limit is not shown."""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from refiner_server.cli import main as server_cli
from tests.e2e.conftest import READY_TIMEOUT_S, HostPage, Server, host_html

NPS = [{"id": "score", "type": "nps", "title": "How likely are you to recommend us?"}]


def on_page(survey_id: str, path: str, **extra: object) -> dict:
    """A live NPS survey shown at once on `/test/aud/{path}` pages."""
    pages = {"include": [{"match": "starts_with", "value": "/test/aud/" + path}]}
    trigger = {"type": "immediate", "pages": pages}
    return {"id": survey_id, "status": "live", "questions": NPS, "trigger": trigger, **extra}


PROJECTS = {
    "aud-device": [on_page("e2e-phones", "device", audience={"rules": [{"device": ["phone"]}]})],
    "aud-wait": [on_page("e2e-first", "first"), on_page("e2e-second", "second")],
    "aud-closed": [
        on_page("e2e-capped", "closed", schedule={"max_responses": 1}),
        on_page("e2e-open", "open"),
    ],
}


@pytest.fixture(scope="module")
def projects(_server_session: Server, tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("audience")
    db = ["--db", _server_session.db_url]
    for project, surveys in PROJECTS.items():
        extra = ["--recontact-days", "30"] if project == "aud-wait" else []
        assert server_cli(["project", "create", project, *extra, *db]) == 0
        (folder / f"{project}.json").write_text(json.dumps(surveys))
        file = str(folder / f"{project}.json")
        assert server_cli(["survey", "import", file, "--project", project, *db]) == 0
    # one completed response closes e2e-capped (max_responses 1), as a visitor's would
    body = {"form_id": "e2e-capped", "anonymous_id": "anon-" + uuid.uuid4().hex, "completed": True}
    request = urllib.request.Request(
        f"{_server_session.base_url}/api/v1/client/aud-closed/responses/resp-{uuid.uuid4().hex}",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
        method="PUT",
    )
    with urllib.request.urlopen(request) as answer:
        assert json.loads(answer.read())["completed"] is True


@pytest.fixture
def phone(browser: Browser, server: Server, runtime: str) -> Iterator[HostPage]:
    """A phone: a narrow viewport and a touch screen (a coarse primary pointer)."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    page = context.new_page()
    page.set_default_timeout(READY_TIMEOUT_S * 1000)
    try:
        yield HostPage(page, server.base_url, runtime)
    finally:
        context.close()


def visit(host: HostPage, project: str, path: str) -> list[str]:
    """Open `/test/aud/{path}` on `project`; the ids the first ping served."""
    url = host.serve("aud/" + path, host_html(host.runtime, "<p>app</p>", project=project))
    with host.page.expect_response(lambda r: r.url.endswith(f"/{project}/ping")) as pinged:
        host.page.goto(url)
    return [form["id"] for form in pinged.value.json()["forms"]]


def shown(page: Page, form_id: str) -> None:
    survey = page.locator(f'refiner-survey[data-form="{form_id}"]')
    survey.get_by_role("radio", name="7 of 10").wait_for()


def test_a_phone_gets_the_phone_survey(phone: HostPage, projects: None) -> None:
    assert phone.page.evaluate("matchMedia('(pointer: coarse)').matches") is True
    assert visit(phone, "aud-device", "device") == ["e2e-phones"]
    shown(phone.page, "e2e-phones")


def test_a_desktop_does_not(host: HostPage, projects: None) -> None:
    assert visit(host, "aud-device", "device") == []
    host.wait_ready()
    assert host.page.locator("refiner-survey").count() == 0


def test_the_recontact_wait_holds_a_second_survey_back(host: HostPage, projects: None) -> None:
    with host.page.expect_response(lambda r: r.url.endswith("/aud-wait/views")) as viewed:
        assert visit(host, "aud-wait", "first") == ["e2e-first", "e2e-second"]
        shown(host.page, "e2e-first")
    assert viewed.value.status == 202  # the server knows it was seen
    # seen a survey today: the second waits 30 days; the first, seen but not answered, is
    # still due (its own frequency decides), though not on this page
    assert visit(host, "aud-wait", "second") == ["e2e-first"]
    host.wait_ready()
    assert host.page.locator("refiner-survey").count() == 0


def test_without_a_survey_seen_the_second_is_shown(host: HostPage, projects: None) -> None:
    assert visit(host, "aud-wait", "second") == ["e2e-first", "e2e-second"]
    shown(host.page, "e2e-second")


def test_a_closed_survey_is_not_shown(host: HostPage, projects: None, db_path: Path) -> None:
    assert visit(host, "aud-closed", "closed") == ["e2e-open"]
    host.wait_ready()
    assert host.page.locator("refiner-survey").count() == 0
    assert visit(host, "aud-closed", "open") == ["e2e-open"]
    shown(host.page, "e2e-open")
