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
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

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
}


class ApiError(Exception):
    """Raised by handlers for a refused request; becomes the JSON error body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
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


async def _on_http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = STATUS_CODES.get(exc.status_code, "error" if exc.status_code < 500 else "server_error")
    return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


async def _on_crash(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "internal server error")


def install(app: FastAPI) -> None:
    """Route every failure through `error_response`."""
    app.add_exception_handler(RequestValidationError, _on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(ApiError, _on_api_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _on_http)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _on_crash)
