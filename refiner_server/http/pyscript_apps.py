"""Stable URLs for PyScript apps, which may live on any origin (docs/client.md "In a PyScript app").

`/static/pyscript/core.js` and `core.css` redirect to this build's versioned PyScript files.
`/static/pyscript/mpy.json` and `py.json` are this build's configs with every URL made
absolute at this server's origin: PyScript resolves `interpreter` against the page, which may
be elsewhere. They also name this server as the app's API (`refiner.api`), which
`refiner_web` takes unless the app's tag says `data-api`. Short-cached like the loader: a new
build reaches apps within minutes, and an old config's versioned files stay for a week.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urljoin

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from refiner_server.deps import StaticDir
from refiner_server.http.errors import error_response
from refiner_server.http.static import LOADER_CACHE

PREFIX = "/static/pyscript/"
#: stable name -> the manifest's key of its versioned path
REDIRECTS = {"core.js": "pyscript", "core.css": "pyscript_css"}
CONFIGS = {"mpy.json": "mpy", "py.json": "py"}


def config_for(static_dir: Path, kind: str, origin: str) -> dict[str, object]:
    """The build's PyScript config for `kind` (mpy or py) with absolute URLs at `origin`."""
    manifest = _manifest(static_dir)
    versioned = manifest["pyscript_config"][kind]
    config = json.loads((static_dir / versioned).read_text("utf-8"))
    url = origin + manifest["base"] + versioned  # what the versioned config's keys are against
    return {
        "interpreter": urljoin(origin + "/", config["interpreter"]),
        "files": {urljoin(url, key): name for key, name in config["files"].items()},
        "refiner": {"api": origin},
    }


def _manifest(static_dir: Path) -> dict:
    return json.loads((static_dir / "manifest.json").read_text("utf-8"))


#: before `static.build_router`, whose `/static/{path}` would answer these paths 404
router = APIRouter(include_in_schema=False)


@router.api_route(PREFIX + "{name}", methods=["GET", "HEAD"])
async def stable(request: Request, name: str, static_dir: StaticDir) -> Response:
    headers = {"cache-control": LOADER_CACHE}
    origin = str(request.base_url).rstrip("/")
    try:
        if name in CONFIGS:
            return JSONResponse(config_for(static_dir, CONFIGS[name], origin), headers=headers)
        if name in REDIRECTS:
            manifest = _manifest(static_dir)
            target = origin + manifest["base"] + manifest[REDIRECTS[name]]
            return RedirectResponse(target, 302, headers=headers)
    except (OSError, ValueError, KeyError):
        return error_response(404, "not_built", "no PyScript files in the build output")
    return error_response(404, "not_found", "no such file")
