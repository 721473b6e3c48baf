"""refiner-web's browser client.

From a PyScript app: `from refiner_web import refiner; refiner("identifyUser", {"id": "u1"})`
with the same commands and arguments as the JavaScript `_refiner(...)` queue; callbacks are
Python functions. The script-tag loader enters through `refiner_web.boot` instead.
"""

_client = None


def refiner(command: str, *args: object) -> None:
    """Runs one command, like `_refiner(command, ...args)` in JavaScript."""
    global _client
    if _client is None:
        from refiner_web.boot import python_client

        _client = python_client()
    _client.dispatch([command] + list(args))
