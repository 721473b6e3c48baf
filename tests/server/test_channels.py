"""Link surveys and one-time links (docs/channels.md), on both databases: the page's
access rules, its policy and escaping, hidden fields prefilled only as declared, and a
one-time link's token minted, verified, filed under its person and spent once."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from refiner_server.channels import links
from refiner_server.cli import main as cli
from refiner_server.db import contacts, link_uses, projects, responses
from refiner_server.projects import import_surveys
from refiner_server.surveys.checks import DefinitionError, check_definition
from tests.server.admin_support import auth

HOSTILE = '"><script>alert(1)</script>&amp;'
SURVEY = {
    "id": "feedback",
    "status": "live",
    "questions": [{"id": "idea", "type": "text", "title": "What should we improve?"}],
    "hidden_fields": ["plan", "source"],
    "channels": {"link": "public", "title": HOSTILE, "description": "Say " + HOSTILE},
}


def survey(**changes: Any) -> dict[str, Any]:
    return {**SURVEY, **changes}


@pytest.fixture
def surveys(app: Any) -> None:
    import_surveys(
        app.state.engine,
        "p1",
        [
            SURVEY,
            survey(id="invited", channels={"link": "one_time"}),
            survey(id="no-link", channels={}),
            survey(id="paused-link", status="paused"),
        ],
    )
    import_surveys(app.state.engine, "sec", [survey(id="verified", channels={"link": "one_time"})])


def settings(page: str) -> dict[str, Any]:
    """The JSON block the page hands to the client."""
    found = re.search(r'<script type="application/json" id="refiner-link">(.*?)</script>', page)
    assert found, page
    return json.loads(found.group(1))


def meta(page: str, prop: str) -> str:
    found = re.search(rf'<meta (?:property|name)="{prop}" content="([^"]*)">', page)
    assert found, prop
    return found.group(1)


# -- the definition ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "fault"),
    [
        ({"hidden_fields": ["plan", "plan"]}, "hidden_fields: must be a list"),
        ({"hidden_fields": ["a b"]}, "hidden_fields: must be a list"),
        ({"hidden_fields": "plan"}, "hidden_fields: must be a list"),
        ({"channels": {"link": True}}, "channels.link: must be one of off, public, one_time"),
        ({"channels": {"links": "public"}}, "channels.links: must be one of link, title"),
        ({"channels": {"button": {"position": "top"}}}, "channels.button.position: must be"),
        ({"channels": {"button": {"background": "red"}}}, "channels.button.background: must"),
        ({"channels": {"button": {"label": ""}}}, "channels.button.label: a string of 1-40"),
    ],
)
def test_the_validator_refuses_bad_channels(change: dict[str, Any], fault: str) -> None:
    with pytest.raises(DefinitionError) as refused:
        check_definition(survey(**change))
    assert str(refused.value).startswith(fault)


# -- the page --------------------------------------------------------------------------------


def test_a_public_link_serves_the_survey_page(client, surveys) -> None:
    r = client.get("/s/p1/feedback?plan=pro&source=email&admin=1&plan=free&runtime=pyodide")
    assert r.status_code == 200
    page = r.text
    assert settings(page) == {
        "project": "p1",
        "form": {"id": "feedback", "questions": SURVEY["questions"]},
        "data": {"plan": "pro", "source": "email"},  # declared keys only, the first value
        "locale": None,
        "link": None,
    }
    assert 'src="/static/refiner.js" data-runtime="pyodide" data-page="refiner-link"' in page
    assert "set-cookie" not in r.headers
    assert "sets no cookie" in page and "local storage" in page


def test_the_page_escapes_its_open_graph_text(client, surveys) -> None:
    page = client.get("/s/p1/feedback").text
    assert "<script>alert" not in page
    assert html.unescape(meta(page, "og:title")) == HOSTILE
    assert html.unescape(meta(page, "og:description")) == "Say " + HOSTILE
    assert f"<title>{html.escape(HOSTILE)}</title>" in page


def test_hostile_hidden_fields_cannot_end_the_settings_block(client, surveys) -> None:
    r = client.get("/s/p1/feedback", params={"plan": "</script><script>alert(1)</script>"})
    assert settings(r.text)["data"] == {"plan": "</script><script>alert(1)</script>"}
    assert r.text.count("</script>") == 2  # the settings block's and the loader's


def test_the_page_has_a_strict_policy_with_a_nonce_per_answer(client, surveys) -> None:
    first, second = client.get("/s/p1/feedback"), client.get("/s/p1/feedback")
    csp = first.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert "script-src 'self' 'wasm-unsafe-eval';" in csp
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval'" not in csp.replace("wasm-unsafe", "")
    assert f'<style nonce="{nonce}">' in first.text
    assert nonce not in second.headers["content-security-policy"]
    assert first.headers["referrer-policy"] == "no-referrer"
    assert first.headers["cache-control"] == "no-store"
    assert "<script>" not in first.text  # no inline script at all


@pytest.mark.parametrize(
    ("query", "header", "locale"),
    [
        ("?lang=de", "fr-FR,fr;q=0.9", "de"),
        ("", "fr-FR,fr;q=0.9", "fr-FR"),
        ("?lang=%3Cb%3E", "es", "es"),
        ("", "*", None),
    ],
)
def test_the_locale_comes_from_the_query_or_the_browser(
    client, surveys, query: str, header: str, locale: str | None
) -> None:
    page = client.get("/s/p1/feedback" + query, headers={"Accept-Language": header}).text
    assert settings(page)["locale"] == locale
    assert f'<html lang="{locale or "en"}">' in page


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/s/p1/no-link", 404, "not available"),
        ("/s/p1/paused-link", 404, "not available"),
        ("/s/p1/draft-one", 404, "not available"),
        ("/s/p1/nothing", 404, "not available"),
        ("/s/nobody/feedback", 404, "not available"),
        ("/s/p1/invited", 403, "by invitation"),
        ("/s/p1/feedback?t=forged.token", 403, "not valid"),
    ],
)
def test_a_survey_not_reachable_by_link_gets_a_clear_page(
    client, surveys, path: str, status: int, says: str
) -> None:
    r = client.get(path)
    assert r.status_code == status
    assert says in r.text and "refiner.js" not in r.text and "refiner-link" not in r.text


# -- one-time links --------------------------------------------------------------------------


def mint(client, engine, survey_id: str = "invited", user: str = "user-42", **more: Any) -> Any:
    return client.post(
        f"/api/v1/admin/projects/p1/surveys/{survey_id}/links",
        json={"user_id": user, **more},
        headers=auth(engine),
    )


def answer(client, token: str | None, response_id: str, completed: bool = True, form="invited"):
    body = {
        "anonymous_id": "anon-" + response_id,
        "form_id": form,
        "answers": {"idea": "more dark mode"},
        "data": {"plan": "pro"},
        "completed": completed,
    }
    if token is not None:
        body["link"] = token
    return client.put(f"/api/v1/client/p1/responses/{response_id}", json=body)


def test_a_one_time_link_files_the_answers_under_its_person_once(client, engine, db, surveys):
    minted = mint(client, engine)
    assert minted.status_code == 201, minted.text
    link = minted.json()
    assert link["path"] == "/s/p1/invited?t=" + link["token"] and link["user_id"] == "user-42"
    page = client.get(link["path"])
    assert page.status_code == 200 and settings(page.text)["link"] == link["token"]
    assert answer(client, link["token"], "resp-first-1", completed=False).status_code == 200
    assert answer(client, link["token"], "resp-first-1").status_code == 200
    assert answer(client, link["token"], "resp-first-1").status_code == 200  # a retry
    (stored,) = db.rows(responses)
    (person,) = db.rows(contacts)
    assert stored["contact_pk"] == person["pk"] and person["user_id"] == "user-42"
    assert stored["data"] == {"plan": "pro"}
    export = client.get(
        "/api/v1/admin/projects/p1/responses/export?format=csv", headers=auth(engine)
    ).text
    header, row = export.splitlines()[:2]
    assert "data.plan" in header.split(",") and "user-42" in row and "pro" in row.split(",")
    (use,) = db.rows(link_uses)
    assert (use["token_id"], use["response_id"]) == (
        links.read_token(
            db.rows(projects, projects.c.id == "p1")[0]["secret"],
            "p1",
            "invited",
            link["token"],
            datetime.now(UTC),
        )["token_id"],
        "resp-first-1",
    )
    again = answer(client, link["token"], "resp-second-1")
    assert again.status_code == 409 and again.json()["error"]["code"] == "link_used"
    assert len(db.rows(responses)) == 1
    used = client.get(link["path"])
    assert (
        used.status_code == 410 and "has been used" in used.text and "refiner.js" not in used.text
    )


def test_a_public_survey_takes_one_time_links_too(client, engine, surveys) -> None:
    link = mint(client, engine, "feedback").json()
    page = client.get(link["path"] + "&plan=team")
    assert settings(page.text)["link"] == link["token"]
    assert settings(page.text)["data"] == {"plan": "team"}


def test_forged_altered_and_misdirected_tokens_are_refused(client, engine, db, surveys) -> None:
    token = mint(client, engine).json()["token"]
    payload, signature = token.split(".")
    other = mint(client, engine, "feedback").json()["token"]
    secret = db.rows(projects, projects.c.id == "p1")[0]["secret"]
    forged_user = links.sign_token(
        "not-the-secret", "p1", "invited", "user-1", datetime.now(UTC) + timedelta(days=1)
    )
    for bad in (
        payload + "." + signature[:-2] + "AA",
        payload[:-2] + "xx." + signature,
        forged_user,
        other,  # of another survey
        "",
        "no-dot",
    ):
        assert client.get("/s/p1/invited", params={"t": bad}).status_code == 403, bad
        r = answer(client, bad, "resp-forged-1") if bad else None
        assert r is None or (r.status_code in (403, 422) and not db.rows(responses)), bad
    expired = links.sign_token(secret, "p1", "invited", "u", datetime.now(UTC) - timedelta(1))
    page = client.get("/s/p1/invited", params={"t": expired})
    assert page.status_code == 410 and "expired" in page.text
    refused = answer(client, expired, "resp-expired-1")
    assert refused.status_code == 410 and refused.json()["error"]["code"] == "link_expired"
    assert db.rows(responses) == []


def test_a_link_vouches_for_its_person_on_a_verified_project(client, engine, surveys) -> None:
    """A verified project refuses unsigned writes; a one-time link's token stands in."""
    token = client.post(
        "/api/v1/admin/projects/sec/surveys/verified/links",
        json={"user_id": "user-7"},
        headers=auth(engine),
    ).json()["token"]
    body = {"anonymous_id": "anon-00000007", "form_id": "verified", "completed": True}
    base = "/api/v1/client/sec/responses/resp-verified-1"
    assert client.put(base, json=body).status_code == 401
    assert client.put(base, json={**body, "link": token}).status_code == 200


