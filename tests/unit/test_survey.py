"""refiner_web.survey (with the definition, strings and appearance it reads): answers per
question type, branching, back, progress, translations, colours."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refiner_web.answers import valid_email
from refiner_web.appearance import (
    DARK_GROUNDS,
    DEFAULT_ACCENT,
    LIGHT_GROUNDS,
    accent_colour,
    contrast_ratio,
    mark_colour,
    text_on,
)
from refiner_web.definition import safe_url
from refiner_web.strings import direction, match_locale
from refiner_web.survey import SurveyRun

ROOT = Path(__file__).resolve().parents[2]
DEMO = json.loads((ROOT / "refiner_server" / "demo_survey.json").read_text("utf-8"))


def form(*questions, **extra):
    return {"id": "f1", "questions": list(questions), **extra}


def q(qid, kind, **extra):
    return {"id": qid, "type": kind, "title": qid.upper(), **extra}


CHOICES = [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}, {"id": "c", "label": "C"}]


# -- answers per type --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question, good, bad",
    [
        (q("n", "nps"), [0, 7, 10], [-1, 11, 7.5, "7", True]),
        (q("r", "rating", scale=3), [1, 3], [0, 4, "2", False]),
        (q("r", "rating", scale=10, style="numbers"), [1, 10], [0, 11]),
        (q("c", "csat"), [1, 5], [0, 6, 2.0]),
        (q("e", "emoji"), [1, 5], [0, 6, [1]]),
        (q("s", "single_choice", choices=CHOICES), ["a", "c"], ["x", 1, ["a"]]),
        (q("m", "multiple_choice", choices=CHOICES), [["a"], ["c", "a"]], [["x"], ["a", "a"], "a"]),
        (q("t", "text", max_length=5), ["hello", "  x "], ["toolong", 5, ["a"]]),
        (q("e", "email"), ["a@b.co", " jane.doe+x@mail.example.com "], ["a@b", "no", "a b@c.de"]),
    ],
)
def test_answer_validation_per_type(question, good, bad):
    for value in good:
        run = SurveyRun(form(question))
        assert run.answer(value) is None, value
        assert question["id"] in run.answers
    for value in bad:
        run = SurveyRun(form(question))
        assert isinstance(run.answer(value), str), value
        assert run.answers == {}


def test_rating_scale_and_style_are_checked():
    run = SurveyRun(form(q("r", "rating", scale=42, style="hearts")))
    assert run.question()["scale"] == 5 and run.question()["style"] == "stars"
    assert SurveyRun(form(q("r", "rating", scale=3))).question()["scale"] == 3


def test_multiple_choice_min_max_and_order():
    run = SurveyRun(form(q("m", "multiple_choice", choices=CHOICES, min=2, max=2)))
    assert "at least 2" in run.answer(["a"])
    assert "at most 2" in run.answer(["a", "b", "c"])
    assert run.answer(["c", "a"]) is None
    assert run.answers == {"m": ["a", "c"]}  # the definition's order


def test_other_text_is_stored_beside_the_answer():
    question = q("m", "multiple_choice", choices=CHOICES, other=True)
    run = SurveyRun(form(question))
    assert run.answer(["a", "other"]) == "Please describe your other answer."
    assert run.answer(["a", "other"], "  Mine ") is None
    assert run.answers == {"m": ["a", "other"], "m_other": "Mine"}
    assert run.answer(["a"], "ignored") is None
    assert run.answers == {"m": ["a"]}
    single = SurveyRun(form(q("s", "single_choice", choices=CHOICES, other=True)))
    assert single.auto_advances() is False
    assert single.answer("other", "x") is None and single.answers == {"s": "other", "s_other": "x"}
    assert SurveyRun(form(q("s", "single_choice", choices=CHOICES))).auto_advances() is True


def test_empty_text_is_no_answer_and_required_blocks():
    run = SurveyRun(form(q("t", "text", required=True), q("u", "text")))
    assert run.answer("   ") is None
    assert run.next() == "This question is required."
    assert run.skip() == "This question is required."
    assert run.answer("ok") is None and run.next() is None
    assert run.question()["id"] == "u" and run.can_skip()
    assert run.next() is None and run.finished
    assert run.answers == {"t": "ok"}


def test_skip_forgets_an_answer_given_before():
    run = SurveyRun(form(q("a", "nps"), q("b", "nps")))
    run.answer(5)
    assert run.skip() is None
    assert run.answers == {} and run.question()["id"] == "b"


def test_statement_needs_no_answer_and_only_safe_links():
    good = q("s", "statement", required=True, link={"label": "More", "url": "https://x.test/a"})
    run = SurveyRun(form(good))
    assert run.question()["link"] == {"label": "More", "url": "https://x.test/a"}
    assert run.question()["required"] is False and not run.can_skip()
    assert run.next() is None and run.finished and run.answers == {}
    for url in ("javascript:alert(1)", "data:text/html,x", "//x.test", 'https://x.test/"><'):
        bad = q("s", "statement", link={"label": "x", "url": url})
        assert "link" not in SurveyRun(form(bad)).question()


def test_unusable_questions_are_dropped():
    run = SurveyRun(
        form({"id": "x", "type": "slider"}, {"type": "nps"}, q("a", "nps"), q("a", "csat"))
    )
    assert [x["id"] for x in run.questions] == ["a"] and run.questions[0]["type"] == "nps"
    assert SurveyRun({"id": "empty", "questions": []}).finished


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(
        [
            "nps",
            "rating",
            "csat",
            "emoji",
            "single_choice",
            "multiple_choice",
            "text",
            "email",
            "statement",
        ]
    ),
    value=st.recursive(
        st.none() | st.booleans() | st.integers(-20, 20) | st.floats() | st.text(max_size=30),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner),
        max_leaves=8,
    ),
    other=st.none() | st.text(max_size=20),
)
def test_any_value_either_stores_a_valid_answer_or_returns_a_message(kind, value, other):
    question = q("x", kind, choices=CHOICES, other=True, max_length=10)
    run = SurveyRun(form(question))
    error = run.answer(value, other)
    if error is not None:
        assert isinstance(error, str) and error and run.answers == {}
        return
    stored = run.answers.get("x")
    if stored is None:
        return
    if kind == "nps":
        assert type(stored) is int and 0 <= stored <= 10
    elif kind in ("rating", "csat", "emoji"):
        assert type(stored) is int and 1 <= stored <= 5
    elif kind == "single_choice":
        assert stored in ("a", "b", "c", "other")
    elif kind == "multiple_choice":
        assert stored and set(stored) <= {"a", "b", "c", "other"}
    elif kind in ("text", "email"):
        assert isinstance(stored, str) and len(stored) <= 10 and stored.strip()
        if kind == "email":
            assert valid_email(stored)


@given(st.text(max_size=40))
def test_email_check_never_raises_and_needs_an_at_and_a_dot(text):
    if valid_email(text):
        local, _, domain = text.rpartition("@")
        assert local and "." in domain and " " not in text


# -- branching, back, progress -----------------------------------------------------------------


def test_demo_survey_branches_on_the_score():
    run = SurveyRun(DEMO)
    assert run.answer(9) is None and run.next() is None
    assert run.question()["id"] == "stars"
    assert run.back() and run.question()["id"] == "score"
    assert run.answer(3) is None and run.next() is None
    assert run.question()["id"] == "why"
    assert run.progress() == 25


@pytest.mark.parametrize(
    "op, value, answer, expected",
    [
        ("eq", 5, 5, True),
        ("eq", 5, 6, False),
        ("eq", "a", "a", True),
        ("eq", ["b", "a"], ["a", "b"], True),
        ("neq", 5, 6, True),
        ("gt", 5, 6, True),
        ("gt", 5, 5, False),
        ("gte", 5, 5, True),
        ("lt", 5, 4, True),
        ("lte", 5, 6, False),
        ("gt", "5", 6, False),
        ("contains", "b", ["a", "b"], True),
        ("contains", "LOVE", "i love it", True),
        ("contains", "x", ["a"], False),
        ("answered", None, 3, True),
        ("skipped", None, 3, False),
    ],
)
def test_logic_operators(op, value, answer, expected):
    kind = (
        "multiple_choice"
        if isinstance(answer, list)
        else ("text" if isinstance(answer, str) else "nps")
    )
    first = q("a", kind, choices=CHOICES)
    rules = [{"if": {"question": "a", "op": op, "value": value}, "goto": "c"}]
    run = SurveyRun(form(first, q("b", "nps"), q("c", "nps"), logic=rules))
    assert run.answer(answer) is None
    assert run.next() is None
    assert (run.question()["id"] == "c") is expected


def test_skipped_rule_and_goto_end_and_first_match_wins():
    rules = [
        {"if": {"question": "a", "op": "skipped"}, "goto": "end"},
        {"if": {"question": "a", "op": "gte", "value": 5}, "goto": "c"},
        {"if": {"question": "a", "op": "gte", "value": 0}, "goto": "b"},
    ]
    run = SurveyRun(form(q("a", "nps"), q("b", "nps"), q("c", "nps"), logic=rules))
    assert run.is_last()  # unanswered: the skipped rule ends the survey
    run.answer(7)
    assert not run.is_last()
    assert run.next() is None and run.question()["id"] == "c"
    run.back()
    assert run.skip() is None and run.finished and run.progress() == 100


def test_backward_and_unknown_jumps_are_ignored():
    rules = [
        {"if": {"question": "b", "op": "answered"}, "goto": "a"},
        {"if": {"question": "b", "op": "answered"}, "goto": "b"},
        {"if": {"question": "b", "op": "answered"}, "goto": "nowhere"},
        {"if": {"question": "b", "op": "bogus"}, "goto": "end"},
        {"if": "b", "goto": "end"},
        "junk",
    ]
    run = SurveyRun(form(q("a", "nps"), q("b", "nps"), q("c", "nps"), logic=rules))
    run.next()
    run.answer(1)
    run.next()
    assert run.question()["id"] == "c"


def test_back_follows_the_real_path_and_answers_follow_it_too():
    rules = [{"if": {"question": "a", "op": "eq", "value": 1}, "goto": "d"}]
    run = SurveyRun(form(q("a", "nps"), q("b", "nps"), q("c", "nps"), q("d", "nps"), logic=rules))
    assert not run.can_go_back() and not run.back()
    run.answer(2)
    run.next()
    run.answer(4)
    run.next()  # a -> b -> c
    assert [run.questions[i]["id"] for i in run.history] == ["a", "b"]
    run.back()
    run.back()
    assert run.question()["id"] == "a" and run.value() == 2
    run.answer(1)
    run.next()  # a -> d
    assert run.question()["id"] == "d"
    assert run.answers == {"a": 1}  # b's answer belongs to the abandoned branch
    run.back()
    assert run.question()["id"] == "a"


@st.composite
def branching_forms(draw):
    count = draw(st.integers(1, 8))
    ids = ["q%d" % i for i in range(count)]
    questions = [q(i, "nps") for i in ids]
    rules = []
    for _ in range(draw(st.integers(0, 12))):
        rules.append(
            {
                "if": {
                    "question": draw(st.sampled_from(ids)),
                    "op": draw(st.sampled_from(["eq", "neq", "gt", "lt", "answered", "skipped"])),
                    "value": draw(st.integers(0, 10)),
                },
                "goto": draw(st.sampled_from(ids + ["end"])),
            }
        )
    moves = draw(
        st.lists(st.one_of(st.integers(0, 10), st.just("skip"), st.just("back")), max_size=40)
    )
    return form(*questions, logic=rules), moves


@settings(max_examples=300, deadline=None)
@given(branching_forms())
def test_any_logic_ends_and_progress_never_falls_going_forward(case):
    definition, moves = case
    run = SurveyRun(definition)
    steps = 0
    last = run.progress()
    for move in moves:
        if run.finished:
            break
        if move == "back":
            run.back()
            last = run.progress()
            continue
        if move == "skip":
            assert run.skip() is None
        else:
            assert run.answer(move) is None and run.next() is None
        steps += 1
        assert 0 <= run.progress() <= 100 and run.progress() > last
        last = run.progress()
    while not run.finished:  # forward only: at most one step per question
        assert run.next() is None
        steps += 1
        assert steps <= len(moves) + len(definition["questions"])
        assert run.progress() > last
        last = run.progress()
    assert run.progress() == 100


# -- copy, locale, appearance ------------------------------------------------------------------


def test_demo_translation_falls_back_per_string():
    run = SurveyRun(DEMO, "de-AT")
    score = run.question()
    assert score["title"].startswith("Wie wahrscheinlich")
    assert score["labels"] == {"low": "Unwahrscheinlich", "high": "Sehr wahrscheinlich"}
    assert run.text("next") == "Weiter" and run.thank_you()["title"] == "Vielen Dank!"
    run.answer(2)
    run.next()
    run.next()
    plan = run.question()
    assert plan["title"] == "Welchen Tarif nutzen Sie?"
    assert [c["label"] for c in plan["choices"]] == ["Free", "Pro", "Team"]  # untranslated
    original = SurveyRun(DEMO, "ja")
    assert original.question()["title"] == DEMO["questions"][0]["title"]
    assert original.text("next") == "Next"


def test_translation_covers_every_string():
    definition = form(
        q(
            "m",
            "multiple_choice",
            choices=CHOICES,
            other=True,
            other_label="Else",
            description="D",
            placeholder="P",
            button="Go",
        ),
        q("s", "statement", link={"label": "L", "url": "https://x.test"}),
        thank_you={"title": "T", "description": "TD", "button": "B", "auto_close_s": 2},
        translations={
            "pt": {
                "questions": {
                    "m": {
                        "title": "MT",
                        "description": "DT",
                        "placeholder": "PT",
                        "button": "GT",
                        "other_label": "Outro",
                        "choices": [{"id": "a", "label": "AA"}, {"id": "zz", "label": "?"}],
                    },
                    "s": {"link": {"label": "LT"}, "title": ""},
                },
                "thank_you": {"title": "Obrigado", "button": 3},
            }
        },
    )
    run = SurveyRun(definition, "pt_BR")
    m = run.question()
    assert (m["title"], m["description"], m["placeholder"], m["button"], m["other_label"]) == (
        "MT",
        "DT",
        "PT",
        "GT",
        "Outro",
    )
    assert [c["label"] for c in m["choices"]] == ["AA", "B", "C"]
    run.next()
    s = run.question()
    assert s["title"] == "S" and s["link"] == {"label": "LT", "url": "https://x.test"}
    assert run.thank_you() == {
        "title": "Obrigado",
        "description": "TD",
        "button": "B",
        "auto_close_s": 2,
    }
    assert definition["questions"][0]["title"] == "M"  # the definition is never changed


def test_locale_matching():
    keys = ["de", "pt-BR", "pt-PT", "zh-Hant"]
    assert match_locale("de", keys) == "de"
    assert match_locale("de-CH", keys) == "de"
    assert match_locale("pt_br", keys) == "pt-BR"
    assert match_locale("pt", keys) == "pt-BR"
    assert match_locale("zh-hant", keys) == "zh-Hant"
    assert match_locale("fr", keys) is None and match_locale(None, keys) is None


@pytest.mark.parametrize(
    "locale, expected",
    [
        ("ar", "rtl"),
        ("ar-EG", "rtl"),
        ("he_IL", "rtl"),
        ("fa", "rtl"),
        ("ur-PK", "rtl"),
        ("en", "ltr"),
        ("arn", "ltr"),
        (None, "ltr"),
        ("", "ltr"),
    ],
)
def test_direction(locale, expected):
    assert direction(locale) == expected
    assert SurveyRun(DEMO, locale).direction() == expected


def test_thank_you_defaults():
    assert SurveyRun(form(q("a", "nps"))).thank_you() == {"title": "Thank you!", "auto_close_s": 3}
    assert (
        SurveyRun(form(q("a", "nps"), thank_you={"title": "Hi"})).thank_you()["auto_close_s"] == 0
    )
    assert SurveyRun(form(q("a", "nps")), "de").thank_you()["title"] == "Vielen Dank!"


def test_appearance_is_checked():
    assert SurveyRun(DEMO).appearance() == {
        "position": "bottom-right",
        "theme": "auto",
        "accent": "#4f46e5",
        "accent_text": "#ffffff",
        "mark_light": "#4f46e5",
        "mark_text_light": "#ffffff",
        "mark_dark": "#9e9af1",  # 2.3:1 on the dark panel: made lighter
        "mark_text_dark": "#000000",
    }
    look = SurveyRun(
        form(appearance={"position": "left", "theme": "neon", "accent": "red;}body{"})
    ).appearance()
    assert (look["position"], look["theme"], look["accent"]) == (
        "bottom-right",
        "auto",
        DEFAULT_ACCENT,
    )


@given(st.from_regex(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", fullmatch=True) | st.text(max_size=10))
def test_accent_is_always_a_hex_colour_with_readable_text(text):
    colour = accent_colour(text)
    assert len(colour) == 7 and colour[0] == "#"
    assert all(c in "0123456789abcdef" for c in colour[1:])
    assert contrast_ratio(colour, text_on(colour)) >= 4.5


@given(st.from_regex(r"#[0-9a-f]{6}", fullmatch=True))
def test_every_accent_gives_a_state_that_stands_out_3_to_1(accent):
    for grounds in (LIGHT_GROUNDS, DARK_GROUNDS):
        mark = mark_colour(accent, grounds)
        assert all(contrast_ratio(mark, ground) >= 3 for ground in grounds), (accent, mark)
        assert contrast_ratio(mark, text_on(mark)) >= 4.5
        if all(contrast_ratio(accent, ground) >= 3 for ground in grounds):
            assert mark == accent  # an accent that stands out is left alone


def test_marks_keep_the_hue_and_change_as_little_as_needed():
    # the audit's accents: yellow on the light panel (1.07:1), near-black on the dark (1.29:1)
    assert mark_colour("#ffff00", LIGHT_GROUNDS) == "#898900"
    assert mark_colour("#111111", DARK_GROUNDS) == "#a4a4a4"
    assert mark_colour("#ffff00", DARK_GROUNDS) == "#ffff00"
    assert mark_colour("#111111", LIGHT_GROUNDS) == "#111111"
    darker = mark_colour("#00ff00", LIGHT_GROUNDS)
    assert contrast_ratio(darker, "#e5e7eb") < 3.1  # the least change: just past 3:1
    look = SurveyRun(form(appearance={"accent": "#ff0"})).appearance()
    assert (look["mark_light"], look["mark_text_light"]) == ("#898900", "#000000")


def test_accent_forms():
    assert accent_colour("#ABC") == "#aabbcc" and accent_colour("#12ab9F") == "#12ab9f"
    assert text_on("#fde047") == "#000000" and text_on("#4f46e5") == "#ffffff"


def test_safe_url():
    assert safe_url(" https://x.test/a?b=1 ") == "https://x.test/a?b=1"
    assert safe_url("HTTP://x.test") == "HTTP://x.test"
    assert safe_url("javascript:alert(1)") is None and safe_url(None) is None


def test_ui_strings_exist_in_every_language():
    from refiner_web.strings import STRINGS

    for language, strings in STRINGS.items():
        assert sorted(strings) == sorted(STRINGS["en"]), language
        for key in ("position", "scale_item", "star_item"):
            assert strings[key] % (1, 2)


# -- the same answers on MicroPython -----------------------------------------------------------

SCENARIO = """
import json
from refiner_web.answers import valid_email
from refiner_web.survey import SurveyRun
from refiner_web.appearance import accent_colour, text_on, mark_colour
from refiner_web.appearance import LIGHT_GROUNDS, DARK_GROUNDS
from twin import sort_keys

