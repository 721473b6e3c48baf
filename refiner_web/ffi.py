"""The one place that knows which interpreter runs us: MicroPython's `jsffi` or Pyodide's
`pyodide.ffi`. Both give `js`; they differ in how Python callables cross into JavaScript,
how JavaScript's null arrives, and whether a JavaScript exception can be caught at all."""

import js

try:
    from pyodide.ffi import create_once_callable, create_proxy

    RUNTIME = "pyodide"

    def once(fn):  # noqa: ANN001, ANN201 - interpreter-specific callable types
        """A callable for JavaScript to call once (timers); freed after the call."""
        return create_once_callable(fn)

except ImportError:
    from jsffi import create_proxy

    RUNTIME = "micropython"

    def once(fn):  # noqa: ANN001, ANN201
        return create_proxy(fn)


try:  # Pyodide 0.26+ gives JavaScript's null as `jsnull`, MicroPython as None
    from pyodide.ffi import jsnull
except ImportError:
    jsnull = None


def proxy(fn):  # noqa: ANN001, ANN201
    """A callable for JavaScript to keep and call many times (listeners, the dispatcher)."""
    return create_proxy(fn)


def release(handle: object) -> None:
    """Frees a `proxy`: Pyodide needs it; MicroPython's are collected with their JS side."""
    if RUNTIME == "pyodide":
        try:
            handle.destroy()
        except Exception:  # noqa: BLE001 - already destroyed
            pass


def absent(value: object) -> bool:
    """JavaScript null or undefined, on either interpreter."""
    return value is None or value is jsnull


class JsRefused(Exception):
    """A JavaScript call threw: the browser refused a `localStorage` or cookie access
    (blocked, full, sandboxed), or a page patched a DOM method to throw."""


def guarded(op: str, fn: object, *args: object) -> object:
    """`fn(*args)` for a JavaScript `fn`; raises JsRefused(op) when it throws.
    MicroPython 1.27 cannot catch a JavaScript exception thrown synchronously (it unwinds
    past every `try` to the JavaScript that entered Python), and a strict CSP forbids making
    a try/catch from text; so the call runs as a getter that `Object.assign` reads inside a
    `Promise` constructor, which catches what it throws (the promise's rejection goes to the
    no-op `Function.prototype`). Only the copied value tells whether it returned."""
    descriptor = js.Object.new()
    descriptor.get = fn.bind(None, *args)
    descriptor.enumerable = True
    source = js.Object.defineProperty(js.Object.new(), "value", descriptor)
    result = js.Object.new()
    js.Promise.new(js.Object.assign.bind(None, result, source)).catch(js.Function.prototype)
    if not result.hasOwnProperty("value"):
        raise JsRefused(op)
    return result.value
