"""Surveys through the admin API: CRUD, status, versions, validation faults by path."""

from __future__ import annotations

import copy

import pytest

from refiner_server.db import responses, survey_versions, surveys
from refiner_server.projects import demo_survey

from .admin_support import ADMIN, CLIENT, NPS, auth, respond

SURVEYS = f"{ADMIN}/projects/p1/surveys"


@pytest.fixture
def h(engine):
    return auth(engine)


def nps(**changes):
    return dict(copy.deepcopy(NPS), **changes)


def live_ids(client):
    r = client.post(f"{CLIENT}/p1/ping", json={"anonymous_id": "anon-ping-0001"})
    return {f["id"] for f in r.json()["forms"]}


def test_create_read_list_and_counts(client, h):
    r = client.post(SURVEYS, json=nps(), headers=h)
    assert r.status_code == 201
    assert (r.json()["id"], r.json()["version"], r.json()["status"]) == ("nps", 1, "live")
    respond(client, "resp-00000001", {"score": 9})
    respond(client, "resp-00000002", {"score": 2}, completed=False)
    assert client.get(f"{SURVEYS}/nps", headers=h).json()["definition"] == nps()
    listed = {s["id"]: s for s in client.get(SURVEYS, headers=h).json()}
    assert set(listed) == {"live-one", "draft-one", "paused-one", "nps"}
    assert (listed["nps"]["responses"], listed["nps"]["completed"]) == (2, 1)
    assert (listed["draft-one"]["responses"], listed["draft-one"]["completed"]) == (0, 0)


