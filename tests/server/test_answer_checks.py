"""Answers checked against the survey version they answer (issue 13, item 6): what its
questions can have is stored, the rest is left out with a note, never a refused write; the
survey page and its summary stay as long as the survey, whatever strangers send."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from refiner_server.dashboard.views import SHOWN_FIELDS
from refiner_server.db import contacts, responses
from refiner_server.projects import import_surveys
from refiner_server.surveys.store import update_survey
from refiner_server.tokens import create_token
from refiner_web.values import MAX_FIELDS

from .admin_support import ADMIN, T0, respond
from .admin_support import auth as make_auth

API = "/api/v1/client/p1"
SURVEY = {
    "id": "ask",
    "status": "live",
    "questions": [
        {
            "id": "plan",
            "type": "single_choice",
            "choices": [{"id": "free"}, {"id": "pro"}, {"id": "team"}],
        },
        {
            "id": "tools",
            "type": "multiple_choice",
            "choices": [{"id": "a"}, {"id": "b"}, {"id": "c"}],
            "other": True,
            "max": 2,
        },
        {"id": "score", "type": "nps"},
        {"id": "stars", "type": "rating", "scale": 5},
        {"id": "why", "type": "text", "max_length": 10},
        {"id": "mail", "type": "email"},
    ],
}


@pytest.fixture
def ask(engine):
    import_surveys(engine, "p1", [SURVEY])


def put(client, rid: str, answers: dict, form: str = "ask", completed: bool = True):
    body = {"anonymous_id": "anon-" + rid, "form_id": form, "answers": answers}
    return client.put(f"{API}/responses/{rid}", json=dict(body, completed=completed))


def stored(db) -> dict:
    (row,) = db.rows(responses)
    return row


GOOD = {
    "plan": "pro",
    "tools": ["a", "other"],
    "tools_other": "vim",
    "score": 10,
    "stars": 5,
    "why": "fast",
    "mail": "a@b.co",
}


def test_valid_answers_are_stored_as_sent_without_notes(client, db, ask):
    assert put(client, "resp-00000001", GOOD).status_code == 200
    row = stored(db)
    assert row["answers"] == GOOD and row["notes"] is None and row["survey_version"] == 1


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ({"plan": "enterprise"}, "answers.plan: left out, not an answer this question takes"),
        ({"plan": ["free", "pro"]}, "answers.plan: left out, not an answer"),
        ({"tools": ["a", "zzz"]}, "answers.tools: left out, not an answer"),
        ({"tools": ["a", "b", "c"]}, "answers.tools: left out, more than 2 choices"),
        ({"tools": ["a", "a"]}, "answers.tools: left out, not an answer"),
        ({"score": 11}, "answers.score: left out, not an answer"),
        ({"stars": 0}, "answers.stars: left out, not an answer"),
        ({"stars": True}, "answers.stars: left out, not an answer"),
        ({"why": "x" * 11}, "answers.why: left out, longer than 10 characters"),
        ({"mail": "not-an-address"}, "answers.mail: left out, not an email address"),
        ({"made_up": 1}, "answers.made_up: left out, no question of this survey version"),
        ({"plan_other": "x"}, "answers.plan_other: left out, no question"),
    ],
)
def test_one_bad_answer_is_left_out_with_a_note_the_rest_stored(client, db, engine, ask, bad, why):
    """Nothing is lost for one bad answer: 200, the valid answers stored, the bad one
    dropped with a note the owner reads in the API (and the CSV)."""
    answers = dict(GOOD, **bad)
    r = put(client, "resp-00000001", answers)
    assert r.status_code == 200, r.text
    row = stored(db)
    gone = set(bad) | ({"tools_other"} if "tools" in bad else set())  # it goes with its choice
    assert row["answers"] == {k: v for k, v in GOOD.items() if k not in gone}
    note = row["notes"][0]
    assert len(row["notes"]) == len(gone)
    assert note.startswith(why) and "(version 1)" in note
    listed = client.get(f"{ADMIN}/projects/p1/responses", headers=make_auth(engine)).json()
    assert listed["items"][0]["notes"] == row["notes"]


def test_other_text_goes_with_its_choice(client, db, ask):
    put(client, "resp-00000001", {"tools": ["a"], "tools_other": "emacs"})
    row = stored(db)
    assert row["answers"] == {"tools": ["a"]}
    assert row["notes"][0].startswith("answers.tools_other: left out")


def test_a_later_save_is_checked_against_the_version_it_answers(client, db, engine, ask):
    """The owner removes a choice while someone answers: their response keeps answering
    version 1, where the choice exists; a new response answers version 2."""
    assert put(client, "resp-00000001", {"plan": "team"}, completed=False).status_code == 200
    edited = dict(SURVEY, questions=[dict(SURVEY["questions"][0], choices=[{"id": "free"}])])
    update_survey(engine, "p1", "ask", edited)
    put(client, "resp-00000001", {"plan": "team", "score": 3})
    row = stored(db)
    assert row["answers"] == {"plan": "team", "score": 3} and row["survey_version"] == 1
    put(client, "resp-00000002", {"plan": "team"})
    new = db.rows(responses, responses.c.response_id == "resp-00000002")[0]
    assert new["answers"] == {} and new["survey_version"] == 2
    assert "(version 2)" in new["notes"][0]


def test_a_survey_that_does_not_exist_takes_no_answers(client, db):
    """Like a view of it, the response is kept (deleted while someone answered?), but no
    answer of a survey nobody can see reaches an export or a summary."""
    r = put(client, "resp-00000001", {"q": 1}, form="never-made")
    assert r.status_code == 200
    row = stored(db)
    assert row["answers"] == {} and row["survey_version"] is None
    assert row["notes"] == [
        "answers.q: left out, no question of this survey version takes it (no such survey): 1"
    ]


def test_notes_are_bounded(client, db, ask):
    # as many made-up answers as a body may hold (200 keys, 355 KB), each long
    r = put(client, "resp-00000001", {f"junk{i:03d}": "x" * 1000 for i in range(200)})
    assert r.status_code == 200
    notes = stored(db)["notes"]
    assert len(notes) == 20 and notes[-1] == "answers: 181 more left out"
    assert max(len(n) for n in notes) < 250


def test_summary_and_page_stay_proportional_to_the_survey(client, db, engine, ask):
    """The issue's attack: made-up choice ids by the thousand and fat hidden fields. The
    summary lists the survey's choices, and the page is small; rows stored before the
    server checked answers (inserted here directly) count for nothing either."""
    junk = [f"id-{i:05d}" for i in range(1000)]  # 101 a list, the most a body may hold
    for n in range(8):
        rid = f"resp-bad-{n:04d}"
        body = {"anonymous_id": "anon-" + rid, "form_id": "ask", "completed": True}
        body["answers"] = {"plan": junk[n], "tools": junk[n * 101 : (n + 1) * 101]}
        body["data"] = {f"k{i:03d}": "v" * 90 for i in range(300)}
        assert client.put(f"{API}/responses/{rid}", json=body).status_code == 200
    with engine.begin() as conn:
        pk = conn.execute(
            contacts.insert().values(project_id="p1", first_seen_at=T0, last_seen_at=T0)
        ).inserted_primary_key[0]
        conn.execute(
            sa.insert(responses).values(
                project_id="p1",
                response_id="legacy-0001",
                form_id="ask",
                contact_pk=pk,
                answers={"plan": "old-junk", "tools": junk},
                data={},
                completed=True,
                created_at=T0,
                updated_at=T0,
            )
        )
    respond(client, "resp-good-0001", {"plan": "pro"}, form="ask")
    summary = client.get(
        f"{ADMIN}/projects/p1/surveys/ask/summary", headers=make_auth(engine)
    ).json()
    by_id = {q["id"]: q for q in summary["questions"]}
    assert [c["id"] for c in by_id["plan"]["choices"]] == ["free", "pro", "team"]
    assert [c["id"] for c in by_id["tools"]["choices"]] == ["a", "b", "c", "other"]
    assert by_id["plan"]["answered"] == 1 and by_id["tools"]["answered"] == 0
    _token_id, raw = create_token(engine, "owner")
    client.post(
        "/admin/login",
        data={"token": raw, "next": "/admin"},
        headers={"origin": "http://testserver"},
        follow_redirects=False,
    )
    page = client.get("/admin/projects/p1/surveys/ask")
    assert page.status_code == 200
    assert len(page.content) < 200_000
    # 300 fields sent, the door keeps the first MAX_FIELDS, the page shows 19 of them
    more = MAX_FIELDS - (SHOWN_FIELDS - 1)
    assert "id-00999" not in page.text and f"{more} more in the CSV" in page.text
