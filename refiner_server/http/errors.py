"""One error shape for every failure: `{"error": {"code": "...", "message": "..."}}`.

The browser client branches on `code`, so codes are stable; messages are for humans and
name the offending field path (e.g. `user.traits.plan: ...`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from refiner_server.http.methods import allowed

log = logging.getLogger("refiner_server")

#: default code of a bare HTTP status (routing 404/405 and the like)
STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


class ApiError(Exception):
    """Raised by handlers for a refused request; becomes the JSON error body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


#: on every error, including the 500s Starlette sends outside the middleware stack
NOSNIFF = {"X-Content-Type-Options": "nosniff"}
MAX_MESSAGE = 1000


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The JSON error. Messages quote the request (field paths, ids): cut to `MAX_MESSAGE`
    characters, and a lone surrogate from a JSON escape becomes `?` so that it encodes."""
    message = message[:MAX_MESSAGE].encode("utf-8", "replace").decode()
    return JSONResponse(
        {"error": {"code": code, "message": message}},
        status_code=status,
        headers={**NOSNIFF, **headers} if headers else NOSNIFF,
    )


def _path(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "path", "query", "header"):
        kind, parts = parts[0], parts[1:]
        if not parts:
            return kind
    return ".".join(parts)


def _message(err: dict[str, Any]) -> str:
    msg = str(err.get("msg", "invalid"))
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    return f"{_path(err.get('loc', ()))}: {msg}"


def validation_message(errors: Sequence[dict[str, Any]]) -> str:
    """At most three problems, each prefixed by its field path."""
    msgs = [_message(e) for e in errors[:3]]
    if len(errors) > 3:
        msgs.append(f"and {len(errors) - 3} more")
    return "; ".join(msgs)


async def _on_validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        err = errors[0]
        detail = (err.get("ctx") or {}).get("error", "invalid JSON")
        pos = err.get("loc", ("body", "?"))[-1]
        return error_response(400, "invalid_json", f"body: {detail} at position {pos}")
    return error_response(422, "validation_error", validation_message(errors))


async def _on_api_error(_request: Request, exc: ApiError) -> JSONResponse:
    return error_response(exc.status, exc.code, exc.message)


async def _on_http(request: Request, exc: StarletteHTTPException) -> Response:
    code = STATUS_CODES.get(exc.status_code, "error" if exc.status_code < 500 else "server_error")
    headers = exc.headers
    if exc.status_code == 405:  # the path exists: OPTIONS is answered, others get all of Allow
        headers = {"Allow": ", ".join(allowed(request.app.router, request.scope))}
        # a CORS preflight that reaches here is outside the public paths: refused
        if request.method == "OPTIONS" and "access-control-request-method" not in request.headers:
            return Response(status_code=204, headers={**NOSNIFF, **headers})
    return error_response(exc.status_code, code, str(exc.detail), headers=headers)


async def _on_unstorable(request: Request, exc: DataError | OverflowError) -> JSONResponse:
    """The database refused a value the request carried (PostgreSQL: an integer out of its
    column's range, a NUL in text; SQLite's driver: an integer past 64 bits). Input checks
    should catch these first: logged so the missing check gets added, answered as the
    client's fault."""
    log.warning("database refused a value on %s %s: %s", request.method, request.url.path, exc)
    return error_response(
        422, "invalid_value", "a value is out of range or holds a character that cannot be stored"
    )


async def _on_crash(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "internal server error")


#: what any operation may answer before its handler runs, by what it takes
ALWAYS = {
    "400": "invalid JSON",
    "413": "body over the size limit",
    "422": "invalid input; the message names the path",
}
RATE_LIMITED = {
    "description": "too many requests (per project or per client address): retry after "
    "`Retry-After` seconds",
    "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
}


def _document_errors(app: FastAPI, rate_limited_prefix: str) -> None:
    """Declare in `/openapi.json` the errors that the layers before a handler send (bad
    JSON, body limit, validation, rate limit), on every operation that can get them."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        ref = {"$ref": "#/components/schemas/ErrorOut"}
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                answers = operation.setdefault("responses", {})
                body = method in ("post", "put", "patch", "delete")
                takes = body or operation.get("parameters")
                for status, why in ALWAYS.items():
                    if (status == "422" and takes) or (status != "422" and body):
                        answers.setdefault(status, {"description": why})
                if path.startswith(rate_limited_prefix):
                    answers.setdefault("429", dict(RATE_LIMITED))
                for status, answer in answers.items():
                    if status[0] in "45" and "content" not in answer:
                        answer["content"] = {"application/json": {"schema": ref}}
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI, rate_limited_prefix: str) -> None:
    """Route every failure through `error_response`; document them in the OpenAPI schema
    (`rate_limited_prefix`: the paths that may answer 429)."""
    _document_errors(app, rate_limited_prefix)
    app.add_exception_handler(RequestValidationError, _on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(ApiError, _on_api_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _on_http)  # type: ignore[arg-type]
    app.add_exception_handler(DataError, _on_unstorable)  # type: ignore[arg-type]
    app.add_exception_handler(OverflowError, _on_unstorable)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _on_crash)
