"""The thin adapter: every call from the client into the browser goes through here.

Works the same on MicroPython and Pyodide; only `refiner_web.ffi` knows which one runs.
"""

import asyncio
import json

import js

from refiner_web.dates import ms_from_iso
from refiner_web.ffi import JsRefused, guarded, once, proxy
from refiner_web.lifecycle import RETURNED, RETURNED_FALSE
from refiner_web.outbox import REQUEST_TIMEOUT_MS

ROUTE_POLL_MS = 250


def _store_direct(op: str, key: object, value: object) -> object:
    """The loader's `store` (static/refiner.js) for a PyScript app, which has no loader;
    raises JsRefused where that answers `false`."""
    if op == "cookie":
        if value is not None:
            guarded(op, js.Reflect.set, js.document, "cookie", value)
        return guarded(op, js.Reflect.get, js.document, "cookie")
    storage = guarded(op, js.Reflect.get, js.window, "localStorage")
    if not storage:  # null where a browser disables it
        raise JsRefused(op)
    if op == "keys":
        return "\n".join(guarded(op, js.Object.keys, storage))
    method = getattr(storage, op + "Item")  # getItem, setItem, removeItem
    result = guarded(op, method.bind(storage), key, value)
    return result if op == "get" else True


class LocalStorage:
    """`window.localStorage` and `document.cookie`, through the loader's `store` when there
    is a loader, else `_store_direct`: neither lets a JavaScript exception reach Python."""

    def __init__(self, bridge: object) -> None:
        self.bridge = bridge

    def _store(self, op: str, key: object = None, value: object = None) -> object:
        if self.bridge is None:
            return _store_direct(op, key, value)
        result = self.bridge.store(op, key, value)
        if result is False:
            raise JsRefused(op)
        return result

    def get(self, key: str) -> object:
        value = self._store("get", key)
        return value if isinstance(value, str) else None  # Pyodide may give `jsnull`

    def set(self, key: str, value: str) -> None:
        self._store("set", key, value)

    def remove(self, key: str) -> None:
        self._store("remove", key)

    def keys(self, prefix: str) -> list:
        return [name for name in self._store("keys").split("\n") if name.startswith(prefix)]

    def cookie(self, value: object = None) -> str:
        """`document.cookie`, after writing `value` when given."""
        text = self._store("cookie", None, value)
        return text if isinstance(text, str) else ""


