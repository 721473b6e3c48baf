import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from refiner_web.outbox import (
    FULL_READ_MS,
    MAX_DELAY_MS,
    MAX_ENTRIES,
    REQUEST_TIMEOUT_MS,
    STAMP_KEY,
    Outbox,
    backoff_ms,
    is_retryable,
    origin_refused,
)
from tests.unit.twin import MemoryStore


def box():
    return Outbox(MemoryStore())


def test_entries_are_persisted_before_sending_and_survive_a_new_page():
    store = MemoryStore()
    Outbox(store).add("event:1", "POST", "/events", {"event_id": "1"}, 0)
    again = Outbox(store)
    assert [e["key"] for e in again.due(0)] == ["event:1"]


def test_success_removes_and_5xx_retries_and_4xx_drops():
    outbox = box()
    for key in ("a", "b", "c"):
        outbox.add(key, "POST", "/p", {"k": key}, 0)
    a, b, c = outbox.due(0)
    assert outbox.settle(a, 202, 0, 0.5) == "sent"
    assert outbox.settle(b, 503, 0, 0.5) == "retry"
    assert outbox.settle(c, 422, 0, 0.5) == "dropped"
    assert [e["key"] for e in outbox.entries] == ["b"]
    assert outbox.due(0) == []
    assert [e["key"] for e in outbox.due(1000)] == ["b"]


def test_network_failure_and_rate_limit_are_retried():
    for status in (0, 408, 429, 500, 502):
        assert is_retryable(status)
    for status in (400, 401, 403, 404, 413, 422):
        assert not is_retryable(status)


def test_a_refused_origin_is_kept_other_403s_are_not():
    """The project's owner may add the site later: the write waits for that."""
    assert origin_refused(403, "origin_not_allowed")
    assert is_retryable(403, "origin_not_allowed")
    for status, code in ((403, "invalid_signature"), (403, None), (422, "origin_not_allowed")):
        assert not origin_refused(status, code) and not is_retryable(status, code)
    outbox = box()
    outbox.add("a", "POST", "/p", {}, 0)
    outbox.add("b", "POST", "/p", {}, 0)
    a, b = outbox.due(0)
    assert outbox.settle(a, 403, 0, 1.0, "origin_not_allowed") == "retry"
    assert outbox.settle(b, 403, 0, 1.0, "invalid_signature") == "dropped"
    assert [(e["key"], e["attempts"], e["next_ms"]) for e in outbox.entries] == [("a", 1, 1000)]


def test_backoff_doubles_and_is_capped():
    delays = [backoff_ms(n, 1.0) for n in range(12)]
    assert delays[:4] == [1000, 2000, 4000, 8000]
    assert max(delays) == MAX_DELAY_MS


@given(st.integers(0, 1000), st.floats(0, 1))
def test_backoff_stays_within_half_and_full_ceiling(attempts, random):
    ceiling = min(MAX_DELAY_MS, 1000 * 2 ** min(attempts, 20))
    assert ceiling / 2 <= backoff_ms(attempts, random) <= ceiling


def test_same_key_replaces_older_version():
    outbox = box()
    outbox.add("response:r1", "PUT", "/r/r1", {"answers": {"q": 1}}, 0)
    outbox.add("response:r1", "PUT", "/r/r1", {"answers": {"q": 1, "w": 2}}, 0)
    assert [e["body"] for e in outbox.due(0)] == [{"answers": {"q": 1, "w": 2}}]


def test_newer_version_queued_while_older_in_flight_is_kept():
    outbox = box()
    outbox.add("response:r1", "PUT", "/r", {"v": 1}, 0)
    in_flight = outbox.due(0)[0]
    outbox.add("response:r1", "PUT", "/r", {"v": 2}, 0)
    assert outbox.settle(in_flight, 200, 0, 0.5) == "sent"
    assert [e["body"] for e in outbox.entries] == [{"v": 2}]


def test_retry_after_postpones_everything():
    outbox = box()
    outbox.add("a", "POST", "/p", {}, 0)
    outbox.postpone_all(30000)
    assert outbox.due(29999) == [] and len(outbox.due(30000)) == 1


def test_full_box_drops_oldest():
    outbox = box()
    for n in range(MAX_ENTRIES):
        outbox.add("e%d" % n, "POST", "/p", {}, 0)
    dropped = outbox.add("last", "POST", "/p", {}, 0)
    assert [e["key"] for e in dropped] == ["e0"]
    assert len(outbox.entries) == MAX_ENTRIES


def test_corrupt_storage_is_ignored():
    store = MemoryStore()
    store.set("refiner:outbox:a", "{not json")
    store.set("refiner:outbox:b", '{"key": "b"}')
    store.set("refiner:outbox", '[{"key": "x"}, 5]')
    assert Outbox(store).entries == []
    assert store.data == {}


def test_a_list_left_by_an_older_client_is_adopted():
    store = MemoryStore()
    entry = {"key": "event:1", "method": "POST", "path": "/e", "body": {}, "attempts": 2}
    store.set("refiner:outbox", json.dumps([dict(entry, next_ms=5)]))
    assert [e["key"] for e in Outbox(store).due(5)] == ["event:1"]
    assert [key for key in store.data if key != STAMP_KEY] == ["refiner:outbox:event:1"]


