"""What the security middleware costs a ping: `nosniff` headers, CORS with the project's
allowed origins, and the rate limits (token buckets per project and per address).

In-process, no network: the ASGI app is called directly with a repeat ping of a known
contact (the usual ping: read-only) over SQLite, `--requests` times, with the middleware
and without it (the app built the same way, those three layers taken out), alternating,
`--runs` times. On a shared machine the difference drowns in noise, so the three layers
are also timed alone, around an app that answers at once: their own cost per request.

    python bench/security.py                 # 3 runs of 5000 pings each way
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from refiner_server.app import create_app  # noqa: E402
from refiner_server.middleware import (  # noqa: E402
    CORSMiddleware,
    RateLimitMiddleware,
    SecurityHeadersMiddleware,
)
from refiner_server.projects import create_project  # noqa: E402
from refiner_server.ratelimit import Limiter, Rate  # noqa: E402

SECURITY = (SecurityHeadersMiddleware, CORSMiddleware, RateLimitMiddleware)
BODY = json.dumps(
    {"anonymous_id": "anon-bench-0001", "user": {"id": "u1", "traits": {"plan": "pro"}}}
).encode()
SCOPE = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "POST",
    "scheme": "http",
    "path": "/api/v1/client/bench/ping",
    "raw_path": b"/api/v1/client/bench/ping",
    "query_string": b"",
    "root_path": "",
    "headers": [
        (b"host", b"refiner.example"),
        (b"origin", b"https://shop.example"),
        (b"content-type", b"text/plain;charset=UTF-8"),
        (b"content-length", str(len(BODY)).encode()),
    ],
    "client": ("203.0.113.7", 50000),
    "server": ("127.0.0.1", 8000),
}


def build(db: Path, secured: bool) -> Any:
    # rates no run reaches: the buckets are consulted and charged, never refuse
    unlimited = Limiter(Rate(1e9, 1e9), Rate(1e9, 1e9))
    app = create_app(f"sqlite:///{db}", limiter=unlimited if secured else None)
    if not secured:
        app.user_middleware = [m for m in app.user_middleware if m.cls not in SECURITY]
    return app


async def ping(app: Any) -> int:
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": BODY, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(dict(SCOPE), receive, send)
    return status


async def rate(app: Any, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        if await ping(app) != 200:
            raise SystemExit("a ping failed")
    return n / (time.perf_counter() - start)


async def nothing(scope: Any, receive: Any, send: Any) -> None:
    """The innermost app of the isolated measurement: a fixed 200 answer."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def isolated() -> Any:
    """The three layers as `create_app` stacks them, around `nothing`."""
    limiter = Limiter(Rate(1e9, 1e9), Rate(1e9, 1e9))
    inner = RateLimitMiddleware(nothing, limiter, "/api/v1/client/", time.time)
    cors = CORSMiddleware(inner, ("/api/v1/client/", "/static/"), "/api/v1/client/")
    return SecurityHeadersMiddleware(cors)


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        apps = {"with": build(db, True), "without": build(db, False)}
        create_project(apps["with"].state.engine, "bench", allowed_origins=["https://shop.example"])
        for app in apps.values():
            await rate(app, 200)  # warm up: contact stored, surveys cached, stack built
        results: dict[str, list[float]] = {"with": [], "without": [], "layers alone": []}
        alone = isolated()
        for _ in range(args.runs):
            for name, app in apps.items():
                results[name].append(await rate(app, args.requests))
            results["layers alone"].append(await rate(alone, args.requests * 10))
    # the least disturbed run of each (the machine is shared): best, and the median
    best = {k: max(v) for k, v in results.items()}
    med = {k: statistics.median(v) for k, v in results.items()}
    print(f"{'ping':<14}{'best/s':>10}{'median/s':>10}  runs")
    for name, values in results.items():
        runs = ", ".join(f"{v:,.0f}" for v in values)
        print(f"{name:<14}{best[name]:>10,.0f}{med[name]:>10,.0f}  {runs}")
    layers_us = 1e6 / best["layers alone"]
    print(
        f"the three layers alone: {layers_us:.1f} us a request, "
        f"{layers_us * best['without'] / 1e4:.1f} % of a ping at the best rate without them"
    )
    out = ROOT / "bench" / "results" / "security.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"runs": results, "best": best, "layers_us": layers_us}, indent=1))


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--requests", type=int, default=5000)
    p.add_argument("--runs", type=int, default=3)
    asyncio.run(main(p.parse_args()))
