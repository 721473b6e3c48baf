"""Who is asked, and how often (issue 19), against both databases: device and locale rules
on what the ping says of the visit, the project's recontact wait over the contact's
history across surveys, response limits closing a survey (and an edit opening it again),
segments named by surveys, counted, and kept while in use; the admin API and CLI of each."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from refiner_server import segments as segment_store
from refiner_server.cli import main
from refiner_server.client.audience import Facts, in_audience
from refiner_server.client.contacts import trait_value
from refiner_server.client.models import EventIn, PingIn
from refiner_server.client.store import ClientStore
from refiner_server.db import contacts, events, surveys, traits
from refiner_server.projects import (
    ProjectError,
    create_project,
    get_project,
    import_surveys,
    update_project,
)
from refiner_server.surveys.checks import DefinitionError
from tests.server.admin_support import auth

ANON = "anon-0000000001"
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ADMIN = "/api/v1/admin/projects/p1"


@pytest.fixture
def clock(app):
    app.state.clock.set(START)
    return app.state.clock


def add(engine, *definitions):
    import_surveys(engine, "p1", [{"status": "live", "questions": [], **d} for d in definitions])


def served(client, anon=ANON, user=None, **visit):
    body = {"anonymous_id": anon, "user": user, **visit}
    r = client.post("/api/v1/client/p1/ping", json=body)
    assert r.status_code == 200, r.text
    return {f["id"] for f in r.json()["forms"]} - {"live-one"}


def view(client, form_id, n, anon=ANON):
    body = {"view_id": f"view-{form_id}-{n:04d}", "form_id": form_id, "anonymous_id": anon}
    assert client.post("/api/v1/client/p1/views", json=body).status_code == 202


def complete(client, form_id, anon):
    body = {"form_id": form_id, "anonymous_id": anon, "answers": {}, "completed": True}
    r = client.put(f"/api/v1/client/p1/responses/resp-{form_id}-{anon}", json=body)
    assert r.status_code == 200, r.text


def test_device_rules_take_what_the_client_decided(client, clock, engine):
    add(
        engine,
        {"id": "phones", "audience": {"rules": [{"device": ["phone"]}]}},
        {"id": "touch", "audience": {"rules": [{"device": ["phone", "tablet"]}]}},
        {"id": "no-phones", "audience": {"rules": [{"device": ["phone"], "op": "not_in"}]}},
    )
    assert served(client, device="phone") == {"phones", "touch"}
    assert served(client, device="tablet") == {"touch", "no-phones"}
    assert served(client, device="desktop") == {"no-phones"}
    # an older client sends none, a newer one a class this server does not know: neither is
    # refused, and neither is in a device's audience
    assert served(client) == {"no-phones"}
    assert served(client, device="watch") == {"no-phones"}


def test_locale_rules_take_the_language_for_its_regions(client, clock, engine):
    add(
        engine,
        {"id": "german", "audience": {"rules": [{"locale": ["de"]}]}},
        {"id": "brazil", "audience": {"rules": [{"locale": ["pt-BR"]}]}},
        {"id": "not-german", "audience": {"rules": [{"locale": ["de"], "op": "not_in"}]}},
    )
    assert served(client, locale="de") == {"german"}
    assert served(client, locale="de-AT") == {"german"}
    assert served(client, locale="DE_ch") == {"german"}
    assert served(client, locale="pt-BR") == {"brazil", "not-german"}
    assert served(client, locale="pt-PT") == {"not-german"}
    assert served(client, locale="deu") == {"not-german"}  # not a region of `de`
    assert served(client) == {"not-german"}


def test_recontact_wait_holds_other_surveys_back(client, clock, engine):
    update_project(engine, "p1", recontact_days=7)
    add(
        engine,
        {"id": "a"},
        {"id": "b"},
        {"id": "always", "frequency": {"ignore_recontact_wait": True}},
    )
    assert served(client) == {"a", "b", "always"}
    view(client, "a", 1)
    # `a` itself is not held back by its own showing (its frequency decides: once, not done)
    assert served(client) == {"a", "always"}
    clock.advance(days=6, hours=23)
    assert served(client) == {"a", "always"}
    clock.advance(hours=1)
    assert served(client) == {"a", "b", "always"}
    view(client, "b", 1)
    assert served(client) == {"b", "always"}
    # another person is not held back by this one's history
    assert served(client, anon="anon-0000000002") == {"a", "b", "always"}
    update_project(engine, "p1", recontact_days=0)
    assert served(client) == {"a", "b", "always"}


def test_recontact_wait_counts_surveys_no_longer_live(client, clock, engine):
    update_project(engine, "p1", recontact_days=30)
    add(engine, {"id": "old"}, {"id": "new", "status": "draft"})
    view(client, "old", 1)
    add(engine, {"id": "old", "status": "archived"}, {"id": "new"})
    assert served(client) == set()
    clock.advance(days=30)
    assert served(client) == {"new"}


def test_response_limit_closes_and_an_edit_reopens(client, clock, engine):
    add(engine, {"id": "capped", "schedule": {"max_responses": 2}})
    assert served(client) == {"capped"}
    complete(client, "capped", "anon-0000000011")
    complete(client, "capped", "anon-0000000011")  # a retry: not a second completion
    assert served(client) == {"capped"}
    complete(client, "capped", "anon-0000000012")
    assert served(client) == set()
    # closed: not even a forced showForm gets it
    r = client.post("/api/v1/client/p1/forms/capped", json={"anonymous_id": ANON})
    assert r.status_code == 404
    listed = {s["id"]: s for s in client.get(ADMIN + "/surveys", headers=auth(engine)).json()}
    assert listed["capped"]["closing"] == "closed: 2 responses reached"
    assert listed["capped"]["closed_at"] is not None
    add(engine, {"id": "capped", "schedule": {"max_responses": 3}})
    assert served(client) == {"capped"}
    assert client.get(ADMIN + "/surveys/capped", headers=auth(engine)).json()["closing"] is None


def test_end_date_is_said_in_the_dashboard_and_api(client, clock, engine):
    add(engine, {"id": "spring", "schedule": {"end_at": "2020-04-01"}})
    got = client.get(ADMIN + "/surveys/spring", headers=auth(engine)).json()
    assert got["closing"] == "ended on 2020-04-01 00:00 UTC"
    page = dashboard_page(client, engine, "/admin/projects/p1/surveys/spring")
    assert "Not served any more: ended on 2020-04-01 00:00 UTC." in page


def dashboard_page(client, engine, path):
    from refiner_server.tokens import create_token

    _id, raw = create_token(engine, "dash")
    r = client.post(
        "/admin/login",
        data={"token": raw, "next": path},
        headers={"origin": "http://testserver"},
        follow_redirects=True,
    )
    assert r.status_code == 200, r.text
    return r.text


def test_segments_named_by_surveys_and_edited_once(client, clock, engine):
    pro = {"rules": [{"trait": "plan", "op": "eq", "value": "pro"}]}
    r = client.post(
        ADMIN + "/segments",
        json={"id": "pro", "name": "Pro customers", "audience": pro},
        headers=auth(engine),
    )
    assert r.status_code == 201, r.text
    add(
        engine,
        {"id": "pro-only", "audience": {"rules": [{"segment": "pro"}]}},
        {
            "id": "pro-phones",
            "audience": {"rules": [{"segment": "pro"}, {"device": ["phone"]}]},
        },
        {"id": "not-pro", "audience": {"rules": [{"segment": "pro", "op": "not_in"}]}},
    )
    user = {"id": "u1", "traits": {"plan": "pro"}}
    assert served(client, user=user, device="phone") == {"pro-only", "pro-phones"}
    assert served(client, user=user, device="desktop") == {"pro-only"}
    assert served(client, anon="anon-0000000002") == {"not-pro"}
    # one edit of the segment changes every survey that names it, at the next ping
    free = {"rules": [{"trait": "plan", "op": "eq", "value": "free"}]}
    r = client.put(
        ADMIN + "/segments/pro", json={"name": "Free", "audience": free}, headers=auth(engine)
    )
    assert r.status_code == 200, r.text
    assert served(client, user=user, device="phone") == {"not-pro"}


def test_a_segment_in_use_is_not_deleted(client, clock, engine):
    segment_store.create_segment(engine, "p1", "vip", "VIP", {"identified_only": True})
    add(engine, {"id": "s1", "audience": {"rules": [{"segment": "vip"}]}})
    r = client.delete(ADMIN + "/segments/vip", headers=auth(engine))
    assert r.status_code == 409
    assert "'s1'" in r.json()["error"]["message"]
    assert client.get(ADMIN + "/segments/vip", headers=auth(engine)).json()["surveys"] == ["s1"]
    add(engine, {"id": "s1", "audience": {}})
    assert client.delete(ADMIN + "/segments/vip", headers=auth(engine)).status_code == 204
    assert client.get(ADMIN + "/segments/vip", headers=auth(engine)).status_code == 404


def test_a_survey_cannot_name_a_missing_segment(client, engine):
    with pytest.raises(ProjectError, match=r"audience.rules\[0\].segment: no segment 'ghost'"):
        add(engine, {"id": "s1", "audience": {"rules": [{"segment": "ghost"}]}})
    r = client.post(
        ADMIN + "/surveys",
        json={"id": "s2", "questions": [], "audience": {"rules": [{"segment": "ghost"}]}},
        headers=auth(engine),
    )
    assert r.status_code == 422
    assert r.json()["error"]["message"] == "audience.rules[0].segment: no segment 'ghost'"


@pytest.mark.parametrize(
    "audience, fault",
    [
        ({"rules": [{"segment": "x"}]}, "audience.rules[0]: needs exactly one of"),
        ({"sample_percent": 5}, "audience.sample_percent: must be one of"),
        ({"rules": [{"device": ["watch"]}]}, "audience.rules[0].device: must be a non-empty"),
    ],
)
def test_a_segment_is_an_audience_without_sampling_or_segments(engine, audience, fault):
    with pytest.raises(DefinitionError) as caught:
        segment_store.create_segment(engine, "p1", "s", "S", audience)
    assert str(caught.value).startswith(fault)


def test_segment_counts_run_the_pings_rules(client, clock, engine):
    for n in range(6):
        user = {"id": f"u{n}", "traits": {"plan": "pro" if n % 2 else "free", "seats": n}}
        served(client, anon=f"anon-00000001{n:02d}", user=user)
    served(client, anon="anon-0000000999")  # anonymous
    for n in range(3):
        body = {"event_id": f"evt-0000000{n}", "name": "export", "user_id": "u1"}
        assert client.post("/api/v1/client/p1/events", json=body).status_code == 202
    cases = {
        "all": ({}, 7),
        "known": ({"identified_only": True}, 6),
        "pro": ({"rules": [{"trait": "plan", "op": "eq", "value": "pro"}]}, 3),
        "big-pro": (
            {
                "rules": [
                    {"trait": "plan", "op": "eq", "value": "pro"},
                    {"trait": "seats", "op": "gte", "value": 3},
                ]
            },
            2,
        ),
        "exporters": ({"rules": [{"event": "export", "op": "at_least", "count": 3}]}, 1),
        # a visit's device is not a contact's: the count is the most it can reach
        "phones": ({"rules": [{"device": ["phone"]}]}, 7),
    }
    for sid, (audience, _) in cases.items():
        segment_store.create_segment(engine, "p1", sid, sid, audience)
    listed = client.get(ADMIN + "/segments", headers=auth(engine)).json()
    assert {s["id"]: s["contacts"] for s in listed} == {k: v[1] for k, v in cases.items()}


def test_project_recontact_setting_in_api_and_cli(client, engine, db_url, capsys):
    assert client.get(ADMIN, headers=auth(engine)).json()["recontact_days"] == 0
    r = client.patch(ADMIN, json={"recontact_days": 14}, headers=auth(engine))
    assert r.status_code == 200 and r.json()["recontact_days"] == 14
    assert client.patch(ADMIN, json={"recontact_days": -1}, headers=auth(engine)).status_code == 422
    assert main(["project", "update", "p1", "--recontact-days", "3", "--db", db_url]) == 0
    assert get_project(engine, "p1")["recontact_days"] == 3
    assert main(["project", "update", "p1", "--recontact-days", "0", "--db", db_url]) == 0
    assert get_project(engine, "p1")["recontact_days"] is None
    assert main(["project", "update", "p1", "--recontact-days", "9999", "--db", db_url]) == 1
    assert "recontact_days: 0 (off) to 3650" in capsys.readouterr().err


def test_closing_sets_updated_at_for_every_process(client, clock, engine):
    """Another process's cache of live surveys notices the close by `updated_at`."""
    add(engine, {"id": "one", "schedule": {"max_responses": 1}})
    with engine.connect() as conn:
        before = conn.execute(sa.select(surveys.c.updated_at).where(surveys.c.id == "one"))
        before = before.scalar_one()
    complete(client, "one", "anon-0000000011")
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(surveys.c.updated_at, surveys.c.closed_at).where(surveys.c.id == "one")
        ).one()
    assert row.closed_at is not None and row.updated_at != before


