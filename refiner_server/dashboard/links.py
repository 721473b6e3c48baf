"""The dashboard's one-time links (docs/channels.md#one-time-links): the survey page's form
mints one for a user id and shows it, ready to paste into an email."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from refiner_server.channels import links
from refiner_server.dashboard import session
from refiner_server.dashboard.pages import form_fields, page, survey_url
from refiner_server.deps import AdminEngine
from refiner_server.surveys.store import NotFound
from refiner_server.team.access import PostingEditor

router = APIRouter(prefix=session.PATH, include_in_schema=False)


@router.post("/projects/{project_id}/surveys/{survey_id}/links")
async def mint_link(
    request: Request, token: PostingEditor, engine: AdminEngine, project_id: str, survey_id: str
) -> Response:
    fields = await form_fields(request)
    try:
        days = float(fields.get("days") or links.DEFAULT_DAYS)
        minted = await run_in_threadpool(
            links.mint, engine, project_id, survey_id, fields.get("user_id", ""), days
        )
    except NotFound as exc:
        return page("error.html", 404, title="Not found", message=str(exc), token=token)
    except ValueError as exc:
        return page("error.html", 422, title="No link made", message=str(exc), token=token)
    return page(
        "link.html",
        title="One-time link for %s" % minted["user_id"],
        token=token,
        url=str(request.base_url).rstrip("/") + minted["path"],
        minted=minted,
        back=survey_url(project_id, survey_id),
    )
