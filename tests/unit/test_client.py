import json

from hypothesis import given, settings
from hypothesis import strategies as st

from refiner_web.client import HANDLERS
from refiner_web.identity import COOKIE
from refiner_web.jsvalues import UNDEFINED, JsFunction, Opaque


def test_queued_calls_run_in_order_and_first_ping_carries_identity(platform, make_client):
    make_client(
        ("setProject", "PROJECT-ID"),
        ("trackEvent", "first"),
        ("identifyUser", {"id": "u1", "plan": "pro"}),
        ("trackEvent", "second"),
    )
    platform.run()
    pings = platform.posted("/ping")
    assert len(pings) == 1
    assert pings[0]["user"]["id"] == "u1" and pings[0]["user"]["traits"] == {"plan": "pro"}
    events = platform.posted("/events")
    assert [e["name"] for e in events] == ["first", "second"]
    assert [e["user_id"] for e in events] == [None, "u1"]
    assert all(
        url.startswith("http://api.test/api/v1/client/PROJECT-ID/")
        for _, url, _ in platform.requests
    )


def test_writes_before_set_project_wait_for_it(platform, make_client):
    client = make_client(("trackEvent", "early"))
    platform.run()
    assert platform.requests == []
    client.dispatch(["setProject", "P1"])
    platform.run()
    assert [e["name"] for e in platform.posted("/events")] == ["early"]


def test_anonymous_cookie_made_once_and_survives_reset(platform, make_client):
    client = make_client(("setProject", "P"), ("identifyUser", {"id": "u"}))
    anonymous = platform.cookies[COOKIE]
    assert len(anonymous) == 32
    client.dispatch(["resetUser"])
    assert client.identity.user is None and platform.cookies[COOKIE] == anonymous
    reloaded = make_client()
    assert reloaded.identity.anonymous_id == anonymous


def test_identified_user_survives_reload_until_reset(platform, make_client):
    make_client(("setProject", "P"), ("identifyUser", {"id": "u7", "n": 1}))
    reloaded = make_client(("setProject", "P"))
    assert reloaded.identity.user["id"] == "u7" and dict(reloaded.identity.user["traits"]) == {
        "n": 1
    }
    reloaded.dispatch(["resetUser"])
    assert make_client().identity.user is None


def test_stop_pinging_stops_background_pings_but_not_the_pages_commands(platform, make_client):
    """An identity the page hands over after stopPinging is sent, once: no pings resume."""
    client = make_client(("setProject", "P"))
    platform.run()
    assert len(platform.posted("/ping")) == 1
    client.dispatch(["stopPinging"])
    client.dispatch(["identifyUser", {"id": "u"}])
    client.dispatch(["trackEvent", "after-stop"])
    platform.run(until_ms=platform.clock + 3_600_000)
    assert [p["user"] and p["user"]["id"] for p in platform.posted("/ping")] == [None, "u"]
    assert [e["name"] for e in platform.posted("/events")] == ["after-stop"]
    client.dispatch(["resetUser"])  # tells the server nothing: the seed pairs it with stop
    platform.run(until_ms=platform.clock + 3_600_000)
    assert len(platform.posted("/ping")) == 2


def test_an_identity_handed_over_around_stop_pinging_is_sent_once(platform, make_client):
    """Queued before the client ran, or given just before stopPinging: the ping for it
    goes out, and no background ping follows."""
    for calls in (
        [("setProject", "P"), ("stopPinging",), ("identifyUser", {"id": "u"})],
        [("setProject", "P"), ("identifyUser", {"id": "u"}), ("stopPinging",)],
    ):
        platform.requests.clear()
        make_client(*calls)
        platform.run(until_ms=platform.clock + 3_600_000)
        assert [p["user"]["id"] for p in platform.posted("/ping")] == ["u"], calls
    client = make_client(("setProject", "P"))
    platform.run()
    platform.requests.clear()
    client.dispatch(["identifyUser", {"id": "v"}])
    client.dispatch(["stopPinging"])  # in the same task: the identity's ping stays
    platform.run(until_ms=platform.clock + 3_600_000)
    assert [p["user"]["id"] for p in platform.posted("/ping")] == ["v"]


def test_periodic_ping_follows_server_interval(platform, make_client):
    platform.answer = lambda m, url, b: (200, json.dumps({"forms": [], "ping_interval_s": 60}), 0)
    make_client(("setProject", "P"))
    platform.run()
    platform.run(until_ms=platform.clock + 60_000 * 3 + 1)
    assert len(platform.posted("/ping")) == 4


