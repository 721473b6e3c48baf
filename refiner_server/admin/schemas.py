"""Pydantic shapes of the admin API: they validate input and document every answer in
`/openapi.json`. Survey definitions stay plain objects here; `survey_checks` checks them
(one validator for the API, the CLI and the dashboard)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import BaseModel, BeforeValidator, Field, StrictBool

from refiner_server.client.rules import ID_PATTERN, INT_LIMIT, NO_NUL

ORIGIN = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$"
Origin = Annotated[str, Field(pattern=ORIGIN, max_length=300, examples=["https://app.example"])]
Interval = Annotated[int, Field(ge=10, le=86400, description="seconds between pings")]


def _not_a_flag(value: Any) -> Any:
    """JSON's true and false are no number of days (pydantic would take them as 1 and 0);
    200.0 is 200, as JSON Schema's integer says."""
    if isinstance(value, bool):
        raise ValueError("a whole number of days, not true or false")
    return value


Recontact = Annotated[
    int,
    Field(
        ge=0,
        le=3650,
        description="days no survey is shown to a person after they saw one (0: off); a "
        "survey with `frequency.ignore_recontact_wait` is exempt",
    ),
    BeforeValidator(_not_a_flag),  # after the Field: before it, ge and le left the schema
]
#: what a path or a query names is text every database can hold, or an integer of their
#: keys' range (contacts: 32-bit on PostgreSQL), so that every database answers the same
AccountPath = Annotated[str, Path(min_length=1, max_length=255, pattern=NO_NUL)]
ContactPath = Annotated[int, Path(ge=1, le=INT_LIMIT)]
ContactAfter = Annotated[int | None, Query(ge=0, le=INT_LIMIT)]


def text_query(description: str | None = None) -> Any:
    """A text filter of a query string (`Annotated[str | None, text_query(...)]`)."""
    return Query(pattern=NO_NUL, description=description)


class ProjectIn(BaseModel):
    id: str = Field(min_length=1, max_length=64, pattern=ID_PATTERN)
    name: str | None = Field(default=None, max_length=255, pattern=NO_NUL)
    identity_verification: StrictBool = False
    secret: str | None = Field(default=None, min_length=16, max_length=255, pattern=NO_NUL)
    ping_interval_s: Interval = 300
    allowed_origins: list[Origin] = Field(default_factory=list, max_length=100)
    recontact_days: Recontact = 0


class ProjectPatch(BaseModel):
    """Only the fields given change; switching verification on without a secret (or
    `rotate_secret`) generates one."""

    name: str | None = Field(default=None, min_length=1, max_length=255, pattern=NO_NUL)
    identity_verification: StrictBool | None = None
    secret: str | None = Field(default=None, min_length=16, max_length=255, pattern=NO_NUL)
    rotate_secret: StrictBool = False
    ping_interval_s: Interval | None = None
    allowed_origins: list[Origin] | None = Field(default=None, max_length=100)
    recontact_days: Recontact | None = None


class ProjectOut(BaseModel):
    id: str
    name: str
    identity_verification: bool
    secret: str | None = Field(description="HMAC-SHA256 key of identity verification")
    ping_interval_s: int
    allowed_origins: list[str]
    created_at: str
    recontact_days: int = Field(description="0: no recontact wait")


class SurveyOut(BaseModel):
    id: str
    name: str
    status: str
    version: int
    definition: dict[str, Any]
    created_at: str
    updated_at: str
    closed_at: str | None = Field(
        description="when `schedule.max_responses` completed responses were reached"
    )
    closing: str | None = Field(
        description="why it is no longer served by itself: `closed: 500 responses reached`, "
        "`ended on 2026-03-31 17:00 UTC`"
    )


class SurveyListItem(SurveyOut):
    responses: int
    completed: int


class SurveyVersion(BaseModel):
    version: int
    definition: dict[str, Any]
    created_at: str
    author: str | None = Field(description="who made it: the name of the token or person")
    note: str | None = Field(
        description="how it came to be when not by an edit (template, restore, duplicate)"
    )


class SurveyChange(BaseModel):
    """One difference between two versions (`surveys.diff`)."""

    area: str = Field(description="questions, logic, trigger, audience, translations, ...")
    kind: Literal["added", "removed", "moved", "changed"]
    path: str = Field(description="where, e.g. questions.score.title")
    before: Any
    after: Any
    text: str = Field(description="the change in words")


class TemplateQuestion(BaseModel):
    id: str
    type: str
    title: str


class TemplateOut(BaseModel):
    key: str
    name: str
    about: str
    languages: list[str] = Field(description="the languages it is worded in, English first")
    questions: list[TemplateQuestion]


class ResponseRow(BaseModel):
    response_id: str
    survey_id: str
    survey_version: int | None
    user_id: str | None
    email: str | None
    completed: bool
    created_at: str
    updated_at: str
    completed_at: str | None
    locale: str | None
    page_url: str | None
    answers: dict[str, Any]
    data: dict[str, Any]
    notes: list[str] = Field(
        description="what the server left out of the latest save (answers the survey "
        "version it answers cannot have), one line each"
    )


class ResponsePage(BaseModel):
    items: list[ResponseRow]
    next: str | None = Field(description="pass as `after` for the next page; null at the end")


class Contact(BaseModel):
    id: int
    user_id: str | None
    email: str | None
    name: str | None
    account_id: str | None
    first_seen_at: str
    last_seen_at: str
    traits: dict[str, Any]


class ContactPage(BaseModel):
    items: list[Contact]
    next: int | None = Field(description="pass as `after` for the next page; null at the end")


class Happening(BaseModel):
    """An event, a view or a dismissal of one contact."""

    id: str
    name: str | None = None
    form_id: str | None = None
    at: str


class ContactDetail(Contact):
    anonymous_ids: list[str]
    events: list[Happening]
    views: list[Happening]
    dismissals: list[Happening]
    responses: list[ResponseRow]


class Erased(BaseModel):
    deleted: dict[str, int] = Field(description="rows removed per table")


class Account(BaseModel):
    account_id: str
    name: str | None
    created_at: str
    traits: dict[str, Any]
    contacts: int


class AccountDetail(Account):
    members: list[Contact]


class SegmentChange(BaseModel):
    name: str = Field(min_length=1, max_length=255, pattern=NO_NUL)
    audience: dict[str, Any] = Field(
        description="identified_only, anonymous_only, match and rules, as a survey's "
        "`audience` (docs/surveys.md), without sample_percent or segment rules"
    )


class SegmentIn(SegmentChange):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")


class SegmentOut(BaseModel):
    id: str
    name: str
    audience: dict[str, Any]
    surveys: list[str] = Field(description="the surveys whose audience names it")
    contacts: int = Field(
        description="contacts it matches now (device and locale rules, which are of a "
        "visit, counted as holding)"
    )
    created_at: str
    updated_at: str
