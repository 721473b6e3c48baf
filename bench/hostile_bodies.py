"""Server CPU of the most expensive bodies the client API accepts (issue 13's budget: 20 ms).

In-process over SQLite, no network: each body is sent `--runs` times through the whole ASGI
app (middleware, JSON parsing, validation, the value rules, the store), each time as a new
write; the table gives the best and the median wall time of one request (the process is
single-threaded: this is the time it holds a worker's event loop).

    python bench/hostile_bodies.py            # 7 runs each
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from refiner_server.app import create_app  # noqa: E402
from refiner_server.client.limits import MAX_BODY_VALUES  # noqa: E402
from refiner_server.db import responses  # noqa: E402
from refiner_server.http.ratelimit import Limiter, Rate  # noqa: E402
from refiner_web.answers import (  # noqa: E402
    MAX_ANSWER_CHARS,
    MAX_CHOICES,
    MAX_QUESTIONS,
    TEXT_MAX,
)
from refiner_web.values import MAX_FIELDS, MAX_FIELDS_TEXT, MAX_TRAITS  # noqa: E402
from refiner_web.wire import dumps  # noqa: E402

WIDE = "\U0001f600"
ANON = "anon-bench-0001"


#: the surveys the response bodies answer, so that their answers are checked and stored
#: (a response to a survey that does not exist keeps no answer): text questions as long as
#: the answers' budget allows, and the most questions of the most choices
WIDE_TEXT = {
    "id": "wide",
    "status": "live",
    "questions": [
        {"id": "t0", "type": "text", "max_length": TEXT_MAX},
        {"id": "t1", "type": "text", "max_length": TEXT_MAX},
        {"id": "t2", "type": "text", "max_length": MAX_ANSWER_CHARS - 2 * TEXT_MAX - 6},
    ],
}
CHOICES = [str(j) for j in range(MAX_CHOICES)]
EVERY_CHOICE = {
    "id": "choices",
    "status": "live",
    "questions": [
        {"id": f"q{i}", "type": "multiple_choice", "choices": [{"id": c} for c in CHOICES]}
        for i in range(MAX_QUESTIONS)
    ],
}


def bodies() -> list[tuple[str, str, str, Any]]:
    """(name, method, path, body): the largest of each kind the server takes, and bodies
    of as many of the dearest JSON values to parse (empty lists, floats) as it takes."""
    many = {f"{i:03d}" + WIDE * 252: WIDE * 255 for i in range(MAX_TRAITS)}
    user = {"id": "u", "traits": many, "account": {"id": "acme", "traits": many}}
    n = MAX_BODY_VALUES - 10
    text = {q["id"]: WIDE * q["max_length"] for q in WIDE_TEXT["questions"]}
    fields = {f"{i:02d}": WIDE * (MAX_FIELDS_TEXT // MAX_FIELDS - 2) for i in range(MAX_FIELDS)}
    every = {q["id"]: CHOICES for q in EVERY_CHOICE["questions"]}
    return [
        ("ping, 2 x 100 wide traits", "POST", "ping", {"anonymous_id": ANON, "user": user}),
        ("ping, empty lists", "POST", "ping", {"anonymous_id": ANON, "pad": [[]] * (n // 2)}),
        ("ping, floats", "POST", "ping", {"anonymous_id": ANON, "pad": [0.5] * n}),
        (
            "response, wide text",
            "PUT",
            "responses/",
            {"anonymous_id": ANON, "form_id": "wide", "data": fields, "answers": text},
        ),
        (
            "response, every choice",
            "PUT",
            "responses/",
            {"anonymous_id": ANON, "form_id": "choices", "answers": every},
        ),
    ]


async def call(app: Any, scope: dict[str, Any], body: bytes) -> int:
    """One request through the ASGI app, in-process; its status."""
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def request(app: Any, method: str, path: str, body: bytes) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "client": ("203.0.113.7", 5),
        "server": ("127.0.0.1", 8000),
        "headers": [
            (b"host", b"x"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    return await call(app, scope, body)


async def main(args: argparse.Namespace) -> None:
    logging.getLogger("refiner_server").setLevel(logging.ERROR)  # the drop notes
    from refiner_server.projects import create_project, import_surveys

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        unlimited = Limiter(Rate(1e9, 1e9), Rate(1e9, 1e9))
        app = create_app(f"sqlite:///{Path(tmp) / 'b.db'}", limiter=unlimited)
        create_project(app.state.engine, "bench")
        import_surveys(app.state.engine, "bench", [WIDE_TEXT, EVERY_CHOICE])
        n = 0
        for name, method, path, body in bodies():
            raw = dumps(body).encode()
            times = []
            for _ in range(args.runs + 1):
                n += 1
                url = "/api/v1/client/bench/" + (
                    path + f"resp-{n:08d}" if path.endswith("/") else path
                )
                start = time.perf_counter()
                status = await request(app, method, url, raw)
                times.append((time.perf_counter() - start) * 1000)
                if status >= 300:
                    raise SystemExit(f"{name}: HTTP {status}")
            times = times[1:]  # the first warms the caches
            rows.append((name, len(raw), min(times), statistics.median(times)))
        with app.state.engine.connect() as conn:  # the bodies are legitimate: kept whole
            for (notes,) in conn.execute(sa.select(responses.c.notes)):
                if notes:
                    raise SystemExit(f"a response body lost answers or fields: {notes[:2]}")
    print(f"{'body':<28}{'bytes':>11}{'best ms':>9}{'median ms':>11}")
    for name, size, best, med in rows:
        print(f"{name:<28}{size:>11,}{best:>9.1f}{med:>11.1f}")
    out = ROOT / "bench" / "results" / "hostile_bodies.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    import asyncio

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--runs", type=int, default=7)
    asyncio.run(main(p.parse_args()))
