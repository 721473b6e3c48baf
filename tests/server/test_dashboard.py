"""The `/admin` dashboard through TestClient on SQLite and PostgreSQL: sign-in and its
refusals, revoked tokens, CSRF, the pages' numbers, escaping of hostile text, CSV."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from refiner_server.projects import import_surveys
from refiner_server.surveys.store import get_survey
from refiner_server.tokens import create_token, revoke_token

API = "/api/v1/client/p1"
ORIGIN = {"origin": "http://testserver"}
PAGE = "/admin/projects/p1/surveys/rep"
XSS = '<img src=x onerror="window.__pwned=1">'
SCRIPT = "<script>window.__pwned=2</script>"
SURVEY = {
    "id": "rep",
    "name": "Report " + XSS,
    "status": "live",
    "questions": [
        {"id": "score", "type": "nps", "title": "Recommend? " + SCRIPT},
        {
            "id": "plan",
            "type": "single_choice",
            "title": "Plan",
            "choices": [{"id": "free", "label": "Free " + XSS}, {"id": "pro", "label": "Pro"}],
        },
    ],
}


@pytest.fixture
def survey(engine):
    import_surveys(engine, "p1", [SURVEY])


@pytest.fixture
def token(engine):
    return create_token(engine, "owner " + XSS)


def sign_in(client, raw: str, headers: dict = ORIGIN, target: str = "/admin") -> object:
    return client.post(
        "/admin/login",
        data={"token": raw, "next": target},
        headers=headers,
        follow_redirects=False,
    )


def answer(client, n: int, answers: dict, data: dict | None = None, user: str | None = None):
    who = {"user_id": user} if user else {"anonymous_id": f"anon-{n:010d}"}
    body = dict(who, form_id="rep", answers=answers, data=data or {}, completed=True)
    r = client.put(f"{API}/responses/resp-{n:08d}", json=body)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("path", ["/admin", PAGE, PAGE + "/responses.csv"])
def test_pages_need_a_signed_in_owner(client, survey, path):
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/admin/login?next=")
    assert unquote(r.headers["location"].split("next=")[1]) == path
    login = client.get(r.headers["location"])
    assert login.status_code == 200 and 'name="token"' in login.text
    assert "script-src 'none'" in login.headers["content-security-policy"]
    assert login.headers["cache-control"] == "no-store"


def test_sign_in_sets_a_strict_cookie_and_lists_surveys(client, survey, token):
    _, raw = token
    r = sign_in(client, raw)
    assert r.status_code == 303 and r.headers["location"] == "/admin"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("refiner_admin=") and "HttpOnly" in cookie
    assert "SameSite=strict" in cookie and "Path=/admin" in cookie and "Secure" not in cookie
    answer(client, 1, {"score": 9})
    page = client.get("/admin")
    assert page.status_code == 200
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    cards = re.findall(r'<li class="card">(.*?)</li>', page.text, re.S)
    assert len(cards) == 4  # live-one, draft-one, paused-one, rep
    rep = next(c for c in cards if "/surveys/rep" in c)
    assert "status-live" in rep and "<dd>1</dd>" in rep
    assert "s3cret" not in page.text  # project secrets never reach a page


def test_wrong_token_and_next_outside_the_dashboard(client, token):
    r = sign_in(client, "rft_nope_nope")
    assert r.status_code == 401 and "not valid or has been revoked" in r.text
    assert "set-cookie" not in r.headers
    r = sign_in(client, token[1], target="https://evil.example/")
    assert r.headers["location"] == "/admin"
    r = client.get("/admin/login?next=//evil.example/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin"  # already signed in


def test_a_revoked_token_signs_the_owner_out(client, engine, token):
    token_id, raw = token
    sign_in(client, raw)
    assert client.get("/admin", follow_redirects=False).status_code == 200
    assert revoke_token(engine, token_id)
    r = client.get("/admin", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login")
    assert 'refiner_admin=""' in r.headers["set-cookie"]  # cleared


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"sec-fetch-site": "cross-site", "origin": "http://testserver"},
        {"sec-fetch-site": "same-site"},
    ],
)
def test_posts_from_elsewhere_are_refused(client, engine, survey, token, headers):
    assert sign_in(client, token[1], headers).status_code == 403
    assert sign_in(client, token[1]).status_code == 303  # now signed in from our own page
    r = client.post(
        PAGE + "/status", data={"status": "paused"}, headers=headers, follow_redirects=False
    )
    assert r.status_code == 403 and "nothing was changed" in r.text
    assert get_survey(engine, "p1", "rep")["status"] == "live"
    r = client.post("/admin/logout", headers=headers, follow_redirects=False)
    assert r.status_code == 403
    assert client.get("/admin", follow_redirects=False).status_code == 200


def test_pause_and_resume(client, engine, survey, token):
    sign_in(client, token[1], {"sec-fetch-site": "same-origin"})
    ping = {"anonymous_id": "anon-0000000001"}
    assert "rep" in [f["id"] for f in client.post(f"{API}/ping", json=ping).json()["forms"]]
    page = client.get(PAGE)
    assert 'name="status" value="paused"' in page.text and "Pause survey" in page.text
    r = client.post(PAGE + "/status", data={"status": "paused"}, headers=ORIGIN)
    assert r.status_code == 200 and "Survey paused." in r.text and "Resume survey" in r.text
    assert "<title>Survey paused: " in r.text  # announced on load, unlike a role=status
    assert get_survey(engine, "p1", "rep")["status"] == "paused"
    assert "rep" not in [f["id"] for f in client.post(f"{API}/ping", json=ping).json()["forms"]]
    bad = client.post(PAGE + "/status", data={"status": "draft"}, headers=ORIGIN)
    assert bad.status_code == 422 and "A paused survey can be made live or archived" in bad.text
    client.post(PAGE + "/status", data={"status": "live"}, headers=ORIGIN)
    assert get_survey(engine, "p1", "rep")["status"] == "live"
    missing = client.post(
        "/admin/projects/p1/surveys/nope/status", data={"status": "live"}, headers=ORIGIN
    )
    assert missing.status_code == 404
    r = client.post("/admin/logout", headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_survey_page_numbers(client, survey, token):
    sign_in(client, token[1])
    for n, score in enumerate([10, 9, 8, 2], 1):
        answer(client, n, {"score": score, "plan": "pro"})
    page = client.get(PAGE).text
    assert '<span class="big">25</span>' in page  # (2 - 1) / 4
    assert "Promoters: 2 (50 %)" in page and "Detractors: 1 (25 %)" in page
    dist = re.search(r'<svg class="chart"[^>]*aria-labelledby="q0-dist-t q0-dist-d".*?</svg>', page)
    assert dist is not None
    values = re.findall(r'<text class="value"[^>]*>(\d+)</text>', dist.group(0))
    assert values == ["0", "0", "1", "0", "0", "0", "0", "0", "1", "1", "1"]
    assert 'role="img"' in dist.group(0)
    assert '<th scope="row">10</th><td>1</td>' in page  # the same numbers in a table
    assert client.get("/admin/projects/p1/surveys/nope").status_code == 404
    weekly = client.get(PAGE + "?bucket=week&since=2000-01-01&until=bad").text
    assert '<option value="week" selected>' in weekly and 'value="2000-01-01"' in weekly


def test_hostile_text_is_shown_as_text(client, survey, token):
    sign_in(client, token[1])
    ping = {
        "anonymous_id": "anon-0000000077",
        "user": {"id": "u-" + XSS, "email": None, "traits": {"nick": XSS, "bio": SCRIPT}},
    }
    assert client.post(f"{API}/ping", json=ping).status_code == 200
    answer(client, 7, {"score": 9, "plan": "free", "gone": XSS}, {"ref": SCRIPT}, "u-" + XSS)
    for path in ("/admin", PAGE):
        text = client.get(path).text
        assert "<img" not in text and "<script" not in text, path
        assert "&lt;img src=x onerror=" in text
    assert "&lt;script&gt;window.__pwned=2&lt;/script&gt;" in text  # title, data, trait
    assert text.count("&lt;script&gt;") >= 3


def test_csv_download(client, survey, token):
    sign_in(client, token[1])
    answer(client, 1, {"score": 10, "plan": "pro"}, {"ref": "=HYPERLINK()"})
    answer(client, 2, {"score": 3})
    r = client.get(PAGE + "/responses.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert sorted(row["score"] for row in rows) == ["10", "3"]
    assert {row["data.ref"] for row in rows} == {"'=HYPERLINK()", ""}
    assert client.get("/admin/projects/p1/surveys/nope/responses.csv").status_code == 404


def test_cookie_is_secure_over_https(app, token):
    with TestClient(app, base_url="https://admin.example") as client:
        r = client.post(
            "/admin/login",
            data={"token": token[1], "next": "/admin"},
            headers={"origin": "https://admin.example"},
            follow_redirects=False,
        )
        assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]
        assert client.get("/admin", follow_redirects=False).status_code == 200


def test_security_headers_once_each(client):
    r = client.get("/admin/login")
    for name in ("content-security-policy", "x-content-type-options", "x-frame-options"):
        assert len(r.headers.get_list(name)) == 1, name
    assert r.headers["x-frame-options"] == "DENY"
    css = client.get("/admin/admin.css")
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["cache-control"] == "no-cache"
