"""Issue 18's survey library through the admin API and the CLI: templates, new surveys from
them (drafts, served to nobody), versions with their author, changes and restore, duplicate;
on SQLite and PostgreSQL."""

from __future__ import annotations

import copy

import pytest

from refiner_server.cli import main
from refiner_server.surveys import templates
from refiner_server.surveys.store import get_survey, list_versions

from .admin_support import ADMIN, CLIENT, NPS, auth, respond

SURVEYS = f"{ADMIN}/projects/p1/surveys"
FROM_TEMPLATE = f"{ADMIN}/projects/p1/from-template"


@pytest.fixture
def h(engine):
    return auth(engine, "ana")


def live_ids(client):
    r = client.post(f"{CLIENT}/p1/ping", json={"anonymous_id": "anon-ping-0001"})
    return {f["id"] for f in r.json()["forms"]}


def test_the_templates_are_listed_with_their_languages(client, h):
    r = client.get(f"{ADMIN}/templates", headers=h)
    assert r.status_code == 200
    assert r.json() == templates.catalogue()
    assert {t["key"] for t in r.json()} >= {"nps", "csat", "ces", "pmf", "churn"}


def test_a_survey_from_a_template_is_a_draft_in_its_language_served_to_nobody(client, h):
    r = client.post(FROM_TEMPLATE, json={"template": "nps", "locale": "de"}, headers=h)
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["id"], made["status"], made["version"]) == ("nps", "draft", 1)
    assert made["definition"]["questions"][0]["title"].startswith("Wie wahrscheinlich")
    assert "en" in made["definition"]["translations"]
    assert "nps" not in live_ids(client)
    again = client.post(FROM_TEMPLATE, json={"template": "nps"}, headers=h).json()
    assert again["id"] == "nps-2"
    assert client.post(f"{SURVEYS}/nps/launch", headers=h).json()["status"] == "live"
    assert "nps" in live_ids(client) and "nps-2" not in live_ids(client)
    (v1,) = client.get(f"{SURVEYS}/nps/versions", headers=h).json()
    assert (v1["author"], v1["note"]) == ("token ana", "from template nps (de)")


