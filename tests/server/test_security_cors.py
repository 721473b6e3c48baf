"""CORS: a project's allowed origins are enforced on every client endpoint (a refused
request stores nothing, whatever its Content-Type, and gets a 403 `origin_not_allowed` the
page can read: it carries the client API's CORS headers, so the client can say why and keep
the write); the admin API and the dashboard never answer a cross-origin page."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from refiner_server.client.origins import normalise
from refiner_server.db import contacts, dismissals, events, responses, views
from refiner_server.projects import create_project, update_project
from tests.server.admin_support import auth

ANON = "anon-0000000001"
SITE = "https://shop.example"
ELSEWHERE = "https://evil.example"

#: every client endpoint: (method, path under the project, body, table it writes)
WRITES = [
    ("post", "ping", {"anonymous_id": ANON}, contacts),
    ("post", "events", {"event_id": "evt-00000001", "anonymous_id": ANON, "name": "x"}, events),
    ("post", "views", {"view_id": "view-0000001", "anonymous_id": ANON, "form_id": "f"}, views),
    (
        "post",
        "dismissals",
        {"dismissal_id": "dism-0000001", "anonymous_id": ANON, "form_id": "f"},
        dismissals,
    ),
    ("put", "responses/resp-0000001", {"anonymous_id": ANON, "form_id": "f"}, responses),
]


@pytest.fixture
def shop(engine: Any) -> str:
    create_project(engine, "shop", allowed_origins=[SITE, "http://localhost:8080"])
    return "/api/v1/client/shop"


def call(client: Any, method: str, url: str, body: Any, origin: str | None, **headers: str) -> Any:
    if origin is not None:
        headers["origin"] = origin
    return getattr(client, method)(url, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "body", "table"), WRITES)
def test_allowed_origin_is_served(client, db, shop, method, path, body, table) -> None:
    r = call(client, method, f"{shop}/{path}", body, SITE)
    assert r.status_code in (200, 202), r.text
    assert r.headers["access-control-allow-origin"] == "*"
    assert db.count(table) == 1


@pytest.mark.parametrize(("method", "path", "body", "table"), WRITES)
def test_other_origin_is_refused_and_stores_nothing(client, db, shop, method, path, body, table):
    r = call(client, method, f"{shop}/{path}", body, ELSEWHERE)
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "origin_not_allowed"
    assert ELSEWHERE in r.json()["error"]["message"]
    assert r.headers["access-control-allow-origin"] == "*"  # readable: the page learns why
    assert r.headers["access-control-expose-headers"] == "Retry-After"
    assert db.count(table) == 0 and db.count(contacts) == 0


def test_simple_requests_cannot_write_either(client, db, shop) -> None:
    """`sendBeacon` and no-cors `fetch` send text/plain without a preflight: the page
    cannot read the answer, so the write itself must be refused."""
    body = b'{"event_id": "evt-00000001", "anonymous_id": "anon-0000000001", "name": "x"}'
    for ctype in ("text/plain;charset=UTF-8", "application/x-www-form-urlencoded"):
        r = client.post(
            f"{shop}/events", content=body, headers={"content-type": ctype, "origin": ELSEWHERE}
        )
        assert r.status_code == 403
    assert db.count(events) == 0
    # `Origin: null` (sandboxed frames, file: pages) is not on the list either
    assert call(client, "post", f"{shop}/ping", {"anonymous_id": ANON}, "null").status_code == 403


def test_reading_a_form_is_refused_too(client, engine, shop) -> None:
    r = client.post(
        f"{shop}/forms/anything", json={"anonymous_id": ANON}, headers={"origin": ELSEWHERE}
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "origin_not_allowed"
    assert (
        client.post(
            f"{shop}/forms/anything", json={"anonymous_id": ANON}, headers={"origin": SITE}
        ).status_code
        == 404
    )


def test_origin_compared_as_browsers_send_it(client, shop) -> None:
    for origin in ("HTTPS://Shop.Example", "https://shop.example:443", "http://localhost:8080"):
        assert (
            call(client, "post", f"{shop}/ping", {"anonymous_id": ANON}, origin).status_code == 200
        )
    for origin in ("https://shop.example:8443", "http://shop.example", "https://shop.example.evil"):
        assert (
            call(client, "post", f"{shop}/ping", {"anonymous_id": ANON}, origin).status_code == 403
        )


def test_normalise() -> None:
    assert normalise("HTTPS://A.Example:443/") == "https://a.example"
    assert normalise("http://a.example:80") == "http://a.example"
    assert normalise("http://a.example:443") == "http://a.example:443"


def test_no_origin_header_is_not_a_page(client, shop) -> None:
    """Servers and scripts send no Origin; the list is a browser boundary."""
    assert call(client, "post", f"{shop}/ping", {"anonymous_id": ANON}, None).status_code == 200


def test_empty_list_allows_any_origin(client) -> None:
    r = call(client, "post", "/api/v1/client/p1/ping", {"anonymous_id": ANON}, ELSEWHERE)
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"


def test_a_changed_list_applies_at_once(client, engine, shop) -> None:
    assert (
        call(client, "post", f"{shop}/ping", {"anonymous_id": ANON}, ELSEWHERE).status_code == 403
    )
    update_project(engine, "shop", allowed_origins=[ELSEWHERE])
    assert (
        call(client, "post", f"{shop}/ping", {"anonymous_id": ANON}, ELSEWHERE).status_code == 200
    )
    assert call(client, "post", f"{shop}/ping", {"anonymous_id": ANON}, SITE).status_code == 403


def test_preflight_is_approved_but_the_request_is_not(client, db, shop) -> None:
    """A preflight reaches no project (no database read); the request it clears does, and
    its refusal is readable by the page that sent it."""
    r = client.options(
        f"{shop}/responses/resp-0000001",
        headers={
            "origin": ELSEWHERE,
            "access-control-request-method": "PUT",
            "access-control-request-headers": "content-type",
        },
    )
    assert r.status_code == 204 and r.headers["access-control-allow-origin"] == "*"
    assert "PUT" in r.headers["access-control-allow-methods"]
    assert r.headers["access-control-allow-headers"].lower() == "content-type"
    body = {"anonymous_id": ANON, "form_id": "f"}
    r = call(client, "put", f"{shop}/responses/resp-0000001", body, ELSEWHERE)
    assert r.status_code == 403 and r.headers["access-control-allow-origin"] == "*"
    assert db.count(responses) == 0


# -- the admin side never speaks CORS -----------------------------------------------------------

ADMIN_PATHS = ["/api/v1/admin/projects", "/api/v1/admin/projects/p1", "/admin", "/admin/login"]


@pytest.mark.parametrize("path", ADMIN_PATHS)
def test_admin_answers_carry_no_cors(client, engine, path) -> None:
    r = client.get(path, headers={"origin": ELSEWHERE, **auth(engine)}, follow_redirects=False)
    assert r.status_code < 500
    assert not any(k.lower().startswith("access-control-") for k in r.headers)


@pytest.mark.parametrize("path", ADMIN_PATHS)
@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
def test_admin_preflights_are_not_approved(client, path, method) -> None:
    r = client.options(
        path,
        headers={
            "origin": ELSEWHERE,
            "access-control-request-method": method,
            "access-control-request-headers": "authorization, content-type",
        },
    )
    assert r.status_code >= 400
    assert not any(k.lower().startswith("access-control-") for k in r.headers)


def test_admin_write_from_a_page_is_not_readable(client, engine) -> None:
    r = client.post(
        "/api/v1/admin/projects",
        json={"id": "fromapage"},
        headers={"origin": ELSEWHERE, **auth(engine)},
    )
    assert "access-control-allow-origin" not in r.headers


def test_the_origin_check_costs_no_query(client, engine, shop) -> None:
    """The list comes with the project row the store reads for every request anyway."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if "webhook" not in statement:  # the app's webhook worker polls from its thread
            statements.append(statement)

    def queries(origin: str) -> int:
        before = len(statements)
        call(client, "post", f"{shop}/ping", {"anonymous_id": ANON}, origin)
        return len(statements) - before

    call(client, "post", f"{shop}/ping", {"anonymous_id": ANON}, SITE)  # now a repeat ping
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        restricted, refused = queries(SITE), queries(ELSEWHERE)
        update_project(engine, "shop", allowed_origins=[])
        unrestricted = queries(SITE)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert restricted == unrestricted
    assert refused == 1  # the project row, then nothing


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/static/refiner.js", None),
        ("get", "/static/v/abc123/micropython.wasm", None),
        ("get", "/static/v/abc123/missing.js", None),
        ("post", "/api/v1/client/p1/ping", {"anonymous_id": ANON}),
        ("post", "/api/v1/client/p1/events", {"name": "no ids"}),
    ],
)
def test_public_answers_allow_timing(client, method, path, body) -> None:
    """A site's real-user monitoring reads our files' and requests' timings and sizes
    (Resource Timing reports them as 0 cross-origin without `Timing-Allow-Origin`),
    errors included; a revalidated file's 304 keeps it."""
    if body is None:
        r = client.get(path, headers={"origin": SITE})
    else:
        r = call(client, method, path, body, SITE)
    assert r.headers["timing-allow-origin"] == "*", (r.status_code, dict(r.headers))
    if method == "get" and r.status_code == 200:
        again = client.get(path, headers={"if-none-match": r.headers["etag"], "origin": SITE})
        assert again.status_code == 304 and again.headers["timing-allow-origin"] == "*"


def test_admin_and_dashboard_do_not_allow_timing(client, engine) -> None:
    for path in ("/api/v1/admin/projects", "/admin", "/"):
        r = client.get(path, headers={"origin": ELSEWHERE, **auth(engine)})
        assert "timing-allow-origin" not in r.headers, path
