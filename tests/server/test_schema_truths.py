"""What the OpenAPI document says is what the server does (issue 13, "Smaller"): times are
RFC 3339 date-times, every resource answers OPTIONS and a wrong method with the full
`Allow`, a literal path segment is never taken for a parameter, and the admin API's
`trait` and `after` formats are stated where clients read them. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from refiner_server.db import dismissals, events, traits, views
from tests.server.admin_support import ADMIN, auth

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