def test_two_tabs_share_one_outbox_without_overwriting_each_other():
    store = MemoryStore()
    first, second = Outbox(store), Outbox(store)
    first.add("event:a", "POST", "/e", {"n": "a"}, 0)
    in_flight = second.due(0)  # the tab holding the lock sends what the other queued
    first.add("event:b", "POST", "/e", {"n": "b"}, 1)  # queued while a is in flight
    assert second.settle(in_flight[0], 202, 2, 0.5) == "sent"
    assert [e["key"] for e in first.due(2)] == ["event:b"]
    assert first.settle(in_flight[0], 202, 3, 0.5) == "sent"  # already gone: no harm


def test_new_page_forgets_backoff_but_not_retry_after():
    outbox = box()
    outbox.add("a", "POST", "/p", {}, 0)
    outbox.add("b", "POST", "/p", {}, 0)
    a, b = outbox.due(0)
    outbox.settle(a, 503, 0, 1.0)
    outbox.settle(b, 503, 0, 1.0)
    outbox.postpone_all(60000)
    outbox.add("c", "POST", "/p", {}, 10)
    outbox.wake(20)
    assert [e["key"] for e in outbox.due(20)] == ["c"]
    outbox.settle(outbox.due(20)[0], 503, 20, 1.0)
    outbox.wake(5000)
    assert [e["key"] for e in outbox.due(5000)] == ["c"]


def test_the_loader_gives_up_on_its_first_ping_when_python_would() -> None:
    """Python awaits the loader's early ping, so the loader must time it out the same."""
    loader = (Path(__file__).parents[2] / "static" / "refiner.js").read_text()
    assert "var REQUEST_TIMEOUT_MS = %d;" % REQUEST_TIMEOUT_MS in loader
    assert "AbortSignal.timeout(REQUEST_TIMEOUT_MS)" in loader


class CountingStore(MemoryStore):
    """Counts the reads of entries (and of the list of keys): what `add` costs grows with
    how many it reads."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get(self, key):
        self.reads += key.startswith("refiner:outbox:")
        return super().get(key)

    def keys(self, prefix):
        self.reads += 1
        return super().keys(prefix)


def test_add_and_settle_read_only_their_own_entry():
    """An offline visitor's writes pile up: the n-th add must not read the n-1 before it
    (it did, and 1,000 adds took 6.5 s)."""
    store = CountingStore()
    outbox = Outbox(store)
    store.reads = 0
    for n in range(300):
        outbox.add("e%d" % n, "POST", "/p", {"n": n}, n)
    outbox.add("e5", "POST", "/p", {"n": "again"}, 300)
    assert store.reads == 0
    due = outbox.due(1000)
    store.reads = 0
    for entry in due:
        outbox.settle(entry, 503 if entry["key"] == "e7" else 202, 1000, 0.5)
    assert store.reads == len(due)  # each reads its own entry back, no more
    assert [e["key"] for e in outbox.entries] == ["e7"]
    store.reads = 0
    for now in (1001, 1002, 1000 + FULL_READ_MS - 1):
        outbox.add("late%d" % now, "POST", "/p", {}, now)
        late = [e for e in outbox.due(now) if e["key"] == "late%d" % now]
        assert len(late) == 1
        outbox.settle(late[0], 202, now, 0.5)
    assert store.reads == 3  # the settles; nothing changed elsewhere: no full read
    outbox.due(1000 + FULL_READ_MS)
    assert store.reads == 3 + 1 + 1  # however still it looks, all is read now and then


def test_a_change_of_another_tab_is_seen_at_the_next_due():
    store = MemoryStore()
    first, second = Outbox(store, "first"), Outbox(store, "second")
    first.due(0)
    second.add("b", "POST", "/p", {}, 1)
    assert [e["key"] for e in first.due(2)] == ["b"]
    first.settle(first.due(2)[0], 202, 3, 0.5)
    assert second.due(4) == [] and second.entries == []


operations = st.lists(
    st.tuples(
        st.sampled_from(["add", "add", "send"]),
        st.sampled_from(["a", "b", "c", "d"]),
        st.sampled_from([202, 503, 422]),
    ),
    max_size=40,
)


@given(operations)
def test_what_a_tab_keeps_in_memory_is_what_storage_holds(ops):
    """`add` and `settle` update the tab's own view instead of reading everything back:
    it must stay the view a fresh read (a new page) gives."""
    store = MemoryStore()
    outbox = Outbox(store)
    for n, (op, key, status) in enumerate(ops):
        if op == "add":
            outbox.add(key, "POST", "/p", {"n": n}, n)
        else:
            for entry in [e for e in outbox.entries if e["key"] == key]:
                outbox.settle(entry, status, n, 0.5)
        assert outbox.entries == Outbox(store).entries


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["first", "second"]),
            st.sampled_from(["add", "add", "send", "look"]),
            st.sampled_from(["a", "b", "c"]),
            st.sampled_from([202, 503, 422]),
        ),
        max_size=40,
    )
)
def test_two_tabs_each_see_what_storage_holds(ops):
    """Each tab reads again only when the stamp tells it the other changed the box: what
    `due` gives must still be what a fresh read gives."""
    store = MemoryStore()
    tabs = {"first": Outbox(store, "first"), "second": Outbox(store, "second")}
    for n, (tab, op, key, status) in enumerate(ops):
        outbox = tabs[tab]
        if op == "add":
            outbox.add(key, "POST", "/p", {"n": n}, n)
        elif op == "send":
            for entry in [e for e in outbox.due(10**9) if e["key"] == key]:
                outbox.settle(entry, status, n, 0.5)
        assert outbox.due(10**9) == Outbox(store).due(10**9)
