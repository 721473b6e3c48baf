"""What the OpenAPI document says is what the server does (issue 13, "Smaller"): times are
RFC 3339 date-times, every resource answers OPTIONS and a wrong method with the full
`Allow`, a literal path segment is never taken for a parameter, and the admin API's
`trait` and `after` formats are stated where clients read them. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from refiner_server.db import dismissals, events, traits, views
from tests.server.admin_support import ADMIN, auth, insert_rows

API = "/api/v1/client/p1"
ANON = "anon-0000000001"
MIN_UTC = datetime.min.replace(tzinfo=UTC)
MAX_UTC = datetime.max.replace(tzinfo=UTC)


def stored_at(db, view_id: str) -> datetime:
    (row,) = db.rows(views, views.c.view_id == view_id)
    at = row["shown_at"]
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


WRITES = [
    ("events", "occurred_at", {"event_id": "evt-00000001", "name": "x"}),
    ("views", "shown_at", {"view_id": "view-0000001", "form_id": "live-one"}),
    ("dismissals", "dismissed_at", {"dismissal_id": "dis-00000001", "form_id": "live-one"}),
]
TABLES = {"events": events, "views": views, "dismissals": dismissals}


@pytest.mark.parametrize(("path", "field", "body"), WRITES, ids=[w[0] for w in WRITES])
@pytest.mark.parametrize(
    "when", [0, 1772323200, "0", "2026-03-01", "2026-03-01T12:00:00", "2026-03-01 12:00:00Z"]
)
def test_times_are_date_times_with_a_zone(client, db, path, field, body, when):
    """The schema says `format: date-time` (RFC 3339): a number, a date alone or a time
    without a zone is refused, naming the field, and nothing is stored."""
    r = client.post(f"{API}/{path}", json={**body, "anonymous_id": ANON, field: when})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["message"].startswith(f"{field}: must be an RFC 3339 date-time")
    assert db.count(TABLES[path]) == 0


@pytest.mark.parametrize(
    ("when", "utc"),
    [
        ("2026-03-01T12:00:00Z", datetime(2026, 3, 1, 12, tzinfo=UTC)),
        ("2026-03-01t13:30:00.5+01:30", datetime(2026, 3, 1, 12, 0, 0, 500000, tzinfo=UTC)),
        ("2026-03-01T12:00:00.1234567891z", datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)),
        # the calendar's ends, in a zone that takes them past it in UTC: the nearest end
        ("0001-01-01T00:00:00+05:00", MIN_UTC),
        ("9999-12-31T23:59:59-23:59", MAX_UTC),
    ],
)
def test_every_date_time_is_stored_in_utc(client, db, when, utc):
    body = {"view_id": "view-0000001", "form_id": "live-one", "anonymous_id": ANON}
    r = client.post(f"{API}/views", json={**body, "shown_at": when})
    assert r.status_code == 202, r.text
    assert stored_at(db, "view-0000001") == utc


def test_a_trait_date_past_the_calendar_costs_no_trait(client, db):
    """Was a 422 for the whole ping (every trait of the identify lost)."""
    user = {"id": "u1", "traits": {"first_at": "0001-01-01T00:00:00+05:00", "plan": "pro"}}
    r = client.post(f"{API}/ping", json={"anonymous_id": ANON, "user": user})
    assert r.status_code == 200, r.text
    keys = {t["key"] for t in db.rows(traits)}
    assert keys == {"first_at", "plan"}


@pytest.mark.parametrize("path", ["responses", "responses/export", "surveys/live-one/summary"])
@pytest.mark.parametrize("when", ["0", "1772323200", "2026-03-01T12:00:00"])
def test_admin_time_filters_are_date_times_with_a_zone(client, engine, path, when):
    h = auth(engine)
    for name in ("since", "until"):
        r = client.get(f"{ADMIN}/projects/p1/{path}", params={name: when}, headers=h)
        assert r.status_code == 422, (name, r.text)
        assert r.json()["error"]["message"].startswith(f"{name}: must be an RFC 3339")
    since = {"since": "2026-03-01T12:00:00+02:00"}
    ok = client.get(f"{ADMIN}/projects/p1/{path}", params=since, headers=h)
    assert ok.status_code == 200, ok.text


# -- every resource says which methods it takes --------------------------------------------

FILL = {"project": "p1", "project_id": "p1", "survey_id": "live-one", "contact_id": "1"}
FILL.update(form_id="live-one", response_id="resp-0000001", account_id="acme")
FILL.update(endpoint_id="wh-1", delivery_id="1", version="1", segment_id="s1")
FILL.update(user_id="u1", invitation_id="i1")
UNDECLARED = ("PATCH", "DELETE", "PUT", "POST", "GET")


def documented_paths(app) -> list[tuple[str, set[str]]]:
    """(url, its documented methods) of every path of the OpenAPI document."""
    out = []
    for path, operations in app.openapi()["paths"].items():
        url = path.format(**{k: FILL.get(k, k) for k in FILL}) if "{" in path else path
        out.append((url, {m.upper() for m in operations}))
    return out


def allow_of(r) -> set[str]:
    return {m.strip() for m in r.headers["allow"].split(",")}


def test_options_and_a_wrong_method_name_every_method_of_the_path(app, client, engine):
    """Was 405 to OPTIONS with `Allow` naming one method (`GET` for `GET, POST /projects`)."""
    h = auth(engine)
    for url, methods in documented_paths(app):
        r = client.options(url, headers=h)
        assert r.status_code == 204, url
        assert allow_of(r) == methods | {"OPTIONS"}, url
        wrong = next(m for m in UNDECLARED if m not in methods)
        r = client.request(wrong, url, headers=h)
        assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed", url
        assert allow_of(r) == methods | {"OPTIONS"}, url


def test_options_on_pages_and_files(client):
    for url, methods in [("/docs", {"GET"}), ("/static/refiner.js", {"GET", "HEAD"})]:
        assert allow_of(client.options(url)) == methods | {"OPTIONS"}
        r = client.post(url)
        assert r.status_code == 405 and allow_of(r) == methods | {"OPTIONS"}


@pytest.mark.parametrize("tail", ["summary", "versions", "nonsense"])
def test_a_literal_path_segment_is_not_an_action(client, engine, tail):
    """`POST .../{survey_id}/summary` matched `{action}` and answered 422; there is no POST
    there: 405 (and a made-up action, no route: 404)."""
    r = client.post(f"{ADMIN}/projects/p1/surveys/live-one/{tail}", headers=auth(engine))
    assert r.status_code == (404 if tail == "nonsense" else 405), r.text


def test_the_formats_of_trait_and_after_are_in_the_document(app):
    """A client reads how to write `trait` and `after` where it reads the rest."""
    paths = app.openapi()["paths"]

    def param(path: str, name: str) -> dict:
        (found,) = [p for p in paths[ADMIN + path]["get"]["parameters"] if p["name"] == name]
        return found

    trait = param("/projects/{project_id}/contacts", "trait")
    assert "key:value" in trait["description"] and "_at" in trait["description"]
    assert "pattern" in str(trait["schema"])
    after = param("/projects/{project_id}/responses", "after")
    assert "next" in after["description"] and "pattern" in str(after["schema"])


# -- what the document admits is what the server takes ---------------------------------------


def test_a_rule_on_keys_is_a_rule_on_keys(app, client):
    """pydantic wrote the key rule of `answers` (no NUL) as `patternProperties`, which limits
    only the values of the keys it matches: the document admitted a NUL key the server
    refuses. Key rules are `propertyNames`, at every depth."""
    document = json.dumps(app.openapi())
    assert "patternProperties" not in document
    answers = app.openapi()["components"]["schemas"]["ResponseIn"]["properties"]["answers"]
    assert answers["propertyNames"]["pattern"] == "^[^\\x00]*$"
    body = {"anonymous_id": ANON, "form_id": "live-one", "answers": {"a\0b": 1}}
    r = client.put(f"{API}/responses/resp-0000001", json=body)
    assert r.status_code == 422 and r.json()["error"]["message"].startswith("answers.a"), r.text


def test_traits_and_hidden_fields_admit_what_is_dropped(app, client, db):
    """A bad trait or hidden field is dropped with a note, never refused: the document
    admitted no NUL key and at most 100 entries, so it said such a body was refused."""
    schemas = app.openapi()["components"]["schemas"]
    for model, field in [("User", "traits"), ("Account-Input", "traits"), ("ResponseIn", "data")]:
        schema = schemas[model]["properties"][field]
        assert set(schema) <= {"type", "description", "title"}, (model, schema)
        assert "dropped with a note" in schema["description"]
    many = {f"t{i}": i for i in range(101)} | {"a\0b": 1, "list": [1]}
    r = client.post(f"{API}/ping", json={"anonymous_id": ANON, "user": {"id": "u", "traits": many}})
    assert r.status_code == 200, r.text
    assert db.count(traits) == 100


@pytest.mark.parametrize(
    "body",
    [
        {"rotate_secret": 0},
        {"rotate_secret": "true"},
        {"identity_verification": 1},
        {"identity_verification": "yes"},
        {"name": "a\0b"},
    ],
)
def test_project_settings_take_only_what_the_document_says(client, engine, body):
    """`rotate_secret: 0` was taken as false (and `1` rotated the secret): booleans are
    JSON's; a NUL in a name was a PostgreSQL error, a stored name on SQLite."""
    r = client.patch(f"{ADMIN}/projects/p1", json=body, headers=auth(engine))
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error", r.text


