"""A host page under a strict Content-Security-Policy, on both runtimes: no `unsafe-inline`,
no `unsafe-eval`, only 'self' scripts plus WebAssembly, styles by nonce. The client boots,
shows and records a survey, styled, and the browser reports no violation.

The policy is docs/security.md "Content-Security-Policy"'s minimum; the snippet moves to a
file of the site because inline scripts are not allowed.
"""

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Route

from tests.e2e.conftest import STUB, HostPage, Server
from tests.e2e.hardening import RECORDER, make_project, recorded
from tests.e2e.test_faults import stored_responses

PROJECT = "csp"
NONCE = "c3RyaWN0LW5vbmNl"
POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
    f"style-src 'self' 'nonce-{NONCE}'; img-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
FORM = {
    "id": "csp-form",
    "name": "CSP",
    "status": "live",
    "questions": [{"id": "score", "type": "nps", "title": "Under a strict policy?"}],
    "thank_you": {"title": "Thanks!", "auto_close_s": 0},
    "trigger": {"type": "manual"},
}
#: Installed first: every CSP violation the page reports.
VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.effectiveDirective + ' ' + e.blockedURI + ' ' + (e.sample || ''));
});
"""
#: Browsers without constructable style sheets: the widget falls back to <style nonce>.
NO_CONSTRUCTED_SHEETS = "delete window.CSSStyleSheet;"
HTML = "text/html; charset=utf-8"


@pytest.fixture(scope="module")
def csp_project(_server_session: Server, tmp_path_factory: pytest.TempPathFactory) -> None:
    make_project(_server_session, tmp_path_factory.mktemp("csp"), PROJECT, [FORM])


def serve_with_policy(
    host: HostPage, path: str, body: str, content_type: str, policy: str = POLICY
) -> str:
    """Serves `body` at `{base_url}/test/{path}` under `policy`; returns the URL."""
    url = f"{host.base_url}/test/{path}"

    def fulfil(route: Route) -> None:
        headers = {"content-type": content_type, "content-security-policy": policy}
        route.fulfill(status=200, body=body, headers=headers)

    host.page.route(url, fulfil)
    return url


def open_strict_page(host: HostPage, user: str) -> None:
    snippet = STUB + "_refiner('setProject', '%s'); _refiner('identifyUser', {id: '%s'});" % (
        PROJECT,
        user,
    )
    page_html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>strict</title>'
        f'<script src="/test/{user}/snippet.js"></script>'
        f'<script src="/static/refiner.js" data-runtime="{host.runtime}" nonce="{NONCE}" '
        "async></script></head><body><p>A strict site.</p></body></html>"
    )
    serve_with_policy(host, f"{user}/snippet.js", snippet, "text/javascript")
    host.page.goto(serve_with_policy(host, f"{user}/page.html", page_html, HTML))
    host.wait_ready()


def answer_styled_survey(host: HostPage, db_path: Path, user: str, sheets: str) -> None:
    """Answers the shown survey and checks it was styled (through a constructed sheet, or
    a <style> carrying the nonce), stored, and that the policy saw no violation."""
    survey = host.page.locator("refiner-survey")
    survey.get_by_role("radio", name="8 of 10").click()
    survey.get_by_role("heading", name="Thanks!").wait_for()
    assert survey.evaluate("e => getComputedStyle(e).position") == "fixed"  # styled
    styles = survey.evaluate("e => [...e.shadowRoot.querySelectorAll('style')].map(s => s.nonce)")
    assert styles == ([] if sheets == "constructed" else [NONCE])
    assert stored_responses(db_path, user) == [({"score": 8}, 1)]
    assert recorded(host, "__csp") == []
    assert host.errors() == [] and recorded(host, "__rejections") == []


@pytest.mark.parametrize("sheets", ["constructed", "style-element"])
def test_strict_policy_page_shows_and_records_a_survey(
    host: HostPage, csp_project: None, db_path: Path, sheets: str
) -> None:
    host.page.add_init_script(VIOLATIONS + RECORDER)
    if sheets == "style-element":
        host.page.add_init_script(NO_CONSTRUCTED_SHEETS)
    user = "csp-" + uuid.uuid4().hex
    open_strict_page(host, user)
    host.page.evaluate("_refiner('showForm', 'csp-form', true)")
    answer_styled_survey(host, db_path, user, sheets)