def test_create_refuses_a_taken_id_and_unknown_projects(client, h):
    assert client.post(SURVEYS, json=nps(), headers=h).status_code == 201
    r = client.post(SURVEYS, json=nps(), headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    r = client.post(f"{ADMIN}/projects/nope/surveys", json=nps(), headers=h)
    assert r.status_code == 404 and "nope" in r.json()["error"]["message"]
    assert client.get(f"{SURVEYS}/missing", headers=h).status_code == 404


def test_status_actions_reach_the_ping(client, h):
    client.post(SURVEYS, json=nps(status="draft"), headers=h)
    assert "nps" not in live_ids(client)
    for action, status, live in [
        ("launch", "live", True),
        ("pause", "paused", False),
        ("resume", "live", True),
        ("archive", "archived", False),
    ]:
        r = client.post(f"{SURVEYS}/nps/{action}", headers=h)
        assert r.status_code == 200 and r.json()["status"] == status
        assert r.json()["definition"]["status"] == status and r.json()["version"] == 1
        assert ("nps" in live_ids(client)) is live, action
    unknown = client.post(f"{SURVEYS}/nps/explode", headers=h)  # each action is a route
    assert unknown.status_code == 404 and set(unknown.json()["error"]) == {"code", "message"}


def test_an_edit_makes_a_version_and_a_status_change_does_not(client, h, db):
    client.post(SURVEYS, json=nps(), headers=h)
    same = client.put(f"{SURVEYS}/nps", json=nps(status="paused"), headers=h).json()
    assert (same["version"], same["status"]) == (1, "paused")
    edited = nps(name="NPS v2")
    del edited["id"]  # the path names the survey
    r = client.put(f"{SURVEYS}/nps", json=edited, headers=h)
    assert r.status_code == 200 and r.json()["version"] == 2
    versions = client.get(f"{SURVEYS}/nps/versions", headers=h).json()
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["definition"]["name"] == "NPS" and versions[1]["definition"]["name"] == (
        "NPS v2"
    )
    assert len(db.rows(survey_versions)) == 2 + 3  # and version 1 of the fixture's three
    r = client.put(f"{SURVEYS}/nps", json=nps(id="other"), headers=h)
    assert r.status_code == 422 and r.json()["error"]["message"].startswith("id: must be 'nps'")


def test_responses_stay_tied_to_the_version_they_answered(client, h, db, engine):
    client.post(SURVEYS, json=nps(), headers=h)
    respond(client, "resp-00000001", {"score": 10, "plan": ["pro"]})
    changed = nps(questions=[*NPS["questions"], {"id": "extra", "type": "email"}])
    assert client.put(f"{SURVEYS}/nps", json=changed, headers=h).json()["version"] == 2
    respond(client, "resp-00000002", {"score": 7, "extra": "a@b.example"})
    # a later save of the first response keeps its version
    respond(client, "resp-00000001", {"score": 10, "plan": ["pro"], "why": "fast"})
    versions = {r["response_id"]: r["survey_version"] for r in db.rows(responses)}
    assert versions == {"resp-00000001": 1, "resp-00000002": 2}
    exported = client.get(
        f"{ADMIN}/projects/p1/responses/export", params={"format": "json"}, headers=h
    ).json()
    assert [(r["response_id"], r["survey_version"]) for r in exported] == [
        ("resp-00000001", 1),
        ("resp-00000002", 2),
    ]
    csv_text = client.get(
        f"{ADMIN}/projects/p1/responses/export", params={"survey": "nps"}, headers=h
    ).text
    header, first, second = csv_text.splitlines()
    assert header.split(",")[2] == "survey_version" and "extra" in header.split(",")
    assert first.split(",")[2] == "1" and second.split(",")[2] == "2"


def test_delete_removes_the_survey_its_versions_and_its_answers(client, h, db):
    client.post(SURVEYS, json=nps(), headers=h)
    respond(client, "resp-00000001", {"score": 10})
    respond(client, "resp-00000002", {}, form="live-one")
    assert client.delete(f"{SURVEYS}/nps", headers=h).status_code == 204
    assert client.get(f"{SURVEYS}/nps", headers=h).status_code == 404
    assert [r["form_id"] for r in db.rows(responses)] == ["live-one"]
    assert "nps" not in {r["survey_id"] for r in db.rows(survey_versions)}
    assert "nps" not in {r["id"] for r in db.rows(surveys)}
    assert "nps" not in live_ids(client)
    assert client.delete(f"{SURVEYS}/nps", headers=h).status_code == 404


def question(**fields):
    return {"id": "q", "type": "text", **fields}


def regex_trigger(side: str, value: str) -> dict:
    return {"type": "page", "pages": {side: [{"match": "regex", "value": value}]}}


FAULTS = [
    ({"questions": [question(type="slider")]}, "questions[0].type: must be one of nps, rating"),
    ({"questions": [question(), question()]}, "questions[1].id: duplicate question id 'q'"),
    ({"questions": [question(id="")]}, "questions[0].id:"),
    ({"questions": "q"}, "questions: must be a list"),
    ({"questions": [question(title=3)]}, "questions[0].title: must be a string"),
    ({"questions": [question(required="yes")]}, "questions[0].required: must be true or false"),
    (
        {"questions": [question(type="rating", scale=11)]},
        "questions[0].scale: must be an integer from 3 to 10",
    ),
    ({"questions": [question(type="rating", style="hearts")]}, "questions[0].style: must be one"),
    ({"questions": [question(type="single_choice")]}, "questions[0].choices: must be a list of 1"),
    # what bounds a legitimate response's values and text (refiner_web.answers)
    (
        {"questions": [question(id=f"q{i}") for i in range(101)]},
        "questions: must be a list of at most 100",
    ),
    (
        {"questions": [question(type="single_choice", choices=[{"id": i} for i in "a" * 101])]},
        "questions[0].choices: must be a list of 1 to 100",
    ),
    (
        {"questions": [question(max_length=10001)]},
        "questions[0].max_length: must be an integer from 1 to 10000",
    ),
    (
        {"questions": [question(type="single_choice", choices=[{"id": "a"}, {"id": "a"}])]},
        "questions[0].choices[1].id: duplicate choice id 'a'",
    ),
    (
        {"questions": [question(type="multiple_choice", choices=[{"id": "a"}], min=2)]},
        "questions[0].min: must be an integer from 0 to 1",
    ),
    ({"questions": [question(max_length=0)]}, "questions[0].max_length: must be an integer"),
    (
        {"questions": [question(type="statement", link={"label": "x", "url": "javascript:1"})]},
        "questions[0].link.url: must be an http(s) URL",
    ),
    (
        {"questions": [question()], "logic": [{"if": {"question": "q", "op": "answered"}}]},
        "logic[0].goto: no question with id None",
    ),
    (
        {
            "questions": [question()],
            "logic": [{"if": {"question": "q", "op": "answered"}, "goto": "missing"}],
        },
        "logic[0].goto: no question with id 'missing'",
    ),
    (
        {
            "questions": [question()],
            "logic": [{"if": {"question": "nope", "op": "answered"}, "goto": "end"}],
        },
        "logic[0].if.question: no question with id 'nope'",
    ),
    (
        {
            "questions": [question()],
            "logic": [{"if": {"question": "q", "op": "like"}, "goto": "end"}],
        },
        "logic[0].if.op: must be one of eq",
    ),
    (
        {
            "questions": [question()],
            "logic": [{"if": {"question": "q", "op": "eq"}, "goto": "end"}],
        },
        "logic[0].if.value: required with op eq",
    ),
    (
        {
            "questions": [question(id="a"), question(id="b")],
            "logic": [{"if": {"question": "b", "op": "answered"}, "goto": "a"}],
        },
        "logic[0].goto: must jump forward",
    ),
    (
        {"trigger": {"type": "page", "pages": {"include": [{"match": "regex", "value": "("}]}}},
        "trigger.pages.include[0].value: invalid regex",
    ),
    (  # issue 13, item 12: a 28-character query then froze the page for seconds
        {
            "trigger": {
                "type": "page",
                "pages": {"include": [{"match": "regex", "value": r"\?(a+)+$"}]},
            }
        },
        "trigger.pages.include[0].value: a regex cannot repeat a group",
    ),
    (
        {
            "trigger": {
                "type": "page",
                "pages": {"exclude": [{"match": "regex", "value": "a.*b.*c"}]},
            }
        },
        "trigger.pages.exclude[0].value: a regex has at most 2",
    ),
    ({"trigger": {"type": "hover"}}, "trigger.type: must be one of"),
    ({"audience": {"sample_percent": 150}}, "audience.sample_percent: must be between 0 and 100"),
    ({"audience": {"sample_percent": -1}}, "audience.sample_percent: must be between 0 and 100"),
    ({"trigger": {"type": "scroll", "percent": 101}}, "trigger.percent: must be between 0 and 100"),
    ({"appearance": {"position": "middle"}}, "appearance.position: 'middle' is not understood"),
    ({"appearance": {"accent": "red"}}, "appearance.accent: must be a colour"),
    ({"thank_you": {"auto_close_s": -2}}, "thank_you.auto_close_s: must be >= 0"),
    (
        {"questions": [question()], "translations": {"de": {"questions": {"zz": {}}}}},
        "translations.de.questions.zz: no question with id 'zz'",
    ),
    ({"status": "deleted"}, "status: must be one of draft, live, paused, archived"),
    ({"id": "a/b"}, "id: a string of 1-64 characters"),
]


@pytest.mark.parametrize(("fields", "message"), FAULTS)
def test_each_fault_is_a_422_naming_its_path(client, h, fields, message):
    definition = {"id": "bad", "questions": [], **fields}
    r = client.post(SURVEYS, json=definition, headers=h)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_survey"
    assert error["message"].startswith(message), error["message"]
    if "id" in fields:
        return
    # the same validator guards updates
    r = client.put(f"{SURVEYS}/live-one", json=dict(definition, id="live-one"), headers=h)
    assert r.status_code == 422 and r.json()["error"]["message"].startswith(message)


def test_the_full_vocabulary_is_accepted(client, h):
    demo = demo_survey()
    demo["questions"] += [
        {"id": "c", "type": "csat", "style": "labels"},
        {"id": "e", "type": "emoji"},
        {"id": "m", "type": "multiple_choice", "choices": [{"id": "x"}], "other": True, "max": 2},
        {"id": "mail", "type": "email", "placeholder": "you@example.com"},
        {
            "id": "s",
            "type": "statement",
            "button": "OK",
            "link": {"label": "Docs", "url": "https://example.com/docs"},
        },
    ]
    demo["appearance"] = {"position": "center", "theme": "dark", "accent": "#0A0"}
    r = client.post(SURVEYS, json=demo, headers=h)
    assert r.status_code == 201, r.text


def test_summary_of_a_survey(client, h):
    client.post(SURVEYS, json=nps(), headers=h)
    for i, score in enumerate([10, 9, 7, 3]):
        respond(client, f"resp-0000000{i}", {"score": score})
    r = client.get(f"{SURVEYS}/nps/summary", params={"bucket": "week"}, headers=h)
    assert r.status_code == 200
    (score,) = [q for q in r.json()["questions"] if q["id"] == "score"]
    assert score["score"] == 25  # (2 promoters - 1 detractor) / 4
    assert client.get(f"{SURVEYS}/missing/summary", headers=h).status_code == 404
    assert client.get(f"{SURVEYS}/nps/summary?bucket=year", headers=h).status_code == 422


def test_an_update_naming_its_base_version_refuses_a_stale_one(client, h):
    """Two writers start from version 1: the first saves, the second is refused with 412
    and the survey keeps the first one's words; a save that names version 2 goes through."""
    client.post(SURVEYS, json=nps(), headers=h)
    mine, theirs = nps(), nps()
    mine["questions"][0]["title"], theirs["questions"][0]["title"] = "Mine", "Theirs"
    first = client.put(f"{SURVEYS}/nps", json=theirs, headers={**h, "If-Match": '"1"'})
    assert (first.status_code, first.json()["version"]) == (200, 2)
    stale = client.put(f"{SURVEYS}/nps", json=mine, headers={**h, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "version_conflict"
    assert "version 2, not 1" in stale.json()["error"]["message"]
    stored = client.get(f"{SURVEYS}/nps", headers=h).json()
    assert (stored["version"], stored["definition"]["questions"][0]["title"]) == (2, "Theirs")
    assert client.put(f"{SURVEYS}/nps?base_version=1", json=mine, headers=h).status_code == 412
    on_top = client.put(f"{SURVEYS}/nps?base_version=2", json=mine, headers=h)
    assert (on_top.status_code, on_top.json()["version"]) == (200, 3)
    weak = client.put(f"{SURVEYS}/nps", json=theirs, headers={**h, "If-Match": 'W/"3"'})
    assert (weak.status_code, weak.json()["version"]) == (200, 4)
    versions = client.get(f"{SURVEYS}/nps/versions", headers=h).json()
    assert [v["definition"]["questions"][0]["title"] for v in versions[1:]] == [
        "Theirs",
        "Mine",
        "Theirs",
    ]


@pytest.mark.parametrize("tag", ["*", '"x"', "", '"1", "2"'])
def test_an_if_match_that_names_no_version_is_refused(client, h, tag):
    client.post(SURVEYS, json=nps(), headers=h)
    r = client.put(f"{SURVEYS}/nps", json=nps(name="n"), headers={**h, "If-Match": tag})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_if_match")
    assert client.get(f"{SURVEYS}/nps", headers=h).json()["version"] == 1


def test_a_stale_base_version_is_checked_before_the_definition(client, h):
    """A status-only update keeps the version, so it conflicts with nothing after it."""
    client.post(SURVEYS, json=nps(), headers=h)
    client.put(f"{SURVEYS}/nps", json=nps(name="renamed"), headers=h)
    r = client.put(f"{SURVEYS}/nps?base_version=1", json=nps(status="paused"), headers=h)
    assert r.status_code == 412
    assert client.get(f"{SURVEYS}/nps", headers=h).json()["status"] == "live"