def test_hidden_page_stops_pings_and_hands_writes_to_keepalive(platform, make_client):
    platform.answer = lambda m, url, b: (0, "", 0)  # server unreachable
    client = make_client(("setProject", "P"), ("trackEvent", "e"))
    platform.run()
    platform.is_visible = False
    platform.hidden()
    assert [b["name"] for _, _, b in platform.exit_requests] == ["e"]
    before = len(platform.posted("/ping"))
    platform.run(until_ms=platform.clock + 3_600_000)
    assert len(platform.posted("/ping")) == before
    assert len(client.outbox.entries) == 1  # still kept until the server confirms


def test_unreachable_server_keeps_event_and_delivers_after_reload(platform, make_client):
    platform.answer = lambda m, url, b: (0, "", 0)
    make_client(("setProject", "P"), ("trackEvent", "kept"))
    platform.run(until_ms=platform.clock + 10_000)
    tries = len(platform.posted("/events"))
    assert tries >= 2  # retried with backoff
    platform.answer = lambda m, url, b: (202, "{}", 0)
    platform.requests.clear()
    make_client(("setProject", "P"))  # a reload
    platform.run()
    events = platform.posted("/events")
    assert {e["name"] for e in events} == {"kept"}
    assert len({e["event_id"] for e in events}) == 1


def test_refused_write_is_dropped_with_one_warning(platform, make_client):
    platform.answer = lambda m, url, b: (
        (422, '{"error": {"code": "invalid", "message": "name too long"}}', 0)
        if url.endswith("/events")
        else (200, "{}", 0)
    )
    client = make_client(("setProject", "P"), ("trackEvent", "e"))
    platform.run(until_ms=platform.clock + 600_000)
    assert len(platform.posted("/events")) == 1
    assert client.outbox.entries == []
    assert platform.warnings == [
        "[refiner] event: server refused (422): name too long; not retried"
    ]


ORIGIN_REFUSAL = (
    403,
    '{"error": {"code": "origin_not_allowed", "message": "origin \'https://host.example\' '
    "is not allowed for project 'P'\"}}",
    0,
)


def test_refused_origin_keeps_writes_warns_once_and_sends_them_once_allowed(platform, make_client):
    platform.answer = lambda m, url, b: ORIGIN_REFUSAL
    client = make_client(("setProject", "P"), ("trackEvent", "kept"))
    client.dispatch(["trackEvent", "kept-too"])
    platform.run(until_ms=platform.clock + 600_000)
    tries = [e["name"] for e in platform.posted("/events")]
    for name in ("kept", "kept-too"):
        assert 3 <= tries.count(name) <= 12  # retried with backoff, not hammered
    assert [e["key"].split(":")[0] for e in client.outbox.entries] == ["event", "event"]
    assert platform.warnings == [  # the ping's refusal, told once for the whole page
        "[refiner] ping: this site's origin is not in project P's allowed origins (origin "
        "'https://host.example' is not allowed for project 'P'): answers are kept and sent "
        "once it is allowed"
    ]
    platform.answer = lambda m, url, b: (202, "{}", 0)  # the owner adds the site
    platform.requests.clear()
    platform.run(until_ms=platform.clock + 300_000)
    assert sorted(e["name"] for e in platform.posted("/events")) == ["kept", "kept-too"]
    assert client.outbox.entries == [] and len(platform.warnings) == 1


def test_a_write_refused_for_its_origin_warns_once_when_the_ping_was_not(platform, make_client):
    platform.answer = lambda m, url, b: (
        ORIGIN_REFUSAL if url.endswith("/events") else (200, '{"forms": []}', 0)
    )
    client = make_client(("setProject", "P"), ("trackEvent", "e"))
    platform.run(until_ms=platform.clock + 60_000)
    assert len(platform.posted("/events")) >= 3 and len(client.outbox.entries) == 1
    assert len(platform.warnings) == 1
    assert platform.warnings[0].startswith(
        "[refiner] event: this site's origin is not in project P's allowed origins"
    )


def test_a_refused_ping_shows_nothing_and_tries_again_at_its_interval(platform, make_client):
    platform.answer = lambda m, url, b: ORIGIN_REFUSAL
    client = make_client(("setProject", "P"))
    platform.run(until_ms=platform.clock + 2 * 300_000)
    assert client.forms_known and client.forms == []
    assert len(platform.posted("/ping")) == 3 and len(platform.warnings) == 1