definition = json.loads(%s)
out = []
for locale in (None, "de-AT", "ar", "pt_BR"):
    run = SurveyRun(definition, locale)
    trace = [run.direction(), run.text("next"), run.thank_you(), run.appearance()]
    for value, other in ((12, None), (9, None), ("x", None), (["a", "other"], None),
                         (["a", "other"], " Mine "), ("   ", None), ("a@b", None),
                         ("jane@x.example", None), (None, None)):
        question = run.question()
        if question is None:
            break
        error = run.answer(value, other)
        trace.append([question, run.progress(), run.is_last(), error])
        if error is None:
            trace.append(run.next())
    run.back()
    trace.append([run.answers, run.finished, run.position()])
    out.append(trace)
out.append([valid_email(e) for e in ("a@b.co", "a@@b.co", "a.@b.co", "a@b-.co", "a@b.c0m")])
out.append([accent_colour(c) for c in ("#ABC", "#12ab9f", "red", "#1234")])
out.append([text_on(c) for c in ("#fde047", "#4f46e5")])
accents = ("#ffff00", "#111111", "#00ff00", "#4f46e5", "#808080", "#ff00aa")
out.append([[mark_colour(c, g) for g in (LIGHT_GROUNDS, DARK_GROUNDS)] for c in accents])
print(json.dumps(sort_keys(out)))
"""

SCENARIO_FORM = {
    "id": "mp",
    "questions": [
        q("score", "nps", required=True, labels={"low": "Low", "high": "High"}),
        q("plan", "single_choice", choices=CHOICES),
        q("feat", "multiple_choice", choices=CHOICES, other=True, max=2),
        q("why", "text", max_length=20),
        q("mail", "email"),
        q("stars", "rating", scale=4),
    ],
    "logic": [{"if": {"question": "score", "op": "gte", "value": 9}, "goto": "feat"}],
    "appearance": {"position": "center", "accent": "#0a0"},
    "translations": {
        "de": {"questions": {"score": {"title": "Punkte", "labels": {"low": "Tief"}}}},
        "pt-BR": {"thank_you": {"title": "Obrigado"}},
        "ar": {"questions": {"plan": {"choices": {"a": "أ"}}}},
    },
}


def test_survey_scenario_matches_micropython():
    """The same run of the model under MicroPython gives what CPython gives."""
    from tests.unit.test_micropython import node

    script = SCENARIO % json.dumps(json.dumps(SCENARIO_FORM))
    micropython = node("import sys\nsys.path.append('/lib')\n" + script)
    cpython = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": "%s:%s" % (ROOT, Path(__file__).parent)},
    )
    assert cpython.returncode == 0, cpython.stderr
    assert json.loads(micropython) == json.loads(cpython.stdout), micropython
