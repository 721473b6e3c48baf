"""Showing and hiding surveys, what the server records, and the lifecycle callbacks, on both
runtimes, through the real widget and the real server."""

import json
import uuid
from pathlib import Path

import pytest

from refiner_server.cli import main as server_cli
from refiner_web.surveys import HOLD_WARN_MS
from tests.e2e.conftest import HostPage, Server
from tests.e2e.hardening import wait_in_page
from tests.e2e.test_client import anonymous_id, query, refiner_warnings, wait_for_rows

TWO_STEP = {
    "id": "e2e-two-step",
    "name": "Two steps",
    "status": "live",
    "questions": [
        {
            "id": "score",
            "type": "nps",
            "title": "How likely are you to recommend us?",
            "required": True,
        },
        {"id": "why", "type": "text", "title": "Why?"},
    ],
    "thank_you": {"title": "Thanks!", "auto_close_s": 1},
    "trigger": {"type": "manual"},
    "appearance": {"position": "bottom-right"},
}
MODAL = dict(TWO_STEP, id="e2e-modal", appearance={"position": "center"})


def wave(n: int) -> dict:
    """A survey that shows at once to a user whose trait `e2e_wave` is `n`: on screen, it
    proves the client has taken the answer of the ping that followed an identifyUser."""
    return {
        "id": f"e2e-wave-{n}",
        "name": f"Wave {n}",
        "status": "live",
        "questions": [{"id": "s", "type": "statement", "title": f"Wave {n}"}],
        "trigger": {"type": "immediate"},
        "audience": {"rules": [{"trait": "e2e_wave", "op": "eq", "value": str(n)}]},
    }


CALL_LOG = """
<script>
  window.calls = [];
  ['onBeforeShow', 'onNavigation', 'onShow', 'onClose', 'onDismiss', 'onComplete']
    .forEach(function (name) {
      // `arguments`, not named parameters: an onBeforeShow that declares `next` would
      // decide asynchronously and hold every survey until it calls next().
      _refiner(name, function () {
        var formId = arguments[0], second = arguments[1], third = arguments[2];
        var entry = [name, formId];
        if (name === 'onNavigation') entry.push(second.id, third);
        if (name === 'onBeforeShow') entry.push(second.id);
        if (name === 'onComplete') entry.push(second);
        window.calls.push(entry);
      });
    });
</script>
"""


