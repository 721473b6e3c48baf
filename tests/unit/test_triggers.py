"""Page rules and the trigger state machine of `refiner_web.triggers` (pure, CPython)."""

import re

from hypothesis import given
from hypothesis import strategies as st

from refiner_web.triggers import (
    MAX_REGEX,
    MAX_REGEX_TEXT,
    SESSION_GAP_MS,
    Triggers,
    audience_entered,
    page_matches,
    regex_fault,
    rule_matches,
    session_start,
    url_path,
    wildcard_match,
)

URL = "https://shop.example/app/settings?tab=billing#top"


def reference_wildcard(pattern: str, text: str) -> bool:
    """fnmatch-like translation with only `*` special."""
    regex = ".*".join(re.escape(p) for p in pattern.split("*"))
    return re.fullmatch(regex, text, re.DOTALL) is not None


ALPHABET = st.sampled_from(list("ab/-.*"))


@given(st.text(ALPHABET, max_size=10), st.text(st.sampled_from(list("ab/-.")), max_size=14))
def test_wildcard_agrees_with_reference(pattern, text):
    assert wildcard_match(pattern, text) == reference_wildcard(pattern, text)


@given(st.text(st.sampled_from(list("ab/*")), max_size=8))
def test_wildcard_pattern_matches_its_own_expansion(pattern):
    assert wildcard_match(pattern, pattern.replace("*", "xyz/"))


def test_url_path():
    assert url_path(URL) == "/app/settings"
    assert url_path("https://x.io") == "/"
    assert url_path("https://x.io?a=/b") == "/"
    assert url_path("https://x.io#/route") == "/"
    assert url_path("/bare/path?q=1") == "/bare/path"


def rule(match, value, on=None):
    r = {"match": match, "value": value}
    if on:
        r["on"] = on
    return r


def test_each_match_kind_on_path_and_url():
    assert rule_matches(rule("equals", "/app/settings"), URL)
    assert rule_matches(rule("equals", "/app/settings/"), URL)  # a trailing slash is the same
    assert not rule_matches(rule("equals", "/app"), URL)
    assert rule_matches(rule("equals", URL, "url"), URL)
    assert not rule_matches(rule("equals", URL + "x", "url"), URL)
    assert rule_matches(rule("starts_with", "/app"), URL)
    assert not rule_matches(rule("starts_with", "https"), URL)
    assert rule_matches(rule("starts_with", "https://shop.", "url"), URL)
    assert rule_matches(rule("contains", "settings"), URL)
    assert not rule_matches(rule("contains", "billing"), URL)  # the query is not the path
    assert rule_matches(rule("contains", "billing", "url"), URL)
    assert rule_matches(rule("pattern", "/app/*"), URL)
    assert rule_matches(rule("pattern", "*/settings"), URL)
    assert not rule_matches(rule("pattern", "/app"), URL)
    assert rule_matches(rule("pattern", "*tab=*", "url"), URL)
    assert rule_matches(rule("regex", "^/app/(settings|profile)$"), URL)
    assert not rule_matches(rule("regex", "^/settings"), URL)


def test_regex_dialect_keeps_matching_fast():
    """Issue 13, item 12: `\\?(a+)+$` (accepted before) backtracks exponentially in the URL's
    length; outside the dialect a regex matches nothing, and a URL is matched on its first
    MAX_REGEX_TEXT characters."""
    assert regex_fault(r"\?(a+)+$") and regex_fault("(a|aa)*$") and regex_fault(r"(a)\1")
    assert regex_fault(".*a.*b") and regex_fault("x" * (MAX_REGEX + 1))
    for fine in (r"^/app/(settings|profile)$", r"^/p/\d+/edit.*$", r"[(*+)]+", "/app/.*"):
        assert regex_fault(fine) is None, fine
    assert not rule_matches(rule("regex", r"\?(a+)+$", "url"), "https://x.test/?" + "a" * 28 + "!")
    long_url = "https://x.test/" + "a" * MAX_REGEX_TEXT + "/settings"
    assert not rule_matches(rule("regex", "settings", "url"), long_url)
    assert rule_matches(rule("regex", "aaaa", "url"), long_url)


def test_bad_regex_and_bad_rules_match_nothing():
    assert not rule_matches(rule("regex", "(unclosed"), URL)
    assert not rule_matches(rule("regex", "(unclosed"), URL)  # cached as broken
    assert not rule_matches(rule("nonsense", "/app"), URL)
    assert not rule_matches({"match": "equals", "value": 3}, URL)


def test_exclude_wins_and_empty_include_is_everywhere():
    assert page_matches({}, URL)
    assert page_matches({"include": []}, URL)
    assert page_matches({"exclude": [rule("equals", "/home")]}, URL)
    both = {"include": [rule("starts_with", "/app")], "exclude": [rule("contains", "settings")]}
    assert not page_matches(both, URL)
    assert not page_matches({"include": [rule("starts_with", "/blog")]}, URL)
    assert page_matches({"include": [rule("equals", "/x"), rule("starts_with", "/app")]}, URL)


def test_session_start_and_audience_entered():
    assert session_start(None, None, 5000) == 5000
    assert session_start(1000, 2000, 2000 + SESSION_GAP_MS - 1) == 1000
    assert session_start(1000, 2000, 2000 + SESSION_GAP_MS) == 2000 + SESSION_GAP_MS
    assert audience_entered({"a": 1, "gone": 2}, ["a", "b"], 9) == {"a": 1, "b": 9}


