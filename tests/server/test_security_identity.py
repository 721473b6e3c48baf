"""Identity verification on every endpoint that takes an identity: forged, missing and
replayed signatures are refused and store nothing; the comparison is constant-time."""

from __future__ import annotations

import hashlib
import hmac
import inspect
from typing import Any

import pytest

from refiner_server.client import signature
from refiner_server.db import contacts, dismissals, events, responses, traits, views
from refiner_server.projects import create_project, import_surveys

SECRET = "s3cret-for-tests"  # project `sec` (conftest)
OTHER_SECRET = "another-project-secret"
API = "/api/v1/client/sec"


def sig(user_id: str, secret: str = SECRET) -> str:
    """What the host's backend computes (DESIGN.md §3), written out here, not imported."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def endpoint(kind: str, user: str, signature: Any) -> tuple[str, str, dict[str, Any]]:
    """(method, path, body) of one identified request of `kind` for `user`."""
    extra = {} if signature is None else {"signature": signature}
    if kind == "ping":
        body = {"user": {"id": user, "traits": {"plan": "pro"}}, **extra}
        return "post", "ping", body
    if kind == "responses":
        body = {"user_id": user, "form_id": "f", "answers": {"q": 1}, **extra}
        return "put", "responses/resp-0000001", body
    ids = {"events": "event_id", "views": "view_id", "dismissals": "dismissal_id"}
    body = {ids[kind]: "id-00000001", "user_id": user, "name": "x", "form_id": "f", **extra}
    return "post", kind, body


KINDS = ["ping", "events", "views", "dismissals", "responses"]
TABLES = (contacts, traits, events, views, dismissals, responses)


def send(client: Any, kind: str, user: str, signature: Any, project_api: str = API) -> Any:
    method, path, body = endpoint(kind, user, signature)
    return getattr(client, method)(f"{project_api}/{path}", json=body)


def nothing_stored(db: Any) -> bool:
    return all(db.count(t) == 0 for t in TABLES)


@pytest.mark.parametrize("kind", KINDS)
def test_valid_signature_is_accepted(client, db, kind) -> None:
    r = send(client, kind, "user-a", sig("user-a"))
    assert r.status_code in (200, 202), r.text
    assert db.count(contacts) == 1
    # hex case does not matter (some backends print upper case)
    assert send(client, kind, "user-a", sig("user-a").upper()).status_code in (200, 202)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "forged",
    [
        sig("user-a", "wrong-secret"),  # signed with another key
        sig("user-a")[:-1] + ("0" if sig("user-a")[-1] != "0" else "1"),  # one digit off
        sig("user-a")[:32],  # truncated
        "",
        "not hex at all",
        "é" * 64,  # non-ASCII: refused, not a crash of compare_digest
        hashlib.sha256(b"user-a").hexdigest(),  # a bare hash, no key
    ],
)
def test_forged_signature_is_refused(client, db, kind, forged) -> None:
    r = send(client, kind, "user-a", forged)
    assert r.status_code in (401, 403), r.text
    assert r.json()["error"]["code"] in ("invalid_signature", "signature_required")
    assert nothing_stored(db)


@pytest.mark.parametrize("kind", KINDS)
def test_missing_signature_is_refused(client, db, kind) -> None:
    for missing in (None, ""):
        r = send(client, kind, "user-a", missing)
        assert r.status_code == 401 if missing is None else r.status_code in (401, 403)
    r = send(client, kind, "user-a", None)
    assert r.json()["error"]["code"] == "signature_required"
    assert nothing_stored(db)


@pytest.mark.parametrize("kind", KINDS)
def test_anonymous_request_is_refused(client, db, kind) -> None:
    method, path, body = endpoint(kind, "user-a", sig("user-a"))
    body.pop("user", None)
    body.pop("user_id", None)
    body["anonymous_id"] = "anon-0000000001"
    r = getattr(client, method)(f"{API}/{path}", json=body)
    assert r.status_code == 401 and r.json()["error"]["code"] == "signature_required"
    assert nothing_stored(db)


@pytest.mark.parametrize("kind", KINDS)
def test_signature_of_another_user_is_refused(client, db, kind) -> None:
    """A signature seen for user A (in a page, a log) does not make anyone user B."""
    r = send(client, kind, "user-b", sig("user-a"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "invalid_signature"
    # nor a near miss of the id: case, whitespace, a suffix
    for near in ("USER-A", "user-a ", " user-a", "user-a\n", "user-a2"):
        assert send(client, kind, near, sig("user-a")).status_code == 403
    assert nothing_stored(db)


@pytest.mark.parametrize("kind", KINDS)
def test_signature_for_another_project_is_refused(client, db, engine, kind) -> None:
    create_project(engine, "other", identity_verification=True, secret=OTHER_SECRET)
    r = send(client, kind, "user-a", sig("user-a", OTHER_SECRET))
    assert r.status_code == 403
    r = send(client, kind, "user-a", sig("user-a"), "/api/v1/client/other")
    assert r.status_code == 403
    assert nothing_stored(db)
    assert send(
        client, kind, "user-a", sig("user-a", OTHER_SECRET), "/api/v1/client/other"
    ).status_code in (200, 202)


def test_open_project_ignores_signatures(client) -> None:
    r = client.post(
        "/api/v1/client/p1/ping", json={"user": {"id": "u1"}, "signature": "anything at all"}
    )
    assert r.status_code == 200


def test_verify_is_constant_time_and_bytewise() -> None:
    assert signature.verify(SECRET, "user-a", sig("user-a"))
    assert signature.verify(SECRET, "user-a", " " + sig("user-a").upper() + "\n")
    assert not signature.verify(SECRET, "user-a", "\ud800" * 64)  # a lone surrogate
    assert not signature.verify(SECRET, "ü", sig("u"))
    assert signature.verify(SECRET, "ü", sig("ü"))  # ids are UTF-8, as the backend's
    # the comparison is hmac.compare_digest, whatever the input
    assert "compare_digest" in inspect.getsource(signature.verify)


TARGETED = {
    "id": "targeted",
    "status": "live",
    "name": "Internal name",
    "questions": [{"id": "q", "type": "nps", "title": "How likely?"}],
    "trigger": {"type": "event", "event": "upgraded"},
    "audience": {
        "rules": [{"trait": "company", "op": "contains", "value": "secret-customer"}],
        "sample_percent": 100,
    },
    "frequency": {"repeat": "interval", "interval_days": 30, "max_days": 365},
    "schedule": {"start_at": "2020-01-01T00:00:00Z", "end_at": "2099-01-01T00:00:00Z"},
    "appearance": {"position": "center"},
}
CLIENT_VIEW = {
    "id": "targeted",
    "questions": TARGETED["questions"],
    "trigger": TARGETED["trigger"],
    "frequency": {"repeat": "interval"},
    "appearance": {"position": "center"},
}


def test_verified_project_serves_no_form_to_unsigned_requests(client, engine) -> None:
    import_surveys(engine, "sec", [TARGETED])
    url = f"{API}/forms/targeted"
    for body in ({"anonymous_id": "anon-0000000001"}, {"user_id": "user-a"}):
        r = client.post(url, json=body)
        assert r.status_code == 401 and r.json()["error"]["code"] == "signature_required"
    r = client.post(url, json={"user_id": "user-a", "signature": sig("user-b")})
    assert r.status_code == 403 and "secret-customer" not in r.text
    r = client.post(url, json={"user_id": "user-a", "signature": sig("user-a")})
    assert r.status_code == 200 and r.json() == CLIENT_VIEW
    assert client.get(url).status_code == 405  # no unsigned read by another method


@pytest.mark.parametrize("project", ["p1", "sec"])
def test_the_browser_never_receives_server_only_parts(client, engine, project) -> None:
    """Audience rules, sampling, schedule and the frequency's intervals stay on the server,
    in the ping and in the forced fetch, on every project."""
    import_surveys(engine, project, [TARGETED])
    user = {"id": "user-a", "traits": {"company": "the secret-customer"}}
    ping = {"user": user, "signature": sig("user-a")}
    r = client.post(f"/api/v1/client/{project}/ping", json=ping)
    assert [f for f in r.json()["forms"] if f["id"] == "targeted"] == [CLIENT_VIEW]
    fetch = {"user_id": "user-a", "signature": sig("user-a")}
    r = client.post(f"/api/v1/client/{project}/forms/targeted", json=fetch)
    assert r.json() == CLIENT_VIEW
    assert "secret-customer" not in r.text and "Internal name" not in r.text