def test_minting_needs_a_linkable_survey_and_a_user(client, engine, db, surveys) -> None:
    def secret() -> str | None:
        return db.rows(projects, projects.c.id == "p1")[0]["secret"]

    assert secret() is None
    off = mint(client, engine, "no-link")  # a fine request the survey's state refuses
    assert (off.status_code, off.json()["error"]["code"]) == (409, "link_off")
    assert mint(client, engine, "nothing").status_code == 404
    assert mint(client, engine, user="").status_code == 422
    assert mint(client, engine, days=0).status_code == 422
    assert (
        client.post(
            "/api/v1/admin/projects/p1/surveys/invited/links", json={"user_id": "u"}
        ).status_code
        == 401
    )
    assert secret() is None
    assert mint(client, engine).status_code == 201
    assert len(secret()) == 64  # made for the links: the project had none


def test_the_cli_mints_a_link(app, db_url, client, surveys, capsys) -> None:
    assert cli(["survey", "link", "invited", "--project", "p1", "--user", "u-9",
                "--base-url", "https://x.test/", "--db", db_url]) == 0  # fmt: skip
    printed = capsys.readouterr().out.strip()
    assert printed.startswith("https://x.test/s/p1/invited?t=")
    assert client.get(printed.removeprefix("https://x.test")).status_code == 200
    assert cli(["survey", "link", "no-link", "--project", "p1", "--user", "u",
                "--db", db_url]) == 1  # fmt: skip