def test_a_template_request_is_checked(client, h):
    r = client.post(FROM_TEMPLATE, json={"template": "nope"}, headers=h)
    assert r.status_code == 422 and "nps" in r.text
    r = client.post(FROM_TEMPLATE, json={"template": "ces", "id": "a b"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["message"].startswith("id:")
    r = client.post(f"{ADMIN}/projects/nope/from-template", json={"template": "ces"}, headers=h)
    assert r.status_code == 404
    r = client.post(
        FROM_TEMPLATE,
        json={"template": "ces", "locale": "pt", "id": "effort", "name": "Support effort"},
        headers=h,
    )
    assert r.status_code == 201
    assert r.json()["name"] == "Support effort"
    assert r.json()["definition"]["questions"][0]["title"].startswith("How easy")


def test_versions_record_who_made_them_and_what_changed(client, engine, h):
    client.post(SURVEYS, json=NPS, headers=h)
    edited = copy.deepcopy(NPS)
    edited["questions"][0]["title"] = "Would you recommend us?"
    edited["trigger"] = {"type": "event", "event": "upgraded"}
    r = client.put(f"{SURVEYS}/nps", json=edited, headers=auth(engine, "ben"))
    assert r.json()["version"] == 2
    versions = client.get(f"{SURVEYS}/nps/versions", headers=h).json()
    assert [(v["version"], v["author"], v["note"]) for v in versions] == [
        (1, "token ana", None),
        (2, "token ben", None),
    ]
    changes = client.get(f"{SURVEYS}/nps/versions/2/changes", headers=h).json()
    assert [c["text"] for c in changes] == [
        "Question ‘score’: title changed from “How likely?” to “Would you recommend us?”",
        "Trigger: type changed from “manual” to “event”",
        "Trigger: event set to “upgraded”",
    ]
    back = client.get(f"{SURVEYS}/nps/versions/1/changes?since=2", headers=h).json()
    assert [c["path"] for c in back] == ["questions.score.title", "trigger.type", "trigger.event"]
    assert client.get(f"{SURVEYS}/nps/versions/1/changes", headers=h).json() == []
    assert client.get(f"{SURVEYS}/nps/versions/9/changes", headers=h).status_code == 404
    assert client.get(f"{SURVEYS}/nps/versions/0/changes", headers=h).status_code == 422


def test_restore_makes_a_new_version_with_the_old_content_and_keeps_the_status(client, engine, h):
    client.post(SURVEYS, json=NPS, headers=h)
    edited = copy.deepcopy(NPS)
    edited["questions"].pop(1)
    client.put(f"{SURVEYS}/nps", json=edited, headers=h)
    client.post(f"{SURVEYS}/nps/pause", headers=h)
    r = client.post(f"{SURVEYS}/nps/versions/1/restore", headers=auth(engine, "cy"))
    assert r.status_code == 200
    assert (r.json()["version"], r.json()["status"]) == (3, "paused")
    assert r.json()["definition"] == dict(NPS, status="paused")
    versions = list_versions(engine, "p1", "nps")
    assert [v["version"] for v in versions] == [1, 2, 3]  # nothing lost
    assert (versions[2]["author"], versions[2]["note"]) == ("token cy", "restored version 1")
    same = client.post(f"{SURVEYS}/nps/versions/3/restore", headers=h).json()
    assert same["version"] == 3  # the current content again: no new version
    assert client.post(f"{SURVEYS}/nps/versions/7/restore", headers=h).status_code == 404


def test_duplicate_is_a_draft_copy_with_a_new_id_and_no_responses(client, engine, h):
    client.post(SURVEYS, json=NPS, headers=h)
    respond(client, "resp-00000001", {"score": 9})
    r = client.post(f"{SURVEYS}/nps/duplicate", headers=h)
    assert r.status_code == 201
    copy_ = r.json()
    assert (copy_["id"], copy_["status"], copy_["name"]) == ("nps-copy", "draft", "NPS (copy)")
    assert copy_["definition"]["questions"] == NPS["questions"]
    assert client.post(f"{SURVEYS}/nps/duplicate", headers=h).json()["id"] == "nps-copy-2"
    named = client.post(f"{SURVEYS}/nps/duplicate", json={"id": "nps-q3"}, headers=h)
    assert named.json()["id"] == "nps-q3"
    assert (
        client.post(f"{SURVEYS}/nps/duplicate", json={"id": "nps-q3"}, headers=h).status_code == 409
    )
    listed = {s["id"]: s for s in client.get(SURVEYS, headers=h).json()}
    assert listed["nps"]["responses"] == 1 and listed["nps-copy"]["responses"] == 0
    assert list_versions(engine, "p1", "nps-copy")[0]["note"] == "duplicated from nps version 1"
    assert "nps-copy" not in live_ids(client)


def test_the_cli_makes_a_survey_from_a_template(db_url, engine, capsys):
    code = main(
        ["survey", "new", "--template", "pmf", "--locale", "es", "--project", "p1", "--db", db_url]
    )
    assert code == 0
    assert capsys.readouterr().out.strip() == "created pmf (draft, es) in p1"
    made = get_survey(engine, "p1", "pmf")
    assert made["status"] == "draft"
    assert made["definition"]["questions"][0]["title"].startswith("¿Cómo se sentiría")
    assert main(["survey", "templates"]) == 0
    listing = capsys.readouterr().out
    assert "pmf" in listing and "en, ar, de, es, fr" in listing
    with pytest.raises(SystemExit) as refused:
        main(["survey", "new", "--template", "nope", "--project", "p1", "--db", db_url])
    assert refused.value.code == 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err
    taken = ["survey", "new", "--template", "nps", "--id", "pmf", "--project", "p1"]
    assert main([*taken, "--db", db_url]) == 1
    assert "survey 'pmf' already exists" in capsys.readouterr().err