def test_dashboard_settings_and_segments(client, clock, engine):
    dashboard_page(client, engine, "/admin")
    post = {"headers": {"origin": "http://testserver"}}
    page = client.get("/admin")
    assert "/admin/projects/p1/segments" in page.text and "/admin/projects/p1/settings" in page.text
    r = client.post("/admin/projects/p1/settings", data={"recontact_days": "21"}, **post)
    assert r.status_code == 200 and "Settings saved." in r.text
    assert get_project(engine, "p1")["recontact_days"] == 21
    r = client.post("/admin/projects/p1/settings", data={"recontact_days": "many"}, **post)
    assert r.status_code == 422 and 'aria-invalid="true"' in r.text
    assert get_project(engine, "p1")["recontact_days"] == 21

    served(client, user={"id": "u1", "traits": {"plan": "pro"}})
    audience = '{"rules": [{"trait": "plan", "op": "eq", "value": "pro"}]}'
    r = client.post(
        "/admin/projects/p1/segments",
        data={"id": "pro", "name": "Pro", "audience": audience},
        **post,
    )
    assert r.status_code == 200 and "Segment created." in r.text
    assert "<dt>Contacts now</dt><dd>1</dd>" in r.text
    r = client.post(
        "/admin/projects/p1/segments", data={"id": "bad", "name": "B", "audience": "{"}, **post
    )
    assert r.status_code == 422 and "audience: not JSON" in r.text
    add(engine, {"id": "s1", "audience": {"rules": [{"segment": "pro"}]}})
    listing = client.get("/admin/projects/p1/segments").text
    assert "<td>1</td>" in listing and "<td>s1</td>" in listing
    r = client.post(
        "/admin/projects/p1/segments/pro",
        data={"name": "Pro plan", "audience": '{"identified_only": true}'},
        **post,
    )
    assert r.status_code == 200 and "Segment saved." in r.text and "Pro plan" in r.text
    r = client.post("/admin/projects/p1/segments/pro/delete", **post)
    assert r.status_code == 409 and "used by surveys &#39;s1&#39;" in r.text
    add(engine, {"id": "s1", "audience": {}})
    r = client.post("/admin/projects/p1/segments/pro/delete", **post)
    assert r.status_code == 200 and "Segment deleted." in r.text
    assert client.get("/admin/projects/p1/segments/pro").status_code == 404
    # from elsewhere, nothing changes
    r = client.post(
        "/admin/projects/p1/settings",
        data={"recontact_days": "1"},
        headers={"origin": "https://evil.example"},
    )
    assert r.status_code == 403 and get_project(engine, "p1")["recontact_days"] == 21


