"""The preview's server side (docs/dashboard.md, "Preview" and "Try it on my site") on
SQLite and PostgreSQL: the frame's and the preview page's CSP and framing, the validator's
check endpoint, try-out tokens (mint, verify, expiry, forgery, revocation, another
project's, a deleted survey), the owner's link form, and that neither the check nor a
try-out writes anything."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from refiner_server import tryouts
from refiner_server.dashboard.preview import FRAME_CSP, PAGE_CSP
from refiner_server.db import contacts, dismissals, events, responses, views
from refiner_server.surveys.store import delete_survey
from refiner_server.team.principal import Principal
from refiner_server.tokens import create_token, revoke_token

ORIGIN = {"origin": "http://testserver"}
CHECK = "/api/v1/schema/survey/check"
TRYOUT = "/api/v1/client/p1/tryout"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
WRITES = (contacts, events, views, dismissals, responses)


def maker(token_id: str) -> Principal:
    """A server-wide admin token as the maker of a link."""
    return Principal("token", token_id, "owner", None)


@pytest.fixture
def owner(engine):
    token_id, raw = create_token(engine, "owner")
    return token_id, raw


def signed_in(client, raw: str) -> None:
    answer = client.post(
        "/admin/login", data={"token": raw}, headers=ORIGIN, follow_redirects=False
    )
    assert answer.status_code == 303


def counts(db) -> list[int]:
    return [db.count(table) for table in WRITES]


# -- the frame and the page --------------------------------------------------------------------


def test_the_frame_allows_our_scripts_and_wasm_and_only_our_pages_to_frame_it(client):
    answer = client.get("/admin/preview")
    assert answer.status_code == 200
    csp = answer.headers["content-security-policy"]
    assert csp == FRAME_CSP
    assert "script-src 'self' 'wasm-unsafe-eval';" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'self'" in csp
    assert answer.headers.get_list("content-security-policy") == [FRAME_CSP]
    assert answer.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
    assert answer.headers["cache-control"] == "no-store"
    html = answer.text
    assert '<script src="/static/refiner.js" data-preview data-runtime="micropython"' in html
    assert "<script>" not in html  # nothing inline: the CSP would refuse it anyway


def test_the_preview_page_has_one_script_from_our_origin_and_needs_a_sign_in(client, owner):
    page = "/admin/projects/p1/surveys/paused-one/preview"
    assert client.get(page, follow_redirects=False).status_code == 303  # to the sign-in
    signed_in(client, owner[1])
    answer = client.get(page)
    assert answer.status_code == 200
    assert answer.headers.get_list("content-security-policy") == [PAGE_CSP]
    assert "script-src 'self';" in PAGE_CSP and "wasm" not in PAGE_CSP
    assert (
        '<iframe id="preview-frame" class="preview-frame" sandbox="allow-scripts" ' in answer.text
    )
    assert 'src="/admin/preview" title="Survey preview"' in answer.text
    assert '<script src="/admin/preview.js" defer></script>' in answer.text
    script = client.get("/admin/preview.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers.get_list("cache-control") == ["no-cache"]
    # every other dashboard page keeps scripts off
    assert "script-src 'none'" in client.get("/admin").headers["content-security-policy"]
    survey_page = client.get("/admin/projects/p1/surveys/paused-one")
    assert 'href="/admin/projects/p1/surveys/paused-one/preview">Preview</a>' in survey_page.text


def test_hostile_definitions_stay_inert_data_on_the_page(client, owner, engine):
    from refiner_server.projects import import_surveys

    hostile = "</script><script>window.__pwned=1</script>"
    import_surveys(
        engine,
        "p1",
        [
            {
                "id": "x",
                "name": hostile,
                "questions": [{"id": "q", "type": "text", "title": hostile}],
            }
        ],
    )
    signed_in(client, owner[1])
    text = client.get("/admin/projects/p1/surveys/x/preview").text
    assert hostile not in text
    assert "\\u003c/script\\u003e" in text  # in the JSON data block, escaped
    assert "&lt;/script&gt;&lt;script&gt;" in text  # in the heading, as text


# -- the validator's check ----------------------------------------------------------------------


def test_the_check_gives_the_validators_verdict_and_writes_nothing(client, db):
    before = counts(db)
    good = {"id": "s", "questions": [{"id": "q", "type": "nps", "title": "Q"}]}
    answer = client.post(
        CHECK, content=json.dumps(good), headers={"content-type": "text/plain", **ORIGIN}
    )
    assert answer.status_code == 200 and answer.json() == {"ok": True}
    assert answer.headers["access-control-allow-origin"] == "*"  # the frame is opaque
    bad = {"id": "s", "questions": [{"id": "q", "type": "slider"}]}
    answer = client.post(CHECK, json=bad)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_definition"
    assert error["message"].startswith("questions[0].type: must be one of nps, rating")
    assert client.post(CHECK, content=b"{nope").json()["error"]["code"] == "invalid_json"
    assert client.post(CHECK, json=[1]).status_code == 422
    assert counts(db) == before


# -- try-out tokens -------------------------------------------------------------------------------


def test_a_token_names_its_survey_until_it_expires(engine, owner):
    token = tryouts.mint(engine, maker(owner[0]), "p1", "paused-one", NOW)
    form = tryouts.verify(engine, token, "p1", NOW + tryouts.TTL - timedelta(seconds=1))
    assert form == {"id": "paused-one", "questions": [], "trial": True}
    with pytest.raises(tryouts.Refused, match="has expired"):
        tryouts.verify(engine, token, "p1", NOW + tryouts.TTL)
    with pytest.raises(tryouts.Refused, match="is for project 'p1'"):
        tryouts.verify(engine, token, "p2", NOW)


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # another MAC
        lambda t: (
            tryouts._b64(b'{"t":"x","p":"p1","s":"live-one","e":99999999999}')
            + "."
            + t.split(".")[1]
        ),  # another payload under the same MAC
        lambda t: t.split(".")[0],  # no MAC
        lambda t: "a.b.c",
        lambda t: "€." + t.split(".")[1],
        lambda t: "x" * 600,
        lambda t: tryouts._b64(b"[1,2]") + "." + t.split(".")[1],
        lambda t: tryouts._b64(b'{"t":1,"p":"p1","s":"s","e":1}') + "." + t.split(".")[1],
    ],
)
def test_a_forged_or_garbled_token_is_refused(engine, owner, forge):
    token = tryouts.mint(engine, maker(owner[0]), "p1", "paused-one", NOW)
    with pytest.raises(tryouts.Refused, match="not valid|not a try-out"):
        tryouts.verify(engine, forge(token), "p1", NOW)


def test_revoking_the_admin_token_voids_its_links_and_a_deleted_survey_shows_nothing(engine, owner):
    token = tryouts.mint(engine, maker(owner[0]), "p1", "paused-one", NOW)
    other = tryouts.mint(engine, maker(create_token(engine, "b")[0]), "p1", "draft-one", NOW)
    delete_survey(engine, "p1", "draft-one")
    with pytest.raises(tryouts.Refused, match="no longer exists"):
        tryouts.verify(engine, other, "p1", NOW)
    assert revoke_token(engine, owner[0])
    with pytest.raises(tryouts.Refused, match="may no longer edit"):
        tryouts.verify(engine, token, "p1", NOW)
    with pytest.raises(tryouts.Refused):
        tryouts.mint(engine, maker(owner[0]), "p1", "paused-one", NOW)


def test_the_link_keeps_the_pages_query_and_fragment():
    link = tryouts.link("https://shop.example/p?a=1&refiner_try=old#top", "tok.en")
    assert link == "https://shop.example/p?a=1&refiner_try=tok.en#top"
    for bad in ("javascript:alert(1)", "/relative", "ftp://x/y", "https://" + "a" * 3000):
        with pytest.raises(ValueError):
            tryouts.link(bad, "tok.en")


def test_the_client_api_serves_a_paused_survey_to_a_live_token_and_writes_nothing(
    client, engine, db, owner
):
    before = counts(db)
    token = tryouts.mint(engine, maker(owner[0]), "p1", "paused-one", datetime.now(UTC))
    answer = client.post(TRYOUT, json={"token": token}, headers=ORIGIN)
    assert answer.status_code == 200
    assert answer.json() == {"id": "paused-one", "questions": [], "trial": True}
    assert answer.headers["access-control-allow-origin"] == "*"
    expired = tryouts.mint(engine, maker(owner[0]), "p1", "paused-one", NOW - timedelta(days=1))
    answer = client.post(TRYOUT, json={"token": expired}, headers=ORIGIN)
    assert answer.status_code == 403
    assert answer.json()["error"] == {
        "code": "tryout_refused",
        "message": "this try-out link has expired: make a new one in the dashboard",
    }
    assert client.post("/api/v1/client/sec/tryout", json={"token": token}).status_code == 403
    assert client.post(TRYOUT, json={"token": 5}).status_code == 422
    assert client.post(TRYOUT, json={"token": "x" * 513}).status_code == 422
    assert client.post(TRYOUT, json={"token": token, "more": 1}).status_code == 422
    assert counts(db) == before


def test_an_owner_makes_a_link_from_the_preview_page(client, owner, engine):
    page = "/admin/projects/p1/surveys/paused-one/preview"
    site = "https://shop.example/pricing?plan=pro"
    assert client.post(page, data={"url": site}, follow_redirects=False).status_code == 403
    signed_in(client, owner[1])
    assert client.post(page, data={"url": site}).status_code == 403  # not from our pages
    answer = client.post(page, data={"url": site}, headers=ORIGIN)
    assert answer.status_code == 200
    link = answer.text.split('<p class="try-link"><a href="', 1)[1].split('"', 1)[0]
    link = link.replace("&amp;", "&")
    query = parse_qs(urlsplit(link).query)
    assert link.startswith("https://shop.example/pricing?plan=pro&refiner_try=")
    form = tryouts.verify(engine, query["refiner_try"][0], "p1", datetime.now(UTC))
    assert form["id"] == "paused-one" and form["trial"] is True
    refused = client.post(page, data={"url": "javascript:alert(1)"}, headers=ORIGIN)
    assert refused.status_code == 422
    assert "That address cannot be used: give an http:// or https:// address" in refused.text
    gone = client.post(
        "/admin/projects/p1/surveys/nope/preview", data={"url": site}, headers=ORIGIN
    )
    assert gone.status_code == 404
