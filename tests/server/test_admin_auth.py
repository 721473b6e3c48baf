"""The token gate of the admin API, CORS refusal, the OpenAPI document and `/docs`."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from refiner_server.db import admin_tokens
from refiner_server.tokens import create_token, list_tokens, revoke_token, verify_token

from .admin_support import ADMIN, auth


def admin_routes(app):
    """(method, url) of every admin operation in the OpenAPI document, ids filled in."""
    out = []
    for path, ops in app.openapi()["paths"].items():
        if path.startswith(ADMIN):
            url = path.format(
                project_id="p1",
                survey_id="live-one",
                contact_id=1,
                account_id="a",
                action="pause",
                endpoint_id="wh-1",
                delivery_id=1,
                version=1,
                user_id="u1",
                invitation_id="i1",
                segment_id="s1",
            )
            out.extend((method.upper(), url) for method in ops)
    return out


def test_the_admin_api_has_every_operation_of_the_issue(app):
    routes = set(admin_routes(app))
    webhooks = {route for route in routes if "/webhooks" in route[1]}
    assert len(webhooks) == 12  # issue 20's: endpoints, their deliveries, test, redeliver
    team = {r for r in routes if r[1].split("/")[6:7] in (["audit"], ["members"], ["invitations"])}
    assert len(team) == 7  # issue 18's audit log, members and invitations
    segments = {route for route in routes if "/segments" in route[1]}
    assert len(segments) == 5  # issue 19's: list, create, read, replace, delete
    links = {route for route in routes if route[1].endswith("/links")}
    assert len(links) == 1  # issue 19's: mint a one-time link
    # launch, pause, resume, archive: a route each; issue 18's templates, from a template,
    # duplicate, a version's changes and its restore
    assert len(routes - webhooks - team - segments - links) == 27
    for method, tail in [
        ("POST", "/projects"),
        ("PATCH", "/projects/p1"),
        ("PUT", "/projects/p1/surveys/live-one"),
        ("DELETE", "/projects/p1/surveys/live-one"),
        ("POST", "/projects/p1/surveys/live-one/pause"),
        ("GET", "/projects/p1/surveys/live-one/versions"),
        ("GET", "/templates"),
        ("POST", "/projects/p1/from-template"),
        ("POST", "/projects/p1/surveys/live-one/duplicate"),
        ("GET", "/projects/p1/surveys/live-one/versions/1/changes"),
        ("POST", "/projects/p1/surveys/live-one/versions/1/restore"),
        ("GET", "/projects/p1/surveys/live-one/summary"),
        ("DELETE", "/projects/p1/contacts/1"),
        ("GET", "/projects/p1/accounts/a"),
        ("GET", "/projects/p1/responses/export"),
    ]:
        assert (method, ADMIN + tail) in routes


def test_every_admin_route_refuses_without_a_valid_token(app, client, engine):
    token_id, revoked = create_token(engine, "old")
    assert revoke_token(engine, token_id)
    headers = [
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer rft_nope_nope"},
        {"Authorization": f"Bearer {revoked}"},
        {"Authorization": f"Bearer {revoked[:-1]}x"},
    ]
    for method, url in admin_routes(app):
        for h in headers:
            r = client.request(method, url, headers=h, json={})
            assert r.status_code == 401, (method, url, h, r.text)
            assert r.headers["www-authenticate"].startswith("Bearer")
            assert r.json()["error"]["code"] == "unauthorized"


def test_a_live_token_is_let_in_and_its_use_recorded(client, engine):
    r = client.get(f"{ADMIN}/projects", headers=auth(engine, "ci"))
    assert r.status_code == 200
    assert [p["id"] for p in r.json()] == ["p1", "sec"]
    (token,) = list_tokens(engine)
    assert token["name"] == "ci" and token["last_used_at"] and token["revoked_at"] is None


def test_tokens_are_stored_hashed_and_revocable(engine):
    token_id, raw = create_token(engine, "deploy")
    with engine.connect() as conn:
        (row,) = conn.execute(sa.select(admin_tokens)).mappings().all()
    assert raw not in json.dumps({k: str(v) for k, v in row.items()})
    assert re.fullmatch(r"[0-9a-f]{64}", row["token_hash"])
    assert verify_token(engine, raw)["id"] == token_id
    assert verify_token(engine, raw + "x") is None
    assert revoke_token(engine, token_id) is True
    assert revoke_token(engine, token_id) is False  # already revoked
    assert revoke_token(engine, "unknown") is False
    assert verify_token(engine, raw) is None


def test_the_admin_api_never_answers_cross_origin(client, engine):
    headers = dict(auth(engine), Origin="https://evil.example")
    r = client.get(f"{ADMIN}/projects", headers=headers)
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    pre = client.options(
        f"{ADMIN}/projects",
        headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert "access-control-allow-origin" not in pre.headers


def test_openapi_documents_the_admin_api_with_bearer_security(client):
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    op = spec["paths"][f"{ADMIN}/projects/{{project_id}}/surveys"]["post"]
    assert op["security"] == [{"token": []}]
    assert "422" in op["responses"] and "401" in op["responses"]


def test_docs_load_swagger_ui_from_our_own_build(client, static_dir):
    (static_dir / "manifest.json").write_text(json.dumps({"swagger_ui": "v/sw1/"}))
    r = client.get("/docs")
    assert r.status_code == 200 and "SwaggerUIBundle" in r.text
    assert "/static/v/sw1/swagger-ui-bundle.js" in r.text
    assert "/static/v/sw1/swagger-ui.css" in r.text
    hosts = re.findall(r"(?:https?:)?//[^\s\"'<>]+", r.text)
    assert hosts == [], hosts  # no CDN, no validator badge
    assert '"validatorUrl": null' in r.text


def test_docs_say_how_to_build_when_swagger_ui_is_missing(client):
    r = client.get("/docs")
    assert r.status_code == 404 and "build.py" in r.json()["error"]["message"]


@pytest.mark.parametrize("path", ["/redoc", "/docs/oauth2-redirect"])
def test_no_cdn_backed_docs_pages(client, path):
    assert client.get(path).status_code == 404
