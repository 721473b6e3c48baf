"""Channels in the browser, on both runtimes (docs/channels.md): a link survey answered on a
phone's width and a desktop's with its hidden fields stored and no cookie set; a one-time
link answered once, then refused; the feedback button opened by keyboard and by mouse,
answered, closed, with focus back on it, and absent where the audience excludes the person."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from refiner_server.cli import main as server_cli
from tests.e2e.conftest import READY_TIMEOUT_S, HostPage, Server, host_html

SCORE = {"id": "score", "type": "nps", "title": "How likely are you to recommend us?"}
IDEA = {"id": "idea", "type": "text", "title": "What should we improve?"}
PAGES = {"include": [{"match": "contains", "value": "feedback-e2e"}]}
BUTTON = {"label": "Feedback", "position": "right", "background": "#0a7", "pages": PAGES}


def form(form_id: str, questions: list, **extra: Any) -> dict:
    return {
        "id": form_id,
        "status": "live",
        "questions": questions,
        "thank_you": {"title": "Thank you!", "auto_close_s": 0},
        **extra,
    }


FORMS = [
    form("ch-link", [SCORE, IDEA], hidden_fields=["plan", "source"], channels={"link": "public"}),
    form("ch-invite", [IDEA], channels={"link": "one_time"}),
    # first in creation order, so the button would be its own if the audience let it be served
    form(
        "ch-excluded",
        [IDEA],
        audience={"identified_only": True},
        channels={"button": {**BUTTON, "label": "Excluded"}},
    ),
    form("ch-button", [IDEA], frequency={"repeat": "each_trigger"}, channels={"button": BUTTON}),
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SURVEY = "refiner-survey"


def import_forms(server: Server, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The channels' test surveys, imported through the real CLI (test_a11y's too)."""
    path = tmp_path_factory.mktemp("channels") / "forms.json"
    path.write_text(json.dumps(FORMS), "utf-8")
    command = ["survey", "import", str(path), "--project", "demo", "--db", server.db_url]
    assert server_cli(command) == 0


@pytest.fixture(scope="module")
def forms(_server_session: Server, tmp_path_factory: pytest.TempPathFactory) -> None:
    import_forms(_server_session, tmp_path_factory)


def stored(db_path: Path, form_id: str = "ch-link", count: int = 1) -> list:
    """(data, completed, user id) of the form's responses, in the order stored, once at
    least `count` of them are completed (or READY_TIMEOUT_S have passed)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        with sqlite3.connect(db_path) as db:
            rows = db.execute(
                "SELECT r.data, r.completed, c.user_id FROM responses r "
                "JOIN contacts c ON c.pk = r.contact_pk WHERE r.form_id = ? "
                "ORDER BY r.created_at",
                (form_id,),
            ).fetchall()
        done = [(json.loads(data), bool(completed), user) for data, completed, user in rows]
        if len([row for row in done if row[1]]) >= count or time.monotonic() > deadline:
            return done
        time.sleep(0.2)


def open_link(host: HostPage, path: str) -> Any:
    """The link page at `path` on this test's runtime; its survey's shadow root."""
    joiner = "&" if "?" in path else "?"
    host.page.goto(f"{host.base_url}{path}{joiner}runtime={host.runtime}")
    survey = host.page.locator(f"main#refiner-page > {SURVEY}")
    survey.locator(".title").wait_for()
    return survey


def answer_link_survey(survey: Any) -> None:
    survey.get_by_role("radio", name="9 of 10").click()  # a scale goes on by itself
    survey.get_by_role("textbox").fill("More keyboard shortcuts")
    survey.get_by_role("button", name="Submit").click()
    survey.get_by_role("heading", name="Thank you!").wait_for()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_link_survey_is_answered_full_page_with_its_hidden_fields(
    host: HostPage, forms: None, db_path: Path, viewport: dict
) -> None:
    host.page.set_viewport_size(viewport)
    source = "email-%s-%d" % (host.runtime, viewport["width"])
    survey = open_link(host, "/s/demo/ch-link?plan=pro&source=%s&admin=yes" % source)
    box = survey.bounding_box()
    width = viewport["width"]
    assert box["width"] <= width and box["x"] >= 0  # no sideways scroll on a phone
    if viewport is PHONE:
        assert box["width"] >= width - 24 - 20  # the width but the margins (and a scrollbar)
    else:
        assert box["width"] < width / 2
        assert abs(box["x"] + box["width"] / 2 - host.page.evaluate("innerWidth / 2")) < 12
    assert survey.locator("button.dismiss").is_hidden()  # nothing under it to go back to
    answer_link_survey(survey)
    assert survey.get_by_role("button", name="Close", exact=True).count() == 0  # the page ends here
    assert ({"plan": "pro", "source": source}, True, None) in stored(db_path)
    assert host.page.context.cookies() == []
    keys = host.page.evaluate("Object.keys(localStorage)")
    assert keys and all(key.startswith("refiner:") for key in keys)
    # a public link asks once per browser
    host.page.reload()
    host.page.get_by_text("You have already answered this survey").wait_for()
    assert host.page.locator(SURVEY).count() == 0
    assert host.errors() == []


def test_a_link_survey_takes_its_locale_from_the_query(host: HostPage, forms: None) -> None:
    survey = open_link(host, "/s/demo/ch-link?lang=de")
    assert survey.get_by_role("button", name="Weiter").count() == 1
    assert host.page.evaluate("document.documentElement.lang") == "de"


def test_a_one_time_link_answers_once_then_is_refused(
    host: HostPage, forms: None, db_path: Path, _server_session: Server, capsys
) -> None:
    user = "user-" + host.runtime
    command = ["survey", "link", "ch-invite", "--project", "demo", "--user", user]
    assert server_cli(command + ["--db", _server_session.db_url]) == 0
    path = capsys.readouterr().out.strip()
    survey = open_link(host, path)
    survey.get_by_role("textbox").fill("Send fewer emails")
    survey.get_by_role("button", name="Submit").click()
    survey.get_by_role("heading", name="Thank you!").wait_for()
    rows = [row for row in stored(db_path, form_id="ch-invite") if row[2] == user]
    assert [row[1:] for row in rows] == [(True, user)]
    response = host.page.goto(f"{host.base_url}{path}&runtime={host.runtime}")
    assert response.status == 410
    assert host.page.get_by_role("heading", name="This link has been used").count() == 1
    assert host.page.locator(SURVEY).count() == 0
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert host.page.goto(f"{host.base_url}{forged}").status == 403
    assert host.page.get_by_role("heading", name="This link is not valid").count() == 1


# -- the feedback button ---------------------------------------------------------------------

LAUNCHER = "refiner-feedback"
FOCUSED = (
    "(() => { const a = document.activeElement; return a && a.localName + '|' +"
    " (a.shadowRoot && a.shadowRoot.activeElement ? a.shadowRoot.activeElement.className"
    " : ''); })()"
)


def feedback_page(host: HostPage) -> Any:
    """A host page whose address the button's page rule matches; its button."""
    url = host.serve(
        "feedback-e2e-%s.html" % time.monotonic_ns(),
        host_html(host.runtime, "<main><h1>Host</h1><p>Some text.</p></main>"),
    )
    host.page.goto(url)
    host.wait_ready()
    button = host.page.locator(LAUNCHER).get_by_role("button", name="Feedback")
    button.wait_for()
    return button


