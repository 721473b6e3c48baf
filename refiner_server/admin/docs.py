"""`/docs`: Swagger UI over `/openapi.json`, loaded from our own build output (build.py
copies `swagger-ui-dist` into `dist/static/v/<hash>/`, named in `manifest.json`), never from
a CDN; the validator badge (a call to swagger.io) is off."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from refiner_server.deps import StaticDir
from refiner_server.http.errors import ApiError

STATIC_PREFIX = "/static/"

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def docs(request: Request, static_dir: StaticDir) -> HTMLResponse:
    app = request.app
    base = STATIC_PREFIX + _swagger_dir(static_dir)
    return get_swagger_ui_html(
        openapi_url=app.openapi_url or "/openapi.json",
        title=f"{app.title} - API",
        swagger_js_url=base + "swagger-ui-bundle.js",
        swagger_css_url=base + "swagger-ui.css",
        swagger_favicon_url=base + "favicon-32x32.png",
        swagger_ui_parameters={"validatorUrl": None},
    )


def _swagger_dir(static_dir: Path | None) -> str:
    """`v/<hash>/` of the Swagger UI files in the build the server serves."""
    try:
        manifest = json.loads((static_dir / "manifest.json").read_text("utf-8"))  # type: ignore[operator]
        return str(manifest["swagger_ui"])
    except (TypeError, OSError, ValueError, KeyError):
        raise ApiError(
            404, "not_built", "Swagger UI is not in the build output: run `python build.py`"
        ) from None
