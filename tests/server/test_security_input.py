"""Hostile input: size limits on bodies, strings, counts and nesting (each a 4xx naming the
path, never stricter than what the client sends), values no database can store, and what
every answer carries (JSON errors, `nosniff`, no stack trace in a 500)."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
import sqlalchemy as sa

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from refiner_server.client.limits import (
    MAX_BODY_BYTES,
    MAX_BODY_VALUES,
    MAX_PING_BYTES,
    MAX_RESPONSE_BYTES,
)
from refiner_server.client.rules import MAX_ITEMS
from refiner_server.db import contacts, events, responses, traits
from refiner_server.projects import import_surveys
from refiner_web.answers import (
    MAX_ANSWER_CHARS,
    MAX_CHOICES,
    MAX_QUESTIONS,
    OTHER_MAX,
    TEXT_MAX,
    answer_chars,
)
from refiner_web.survey import clean_questions
from refiner_web.values import MAX_FIELDS, MAX_FIELDS_TEXT
from refiner_web.wire import dumps
from tests.server.admin_support import auth

API = "/api/v1/client/p1"
ANON = "anon-0000000001"
CTRL = "\x01"  # six bytes in JSON (`\u0001`): the dearest character a client may send


def error(r: Any, status: int) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert set(r.json()["error"]) == {"code", "message"}
    return r.json()["error"]["message"]


# -- the largest bodies the client sends legitimately pass ---------------------------------


def send(client, method: str, path: str, body: dict[str, Any]) -> Any:
    """`body` as the client sends it (refiner_web.wire)."""
    content = dumps(body).encode()
    return client.request(method, f"{API}/{path}", content=content)


def test_largest_legitimate_ping(client, db) -> None:
    """100 user and 100 account traits, names and values at 255 characters, every one a
    control character (6 bytes as JSON, the dearest): within MAX_PING_BYTES, all stored."""
    many = {f"{i:03d}" + CTRL * 252: CTRL * 255 for i in range(100)}
    user = {"id": CTRL * 255, "email": CTRL * 255, "name": CTRL * 255, "traits": many}
    user["account"] = {"id": CTRL * 255, "name": CTRL * 255, "traits": many}
    page = {"url": CTRL * 2048, "title": CTRL * 2048, "referrer": CTRL * 2048}
    body = {"anonymous_id": ANON, "user": user, "page": page, "locale": CTRL * 64}
    r = send(client, "POST", "ping", body)
    assert MAX_BODY_BYTES < len(r.request.content) <= MAX_PING_BYTES
    assert r.status_code == 200, r.text[:300]
    assert db.count(traits) == 200


def test_largest_legitimate_response(client, db, engine) -> None:
    """Text answers as long as a survey's answers may be (MAX_ANSWER_CHARS), the longest
    "other" text, hidden fields of MAX_FIELDS_TEXT characters, all control characters:
    within MAX_RESPONSE_BYTES, all stored."""
    plan = {"id": "p", "type": "multiple_choice", "choices": [{"id": "a"}], "other": True}
    lengths = {"t0": TEXT_MAX, "t1": TEXT_MAX, "t2": 1}
    questions = [{"id": k, "type": "text", "max_length": n} for k, n in lengths.items()]
    questions.append(plan)
    lengths["t2"] += MAX_ANSWER_CHARS - answer_chars(clean_questions(questions))
    questions[2]["max_length"] = lengths["t2"]
    import_surveys(engine, "p1", [{"id": "f" * 64, "status": "live", "questions": questions}])
    answers = {k: CTRL * n for k, n in lengths.items()}
    answers.update({"p": ["a", "other"], "p_other": CTRL * OTHER_MAX})
    fields = {f"{i:02d}": CTRL * (MAX_FIELDS_TEXT // MAX_FIELDS - 2) for i in range(MAX_FIELDS)}
    body = {
        "anonymous_id": ANON,
        "form_id": "f" * 64,
        "answers": answers,
        "data": fields,
        "locale": CTRL * 64,
        "page_url": CTRL * 2048,
        "completed": True,
    }
    r = send(client, "PUT", "responses/resp-0000001", body)
    assert MAX_BODY_BYTES < len(r.request.content) <= MAX_RESPONSE_BYTES
    assert r.status_code == 200, r.text[:300]
    (row,) = db.rows(responses)
    assert row["answers"] == answers and row["data"] == fields and row["notes"] is None


def test_hidden_fields_past_their_total_are_dropped_with_a_note(client, db) -> None:
    """The door applies the client's total (MAX_FIELDS_TEXT): what fits is stored, the
    rest dropped with a note, and the response stays."""
    fields = {f"f{i}": "x" * 4000 for i in range(3)}
    body = {"anonymous_id": ANON, "form_id": "f", "data": fields}
    r = send(client, "PUT", "responses/resp-0000001", body)
    assert r.status_code == 200, r.text[:300]
    assert r.json()["dropped"] == [
        f"field f2 dropped: fields hold at most {MAX_FIELDS_TEXT} characters in all"
    ]
    (row,) = db.rows(responses)
    assert list(row["data"]) == ["f0", "f1"]


def test_a_survey_whose_answers_could_outgrow_the_budget_is_refused(client, engine) -> None:
    """Three text questions of the largest `max_length` could hold more than a response
    body's budget of answers (MAX_ANSWER_CHARS)."""
    questions = [{"id": f"t{i}", "type": "text", "max_length": TEXT_MAX} for i in range(3)]
    survey = {"id": "big", "questions": questions}
    r = client.post("/api/v1/admin/projects/p1/surveys", json=survey, headers=auth(engine))
    assert f"answers hold at most {MAX_ANSWER_CHARS} characters" in error(r, 422)
    questions.pop()
    r = client.post("/api/v1/admin/projects/p1/surveys", json=survey, headers=auth(engine))
    assert r.status_code == 201, r.text