def test_the_feedback_button_by_keyboard(host: HostPage, forms: None) -> None:
    button = feedback_page(host)
    assert host.page.locator(LAUNCHER).get_attribute("data-form") == "ch-button"
    assert host.page.locator(LAUNCHER).count() == 1  # not the excluded survey's
    assert button.get_attribute("aria-expanded") == "false"
    host.page.keyboard.press("Tab")
    assert host.page.evaluate(FOCUSED) == LAUNCHER + "|launcher"
    host.page.keyboard.press("Enter")
    survey = host.page.locator(SURVEY)
    survey.locator(".title").wait_for()
    host.page.wait_for_function("document.activeElement.localName === 'refiner-survey'")
    assert button.get_attribute("aria-expanded") == "true"
    host.page.keyboard.type("Dark mode")
    host.page.keyboard.press("Escape")  # a corner survey: closed, focus back
    host.page.wait_for_function("!document.querySelector('refiner-survey')")
    assert host.page.evaluate(FOCUSED) == LAUNCHER + "|launcher"
    assert button.get_attribute("aria-expanded") == "false"
    host.page.keyboard.press("Space")  # opens again, on demand
    survey.locator(".title").wait_for()
    assert button.get_attribute("aria-expanded") == "true"
    assert host.errors() == []


def test_the_feedback_button_by_mouse_is_answered(
    host: HostPage, forms: None, db_path: Path
) -> None:
    button = feedback_page(host)
    button.click()
    survey = host.page.locator(SURVEY)
    survey.get_by_role("textbox").fill("Clicked feedback " + host.runtime)
    survey.get_by_role("button", name="Submit").click()
    survey.get_by_role("button", name="Close", exact=True).click()
    host.page.wait_for_function("!document.querySelector('refiner-survey')")
    assert host.page.evaluate(FOCUSED) == LAUNCHER + "|launcher"
    assert button.get_attribute("aria-expanded") == "false"
    assert ({}, True, None) in stored(db_path, form_id="ch-button")
    button.click()  # each_trigger: on demand, again
    survey.locator(".title").wait_for()
    button.click()  # and the button closes what it opened
    host.page.wait_for_function("!document.querySelector('refiner-survey')")
    assert button.get_attribute("aria-expanded") == "false"
    assert host.errors() == []