@pytest.fixture(scope="module")
def surveys(_server_session: Server, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The test surveys, imported into the e2e database through the real CLI."""
    path = tmp_path_factory.mktemp("surveys") / "surveys.json"
    path.write_text(json.dumps([TWO_STEP, MODAL, wave(1), wave(2)]))
    assert (
        server_cli(
            ["survey", "import", str(path), "--project", "demo", "--db", _server_session.db_url]
        )
        == 0
    )


def calls(host: HostPage) -> list:
    return host.page.evaluate("window.calls")


def names(host: HostPage) -> list:
    return [entry[0] for entry in calls(host)]


def contact_rows(db_path: Path, table: str, host: HostPage, columns: str, count: int = 1) -> list:
    return wait_for_rows(
        db_path,
        f"SELECT {columns} FROM {table} t JOIN contact_anonymous_ids a "
        "ON a.contact_pk = t.contact_pk WHERE a.anonymous_id = ?",
        anonymous_id(host),
        count=count,
    )


def open_page(host: HostPage) -> None:
    host.open(after_loader=CALL_LOG)
    host.wait_ready()


def survey(host: HostPage):
    return host.page.locator("refiner-survey")


def test_answer_a_survey_from_show_to_complete(
    host: HostPage, surveys: None, db_path: Path
) -> None:
    open_page(host)
    host.page.evaluate("_refiner('addToResponse', {plan: 'pro'}); _refiner('setLocale', 'en')")
    host.page.evaluate("_refiner('showForm', 'e2e-two-step')")
    survey(host).get_by_role("radio", name="9 of 10").click()
    survey(host).get_by_role("textbox").fill("Fast & <b>simple</b>")
    partial = contact_rows(db_path, "responses", host, "t.answers, t.completed")
    assert json.loads(partial[0][0]) == {"score": 9} and partial[0][1] in (0, False)
    survey(host).get_by_role("button", name="Submit").click()
    rows = wait_for_rows(
        db_path,
        "SELECT t.answers, t.data, t.locale, t.completed FROM responses t "
        "JOIN contact_anonymous_ids a ON a.contact_pk = t.contact_pk "
        "WHERE a.anonymous_id = ? AND t.completed",
        anonymous_id(host),
    )
    answers, data, locale, _ = rows[0]
    assert json.loads(answers) == {"score": 9, "why": "Fast & <b>simple</b>"}
    assert json.loads(data) == {"plan": "pro"} and locale == "en"
    assert (
        len(
            query(
                db_path,
                "SELECT 1 FROM responses r JOIN contact_anonymous_ids a "
                "ON a.contact_pk = r.contact_pk WHERE a.anonymous_id = ?",
                anonymous_id(host),
            )
        )
        == 1
    )  # saved again, never duplicated
    survey(host).wait_for(state="detached")  # thank-you auto-closes
    assert calls(host) == [
        ["onBeforeShow", "e2e-two-step", "e2e-two-step"],
        ["onShow", "e2e-two-step"],
        ["onNavigation", "e2e-two-step", "score", 0],
        ["onNavigation", "e2e-two-step", "why", 50],
        ["onComplete", "e2e-two-step", {"plan": "pro", "score": 9, "why": "Fast & <b>simple</b>"}],
        ["onClose", "e2e-two-step"],
    ]
    assert contact_rows(db_path, "views", host, "t.form_id") == [("e2e-two-step",)]
    # completed: refused with the reason, unless forced
    before = len(refiner_warnings(host))
    host.page.evaluate("_refiner('showForm', 'e2e-two-step')")
    assert warnings_after(host, before) == [
        "[refiner] showForm: survey e2e-two-step not shown: already completed"
    ]
    assert survey(host).count() == 0
    host.page.evaluate("_refiner('showForm', 'e2e-two-step', true)")
    survey(host).get_by_role("radio", name="9 of 10").wait_for()


def test_dismiss_form_is_recorded_and_close_form_is_not(
    host: HostPage, surveys: None, db_path: Path
) -> None:
    open_page(host)
    host.page.evaluate("_refiner('showForm', 'e2e-two-step')")
    survey(host).get_by_role("radio", name="3 of 10").wait_for()
    host.page.evaluate("_refiner('closeForm', 'e2e-two-step')")
    survey(host).wait_for(state="detached")
    assert names(host)[-1] == "onClose" and "onDismiss" not in names(host)
    host.page.evaluate("_refiner('showForm', 'e2e-two-step')")  # closing is no dismissal
    survey(host).get_by_role("radio", name="3 of 10").wait_for()
    host.page.evaluate("_refiner('dismissForm', 'e2e-two-step')")
    survey(host).wait_for(state="detached")
    assert names(host)[-2:] == ["onDismiss", "onClose"]
    rows = contact_rows(db_path, "dismissals", host, "t.form_id, t.dismissed_at")
    assert [r[0] for r in rows] == ["e2e-two-step"] and rows[0][1]
    host.page.wait_for_timeout(300)
    assert len(contact_rows(db_path, "dismissals", host, "t.form_id")) == 1
    before = len(refiner_warnings(host))
    host.page.evaluate("_refiner('showForm', 'e2e-two-step')")
    assert warnings_after(host, before)[-1].endswith("not shown: already dismissed")


def test_the_close_button_is_a_dismissal(host: HostPage, surveys: None, db_path: Path) -> None:
    open_page(host)
    host.page.evaluate("_refiner('showForm', 'e2e-two-step')")
    survey(host).get_by_role("button", name="Close survey").click()
    survey(host).wait_for(state="detached")
    assert names(host)[-2:] == ["onDismiss", "onClose"]
    assert contact_rows(db_path, "dismissals", host, "t.form_id") == [("e2e-two-step",)]


def test_escape_dismisses_a_modal_and_one_survey_shows_at_a_time(
    host: HostPage, surveys: None, db_path: Path
) -> None:
    open_page(host)
    host.page.evaluate("_refiner('showForm', 'e2e-modal'); _refiner('showForm', 'e2e-two-step')")
    survey(host).get_by_role("radio", name="5 of 10").wait_for()
    assert survey(host).count() == 1
    assert survey(host).get_attribute("data-form") == "e2e-modal"
    host.page.keyboard.press("Escape")
    # the waiting survey takes its turn once the first has gone
    host.page.wait_for_function(
        "document.querySelector('refiner-survey')?.dataset.form === 'e2e-two-step'"
    )
    assert contact_rows(db_path, "dismissals", host, "t.form_id") == [("e2e-modal",)]


def test_on_before_show_false_cancels(host: HostPage, surveys: None, db_path: Path) -> None:
    open_page(host)
    host.page.evaluate(
        "_refiner('onBeforeShow', function (formId, formConfig, next) {"
        "  if (formId === 'e2e-modal') { return false; }"
        "  next();"
        "})"
    )
    before = len(refiner_warnings(host))
    host.page.evaluate("_refiner('showForm', 'e2e-modal')")
    assert warnings_after(host, before) == [
        "[refiner] showForm: survey e2e-modal not shown: onBeforeShow returned false"
    ]
    assert survey(host).count() == 0
    host.page.evaluate("_refiner('showForm', 'e2e-two-step')")
    survey(host).get_by_role("radio", name="5 of 10").wait_for()
    assert [r[0] for r in contact_rows(db_path, "views", host, "t.form_id")] == ["e2e-two-step"]


def test_on_before_show_next_decides_when(host: HostPage, surveys: None) -> None:
    open_page(host)
    host.page.evaluate(
        "_refiner('onBeforeShow', function (formId, formConfig, next) {"
        "  window.showIt = next; window.config = formConfig;"
        "})"
    )
    host.page.evaluate("_refiner('showForm', 'e2e-two-step')")
    host.page.wait_for_function("window.config")  # asked; the survey waits for next()
    assert survey(host).count() == 0
    assert host.page.evaluate("window.config.questions[0].id") == "score"
    host.page.evaluate("window.showIt()")
    survey(host).get_by_role("radio", name="5 of 10").wait_for()


def test_throwing_callbacks_never_break_the_survey(host: HostPage, surveys: None) -> None:
    open_page(host)
    host.page.evaluate(
        "_refiner('onShow', function () { throw new Error('page bug'); });"
        "_refiner('onNavigation', function () { throw new Error('page bug 2'); });"
    )
    host.page.evaluate("_refiner('showForm', 'e2e-two-step')")
    survey(host).get_by_role("radio", name="9 of 10").click()
    survey(host).get_by_role("textbox").wait_for()
    assert host.page_errors == []


def warnings_after(host: HostPage, before: int) -> list:
    """The client's warnings after the first `before`, once there is one."""
    wait_in_page(host, lambda: len(refiner_warnings(host)) > before)
    return refiner_warnings(host)[before:]


def ping_again(host: HostPage, user: str, n: int) -> None:
    """identifyUser, and wait until the client took its ping's answer (wave n shows)."""
    host.page.evaluate(f"_refiner('identifyUser', {{id: '{user}', e2e_wave: '{n}'}})")
    host.page.locator(f"refiner-survey[data-form='e2e-wave-{n}']").wait_for()
    host.page.evaluate(f"_refiner('closeForm', 'e2e-wave-{n}')")
    survey(host).wait_for(state="detached")


def test_a_survey_the_server_stopped_serving_is_forced_every_time_and_refused_for_its_reason(
    host: HostPage, surveys: None, db_path: Path
) -> None:
    """Dismissed, the survey leaves the ping's list. After each later ping, showForm names
    the dismissal (not "not live") and showForm(id, true) asks the server again."""
    user = "forced-" + uuid.uuid4().hex
    host.open(after_loader=f"<script>_refiner('identifyUser', {{id: '{user}'}})</script>")
    host.wait_ready()
    host.page.evaluate("_refiner('dismissForm', 'e2e-two-step')")
    dismissal = "SELECT d.form_id FROM dismissals d JOIN contacts c ON c.pk = d.contact_pk "
    assert wait_for_rows(db_path, dismissal + "WHERE c.user_id = ?", user) == [("e2e-two-step",)]
    for n in (1, 2):
        ping_again(host, user, n)  # a ping without the dismissed survey
        before = len(refiner_warnings(host))
        host.page.evaluate("_refiner('showForm', 'e2e-two-step')")
        assert warnings_after(host, before) == [
            "[refiner] showForm: survey e2e-two-step not shown: already dismissed"
        ]
        host.page.evaluate("_refiner('showForm', 'e2e-two-step', true)")
        survey(host).get_by_role("radio", name="7 of 10").wait_for()
        host.page.evaluate("_refiner('closeForm', 'e2e-two-step')")
        survey(host).wait_for(state="detached")
    assert len(refiner_warnings(host)) == 2
    assert host.errors() == []


HOLD_ONE = """
_refiner('onBeforeShow', function (formId, formConfig, next) {
  if (formId === 'e2e-modal') { window.showModal = next; } else { next(); }
});
"""


def test_a_survey_held_by_on_before_show_warns_once_and_blocks_no_other(
    host: HostPage, surveys: None
) -> None:
    """The reference's example declares `next` and never calls it: the page hears why,
    once, after HOLD_WARN_MS (Playwright's clock jumps over it); the other surveys show in
    turn; the held one shows when next() comes."""
    open_page(host)
    host.page.clock.install()  # after boot, which waits on performance marks
    host.page.evaluate(HOLD_ONE)
    host.page.evaluate("_refiner('showForm', 'e2e-modal'); _refiner('showForm', 'e2e-two-step')")
    host.page.locator("refiner-survey[data-form='e2e-two-step']").wait_for()
    assert [w for w in refiner_warnings(host) if "onBeforeShow" in w] == []
    before = len(refiner_warnings(host))
    host.page.clock.fast_forward(HOLD_WARN_MS + 1000)
    assert warnings_after(host, before) == [
        "[refiner] onBeforeShow: survey e2e-modal is held: the callback declares `next` and "
        "has not called it after 5 s; call next() to show the survey, or return false to "
        "cancel it"
    ]
    host.page.evaluate("window.showModal()")  # the screen is taken: it waits its turn
    host.page.evaluate("_refiner('closeForm', 'e2e-two-step')")
    host.page.locator("refiner-survey[data-form='e2e-modal']").wait_for()
    host.page.clock.fast_forward(HOLD_WARN_MS + 1000)
    assert len([w for w in refiner_warnings(host) if "onBeforeShow" in w]) == 1
    assert host.errors() == []
