"""The loader (static/refiner.js) on both runtimes: boot, globals, host-page safety, serving.

These tests rely only on what the loader promises: ``performance.mark('refiner:live')`` and the
``refiner:ready`` event once the client calls ``refiner_bridge.listen``, the globals it leaves,
and the requests it makes. Where a command must reach Python, the visible effect used is the
client's first request to the API (``ping`` after ``setProject``, ``events`` after
``trackEvent``).
"""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Request, Response, Route

from tests.e2e.hardening import wait_in_page

if TYPE_CHECKING:  # conftest is not importable by name: tests/*/ are not packages
    from conftest import HostPage

PROJECT = "demo"  # created by `refiner-server serve --demo`

#: new window properties after boot, per runtime. The MicroPython build keeps the runtime's
#: `Module`, `loadMicroPython` and `proxy_js_*` in module scope (build.py); Pyodide sets none.
PINNED_GLOBALS = {
    "micropython": ["_refiner", "_refinerQueue"],
    "pyodide": ["_refiner", "_refinerQueue"],
}

#: records the order of `load` and `refiner:ready` on <html data-order>, without a global
ORDER_PROBE = (
    "<script>(function(){var h=document.documentElement;"
    "function add(x){h.dataset.order=(h.dataset.order?h.dataset.order+',':'')+x;}"
    "window.addEventListener('load',function(){add('load');});"
    "document.addEventListener('refiner:ready',function(e){add('ready:'+e.detail.runtime);});"
    "})();</script>"
)

#: the package in one download (build.py `PACKS`)
PACK = {"micropython": "refiner_web.mpy.pack", "pyodide": "refiner_web.py.pack"}

PING_PATH = f"/api/v1/client/{PROJECT}/ping"
EVENTS_PATH = f"/api/v1/client/{PROJECT}/events"


def _names(host: HostPage) -> set[str]:
    return set(host.page.evaluate("Object.getOwnPropertyNames(window)"))


def _ready_order(host: HostPage) -> list[str]:
    return str(host.page.evaluate("document.documentElement.dataset.order || ''")).split(",")


def test_boots_and_refiner_goes_live(host: HostPage) -> None:
    with host.page.expect_request(lambda r: r.url.endswith(PING_PATH)) as ping:
        host.open(head=ORDER_PROBE)
        host.wait_ready()
    assert ping.value.method == "POST"
    assert _ready_order(host).count(f"ready:{host.runtime}") == 1
    # The stub is gone: calls are dispatched at once instead of queueing.
    with host.page.expect_request(lambda r: r.url.endswith(EVENTS_PATH)):
        queued = host.page.evaluate("_refiner('trackEvent', 'e2e-live'), _refinerQueue.length")
    assert queued == 0
    assert host.page.evaluate("performance.getEntriesByName('refiner:live').length") == 1
    assert host.errors() == []


def _watch_pings(host: HostPage) -> list[Request]:
    pings: list[Request] = []
    host.page.on("request", lambda r: pings.append(r) if r.url.endswith(PING_PATH) else None)
    return pings


def test_returning_visitor_first_ping_sent_by_loader(host: HostPage) -> None:
    host.open()  # first visit: Python mints the anonymous id cookie and pings
    host.wait_ready()
    pings = _watch_pings(host)
    host.open()
    live = host.wait_ready()
    host.page.wait_for_timeout(500)  # Python's own ping would go out right after live
    assert len(pings) == 1, "Python did not take the loader's answer"
    sent = host.page.evaluate(
        "performance.getEntriesByType('resource').find(e => e.name.endsWith('/ping')).startTime"
    )
    assert sent < live  # by the loader, while the interpreter started
    body = json.loads(pings[0].post_data or "")
    assert body["user"] is None and body["page"]["title"] == "refiner e2e"
    assert host.errors() == []


def test_first_visit_first_ping_sent_by_loader(host: HostPage) -> None:
    """On a first visit the loader makes the anonymous id, and Python adopts it."""
    pings = _watch_pings(host)
    host.open()
    live = host.wait_ready()
    host.page.wait_for_timeout(500)
    assert len(pings) == 1, "Python did not take the loader's answer"
    sent = host.page.evaluate(
        "performance.getEntriesByType('resource').find(e => e.name.endsWith('/ping')).startTime"
    )
    assert sent < live
    minted = json.loads(pings[0].post_data or "")["anonymous_id"]
    cookie = host.page.evaluate("document.cookie")
    assert f"refiner_anonymous_id={minted}" in cookie
    assert host.page.evaluate("localStorage.getItem('refiner:anonymous_id')") == minted
    with host.page.expect_request(lambda r: r.url.endswith(EVENTS_PATH)) as event:
        host.page.evaluate("_refiner('trackEvent', 'e2e-first-visit')")
    assert json.loads(event.value.post_data or "")["anonymous_id"] == minted
    assert host.errors() == []


