"""Two tabs of one site share one outbox and never send a write twice (both runtimes).

Both tabs queue events while the real server is stopped; once it is back every event is
stored once, and, counting the requests the server answered, none was sent twice, which the
server's idempotency would otherwise hide.
"""

import time
import uuid
from collections import Counter
from pathlib import Path

from tests.e2e.conftest import HostPage, Server
from tests.e2e.test_client import events_of_user, outbox_entries


def delivered(page: object, sent: Counter) -> None:
    """Counts, per event id, the event writes the server answered with success."""

    def finished(request: object) -> None:
        response = request.response()
        if request.url.endswith("/events") and response is not None and response.ok:
            sent[request.post_data_json["event_id"]] += 1

    page.on("requestfinished", finished)


def test_two_tabs_one_outbox_no_double_sends(host: HostPage, server: Server, db_path: Path) -> None:
    user = "tabs-" + uuid.uuid4().hex
    sent = Counter()
    first = host
    second = HostPage(host.page.context.new_page(), host.base_url, host.runtime)
    for tab in (first, second):
        delivered(tab.page, sent)
    first.open()
    first.wait_ready()
    first.page.evaluate("user => _refiner('identifyUser', {id: user})", user)
    second.open()  # the same site in another tab: the same identity and outbox
    second.wait_ready()
    server.stop()
    try:
        for n in range(3):
            for name, tab in (("first", first), ("second", second)):
                tab.page.evaluate("name => _refiner('trackEvent', name)", "%s-%d" % (name, n))
        first.page.wait_for_timeout(1500)  # each tab has tried and failed at least once
        assert len(outbox_entries(second)) == 6
    finally:
        server.start()
    names = sorted(row[0] for row in events_of_user(db_path, user, count=6))
    assert names == sorted("%s-%d" % (tab, n) for tab in ("first", "second") for n in range(3))
    deadline = time.monotonic() + 30  # a loaded machine's backoff and retries
    while outbox_entries(first) and time.monotonic() < deadline:
        first.page.wait_for_timeout(200)
    second.page.wait_for_timeout(3000)  # time for a late second send, were there one
    assert len(sent) == 6 and set(sent.values()) == {1}, sent
    assert outbox_entries(first) == outbox_entries(second) == []
    assert len(events_of_user(db_path, user, count=7, timeout_s=15)) == 6
    assert first.errors() == second.errors() == []
