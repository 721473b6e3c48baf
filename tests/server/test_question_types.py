"""Matrix, ranking, date, consent and call to action on the server, on SQLite and
PostgreSQL: the validator refuses broken definitions with their path, saved answers are
checked (the good stored as sent, the bad left out with a note), and the summary, the
dashboard page, the CSV and the JSON export show each type."""

from __future__ import annotations

import csv
import io

import pytest

from refiner_server.db import responses
from refiner_server.projects import import_surveys
from refiner_server.surveys.reports import survey_summary
from refiner_server.tokens import create_token

from .admin_support import ADMIN
from .admin_support import auth as make_auth

API = "/api/v1/client/p1"
PAGE = "/admin/projects/p1/surveys/types"
ROWS = [{"id": "speed", "label": "Speed"}, {"id": "price", "label": "Price"}]
SURVEY = {
    "id": "types",
    "status": "live",
    "questions": [
        {
            "id": "grid",
            "type": "matrix",
            "title": "How do we do",
            "required": True,
            "rows": ROWS,
            "columns": [{"id": "bad", "label": "Bad"}, {"id": "good", "label": "Good"}],
        },
        {"id": "likert", "type": "matrix", "rows": ROWS, "scale": 5},
        {
            "id": "order",
            "type": "ranking",
            "title": "Rank",
            "choices": [{"id": "a", "label": "Alerts"}, {"id": "b", "label": "Boards"}],
        },
        {"id": "when", "type": "date", "min": "2026-01-01", "max": "2026-12-31"},
        {"id": "terms", "type": "consent", "label": "I agree"},
        {"id": "go", "type": "cta", "link": {"label": "Book", "url": "https://x.test/book"}},
    ],
}
GOOD = {
    "grid": {"speed": "good", "price": "bad"},
    "likert": {"speed": 4},
    "order": ["b", "a"],
    "when": "2026-03-15",
    "terms": True,
    "go": True,
}


@pytest.fixture
def types(engine):
    import_surveys(engine, "p1", [SURVEY])


def put(client, n: int, answers: dict) -> None:
    body = {"anonymous_id": f"anon-{n:010d}", "form_id": "types", "answers": answers}
    r = client.put(f"{API}/responses/resp-{n:08d}", json=dict(body, completed=True))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("question", "fault"),
    [
        ({"type": "matrix", "columns": ROWS}, "questions[0].rows: must be a list of 1 to 20"),
        ({"type": "matrix", "rows": ROWS * 2}, "questions[0].rows[2].id: duplicate row id"),
        ({"type": "matrix", "rows": ROWS, "columns": ROWS[:1]}, "questions[0].columns: must"),
        ({"type": "ranking", "choices": ROWS[:1]}, "questions[0].choices: must be a list of 2"),
        ({"type": "date", "max": "2026-02-30"}, "questions[0].max: must be a date YYYY-MM-DD"),
        ({"type": "date", "min": "2026-02-01", "max": "2026-01-01"}, "questions[0].min: must"),
        ({"type": "cta"}, "questions[0].link:"),
        ({"type": "cta", "link": {"label": "x", "url": "javascript:x"}}, "questions[0].link.url"),
        ({"type": "consent", "label": 3}, "questions[0].label: must be a string"),
    ],
)
def test_the_validator_refuses_broken_types_with_their_path(client, engine, question, fault):
    survey = {"id": "s", "questions": [{"id": "q", **question}]}
    r = client.post(f"{ADMIN}/projects/p1/surveys", json=survey, headers=make_auth(engine))
    assert r.status_code == 422 and fault in r.text, r.text


