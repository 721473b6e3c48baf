"""Hostile arguments in every command, on the CPython client (the browser run of the same
values is tests/e2e/test_hostile.py): nothing raises, every warning names its command, and a
call that cannot run says so exactly once."""

from hypothesis import given, settings

from refiner_web.client import HANDLERS, Client, printable
from refiner_web.commands import CommandError
from tests.unit.hostile import UNREADABLE, as_received, calls, received_call
from tests.unit.twin import FakePlatform, View


def _client() -> tuple:
    platform = FakePlatform()
    client = Client(platform, "http://api.test", View)
    client.dispatch(["setProject", "P"])
    client.finish_boot()
    platform.run()
    return client, platform


def _refused(name: object, args: list) -> bool:
    """Whether the command's own checks refuse these arguments (on a scratch client)."""
    handler = HANDLERS.get(name) if isinstance(name, str) else None
    if handler is None:
        return True
    try:
        handler(_client()[0], args, lambda text: None)
    except CommandError:
        return True
    return False


@settings(max_examples=300, deadline=None)
@given(calls())
def test_hostile_call_warns_under_its_own_name(call):
    _, args = call
    received = received_call(args)
    if received is None:
        return  # the loader refuses it before Python sees it (the e2e test checks that)
    client, platform = _client()
    client.dispatch(received)
    platform.run()
    name = received[0] if isinstance(received[0], str) else "_refiner"
    prefixes = [printable("[refiner] %s: " % name[:64])] + [
        "[refiner] %s: " % kind for kind in ("event", "view", "dismissal", "response", "ping")
    ]
    assert all(any(w.startswith(p) for p in prefixes) for w in platform.warnings), platform.warnings
    if _refused(received[0], received[1:]):
        assert len(platform.warnings) == 1, platform.warnings
    client.dispatch(["trackEvent", "still-working"])
    platform.run()
    assert platform.posted("/events")[-1]["name"] == "still-working"


def test_loader_depth_limit_and_unreadable_values():
    deep = [1]
    for _ in range(40):
        deep = [deep]
    received = as_received(deep)
    for _ in range(32):
        received = received[0]
    assert repr(received) == "a value nested too deeply"
    assert received_call(["trackEvent", {"a": [UNREADABLE]}]) is None


def test_a_refused_call_warns_once_even_with_extra_arguments():
    client, platform = _client()
    client.dispatch(["trackEvent", 42, "extra", "more"])
    assert platform.warnings == [
        "[refiner] trackEvent: the event name must be a non-empty string, not a number"
    ]
    client.dispatch(["x" * 1000000])
    assert platform.warnings[-1] == "[refiner] %s: unknown command" % ("x" * 64)
