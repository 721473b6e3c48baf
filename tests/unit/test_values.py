"""The shared value rules (refiner_web.values) and the client applying them at the call."""

from hypothesis import given
from hypothesis import strategies as st

from refiner_web.client import Client
from refiner_web.jsvalues import LONG
from refiner_web.values import (
    MAX_FIELDS,
    MAX_FIELDS_TEXT,
    MAX_TEXT,
    has_lone_surrogate,
    storable,
    text_fault,
)
from tests.unit.twin import FakePlatform, View


def test_text_rules() -> None:
    assert text_fault("plain é \U0001f600", 255) is None
    assert "NUL" in text_fault("a\x00b", 255)
    assert "surrogate" in text_fault("\U0001f600"[:1] + "\ud83d", 255)
    assert "255" in text_fault("x" * 256, 255)
    # MicroPython keeps a decoded `\ud800` as the bytes ED A0 80; valid UTF-8 never has them
    assert has_lone_surrogate("\udfff") and not has_lone_surrogate("\ud7ff\ue000\U0010ffff")


def client() -> tuple:
    platform = FakePlatform()
    web = Client(platform, "http://127.0.0.1", View)
    web.dispatch(["setProject", "p1"])
    return web, platform


def test_hidden_fields_are_bounded_over_every_call() -> None:
    """Issue 13, item 8: six calls of 100 fields queued 600 against the server's limit."""
    web, platform = client()
    for call in range(6):
        web.dispatch(["addToResponse", {"c%d_%d" % (call, i): i for i in range(100)}])
    assert len(web.hidden_fields()) == MAX_FIELDS
    # one warning a call, not one a field: 1,000 console lines froze MicroPython for 0.5 s
    assert platform.warnings == [
        "[refiner] addToResponse: field c%d_0 and 99 more dropped: at most %d fields"
        % (call, MAX_FIELDS)
        for call in range(1, 6)
    ]
    web.dispatch(["addToResponse", {"c0_0": "replaced"}])  # a known name still takes a value
    assert web.hidden_fields()["c0_0"] == "replaced" and len(platform.warnings) == 5


def test_hidden_fields_hold_a_total_of_text_and_what_fits_is_kept() -> None:
    """Names and string values count against MAX_FIELDS_TEXT over every call; a field
    that would pass it is dropped with one warning, a smaller one after it still fits, and
    a value replaced counts only once."""
    web, platform = client()
    big = "x" * (MAX_TEXT - 2)  # 4,096 characters with its name
    web.dispatch(["addToResponse", {"a1": big, "a2": big}])
    web.dispatch(["addToResponse", {"a3": big, "b": "y" * 100, "a1": big}])
    assert list(web.hidden_fields()) == ["a1", "a2", "b"]
    assert platform.warnings == [
        "[refiner] addToResponse: field a3 dropped: fields hold at most %d characters in all"
        % MAX_FIELDS_TEXT
    ]
    rest = MAX_FIELDS_TEXT - 2 * MAX_TEXT - 101 - 2
    web.dispatch(["addToResponse", {"c": "z" * rest, "d": 1, "e": 1}])  # exactly full, then e
    assert list(web.hidden_fields())[3:] == ["c", "d"] and len(platform.warnings) == 2


def test_unstorable_values_are_refused_at_the_call() -> None:
    web, platform = client()
    web.dispatch(["addToResponse", {"ok": 1, "nul\x00": 1, "half": "\U0001f600"[:1] + "\ud83d"}])
    web.dispatch(["identifyUser", {"id": "u", "plan": "pro", "note": "a\x00"}])
    assert web.hidden_fields() == {"ok": 1}
    assert [key for key, _ in web.identity.user["traits"]] == ["plan"]
    web.dispatch(["identifyUser", {"id": "\ud800"}])
    web.dispatch(["trackEvent", "a\x00b"])
    assert web.identity.user["id"] == "u"
    assert platform.warnings == [
        "[refiner] addToResponse: field nul\ufffd dropped: text cannot hold a NUL character",
        "[refiner] addToResponse: field half dropped: text cannot hold a lone surrogate"
        " (half of an emoji cut in two)",
        "[refiner] identifyUser: trait note dropped: text cannot hold a NUL character",
        "[refiner] identifyUser: id: text cannot hold a lone surrogate (half of an emoji cut"
        " in two)",
        "[refiner] trackEvent: the event name: text cannot hold a NUL character",
    ]


