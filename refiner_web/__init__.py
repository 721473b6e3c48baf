"""refiner-web's browser client.

From a PyScript app: `from refiner_web import refiner; refiner("identifyUser", {"id": "u1"})`
with the same commands and arguments as the JavaScript `_refiner(...)` queue; callbacks are
Python functions. The app's tag may name the API's origin in `data-api`, as the loader's
does. The script-tag loader enters through `refiner_web.boot` instead.
"""

_client = None
#: Calls made before the client runs, in order: the app's counterpart of `_refinerQueue`.
_queued = None


def refiner(command: str, *args: object) -> None:
    """Runs one command, like `_refiner(command, ...args)` in JavaScript.

    Until the client runs, calls wait in a queue, as the script tag's do. The first one
    schedules the client's import and its start as tasks of their own, after the app's
    script: PyScript runs the app inside its own start, one long task already.
    """
    global _queued
    call = [command] + list(args)
    if _client is not None:
        _client.dispatch(call)
    elif _queued is not None:
        _queued.append(call)
    else:
        import js

        _queued = [call]
        script = js.document.currentScript  # the app's own tag, while it runs
        if script:
            tag = (script.nonce, script.getAttribute("data-api"))
        else:
            tag = (None, None)
        _next_task(lambda: _import_client(tag))


def _import_client(tag: tuple) -> None:
    import refiner_web.boot  # noqa: F401 - a task of its own; the start is the next one

    _next_task(lambda: _start_client(tag))


def _start_client(tag: tuple) -> None:
    global _client
    from refiner_web.boot import app_client

    _client = app_client(_queued, tag[0], tag[1])


def _next_task(fn: object) -> None:
    import js

    from refiner_web.ffi import once

    js.setTimeout(once(fn), 0)
