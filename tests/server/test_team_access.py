"""Every route of the admin API and of the dashboard's project pages, walked by each kind
of principal (issue 18): owner, editor and viewer of the project, an outsider (a member of
another project only) and tokens scoped to a project and a role. The table below says the
least role each route needs, written here, not read from the code: a route that is added
without an entry fails the walk."""

from __future__ import annotations

import pytest

from refiner_server.team.roles import at_least
from refiner_server.tokens import create_token

from .team_support import SAME_ORIGIN, cheap_passwords, cookie_of, person

ADMIN = "/api/v1/admin"
P = "/projects/{project_id}"
S = P + "/surveys/{survey_id}"
HOOK = P + "/webhooks/{endpoint_id}"

#: (method, path under /api/v1/admin) -> the least role
API = {
    ("GET", "/projects"): "any",
    ("POST", "/projects"): "server",
    ("GET", P): "viewer",
    ("PATCH", P): "owner",
    ("GET", P + "/surveys"): "viewer",
    ("POST", P + "/surveys"): "editor",
    ("GET", S): "viewer",
    ("PUT", S): "editor",
    ("DELETE", S): "owner",
    ("POST", S + "/launch"): "editor",
    ("POST", S + "/pause"): "editor",
    ("POST", S + "/resume"): "editor",
    ("POST", S + "/archive"): "editor",
    ("GET", S + "/versions"): "viewer",
    ("GET", S + "/summary"): "viewer",
    ("GET", "/templates"): "any",
    ("POST", P + "/from-template"): "editor",
    ("POST", S + "/duplicate"): "editor",
    ("GET", S + "/versions/{version}/changes"): "viewer",
    ("POST", S + "/versions/{version}/restore"): "editor",
    ("POST", S + "/links"): "editor",
    ("GET", P + "/segments"): "viewer",
    ("POST", P + "/segments"): "editor",
    ("GET", P + "/segments/{segment_id}"): "viewer",
    ("PUT", P + "/segments/{segment_id}"): "editor",
    ("DELETE", P + "/segments/{segment_id}"): "editor",
    ("GET", P + "/contacts"): "viewer",
    ("GET", P + "/contacts/{contact_id}"): "viewer",
    ("DELETE", P + "/contacts/{contact_id}"): "owner",
    ("GET", P + "/accounts"): "viewer",
    ("GET", P + "/accounts/{account_id}"): "viewer",
    ("GET", P + "/responses"): "viewer",
    ("GET", P + "/responses/export"): "viewer",
    ("GET", P + "/audit"): "owner",
    ("GET", P + "/members"): "owner",
    ("PATCH", P + "/members/{user_id}"): "owner",
    ("DELETE", P + "/members/{user_id}"): "owner",
    ("GET", P + "/invitations"): "owner",
    ("POST", P + "/invitations"): "owner",
    ("DELETE", P + "/invitations/{invitation_id}"): "owner",
    ("GET", P + "/webhooks"): "owner",
    ("POST", P + "/webhooks"): "owner",
    ("GET", HOOK): "owner",
    ("PATCH", HOOK): "owner",
    ("DELETE", HOOK): "owner",
    ("GET", HOOK + "/secret"): "owner",
    ("POST", HOOK + "/rotate-secret"): "owner",
    ("GET", HOOK + "/deliveries"): "owner",
    ("GET", HOOK + "/deliveries/{delivery_id}"): "owner",
    ("POST", HOOK + "/deliveries/{delivery_id}/redeliver"): "owner",
    ("POST", HOOK + "/redeliver-failed"): "owner",
    ("POST", HOOK + "/test"): "owner",
}

D = "/admin/projects/{project_id}"
DS = D + "/surveys/{survey_id}"
DHOOK = D + "/webhooks/{endpoint_id}"
#: (method, dashboard path) -> the least role
PAGES = {
    ("GET", DS): "viewer",
    ("POST", DS + "/status"): "editor",
    ("GET", DS + "/responses.csv"): "viewer",
    ("GET", D + "/new-survey"): "editor",
    ("POST", D + "/new-survey"): "editor",
    ("POST", DS + "/duplicate"): "editor",
    ("POST", DS + "/links"): "editor",
    ("GET", DS + "/edit"): "editor",
    ("POST", DS + "/edit"): "editor",
    ("POST", DS + "/edit/check"): "editor",
    ("GET", DS + "/preview"): "viewer",
    ("POST", DS + "/preview"): "editor",
    ("GET", DS + "/delete"): "owner",
    ("POST", DS + "/delete"): "owner",
    ("GET", DS + "/versions/compare"): "viewer",
    ("POST", DS + "/versions/{version}/restore"): "editor",
    ("GET", D + "/keys"): "owner",
    ("POST", D + "/keys"): "owner",
    ("POST", D + "/keys/{key_id}/revoke"): "owner",
    ("GET", D + "/webhooks"): "owner",
    ("POST", D + "/webhooks"): "owner",
    ("GET", DHOOK): "owner",
    ("POST", DHOOK + "/test"): "owner",
    ("POST", DHOOK + "/redeliver-failed"): "owner",
    ("POST", DHOOK + "/redeliver"): "owner",
    ("POST", DHOOK + "/enabled"): "owner",
    ("POST", DHOOK + "/rotate"): "owner",
    ("POST", DHOOK + "/delete"): "owner",
    ("GET", D + "/people"): "owner",
    ("POST", D + "/people/invite"): "owner",
    ("POST", D + "/people/{user_id}/role"): "owner",
    ("POST", D + "/people/{user_id}/remove"): "owner",
    ("POST", D + "/people/invitations/{invitation_id}/revoke"): "owner",
    ("GET", D + "/audit"): "owner",
    ("GET", D + "/settings"): "owner",
    ("POST", D + "/settings"): "owner",
    ("GET", D + "/segments"): "viewer",
    ("POST", D + "/segments"): "editor",
    ("GET", D + "/segments/{segment_id}"): "viewer",
    ("POST", D + "/segments/{segment_id}"): "editor",
    ("POST", D + "/segments/{segment_id}/delete"): "editor",
}
IDS = dict(
    project_id="p1",
    survey_id="paused-one",
    contact_id=1,
    account_id="a",
    endpoint_id="wh-1",
    delivery_id=1,
    key_id="k1",
    user_id="nobody",
    invitation_id="none",
    version=1,
    segment_id="none",
)
#: a principal's role in p1 (None: an outsider, a member of `sec` only)
ROLES = {"owner": "owner", "editor": "editor", "viewer": "viewer", "outsider": None}


