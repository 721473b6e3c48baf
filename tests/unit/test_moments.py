"""Triggers wired into the client: what fires when, on route changes, events and scroll."""

import json

import pytest

from refiner_web.client import Client
from tests.unit.twin import View

PAGES = {"include": [{"match": "starts_with", "value": "/app/settings"}]}
ON_PAGE = {
    "id": "on-page",
    "questions": [{"id": "q", "type": "nps"}],
    "trigger": {"type": "page", "pages": PAGES, "delay_s": 5},
}
ON_EVENT = {
    "id": "on-event",
    "questions": [{"id": "q", "type": "nps"}],
    "trigger": {"type": "event", "event": "Upgraded"},
}
ON_SCROLL = {
    "id": "on-scroll",
    "questions": [{"id": "q", "type": "nps"}],
    "trigger": {"type": "scroll", "percent": 50},
}


@pytest.fixture
def start(platform):
    View.opened = []

    def make(forms, *commands):
        platform.answer = lambda m, url, b: (
            (200, json.dumps({"forms": forms}), 0) if url.endswith("/ping") else (202, "{}", 0)
        )
        client = Client(platform, "http://api.test", View)
        client.dispatch(["setProject", "P"])
        for command in commands:
            client.dispatch(list(command))
        client.finish_boot()
        return client

    return make


def shown():
    return [view.form_id for view in View.opened]


def test_page_trigger_waits_its_delay_on_the_right_route_only(start, platform):
    start([ON_PAGE])
    platform.run(until_ms=platform.clock + 10_000)
    assert shown() == []  # /app is not /app/settings
    platform.url = "https://host.example/app/settings/profile"
    platform.route_changed()
    platform.run(until_ms=platform.clock + 4_000)
    assert shown() == []
    platform.run(until_ms=platform.clock + 1_001)
    assert shown() == ["on-page"]


def test_leaving_the_page_cancels_a_pending_delay(start, platform):
    start([ON_PAGE])
    platform.run()
    platform.url = "https://host.example/app/settings"
    platform.route_changed()
    platform.run(until_ms=platform.clock + 3_000)
    platform.url = "https://host.example/app/billing"
    platform.route_changed()
    platform.run(until_ms=platform.clock + 60_000)
    assert shown() == []


def test_event_trigger_fires_on_track_event_also_before_the_ping_answered(start, platform):
    start([ON_EVENT], ("trackEvent", "Upgraded"))
    platform.run()
    assert shown() == ["on-event"]


def test_event_trigger_ignores_other_events(start, platform):
    client = start([ON_EVENT])
    platform.run()
    client.dispatch(["trackEvent", "Downgraded"])
    platform.run()
    assert shown() == []
    client.dispatch(["trackEvent", "Upgraded"])
    platform.run()
    assert shown() == ["on-event"]


def test_scroll_trigger_watches_only_when_needed(start, platform):
    start([ON_EVENT])
    platform.run()
    assert platform.scrolled is None  # no scroll survey, no listener
    platform.answer = lambda m, url, b: (200, json.dumps({"forms": [ON_SCROLL]}), 0)
    client = start([ON_SCROLL])
    platform.run()
    platform.scrolled(30)
    platform.run()
    assert shown() == []
    platform.scrolled(55)
    platform.run()
    assert shown() == ["on-scroll"]
    assert client.moments.watching == ["scroll"]


def test_session_start_survives_reload_within_an_hour(start, platform):
    first = start([])
    session = first.moments.session["start"]
    platform.clock += 30 * 60_000
    assert start([]).moments.session["start"] == session
    platform.clock += 61 * 60_000
    assert start([]).moments.session["start"] == platform.clock


def test_first_seen_is_the_servers_when_earlier(start, platform):
    platform.answer = lambda m, url, b: (
        200,
        json.dumps({"forms": [], "contact": {"first_seen_at": "2020-01-01T00:00:00Z"}}),
        0,
    )
    client = Client(platform, "http://api.test", View)
    client.dispatch(["setProject", "P"])
    client.finish_boot()
    platform.run()
    assert client.moments.first_seen_ms == 1577836800000
    client.pinger.take_answer(
        json.dumps({"forms": [], "contact": {"first_seen_at": "2030-01-01T00:00:00Z"}})
    )
    client.pinger.take_answer(json.dumps({"forms": [], "contact": {"first_seen_at": 5}}))
    assert client.moments.first_seen_ms == 1577836800000
