"""The one place that knows which interpreter runs us: MicroPython's `jsffi` or Pyodide's
`pyodide.ffi`. Both give `js`; they differ in how Python callables cross into JavaScript."""

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


def proxy(fn):  # noqa: ANN001, ANN201
    """A callable for JavaScript to keep and call many times (listeners, the dispatcher)."""
    return create_proxy(fn)
