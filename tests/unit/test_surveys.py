import json

import pytest

from refiner_web.client import Client
from tests.unit.twin import View

NPS = {"id": "nps", "questions": [{"id": "score", "type": "nps"}], "trigger": {"type": "manual"}}
CSAT = {"id": "csat", "questions": [{"id": "c", "type": "csat"}], "trigger": {"type": "manual"}}
WELCOME = {
    "id": "hi",
    "questions": [{"id": "s", "type": "statement"}],
    "trigger": {"type": "immediate"},
}


@pytest.fixture
def calls():
    return []


@pytest.fixture
def boot(platform, calls):
    """A booted client whose ping serves `forms`; callbacks record into `calls`."""
    View.opened = []

    def make(*commands, forms=(NPS, CSAT), answer=None):
        def respond(method, url, body):
            if url.endswith("/ping"):
                return 200, json.dumps({"forms": list(forms), "ping_interval_s": 300}), 0
            if answer is not None:
                return answer(method, url, body)
            return 202, "{}", 0

        platform.answer = respond
        client = Client(platform, "http://api.test", View)
        client.dispatch(["setProject", "P"])
        for name in (
            "onBeforeShow",
            "onNavigation",
            "onShow",
            "onClose",
            "onDismiss",
            "onComplete",
        ):
            client.dispatch([name, lambda *args, name=name: calls.append((name,) + args[:2])])
        for command in commands:
            client.dispatch(list(command))
        client.finish_boot()
        platform.run()
        return client

    return make


def shown_ids():
    return [view.form_id for view in View.opened]


def test_show_form_waits_for_the_first_ping_then_shows(boot, platform, calls):
    boot(("showForm", "nps"))
    assert shown_ids() == ["nps"]
    assert [c[0] for c in calls] == ["onBeforeShow", "onShow", "onNavigation"]
    assert calls[0][2] == NPS  # onBeforeShow(formId, formConfig, ...)
    views = platform.posted("/views")
    assert [v["form_id"] for v in views] == ["nps"] and views[0]["shown_at"].endswith("Z")


def test_one_survey_at_a_time(boot, calls):
    client = boot(("showForm", "nps"), ("showForm", "csat"))
    assert shown_ids() == ["nps"]
    client.dispatch(["closeForm", "nps"])
    assert shown_ids() == ["nps", "csat"]
    assert ("onClose", "nps") in calls


def test_completed_survey_is_refused_unless_forced(boot, platform, calls):
    client = boot(("addToResponse", {"plan": "pro"}), ("showForm", "nps"))
    view = View.opened[0]
    view.hooks.answered({"score": 9}, False)
    view.hooks.answered({"score": 9}, True)
    view.close()
    platform.run()
    responses = platform.posted("/responses/" + view.hooks.response_id)
    assert responses[-1]["completed"] is True and responses[-1]["answers"] == {"score": 9}
    assert responses[-1]["data"] == {"plan": "pro"}
    assert ("onComplete", "nps", {"plan": "pro", "score": 9}) in calls
    client.dispatch(["showForm", "nps"])
    assert shown_ids() == ["nps"]
    assert platform.warnings[-1] == "[refiner] showForm: survey nps not shown: already completed"
    client.dispatch(["showForm", "nps", True])
    assert shown_ids() == ["nps", "nps"]


def test_dismiss_form_records_and_closes_and_close_form_tells_nobody(boot, platform, calls):
    client = boot(("showForm", "nps"))
    client.dispatch(["dismissForm", "nps"])
    platform.run()
    assert [d["form_id"] for d in platform.posted("/dismissals")] == ["nps"]
    assert [c[0] for c in calls][-2:] == ["onDismiss", "onClose"]
    client.dispatch(["showForm", "nps"])
    assert platform.warnings[-1].endswith("already dismissed")
    client.dispatch(["showForm", "csat"])
    platform.run()
    before = len(platform.requests)
    client.dispatch(["closeForm", "csat"])
    platform.run()
    assert [m for m, url, b in platform.requests[before:]] == []
    assert calls[-1] == ("onClose", "csat")


def test_user_dismissal_through_the_view(boot, platform, calls):
    boot(("showForm", "csat"))
    View.opened[0].hooks.dismissed()
    platform.run()
    assert [d["form_id"] for d in platform.posted("/dismissals")] == ["csat"]
    assert not View.opened[0].is_open


def test_on_before_show_false_cancels_and_the_queue_goes_on(boot, platform, calls):
    client = boot()
    client.dispatch(["onBeforeShow", lambda form_id, config: form_id != "nps" or False])
    client.dispatch(["showForm", "nps"])
    client.dispatch(["showForm", "csat"])
    assert shown_ids() == ["csat"]
    assert "onBeforeShow returned false" in platform.warnings[0]