KEYS = ("plan", "seats", "beta")
trait_values = st.one_of(st.sampled_from(["pro", "free", "1"]), st.integers(-2, 3), st.booleans())
person = st.fixed_dictionaries(
    {
        "known": st.booleans(),
        "traits": st.dictionaries(st.sampled_from(KEYS), trait_values, max_size=3),
        "account": st.one_of(st.none(), st.sampled_from(["acc-a", "acc-b"])),
        "events": st.integers(0, 3),
    }
)
rule = st.one_of(
    st.builds(
        lambda kind, key, op, value: {kind: key, "op": op, "value": value},
        st.sampled_from(["trait", "account_trait"]),
        st.sampled_from(KEYS),
        st.sampled_from(["eq", "neq", "gt", "lte", "contains"]),
        trait_values.map(lambda v: v if not isinstance(v, bool) else str(v).lower()),
    ),
    st.builds(
        lambda kind, key, op: {kind: key, "op": op},
        st.sampled_from(["trait", "account_trait"]),
        st.sampled_from(KEYS),
        st.sampled_from(["is_set", "not_set"]),
    ),
    st.builds(lambda n: {"event": "export", "op": "at_least", "count": n}, st.integers(0, 3)),
    st.builds(lambda op: {"device": ["phone"], "op": op}, st.sampled_from(["in", "not_in"])),
)
audiences = st.fixed_dictionaries(
    {"match": st.sampled_from(["all", "any"]), "rules": st.lists(rule, max_size=4)},
    optional={"identified_only": st.just(True), "anonymous_only": st.just(True)},
).filter(lambda a: not (a.get("identified_only") and a.get("anonymous_only")))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(people=st.lists(person, max_size=6), audience=audiences)
def test_segment_counts_are_the_pings_verdicts(engine, people, audience):
    """Counting a rule at a time gives what the ping's per-contact rules give each contact
    (device rules, of a visit, holding). Each example in a project of its own."""
    project = "h" + uuid.uuid4().hex[:12]
    create_project(engine, project)
    store = ClientStore(engine)
    for n, p in enumerate(people):
        user = None
        if p["known"]:
            account = {"id": p["account"], "traits": p["traits"]} if p["account"] else None
            user = {"id": f"u{n}", "traits": p["traits"], "account": account}
        store.ping(project, PingIn.model_validate({"anonymous_id": f"anon-{n:010d}", "user": user}))
        for e in range(p["events"]):
            body = {
                "event_id": f"ev-{n:04d}-{e}",
                "name": "export",
                "anonymous_id": f"anon-{n:010d}",
            }
            body["user_id"] = user["id"] if user else None
            store.event(project, EventIn.model_validate(body))
    now = datetime.now(UTC)
    with engine.connect() as conn:
        counted = segment_store.count_contacts(conn, project, audience, now)
        expected = 0
        for pk, known, account_pk in conn.execute(
            sa.select(contacts.c.pk, contacts.c.user_id.is_not(None), contacts.c.account_pk).where(
                contacts.c.project_id == project
            )
        ):
            owners = [traits.c.contact_pk == pk]
            if account_pk is not None:  # `== None` would be IS NULL: every contact's traits
                owners.append(traits.c.account_pk == account_pk)
            stored = conn.execute(sa.select(traits).where(sa.or_(*owners))).all()
            mine = {r.key: (r.type, trait_value(r)) for r in stored if r.contact_pk is not None}
            theirs = {r.key: (r.type, trait_value(r)) for r in stored if r.contact_pk is None}
            n_events = conn.execute(
                sa.select(sa.func.count()).where(events.c.contact_pk == pk)
            ).scalar_one()
            facts = Facts(bool(known), mine, theirs, {"export": n_events}, now, visit=False)
            expected += in_audience(audience, facts, nested=True)
    assert counted == expected
