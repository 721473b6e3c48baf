"""A saved response's answers against the version of the survey it answers (issue 13,
item 6): the answers its questions can have are stored, the others are left out with a
note the owner sees (`responses.notes`), so one bad answer never costs the rest and the
survey page and summary stay proportional to the survey, not to what strangers send.

The rules are the client's own (`refiner_web.answers`); this module finds the questions of
a version (cached: a version never changes) and words the notes.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from refiner_server.db import survey_versions, surveys
from refiner_web.answers import check_answers
from refiner_web.definition import clean_questions

#: notes kept per response (the last one counts the rest), and what a note shows of a key
#: and of a value
MAX_NOTES, KEY_SHOWN, VALUE_SHOWN = 20, 64, 60
CACHED_VERSIONS = 1024
PROBLEMS = {
    "unknown": "no question of this survey version takes it",
    "invalid": "not an answer this question takes",
    "too_long": "longer than %d characters",
    "email_invalid": "not an email address",
    "at_least": "fewer than %d choices",
    "at_most": "more than %d choices",
    "other_missing": "'other' picked without its text",
    "matrix_rows": "a required matrix with rows unanswered",
    "rank_all": "not an order of every item",
    "date_invalid": "not a date YYYY-MM-DD",
    "date_min": "before %s",
    "date_max": "after %s",
}

_SURVEY = sa.select(surveys.c.version, surveys.c.created_at).where(
    surveys.c.project_id == sa.bindparam("project_id"), surveys.c.id == sa.bindparam("form_id")
)
_VERSION = sa.select(survey_versions.c.definition).where(
    survey_versions.c.project_id == sa.bindparam("project_id"),
    survey_versions.c.survey_id == sa.bindparam("form_id"),
    survey_versions.c.version == sa.bindparam("version"),
)


class AnswerChecks:
    """The questions of each survey version a response answers, read once per process."""

    def __init__(self) -> None:
        self._questions: dict[tuple[str, str, datetime, int], list[dict[str, Any]]] = {}

    def check(
        self,
        conn: Connection,
        project_id: str,
        form_id: str,
        version: int | None,
        answers: dict[str, Any],
    ) -> tuple[int | None, dict[str, Any], list[str] | None]:
        """`(version, kept answers, notes or None)` of a save of `form_id`'s `version`
        (None: a new response, which answers the current version). A survey that does not
        exist (deleted, or never made) takes no answers: the response is kept like a view
        of it would be, its answers left out with notes."""
        survey = conn.execute(_SURVEY, {"project_id": project_id, "form_id": form_id}).first()
        if survey is None:
            return None, {}, notes(check_answers([], answers)[1], answers, "no such survey")
        version = survey.version if version is None else version
        # a survey deleted and made again starts over at version 1: its creation tells them apart
        key = (project_id, form_id, survey.created_at, version)
        questions = self._questions.get(key)
        if questions is None:
            params = {"project_id": project_id, "form_id": form_id, "version": version}
            definition = conn.execute(_VERSION, params).scalar() or {}
            questions = clean_questions(definition.get("questions"))
            if len(self._questions) >= CACHED_VERSIONS:
                self._questions.clear()
            self._questions[key] = questions
        kept, dropped = check_answers(questions, answers)
        return version, kept, notes(dropped, answers, f"version {version}")


def notes(
    dropped: list[tuple[str, tuple[str, int | None]]], answers: dict[str, Any], against: str
) -> list[str] | None:
    """One line per answer left out (`answers.plan: left out, not an answer this question
    takes (version 2): "zzz"`), at most `MAX_NOTES`; None when nothing was."""
    if not dropped:
        return None
    out = []
    for key, (problem, number) in dropped[: MAX_NOTES - 1 if len(dropped) > MAX_NOTES else None]:
        why = PROBLEMS[problem] % number if number is not None else PROBLEMS[problem]
        shown = json.dumps(answers.get(key), ensure_ascii=False)
        if len(shown) > VALUE_SHOWN:
            shown = shown[:VALUE_SHOWN] + "…"
        name = key if len(key) <= KEY_SHOWN else key[:KEY_SHOWN] + "…"
        out.append(f"answers.{name}: left out, {why} ({against}): {shown}")
    if len(dropped) > MAX_NOTES:
        out.append(f"answers: {len(dropped) - len(out)} more left out")
    return out


def with_dropped(notes: list[str] | None, dropped: list[str]) -> list[str] | None:
    """The answers' notes followed by what the door dropped from the same write (hidden
    fields that break the value rules), at most `MAX_NOTES` in all: the owner sees every
    kind of loss in one place."""
    if not dropped:
        return notes
    out = list(notes or []) + dropped
    if len(out) > MAX_NOTES:
        out = out[: MAX_NOTES - 1] + ["%d more notes" % (len(out) - MAX_NOTES + 1)]
    return out
