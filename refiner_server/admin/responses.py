"""Admin routes of responses: a paged list with filters, and streamed JSON/CSV exports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from refiner_server.admin.refusals import refusals
from refiner_server.admin.schemas import ResponsePage, text_query
from refiner_server.client.rules import ProjectPath, Timestamp
from refiner_server.db import as_utc
from refiner_server.deps import AdminEngine
from refiner_server.projects import get_project
from refiner_server.surveys.exports import (
    attachment,
    public_response,
    responses_csv,
    responses_json,
    responses_rows,
)
from refiner_server.team.access import ApiViewer

#: `<microseconds since EPOCH>|<response id>` (ids as the client API takes them)
CURSOR = r"^[0-9]{1,17}\|[A-Za-z0-9_-]{1,64}$"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BASE = "/projects/{project_id}/responses"
MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def response_filters(
    survey: Annotated[str | None, text_query("one survey's responses")] = None,
    since: Annotated[Timestamp | None, Query(description="created at or after")] = None,
    until: Annotated[Timestamp | None, Query(description="created before")] = None,
    completed: Annotated[bool | None, Query(description="only (in)complete ones")] = None,
) -> dict[str, Any]:
    """The filters every response route shares, as keyword arguments of `exports`."""
    return {
        "survey_id": survey,
        "since": since,
        "until": until,
        "completed": completed,
    }


Filters = Annotated[dict[str, Any], Depends(response_filters)]


router = APIRouter(tags=["admin: responses"])


@router.get(BASE, response_model=ResponsePage, summary="List responses, oldest first")
def responses_list(
    project_id: ProjectPath,
    filters: Filters,
    engine: AdminEngine,
    _who: ApiViewer,
    after: Annotated[
        str | None,
        Query(
            description="`next` of the previous page, as it came: `<created_at>|<response_id>`"
            " with the time in microseconds since 1970 UTC; any value of the pattern is a "
            "place in the order",
            pattern=CURSOR,
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    with refusals():
        get_project(engine, project_id)
    rows = list(
        responses_rows(
            engine, project_id, after=_cursor(after), batch=limit, limit=limit, **filters
        )
    )
    more = len(rows) == limit
    return {
        "items": [public_response(r) for r in rows],
        "next": _next(rows[-1]["_at"], rows[-1]["_id"]) if more else None,
    }


@router.get(
    BASE + "/export",
    summary="Export responses as CSV or JSON, streamed",
    response_class=StreamingResponse,
    responses={200: {"content": {MEDIA["csv"]: {}, MEDIA["json"]: {}}}},
)
def responses_export(
    project_id: ProjectPath,
    filters: Filters,
    engine: AdminEngine,
    _who: ApiViewer,
    format: Literal["csv", "json"] = "csv",
) -> StreamingResponse:
    with refusals():
        get_project(engine, project_id)
    make = responses_csv if format == "csv" else responses_json
    return StreamingResponse(
        make(engine, project_id, **filters),
        media_type=MEDIA[format],
        headers={"Content-Disposition": attachment(project_id, filters["survey_id"], format)},
    )


def _next(at: datetime, response_id: str) -> str:
    """The cursor of the place after a row: its time in microseconds since EPOCH and its id."""
    return f"{(as_utc(at) - EPOCH) // timedelta(microseconds=1)}|{response_id}"


def _cursor(after: str | None) -> tuple[datetime, str] | None:
    """The place `after` names; every string of CURSOR is one (17 digits stay in year 5138)."""
    if after is None:
        return None
    micros, _, response_id = after.partition("|")
    return EPOCH + timedelta(microseconds=int(micros)), response_id