def test_first_ping_answered_after_python_asks_is_awaited(host: HostPage) -> None:
    """Python takes the loader's answer at once when it is in; when it is not, it awaits it,
    and a survey that waited for the first ping's answer shows once it comes.

    The loader's ping is held from page load until Python is up. When that takes longer
    than the loader's request timeout (a loaded machine booting Pyodide), the loader gives
    up on it and Python asks again: then the survey comes with that second ping, and every
    ping but the given-up one is the only one."""
    held: list[Route] = []

    def hold_first(route: Route) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)

    host.page.route(f"**{PING_PATH}", hold_first)
    pings = _watch_pings(host)
    given_up: list[Request] = []
    host.page.on(
        "requestfailed", lambda r: given_up.append(r) if r.url.endswith(PING_PATH) else None
    )
    host.open()
    host.wait_ready()
    host.page.evaluate("_refiner('showForm', 'demo-nps')")
    wait_in_page(host, lambda: held)  # Playwright hands the held route over in its own time
    host.page.wait_for_timeout(300)  # Python's ping task asks for the answer meanwhile
    survey = host.page.locator("refiner-survey")
    if not given_up:
        assert survey.count() == 0
    with contextlib.suppress(PlaywrightError):  # a given-up request cannot be continued
        held[0].continue_()
    survey.get_by_role("dialog").wait_for()
    assert len(pings) == 1 + len(given_up), "Python did not take the loader's answer"
    assert host.errors() == []


def test_title_cut_at_the_limit_in_an_emoji_is_stored(host: HostPage) -> None:
    """Issue 13: the loader cut the title with .slice(), which split the emoji at the 2,048
    limit into a lone surrogate (and kept one the page had). Both the loader and Python now
    take the title cut before the emoji, a lone half as U+FFFD: the same body, so one ping,
    and its title is storable. (Chromium's title turns a NUL into a space.)"""
    pings = _watch_pings(host)
    answers: list[Response] = []
    host.page.on("response", lambda r: answers.append(r) if r.url.endswith(PING_PATH) else None)
    title = "document.title = 'a\\ud83db' + '\\ud83d\\ude00'.repeat(1100);"
    host.open(head=f"<script>{title}</script>")
    host.wait_ready()
    host.page.wait_for_function(
        "performance.getEntriesByType('resource').some("
        "e => e.name.endsWith('/ping') && e.responseEnd > 0)"
    )
    host.page.wait_for_timeout(500)  # Python's own ping would go out right after live
    expected = "a\ufffdb" + "\U0001f600" * 1022  # 3 + 2 x 1022 UTF-16 units; 2 more is 2049
    assert [json.loads(p.post_data or "")["page"]["title"] for p in pings] == [expected]
    assert [r.status for r in answers] == [200]
    assert host.errors() == [] and host.messages("warning") == []


def test_first_ping_left_to_python_when_identity_queued(host: HostPage) -> None:
    host.open()
    host.wait_ready()
    pings = _watch_pings(host)
    snippet = (
        "window._refinerQueue = []; function _refiner(){_refinerQueue.push(arguments);}"
        "_refiner('setProject', 'demo'); _refiner('identifyUser', {id: 'first-ping-user'});"
    )
    host.open(head=f"<script>{snippet}</script>", snippet=False)
    host.wait_ready()
    wait_in_page(host, lambda: pings)  # Python sends this one, after the client is live
    host.page.wait_for_timeout(500)  # time for a second, were there one
    assert len(pings) == 1
    assert json.loads(pings[0].post_data or "")["user"]["id"] == "first-ping-user"
    assert host.errors() == []


def test_host_page_module_global_is_kept(host: HostPage) -> None:
    own = "<script>window.Module = {mine: true};</script>"
    host.open(head=own)
    host.wait_ready()
    assert host.page.evaluate("JSON.stringify(window.Module)") == '{"mine":true}'
    # The runtime must not read the page's Module later either: replace it, then make Python
    # and JavaScript exchange values again (dispatching a command converts its arguments).
    host.page.evaluate("window.Module = {replaced: 1}")
    with host.page.expect_request(lambda r: r.url.endswith(EVENTS_PATH)) as event:
        host.page.evaluate("_refiner('trackEvent', 'after-module', {n: 1})")
    assert "after-module" in (event.value.post_data or "")
    assert host.page.evaluate("JSON.stringify(window.Module)") == '{"replaced":1}'
    assert host.errors() == []


def test_new_globals_are_pinned(host: HostPage) -> None:
    host.open(snippet=False, loader=False)
    baseline = _names(host)
    host.open()
    host.wait_ready()
    host.page.wait_for_timeout(500)  # anything the runtime sets lazily after boot
    added = sorted(_names(host) - baseline)
    assert added == PINNED_GLOBALS[host.runtime]


def test_included_twice_boots_once(host: HostPage) -> None:
    requests: list[str] = []
    host.page.on("request", lambda r: requests.append(r.url))
    # Chromium fetches one URL once even for two tags (and runs it twice); the query string
    # makes the third copy a separate download, so all three surely execute.
    tag = '<script src="/static/refiner.js{}" data-runtime="%s" async></script>' % host.runtime
    host.open(head=ORDER_PROBE, after_loader=tag.format("") + tag.format("?copy=3"))
    host.wait_ready()
    host.page.wait_for_timeout(1000)  # a second boot would land after the first
    assert sum("/static/refiner.js" in u for u in requests) == 2
    assert sum(u.endswith(".wasm") for u in requests) == 1
    assert sum(u.endswith(PACK[host.runtime]) for u in requests) == 1
    assert host.page.evaluate("performance.getEntriesByName('refiner:live').length") == 1
    assert _ready_order(host).count(f"ready:{host.runtime}") == 1
    assert host.errors() == []