def test_a_string_too_long_to_copy_breaks_the_length_rule() -> None:
    """The loader sends a marker for a string over MAX_TEXT characters (jsvalues.LONG): as a
    trait, a hidden field, an email or a signature it is refused by its length, not with
    "must be a string"."""
    web, platform = client()
    web.dispatch(["addToResponse", {"note": LONG, "ok": "x"}])
    web.dispatch(["identifyUser", {"id": "u", "email": LONG, "plan": LONG}, {"signature": LONG}])
    web.dispatch(["identifyUser", {"id": "u", "account": {"id": "a", "seats": LONG}}])
    assert web.hidden_fields() == {"ok": "x"} and web.identity.user["traits"] == []
    assert platform.warnings == [
        "[refiner] addToResponse: field note dropped: strings are at most %d characters" % MAX_TEXT,
        "[refiner] identifyUser: email ignored: strings are at most 255 characters",
        "[refiner] identifyUser: signature ignored: strings are at most 128 characters",
        "[refiner] identifyUser: trait plan dropped: strings are at most 255 characters",
        "[refiner] identifyUser: account trait seats dropped: strings are at most 255 characters",
    ]


def test_one_call_costs_at_most_ten_console_lines() -> None:
    """997 refused traits were 997 console lines: with the developer tools open, a second of
    frozen page (bench/security.py). The first ten name their rule; one line counts the rest."""
    web, platform = client()
    web.dispatch(["identifyUser", {"id": "u", **{"t%03d" % i: "\x00" for i in range(30)}}])
    assert len(platform.warnings) == 11
    assert all("dropped: text cannot hold a NUL" in w for w in platform.warnings[:10])
    assert platform.warnings[10] == "[refiner] identifyUser: 20 more warnings not shown"


def test_the_loader_reads_by_the_same_limits_and_project_rule() -> None:
    """static/refiner.js copies no more of a call than values.py says, and pings early
    only for a project id that commands.parse_project takes (one rule in two languages)."""
    import re
    from pathlib import Path

    from refiner_web import values
    from refiner_web.commands import KEY_CHARS, MAX_KEY, CommandError, parse_project

    loader = (Path(__file__).parents[2] / "static" / "refiner.js").read_text()
    for name in ("MAX_TEXT", "MAX_NODES", "MAX_CALL_CHARS"):
        assert "var %s = %d;" % (name, getattr(values, name)) in loader
    rule = re.search(r"var PROJECT_ID = /(.*)/;", loader).group(1)
    assert rule == "^[A-Za-z0-9_-]{1,%d}$" % MAX_KEY
    for project in ["a", "A-z_9", "x" * 64, "x" * 65, "", "../x", "a b", "é", "a?x=", *KEY_CHARS]:
        try:
            parse_project([project], lambda _: None)
            python = True
        except CommandError:
            python = False
        assert bool(re.match(rule.replace("$", r"\Z"), project)) == python, project
    assert 'encodeURIComponent(project) + "/ping"' in loader


def test_page_fields_are_made_storable() -> None:
    """A page's title (or URL) is what the page holds, not what a caller passed: it is cut
    and cleaned, never refused (a NUL in a title made every ping from that page fail)."""
    emoji = "\U0001f600"
    assert storable("a" + emoji * 2000, 2048) == "a" + emoji * 1023  # the pair is not cut
    assert storable(emoji * 1024, 2048) == emoji * 1024
    assert storable("t\x00\ud83dx\ude00", 2048) == "t\ufffd\ufffdx\ufffd"
    assert storable("plain", 2048) == "plain"


@given(st.text(max_size=40), st.integers(1, 12))
def test_storable_text_is_always_storable(text: str, most: int) -> None:
    kept = storable(text, most)
    assert text_fault(kept, most) is None
    assert sum(2 if ord(c) > 0xFFFF else 1 for c in kept) <= most
    assert kept == storable(kept, most)  # the loader's cut, cut again, stays as it is