def test_on_before_show_with_next_decides_later(boot):
    client = boot()
    later = []
    client.dispatch(["onBeforeShow", lambda form_id, config, next: later.append(next)])
    client.dispatch(["showForm", "nps"])
    assert shown_ids() == []
    later[0]()
    later[0]()  # a second call changes nothing
    assert shown_ids() == ["nps"]


def test_unknown_survey_warns(boot, platform):
    client = boot()
    client.dispatch(["showForm", "nope"])
    assert platform.warnings == [
        "[refiner] showForm: survey nope is not live or not served to this user"
    ]


def test_forced_survey_outside_the_ping_is_fetched(boot, platform):
    extra = {"id": "extra", "questions": [{"id": "q", "type": "text"}]}

    def answer(method, url, body):
        if url.endswith("/forms/extra"):
            return 200, json.dumps(extra), 0
        return (
            (404, '{"error": {"code": "not_found", "message": "no"}}', 0)
            if "/forms/" in url
            else (202, "{}", 0)
        )

    client = boot(answer=answer)
    client.dispatch(["showForm", "extra", True])
    platform.run()
    assert shown_ids() == ["extra"]
    client.dispatch(["closeForm", "extra"])
    client.dispatch(["showForm", "gone", True])
    platform.run()
    assert platform.warnings[-1].endswith("survey gone is not live or not served to this user")


def test_the_forced_fetch_carries_the_signed_identity(boot, platform):
    """A verified project serves a survey only to a signed user: the fetch is a POST with
    the identity every write carries."""
    fetched = []

    def answer(method, url, body):
        if "/forms/" in url:
            fetched.append((method, body))
            return 200, json.dumps({"id": "extra", "questions": [{"id": "q", "type": "text"}]}), 0
        return 200, "{}", 0

    client = boot(answer=answer)
    user = {"id": "u1", "account": {"id": "acme"}}
    client.dispatch(["identifyUser", user, {"signature": "ab" * 32}])
    client.dispatch(["showForm", "extra", True])
    platform.run()
    ((method, body),) = fetched
    assert method == "POST"
    assert (body["user_id"], body["account_id"], body["signature"]) == ("u1", "acme", "ab" * 32)
    assert body["anonymous_id"] == client.identity.anonymous_id


def test_a_forced_survey_refused_for_the_origin_says_so_not_that_it_is_not_live(boot, platform):
    refusal = '{"error": {"code": "origin_not_allowed", "message": "origin x is not allowed"}}'
    client = boot(
        answer=lambda m, url, b: (403, refusal, 0) if "/forms/" in url else (200, "{}", 0)
    )
    client.dispatch(["showForm", "extra", True])
    platform.run()
    client.dispatch(["showForm", "other", True])
    platform.run()
    assert shown_ids() == []
    assert len(platform.warnings) == 1
    assert "origin is not in project" in platform.warnings[0]
    assert "showForm" in platform.warnings[0]


def test_a_ping_answering_while_a_forced_survey_is_fetched_does_not_drop_it(boot, platform):
    extra = {"id": "extra", "questions": [{"id": "q", "type": "text"}]}
    client = boot(answer=lambda m, url, b: (200, json.dumps(extra), 0))
    client.dispatch(["showForm", "extra", True])  # the fetch is spawned, not yet answered
    client.pinger.take_answer(json.dumps({"forms": [NPS]}))  # e.g. after identifyUser
    assert platform.warnings == []
    platform.run()
    assert shown_ids() == ["extra"]


def test_show_form_after_stop_pinging_still_works(boot, platform):
    boot(
        ("stopPinging",), ("showForm", "csat"), answer=lambda m, url, b: (200, json.dumps(CSAT), 0)
    )
    assert platform.posted("/ping") == []
    assert shown_ids() == ["csat"]


def test_immediate_trigger_shows_once_per_page(boot, platform):
    client = boot(forms=(WELCOME, NPS))
    assert shown_ids() == ["hi"]
    client.dispatch(["closeForm", "hi"])
    client.pinger.take_answer(json.dumps({"forms": [WELCOME]}))
    assert shown_ids() == ["hi"]


def test_throwing_callback_does_not_stop_the_survey(boot, platform):
    client = boot()

    def broken(form_id):
        raise RuntimeError("page bug")

    client.dispatch(["onShow", broken])
    client.dispatch(["showForm", "nps"])
    platform.run()
    assert shown_ids() == ["nps"]
    assert len(platform.posted("/views")) == 1
    assert "page bug" in platform.warnings[0]


