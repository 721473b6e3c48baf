"""Strangers' values in every `_refiner` command, in a real page on both runtimes.

Hypothesis writes calls with hostile arguments (tests/unit/hostile.py: NaN, symbols,
functions, cycles, 1 MB strings, prototype keys, 20,000 levels of nesting, throwing getters)
and runs each in the page and, beside it, in the CPython client over the doubles of
tests/unit/twin.py. The page must see no exception, the page's warnings must be exactly the
reference client's (one `[refiner] <command>: <rule>` per broken rule), and afterwards the
client must still work against the real server.
"""

import os
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from refiner_web.client import Client
from tests.e2e.conftest import HostPage, Server
from tests.e2e.hardening import RECORDER, Traffic, make_project, recorded
from tests.e2e.test_client import wait_for_rows
from tests.unit.hostile import calls, received_call
from tests.unit.twin import FakePlatform

PROJECT = "hostile"
CHECK = {
    "id": "hostile-check",
    "name": "Still working",
    "status": "live",
    "questions": [{"id": "score", "type": "nps", "title": "Still there?"}],
    "trigger": {"type": "manual"},
}
EXAMPLES = int(os.environ.get("REFINER_HOSTILE_EXAMPLES", "60"))
REFUSED = '{"error": {"code": "not_found", "message": "unknown project"}}'


@pytest.fixture(scope="module")
def project(_server_session: Server, tmp_path_factory: pytest.TempPathFactory) -> None:
    make_project(_server_session, tmp_path_factory.mktemp("hostile"), PROJECT, [CHECK])


def reference_client() -> tuple:
    """The CPython client on doubles that answer like the real server for this project."""
    platform = FakePlatform()

    def answer(method: str, url: str, body: object) -> tuple:
        project = url.split("/api/v1/client/", 1)[1].split("/", 1)[0]
        if project != PROJECT or method == "GET":
            return 404, REFUSED, 0
        if url.endswith("/ping"):
            return 200, '{"forms": [], "ping_interval_s": 300}', 0
        return 202, "{}", 0

    platform.answer = answer
    client = Client(platform, "http://127.0.0.1")
    client.dispatch(["setProject", PROJECT])
    client.finish_boot()
    platform.run()
    return client, platform


def normal(text: str) -> str:
    """A warning without the parts only the real server or the JS engine words."""
    for cut in ("server refused", "arguments could not be read"):
        if cut in text:
            return text[: text.index(cut) + len(cut)]
    return text


def expected_warnings(client: Client, platform: FakePlatform, args: list) -> list:
    received = received_call(args)
    if received is None:  # the loader cannot read it: one warning, from the loader
        name = args[0] if isinstance(args[0], str) else "_refiner"
        return ["[refiner] %s: arguments could not be read" % name[:64]]
    before = len(platform.warnings)
    client.dispatch(received)
    platform.run()
    return platform.warnings[before:]


def run_in_page(host: HostPage, source: str) -> object:
    """Runs one call; returns what it threw into the page, if anything."""
    return host.page.evaluate(
        "source => { try { (0, eval)(source); return null; } catch (e) { return String(e); } }",
        source,
    )


def test_hostile_calls_never_reach_the_page(host: HostPage, project: None, db_path: Path) -> None:
    host.page.add_init_script(RECORDER)
    traffic = Traffic(host)
    host.open(project=PROJECT)
    host.wait_ready()
    traffic.settle(host)
    client, platform = reference_client()

    @settings(
        max_examples=EXAMPLES,
        derandomize=bool(os.environ.get("CI")),
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(calls(), min_size=1, max_size=4))
    def one_example(calls: list) -> None:
        before = len(recorded(host, "__warnings"))
        expected = []
        for source, args in calls:
            assert run_in_page(host, source) is None, source
            expected += expected_warnings(client, platform, args)
        traffic.settle(host)
        seen = recorded(host, "__warnings")[before:]
        assert sorted(map(normal, seen)) == sorted(map(normal, expected)), [
            c[0][:300] for c in calls
        ]
        assert host.page_errors == []
        assert recorded(host, "__rejections") == []

    one_example()

    # still usable: the project back, callbacks cleared, an event stored, a survey shown
    event = "after-hostile-" + uuid.uuid4().hex
    reset = "".join(
        "_refiner('%s', null);" % name
        for name in ("onBeforeShow", "onNavigation", "onShow", "onClose", "onDismiss", "onComplete")
    )
    host.page.evaluate(
        "_refiner('setProject', %r); %s _refiner('trackEvent', %r);"
        "_refiner('showForm', 'hostile-check', true)" % (PROJECT, reset, event)
    )
    assert wait_for_rows(db_path, "SELECT name FROM events WHERE name = ?", event) == [(event,)]
    title = host.page.locator("refiner-survey #rf-title")
    title.wait_for(state="visible")
    assert title.text_content() == "Still there?"
    assert recorded(host, "__pwnedBy") == []
    assert host.page_errors == []
