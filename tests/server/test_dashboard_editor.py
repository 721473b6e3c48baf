"""The survey editor (`/admin/.../edit`) through TestClient on SQLite and PostgreSQL: the
form, its CSRF refusal, saving a new version, faults by path next to their fields, the live
check, structural edits, the conflict of two editors, and hostile text shown as text."""

from __future__ import annotations

import copy
import html
from html.parser import HTMLParser

import pytest
from markupsafe import escape

from refiner_server.dashboard.editor_form import fields_of
from refiner_server.projects import import_surveys
from refiner_server.surveys.store import get_survey, list_versions, update_survey
from refiner_server.tokens import create_token

from .test_dashboard import ORIGIN, SCRIPT, XSS, sign_in

EDIT = "/admin/projects/p1/surveys/ed/edit"
SURVEY = {
    "id": "ed",
    "name": "Editable",
    "status": "paused",
    "questions": [
        {"id": "score", "type": "nps", "title": "Recommend?", "required": True},
        {
            "id": "plan",
            "type": "single_choice",
            "title": "Plan",
            "choices": [{"id": "free", "label": "Free"}, {"id": "pro", "label": "Pro"}],
        },
        {"id": "why", "type": "text", "title": "Why?"},
    ],
    "translations": {"de": {"questions": {"score": {"title": "Empfehlen?"}}}},
    "$schema": "http://127.0.0.1:8000/api/v1/schema/survey.json",  # kept, though not shown
}


@pytest.fixture
def owner(client, engine):
    import_surveys(engine, "p1", [copy.deepcopy(SURVEY)])
    _, raw = create_token(engine, "owner")
    assert sign_in(client, raw).status_code == 303
    return client


def form(definition: dict, base: int = 1, **extra: str) -> dict[str, str]:
    return {**fields_of(definition), "_base": str(base), **extra}


def edited(**changes) -> dict:
    survey = copy.deepcopy(SURVEY)
    survey.update(changes)
    return survey


def test_the_editor_needs_a_signed_in_owner_and_runs_code_only_here(client, owner, engine):
    page = owner.get(EDIT)
    assert page.status_code == 200
    assert 'id="questions[1].choices[0].label"' in page.text and 'value="Free"' in page.text
    assert 'id="translations[0].questions[0].title"' in page.text and "Empfehlen?" in page.text
    assert "script-src 'self' 'wasm-unsafe-eval'" in page.headers["content-security-policy"]
    survey_page = owner.get("/admin/projects/p1/surveys/ed")
    assert "script-src 'none'" in survey_page.headers["content-security-policy"]
    assert f'href="{EDIT}"' in survey_page.text
    owner.cookies.clear()
    assert owner.get(EDIT, follow_redirects=False).status_code == 303


def test_a_post_from_elsewhere_changes_nothing(owner, engine):
    changed = edited(name="Hijacked")
    for headers in ({}, {"origin": "https://evil.example"}):
        r = owner.post(EDIT, data=form(changed), headers=headers, follow_redirects=False)
        assert r.status_code == 403
        r = owner.post(EDIT + "/check", data=form(changed), headers=headers)
        assert r.status_code == 403
    assert get_survey(engine, "p1", "ed")["definition"]["name"] == "Editable"


