"""Matrix, ranking, date, consent and call to action in the pure survey logic: how the
definition is cleaned, which answers each takes (`refiner_web.answers`), and branching on
them (`refiner_web.survey`)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refiner_web.answers import answer_chars, check_answer, check_answers, is_day
from refiner_web.definition import clean_questions
from refiner_web.strings import STRINGS
from refiner_web.survey import SurveyRun, condition_holds

ROWS = [{"id": "speed", "label": "Speed"}, {"id": "price", "label": "Price"}]
COLUMNS = [{"id": "bad", "label": "Bad"}, {"id": "ok", "label": "OK"}, {"id": "good"}]
ITEMS = [{"id": "a", "label": "Alerts"}, {"id": "b", "label": "Boards"}, {"id": "c"}]
LINK = {"label": "Read the terms", "url": "https://example.com/terms"}
FORM = {
    "id": "types",
    "questions": [
        {"id": "grid", "type": "matrix", "rows": ROWS, "columns": COLUMNS, "required": True},
        {"id": "likert", "type": "matrix", "rows": ROWS, "scale": 4},
        {"id": "order", "type": "ranking", "choices": ITEMS},
        {"id": "when", "type": "date", "min": "2026-01-01", "max": "2026-12-31"},
        {"id": "terms", "type": "consent", "link": LINK},
        {"id": "go", "type": "cta", "link": {"label": "Book a call", "url": "https://x.test"}},
    ],
}
QUESTIONS = {q["id"]: q for q in clean_questions(FORM["questions"])}


def check(qid, value):
    problem, kept, _ = check_answer(QUESTIONS[qid], value)
    return problem, kept


def test_cleaning_makes_defaults_explicit_and_drops_the_unusable():
    assert QUESTIONS["grid"]["columns"][2] == {"id": "good", "label": "good"}
    assert [c["id"] for c in QUESTIONS["likert"]["columns"]] == [1, 2, 3, 4]
    assert QUESTIONS["terms"]["required"] is True  # consent asks unless told otherwise
    assert (
        clean_questions([{"id": "t", "type": "consent", "required": False}])[0]["required"] is False
    )
    unusable = [
        {"id": "m1", "type": "matrix", "columns": COLUMNS},  # no rows
        {"id": "m2", "type": "matrix", "rows": ROWS, "columns": COLUMNS[:1]},  # one column
        {"id": "r", "type": "ranking", "choices": ITEMS[:1]},  # nothing to order
        {"id": "c1", "type": "cta"},  # no link
        {"id": "c2", "type": "cta", "link": {"label": "x", "url": "javascript:alert(1)"}},
    ]
    assert clean_questions(unusable) == []
    date = clean_questions([{"id": "d", "type": "date", "min": "2026-02-30", "max": "soon"}])[0]
    assert "min" not in date and "max" not in date


def test_matrix_answers_take_known_rows_and_columns_and_a_required_one_every_row():
    assert check("grid", {"speed": "ok", "price": "good"}) == (
        None,
        {"speed": "ok", "price": "good"},
    )
    assert check("grid", {"speed": "ok"}) == (("matrix_rows", None), None)
    assert check("grid", {"speed": "great", "price": "ok"}) == (("invalid", None), None)
    assert check("grid", {"speed": "ok", "price": "ok", "colour": "ok"}) == (
        ("invalid", None),
        None,
    )
    assert check("grid", ["ok"]) == (("invalid", None), None)
    assert check("grid", {}) == (None, None)  # nothing picked: no answer
    assert check("likert", {"speed": 4}) == (None, {"speed": 4})  # not required: rows may wait
    assert check("likert", {"speed": 5}) == (("invalid", None), None)
    assert check("likert", {"speed": True}) == (("invalid", None), None)
    assert check("likert", {"speed": "4"}) == (("invalid", None), None)


def test_ranking_needs_the_full_order():
    assert check("order", ["c", "a", "b"]) == (None, ["c", "a", "b"])
    for partial in (["a", "b"], ["a", "b", "b"], ["a", "b", "c", "d"], ["a", "b", 3], "abc"):
        assert check("order", partial) == (("rank_all", None), None), partial


def test_dates_are_real_days_within_min_and_max():
    assert check("when", "2026-06-15") == (None, "2026-06-15")
    assert check("when", "2025-12-31") == (("date_min", "2026-01-01"), None)
    assert check("when", "2027-01-01") == (("date_max", "2026-12-31"), None)
    for bad in ("2026-02-29", "2026-13-01", "15.06.2026", "2026-6-15", 20260615):
        assert check("when", bad) == (("date_invalid", None), None), bad
    assert is_day("2024-02-29") and not is_day("1900-02-29") and is_day("2000-02-29")


def test_consent_and_cta_store_true_and_nothing_else():
    for qid in ("terms", "go"):
        assert check(qid, True) == (None, True)
        assert check(qid, False) == (None, None)
        assert check(qid, "yes") == (("invalid", None), None)


def test_a_required_consent_names_the_box():
    run = SurveyRun({"id": "c", "questions": [FORM["questions"][4]]}, "de")
    assert run.next() == STRINGS["de"]["consent_required"]
    assert run.answer(True) is None and run.next() is None and run.finished
    assert run.answers == {"terms": True}


def test_the_largest_answers_fit_the_character_budget():
    kept, dropped = check_answers(
        list(QUESTIONS.values()),
        {
            "grid": {"speed": "good", "price": "good"},
            "likert": {"speed": 4, "price": 4},
            "order": ["a", "b", "c"],
            "when": "2026-01-01",
            "terms": True,
            "go": True,
        },
    )
    assert dropped == []
    assert (
        sum(len(k) + len(str(v)) for k, v in kept.items())
        <= answer_chars(list(QUESTIONS.values())) + 40
    )


@pytest.mark.parametrize(
    ("condition", "answer", "expected"),
    [
        ({"op": "before", "value": "2026-03-01"}, "2026-02-28", True),
        ({"op": "before", "value": "2026-03-01"}, "2026-03-01", False),
        ({"op": "after", "value": "2026-03-01"}, "2026-03-02", True),
        ({"op": "after", "value": "2026-03-01"}, "later", False),
        ({"op": "after", "value": 5}, "2026-03-02", False),
        ({"row": "speed", "op": "gte", "value": 3}, {"speed": 4, "price": 1}, True),
        ({"row": "price", "op": "gte", "value": 3}, {"speed": 4, "price": 1}, False),
        ({"row": "speed", "op": "eq", "value": "good"}, {"speed": "good"}, True),
        ({"row": "price", "op": "answered"}, {"speed": "good"}, False),
        ({"row": "price", "op": "skipped"}, {"speed": "good"}, True),
        ({"op": "eq", "value": True}, True, True),
    ],
)
def test_branching_on_the_new_answers(condition, answer, expected):
    assert condition_holds(condition, True, answer) is expected


def test_a_run_branches_on_a_matrix_row_a_date_a_consent_and_a_click():
    form = dict(
        FORM,
        logic=[
            {
                "if": {"question": "grid", "row": "speed", "op": "eq", "value": "bad"},
                "goto": "when",
            },
            {"if": {"question": "when", "op": "before", "value": "2026-02-01"}, "goto": "go"},
            {"if": {"question": "terms", "op": "answered"}, "goto": "go"},
            {"if": {"question": "go", "op": "skipped"}, "goto": "end"},
        ],
    )
    run = SurveyRun(form)
    assert run.answer({"speed": "bad", "price": "ok"}) is None and run.next() is None
    assert run.question()["id"] == "when"
    assert run.answer("2026-01-10") is None and run.next() is None
    assert run.question()["id"] == "go" and run.can_skip()
    assert run.skip() is None and run.finished
    assert run.answers == {"grid": {"speed": "bad", "price": "ok"}, "when": "2026-01-10"}


def test_translations_reach_rows_columns_items_and_the_consent_label():
    form = {
        "id": "t",
        "questions": [
            {"id": "grid", "type": "matrix", "rows": ROWS, "columns": COLUMNS},
            {"id": "terms", "type": "consent", "label": "I agree", "link": LINK},
        ],
        "translations": {
            "de": {
                "questions": {
                    "grid": {"rows": {"speed": "Tempo"}, "columns": {"bad": "Schlecht"}},
                    "terms": {"label": "Ich stimme zu", "link": {"label": "Bedingungen"}},
                }
            }
        },
    }
    run = SurveyRun(form, "de")
    grid = run.question()
    assert [r["label"] for r in grid["rows"]] == ["Tempo", "Price"]
    assert [c["label"] for c in grid["columns"]] == ["Schlecht", "OK", "good"]
    run.next()
    terms = run.question()
    assert terms["label"] == "Ich stimme zu" and terms["link"]["label"] == "Bedingungen"


def test_interface_strings_format_in_every_language():
    for language, strings in STRINGS.items():
        assert strings["moved"] % ("x", 1, 2), language
        for key in ("date_min", "date_max", "move_up", "move_down"):
            assert strings[key] % "x", (language, key)


ANY = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-3, 12),
        st.floats(allow_nan=False),
        st.sampled_from(["a", "b", "c", "ok", "good", "speed", "price", "2026-06-15"]),
        st.text(max_size=12),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["speed", "price", "x"]), inner, max_size=3),
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(qid=st.sampled_from(sorted(QUESTIONS)), value=ANY)
def test_any_value_is_kept_as_valid_or_named_never_raises(qid, value):
    problem, kept = check(qid, value)
    if problem is None and kept is not None:  # what is kept is kept again, unchanged
        assert check(qid, kept) == (None, kept)
    run = SurveyRun({"id": "h", "questions": [FORM["questions"][list(QUESTIONS).index(qid)]]})
    error = run.answer(value)
    assert error is None or isinstance(error, str)


MICROPYTHON_SCENARIO = """
import json
from refiner_web.answers import check_answer
from refiner_web.definition import clean_questions
from refiner_web.survey import SurveyRun
from twin import sort_keys

