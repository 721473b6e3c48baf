"""`refiner_web` as a Python package inside a PyScript app, on `mpy` and `py`: the commands,
and the faults of docs/client.md "Nothing is lost" that differ from the script tag's way in
(there is no loader's try/catch `store` here: see `refiner_web.ffi.guarded`)."""

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import READY_TIMEOUT_S, HostPage, Server, Site
from tests.e2e.hardening import RECORDER, make_project, recorded
from tests.e2e.test_client import events_of_user, refiner_warnings, wait_for_rows
from tests.e2e.test_csp import FORM as CSP_FORM
from tests.e2e.test_csp import (
    HTML,
    NO_CONSTRUCTED_SHEETS,
    NONCE,
    POLICY,
    VIOLATIONS,
    answer_styled_survey,
    serve_with_policy,
)
from tests.e2e.test_faults import (
    BLOCKED,
    FORM,
    FULL,
    answer_shown_survey,
    our_warnings,
    stored_responses,
)

APP = """
import sys

import js
from refiner_web import refiner

seen = []
refiner("setProject", "demo")
refiner("identifyUser", {"id": "%(user)s", "plan": "pro", "seats": 3})
refiner("onShow", lambda form_id: seen.append(form_id))
refiner("trackEvent", "from-pyscript")
refiner("trackEvent", 42)
# the client is imported and started in tasks of its own, after this script's
js.document.body.dataset.clientImported = str("refiner_web.client" in sys.modules)
"""
#: A sandboxed iframe (an opaque origin) throws on every cookie access, as here.
THROWING_COOKIES = """Object.defineProperty(Document.prototype, 'cookie', {
  get() { throw new DOMException('The operation is insecure.', 'SecurityError'); },
  set(value) { throw new DOMException('The operation is insecure.', 'SecurityError'); },
  configurable: true,
});"""

#: This file's own project (a module's fixture runs once per module that holds it, so the
#: faults' and csp's own cannot be imported): the faults survey and the csp survey.
PROJECT = "pyscript"


@pytest.fixture(scope="module")
def project(_server_session: Server, tmp_path_factory: pytest.TempPathFactory) -> None:
    make_project(_server_session, tmp_path_factory.mktemp(PROJECT), PROJECT, [FORM, CSP_FORM])


def pyscript_html(
    host: HostPage, built_static: dict[str, Any], app: str, app_attrs: str = ""
) -> str:
    """A page whose PyScript app (`mpy` or `py`, by the host's runtime) runs `app`, with the
    build's PyScript core and the package config it writes for that interpreter."""
    kind = {"micropython": "mpy", "pyodide": "py"}[host.runtime]
    static = built_static["base"]
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>app</title>'
        f'<link rel="stylesheet" href="{static}{built_static["pyscript_css"]}">'
        f'<script type="module" src="{static}{built_static["pyscript"]}"></script>'
        "</head><body>"
        f'<script type="{kind}" config="{static}{built_static["pyscript_config"][kind]}"'
        f"{app_attrs}>" + app + "</script></body></html>"
    )


def test_pyscript_app_uses_the_package(
    host: HostPage, built_static: dict[str, Any], db_path: Path
) -> None:
    user = "pyscript-" + uuid.uuid4().hex
    host.open(html_text=pyscript_html(host, built_static, APP % {"user": user}))
    assert events_of_user(db_path, user) == [("from-pyscript",)]
    plan = wait_for_rows(
        db_path,
        "SELECT t.type, t.value_int FROM traits t JOIN contacts c ON c.pk = t.contact_pk "
        "WHERE c.user_id = ? AND t.key = 'seats'",
        user,
    )
    assert plan == [("integer", 3)]
    assert refiner_warnings(host) == [
        "[refiner] trackEvent: the event name must be a non-empty string, not a number"
    ]
    assert host.page.evaluate("document.body.dataset.clientImported") == "False"
    # no script-tag globals in a PyScript app
    assert host.page.evaluate("typeof window._refiner") == "undefined"
    assert host.errors() == []


FAULT_APP = """
import js
from refiner_web import refiner

refiner("setProject", "%(project)s")
refiner("identifyUser", {"id": "%(user)s"})
refiner("trackEvent", "in-memory")
refiner("showForm", "%(form)s", True)
js.document.body.dataset.app = "went on"
"""


@pytest.mark.parametrize(
    ("faults_script", "warned"),
    [(BLOCKED, 1), (FULL, 1), (BLOCKED + THROWING_COOKIES, 1), (THROWING_COOKIES, 0)],
    ids=["storage-blocked", "storage-full", "sandboxed", "cookies-throwing"],
)
def test_pyscript_app_without_storage_or_cookies_works_in_memory(
    host: HostPage,
    built_static: dict[str, Any],
    db_path: Path,
    project: None,
    faults_script: str,
    warned: int,
) -> None:
    """MicroPython cannot catch what a throwing `localStorage` or `document.cookie` throws:
    without the guard, the app's task ended at its first command."""
    user = "pyscript-nostorage-" + uuid.uuid4().hex
    host.page.add_init_script(RECORDER + faults_script)
    app = FAULT_APP % {"project": PROJECT, "user": user, "form": FORM["id"]}
    host.open(html_text=pyscript_html(host, built_static, app))
    answer_shown_survey(host, "memory")
    assert host.page.evaluate("document.body.dataset.app") == "went on"
    assert events_of_user(db_path, user) == [("in-memory",)]
    assert stored_responses(db_path, user) == [({"score": 9, "why": "memory"}, 1)]
    warnings = our_warnings(host)
    assert len(warnings) == warned, warnings
    assert all(w.startswith("[refiner] storage: unavailable") for w in warnings)
    assert host.errors() == [] and recorded(host, "__rejections") == []


