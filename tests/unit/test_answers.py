"""refiner_web.answers: the one answer checker the widget and the server share."""

from hypothesis import given, settings
from hypothesis import strategies as st

from refiner_web.answers import check_answers
from refiner_web.definition import clean_questions
from refiner_web.survey import SurveyRun

FORM = {
    "id": "f",
    "questions": [
        {"id": "plan", "type": "single_choice", "choices": [{"id": "free"}, {"id": "pro"}]},
        {
            "id": "tools",
            "type": "multiple_choice",
            "choices": [{"id": "a"}, {"id": "b"}, {"id": "c"}],
            "other": True,
            "min": 1,
            "max": 2,
        },
        {"id": "score", "type": "nps"},
        {"id": "stars", "type": "rating", "scale": 4},
        {"id": "why", "type": "text", "max_length": 5},
        {"id": "note", "type": "text"},
        {"id": "mail", "type": "email"},
        {"id": "hello", "type": "statement"},
    ],
}
QUESTIONS = clean_questions(FORM["questions"])
KEYS = [q["id"] for q in QUESTIONS] + ["tools_other", "plan_other", "made_up"]
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 12),
    st.sampled_from(["free", "pro", "a", "b", "c", "other", "zzz", "", " ", "a@b.co", "x" * 6]),
    st.lists(st.sampled_from(["a", "b", "c", "other", "zzz", 1]), max_size=4),
    st.text(max_size=8),
)
EMPTY = (None, "", [])


def test_each_kind_of_fault_is_named():
    kept, dropped = check_answers(
        QUESTIONS,
        {
            "plan": "gold",
            "tools": ["a", "b", "c"],
            "score": 11,
            "why": "toolong",
            "mail": "nope",
            "made_up": 1,
            "note": "fine",
            "tools_other": "x",
        },
    )
    assert kept == {"note": "fine"}
    assert dropped == [
        ("plan", ("invalid", None)),
        ("tools", ("at_most", 2)),
        ("tools_other", ("at_most", 2)),
        ("score", ("invalid", None)),
        ("why", ("too_long", 5)),
        ("mail", ("email_invalid", None)),
        ("made_up", ("unknown", None)),
    ]


def test_text_without_max_length_is_capped_at_the_format_maximum():
    kept, dropped = check_answers(QUESTIONS, {"note": "x" * 10_001})
    assert kept == {} and dropped == [("note", ("too_long", 10_000))]
    assert check_answers(QUESTIONS, {"note": "x" * 10_000})[0] == {"note": "x" * 10_000}


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=8))
def test_every_key_is_kept_or_named_and_what_is_kept_is_kept_again(answers):
    kept, dropped = check_answers(QUESTIONS, answers)
    named = [key for key, _ in dropped]
    assert len(named) == len(set(named)) and not set(named) & set(kept)
    for key, value in answers.items():
        if key not in kept and key not in named:  # only "no answer" goes unnamed
            assert (
                value in EMPTY or (isinstance(value, str) and not value.strip()) or (key == "hello")
            )
    assert check_answers(QUESTIONS, kept) == (kept, [])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(VALUES, st.one_of(st.none(), st.text(max_size=4))), max_size=12))
def test_what_the_widget_accepts_the_server_keeps(steps):
    """The person answers (anything, in turn, skipping where allowed); whatever the run
    holds as answers is exactly what the server stores."""
    run = SurveyRun(FORM)
    for value, other in steps:
        if run.finished:
            break
        if run.answer(value, other) is not None or run.next() is not None:
            run.skip()
    kept, dropped = check_answers(QUESTIONS, run.answers)
    assert kept == run.answers and dropped == []