def test_saving_makes_a_new_version_and_keeps_the_status(owner, engine):
    changed = edited(name="Renamed")
    changed["questions"][2]["multiline"] = True
    r = owner.post(EDIT, data=form(changed), headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("/surveys/ed?done=saved")
    stored = get_survey(engine, "p1", "ed")
    assert (stored["version"], stored["status"]) == (2, "paused")
    assert stored["definition"] == dict(changed, status="paused")
    assert "Survey saved" in owner.get(r.headers["location"]).text


def test_an_invalid_draft_is_not_saved_and_each_fault_is_beside_its_field(owner, engine):
    changed = edited()
    changed["questions"][0] = {"id": "score", "type": "rating", "scale": 42}
    changed["questions"][2]["max_length"] = 0
    r = owner.post(EDIT, data=form(changed), headers=ORIGIN)
    assert r.status_code == 422
    text = html.unescape(r.text)
    for field, message in (
        ("questions[0].scale", "must be an integer from 3 to 10"),
        ("questions[2].max_length", "must be an integer from 1 to 10000"),
    ):
        assert f'id="err-{field}">{message}' in text
        assert f'aria-invalid="true" aria-describedby="err-{field}"' in text
    assert 'value="42"' in r.text  # what was typed stays in the form
    assert "<title>Not saved, 2 to fix" in r.text
    duplicate = edited()
    duplicate["questions"][1]["choices"][1]["id"] = "free"
    r = owner.post(EDIT, data=form(duplicate), headers=ORIGIN)
    assert r.status_code == 422
    assert 'id="err-questions[1].choices[1].id">duplicate choice id' in r.text
    assert get_survey(engine, "p1", "ed")["version"] == 1


def test_the_live_check_names_every_fault_by_path_and_field(owner):
    changed = edited()
    changed["questions"][2]["max_length"] = "lots"
    changed["questions"][1]["min"] = -1
    changed["logic"] = [{"if": {"question": "why", "op": "answered"}, "goto": "score"}]
    fields = form(changed)
    fields["questions[0].scale"] = "42"  # an nps has no scale: dropped, not a fault
    r = owner.post(EDIT + "/check", data=fields, headers=ORIGIN)
    assert r.status_code == 200
    assert [(f["path"], f["field"], f["message"]) for f in r.json()["faults"]] == [
        ("questions[2].max_length", "questions[2].max_length", "must be an integer from 1 to 10000")
    ]  # a single choice has no min either
    assert r.json()["definition"]["id"] == "ed"
    assert "scale" not in r.json()["definition"]["questions"][0]
    fields["questions[2].max_length"] = "500"
    r = owner.post(EDIT + "/check", data=fields, headers=ORIGIN)
    assert [(f["path"], f["field"]) for f in r.json()["faults"]] == [
        ("logic[0].goto", "logic[0].goto")
    ]
    assert "must jump forward" in r.json()["faults"][0]["message"]
    ok = owner.post(EDIT + "/check", data=form(edited()), headers=ORIGIN).json()
    assert ok == {"faults": [], "definition": dict(SURVEY, status="paused")}


def test_a_translation_fault_points_at_its_language(owner):
    fields = form(edited())
    fields["translations[0].code"] = ""
    fields["translations[1].code"] = "fr"
    fields["translations[1].thank_you.title"] = "Merci"
    r = owner.post(EDIT + "/check", data=fields, headers=ORIGIN).json()
    assert r["faults"] == []
    assert r["definition"]["translations"] == {"fr": {"thank_you": {"title": "Merci"}}}


@pytest.mark.parametrize(
    ("move", "check"),
    [
        ("add:questions:multiple_choice", lambda qs: qs[3]["choices"] and qs[3]["id"] == "q1"),
        ("duplicate:questions[0]", lambda qs: qs[1]["id"] == "score_copy"),
        ("move:questions[2]:0", lambda qs: [q["id"] for q in qs] == ["why", "score", "plan"]),
        ("remove:questions[1]", lambda qs: [q["id"] for q in qs] == ["score", "why"]),
        ("add:questions[1].choices", lambda qs: len(qs[1]["choices"]) == 3),
    ],
)
def test_structural_edits_show_the_draft_unsaved(owner, engine, move, check):
    r = owner.post(EDIT, data=form(edited(), _move=move), headers=ORIGIN)
    assert r.status_code == 200 and 'data-changed="true"' in r.text
    after = owner.post(EDIT + "/check", data=_posted(r.text), headers=ORIGIN).json()
    assert check(after["definition"]["questions"])
    assert get_survey(engine, "p1", "ed")["version"] == 1


class _Posted(HTMLParser):
    """What a browser posts from a rendered editor: text fields, checked boxes, and each
    select's selected option (else its first)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.select: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") == "text":
            self.fields[a["name"]] = a.get("value") or ""
        elif tag == "input" and a.get("type") == "checkbox" and "checked" in a:
            self.fields[a["name"]] = a["value"]
        elif tag == "select" and a.get("name"):
            self.select = a["name"]
        elif tag == "option" and self.select is not None:
            if self.select not in self.fields or "selected" in a:
                self.fields[self.select] = a.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None


def _posted(page: str) -> dict[str, str]:
    reader = _Posted()
    reader.feed(page)
    return reader.fields


def test_two_editors_conflict_and_nothing_is_lost(owner, engine):
    update_survey(engine, "p1", "ed", edited(name="Theirs"), base_version=1)
    mine = edited(name="Mine")
    r = owner.post(EDIT, data=form(mine, base=1), headers=ORIGIN)
    assert r.status_code == 409
    assert get_survey(engine, "p1", "ed")["definition"]["name"] == "Theirs"
    text = html.unescape(r.text)
    assert "Someone else saved this survey" in text
    assert "<td>Theirs</td><td>Mine</td>" in text
    assert 'name="name" type="text" value="Mine"' in text  # the draft is still mine
    assert 'name="_base" value="2"' in text and "Save mine over version 2" in text
    on_top = owner.post(EDIT, data=form(mine, base=2), headers=ORIGIN, follow_redirects=False)
    assert on_top.status_code == 303
    assert [v["definition"]["name"] for v in list_versions(engine, "p1", "ed")] == [
        "Editable",
        "Theirs",
        "Mine",
    ]


def test_hostile_text_in_every_field_is_shown_as_text(owner, engine):
    hostile = XSS + SCRIPT
    changed = edited(name=hostile)
    changed["questions"][1]["choices"][0]["label"] = hostile
    changed["questions"][0].update(title=hostile, description=hostile, button=hostile)
    changed["thank_you"] = {"title": hostile}
    changed["trigger"] = {"type": "event", "event": hostile}
    changed["audience"] = {"rules": [{"trait": hostile, "op": "eq", "value": hostile}]}
    changed["translations"]["de"]["questions"]["score"]["title"] = hostile
    r = owner.post(EDIT, data=form(changed), headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303
    page = owner.get(EDIT).text
    assert "<script>window" not in page and "<img src=x" not in page
    assert page.count(str(escape(hostile))) >= 9
