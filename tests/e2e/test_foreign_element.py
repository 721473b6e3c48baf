"""A page whose own DOM machinery stands in the widget's way, on both runtimes.

A page that defines its own `<refiner-survey>` custom element: the widget's host tag is then
somebody else's (its constructor runs, it may hold a shadow root already), so the survey is
drawn in a host of a free name and the page's elements are left alone. A page that defines
it while our survey shows (the upgrade runs on our host and may write over its shadow root):
the survey moves to a host of a free name on the question it was on. A page whose
`attachShadow` throws: MicroPython 1.27 cannot catch that synchronous JavaScript exception,
so the widget makes the call through `ffi.guarded`; the survey is not shown (one
warning) and the client goes on."""

import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import HostPage, Server
from tests.e2e.hardening import RECORDER, make_project, recorded, wait_in_page
from tests.e2e.test_client import events_of_user
from tests.e2e.test_faults import FORM, our_warnings, stored_responses

PROJECT = "foreign"

#: The page's own element, defined before the loader, with a shadow root of its own.
PAGE_ELEMENT = """
window.__constructed = 0;
customElements.define('refiner-survey', class extends HTMLElement {
  constructor() {
    super();
    window.__constructed += 1;
    this.attachShadow({mode: 'open'}).textContent = 'the page own';
  }
});
"""


@pytest.fixture(scope="module")
def project(_server_session: Server, tmp_path_factory: pytest.TempPathFactory) -> None:
    make_project(_server_session, tmp_path_factory.mktemp(PROJECT), PROJECT, [FORM])


def test_a_page_owned_refiner_survey_element_leaves_the_survey_working(
    host: HostPage, project: None
) -> None:
    host.page.add_init_script(RECORDER + PAGE_ELEMENT)
    host.open("<refiner-survey></refiner-survey>", project=PROJECT)
    host.wait_ready()
    host.page.evaluate("id => _refiner('showForm', id, true)", FORM["id"])
    widget = host.page.locator('[data-form="%s"]' % FORM["id"])
    widget.get_by_role("radio", name="9 of 10").click()
    widget.get_by_role("textbox").wait_for()  # the next question
    assert widget.evaluate("e => e.localName") != "refiner-survey"
    assert host.page.evaluate("window.__constructed") == 1  # only the page's own
    own = "[...document.querySelectorAll('refiner-survey')].map(e => e.shadowRoot.textContent)"
    assert host.page.evaluate(own) == ["the page own"]
    assert our_warnings(host) == []
    assert host.errors() == [] and recorded(host, "__rejections") == []


#: Defined while our survey shows: the upgrade runs on our host, and this common pattern
#: (`this.shadowRoot || this.attachShadow(...)`) writes over our open shadow root. Its
#: `remove` throws, which MicroPython could not catch: the widget removes its hosts with
#: the DOM's own.
PAGE_ELEMENT_LATER = """() => customElements.define('refiner-survey', class extends HTMLElement {
  connectedCallback() {
    window.__connected = (window.__connected || 0) + 1;
    (this.shadowRoot || this.attachShadow({mode: 'open'})).textContent = 'the page own';
  }
  remove() { throw new Error('the page keeps its elements'); }
})"""


def test_a_refiner_survey_element_defined_while_the_survey_shows_leaves_it_working(
    host: HostPage, project: None, db_path: Path
) -> None:
    user = "upgraded-" + uuid.uuid4().hex
    host.page.add_init_script(RECORDER)
    host.open(project=PROJECT)
    host.wait_ready()
    host.page.evaluate("user => _refiner('identifyUser', {id: user})", user)
    host.page.evaluate("id => _refiner('showForm', id, true)", FORM["id"])
    widget = host.page.locator('[data-form="%s"]' % FORM["id"])
    widget.get_by_role("radio", name="9 of 10").click()
    widget.get_by_role("textbox").wait_for()
    assert widget.evaluate("e => e.localName") == "refiner-survey"
    host.page.evaluate(PAGE_ELEMENT_LATER)  # upgrades our host at once
    assert host.page.evaluate("window.__connected") == 1
    widget.get_by_role("textbox").fill("moved")  # same question, new host
    assert widget.evaluate("e => e.localName") == "refiner-survey-2"
    widget.get_by_role("button", name="Submit").click()
    widget.get_by_role("heading", name="Thanks!").wait_for()
    assert stored_responses(db_path, user) == [({"score": 9, "why": "moved"}, 1)]
    # the page takes the second name too, on the thank-you screen: the survey is done
    host.page.evaluate(PAGE_ELEMENT_LATER.replace("'refiner-survey'", "'refiner-survey-2'"))
    widget.wait_for(state="detached")
    ours = "document.querySelectorAll('refiner-survey, refiner-survey-2').length"
    assert host.page.evaluate(ours) == 0 and host.page.evaluate("window.__connected") == 2
    assert our_warnings(host) == []
    assert host.errors() == [] and recorded(host, "__rejections") == []


#: The page refuses every shadow root (kept aside so that the test can give it back).
NO_SHADOW = """
window.__attachShadow = Element.prototype.attachShadow;
Element.prototype.attachShadow = function () { throw new Error('no shadow roots here'); };
"""


def test_a_page_whose_attach_shadow_throws_gets_one_warning_and_a_working_client(
    host: HostPage, project: None, db_path: Path
) -> None:
    user = "noshadow-" + uuid.uuid4().hex
    host.page.add_init_script(RECORDER + NO_SHADOW)
    host.open(project=PROJECT)
    host.wait_ready()
    host.page.evaluate("user => _refiner('identifyUser', {id: user})", user)
    host.page.evaluate("id => _refiner('showForm', id, true)", FORM["id"])
    wait_in_page(host, lambda: our_warnings(host) != [])
    [warning] = our_warnings(host)
    assert warning.startswith("[refiner] survey %s: cannot show it" % FORM["id"]), warning
    host.page.evaluate("_refiner('trackEvent', 'after-no-shadow')")
    assert events_of_user(db_path, user) == [("after-no-shadow",)]  # the client goes on
    host.page.evaluate("() => { Element.prototype.attachShadow = window.__attachShadow; }")
    host.page.evaluate("id => _refiner('showForm', id, true)", FORM["id"])
    widget = host.page.locator('[data-form="%s"]' % FORM["id"])
    widget.get_by_role("radio", name="9 of 10").wait_for()  # and so does the widget
    assert len(our_warnings(host)) == 1
    assert host.errors() == [] and recorded(host, "__rejections") == []