def test_on_before_show_with_next_can_still_return_false(boot, platform):
    """The reference's own example declares `next` and returns false for one survey."""
    client = boot()
    later = []

    def before(form_id, config, next):
        if form_id == "nps":
            later.append(next)
            return False
        next()

    client.dispatch(["onBeforeShow", before])
    client.dispatch(["showForm", "nps"])
    client.dispatch(["showForm", "csat"])
    later[0]()
    assert shown_ids() == ["csat"]
    assert "onBeforeShow returned false" in platform.warnings[0]


def test_on_before_show_that_raises_still_shows(boot, platform):
    client = boot()

    def before(form_id, config, next):
        raise RuntimeError("oops")

    client.dispatch(["onBeforeShow", before])
    client.dispatch(["showForm", "nps"])
    assert shown_ids() == ["nps"]


def test_a_forced_survey_is_fetched_again_after_each_ping(boot, platform):
    """Each ping replaces the served list: a forced survey not in hand is asked for again,
    every time, rather than refused as "not live"."""
    extra = {"id": "extra", "questions": [{"id": "q", "type": "text"}]}
    client = boot(answer=lambda m, url, b: (200, json.dumps(extra), 0))
    for _ in range(3):
        client.dispatch(["showForm", "extra", True])
        platform.run()
        client.dispatch(["closeForm", "extra"])
        client.pinger.take_answer(json.dumps({"forms": [NPS]}))  # e.g. after identifyUser
    assert shown_ids() == ["extra", "extra", "extra"]
    assert len([url for m, url, b in platform.requests if url.endswith("/forms/extra")]) == 3
    assert platform.warnings == []


def test_a_failed_fetch_says_so_not_that_the_survey_is_not_live(boot, platform):
    def answer(method, url, body):
        return (503, "{}", 0) if "/forms/" in url else (202, "{}", 0)

    client = boot(answer=answer)
    client.dispatch(["showForm", "extra", True])
    platform.run()
    assert platform.warnings == [
        "[refiner] showForm: survey extra not shown: could not be loaded from the server (503)"
    ]


def test_a_survey_no_longer_served_is_refused_for_what_the_user_did(boot, platform):
    """The server stops serving a survey once it is completed or dismissed; the refusal
    names that, not "not live", after any later ping."""
    client = boot(("showForm", "nps"))
    client.dispatch(["dismissForm", "nps"])
    client.pinger.take_answer(json.dumps({"forms": [CSAT]}))
    client.dispatch(["showForm", "nps"])
    client.dispatch(["showForm", "csat"])
    View.opened[-1].hooks.answered({"c": 4}, True)
    client.dispatch(["closeForm", "csat"])
    client.pinger.take_answer(json.dumps({"forms": []}))
    client.dispatch(["showForm", "csat"])
    assert platform.warnings == [
        "[refiner] showForm: survey nps not shown: already dismissed",
        "[refiner] showForm: survey csat not shown: already completed",
    ]


def test_a_held_survey_warns_once_and_never_blocks_the_others(boot, platform):
    """onBeforeShow declares `next` and holds one survey: the others show in turn, one
    warning tells the page what to do, and the held one shows when next() comes."""
    from refiner_web.surveys import HOLD_WARN_MS

    client = boot()
    later = []

    def before(form_id, config, next):
        if form_id == "nps":
            later.append(next)
        else:
            next()

    client.dispatch(["onBeforeShow", before])
    client.dispatch(["showForm", "nps"])
    client.dispatch(["showForm", "csat"])
    assert shown_ids() == ["csat"]
    client.dispatch(["showForm", "nps"])  # still held: not asked twice
    assert platform.warnings == ["[refiner] showForm: survey nps is already showing or waiting"]
    platform.run(until_ms=platform.clock + HOLD_WARN_MS - 1)
    assert len(platform.warnings) == 1
    platform.run(until_ms=platform.clock + 1)
    platform.run(until_ms=platform.clock + 10 * HOLD_WARN_MS)
    assert platform.warnings[1:] == [
        "[refiner] onBeforeShow: survey nps is held: the callback declares `next` and has not "
        "called it after 5 s; call next() to show the survey, or return false to cancel it"
    ]
    later[0]()  # csat is on screen: nps goes next
    assert shown_ids() == ["csat"]
    client.dispatch(["closeForm", "csat"])
    assert shown_ids() == ["csat", "nps"]
    assert len(later) == 1  # onBeforeShow was not asked again


def test_a_held_survey_closed_by_the_page_ignores_its_late_next(boot, platform):
    from refiner_web.surveys import HOLD_WARN_MS

    client = boot()
    later = []
    client.dispatch(["onBeforeShow", lambda form_id, config, next: later.append(next)])
    client.dispatch(["showForm", "nps"])
    client.dispatch(["closeForm", "nps"])
    platform.run(until_ms=platform.clock + 2 * HOLD_WARN_MS)
    later[0]()
    assert shown_ids() == [] and platform.warnings == []
