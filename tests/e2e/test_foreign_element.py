"""A page that defines its own `<refiner-survey>` custom element, on both runtimes: the
widget's host tag is then somebody else's (its constructor runs, it may hold a shadow root
already), so the survey is drawn in a host of a free name and the page's elements are left
alone."""

import pytest

from tests.e2e.conftest import HostPage, Server
from tests.e2e.hardening import RECORDER, make_project, recorded
from tests.e2e.test_faults import FORM, our_warnings

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
