"""The methods a path answers, for `Allow` (on a 405, and the answer to OPTIONS).

Routing answers a wrong method with the methods of the first route whose path matched, but
each method of a resource is a route of its own (`GET` and `POST /projects`): so every
method is tried against every route instead, and the answer is what the app really serves.
"""

from __future__ import annotations

from starlette.routing import Match, Router
from starlette.types import Scope

#: what a route may serve; OPTIONS is answered for every path that exists
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed(router: Router, scope: Scope) -> list[str]:
    """The methods `scope`'s path answers, OPTIONS last."""
    served = [
        method
        for method in METHODS
        if any(
            route.matches({**scope, "method": method})[0] == Match.FULL for route in router.routes
        )
    ]
    return [*served, "OPTIONS"]
