"""The survey editor's pure logic under CPython: a definition through the form and back
(`editor_form`), the structural edits (`editor_moves`), and where a fault is shown.

The round trip holds for any definition the validator takes, drawn over every part it
knows (every question type and field, jumps, thank-you, every trigger with page rules,
audience rules of each kind, frequency, schedule, appearance, translations), in the form
the validator reads: nulls and false flags mean "not given" and come back absent."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from refiner_server.client.audience import DAYS_OPS, TRAIT_OPS, VALUELESS_OPS
from refiner_server.dashboard.editor_form import definition_of, field_name, fields_of
from refiner_server.dashboard.editor_moves import TYPES, apply_move
from refiner_server.surveys.checks import DefinitionError, check_definition

#: short text that is hostile to a form: markup, quotes, JSON look-alikes, spaces, RTL
TEXT = st.one_of(
    st.text(min_size=1, max_size=8),
    st.sampled_from(
        ["<b>x</b>", '"9"', "9", "true", "null", " [1] ", "\u05e9\u05dc\u05d5\u05dd", "a&amp;b"]
    ),
)
IDS = st.text(alphabet='ab1_.-é<" ', min_size=1, max_size=5)
NUMBER = st.one_of(st.integers(0, 10**6), st.floats(0, 1e6, allow_nan=False))
SCALAR = st.one_of(TEXT, st.integers(-5, 5), st.floats(-1e3, 1e3, allow_nan=False), st.booleans())


def maybe(draw: Any, out: dict[str, Any], key: str, strategy: st.SearchStrategy) -> None:
    if draw(st.booleans()):
        out[key] = draw(strategy)


@st.composite
def questions(draw: Any, qid: str) -> dict[str, Any]:
    kind = draw(st.sampled_from(TYPES))
    q: dict[str, Any] = {"id": qid, "type": kind}
    for key in ("title", "description", "button"):
        maybe(draw, q, key, TEXT)
    maybe(draw, q, "required", st.just(True))
    if kind in ("nps", "rating", "csat", "emoji"):
        labels: dict[str, Any] = {}
        maybe(draw, labels, "low", TEXT)
        maybe(draw, labels, "high", TEXT)
        if labels:
            q["labels"] = labels
    if kind == "rating":
        maybe(draw, q, "scale", st.integers(3, 10))
        maybe(draw, q, "style", st.sampled_from(["stars", "numbers"]))
    if kind == "csat":
        maybe(draw, q, "style", st.sampled_from(["faces", "labels"]))
    if kind in ("single_choice", "multiple_choice"):
        ids = draw(
            st.lists(IDS.filter(lambda i: i != "other"), min_size=1, max_size=4, unique=True)
        )
        q["choices"] = []
        for cid in ids:
            choice = {"id": cid}
            maybe(draw, choice, "label", TEXT)
            q["choices"].append(choice)
        maybe(draw, q, "other", st.just(True))
        maybe(draw, q, "other_label", TEXT)
        if kind == "multiple_choice":
            options = len(ids) + (1 if q.get("other") else 0)
            low = draw(st.integers(0, options))
            maybe(draw, q, "min", st.just(low))
            maybe(draw, q, "max", st.integers(max(low, 1), options))
    if kind in ("text", "email"):
        maybe(draw, q, "placeholder", TEXT)
        maybe(draw, q, "max_length", st.integers(1, 2000))
    if kind == "text":
        maybe(draw, q, "multiline", st.just(True))
    if kind == "statement" and draw(st.booleans()):
        q["link"] = {
            "label": draw(TEXT),
            "url": "https://example.com/" + draw(st.sampled_from("abc")),
        }
    return q


@st.composite
def page_rules(draw: Any) -> dict[str, Any]:
    rule = {"match": draw(st.sampled_from(["equals", "starts_with", "contains", "pattern"]))}
    rule["value"] = draw(TEXT)
    maybe(draw, rule, "on", st.sampled_from(["path", "url"]))
    return rule


@st.composite
def triggers(draw: Any) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(["immediate", "page", "delay", "event", "exit_intent", "scroll", "manual"])
    )
    t: dict[str, Any] = {"type": kind}
    if kind == "delay":
        t["delay_s"] = draw(NUMBER)
        maybe(draw, t, "from", st.sampled_from(["session_start", "first_seen", "audience_entered"]))
    else:
        maybe(draw, t, "delay_s", NUMBER)
    if kind == "event":
        t["event"] = draw(TEXT)
    if kind == "scroll":
        maybe(draw, t, "percent", st.integers(0, 100))
    pages: dict[str, Any] = {}
    maybe(draw, pages, "include", st.lists(page_rules(), min_size=1, max_size=2))
    maybe(draw, pages, "exclude", st.lists(page_rules(), min_size=1, max_size=2))
    if pages:
        t["pages"] = pages
    return t


@st.composite
def audience_rules(draw: Any) -> dict[str, Any]:
    kind = draw(st.sampled_from(["trait", "account_trait", "event"]))
    if kind == "event":
        return {"event": draw(TEXT), "op": "at_least", "count": draw(st.integers(0, 9))}
    op = draw(st.sampled_from(TRAIT_OPS))
    rule: dict[str, Any] = {kind: draw(TEXT), "op": op}
    if op in DAYS_OPS:
        rule["value"] = draw(NUMBER)
    elif op == "contains":
        rule["value"] = draw(TEXT)
    elif op not in VALUELESS_OPS:
        rule["value"] = draw(SCALAR)
    return rule


@st.composite
def definitions(draw: Any) -> dict[str, Any]:
    ids = draw(st.lists(IDS, min_size=1, max_size=4, unique=True))
    qs = [draw(questions(qid)) for qid in ids]
    d: dict[str, Any] = {"questions": qs}
    maybe(draw, d, "name", TEXT)
    logic = []
    for _ in range(draw(st.integers(0, 2))):
        i = draw(st.integers(0, len(ids) - 1))
        op = draw(
            st.sampled_from(
                ["eq", "neq", "gt", "gte", "lt", "lte", "contains", "answered", "skipped"]
            )
        )
        cond: dict[str, Any] = {"question": ids[i], "op": op}
        if op not in ("answered", "skipped"):
            cond["value"] = draw(st.one_of(SCALAR, st.lists(TEXT, max_size=2)))
        logic.append({"if": cond, "goto": draw(st.sampled_from(ids[i + 1 :] + ["end"]))})
    if logic:
        d["logic"] = logic
    thanks: dict[str, Any] = {}
    for key in ("title", "description", "button"):
        maybe(draw, thanks, key, TEXT)
    maybe(draw, thanks, "auto_close_s", NUMBER)
    if thanks:
        d["thank_you"] = thanks
    maybe(draw, d, "trigger", triggers())
    audience: dict[str, Any] = {}
    maybe(
        draw, audience, draw(st.sampled_from(["identified_only", "anonymous_only"])), st.just(True)
    )
    maybe(draw, audience, "match", st.sampled_from(["all", "any"]))
    maybe(draw, audience, "rules", st.lists(audience_rules(), min_size=1, max_size=3))
    maybe(draw, audience, "sample_percent", st.integers(0, 100))
    if audience:
        d["audience"] = audience
    frequency: dict[str, Any] = {}
    repeat = draw(st.sampled_from(["once", "each_trigger", "interval", None]))
    if repeat:
        frequency["repeat"] = repeat
    if repeat == "interval":
        frequency["interval_days"] = draw(NUMBER)
    for key in ("max_days", "dismissed_retry_days"):
        maybe(draw, frequency, key, NUMBER)
    if frequency:
        d["frequency"] = frequency
    if draw(st.booleans()):
        d["schedule"] = {"start_at": "2026-01-01", "end_at": "2026-03-31T18:00:00+01:00"}
    appearance: dict[str, Any] = {}
    maybe(draw, appearance, "position", st.sampled_from(["bottom-right", "top", "center"]))
    maybe(draw, appearance, "theme", st.sampled_from(["auto", "light", "dark"]))
    maybe(draw, appearance, "accent", st.sampled_from(["#0a7", "#4f46e5"]))
    if appearance:
        d["appearance"] = appearance
    translations: dict[str, Any] = {}
    for code in draw(
        st.lists(st.sampled_from(["de", "fr", "pt-BR", "x<y"]), max_size=2, unique=True)
    ):
        entry: dict[str, Any] = {}
        strings: dict[str, Any] = {}
        for q in qs:
            if draw(st.booleans()):
                given_: dict[str, Any] = {"title": draw(TEXT)}
                if q.get("choices") and draw(st.booleans()):
                    given_["choices"] = {q["choices"][0]["id"]: draw(TEXT)}
                if q.get("labels", {}).get("low") and draw(st.booleans()):
                    given_["labels"] = {"low": draw(TEXT)}
                strings[q["id"]] = given_
        if strings:
            entry["questions"] = strings
        if draw(st.booleans()):
            entry["thank_you"] = {"title": draw(TEXT)}
        translations[code] = entry
    if translations:
        d["translations"] = translations
    assume(_valid(d))
    return d


def _valid(definition: dict[str, Any]) -> bool:
    try:
        check_definition(dict(copy.deepcopy(definition), id="s", status="draft"))
    except DefinitionError:
        return False
    return True


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(definitions())
def test_any_valid_definition_round_trips_through_the_form_unchanged(definition):
    fields = fields_of(definition)
    assert all(isinstance(v, str) for v in fields.values())
    assert definition_of(fields) == definition


@SETTINGS
@given(definitions())
def test_what_the_validator_reads_as_not_given_comes_back_absent(definition):
    noisy = copy.deepcopy(definition)
    noisy["status"] = "live"
    noisy.setdefault("schedule", {"start_at": None, "end_at": None})
    noisy.setdefault("frequency", {"repeat": "once"}).setdefault("dismissed_retry_days", None)
    for q in noisy["questions"]:
        q.setdefault("required", False)
        q["description"] = q.get("description") or None
    expected = copy.deepcopy(definition)
    expected.setdefault("frequency", {"repeat": "once"})
    assert definition_of(fields_of(noisy)) == expected


def test_fields_a_type_does_not_use_are_dropped_and_bad_numbers_stay_as_typed():
    fields = {
        "questions[0].id": "a",
        "questions[0].type": "nps",
        "questions[0].scale": "7",  # an nps has no scale
        "questions[0].choices[0].id": "x",
        "questions[1].id": "b",
        "questions[1].type": "rating",
        "questions[1].scale": "seven",
        "questions[1].required": "true",
        "audience.rules[0].kind": "event",
        "audience.rules[0].name": "exported",
        "audience.rules[0].op": "at_least",
        "audience.rules[0].count": "3",
        "audience.rules[0].value": "ignored",
        "logic[0].if.question": "a",
        "logic[0].if.op": "eq",
        "logic[0].if.value": '"9"',
        "logic[0].goto": "end",
        "_move": "save",
        "_base": "3",
        "status": "live",
        "id": "other",
    }
    assert definition_of(fields) == {
        "questions": [
            {"id": "a", "type": "nps"},
            {"id": "b", "type": "rating", "scale": "seven", "required": True},
        ],
        "logic": [{"if": {"question": "a", "op": "eq", "value": "9"}, "goto": "end"}],
        "audience": {"rules": [{"event": "exported", "op": "at_least", "count": 3}]},
    }


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("questions[2].choices[0].id", "questions[2].choices[0].id"),
        ("audience.rules[1].account_trait", "audience.rules[1].name"),
        ("audience.rules[1].op", "audience.rules[1].op"),
        ("translations.fr.questions.b", "translations[1].questions[1]"),
        ("translations.fr.thank_you.title", "translations[1].thank_you.title"),
        ("translations.de", "translations[0]"),
        ("translations.fr.questions.nope", "translations[1].questions.nope"),
        ("translations.es", "translations"),
    ],
)
def test_a_fault_is_shown_at_its_field(path, field):
    definition = {
        "questions": [{"id": "a", "type": "nps"}, {"id": "b", "type": "nps"}],
        "translations": {"de": {}, "fr": {}},
    }
    assert field_name(path, definition) == field


# -- structural edits -----------------------------------------------------------------------


@SETTINGS
@given(definitions(), st.data())
def test_duplicating_or_adding_a_question_keeps_a_valid_definition_valid(definition, data):
    i = data.draw(st.integers(0, len(definition["questions"]) - 1))
    before = copy.deepcopy(definition)
    twin = apply_move(definition, f"duplicate:questions[{i}]")
    assert definition == before  # the argument is not changed
    assert len(twin["questions"]) == len(before["questions"]) + 1
    assert {k: v for k, v in twin["questions"][i + 1].items() if k != "id"} == {
        k: v for k, v in before["questions"][i].items() if k != "id"
    }
    assert _valid(twin)
    kind = data.draw(st.sampled_from(TYPES))
    added = apply_move(definition, f"add:questions:{kind}")
    assert added["questions"][-1]["type"] == kind and _valid(added)


@SETTINGS
@given(definitions(), st.data())
def test_a_move_puts_the_question_where_it_was_asked_and_loses_nothing(definition, data):
    count = len(definition["questions"])
    i, j = data.draw(st.integers(0, count - 1)), data.draw(st.integers(0, count - 1))
    moved = apply_move(definition, f"move:questions[{i}]:{j}")
    assert moved["questions"][j] == definition["questions"][i]
    ids = [q["id"] for q in moved["questions"]]
    assert sorted(ids) == sorted(q["id"] for q in definition["questions"])
    back = apply_move(moved, f"move:questions[{j}]:{i}")
    assert back == definition


def test_lists_take_new_items_and_lose_the_removed_one():
    d = {
        "questions": [
            {"id": "a", "type": "single_choice", "other": True, "choices": [{"id": "c1"}]}
        ]
    }
    d = apply_move(d, "add:questions[0].choices")
    assert [c["id"] for c in d["questions"][0]["choices"]] == ["c1", "c2"]
    for target in ("logic", "audience.rules", "trigger.pages.include", "trigger.pages.exclude"):
        d = apply_move(d, "add:" + target)
    assert len(d["logic"]) == len(d["audience"]["rules"]) == 1
    assert len(d["trigger"]["pages"]["include"]) == len(d["trigger"]["pages"]["exclude"]) == 1
    d = apply_move(d, "remove:audience.rules[0]")
    assert d["audience"]["rules"] == []
    d = apply_move(apply_move(d, "add-translation:de"), "add-translation:fr")
    assert apply_move(d, "remove-translation:de")["translations"] == {"fr": {}}


@pytest.mark.parametrize(
    "move",
    [
        "remove:questions[9]",
        "move:questions[0]:x",
        "add:nothing",
        "add:questions:quiz",
        "explode:x",
        "",
        "remove:",
    ],
)
def test_an_edit_that_names_nothing_changes_nothing(move):
    d = {"questions": [{"id": "a", "type": "nps"}], "logic": []}
    assert apply_move(d, move) == d


def test_new_ids_are_unique_and_not_the_other_option():
    d = {"questions": [{"id": "q1", "type": "nps"}, {"id": "q1_copy", "type": "nps"}]}
    d = apply_move(d, "duplicate:questions[0]")
    d = apply_move(d, "add:questions:single_choice")
    assert [q["id"] for q in d["questions"]] == ["q1", "q1_copy2", "q1_copy", "q2"]
    choice = {
        "questions": [
            {"id": "a", "type": "single_choice", "other": True, "choices": [{"id": "c1"}]}
        ]
    }
    choice["questions"][0]["choices"].append({"id": "c2"})
    choice = apply_move(choice, "add:questions[0].choices")
    assert [c["id"] for c in choice["questions"][0]["choices"]] == ["c1", "c2", "c3"]