form = json.loads(%s)
values = json.loads(%s)
out = []
for question in clean_questions(form["questions"]):
    out.append([question, [list(check_answer(question, v)) for v in values]])
run = SurveyRun(form, "fr")
for value in ({"speed": "bad", "price": "ok"}, {"speed": 2, "price": 4}, ["b", "c", "a"],
              "2026-01-10", True, True):
    if run.question() is None:
        break
    out.append([run.question()["id"], run.answer(value), run.next()])
out.append([run.answers, run.finished, run.next()])
print(json.dumps(sort_keys(out)))
"""


def test_the_same_checks_and_run_on_micropython():
    """MicroPython (no ordered dicts, its own `type` and `sorted`) agrees with CPython."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    from tests.unit.test_micropython import node

    root = Path(__file__).resolve().parents[2]
    values = [
        {"speed": "ok", "price": "good"},
        {"speed": 4},
        {"speed": True},
        {"x": 1},
        ["c", "a", "b"],
        ["a", "a", "b"],
        "2026-06-15",
        "2026-02-30",
        "2025-01-01",
        True,
        False,
        "yes",
        3,
        None,
    ]
    form = dict(
        FORM,
        logic=[{"if": {"question": "when", "op": "after", "value": "2026-01-05"}, "goto": "go"}],
    )
    script = MICROPYTHON_SCENARIO % (json.dumps(json.dumps(form)), json.dumps(json.dumps(values)))
    micropython = node("import sys\nsys.path.append('/lib')\n" + script)
    cpython = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=root,
        env={"PYTHONPATH": "%s:%s" % (root, Path(__file__).parent)},
    )
    assert cpython.returncode == 0, cpython.stderr
    assert json.loads(micropython) == json.loads(cpython.stdout), micropython
