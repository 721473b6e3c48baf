"""A client session written for both CPython and MicroPython: each prints the same JSON.

test_micropython.py runs it under both interpreters and compares, which catches what
MicroPython lacks or does differently (dict order, `re`, string methods, formatting).
"""

import json

from refiner_web.client import Client
from refiner_web.dates import parse_date
from refiner_web.jsvalues import decode_call


class Store:
    def __init__(self):
        self.data = {}

    def get(self, key):
        return self.data.get(key)

    def set(self, key, value):
        self.data[key] = value

    def remove(self, key):
        self.data.pop(key, None)


class Platform:
    def __init__(self):
        self.store = Store()
        self.cookies = {}
        self.timers = []
        self.sent = []
        self.warnings = []
        self.ids = 0

    def now_ms(self):
        return 1700000000000

    def random(self):
        return 0.5

    def random_id(self):
        self.ids += 1
        return "%032x" % self.ids

    def storage(self):
        return self.store

    def get_cookie(self, name):
        return self.cookies.get(name)

    def set_cookie(self, name, value, max_age_s):
        self.cookies[name] = value

    def page(self):
        return {"url": "https://x.test/app", "title": "t", "referrer": ""}

    def visible(self):
        return True

    def on_route_change(self, fn):
        self.route_changed = fn

    def watch_scroll(self, fn):
        self.scrolled = fn

    def watch_exit_intent(self, fn):
        self.exit_intent = fn

    def on_visibility(self, hidden, visible):
        pass

    def warn(self, text):
        self.warnings.append(text)

    def set_timeout(self, fn, ms):
        self.timers.append((ms, fn))
        return len(self.timers)

    def clear_timeout(self, handle):
        pass

    def spawn(self, coroutine):
        try:
            coroutine.send(None)
        except StopIteration:
            pass

    async def request(self, method, url, body, keepalive):
        self.sent.append([method, url, json.loads(body)])
        return 202, '{"forms": [], "ping_interval_s": 60}', 0

    def call(self, fn, args, next_step=None):
        return ""

    def arity(self, fn):
        return 0

    def run_due(self):
        while True:
            due = [t for t in self.timers if t[0] == 0]
            if not due:
                return
            self.timers = [t for t in self.timers if t[0] != 0]
            for _, fn in due:
                fn()


def sort_keys(value):
    """Nested dicts as sorted pairs: MicroPython's dicts keep no order."""
    if isinstance(value, dict):
        return [[k, sort_keys(value[k])] for k in sorted(value)]
    if isinstance(value, list):
        return [sort_keys(v) for v in value]
    return value


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
]
platform = Platform()
client = Client(platform, "http://api.test")
for text in calls:
    client.dispatch(decode_call(text, []))
client.finish_boot()
platform.run_due()
print(
    json.dumps(
        sort_keys(
            {
                "sent": platform.sent,
                "warnings": platform.warnings,
                "hidden": client.hidden_fields(),
                "dates": [parse_date("2024-02-29T23:59:59-00:30"), parse_date(253402300799)],
            }
        )
    )
)
