"""The per-field difference between two versions of a survey (`surveys.diff`)."""

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from refiner_server.surveys.diff import changes, summary
from refiner_server.surveys.templates import build


def texts(old, new):
    return [c["text"] for c in changes(old, new)]


def test_one_version_against_itself_has_no_change():
    nps = build("nps", "n")
    assert changes(nps, copy.deepcopy(nps)) == []
    assert summary(nps, nps) == "No change to the content"


def test_the_status_is_not_a_change():
    nps = build("nps", "n")
    assert changes(nps, dict(nps, status="live")) == []


def test_questions_added_removed_and_edited():
    old = build("nps", "n")
    new = copy.deepcopy(old)
    new["questions"].pop(2)
    new["questions"].append({"id": "email", "type": "email", "title": "Your email?"})
    new["questions"][0]["title"] = "Would you recommend us?"
    new["questions"][1]["required"] = True
    assert texts(old, new) == [
        "Question ‘email’ added at position 3 (“Your email?”)",
        "Question ‘love’ removed (“What do you like most about us?”)",
        "Question ‘score’: title changed from “How likely are you to recommend us to a friend "
        "or colleague?” to “Would you recommend us?”",
        "Question ‘improve’: required set to true",
    ] + texts(old["logic"] and {"logic": old["logic"]}, {"logic": new["logic"]})


def test_a_question_moved_is_one_change_not_a_removal_and_an_addition():
    old = build("pmf", "p")
    new = copy.deepcopy(old)
    new["questions"].insert(1, new["questions"].pop(3))
    found = changes(old, new)
    assert [(c["kind"], c["path"], c["before"], c["after"]) for c in found] == [
        ("moved", "questions.improve", 4, 2)
    ]


def test_choices_added_removed_renamed_and_reordered():
    old = build("churn", "c")
    new = copy.deepcopy(old)
    choices = new["questions"][0]["choices"]
    choices.pop(0)
    choices[0]["label"] = "Features"
    choices.reverse()
    choices.append({"id": "moving", "label": "Moving house"})
    assert texts(old, new) == [
        "Question ‘reason’: choice ‘moving’ added (“Moving house”)",
        "Question ‘reason’: choice ‘price’ removed (“It is too expensive”)",
        "Question ‘reason’: choice ‘features’ renamed from “It is missing features I need” "
        "to “Features”",
        "Question ‘reason’: choices reordered",
    ]


def test_logic_trigger_audience_appearance_and_translations():
    old = build("nps", "n")
    new = copy.deepcopy(old)
    new["logic"][0]["if"]["value"] = 10
    new["trigger"] = {"type": "event", "event": "upgraded"}
    new["audience"] = {"match": "any", "rules": [{"trait": "plan", "op": "eq", "value": "pro"}]}
    new["appearance"] = {"theme": "dark"}
    del new["translations"]["ar"]
    new["translations"]["de"]["questions"]["love"]["title"] = "Was mögen Sie?"
    assert texts(old, new) == [
        "Jump added: if ‘score’ ≥ 10, go to ‘love’",
        "Jump removed: if ‘score’ ≥ 9, go to ‘love’",
        "Trigger: type changed from “page” to “event”",
        "Trigger: delay_s removed (was 5)",
        "Trigger: event set to “upgraded”",
        "Audience: match set to “any”",
        'Audience: rules set to [{"trait": "plan", "op": "eq", "value": "pro"}]',
        "Appearance: theme set to “dark”",
        "Translation ‘de’: questions.love.title changed from “Was gefällt Ihnen an uns am "
        "besten?” to “Was mögen Sie?”",
        "Translation ‘ar’ removed",
    ]
    assert summary(old, new) == "10 changes: logic, trigger, audience, appearance, translations"


def test_the_summary_of_a_first_version_and_of_one_change():
    nps = build("nps", "n")
    assert summary(None, nps) == "Created with 3 questions"
    renamed = dict(nps, name="Quarterly NPS")
    assert (
        summary(nps, renamed)
        == "Name: name changed from “Net Promoter Score (NPS)” to “Quarterly NPS”"
    )


ids = st.sampled_from(["a", "b", "c", "d", "e", "f"])
words = st.text(alphabet="xyz ", max_size=5)
choice = st.fixed_dictionaries({"id": ids, "label": words})
question = st.fixed_dictionaries(
    {"id": ids, "type": st.sampled_from(["text", "nps", "single_choice"])},
    optional={
        "title": words,
        "required": st.booleans(),
        "choices": st.lists(choice, max_size=4, unique_by=lambda c: c["id"]),
    },
)
definitions = st.fixed_dictionaries(
    {"id": st.just("s"), "questions": st.lists(question, max_size=6, unique_by=lambda q: q["id"])},
    optional={
        "name": words,
        "logic": st.lists(
            st.fixed_dictionaries(
                {
                    "if": st.fixed_dictionaries({"question": ids, "op": st.just("answered")}),
                    "goto": ids,
                }
            ),
            max_size=3,
        ),
        "trigger": st.fixed_dictionaries(
            {"type": st.sampled_from(["page", "manual"])},
            optional={"delay_s": st.integers(0, 9)},
        ),
        "appearance": st.fixed_dictionaries({}, optional={"theme": st.sampled_from(["dark"])}),
        "translations": st.dictionaries(
            st.sampled_from(["de", "fr"]),
            st.fixed_dictionaries(
                {"questions": st.dictionaries(ids, st.fixed_dictionaries({"title": words}))}
            ),
            max_size=2,
        ),
    },
)


def normal(value, keep=False):
    """What a version holds as the diff reads it: no status, nothing None or empty (`{}`,
    no jumps), but a translation's language even when it has no strings yet."""
    if isinstance(value, list):
        return [normal(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        item = normal(item, keep=key == "translations")
        empty = item is None or (item == {} and not keep) or (key == "logic" and item == [])
        if key != "status" and not empty:
            out[key] = item
    return out


@settings(max_examples=150, deadline=None)
@given(definitions, definitions)
def test_a_difference_is_found_exactly_when_the_definitions_differ(old, new):
    assert bool(changes(old, new)) == (normal(old) != normal(new))


@settings(max_examples=100, deadline=None)
@given(definitions, definitions)
def test_what_one_way_adds_the_other_way_removes(old, new):
    def kinds(found, kind):
        return sorted(c["path"] for c in found if c["kind"] == kind and c["area"] == "questions")

    there, back = changes(old, new), changes(new, old)
    assert kinds(there, "added") == kinds(back, "removed")
    assert kinds(there, "removed") == kinds(back, "added")
    assert kinds(there, "moved") and kinds(back, "moved") or not kinds(there, "moved")


@settings(max_examples=100, deadline=None)
@given(definitions, definitions)
def test_every_question_added_or_removed_is_named(old, new):
    before = {q["id"] for q in old["questions"]}
    after = {q["id"] for q in new["questions"]}
    found = changes(old, new)
    added = {c["path"] for c in found if c["kind"] == "added" and c["area"] == "questions"}
    removed = {c["path"] for c in found if c["kind"] == "removed" and c["area"] == "questions"}
    assert {f"questions.{q}" for q in after - before} <= added
    assert {f"questions.{q}" for q in before - after} <= removed
    assert all(c["text"] for c in found)
