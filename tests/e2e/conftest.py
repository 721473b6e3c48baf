"""End-to-end fixtures: the build, the real server, Debian Chromium and host pages.

Every test here runs on both runtimes (the ``runtime`` fixture) against ``refiner-server serve
--demo`` started as a subprocess on a free port. Host pages are fulfilled by Playwright at the
server's own origin (``{base_url}/test/...``), so they are same-origin with the API and the
static files, exactly like a site that serves the loader itself. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import html
import http.server
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page, Route

from bench.chromium import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[2]
DIST_STATIC = ROOT / "dist" / "static"
RUNTIMES = ["micropython", "pyodide"]
PROJECT = "demo"
#: Pyodide boots in a few seconds here; a loaded CI machine may take much longer.
READY_TIMEOUT_S = float(os.environ.get("REFINER_E2E_READY_TIMEOUT", "60"))
#: how long a server may take to answer its first request: importing the app alone took 30 s
#: at a load average of 40 on two cores
SERVER_START_TIMEOUT_S = float(os.environ.get("REFINER_E2E_SERVER_START_TIMEOUT", "180"))

#: the snippet users copy (docs: README), before the loader tag
STUB = (
    "window._refinerQueue = window._refinerQueue || [];\n"
    "function _refiner(){_refinerQueue.push(arguments);}\n"
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)


# -- build -------------------------------------------------------------------------------------

BUILD_INPUTS = ("build.py", "static", "refiner_web", "package-lock.json")


def _newest_input_mtime() -> float:
    newest = 0.0
    for name in BUILD_INPUTS:
        path = ROOT / name
        paths = path.rglob("*") if path.is_dir() else [path]
        for p in paths:
            if p.is_file() and "__pycache__" not in p.parts:
                newest = max(newest, p.stat().st_mtime)
    return newest


@pytest.fixture(scope="session")
def built_static() -> dict[str, Any]:
    """``dist/static``, rebuilt once when any input is newer than the last build (or when
    REFINER_E2E_BUILD=always). Returns the build's manifest.json."""
    manifest = DIST_STATIC / "manifest.json"
    stale = (
        os.environ.get("REFINER_E2E_BUILD") == "always"
        or not manifest.is_file()
        or manifest.stat().st_mtime < _newest_input_mtime()
    )
    if stale:
        proc = subprocess.run(
            [sys.executable, "build.py", "--quiet"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            pytest.fail(f"build.py failed:\n{proc.stdout}\n{proc.stderr}", pytrace=False)
    return json.loads(manifest.read_text("utf-8"))


# -- server ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``refiner-server serve --demo`` in a subprocess; stop()/start() keep port and db."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.db_path = workdir / "e2e.db"
        self.db_url = f"sqlite:///{self.db_path}"
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-c",
            "import sys; from refiner_server.cli import main; sys.exit(main())",
            "serve",
            "--demo",
            "--db",
            self.db_url,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--static",
            str(DIST_STATIC),
            "--index",
            str(ROOT / "index.html"),
        ]

    def start(self) -> None:
        if self.running:
            return
        log = self.log_path.open("ab")
        try:
            self.proc = subprocess.Popen(
                self.command(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        finally:
            log.close()
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"refiner-server exited ({self.proc.returncode}):\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/static/refiner.js", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"refiner-server did not answer in time:\n{self.log()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self, tail: int = 4000) -> str:
        try:
            return self.log_path.read_text("utf-8", "replace")[-tail:]
        except OSError:
            return ""


@pytest.fixture(scope="session")
def _server_session(
    built_static: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("server"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def server(_server_session: Server) -> Server:
    """The running server (restarted if an earlier test left it stopped)."""
    _server_session.start()
    return _server_session


@pytest.fixture(scope="session")
def base_url(_server_session: Server) -> str:
    """Overrides pytest-base-url: the real server's origin, for ``page.goto('/...')`` too."""
    return _server_session.base_url


@pytest.fixture(scope="session")
def db_path(_server_session: Server) -> Path:
    return _server_session.db_path


# -- browser -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.exit(f"Chromium not found at {CHROMIUM}: set REFINER_CHROMIUM", returncode=3)
    args = list(browser_type_launch_args.get("args") or [])
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": args + [a for a in CHROMIUM_ARGS if a not in args],
    }


@pytest.fixture(params=RUNTIMES)
def runtime(request: pytest.FixtureRequest) -> str:
    return str(request.param)


_page_ids = itertools.count(1)


def host_html(
    runtime: str,
    body: str = "",
    *,
    head: str = "",
    project: str | None = PROJECT,
    snippet: bool = True,
    loader: bool = True,
    loader_attrs: str = "",
    after_loader: str = "",
    title: str = "refiner e2e",
) -> str:
    """A host page: the snippet users copy, then the async loader tag, then ``body``."""
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        head,
    ]
    if snippet:
        code = STUB + (f"_refiner('setProject', {json.dumps(project)});\n" if project else "")
        parts.append(f"<script>{code}</script>")
    if loader:
        parts.append(
            f'<script src="/static/refiner.js" data-runtime="{html.escape(runtime)}"'
            f"{' ' + loader_attrs if loader_attrs else ''} async></script>"
        )
    parts.append(after_loader)
    parts.append(f"</head><body>{body}</body></html>")
    return "".join(parts)


@dataclass
class HostPage:
    """A Playwright page plus what it logged; open() serves HTML at the server's origin."""

    page: Page
    base_url: str
    runtime: str
    console: list[ConsoleMessage] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", lambda msg: self.console.append(msg))
        self.page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))

    def serve(self, path: str, text: str, content_type: str = "text/html; charset=utf-8") -> str:
        """Serve ``text`` at ``{base_url}/test/{path}``; returns the URL."""
        url = f"{self.base_url}/test/{path}"

        def fulfil(route: Route) -> None:
            route.fulfill(status=200, body=text, headers={"content-type": content_type})

        self.page.route(url, fulfil)
        return url

    def open(self, body: str = "", *, html_text: str | None = None, **kwargs: Any) -> Page:
        """Open a fresh host page (``host_html(runtime, body, **kwargs)`` or ``html_text``)."""
        text = html_text if html_text is not None else host_html(self.runtime, body, **kwargs)
        url = self.serve(f"page-{next(_page_ids)}.html", text)
        self.page.goto(url)
        return self.page

    def is_ready(self) -> bool:
        return bool(self.page.evaluate("performance.getEntriesByName('refiner:live').length > 0"))

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> float:
        """Wait for the loader's ``refiner:live`` mark (set with the ``refiner:ready`` event);
        fails early on a ``[refiner] boot:`` error. Returns the mark's time in ms."""
        deadline = time.monotonic() + timeout_s
        while True:
            mark = self.page.evaluate(
                "(performance.getEntriesByName('refiner:live')[0] || {}).startTime ?? null"
            )
            if mark is not None:
                return float(mark)
            boot_errors = [m.text for m in self.console if "[refiner] boot" in m.text]
            if boot_errors:
                raise AssertionError(f"boot failed ({self.runtime}): {boot_errors}")
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{self.runtime} not ready after {timeout_s:.0f} s; console:\n"
                    + "\n".join(self.messages())
                )
            self.page.wait_for_timeout(100)

    def messages(self, type_: str | None = None) -> list[str]:
        return [f"{m.type}: {m.text}" for m in self.console if type_ in (None, m.type)]

    def errors(self) -> list[str]:
        """Console errors and uncaught exceptions (failed resource loads excluded)."""
        return [
            m.text
            for m in self.console
            if m.type == "error" and not m.text.startswith("Failed to load resource")
        ] + self.page_errors


@pytest.fixture
def host(page: Page, server: Server, runtime: str) -> HostPage:
    page.set_default_timeout(READY_TIMEOUT_S * 1000)
    return HostPage(page, server.base_url, runtime)


# -- another origin ----------------------------------------------------------------------------


class Site:
    """Another origin on the loopback (its own port), serving one page at a time, as the
    site that embeds the snippet: its requests to the API are cross-origin for real."""

    def __init__(self) -> None:
        self.page = b""
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # the stdlib's name
                found = self.path == "/shop.html"
                self.send_response(200 if found else 404)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(site.page if found else b"")

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.origin = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    served = Site()
    try:
        yield served
    finally:
        served.server.shutdown()
        served.server.server_close()