def test_most_values_a_legitimate_response_holds(client, db, engine) -> None:
    """Every choice picked on each of the most questions a survey may have, "other" on as
    many as the answers' budget allows, and 100 hidden fields: under the body's value
    budget, all stored."""
    choices = [{"id": str(j)} for j in range(MAX_CHOICES)]
    questions = [
        {"id": f"q{i}", "type": "multiple_choice", "choices": choices, "other": i < 10}
        for i in range(MAX_QUESTIONS)
    ]
    import_surveys(engine, "p1", [{"id": "f", "status": "live", "questions": questions}])
    picked = [c["id"] for c in choices]
    answers = {f"q{i}": picked + ["other"] * (i < 10) for i in range(MAX_QUESTIONS)}
    answers.update({f"q{i}_other": "a, b: [c] {d}" for i in range(10)})
    body = {"anonymous_id": ANON, "form_id": "f", "answers": answers}
    body["data"] = {f"field{i}": i for i in range(100)}
    r = send(client, "PUT", "responses/resp-0000001", body)
    assert r.status_code == 200, r.text[:300]
    (row,) = db.rows(responses)
    assert row["answers"] == answers and row["notes"] is None


@pytest.mark.parametrize("path", ["ping", "events", "responses/resp-0000001"])
@pytest.mark.parametrize("item", ["[]", "0.5", '"x"'])
def test_a_body_of_more_values_than_the_budget_is_refused_unparsed(client, db, path, item):
    """Parsing costs per value (an empty list or a float up to ~0.4 us), not per byte:
    beyond MAX_BODY_VALUES a body is refused with 413 before it is parsed, whichever
    endpoint; text holding commas, colons and brackets is not counted."""
    pad = ",".join([item] * MAX_BODY_VALUES)
    body = '{"anonymous_id": "%s", "form_id": "f", "pad": [%s]}' % (ANON, pad)
    method = client.put if path.startswith("responses") else client.post
    assert str(MAX_BODY_VALUES) in error(method(f"{API}/{path}", content=body), 413)
    text = json.dumps('[{"a":' * (MAX_BODY_VALUES // 2))  # 3 counted each, if text were
    body = '{"anonymous_id": "%s", "form_id": "f", "pad": %s}' % (ANON, text)
    assert method(f"{API}/{path}", content=body).status_code != 413


@pytest.mark.parametrize(
    ("path", "method", "limit"),
    [
        ("ping", "post", MAX_PING_BYTES),
        ("responses/resp-0000001", "put", MAX_RESPONSE_BYTES),
        ("events", "post", MAX_BODY_BYTES),
        ("views", "post", MAX_BODY_BYTES),
    ],
)
def test_body_limit_per_endpoint(client, path, method, limit) -> None:
    body = b'{"anonymous_id": "anon-0000000001", "pad": "' + b"a" * limit + b'"}'
    msg = error(getattr(client, method)(f"{API}/{path}", content=body), 413)
    assert str(limit) in msg


# -- each field's limit, named by its path --------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"user": {"id": "u" * 256}}, "user.id"),
        ({"user": {"id": "u", "email": "e" * 256}}, "user.email"),
        ({"user": {"id": "u", "account": {"id": "a" * 256}}}, "user.account.id"),
        ({"user": {"id": "u", "account": {"id": "a", "name": "n" * 256}}}, "user.account.name"),
        ({"user": {"id": "u"}, "signature": "s" * 129}, "signature"),
        ({"locale": "l" * 65}, "locale"),
        ({"page": {"title": "t" * 2049}}, "page.title"),
        ({"page": {"referrer": "r" * 2049}}, "page.referrer"),
        ({"user": {"id": "u\x00"}}, "user.id"),
    ],
)
def test_ping_field_limits(client, db, body, field) -> None:
    body.setdefault("anonymous_id", ANON)
    assert field in error(client.post(f"{API}/ping", json=body), 422)
    assert db.count(contacts) == 0


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"answers": {"q": float("nan")}}, "answers.q: numbers must be finite"),
        ({"answers": {"q": [1, float("inf")]}}, "answers.q: numbers must be finite (at [1])"),
        ({"answers": {"q": {"x": "a\x00b"}}}, "answers.q: text cannot hold a NUL character"),
        ({"answers": {"q": {"x\x00": 1}}}, "answers.q: text cannot hold a NUL character"),
        ({"answers": {"q": [[[[[[[[[1]]]]]]]]]}}, "answers.q: nested deeper than 8 levels"),
        (
            {"answers": {"q": list(range(MAX_ITEMS + 1))}},
            f"answers.q: more than {MAX_ITEMS} entries",
        ),
        ({"form_id": "f" * 65}, "form_id"),
        ({"locale": "l" * 65}, "locale"),
        ({"page_url": "u" * 2049}, "page_url"),
        ({"user_id": "u" * 256}, "user_id"),
    ],
)
def test_response_field_limits(client, db, fields, where) -> None:
    body = json.dumps({"anonymous_id": ANON, "form_id": "f", **fields})  # NaN as JSON can't
    r = client.put(f"{API}/responses/resp-0000001", content=body)
    assert where in error(r, 422)
    assert db.count(responses) == 0