def test_a_spent_link_holds_on_the_database(engine, client, surveys) -> None:
    """Two completions racing: the table's key lets one spend it."""
    token = mint(client, engine).json()["token"]
    with engine.connect() as conn:
        secret = conn.execute(sa.select(projects.c.secret).where(projects.c.id == "p1")).scalar()
    claims = links.read_token(secret, "p1", "invited", token, datetime.now(UTC))
    now = datetime.now(UTC)
    with engine.begin() as conn:
        links.spend(conn, "p1", claims, "resp-a-000001", now)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(
            link_uses.insert().values(
                project_id="p1",
                token_id=claims["token_id"],
                form_id="invited",
                user_id="user-42",
                response_id="resp-b-000001",
                used_at=now,
            )
        )


def test_the_dashboard_mints_a_link(client, engine, surveys) -> None:
    from refiner_server.tokens import create_token
    from tests.server.test_dashboard import ORIGIN, sign_in

    sign_in(client, create_token(engine, "owner")[1])
    survey_page = client.get("/admin/projects/p1/surveys/feedback").text
    assert 'href="/s/p1/feedback"' in survey_page and "Create one-time link" in survey_page
    assert "Create one-time link" not in client.get("/admin/projects/p1/surveys/no-link").text
    url = "/admin/projects/p1/surveys/invited/links"
    made = client.post(url, data={"user_id": "user-9", "days": "7"}, headers=ORIGIN)
    assert made.status_code == 200
    link = re.search(r'value="http://testserver(/s/p1/invited\?t=[^"]+)"', made.text).group(1)
    assert settings(client.get(html.unescape(link)).text)["link"] == html.unescape(link)[16:]
    assert client.post(url, data={"user_id": ""}, headers=ORIGIN).status_code == 422
    assert client.post(url, data={"user_id": "u"}).status_code == 403  # not from our pages


def test_a_ping_serves_the_button_and_keeps_the_link_settings(app, client) -> None:
    button = {"label": "Ideas?", "position": "left"}
    import_surveys(
        app.state.engine,
        "p1",
        [survey(id="with-button", channels={"link": "one_time", "title": "x", "button": button})],
    )
    answer = client.post("/api/v1/client/p1/ping", json={"anonymous_id": "anon-00000001"})
    (served,) = [f for f in answer.json()["forms"] if f["id"] == "with-button"]
    assert served["channels"] == {"button": button} and "hidden_fields" not in served


def test_a_link_for_the_longest_user_id_is_taken(client, engine, db, surveys) -> None:
    user = "u" * 255
    token = mint(client, engine, user=user).json()["token"]
    assert len(token) > 255
    assert answer(client, token, "resp-long-001").status_code == 200
    assert [c["user_id"] for c in db.rows(contacts)] == [user]
