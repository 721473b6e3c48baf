"""What the hardening tests (hostile input, XSS, faults, tabs, CSP) share: a project of their
own on the real server, a page that records what reached it, and waiting for quiet."""

import collections
import json
import sqlite3
import time
from pathlib import Path

from refiner_server.cli import main as server_cli
from tests.e2e.conftest import READY_TIMEOUT_S, HostPage, Server

#: Installed before any page script: records our warnings, uncaught rejections and any call
#: of `__pwned` (every XSS payload calls it) without relying on Playwright's console events.
RECORDER = """
window.__warnings = [];
window.__rejections = [];
window.__pwnedBy = [];
window.__pwned = function (where) { window.__pwnedBy.push(String(where)); };
(function () {
  var warn = console.warn;
  console.warn = function () {
    try { window.__warnings.push(String(arguments[0])); } catch (_) { /* symbol */ }
    return warn.apply(console, arguments);
  };
  window.addEventListener('unhandledrejection', function (event) {
    window.__rejections.push(String(event.reason && event.reason.message || event.reason));
  });
})();
"""


def make_project(server: Server, folder: Path, project: str, surveys: list) -> None:
    """A project and its surveys, through the real CLI, as an operator would."""
    db = ["--db", server.db_url]
    assert server_cli(["project", "create", project, *db]) == 0
    path = folder / (project + ".json")
    path.write_text(json.dumps(surveys))
    assert server_cli(["survey", "import", str(path), "--project", project, *db]) == 0


def recorded(host: HostPage, what: str) -> list:
    return host.page.evaluate("window.%s || []" % what)


class Traffic:
    """Counts the page's requests to the client API still waiting for an answer."""

    def __init__(self, host: HostPage) -> None:
        self.open = 0
        self.seen = 0
        self.recent = collections.deque(maxlen=20)  # what a failure message shows
        page = host.page
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)

    def _started(self, request: object) -> None:
        if "/api/v1/client/" in request.url:
            self.open += 1
            self.seen += 1
            self.recent.append(["start", time.monotonic(), request.method, request.url[:160]])

    def _ended(self, request: object) -> None:
        if "/api/v1/client/" in request.url:
            self.open -= 1
            response = request.response() if request.failure is None else None
            outcome = response.status if response else request.failure
            self.recent.append(["end", time.monotonic(), outcome, request.url[:160]])

    def settle(self, host: HostPage, timeout_s: float = 10) -> None:
        """Returns once no request is open and none started for two polls in a row."""
        deadline = time.monotonic() + timeout_s
        quiet = 0
        seen = -1
        while quiet < 2 and time.monotonic() < deadline:
            host.page.wait_for_timeout(60)
            if self.open == 0 and self.seen == seen:
                quiet += 1
            else:
                quiet = 0
            seen = self.seen


def wait_in_page(
    host: HostPage,
    ready,
    timeout_s: float = READY_TIMEOUT_S,
    step_ms: int = 100,
) -> None:
    """Calls `ready()` until it is true or `timeout_s` ran out, waiting in Playwright (which
    delivers the page's events and runs its route handlers meanwhile; a plain sleep would
    hold every routed request). The ceiling is the loaded machine's, not the idle one's:
    a state that comes returns at once."""
    deadline = time.monotonic() + timeout_s
    while not ready() and time.monotonic() < deadline:
        host.page.wait_for_timeout(step_ms)


def rows_while_routing(
    host: HostPage,
    db_path: Path,
    sql: str,
    *params: object,
    count: int = 1,
    timeout_s: float = READY_TIMEOUT_S,
) -> list:
    """Rows once at least `count` exist (or what there is after `timeout_s`)."""
    rows = []

    def enough() -> bool:
        with sqlite3.connect(db_path) as db:
            rows[:] = db.execute(sql, params).fetchall()
        return len(rows) >= count

    wait_in_page(host, enough, timeout_s)
    return rows