class BrowserPlatform:
    """What `refiner_web.client.Client` needs from the browser."""

    def __init__(self, bridge: object = None, nonce: object = None, cookies: bool = True) -> None:
        """`bridge` is the loader's `refiner_bridge` (None in a PyScript app); `nonce` that
        of the loader's tag or the app's script tag, for the widget's <style> on a page whose
        `style-src` allows styles by nonce only (None, or "" from the loader, when none);
        `cookies` False on the link page, which sets none (the anonymous id stays in
        localStorage)."""
        self.bridge = bridge
        self.cookies = cookies
        self.nonce = nonce if isinstance(nonce, str) and nonce else None
        self.local_storage = LocalStorage(bridge)
        self.tasks = []
        self.listeners = []
        self.first_ping = None if bridge is None else bridge.firstPing()

    # time and randomness
    def now_ms(self) -> float:
        return ms_from_iso(js.Date.new().toISOString())

    def random(self) -> float:
        return js.Math.random()

    def random_id(self) -> str:
        """128 bits from `crypto.getRandomValues`, as 32 hex digits."""
        data = js.crypto.getRandomValues(js.Uint8Array.new(16))
        return "".join("%02x" % data[i] for i in range(16))

    # storage
    def storage(self) -> object:
        return self.local_storage

    def get_cookie(self, name: str) -> object:
        if not self.cookies:
            return None
        try:
            cookies = self.local_storage.cookie()
        except JsRefused:
            return None
        for part in cookies.split(";"):
            key, _, value = part.strip().partition("=")
            if key == name:
                return value
        return None

    def set_cookie(self, name: str, value: str, max_age_s: int) -> None:
        if not self.cookies:
            return
        secure = "; Secure" if js.location.protocol == "https:" else ""
        text = "%s=%s; Max-Age=%d; Path=/; SameSite=Lax%s" % (name, value, max_age_s, secure)
        try:
            self.local_storage.cookie(text)
        except JsRefused:
            pass

    # the page
    def page(self) -> dict:
        """Where the user is (the client makes it storable text: `Client.page`). The
        loader cuts and cleans the fields before they are copied (`refiner_bridge.page`):
        MicroPython's copy of a 2 MB URL took 300 ms. A PyScript app has no loader."""
        if self.bridge is not None:
            fields = self.bridge.page()
            return {"url": fields.url, "title": fields.title, "referrer": fields.referrer}
        return {
            "url": js.location.href,
            "title": js.document.title,
            "referrer": js.document.referrer,
        }

    def visible(self) -> bool:
        return js.document.visibilityState != "hidden"

    def viewport(self) -> tuple:
        """(width, height, coarse primary pointer) of the window for `devices.device_class`,
        each capped by the screen's (a phone lays a page without a viewport meta tag out 980
        px wide); None for what a page without `matchMedia` (or one that broke it) cannot say.
        The loader's first ping decides the same way (`static/refiner.js`, `device`)."""
        try:
            window, screen = js.window, js.window.screen
            size = (
                min(window.innerWidth, screen.width),
                min(window.innerHeight, screen.height),
            )
        except Exception:  # noqa: BLE001 - a page that broke the window's getters
            size = (None, None)
        try:
            coarse = bool(js.window.matchMedia("(pointer: coarse)").matches)
        except Exception:  # noqa: BLE001 - a window without matchMedia, or a page that broke it
            coarse = None
        return size + (coarse,)

    def on_visibility(self, hidden, visible) -> None:  # noqa: ANN001
        def changed(event: object) -> None:
            if self.visible():
                visible()
            else:
                hidden()

        self._listen(js.document, "visibilitychange", changed)
        self._listen(js.window, "pagehide", lambda event: hidden())

    def on_route_change(self, fn) -> None:  # noqa: ANN001
        """Single-page-app navigation, seen without the page's help: back/forward and
        hash changes here; pushState/replaceState through the loader's `history` patch
        (its `refiner:locationchange` event), or, inside a PyScript app where there is no
        loader, by watching `location.href`."""
        seen = [self.page()["url"]]

        def changed(*_: object) -> None:
            href = self.page()["url"]
            if href != seen[0]:
                seen[0] = href
                fn()

        self._listen(js.window, "popstate", changed)
        self._listen(js.window, "hashchange", changed)
        if self.bridge is not None:
            self._listen(js.window, "refiner:locationchange", changed)
        else:
            handler = proxy(changed)
            self.listeners.append(handler)
            js.setInterval(handler, ROUTE_POLL_MS)

    def watch_scroll(self, fn) -> None:  # noqa: ANN001
        """Calls `fn(percent)` with how far down the page the viewport's bottom is."""

        def scrolled(*_: object) -> None:
            root = js.document.documentElement
            height = root.scrollHeight
            seen = js.window.scrollY + js.window.innerHeight
            fn(100 if height <= 0 else min(100, int(seen * 100 / height)))

        self._listen(js.window, "scroll", scrolled)

    def watch_exit_intent(self, fn) -> None:  # noqa: ANN001
        """Calls `fn()` when a mouse pointer leaves through the top of the viewport (on
        touch screens there is no such gesture, so nothing is watched)."""
        if not js.window.matchMedia("(pointer: fine)").matches:
            return

        def left(event: object) -> None:
            if not event.relatedTarget and event.clientY <= 0:  # null or Pyodide's jsnull
                fn()

        self._listen(js.document, "mouseout", left)

    def _listen(self, target: object, name: str, fn) -> None:  # noqa: ANN001
        handler = proxy(fn)
        self.listeners.append(handler)
        target.addEventListener(name, handler)

    def warn(self, text: str) -> None:
        js.console.warn(text)

    # timers and tasks
    def set_timeout(self, fn, ms: float) -> object:  # noqa: ANN001
        return js.setTimeout(once(fn), max(0, int(ms)))

    def clear_timeout(self, handle: object) -> None:
        js.clearTimeout(handle)

    def spawn(self, coroutine: object) -> None:
        """Runs a coroutine in the background; a failure is logged, never raised."""

        async def run() -> None:
            try:
                await coroutine
            except Exception as error:  # noqa: BLE001 - logged; the page must not see it
                self.warn("[refiner] background task failed: %r" % (error,))
            finally:
                self.tasks.remove(task[0])

        task = [None]
        task[0] = asyncio.create_task(run())
        self.tasks.append(task[0])

    # network
    async def request(self, method: str, url: str, body: str, keepalive: bool) -> tuple:
        """(status, text, retry_after_s); status 0 when no answer came."""
        early = self._sent_already(url, body)
        try:
            if early is None:
                options = self._options(method, body, keepalive, self._deadline())
                response = await js.fetch(url, options)
                text = await response.text()
                status, retry_after = response.status, response.headers.get("Retry-After")
            else:  # the loader's, taken at once when in (see refiner.js sendFirstPing)
                answer = early.answer or await early.answered
                status, text, retry_after = answer.status, answer.text, answer.retryAfter
        except Exception:  # noqa: BLE001 - a network failure rejects the fetch
            return 0, "", 0
        try:
            retry_after_s = int(retry_after) if isinstance(retry_after, str) else 0
        except ValueError:
            retry_after_s = 0
        return status, text, retry_after_s

    async def exclusive(self, name: str, work) -> bool:  # noqa: ANN001
        """Runs `await work()` holding the Web Lock `name`, which all tabs of the site
        share; returns False at once, without running it, while another tab holds it.
        Without Web Locks (plain-http sites, old browsers) it just runs: the ids the
        server keeps make a write sent by two tabs harmless, merely wasteful."""
        try:
            locks = js.navigator.locks
        except AttributeError:
            locks = None
        if not locks:
            await work()
            return True
        answer = []
        release = []

        def ask(resolve: object, reject: object) -> None:
            answer.append(resolve)

        def hold(resolve: object, reject: object) -> None:
            release.append(resolve)

        def granted(lock: object) -> object:
            answer[0](bool(lock))  # null when another tab holds it
            return js.Promise.new(once(hold)) if lock else None

        asked = js.Promise.new(once(ask))
        options = js.Object.new()
        options.ifAvailable = True
        locks.request(name, options, once(granted))
        if not await asked:
            return False
        try:
            await work()
        finally:
            release[0](True)
        return True

    def _sent_already(self, url: str, body: str) -> object:
        """The loader's first ping (`refiner_bridge.firstPing`) when this is the same
        request: same URL, same JSON body. The first request to that URL settles it; a
        different body means the loader guessed wrong and this request goes out itself."""
        early = self.first_ping
        if early is False or early is None or url != early.url:
            return None
        self.first_ping = None
        return early if json.loads(early.body) == json.loads(body) else None

    def send_on_exit(self, method: str, url: str, body: str) -> None:
        """A request that outlives the page (`fetch` with keepalive)."""
        try:
            js.fetch(url, self._options(method, body, True))
        except Exception:  # noqa: BLE001 - the page is going away: no one left to tell
            pass

    def _deadline(self) -> object:
        """An AbortSignal that gives up on a request after REQUEST_TIMEOUT_MS: a connection
        that stalls must not hold the outbox forever. A page timer aborts it (the timer
        stays set after an answer, when aborting does nothing), so a test's clock can too."""
        controller = js.AbortController.new()
        self.set_timeout(lambda: controller.abort(), REQUEST_TIMEOUT_MS)
        return controller.signal

    def _options(self, method: str, body: str, keepalive: bool, signal: object = None) -> object:
        headers = js.Headers.new()
        headers.set("Content-Type", "application/json")
        options = js.Object.new()
        options.method = method
        options.body = body
        options.headers = headers
        options.keepalive = keepalive
        options.credentials = "omit"
        if signal is not None:
            options.signal = signal
        return options

    # the page's callbacks
    def call(self, fn: object, args: list, next_step: object = None) -> object:
        """Calls a callback with `args` (and `next_step` last, when given); returns
        RETURNED_FALSE when it returned false, else RETURNED (`refiner_web.lifecycle`)."""
        target = getattr(fn, "fn", None)
        if target is not None and self.bridge is not None:
            handle = None if next_step is None else proxy(next_step)
            return self.bridge.call(target, json.dumps(args), handle)
        if next_step is not None:
            args = args + [next_step]
        return RETURNED_FALSE if fn(*args) is False else RETURNED

    def arity(self, fn: object) -> int:
        """How many parameters a callback declares (JavaScript's `fn.length`)."""
        target = getattr(fn, "fn", None)
        if target is not None and self.bridge is not None:
            return self.bridge.arity(target)
        code = getattr(fn, "__code__", None)  # CPython and Pyodide; MicroPython has none
        return code.co_argcount if code is not None else 0
