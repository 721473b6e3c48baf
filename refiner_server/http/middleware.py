"""Pure-ASGI middleware (cheaper than BaseHTTPMiddleware): security headers, CORS, rate
limits and the body limit."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from refiner_server.client.origins import REQUEST_ORIGIN
from refiner_server.http.errors import error_response
from refiner_server.http.ratelimit import Limiter, address_key

CORS_METHODS = "GET, HEAD, POST, PUT, OPTIONS"
CORS_HEADERS = "Content-Type"
NOSNIFF = (b"x-content-type-options", b"nosniff")
#: no other site may frame a page of ours (clickjacking): both the CSP directive and the
#: header older browsers know; a page with a policy of its own (the dashboard's) says it there
NO_FRAMING = (
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
)
#: a site's real-user monitoring may read the timings of our files and requests (without it
#: Resource Timing reports their sizes and phases as 0 to any origin but ours)
TIMING = (b"timing-allow-origin", b"*")


class SecurityHeadersMiddleware:
    """`X-Content-Type-Options: nosniff` on every answer: no browser may guess HTML (and
    run script) from a body we label JSON, text or a runtime file. Every HTML answer
    (`/docs`, the dashboard, the demo page, an HTML file of the build) also refuses to be
    framed (`NO_FRAMING`): one rule by content type, so a page added later has it too. The
    demo page included: it stores real answers, and a site that wants the widget embeds
    `refiner.js`, never our page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": _secured(message.get("headers", []))}
            await send(message)

        await self.app(scope, receive, send_headers)


def _secured(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` with `nosniff`, and with `NO_FRAMING` on HTML; what is set stays."""
    present = {key.lower(): value for key, value in headers}
    html = present.get(b"content-type", b"").lower().startswith(b"text/html")
    wanted = [NOSNIFF, *(NO_FRAMING if html else ())]
    return [*headers, *(h for h in wanted if h[0] not in present)]


class CORSMiddleware:
    """CORS on the public paths only (client API, runtime files): the admin API and the
    dashboard never answer a cross-origin page. Preflights are approved for any origin
    (they reach no project); the request itself goes through the project's allowed
    origins (`origins.check`, in the store), whose 403 `origin_not_allowed` carries these
    headers too, so the page can read why. `Retry-After` is exposed for the outbox to read.
    `Timing-Allow-Origin: *` goes with every answer of these paths (`TIMING`)."""

    def __init__(self, app: ASGIApp, prefixes: Sequence[str], api_prefix: str) -> None:
        self.app = app
        self.prefixes = tuple(prefixes)
        self.api_prefix = api_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and _header(scope, b"access-control-request-method"):
            await send(
                {
                    "type": "http.response.start",
                    "status": 204,
                    "headers": [
                        (b"access-control-allow-origin", b"*"),
                        (b"access-control-allow-methods", CORS_METHODS.encode()),
                        (b"access-control-allow-headers", CORS_HEADERS.encode()),
                        (b"access-control-max-age", b"86400"),
                        NOSNIFF,
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        api = scope["path"].startswith(self.api_prefix)
        origin = (_header(scope, b"origin") or None) if api else None
        extra = [(b"access-control-allow-origin", b"*"), TIMING]
        if origin:
            extra.append((b"access-control-expose-headers", b"Retry-After"))

        async def send_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        token = REQUEST_ORIGIN.set(origin)
        try:
            await self.app(scope, receive, send_cors)
        finally:
            REQUEST_ORIGIN.reset(token)


class RateLimitMiddleware:
    """Per project and per client address on the client API, before the body is read:
    429 with `Retry-After` (seconds) and the JSON error. The address is the peer's, or the
    forwarded one when uvicorn trusts the proxy (`serve --forwarded-allow-ips`)."""

    def __init__(
        self, app: ASGIApp, limiter: Limiter, prefix: str, now: Callable[[], float]
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.prefix = prefix
        self.now = now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] == "OPTIONS"
            or not path.startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        project = path[len(self.prefix) :].partition("/")[0][:64]
        client = scope.get("client")
        address = address_key(client[0]) if client else None
        wait = self.limiter.check(project, address, self.now())
        if wait:
            response = error_response(
                429,
                "rate_limited",
                f"too many requests: retry in {wait} s",
                headers={"Retry-After": str(wait)},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class BodyLimitMiddleware:
    """Refuse bodies over `limit(path)` bytes with 413 before any parsing, and client-API
    bodies of more than `most_values` JSON values by `count` (what parsing costs). Client-API
    bodies are JSON whatever their Content-Type says: `navigator.sendBeacon` and
    preflight-free `fetch` can only send `text/plain` (or form types)."""

    BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def __init__(
        self,
        app: ASGIApp,
        limit: Callable[[str], int],
        json_prefix: str,
        count: Callable[[bytes], int],
        most_values: int,
    ) -> None:
        self.app = app
        self.limit_of = limit
        self.json_prefix = json_prefix
        self.count = count
        self.most_values = most_values

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in self.BODY_METHODS:
            await self.app(scope, receive, send)
            return
        limit = self.limit_of(scope["path"])
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(limit, scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # disconnected
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(limit, scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        if scope["path"].startswith(self.json_prefix):
            if self.count(body) > self.most_values:
                message = f"body: more than {self.most_values} JSON values"
                await error_response(413, "payload_too_large", message)(scope, receive, send)
                return
            scope = _as_json(scope)
        await self.app(scope, replay, send)


async def _too_large(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    response = error_response(413, "payload_too_large", f"body: larger than {limit} bytes")
    await response(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def _as_json(scope: Scope) -> Scope:
    ctype = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
    if ctype == "application/json":
        return scope
    headers = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
    headers.append((b"content-type", b"application/json"))
    return {**scope, "headers": headers}
