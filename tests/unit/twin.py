"""Test doubles that run on CPython and on MicroPython alike.

The unit tests drive the client with them, and test_micropython.py runs a whole session on
both interpreters with the same doubles (written into MicroPython's file system as
`twin.py`) and compares the output.
"""

import json

from refiner_web.lifecycle import RETURNED, RETURNED_FALSE


def sort_keys(value):
    """Nested dicts as sorted pairs: MicroPython's dicts keep no order."""
    if isinstance(value, dict):
        return [[k, sort_keys(value[k])] for k in sorted(value)]
    if isinstance(value, list):
        return [sort_keys(v) for v in value]
    return value


def drive(coroutine):
    """Runs a coroutine whose awaits never suspend (this platform answers at once).
    Not asyncio.run: Playwright's sync API may leave a loop running in this thread."""
    try:
        while True:
            coroutine.send(None)
    except StopIteration:
        pass


class MemoryStore:
    def __init__(self) -> None:
        self.data = {}

    def get(self, key):
        return self.data.get(key)

    def set(self, key, value):
        self.data[key] = value

    def remove(self, key):
        self.data.pop(key, None)

    def keys(self, prefix):
        return [key for key in self.data if key.startswith(prefix)]


class FakePlatform:
    def __init__(self) -> None:
        self.clock = 1700000000000.0
        self.store = MemoryStore()
        self.cookies = {}
        self.timers = {}
        self.next_timer = 0
        self.warnings = []
        self.requests = []
        self.exit_requests = []
        self.answer = lambda method, url, body: (202, "{}", 0)
        self.ids = 0
        self.is_visible = True
        self.hidden = self.shown = None
        self.pending = []
        self.url = "https://host.example/app"
        self.title = "App"
        self.window = (1280, 800, False)  # viewport() : width, height, coarse pointer
        self.route_changed = self.scrolled = self.exit_intent = None
        self.locks_held_elsewhere = []
        self.nonce = None  # BrowserPlatform's: the CSP nonce for the widget's <style>

    def now_ms(self):
        return self.clock

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
        return {"url": self.url, "title": self.title, "referrer": ""}

    def visible(self):
        return self.is_visible

    def viewport(self):
        return self.window

    def on_route_change(self, fn):
        self.route_changed = fn

    def watch_scroll(self, fn):
        self.scrolled = fn

    def watch_exit_intent(self, fn):
        self.exit_intent = fn

    def on_visibility(self, hidden, visible):
        self.hidden, self.shown = hidden, visible

    def warn(self, text):
        self.warnings.append(text)

    def set_timeout(self, fn, ms):
        self.next_timer += 1
        self.timers[self.next_timer] = (self.clock + ms, fn)
        return self.next_timer

    def clear_timeout(self, handle):
        self.timers.pop(handle, None)

    def spawn(self, coroutine):
        self.pending.append(coroutine)

    async def request(self, method, url, body, keepalive):
        data = None if body is None else json.loads(body)
        self.requests.append((method, url, data))
        return self.answer(method, url, data)

    async def exclusive(self, name, work):
        if name in self.locks_held_elsewhere:
            return False
        await work()
        return True

    def send_on_exit(self, method, url, body):
        self.exit_requests.append((method, url, json.loads(body)))

    def call(self, fn, args, next_step=None):
        if next_step is not None:
            args = args + [next_step]
        return RETURNED_FALSE if fn(*args) is False else RETURNED

    def arity(self, fn):
        return fn.__code__.co_argcount

    # test controls
    def run(self, until_ms=None):
        """Fires due timers and runs spawned work until nothing is left to do now."""
        limit = self.clock if until_ms is None else until_ms
        while True:
            if self.pending:
                drive(self.pending.pop(0))
                continue
            due = [(at, h) for h, (at, fn) in self.timers.items() if at <= limit]
            if not due:
                break
            at, handle = min(due)
            self.clock = max(self.clock, at)
            _, fn = self.timers.pop(handle)
            fn()
        self.clock = max(self.clock, limit)

    def posted(self, suffix):
        return [body for method, url, body in self.requests if url.endswith(suffix)]


class View:
    """Records what the survey queue asks of the widget; the test plays the user."""

    opened = []

    def __init__(self, form, locale, hooks):
        self.form, self.locale, self.hooks = form, locale, hooks
        self.form_id = form["id"]
        self.is_open = False

    def open(self):
        self.is_open = True
        View.opened.append(self)
        self.hooks.shown()
        self.hooks.navigated(self.form["questions"][0], 0)

    def close(self):
        if self.is_open:
            self.is_open = False
            self.hooks.closed()
