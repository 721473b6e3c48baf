"""Decoding of the arguments that the page passed to `_refiner`.

The loader sends each call as JSON plus an array of functions (docs/internals.md): values
JSON cannot carry arrive as marker objects `{"\\u0000": kind, ...}`. Decoding them here, in
plain Python, keeps the JavaScript types exact and identical on MicroPython and Pyodide.
"""

import json

from refiner_web.values import UNCOPIED, Uncopied

MARK = "\x00"


class Opaque:
    """A JavaScript value Python has no use for (undefined, a symbol, a bigint, a cycle)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __repr__(self) -> str:
        return self.kind


UNDEFINED = Opaque("undefined")
#: what the loader sends in place of a value nested deeper than it reads (32 levels)
DEEP = Opaque("a value nested too deeply")
#: what it sends in place of a string longer than values.MAX_TEXT, which it never copies
LONG = UNCOPIED


class JsFunction:
    """A function of the page, called back through the bridge."""

    def __init__(self, fn: object) -> None:
        self.fn = fn


def _decode(value: object, fns: list) -> object:
    if isinstance(value, list):
        return [_decode(item, fns) for item in value]
    if not isinstance(value, dict):
        return value
    if MARK in value:
        return _marker(value, fns)
    out = {}
    for key, item in value.items():
        if key.startswith(MARK):
            key = key[1:]
        out[key] = _decode(item, fns)
    return out


def _marker(value: dict, fns: list) -> object:
    kind = value[MARK]
    if kind == "fn":
        return JsFunction(fns[value["i"]])
    if kind == "nan":
        return float("nan")
    if kind == "inf":
        return float("inf")
    if kind == "-inf":
        return float("-inf")
    if kind == "date":
        return value["v"]
    if kind == "undefined":
        return UNDEFINED
    if kind == "deep":
        return DEEP
    if kind == "long":
        return LONG
    return Opaque(kind)


def decode_call(text: str, fns: list) -> list:
    """The arguments of one `_refiner(...)` call as Python values."""
    args = _decode(json.loads(text), fns)
    if not isinstance(args, list):
        raise ValueError("an encoded call must be a JSON array")
    return args


def describe(value: object) -> str:
    """A short name of a value's JavaScript type, for warnings."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, (Opaque, Uncopied)):
        return value.kind
    return "a function"
