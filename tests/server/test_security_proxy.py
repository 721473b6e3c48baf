"""`refiner-server serve` as deployed (a real uvicorn process): the rate limit options, the
client address behind a proxy (X-Forwarded-For believed only from `--forwarded-allow-ips`),
and the limits handed to `--workers` processes."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.server import HOST, free_port
from refiner_server.db import make_engine, migrate
from refiner_server.projects import create_project

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator:
    """Starts `serve` with extra options; stops every process it started."""
    procs: list[subprocess.Popen[bytes]] = []
    db_url = f"sqlite:///{tmp_path / 'refiner.db'}"
    engine = make_engine(db_url)
    migrate(engine)
    create_project(engine, "p1")
    engine.dispose()

    def start(*options: str) -> int:
        port = free_port()
        log = tmp_path / f"serve-{port}.log"
        cmd = [sys.executable, "-m", "refiner_server.cli", "serve", "--db", db_url]
        cmd += ["--host", HOST, "--port", str(port), "--static", "/none", "--index", "/none"]
        proc = subprocess.Popen([*cmd, *options], cwd=ROOT, stdout=log.open("wb"), stderr=-2)
        procs.append(proc)
        wait_for(proc, port, log)
        return port

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=20)


def wait_for(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    """Until the server answers (each `--workers` process builds its app first)."""
    deadline = time.monotonic() + 180  # a loaded machine builds each app slowly
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=10)
            conn.request("GET", "/openapi.json")  # not rate limited
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"serve did not answer: {log.read_text()}")


def ping(port: int, headers: dict[str, str]) -> int:
    """One ping on a new connection (as different visitors would)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        body = json.dumps({"anonymous_id": "anon-0000000001"})
        conn.request(
            "POST", "/api/v1/client/p1/ping", body, {"content-type": "text/plain", **headers}
        )
        return conn.getresponse().status
    finally:
        conn.close()


def test_forwarded_address_from_a_trusted_proxy_is_limited(serve) -> None:
    """Behind a proxy on this machine (trusted by default), each visitor has its own
    bucket, keyed by the forwarded address."""
    port = serve("--rate-limit-address", "0.01/2", "--rate-limit-project", "off")
    a, b = {"x-forwarded-for": "203.0.113.5"}, {"x-forwarded-for": "203.0.113.6"}
    assert [ping(port, a) for _ in range(3)] == [200, 200, 429]
    assert ping(port, b) == 200
    # a proxy appends the peer it saw: the client cannot pick its own address by sending one
    assert ping(port, {"x-forwarded-for": "198.51.100.1, 203.0.113.5"}) == 429


def test_forwarded_address_from_an_untrusted_peer_is_ignored(serve) -> None:
    """X-Forwarded-For from a peer not in `--forwarded-allow-ips` is not believed: the
    peer (here loopback, never limited by address) is the client."""
    port = serve(
        "--rate-limit-address", "0.01/2", "--rate-limit-project", "off",
        "--forwarded-allow-ips", "192.0.2.1",
    )  # fmt: skip
    spoofed = [ping(port, {"x-forwarded-for": f"203.0.113.{i % 2}"}) for i in range(6)]
    assert spoofed == [200] * 6


def test_limits_reach_every_worker(serve) -> None:
    """`--workers 2`: each worker takes half the project's rate (burst 4 -> 2 each), so
    however the kernel spreads the connections, 2 to 4 of 10 pass before a refill."""
    port = serve("--workers", "2", "--rate-limit-project", "0.001/4", "--rate-limit-address", "off")
    codes = [ping(port, {}) for _ in range(10)]
    assert 2 <= codes.count(200) <= 4 and codes.count(429) >= 6


def test_default_limits_do_not_get_in_the_way(serve) -> None:
    """The defaults let a burst from one address through (loopback: the bench and the
    e2e tests), and from a forwarded one well past a page's needs."""
    port = serve()
    assert all(ping(port, {}) == 200 for _ in range(100))
    visitor = {"x-forwarded-for": "203.0.113.9"}
    assert all(ping(port, visitor) == 200 for _ in range(100))


def test_bad_rate_is_a_usage_error(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "refiner_server.cli", "serve", "--rate-limit-project", "fast"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and "--rate-limit-project" in r.stderr
