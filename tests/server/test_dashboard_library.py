"""A survey's life in the `/admin` dashboard on SQLite and PostgreSQL: a new survey, blank
or from a template, as a draft served to nobody; launch, pause, resume, archive; duplicate;
delete behind a confirmation that counts the responses; the version history, a comparison
of two versions and restore. Every change is refused from another site (CSRF)."""

from __future__ import annotations

import copy
import re

import pytest

from refiner_server.surveys.store import get_survey, list_surveys, list_versions, update_survey
from refiner_server.tokens import create_token

from .admin_support import CLIENT, NPS, respond

ORIGIN = {"origin": "http://testserver"}
ELSEWHERE = {"origin": "https://evil.example"}
NEW = "/admin/projects/p1/new-survey"
PAGE = "/admin/projects/p1/surveys/nps"


@pytest.fixture
def owner(client, engine):
    _id, raw = create_token(engine, "Ana <b>")
    r = client.post("/admin/login", data={"token": raw}, headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303
    return client


def served(client):
    r = client.post(f"{CLIENT}/p1/ping", json={"anonymous_id": "anon-ping-0001"})
    return {f["id"] for f in r.json()["forms"]}


def test_the_new_survey_page_offers_blank_and_every_template_with_its_questions(owner):
    page = owner.get(NEW)
    assert page.status_code == 200
    for key in ("blank", "nps", "csat", "ces", "pmf", "feature", "onboarding", "churn"):
        assert f'value="{key}"' in page.text
    assert "How would you feel if you could no longer use our product?" in page.text
    assert "Written in English, العربية, Deutsch, Español, Français." in page.text
    assert '<option value="de" lang="de">Deutsch</option>' in page.text
    assert owner.get("/admin/projects/nope/new-survey").status_code == 404
    assert 'href="/admin/projects/p1/new-survey"' in owner.get("/admin").text


def test_a_survey_from_a_template_is_a_draft_shown_in_the_dashboard_and_served_to_nobody(
    owner, engine
):
    form = {"template": "nps", "locale": "fr", "name": "", "id": ""}
    assert owner.post(NEW, data=form, headers=ELSEWHERE).status_code == 403
    assert "nps" not in {s["id"] for s in list_surveys(engine, "p1")}
    r = owner.post(NEW, data=form, headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == PAGE + "?done=created"
    page = owner.get(r.headers["location"])
    assert "Survey created as a draft." in page.text
    assert 'status-draft">draft</span>' in page.text and "nobody is shown it" in page.text
    assert "Launch survey" in page.text and "Pause survey" not in page.text
    made = get_survey(engine, "p1", "nps")
    assert made["status"] == "draft"
    assert made["definition"]["questions"][0]["title"].startswith("Quelle est la probabilité")
    assert "nps" not in served(owner)
    assert "status-draft" in owner.get("/admin").text
    (v1,) = list_versions(engine, "p1", "nps")
    assert (v1["author"], v1["note"]) == ("token Ana <b>", "from template nps (fr)")
    assert (
        "Ana &lt;b&gt;" in page.text
        and "From template nps (fr): Created with 3 questions" in page.text
    )


def test_a_blank_survey_and_a_refused_one(owner, engine):
    r = owner.post(NEW, data={"template": "blank", "name": "Mine"}, headers=ORIGIN)
    assert r.status_code == 200 and "Survey created as a draft." in r.text
    blank = get_survey(engine, "p1", "survey")
    assert (blank["name"], blank["definition"]["questions"]) == ("Mine", [])
    bad = owner.post(NEW, data={"template": "ces", "id": "no spaces"}, headers=ORIGIN)
    assert bad.status_code == 422 and 'role="alert"' in bad.text and "id: a string of" in bad.text
    assert 'value="no spaces"' in bad.text  # what was typed stays
    taken = owner.post(NEW, data={"template": "ces", "id": "survey"}, headers=ORIGIN)
    assert taken.status_code == 422 and "already exists" in taken.text
    odd = owner.post(NEW, data={"template": "quiz"}, headers=ORIGIN)
    assert odd.status_code == 422


def test_launch_pause_resume_archive_unarchive(owner, engine):
    owner.post(NEW, data={"template": "nps"}, headers=ORIGIN)
    steps = [
        ("live", "Survey launched", True),
        ("paused", "Survey paused", False),
        ("live", "Survey resumed", True),
        ("archived", "Survey archived", False),
        ("paused", "Survey unarchived (paused)", False),
    ]
    for status, notice, live in steps:
        assert (
            owner.post(PAGE + "/status", data={"status": status}, headers=ELSEWHERE).status_code
            == 403
        )
        r = owner.post(PAGE + "/status", data={"status": status}, headers=ORIGIN)
        assert r.status_code == 200 and f"{notice}." in r.text
        assert get_survey(engine, "p1", "nps")["status"] == status
        assert ("nps" in served(owner)) is live
    assert owner.post(PAGE + "/status", data={"status": "draft"}, headers=ORIGIN).status_code == 422
    assert len(list_versions(engine, "p1", "nps")) == 1  # a status is not a version


def test_duplicate_makes_a_draft_copy(owner, engine):
    owner.post(NEW, data={"template": "csat", "id": "nps"}, headers=ORIGIN)
    owner.post(PAGE + "/status", data={"status": "live"}, headers=ORIGIN)
    assert owner.post(PAGE + "/duplicate", headers=ELSEWHERE).status_code == 403
    r = owner.post(PAGE + "/duplicate", headers=ORIGIN, follow_redirects=False)
    assert r.headers["location"] == "/admin/projects/p1/surveys/nps-copy?done=duplicated"
    copy_ = get_survey(engine, "p1", "nps-copy")
    assert copy_["status"] == "draft" and copy_["name"] == "Customer satisfaction (CSAT) (copy)"
    assert "nps-copy" not in served(owner) and "nps" in served(owner)


def test_delete_says_how_many_responses_go_with_it(owner, engine):
    owner.post(NEW, data={"template": "nps"}, headers=ORIGIN)
    owner.post(PAGE + "/status", data={"status": "live"}, headers=ORIGIN)
    respond(owner, "resp-00000001", {"score": 9})
    respond(owner, "resp-00000002", {"score": 3}, completed=False)
    confirm = owner.get(PAGE + "/delete")
    assert confirm.status_code == 200
    assert "Delete survey and 2 responses" in confirm.text
    assert "<strong>1</strong> version of its definition" in confirm.text
    assert owner.post(PAGE + "/delete", headers=ELSEWHERE).status_code == 403
    assert get_survey(engine, "p1", "nps")
    r = owner.post(PAGE + "/delete", headers=ORIGIN)
    assert r.status_code == 200 and "Survey deleted: Net Promoter Score (NPS)." in r.text
    assert "nps" not in {s["id"] for s in list_surveys(engine, "p1")}
    assert owner.get(PAGE + "/delete").status_code == 404
    assert owner.post(PAGE + "/delete", headers=ORIGIN).status_code == 404


def test_history_compare_and_restore(owner, engine):
    owner.post(NEW, data={"template": "nps"}, headers=ORIGIN)
    edited = copy.deepcopy(get_survey(engine, "p1", "nps")["definition"])
    edited["questions"][0]["title"] = "Would you recommend us?"
    edited["questions"].pop(2)
    edited["logic"] = edited["logic"][1:]
    for entry in edited["translations"].values():
        del entry["questions"]["love"]
    update_survey(engine, "p1", "nps", edited, author="Ben")
    page = owner.get(PAGE)
    versions = page.text.split('id="versions-h"')[1].split("</section>")[0]
    rows = re.findall(r"<tr>\s*<th scope=\"row\">(\d+).*?</tr>", versions, re.S)
    assert rows == ["2", "1"]  # newest first
    assert "<td>Ben</td>" in page.text and "7 changes: questions, logic, translations" in page.text
    compare = owner.get(PAGE + "/versions/compare?a=1&b=2")
    assert compare.status_code == 200
    assert (
        "Question ‘score’: title changed from “How likely are you to recommend us to a "
        in compare.text
    )
    assert "Question ‘love’ removed" in compare.text
    assert "Jump removed: if ‘score’ ≥ 9, go to ‘love’" in compare.text
    assert owner.get(PAGE + "/versions/compare").text == compare.text  # the last two
    assert owner.get(PAGE + "/versions/compare?a=1&b=9").status_code == 404
    assert owner.get(PAGE + "/versions/compare?a=1&b=99999999999").status_code == 404
    restore = PAGE + "/versions/1/restore"
    assert owner.post(restore, headers=ELSEWHERE).status_code == 403
    r = owner.post(restore, headers=ORIGIN)
    assert r.status_code == 200 and "Version restored as a new version." in r.text
    versions = list_versions(engine, "p1", "nps")
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert versions[2]["definition"] == versions[0]["definition"]
    assert versions[2]["author"] == "token Ana <b>"
    assert "Restored version 1: 7 changes: questions, logic, translations" in r.text
    assert owner.post(PAGE + "/versions/7/restore", headers=ORIGIN).status_code == 404


def test_hostile_text_in_a_survey_and_its_changes_is_text(owner, engine):
    hostile = dict(copy.deepcopy(NPS), status="draft", name="<script>alert(1)</script>")
    owner.post(NEW, data={"template": "blank", "id": "nps"}, headers=ORIGIN)
    update_survey(engine, "p1", "nps", hostile, author="<img src=x onerror=alert(2)>")
    page = owner.get(PAGE).text + owner.get(PAGE + "/versions/compare").text
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
