"""SafeStore: a backend that throws (blocked storage, a full quota) costs one warning and
the page keeps its data in memory; keys() sees both."""

from refiner_web.jsvalues import DEEP, decode_call
from refiner_web.storage import SafeStore
from tests.unit.twin import MemoryStore


class FullStore(MemoryStore):
    """Takes nothing new, like a full quota; reading still works."""

    def set(self, key, value):
        raise RuntimeError("QuotaExceededError")


class BlockedStore:
    def __getattr__(self, name):
        def refuse(*args):
            raise RuntimeError("SecurityError")

        return refuse


def test_full_storage_keeps_new_data_in_memory_with_one_warning():
    warnings = []
    backend = FullStore()
    backend.data["refiner:outbox:old"] = "1"
    store = SafeStore(backend, warnings.append)
    store.set("refiner:outbox:new", "2")
    store.set("refiner:outbox:newer", "3")
    assert store.get("refiner:outbox:new") == "2"
    assert sorted(store.keys("refiner:outbox:")) == [
        "refiner:outbox:new",
        "refiner:outbox:newer",
        "refiner:outbox:old",
    ]
    store.remove("refiner:outbox:new")
    assert store.get("refiner:outbox:new") is None
    assert len(warnings) == 1 and "QuotaExceededError" in warnings[0]


def test_blocked_storage_works_in_memory():
    warnings = []
    store = SafeStore(BlockedStore(), warnings.append)
    assert store.get("k") is None and store.keys("") == []
    store.set("k", "v")
    assert store.get("k") == "v" and store.keys("k") == ["k"]
    assert len(warnings) == 1 and "SecurityError" in warnings[0]


def test_the_loaders_depth_marker_decodes_to_deep():
    assert decode_call('["trackEvent", [[{"\\u0000": "deep"}]]]', []) == ["trackEvent", [[DEEP]]]