def flat(routes) -> list:
    """Every route, those of included routers too (FastAPI includes them lazily)."""
    out = []
    for route in routes:
        nested = getattr(route, "effective_candidates", None)
        out.extend(flat(nested()) if nested else [route])
    return out


def app_routes(app, prefix: str) -> set[tuple[str, str]]:
    return {
        (method, route.path)
        for route in flat(app.routes)
        if getattr(route, "path", "").startswith(prefix)
        for method in getattr(route, "methods", ())
        if method != "HEAD"
    }


def test_the_tables_name_every_route(app):
    assert app_routes(app, ADMIN) == {(m, ADMIN + p) for m, p in API}
    assert app_routes(app, "/admin/projects/") == set(PAGES)


def allowed(role: str | None, needed: str, server_wide: bool = False) -> bool:
    if server_wide or needed == "any":
        return True
    return needed != "server" and at_least(role, needed)


def refusal(r) -> int | None:
    """403 or 404 when the answer is the role gate's refusal, else None."""
    if r.status_code == 403:
        return 403
    if r.status_code == 404 and "no project 'p1'" in r.text.replace("&#39;", "'").lower():
        return 404
    return None


@pytest.mark.parametrize("scope", ["owner", "editor", "viewer", "outsider", "server"])
def test_admin_api_routes_by_token_scope(app, client, engine, scope):
    if scope == "server":
        _, raw = create_token(engine, "server-wide")
    elif scope == "outsider":
        _, raw = create_token(engine, "other", project_id="sec", role="owner")
    else:
        _, raw = create_token(engine, scope, project_id="p1", role=scope)
    headers = {"Authorization": f"Bearer {raw}"}
    for (method, path), needed in API.items():
        r = client.request(method, ADMIN + path.format(**IDS), headers=headers, json={})
        got = refusal(r)
        if allowed(ROLES.get(scope), needed, scope == "server"):
            assert got is None, (scope, method, path, r.status_code, r.text)
        elif ROLES.get(scope) is None and needed not in ("server", "any"):
            assert got == 404, (scope, method, path, r.status_code, r.text)
            assert r.json()["error"]["code"] == "not_found"
        else:
            assert got == 403, (scope, method, path, r.status_code, r.text)
            assert r.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("who", ["owner", "editor", "viewer", "outsider", "editor-token"])
def test_dashboard_routes_by_role(app, client, engine, who):
    cheap_passwords(app)
    if who == "editor-token":
        token_id, _ = create_token(engine, "dash", project_id="p1", role="editor")
        client.cookies.update(cookie_of(app, token_id=token_id))
        role = "editor"
    else:
        role = ROLES[who]
        roles = {"p1": role} if role else {"sec": "owner"}
        client.cookies.update(cookie_of(app, user_id=person(app, f"{who}@example.com", **roles)))
    for (method, path), needed in PAGES.items():
        url = path.format(**IDS)
        r = client.request(method, url, headers=SAME_ORIGIN, follow_redirects=False)
        got = refusal(r)
        if at_least(role, needed):
            assert got is None, (who, method, path, r.status_code, r.text[:300])
        else:
            assert got == (404 if role is None else 403), (who, method, path, r.status_code)
        assert r.status_code != 303 or "/login" not in r.headers["location"]


def test_a_viewer_sees_their_projects_and_changes_nothing(app, client, engine):
    from refiner_server.surveys.store import get_survey

    cheap_passwords(app)
    client.cookies.update(cookie_of(app, user_id=person(app, "v@example.com", p1="viewer")))
    index = client.get("/admin")
    assert "(p1)" in index.text and "(sec)" not in index.text
    assert "/people" not in index.text and "/keys" not in index.text  # the owners' links
    page = client.get("/admin/projects/p1/surveys/live-one")
    assert page.status_code == 200 and "Pause survey" not in page.text
    assert "Download CSV" in page.text
    r = client.post(
        "/admin/projects/p1/surveys/live-one/status", data={"status": "paused"}, headers=SAME_ORIGIN
    )
    assert r.status_code == 403 and get_survey(engine, "p1", "live-one")["status"] == "live"
    assert client.get("/admin/projects/sec/keys").status_code == 404
