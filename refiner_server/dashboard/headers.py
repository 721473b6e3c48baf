"""The headers of every `/admin` response (pages, redirects, errors, CSV): a CSP that
forbids scripts outright, so even a markup bug could not run anything, and no caching of
pages, which hold answers."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from refiner_server.dashboard import session

CSP = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


class AdminHeaders:
    """Adds `HEADERS` to every response under `/admin` (a page that sets one of its own,
    such as the preview's CSP, keeps it), and `no-store` but to the stylesheet and the
    files that say how they are cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path != session.PATH and not path.startswith(session.PATH + "/"):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {key.lower() for key, _ in headers}  # e.g. nosniff set elsewhere
                headers += [h for h in HEADERS if h[0] not in present]
                if path != "/admin/admin.css" and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