# -- the state machine ---------------------------------------------------------------------


def form(form_id, **trigger):
    return {"id": form_id, "trigger": trigger}


def ctx(now, url="https://x.io/app", **more):
    return dict({"now_ms": now, "url": url}, **more)


def test_immediate_fires_once_per_page_load_and_manual_never():
    forms = [form("i", type="immediate"), form("m", type="manual"), {"id": "none"}]
    t = Triggers(0)
    assert t.due(forms, ctx(100)) == (["i"], None, [])
    assert t.due(forms, ctx(200)) == ([], None, [])
    assert t.due(forms, ctx(300, url="https://x.io/other")) == ([], None, [])


def test_page_delay_counts_time_on_page_from_load():
    pages = {"include": [rule("starts_with", "/app")]}
    forms = [form("p", type="page", pages=pages, delay_s=2)]
    t = Triggers(1000)
    assert t.due(forms, ctx(1300)) == ([], 3000, [])  # the ping came back 300 ms in
    assert t.due(forms, ctx(2999)) == ([], 3000, [])
    assert t.due(forms, ctx(3000)) == (["p"], None, [])
    assert t.due(forms, ctx(9000)) == ([], None, [])


def test_route_change_cancels_a_pending_delay_and_a_return_starts_it_afresh():
    pages = {"include": [rule("starts_with", "/app")]}
    forms = [form("p", type="page", pages=pages, delay_s=2)]
    t = Triggers(0)
    assert t.due(forms, ctx(500)) == ([], 2000, [])
    assert t.due(forms, ctx(1500, url="https://x.io/pricing")) == ([], None, ["p"])
    assert t.due(forms, ctx(2500, url="https://x.io/pricing")) == ([], None, [])
    assert t.due(forms, ctx(3000, url="https://x.io/app/new")) == ([], 5000, [])
    # a route change inside the matching pages keeps the countdown
    assert t.due(forms, ctx(4000, url="https://x.io/app/other")) == ([], 5000, [])
    assert t.due(forms, ctx(5000, url="https://x.io/app/other")) == (["p"], None, [])
    # leaving and coming back is a new page visit: it fires again (frequency permitting)
    t.due(forms, ctx(6000, url="https://x.io/"))
    assert t.due(forms, ctx(7000, url="https://x.io/app")) == ([], 9000, [])


def test_delay_from_reference_moments():
    forms = [
        form("s", type="delay", delay_s=10),
        form("f", type="delay", delay_s=60, **{"from": "first_seen"}),
        form("a", type="delay", delay_s=5, **{"from": "audience_entered"}),
    ]
    t = Triggers(100_000)
    entered = {"a": 99_000}
    c = ctx(100_000, session_start_ms=95_000, first_seen_ms=30_000, audience_entered_ms=entered)
    assert t.due(forms, c) == (["f"], 104_000, [])
    c["now_ms"] = 104_000
    assert t.due(forms, c) == (["a"], 105_000, [])
    c["now_ms"] = 105_000
    assert t.due(forms, c) == (["s"], None, [])
    # a new session is a new occasion for the session delay, not for the others
    c.update(now_ms=110_000, session_start_ms=110_000)
    assert t.due(forms, c) == ([], 120_000, [])
    # without its reference moment a delay waits
    assert Triggers(0).due(forms[2:], ctx(10)) == ([], None, [])


def test_event_fires_for_events_before_the_ping_and_on_each_new_one():
    forms = [form("e", type="event", event="saved")]
    t = Triggers(0)
    early = [["other", 5], ["saved", 10]]
    assert t.due(forms, ctx(400, events=early)) == (["e"], None, [])
    assert t.due(forms, ctx(500, events=early)) == ([], None, [])
    later = early + [["saved", 600]]
    assert t.due(forms, ctx(600, events=later)) == (["e"], None, [])


def test_event_only_counts_while_its_pages_match():
    pages = {"include": [rule("equals", "/checkout")]}
    forms = [form("e", type="event", event="paid", pages=pages)]
    t = Triggers(0)
    events = [["paid", 10]]
    assert t.due(forms, ctx(20, events=events)) == ([], None, [])
    assert t.due(forms, ctx(30, url="https://x.io/checkout", events=events)) == ([], None, [])
    events.append(["paid", 40])
    assert t.due(forms, ctx(40, url="https://x.io/checkout", events=events)) == (["e"], None, [])


def test_exit_intent_and_scroll():
    forms = [form("x", type="exit_intent"), form("s", type="scroll", percent=60)]
    t = Triggers(0)
    assert t.due(forms, ctx(10, scroll_percent=20)) == ([], None, [])
    assert t.due(forms, ctx(20, scroll_percent=60, exit_intent_ms=15)) == (["x", "s"], None, [])
    assert t.due(forms, ctx(30, scroll_percent=90, exit_intent_ms=15)) == ([], None, [])
    assert t.due(forms, ctx(40, scroll_percent=90, exit_intent_ms=35)) == (["x"], None, [])


def test_a_survey_no_longer_served_starts_afresh_when_it_returns():
    forms = [form("i", type="immediate")]
    t = Triggers(0)
    assert t.due(forms, ctx(1))[0] == ["i"]
    assert t.due([], ctx(2)) == ([], None, [])
    assert t.due(forms, ctx(3))[0] == ["i"]


def test_earliest_deadline_wins():
    forms = [form("a", type="page", delay_s=5), form("b", type="page", delay_s=1.5)]
    assert Triggers(0).due(forms, ctx(100)) == ([], 1500, [])