@pytest.mark.parametrize(
    "raw",
    [
        b'{"form_id": "f", "anonymous_id": "anon-0000000001", "answers": {"q": NaN}}',
        b'{"form_id": "f", "anonymous_id": "anon-0000000001", "answers": {"q": Infinity}}',
        b'{"form_id": "f", "anonymous_id": "anon-0000000001", "answers": {"q": "\\ud800"}}',
        b'{"form_id": "f", "anonymous_id": "anon-0000000001", "answers": {"q": ["\\udfff"]}}',
        b'{"form_id": "f", "anonymous_id": "anon-0000000001", "answers": {"q": 1'
        + b"0" * 5000
        + b"}}",
        b'{"form_id": "f", "anonymous_id": "anon-0000000001", "answers": {"q": '
        + b"[" * 5000
        + b"]" * 5000
        + b"}}",
    ],
)
def test_json_no_database_can_store_is_refused(client, db, raw) -> None:
    """Python's parser takes NaN, Infinity and lone surrogates (PostgreSQL's jsonb does
    not); huge integers and deep nesting fail in the parser: all 4xx, nothing stored."""
    r = client.put(f"{API}/responses/resp-0000001", content=raw)
    assert r.status_code in (400, 422), r.text
    error(r, r.status_code)
    assert db.count(responses) == 0


def test_a_bad_trait_is_dropped_with_a_note_and_the_ping_goes_through(client, db, caplog) -> None:
    """One trait the value rules refuse costs that trait, never the identify around it
    (issue 13, item 9: a NUL made the whole ping a 422, every trait lost, no survey)."""
    raw = (
        b'{"anonymous_id": "anon-0000000001", "user": {"id": "u", "traits": {"plan": "pro", '
        b'"nul": "a\\u0000b", "\\ud800": 1, "half": "\\ud83d", "big": 2147483648, '
        b'"list": [1], "bad_at": "soon", "' + b"k" * 256 + b'": 1}, '
        b'"account": {"id": "acme", "traits": {"seats": 5, "n\\u0000": 1}}}}'
    )
    r = client.post(f"{API}/ping", content=raw)
    assert r.status_code == 200, r.text
    assert r.json()["forms"]  # surveys are served
    stored = {row["key"] for row in db.rows(traits)}
    assert stored == {"plan", "seats"}
    notes = [rec.getMessage() for rec in caplog.records if "dropped" in rec.getMessage()]
    assert len(notes) == 1 and "trait nul dropped: text cannot hold a NUL character" in notes[0]
    assert notes[0].count("dropped") == 8


def test_more_than_100_traits_keep_the_first_100(client, db) -> None:
    many = {f"k{i:03d}": i for i in range(150)}
    body = {"anonymous_id": ANON, "user": {"id": "u", "traits": many}}
    assert client.post(f"{API}/ping", json=body).status_code == 200
    assert {row["key"] for row in db.rows(traits)} == {f"k{i:03d}" for i in range(100)}