def test_a_trait_filter_no_trait_can_hold_matches_nothing(client, engine):
    """Its pattern admits `signup_at:soon`; that was a 422 (and a 21-digit integer a
    database error); no ping stores such a trait, so no contact has it."""
    user = {"id": "u1", "traits": {"signup_at": "2026-03-01", "seats": 5}}
    assert client.post(f"{API}/ping", json={"anonymous_id": ANON, "user": user}).status_code == 200
    h = auth(engine)

    def users(trait: str) -> list[str]:
        r = client.get(f"{ADMIN}/projects/p1/contacts", params={"trait": trait}, headers=h)
        assert r.status_code == 200, (trait, r.text)
        return [c["user_id"] for c in r.json()["items"]]

    assert users("signup_at:2026-03-01") == ["u1"] and users("seats:5") == ["u1"]
    for trait in ["signup_at:soon", "signup_at:2026-02-30", "seats:" + "9" * 21, "k" * 300 + ":x"]:
        assert users(trait) == [], trait


def test_every_cursor_of_the_pattern_is_a_place(client, engine):
    """The cursor was `<ISO time>|<id>`: its pattern admitted `2026-02-30...|x`, refused
    with a 422. Now a time in microseconds, which every string of the pattern is."""
    h = auth(engine)
    insert_rows(engine, 3, form="live-one")
    url = f"{ADMIN}/projects/p1/responses"

    def ids(**params: object) -> list[str]:
        r = client.get(url, params=params, headers=h)
        assert r.status_code == 200, (params, r.text)
        return [row["response_id"] for row in r.json()["items"]]

    every = ids()
    assert len(every) == 3 and ids(after="0|a") == every
    assert ids(after="9" * 17 + "|a") == []
    first = client.get(url, params={"limit": 1}, headers=h).json()["next"]
    assert ids(after=first) == every[1:]
    for bad in ["2026-02-30T00:00:00|x", "-1|x", "1|", "9" * 18 + "|x"]:
        r = client.get(url, params={"after": bad}, headers=h)
        assert r.status_code == 422 and r.json()["error"]["message"].startswith("after:"), bad


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/projects/a%00b", "project_id"),
        ("/projects/p1/surveys/a%00b", "survey_id"),
        ("/projects/p1/accounts/a%00b", "account_id"),
        ("/projects/p1/contacts/2147483648", "contact_id"),
        ("/projects/p1/contacts?after=2147483648", "after"),
        ("/projects/p1/contacts?q=a%00b", "q"),
        ("/projects/p1/accounts?after=a%00b", "after"),
        ("/projects/p1/responses?survey=a%00b", "survey"),
    ],
)
def test_ids_and_filters_have_the_same_answer_on_every_database(client, engine, path, name):
    """A NUL or an integer past PostgreSQL's column was its error (422 `invalid_value`,
    undeclared) and a 404 or 200 on SQLite: the document states the formats, both refuse."""
    r = client.get(ADMIN + path, headers=auth(engine))
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "validation_error" and error["message"].startswith(name + ":"), error
