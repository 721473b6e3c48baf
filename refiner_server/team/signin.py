"""Signing in to the dashboard and out again: a person with email and password, or, for
scripts' owners and the first setup, an admin token; "sign out everywhere" ends every
session of the person (or token) at once.

Sign-in answers say the same whether the email has an account or not (and take as long:
`Passwords.verify`), and failed ones are rate-limited per email and per client address
(`throttle`). Every POST comes from our own pages (`deps.SameSite`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from refiner_server.dashboard import session
from refiner_server.dashboard.pages import form_fields, page
from refiner_server.deps import AdminEngine, OptionalOwner, PostingOwner, SameSite
from refiner_server.team.access import Limits, PasswordHasher
from refiner_server.team.sessions import close, close_all, open_session
from refiner_server.team.users import authenticate
from refiner_server.tokens import verify_token

router = APIRouter(prefix=session.PATH, include_in_schema=False)

WRONG_PASSWORD = "That email and password do not match an account."
WRONG_TOKEN = "That token is not valid or has been revoked."
#: what `?done=` of the sign-in page announces
DONE = {"out": "Signed out.", "everywhere": "Signed out on every device and browser."}


def _form(status: int = 200, **context: object) -> Response:
    context.setdefault("next", session.PATH)
    return page("login.html", status, title="Sign in", token=None, **context)


@router.get("/login")
def login_form(token: OptionalOwner, next: str | None = None, done: str | None = None) -> Response:
    if token is not None:
        return RedirectResponse(session.safe_next(next), status_code=303)
    return _form(next=session.safe_next(next), notice=DONE.get(done or ""))


@router.post("/login", dependencies=[SameSite])
async def login(
    request: Request, engine: AdminEngine, passwords: PasswordHasher, limits: Limits
) -> Response:
    fields = await form_fields(request)
    target = session.safe_next(fields.get("next"))
    now = request.app.state.clock.now()
    raw = fields.get("token", "").strip()
    if raw:
        token = await run_in_threadpool(verify_token, engine, raw)
        if token is None:
            return _form(401, next=target, token_error=WRONG_TOKEN)
        opened = await run_in_threadpool(lambda: open_session(engine, now, token_id=token["id"]))
    else:
        email = fields.get("email", "").strip().lower()[:255]
        password = fields.get("password", "")
        host = request.client.host if request.client else None
        wait = limits.wait(email, host, now.timestamp())
        if wait:
            error = f"Too many failed sign-ins. Try again in {wait} seconds."
            response = _form(429, next=target, email=email, error=error)
            response.headers["retry-after"] = str(wait)
            return response
        user = await run_in_threadpool(authenticate, engine, passwords, email, password)
        if user is None:
            limits.failed(email, host, now.timestamp())
            return _form(401, next=target, email=email, error=WRONG_PASSWORD)
        opened = await run_in_threadpool(lambda: open_session(engine, now, user_id=user["id"]))
    earlier = request.cookies.get(session.COOKIE)
    if earlier:  # signing in again, maybe as someone else: the earlier session ends
        await run_in_threadpool(close, engine, earlier)
    response = RedirectResponse(target, status_code=303)
    session.sign_in(request, response, opened)
    return response


@router.post("/logout", dependencies=[SameSite])
async def logout(request: Request, engine: AdminEngine) -> Response:
    raw = request.cookies.get(session.COOKIE)
    if raw:
        await run_in_threadpool(close, engine, raw)
    response = RedirectResponse(session.PATH + "/login?done=out", status_code=303)
    session.sign_out(response)
    return response


@router.post("/logout-everywhere")
async def logout_everywhere(who: PostingOwner, engine: AdminEngine) -> Response:
    """Ends every session of the person (or token) signed in, this one too."""
    await run_in_threadpool(close_all, engine, who)
    response = RedirectResponse(session.PATH + "/login?done=everywhere", status_code=303)
    session.sign_out(response)
    return response