def test_a_bad_hidden_field_is_dropped_with_a_note_and_the_answers_stored(
    client, db, engine
) -> None:
    """Issue 13, item 8: a hidden field with a NUL (or a lone surrogate, or one too many)
    made the server refuse the response with its answers; now only that field goes, and the
    owner finds why beside the answers (`notes`, capped as answer notes are)."""
    survey = {"id": "f", "status": "live", "questions": [{"id": "score", "type": "nps"}]}
    import_surveys(engine, "p1", [survey])
    fields = ", ".join('"f%d": %d' % (i, i) for i in range(100))
    raw = (
        b'{"anonymous_id": "anon-0000000001", "form_id": "f", "answers": {"score": 9}, '
        b'"data": {"nul\\u0000": 1, "half": "\\ud83d", "inf": -Infinity, "deep": {"a": 1}, '
        b'"long": "' + b"x" * 4097 + b'", ' + fields.encode() + b', "f100": 1}}'
    )
    r = client.put(f"{API}/responses/resp-0000001", content=raw)
    assert r.status_code == 200, r.text
    (row,) = db.rows(responses)
    assert row["answers"] == {"score": 9}
    assert row["data"] == {f"f{i}": i for i in range(100)}
    dropped = r.json()["dropped"]
    assert len(dropped) == 6
    assert dropped[0] == "field nul\ufffd dropped: text cannot hold a NUL character"
    assert dropped[-1] == "field f100 dropped: at most 100 fields"
    assert row["notes"] == dropped


def test_integral_numbers_are_integers_for_traits(client, db) -> None:
    """JSON does not tell 3 from 3.0 (neither does JavaScript): both are the integer 3."""
    body = {"anonymous_id": ANON, "user": {"id": "u", "traits": {"seats": 3.0}}}
    assert client.post(f"{API}/ping", json=body).status_code == 200
    (row,) = db.rows(traits)
    assert row["type"] == "integer"


def test_error_messages_are_bounded(client) -> None:
    answers = {f"{i:03d}" + "k" * 250: float("nan") for i in range(50)}
    body = json.dumps({"anonymous_id": ANON, "form_id": "f", "answers": answers})
    r = client.put(f"{API}/responses/resp-0000001", content=body)
    assert len(error(r, 422)) <= 1000


# -- what every answer carries --------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/"),
        ("get", "/static/refiner.js"),
        ("get", "/static/nothing.js"),
        ("get", "/openapi.json"),
        ("get", "/api/v1/nothing"),
        ("post", f"{API}/ping"),
        ("post", f"{API}/forms/live-one"),
        ("options", f"{API}/ping"),
        ("get", "/api/v1/admin/projects"),
        ("get", "/admin/login"),
    ],
)
def test_nosniff_everywhere(client, method, path) -> None:
    headers = {"origin": "https://s.example", "access-control-request-method": "POST"}
    r = getattr(client, method)(path, headers=headers)
    assert r.headers["x-content-type-options"] == "nosniff", (path, r.status_code)


def test_input_is_never_reflected_as_html(client) -> None:
    evil = "<script>alert(1)</script>"
    for r in (
        client.post(f"/api/v1/client/{'x' * 70}/ping", json={"anonymous_id": ANON}),
        client.post(
            f"{API}/ping", json={"anonymous_id": ANON, "user": {"id": "u", "email": {evil: []}}}
        ),
        client.post(f"{API}/ping", json={"anonymous_id": evil}),
        client.post(f"{API}/forms/{evil}", json={"anonymous_id": ANON}),
        client.get(f"/api/v1/{evil}"),
    ):
        assert r.status_code >= 400
        assert r.headers["content-type"] == "application/json"
        assert r.headers["x-content-type-options"] == "nosniff"


def test_a_crash_is_a_bare_json_500(app, engine) -> None:
    """A real failure (a table gone from under the server): 500, JSON, nosniff, CORS, and
    nothing of the exception or the SQL in the answer."""
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE events"))
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.post(
            f"{API}/events",
            json={"event_id": "evt-00000001", "anonymous_id": ANON, "name": "x"},
            headers={"origin": "https://s.example"},
        )
    assert r.status_code == 500
    assert r.json() == {"error": {"code": "internal_error", "message": "internal server error"}}
    assert r.headers["content-type"] == "application/json"
    assert r.headers["x-content-type-options"] == "nosniff"
    for leak in ("Traceback", "events", "sqlalchemy", "SELECT", "INSERT", "File "):
        assert leak not in r.text


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/admin/projects/p1/contacts/99999999999999999999",
        "/api/v1/admin/projects/p1/contacts?after=99999999999999999999",
        "/api/v1/admin/projects/p1/contacts/2147483648",
    ],
)
def test_a_value_the_database_refuses_is_the_clients_fault(app, engine, path) -> None:
    """An integer past the column (PostgreSQL) or past 64 bits (SQLite's driver) is a 4xx
    on both databases, never a 500."""
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get(path, headers=auth(engine))
    assert 400 <= r.status_code < 500, r.text


def test_events_limit_unchanged(client, db) -> None:
    big = {"event_id": "evt-00000001", "anonymous_id": ANON, "name": "x", "pad": "a" * 70_000}
    error(client.post(f"{API}/events", json=big), 413)
    assert db.count(events) == 0