def test_logic_on_a_matrix_row_must_name_a_row(client, engine):
    survey = {
        "id": "s",
        "questions": [SURVEY["questions"][0], {"id": "end2", "type": "text"}],
        "logic": [{"if": {"question": "grid", "row": "nope", "op": "answered"}, "goto": "end2"}],
    }
    r = client.post(f"{ADMIN}/projects/p1/surveys", json=survey, headers=make_auth(engine))
    assert r.status_code == 422 and "logic[0].if.row: no row with id 'nope'" in r.text


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ({"grid": {"speed": "good"}}, "answers.grid: left out, a required matrix with rows"),
        ({"grid": {"speed": "great", "price": "bad"}}, "answers.grid: left out, not an answer"),
        ({"likert": {"speed": 6}}, "answers.likert: left out, not an answer"),
        ({"order": ["a"]}, "answers.order: left out, not an order of every item"),
        ({"when": "2025-12-31"}, "answers.when: left out, before 2026-01-01"),
        ({"when": "2027-01-01"}, "answers.when: left out, after 2026-12-31"),
        ({"when": "15/03/2026"}, "answers.when: left out, not a date YYYY-MM-DD"),
        ({"terms": "yes"}, "answers.terms: left out, not an answer"),
        ({"go": 1}, "answers.go: left out, not an answer"),
    ],
)
def test_bad_answers_are_left_out_with_a_note(client, db, types, bad, why):
    put(client, 1, dict(GOOD, **bad))
    (row,) = db.rows(responses)
    assert row["answers"] == {k: v for k, v in GOOD.items() if k not in bad}
    assert len(row["notes"]) == 1 and row["notes"][0].startswith(why), row["notes"]


def test_summary_page_and_exports_show_every_type(client, engine, types):
    put(client, 1, GOOD)
    put(
        client,
        2,
        {
            "grid": {"speed": "good", "price": "good"},
            "likert": {"speed": 2, "price": 5},
            "order": ["a", "b"],
            "when": "2026-03-01",
            "terms": True,
        },
    )
    put(client, 3, {"when": "2026-11-30"})
    summary = {q["id"]: q for q in survey_summary(engine, "p1", "types")["questions"]}

    grid = summary["grid"]
    assert grid["answered"] == 2
    speed, price = grid["rows"]
    assert [(d["value"], d["count"]) for d in speed["distribution"]] == [("bad", 0), ("good", 2)]
    assert [(d["value"], d["count"]) for d in price["distribution"]] == [("bad", 1), ("good", 1)]
    likert = {r["id"]: r for r in summary["likert"]["rows"]}
    assert likert["speed"]["average"] == 3 and likert["price"]["average"] == 5
    assert [d["count"] for d in likert["price"]["distribution"]] == [0, 0, 0, 0, 1]
    items = {i["id"]: i for i in summary["order"]["items"]}
    assert items["a"]["average_rank"] == 1.5 and items["b"]["average_rank"] == 1.5
    assert items["a"]["first"] == 1 and summary["order"]["answered"] == 2
    when = summary["when"]
    assert when["months"] == [{"month": "2026-03", "count": 2}, {"month": "2026-11", "count": 1}]
    assert (when["earliest"], when["latest"]) == ("2026-03-01", "2026-11-30")
    assert (summary["terms"]["answered"], summary["terms"]["percent"]) == (2, 66.7)
    assert (summary["go"]["answered"], summary["go"]["percent"]) == (1, 33.3)

    raw = create_token(engine, "owner")[1]
    login = {"token": raw, "next": "/admin"}
    client.post("/admin/login", data=login, headers={"origin": "http://testserver"})
    page = client.get(PAGE).text
    assert '<th scope="row">Speed</th><td>0</td><td>2</td>' in page  # a row's distribution
    assert "Average rank" in page and '<th scope="row">Alerts</th><td>1.5</td>' in page
    assert '<th scope="row">2026-03</th><td>2</td>' in page
    assert '<th scope="row">Given</th><td>2</td><td>66.7 %</td>' in page
    assert 'aria-labelledby="q0-row1-t q0-row1-d"' in page  # one chart per matrix row

    h = make_auth(engine)
    export = f"{ADMIN}/projects/p1/responses/export"
    text = client.get(export, params={"format": "csv", "survey": "types"}, headers=h).text
    first, second, third = csv.DictReader(io.StringIO(text))
    assert (first["grid.speed"], first["grid.price"], first["likert.speed"]) == ("good", "bad", "4")
    assert first["likert.price"] == "" and first["order"] == "b;a"
    assert (first["when"], first["terms"], first["go"]) == ("2026-03-15", "true", "true")
    assert second["go"] == "" and third["grid.speed"] == "" and "grid" not in first
    assert first["extra_fields"] == ""
    got = client.get(export, params={"format": "json", "survey": "types"}, headers=h).json()
    assert got[0]["answers"] == GOOD
