"""People, invitations, sessions and sign-in (issue 18, "A team") through the real app on
SQLite and PostgreSQL: argon2 hashing and rehashing, invitations that expire and work once,
sessions that expire and end everywhere at once, rate-limited sign-in that says the same
for every email, the last owner kept, and the CLI's first account."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from argon2.profiles import RFC_9106_LOW_MEMORY

from refiner_server import cli
from refiner_server.db import make_engine
from refiner_server.team import invitations
from refiner_server.team.passwords import MIN_LENGTH, Passwords, WeakPassword, check_strength
from refiner_server.team.sessions import ABSOLUTE, IDLE
from refiner_server.team.tables import audit_log, sessions, users
from refiner_server.team.tables import invitations as invitations_table
from refiner_server.team.users import LastOwner, remove_member, set_role
from refiner_server.tokens import create_token

from .team_support import CHEAP, PASSWORD, SAME_ORIGIN, cheap_passwords, cookie_of, person


@pytest.fixture(autouse=True)
def cheap(app):
    return cheap_passwords(app)


def sign_in(client, email: str, password: str = PASSWORD, **headers: str):
    return client.post(
        "/admin/login",
        data={"email": email, "password": password, "next": "/admin"},
        headers={**SAME_ORIGIN, **headers},
        follow_redirects=False,
    )


# -- passwords ------------------------------------------------------------------------------


def test_passwords_are_argon2id_and_checked_for_length():
    passwords = Passwords(CHEAP)
    stored = passwords.hash(PASSWORD)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert passwords.verify(stored, PASSWORD)
    assert not passwords.verify(stored, PASSWORD + " ")
    assert not passwords.verify("not a hash", PASSWORD)
    assert not passwords.verify(None, PASSWORD)  # the decoy: no account
    with pytest.raises(WeakPassword):
        check_strength("x" * (MIN_LENGTH - 1))
    check_strength("x" * MIN_LENGTH)
    check_strength("y" * 64)  # room for a long passphrase
    with pytest.raises(WeakPassword):
        check_strength("Ada@Example.com", "ada@example.com")


def test_a_hash_of_older_parameters_is_replaced_at_sign_in(app, client, db):
    person(app, "ada@example.com", p1="owner")
    (before,) = db.rows(users)
    app.state.passwords = Passwords(RFC_9106_LOW_MEMORY)  # the server raised its parameters
    assert app.state.passwords.needs_rehash(before["password_hash"])
    assert sign_in(client, "ada@example.com").status_code == 303
    (after,) = db.rows(users)
    assert after["password_hash"] != before["password_hash"]
    assert not app.state.passwords.needs_rehash(after["password_hash"])
    assert "m=65536" in after["password_hash"]
    client.cookies.clear()
    assert sign_in(client, "ada@example.com").status_code == 303  # the new hash verifies


# -- sign-in and sessions -------------------------------------------------------------------


def test_sign_in_keeps_a_hashed_session_id_in_a_strict_cookie(app, client, db):
    person(app, "ada@example.com", p1="owner")
    r = sign_in(client, "ADA@example.com ")
    assert r.status_code == 303 and r.headers["location"] == "/admin"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin" in cookie
    raw = client.cookies.get("refiner_admin")
    (row,) = db.rows(sessions)
    assert raw not in str(row) and re.fullmatch(r"[0-9a-f]{64}", row["id_hash"])
    page = client.get("/admin")
    assert page.status_code == 200 and "Signed in as <strong>ada@example.com</strong>" in page.text
    assert "Open project" in page.text and "(sec)" not in page.text  # only their projects


def test_wrong_password_and_unknown_email_get_the_same_answer(app, client):
    person(app, "ada@example.com", p1="owner")
    wrong = sign_in(client, "ada@example.com", "not the password!")
    unknown = sign_in(client, "nobody@example.com", "not the password!")
    assert wrong.status_code == unknown.status_code == 401
    strip = lambda r: r.text.replace("ada@example.com", "E").replace("nobody@example.com", "E")  # noqa: E731
    assert strip(wrong) == strip(unknown)
    assert "set-cookie" not in wrong.headers and "set-cookie" not in unknown.headers


def test_sign_in_is_refused_from_another_site(app, client):
    person(app, "ada@example.com", p1="owner")
    r = sign_in(client, "ada@example.com", **{"sec-fetch-site": "cross-site"})
    assert r.status_code == 403 and "set-cookie" not in r.headers


def test_failed_sign_ins_are_rate_limited_per_email_and_per_address(app, client):
    person(app, "ada@example.com", p1="owner")
    for _ in range(5):
        assert sign_in(client, "ada@example.com", "guess guess guess").status_code == 401
    r = sign_in(client, "ada@example.com")  # the right password waits too
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert "Too many failed sign-ins" in r.text
    unknown = sign_in(client, "nobody@example.com", "guess guess guess")
    assert unknown.status_code == 401  # another email has its own bucket
    app.state.clock.advance(minutes=1)
    assert sign_in(client, "ada@example.com").status_code == 303  # one more try a minute

    # per address: 20 failures over many emails from one address, then every email waits
    limits = app.state.sign_in_limits
    now = app.state.clock.now().timestamp()
    for n in range(20):
        limits.failed(f"guess{n}@example.com", "203.0.113.9", now)
    assert limits.wait("fresh@example.com", "203.0.113.9", now) >= 1
    assert limits.wait("fresh@example.com", "198.51.100.1", now) == 0
    assert limits.wait("fresh@example.com", "127.0.0.1", now) == 0  # a proxy: by email only


def test_sessions_expire_when_idle_and_in_any_case(app, client, db):
    user_id = person(app, "ada@example.com", p1="owner")
    app.state.clock.set(app.state.clock.now())
    client.cookies.update(cookie_of(app, user_id=user_id))
    for _ in range(3):  # used within the idle time, it lives on...
        app.state.clock.advance(seconds=(IDLE - timedelta(minutes=1)).total_seconds())
        assert client.get("/admin", follow_redirects=False).status_code == 200
    app.state.clock.advance(seconds=IDLE.total_seconds())  # ...idle too long, it ends
    r = client.get("/admin", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login")
    assert db.rows(sessions) == []

    client.cookies.update(cookie_of(app, user_id=user_id))
    steps = int(ABSOLUTE / (IDLE / 2))
    for _ in range(steps - 1):
        app.state.clock.advance(seconds=(IDLE / 2).total_seconds())
        assert client.get("/admin", follow_redirects=False).status_code == 200
    app.state.clock.advance(seconds=(IDLE / 2).total_seconds())  # never idle, but too old
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_sign_out_ends_one_session_and_everywhere_ends_all(app, client, db, engine):
    ada = person(app, "ada@example.com", p1="owner")
    bob = person(app, "bob@example.com", p1="viewer")
    laptop, phone = cookie_of(app, user_id=ada), cookie_of(app, user_id=ada)
    bobs = cookie_of(app, user_id=bob)
    client.cookies.update(laptop)
    r = client.post("/admin/logout", headers=SAME_ORIGIN, follow_redirects=False)
    assert r.status_code == 303 and 'refiner_admin=""' in r.headers["set-cookie"]
    assert len(db.rows(sessions)) == 2  # the phone's and bob's
    client.cookies.clear()
    client.cookies.update(phone)
    assert client.get("/admin", follow_redirects=False).status_code == 200
    again = cookie_of(app, user_id=ada)
    r = client.post("/admin/logout-everywhere", headers=SAME_ORIGIN, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/login?done=everywhere"
    for cookie in (phone, again):
        client.cookies.clear()
        client.cookies.update(cookie)
        assert client.get("/admin", follow_redirects=False).status_code == 303
    client.cookies.clear()
    client.cookies.update(bobs)
    assert client.get("/admin", follow_redirects=False).status_code == 200  # not bob's
    assert client.post("/admin/logout-everywhere", follow_redirects=False).status_code == 403


# -- invitations ----------------------------------------------------------------------------


def invite(client, email: str, role: str) -> str:
    """An owner's invitation through the people page: the link's path."""
    r = client.post(
        "/admin/projects/p1/people/invite", data={"email": email, "role": role}, headers=SAME_ORIGIN
    )
    assert r.status_code == 201, r.text
    return re.search(r"http://testserver(/admin/join/rfi_[\w-]+)", r.text)[1]


def test_an_invitation_works_once_and_gives_its_role(app, client, db):
    owner = person(app, "owner@example.com", p1="owner")
    client.cookies.update(cookie_of(app, user_id=owner))
    link = invite(client, "New.Person@example.com", "viewer")
    (row,) = db.rows(invitations_table)
    assert link.rsplit("/", 1)[1] not in str(row)  # kept hashed
    people = client.get("/admin/projects/p1/people")
    assert "new.person@example.com" in people.text and link not in people.text  # shown once
    client.cookies.clear()
    page = client.get(link)
    assert page.status_code == 200 and "Choose a password" in page.text
    r = client.post(link, data={"password": "short", "repeat": "short"}, headers=SAME_ORIGIN)
    assert r.status_code == 422 and "at least" in r.text
    r = client.post(
        link, data={"password": PASSWORD, "repeat": PASSWORD + "x"}, headers=SAME_ORIGIN
    )
    assert r.status_code == 422 and "differ" in r.text
    r = client.post(
        link,
        data={"password": PASSWORD, "repeat": PASSWORD},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/admin"
    index = client.get("/admin")
    assert "Signed in as <strong>new.person@example.com</strong>" in index.text
    assert "Your role: viewer" in index.text
    client.cookies.clear()
    reuse = client.post(link, data={"password": PASSWORD, "repeat": PASSWORD}, headers=SAME_ORIGIN)
    assert reuse.status_code == 404 and "not valid" in reuse.text
    assert client.get(link).status_code == 404
    assert sign_in(client, "new.person@example.com").status_code == 303
    actions = [r["action"] for r in db.rows(audit_log)]
    assert actions == ["invitation.created", "invitation.accepted"]


def test_an_invitation_expires_and_can_be_withdrawn(app, client, db):
    owner = person(app, "owner@example.com", p1="owner")
    client.cookies.update(cookie_of(app, user_id=owner))
    app.state.clock.set(app.state.clock.now())
    late = invite(client, "late@example.com", "editor")
    app.state.clock.advance(seconds=invitations.VALID_FOR.total_seconds() + 1)
    client.cookies.clear()
    r = client.post(late, data={"password": PASSWORD, "repeat": PASSWORD}, headers=SAME_ORIGIN)
    assert r.status_code == 404 and db.count(users) == 1
    client.cookies.update(cookie_of(app, user_id=owner))
    withdrawn = invite(client, "gone@example.com", "editor")
    (open_one,) = invitations.pending(app.state.admin_engine, "p1", app.state.clock.now())
    r = client.post(
        f"/admin/projects/p1/people/invitations/{open_one['id']}/revoke", headers=SAME_ORIGIN
    )
    assert r.status_code == 200 and "Invitation withdrawn" in r.text
    client.cookies.clear()
    assert client.get(withdrawn).status_code == 404


def test_an_existing_person_accepts_with_their_own_password(app, client):
    owner = person(app, "owner@example.com", p1="owner")
    person(app, "bob@example.com", sec="owner")
    client.cookies.update(cookie_of(app, user_id=owner))
    link = invite(client, "bob@example.com", "editor")
    client.cookies.clear()
    assert "Password of your account" in client.get(link).text
    r = client.post(link, data={"password": "not bob's password"}, headers=SAME_ORIGIN)
    assert r.status_code == 401
    r = client.post(link, data={"password": PASSWORD}, headers=SAME_ORIGIN)
    assert r.status_code == 200
    assert "Your role: editor" in r.text and "Your role: owner" in r.text  # p1 and sec


def test_a_member_is_not_invited_and_the_last_owner_stays(app, client, engine):
    owner = person(app, "owner@example.com", p1="owner")
    client.cookies.update(cookie_of(app, user_id=owner))
    r = client.post(
        "/admin/projects/p1/people/invite",
        data={"email": "owner@example.com", "role": "viewer"},
        headers=SAME_ORIGIN,
    )
    assert r.status_code == 422 and "member already" in r.text
    r = client.post(
        f"/admin/projects/p1/people/{owner}/role", data={"role": "viewer"}, headers=SAME_ORIGIN
    )
    assert r.status_code == 409 and "at least one owner" in r.text
    r = client.post(f"/admin/projects/p1/people/{owner}/remove", headers=SAME_ORIGIN)
    assert r.status_code == 409
    second = person(app, "second@example.com", p1="owner")
    with engine.begin() as conn:
        assert set_role(conn, "p1", owner, "viewer") == "owner"
        with pytest.raises(LastOwner):
            remove_member(conn, "p1", second)
    r = client.get("/admin/projects/p1/people", follow_redirects=False)
    assert r.status_code == 403  # a viewer now: the people page is the owners'


# -- the command line -----------------------------------------------------------------------


def test_cli_makes_a_first_owner_and_scoped_tokens(app, client, db_url, monkeypatch, capsys):
    monkeypatch.setattr(cli, "Passwords", lambda: Passwords(CHEAP))
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert cli.main(["user", "create", "Ada@Example.com", "--owner-of", "p1", "--db", db_url]) == 0
    assert "created ada@example.com (owner of p1)" in capsys.readouterr().out
    assert cli.main(["user", "list", "--db", db_url]) == 0
    assert "ada@example.com\towner@p1" in capsys.readouterr().out
    assert sign_in(client, "ada@example.com").status_code == 303
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["user", "create", "b@example.com", "--db", db_url]) == 1
    assert cli.main(["user", "create", "c@example.com", "--owner-of", "nope", "--db", db_url]) == 1
    assert "at least" in capsys.readouterr().err

    assert cli.main(["token", "create", "ci", "--project", "p1", "--db", db_url]) == 1
    assert (
        cli.main(["token", "create", "ci", "--project", "nope", "--role", "editor", "--db", db_url])
        == 1
    )
    capsys.readouterr()
    assert (
        cli.main(["token", "create", "ci", "--project", "p1", "--role", "editor", "--db", db_url])
        == 0
    )
    out = capsys.readouterr().out
    assert "editor of p1" in out
    raw = out.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {raw}"}
    listed = client.get("/api/v1/admin/projects", headers=headers).json()
    assert [p["id"] for p in listed] == ["p1"] and listed[0]["secret"] is None
    assert cli.main(["token", "list", "--db", db_url]) == 0
    assert "\tci\teditor@p1\t" in capsys.readouterr().out


def test_the_schema_keeps_sessions_of_one_owner_kind(db_url):
    engine = make_engine(db_url)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        now = sa.func.now()
        conn.execute(sessions.insert().values(id_hash="x" * 64, created_at=now, last_seen_at=now))
    engine.dispose()


def test_owners_manage_people_through_the_admin_api(app, client, engine, db):
    _, raw = create_token(engine, "ops", project_id="p1", role="owner")
    h = {"Authorization": f"Bearer {raw}"}
    base = "/api/v1/admin/projects/p1"
    r = client.post(
        f"{base}/invitations", json={"email": "Eve@example.com", "role": "owner"}, headers=h
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["email"] == "eve@example.com" and made["path"].startswith("/admin/join/rfi_")
    listed = client.get(f"{base}/invitations", headers=h).json()
    assert [i["id"] for i in listed] == [made["id"]] and "path" not in listed[0]
    joined = client.post(
        made["path"], data={"password": PASSWORD, "repeat": PASSWORD}, headers=SAME_ORIGIN
    )
    assert joined.status_code == 200 and "Your role: owner" in joined.text
    (eve,) = client.get(f"{base}/members", headers=h).json()
    assert (eve["email"], eve["role"]) == ("eve@example.com", "owner")
    last = client.patch(f"{base}/members/{eve['id']}", json={"role": "viewer"}, headers=h)
    assert last.status_code == 409 and last.json()["error"]["code"] == "last_owner"
    assert client.delete(f"{base}/members/{eve['id']}", headers=h).status_code == 409
    person(app, "second@example.com", p1="owner")
    r = client.patch(f"{base}/members/{eve['id']}", json={"role": "viewer"}, headers=h)
    assert r.status_code == 204
    assert client.delete(f"{base}/members/{eve['id']}", headers=h).status_code == 204
    assert client.delete(f"{base}/members/{eve['id']}", headers=h).status_code == 404
    r = client.post(
        f"{base}/invitations", json={"email": "x@example.com", "role": "boss"}, headers=h
    )
    assert r.status_code == 422
    again = client.post(
        f"{base}/invitations", json={"email": "x@example.com", "role": "viewer"}, headers=h
    )
    gone = client.delete(f"{base}/invitations/{again.json()['id']}", headers=h)
    assert gone.status_code == 204
    assert client.get(again.json()["path"]).status_code == 404
    assert client.get("/api/v1/admin/projects/sec/members", headers=h).status_code == 404
    actions = [r["action"] for r in db.rows(audit_log)]
    assert actions == [
        "invitation.created",
        "invitation.accepted",
        "member.role_changed",
        "member.removed",
        "invitation.created",
        "invitation.revoked",
    ]
