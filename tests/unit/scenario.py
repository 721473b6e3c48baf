"""A client session written for both CPython and MicroPython: each prints the same JSON.

test_micropython.py runs it under both interpreters and compares, which catches what
MicroPython lacks or does differently (dict order, `re`, string methods, formatting).
"""

import json

from twin import FakePlatform, MemoryStore, View, sort_keys

from refiner_web.client import Client
from refiner_web.dates import parse_date
from refiner_web.jsvalues import decode_call
from refiner_web.outbox import Outbox


def two_tabs():
    """Two tabs on one storage: each queues, one sends, neither loses the other's entry."""
    store = MemoryStore()
    first, second = Outbox(store), Outbox(store)
    first.add("event:a", "POST", "/e", {"n": "a"}, 0)
    in_flight = second.due(0)
    first.add("event:b", "POST", "/e", {"n": "b"}, 1)
    outcomes = [second.settle(in_flight[0], 202, 2, 0.5), first.settle(in_flight[0], 202, 3, 0.5)]
    return [outcomes, [e["key"] for e in first.due(5)], sorted(store.data)]


def origin_refused():
    """A server refusing the page's origin: the write is kept, one warning for it all."""
    platform = FakePlatform()
    refusal = '{"error": {"code": "origin_not_allowed", "message": "origin \'x\' refused"}}'
    platform.answer = lambda method, url, body: (403, refusal, 0)
    client = Client(platform, "http://api.test", View)
    client.dispatch(["setProject", "P"])
    client.dispatch(["trackEvent", "kept"])
    client.finish_boot()
    platform.run(until_ms=platform.clock + 60000)
    return [
        platform.warnings,
        len(platform.requests) > 3,
        [e["key"] for e in client.outbox.entries],
    ]


calls = [
    '["setProject", "PROJECT-ID"]',
    '["identifyUser", {"id": "USER-1", "email": "", "name": "Jane", "signed_up_at": '
    '"2020-04-26T17:58:14+02:00", "upgraded_at": "2021-05-05 17:12", "a_number": 42, '
    '"quoted": "42", "big": 2147483648, "paying": true, "when_at": 1588000000, '
    '"account": {"id": "ACC-1", "name": "Awesome", "a_date_at": "2022-01-31"}}]',
    '["trackEvent", "Clicked"]',
    '["trackEvent", ""]',
    '["addToResponse", {"moreData": "Hello!", "n": {"\\u0000": "nan"}}]',
    '["setLocale", "pt_BR"]',
    '["dismissForm", "nps"]',
    '["nope"]',
    '["\\u0000\\n"]',
    '["setProject", "../admin"]',
    '["trackEvent", {"\\u0000": "deep"}, 1, 2]',
    '["showForm", "a/b?c#\\u00e9", true]',
]
platform = FakePlatform()
platform.answer = lambda method, url, body: (202, '{"forms": [], "ping_interval_s": 60}', 0)
client = Client(platform, "http://api.test", View)
for text in calls:
    client.dispatch(decode_call(text, []))
client.finish_boot()
platform.run()
print(
    json.dumps(
        sort_keys(
            {
                "sent": platform.requests,
                "warnings": platform.warnings,
                "hidden": client.hidden_fields(),
                "dates": [parse_date("2024-02-29T23:59:59-00:30"), parse_date(253402300799)],
                "tabs": two_tabs(),
                "origin_refused": origin_refused(),
            }
        )
    )
)