def test_a_ping_that_got_no_answer_is_tried_again_soon_not_at_the_interval(platform, make_client):
    """No answer (the loader's early ping given up on a loaded machine, a server down), a
    5xx or a 429: asked again with the outbox's backoff (0.5-1 s, 1-2 s, ...), so the
    page's surveys arrive seconds after the server answers, not 300 s later."""
    answers = [(0, "", 0), (503, "{}", 0), (429, "{}", 0)]
    served = (200, json.dumps({"forms": [], "ping_interval_s": 300}), 0)
    platform.answer = lambda m, url, b: answers.pop(0) if answers else served
    client = make_client(("setProject", "P"))
    platform.run(until_ms=platform.clock + 8_000)  # 1 + 2 + 4 s at most
    assert len(platform.posted("/ping")) == 4 and client.forms_known
    platform.run(until_ms=client.pinger.last_ping_ms + 299_000)  # answered: back to the interval
    assert len(platform.posted("/ping")) == 4


def test_an_identity_whose_ping_got_no_answer_is_sent_again_after_stop_pinging(
    platform, make_client
):
    answers = [(0, "", 0)]
    platform.answer = lambda m, url, b: answers.pop(0) if answers else (200, "{}", 0)
    make_client(("setProject", "P"), ("stopPinging",), ("identifyUser", {"id": "u"}))
    platform.run(until_ms=platform.clock + 3_600_000)
    assert [p["user"]["id"] for p in platform.posted("/ping")] == ["u", "u"]


def test_add_to_response_merges_and_null_clears(make_client):
    client = make_client(("addToResponse", {"a": 1, "b": "x"}), ("addToResponse", {"b": "y"}))
    assert client.hidden_fields() == {"a": 1, "b": "y"}
    client.dispatch(["addToResponse", None])
    assert client.hidden_fields() == {}


def test_set_locale_goes_into_the_ping(platform, make_client):
    make_client(("setProject", "P"), ("setLocale", "de"))
    platform.run()
    assert platform.posted("/ping")[0]["locale"] == "de"


def test_dismiss_form_records_a_dismissal_and_close_form_tells_nobody(platform, make_client):
    make_client(("setProject", "P"), ("dismissForm", "nps"), ("closeForm", "other"))
    platform.run()
    dismissals = platform.posted("/dismissals")
    assert [d["form_id"] for d in dismissals] == ["nps"]
    assert dismissals[0]["dismissed_at"].endswith("Z")
    assert len(platform.requests) == 2  # the ping and the one dismissal


def test_callbacks_register_and_null_unregisters(make_client):
    seen = []
    client = make_client(("onShow", lambda form_id: seen.append(form_id)))
    client.lifecycle.emit("onShow", ["f1"])
    client.dispatch(["onShow", None])
    client.lifecycle.emit("onShow", ["f2"])
    assert seen == ["f1"]


def test_raising_callback_is_logged_and_contained(platform, make_client):
    def broken(form_id, data):
        raise RuntimeError("boom")

    client = make_client(("onComplete", broken))
    assert client.lifecycle.emit("onComplete", ["f", {}]) == "error"
    assert "boom" in platform.warnings[0] and platform.warnings[0].startswith(
        "[refiner] onComplete"
    )


def test_unknown_command_and_bad_arguments_warn_once_each(platform, make_client):
    client = make_client()
    client.dispatch(["flyToMoon"])
    client.dispatch(["trackEvent", 42])
    client.dispatch([])
    client.dispatch([None])
    assert platform.warnings == [
        "[refiner] flyToMoon: unknown command",
        "[refiner] trackEvent: the event name must be a non-empty string, not a number",
        "[refiner] _refiner: the first argument must be a command name, not null",
        "[refiner] _refiner: the first argument must be a command name, not null",
    ]


js_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.sampled_from([UNDEFINED, Opaque("symbol"), JsFunction(None)]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(max_size=8) | st.sampled_from(["__proto__", "id", "account"]), inner, max_size=4
        )
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(HANDLERS)), st.lists(js_values, max_size=3))
def test_no_call_ever_raises(name, args):
    from refiner_web.client import Client
    from tests.unit.twin import FakePlatform, View

    platform = FakePlatform()
    client = Client(platform, "http://api.test", View)
    client.dispatch(["setProject", "P"])
    client.dispatch([name] + args)
    client.finish_boot()
    platform.run()
    client.dispatch(["trackEvent", "still-works"])
    platform.run()
    assert "still-works" in [e["name"] for e in platform.posted("/events")]
    assert not any("internal error" in w for w in platform.warnings)


def test_while_another_tab_sends_this_one_waits_and_looks_again(platform, make_client):
    platform.locks_held_elsewhere.append("refiner:outbox")
    make_client(("setProject", "P"), ("trackEvent", "queued-here"))
    platform.run(until_ms=platform.clock + 10_000)
    assert platform.posted("/events") == []  # the other tab owns sending
    platform.locks_held_elsewhere.clear()  # that tab went away without sending it
    platform.run(until_ms=platform.clock + 2_000)
    assert [e["name"] for e in platform.posted("/events")] == ["queued-here"]