def test_page_without_stub(host: HostPage) -> None:
    # No snippet at all: the loader defines the queue and a queueing _refiner; the page calls
    # it only after the script ran (on load), before or after the client went live.
    late = "<script>window.addEventListener('load', function(){_refiner('setProject', 'demo');});"
    late += "</script>"
    with host.page.expect_request(lambda r: r.url.endswith(PING_PATH)):
        host.open(snippet=False, after_loader=late)
        host.wait_ready()
    assert host.page.evaluate("Array.isArray(window._refinerQueue)")
    assert host.errors() == []


def test_call_after_ready_without_stub(host: HostPage) -> None:
    host.open(snippet=False)
    host.wait_ready()
    with host.page.expect_request(lambda r: r.url.endswith(PING_PATH)):
        host.page.evaluate("_refiner('setProject', 'demo')")
    assert host.errors() == []


def test_load_event_not_delayed_by_boot(host: HostPage) -> None:
    host.open(head=ORDER_PROBE)
    mark = host.wait_ready()
    assert _ready_order(host) == ["load", f"ready:{host.runtime}"]
    load_end = host.page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
    assert 0 < load_end < mark


def test_runtime_served_from_own_origin_only(host: HostPage) -> None:
    requests: list[Request] = []
    host.page.on("request", lambda r: requests.append(r))
    host.open()
    host.wait_ready()
    host.page.wait_for_timeout(300)
    hosts = {urlsplit(r.url).hostname for r in requests if not r.url.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, sorted(r.url for r in requests)
    paths = [urlsplit(r.url).path for r in requests]
    expected = ["micropython.mjs", "micropython.wasm"]
    if host.runtime == "pyodide":
        expected = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip"]
    for name in expected + [PACK[host.runtime]]:
        assert any(p.startswith("/static/v/") and p.endswith("/" + name) for p in paths), name


def test_wasm_served_as_application_wasm(host: HostPage) -> None:
    responses: list[Response] = []
    host.page.on("response", lambda r: responses.append(r))
    host.open()
    host.wait_ready()
    wasm = [r for r in responses if urlsplit(r.url).path.endswith(".wasm")]
    assert wasm, "no .wasm fetched"
    for response in wasm:
        assert response.status == 200
        assert response.headers["content-type"].split(";")[0] == "application/wasm"


@pytest.mark.parametrize("broken", ["pack", "wasm"])
def test_boot_error_is_logged_once_and_not_thrown(host: HostPage, broken: str) -> None:
    # The package and the wasm download in parallel: either failing is one logged error.
    if broken == "wasm" and host.runtime == "pyodide":
        pytest.skip("loadPyodide only logs a failed wasm download; its promise never settles")
    name = PACK[host.runtime] if broken == "pack" else "micropython.wasm"
    host.page.route("**/" + name, lambda route: route.fulfill(status=500, body="no"))
    host.open()
    host.page.wait_for_function("performance.getEntriesByType('navigation')[0].loadEventEnd > 0")
    deadline_ms = 60_000 if host.runtime == "pyodide" else 20_000
    waited = 0
    while not [m for m in host.console if "[refiner] boot" in m.text] and waited < deadline_ms:
        host.page.wait_for_timeout(100)
        waited += 100
    host.page.wait_for_timeout(500)
    boot = [m.text for m in host.console if m.text.startswith("[refiner] boot")]
    assert len(boot) == 1, host.messages()
    assert name + ": HTTP 500" in boot[0]
    assert host.page_errors == []
    assert not host.is_ready()


def test_pyscript_app_runs_from_our_build(host: HostPage, built_static: dict) -> None:
    # A PyScript app (<script type="mpy"|"py">) with the config build.py writes: interpreter and
    # refiner_web come from this server, never from PyScript's default CDN.
    kind = "mpy" if host.runtime == "micropython" else "py"
    requests: list[str] = []
    host.page.on("request", lambda r: requests.append(r.url))
    app = (
        f'<script type="{kind}" config="/static/{built_static["pyscript_config"][kind]}">\n'
        "import sys, js\nimport refiner_web.boot\n"
        "js.document.body.dataset.app = sys.implementation.name\n</script>"
    )
    head = (
        f'<link rel="stylesheet" href="/static/{built_static["pyscript_css"]}">'
        f'<script type="module" src="/static/{built_static["pyscript"]}"></script>'
    )
    host.open(app, head=head, snippet=False, loader=False)
    host.page.wait_for_function("document.body.dataset.app")
    expected = "micropython" if kind == "mpy" else "cpython"
    assert host.page.evaluate("document.body.dataset.app") == expected
    assert {urlsplit(u).hostname for u in requests} == {"127.0.0.1"}, requests
    assert host.page_errors == []
