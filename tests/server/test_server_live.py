"""The same app under a real uvicorn on 127.0.0.1: the HTTP stack the browser talks to."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest
import uvicorn

from refiner_server.client.limits import MAX_PING_BYTES
from refiner_server.db import events


@pytest.fixture
def live(app):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_live_server_end_to_end(live, db, static_dir):
    with httpx.Client(base_url=live) as c:
        r = c.post(
            "/api/v1/client/p1/events",
            content=b'{"event_id": "evt-00000001", "anonymous_id": "anon-0000000001", "name": "x"}',
            headers={"content-type": "text/plain;charset=UTF-8", "origin": "https://site"},
        )
        assert r.status_code == 202 and r.headers["access-control-allow-origin"] == "*"
        assert db.count(events) == 1

        r = c.get("/static/v/abc123/micropython.wasm", headers={"accept-encoding": "br"})
        assert r.headers["content-type"] == "application/wasm"
        assert r.headers["content-encoding"] == "br"
        assert r.content == (static_dir / "v/abc123/micropython.wasm").read_bytes()

        r = c.head("/static/refiner.js", headers={"accept-encoding": "gzip"})
        assert r.status_code == 200 and r.content == b""
        assert int(r.headers["content-length"]) == (static_dir / "refiner.js.gz").stat().st_size

        big = b'{"pad": "' + b"a" * MAX_PING_BYTES + b'"}'
        r = c.post("/api/v1/client/p1/ping", content=big)
        assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"

        def chunked():
            yield b'{"anonymous_id": "anon-0000000001", "pad": "'
            for _ in range(MAX_PING_BYTES // 4096 + 1):
                yield b"a" * 4096
            yield b'"}'

        r = c.post("/api/v1/client/p1/ping", content=chunked())
        assert r.status_code == 413
