"""The bench server with PostHog's endpoints stubbed under `/ph/`, for `bench/race.py`.

`python -m bench.posthog_stub --posthog DIR` takes `refiner-server serve`'s options (`--db`,
`--host`, `--port`, `--static`, `--index`) and serves the same app, so our client and PostHog's
SDK come from one server, one origin, one way of serving files. Added:

- `/ph/static/{name}`: the files of `posthog-js` that `race.py` copied into DIR (with their
  `.br`/`.gz` siblings, compressed as build.py compresses ours), served by the same file server
  as ours; the SDK asks for its lazy `surveys.js` at `{api_host}/static/`;
- the endpoints the pinned SDK calls for an anonymous visitor with one survey: its remote
  config (`/array/{token}/config`), the surveys (`/api/surveys/`), feature flags
  (`/flags/`) and event capture (`/e/`, `/i/v0/e/`), answered as PostHog's cloud answers
  them, trimmed to what the SDK reads; one popover survey, one NPS question (a 0-10 rating),
  the same title as ours. Any other `/ph/` path is a 404, which `race.py` counts as a failure,
  so an SDK upgrade that calls something new cannot pass unnoticed.
"""

import argparse
import json
import os
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from bench.boot import NPS
from refiner_server.app import create_app
from refiner_server.http.errors import error_response
from refiner_server.http.static import IMMUTABLE, FileServer, safe_join

PREFIX = "/ph"
SURVEY = {
    "id": "0190a7e3-0000-7000-8000-00000000b3c4",
    "name": "bench NPS",
    "description": "",
    "type": "popover",
    "questions": [
        {
            "id": "score",
            "type": "rating",
            "display": "number",
            "scale": 10,
            "question": NPS["title"],
            "description": "",
            "lowerBoundLabel": "Not likely",
            "upperBoundLabel": "Very likely",
        }
    ],
    "conditions": None,
    "appearance": None,
    "start_date": "2026-01-01T00:00:00Z",
    "end_date": None,
    "linked_flag_key": None,
    "targeting_flag_key": None,
    "internal_targeting_flag_key": None,
    "current_iteration": None,
    "current_iteration_start_date": None,
    "schedule": "once",
    "enable_partial_responses": False,
}
REMOTE_CONFIG = {
    "supportedCompression": ["gzip", "gzip-js"],
    "hasFeatureFlags": False,
    "captureDeadClicks": False,
    "capturePerformance": False,
    "autocapture_opt_out": False,
    "autocaptureExceptions": False,
    "analytics": {"endpoint": "/i/v0/e/"},
    "elementsChainAsString": True,
    "sessionRecording": False,
    "heatmaps": False,
    "surveys": [SURVEY],
    "defaultIdentifiedOnly": True,
    "siteApps": [],
}
FLAGS = {
    "flags": {},
    "featureFlags": {},
    "featureFlagPayloads": {},
    "errorsWhileComputingFlags": False,
    "requestId": "0190a7e3-0000-7000-8000-00000000f1a9",
}
CAPTURED = {"status": 1}


def install(app: FastAPI, files_dir: Path) -> None:
    """PostHog's endpoints under `PREFIX`, its files from `files_dir`."""
    files = FileServer()
    root = os.path.abspath(files_dir)

    @app.api_route(PREFIX + "/static/{path:path}", methods=["GET", "HEAD"])
    async def sdk_file(request: Request, path: str) -> Response:
        full = safe_join(root, path)
        if full is None:
            return error_response(404, "not_found", "no such file")
        return await files.serve(request, full, IMMUTABLE)

    @app.get(PREFIX + "/array/{token}/config.js")
    async def remote_config(token: str) -> Response:
        config = json.dumps({"config": {"token": token, **REMOTE_CONFIG}, "siteApps": []})
        body = (
            "(function(){var c=window._POSTHOG_REMOTE_CONFIG=window._POSTHOG_REMOTE_CONFIG||{};"
            f"c[{json.dumps(token)}]={config};}})();"
        )
        return Response(body, media_type="text/javascript; charset=utf-8")

    @app.get(PREFIX + "/api/surveys/")
    async def surveys() -> JSONResponse:
        return JSONResponse({"surveys": [SURVEY]})

    @app.post(PREFIX + "/flags/")
    async def flags() -> JSONResponse:
        return JSONResponse(FLAGS)

    @app.post(PREFIX + "/e/")
    @app.post(PREFIX + "/i/v0/e/")
    async def capture() -> JSONResponse:
        return JSONResponse(CAPTURED)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posthog", type=Path, required=True, help="posthog-js files to serve")
    parser.add_argument("--db", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--static", type=Path, required=True)
    parser.add_argument("--index", type=Path, required=True)
    args = parser.parse_args()
    app = create_app(args.db, args.static, args.index)
    install(app, args.posthog)
    uvicorn.run(app, host=args.host, port=args.port, access_log=False)


if __name__ == "__main__":
    main()