#: docs/security.md "Content-Security-Policy in a PyScript app": what a PyScript app needs
#: beyond the script tag's policy. PyScript's core makes functions from text (its worker
#: hooks) as it starts, on either interpreter; 'unsafe-eval' also allows WebAssembly, so it
#: replaces 'wasm-unsafe-eval'.
PYSCRIPT_POLICY = POLICY.replace("'wasm-unsafe-eval'", "'unsafe-eval'")
CSP_APP = """
from refiner_web import refiner

refiner("setProject", "%(project)s")
refiner("identifyUser", {"id": "%(user)s"})
refiner("showForm", "%(form)s", True)
"""


@pytest.mark.parametrize("sheets", ["constructed", "style-element"])
def test_pyscript_app_under_a_strict_policy(
    host: HostPage,
    built_static: dict[str, Any],
    db_path: Path,
    project: None,
    sheets: str,
) -> None:
    """Styles by nonce only: the nonce on the app's script tag reaches the widget's <style>."""
    host.page.add_init_script(VIOLATIONS + RECORDER)
    if sheets == "style-element":
        host.page.add_init_script(NO_CONSTRUCTED_SHEETS)
    user = "csp-pyscript-" + uuid.uuid4().hex
    page = pyscript_html(
        host,
        built_static,
        CSP_APP % {"project": PROJECT, "user": user, "form": CSP_FORM["id"]},
        f' nonce="{NONCE}"',
    )
    host.page.goto(serve_with_policy(host, user + ".html", page, HTML, PYSCRIPT_POLICY))
    answer_styled_survey(host, db_path, user, sheets)


def test_pyscript_core_needs_unsafe_eval(host: HostPage, built_static: dict[str, Any]) -> None:
    """Pins why PYSCRIPT_POLICY has 'unsafe-eval': under the script tag's policy PyScript
    stops before any Python runs (when this fails, PyScript no longer needs it:
    docs/security.md)."""
    host.page.add_init_script(VIOLATIONS)
    page = pyscript_html(host, built_static, "import js\njs.document.body.dataset.app = 'ran'")
    host.page.goto(serve_with_policy(host, "eval-%s.html" % uuid.uuid4().hex, page, HTML))
    for _ in range(100):  # not wait_for_function: the policy forbids its eval too
        if recorded(host, "__csp"):
            break
        host.page.wait_for_timeout(100)
    host.page.wait_for_timeout(2000)  # time enough to start the interpreter, were it allowed
    assert recorded(host, "__csp") == ["script-src eval "]
    assert host.page.evaluate("document.body.dataset.app") is None
    assert [e for e in host.errors() if "unsafe-eval" in e]


ELSEWHERE_APP = """
from refiner_web import refiner

refiner("setProject", "demo")
refiner("identifyUser", {"id": "%(user)s"})
refiner("trackEvent", "from-another-origin")
"""


@pytest.mark.parametrize("api", ["from-config", "data-api"])
def test_pyscript_app_on_another_origin(
    host: HostPage, site: Site, db_path: Path, api: str
) -> None:
    """An app on another origin than the API, with the stable URLs as docs/client.md "In a PyScript
    app" prints them: PyScript's core and the config from the API server, which names itself
    as the API. With `data-api` on the app's tag, that origin wins (the config comes from
    `localhost` here, the API is asked at `127.0.0.1`: the same server, by other names)."""
    kind = {"micropython": "mpy", "pyodide": "py"}[host.runtime]
    server = host.base_url
    config_from = server.replace("127.0.0.1", "localhost") if api == "data-api" else server
    attrs = f' data-api="{server}/"' if api == "data-api" else ""
    user = "elsewhere-" + uuid.uuid4().hex
    site.page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>app</title>'
        f'<link rel="stylesheet" href="{server}/static/pyscript/core.css">'
        f'<script type="module" src="{server}/static/pyscript/core.js"></script>'
        f'</head><body><script type="{kind}" config="{config_from}/static/pyscript/{kind}.json"'
        f"{attrs}>" + ELSEWHERE_APP % {"user": user} + "</script></body></html>"
    ).encode()
    calls: list[str] = []
    host.page.on("request", lambda r: calls.append(r.url) if "/api/v1/client/" in r.url else None)
    host.page.goto(site.origin + "/shop.html")
    assert events_of_user(db_path, user, timeout_s=READY_TIMEOUT_S) == [("from-another-origin",)]
    host.page.evaluate("0")  # Playwright hands over the page's events in its own calls
    assert calls and {urlsplit(url).netloc for url in calls} == {urlsplit(server).netloc}, calls
    assert host.errors() == []
