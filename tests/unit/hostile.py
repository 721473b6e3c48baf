"""Hostile JavaScript values for `_refiner` calls: each is a pair (JavaScript source, the
Python value the client must decode it to), so one strategy drives the real page (which
evaluates the source) and the CPython client (which takes the Python value) alike.

`UNREADABLE` stands for a value the loader cannot even read (a getter that throws): the call
must still end in one warning naming its command.
"""

import json

from hypothesis import strategies as st

from refiner_web.client import HANDLERS
from refiner_web.jsvalues import DEEP, LONG, UNDEFINED, JsFunction, Opaque
from refiner_web.values import MAX_CALL_CHARS, MAX_NODES, MAX_TEXT

UNREADABLE = Opaque("unreadable")
COMMANDS = tuple(sorted(HANDLERS))  # every command of the reference documents
KEYS = (
    "__proto__",
    "constructor",
    "prototype",
    "toString",
    "valueOf",
    "hasOwnProperty",
    "id",
    "email",
    "name",
    "account",
    "signature",
    "locale",
    "signed_up_at",
    "\x00",
    "\x00fn",
    "",
)
MB = 1 << 20


def _js(value: str) -> str:
    """A JavaScript string literal (JSON is a subset of JavaScript since ES2019)."""
    return json.dumps(value)


FIXED = [
    ("null", None),
    ("undefined", UNDEFINED),
    ("NaN", float("nan")),
    ("Infinity", float("inf")),
    ("-Infinity", float("-inf")),
    ("-0", 0),
    ("Symbol('s')", Opaque("symbol")),
    ("12345678901234567890n", Opaque("bigint")),
    ("new Date(0)", "1970-01-01T00:00:00.000Z"),
    ("new Date(NaN)", None),
    ("Object.create(null)", {}),
    ('JSON.parse(\'{"__proto__": {"polluted": 1}}\')', {"__proto__": {"polluted": 1}}),
    ("(() => { const o = {a: 1}; o.self = o; return o; })()", {"a": 1, "self": Opaque("cycle")}),
    ("'x'.repeat(%d)" % MB, "x" * MB),
    ('"\\ud800 lone surrogate"', "\ud800 lone surrogate"),
    (
        "'<img src=x onerror=__pwned()>'.repeat(%d)" % (MB // 29),
        "<img src=x onerror=__pwned()>" * (MB // 29),
    ),
    ("({toJSON() { return 'json'; }})", "json"),
    ("({get id() { throw new Error('getter'); }})", UNREADABLE),
    ("({toJSON() { throw new Error('toJSON'); }})", UNREADABLE),
]
FUNCTIONS = [
    "(function () { window.__calls = (window.__calls || 0) + 1; })",
    "(function () { throw new Error('callback'); })",
    "(() => undefined)",
    "(async function () { throw new Error('async'); })",
    "Math.max",
]


def _deep(depth: int) -> tuple:
    source = "(() => { let v = 1; for (let i = 0; i < %d; i++) v = [v]; return v; })()" % depth
    value = 1
    for _ in range(depth):
        value = [value]
    return source, value


def _number(value: object) -> tuple:
    return repr(value), value


def leaves() -> st.SearchStrategy:
    safe = st.integers(min_value=-(2**53), max_value=2**53)
    floats = st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f != int(f))
    return st.one_of(
        st.sampled_from(FIXED),
        st.booleans().map(lambda b: ("true" if b else "false", b)),
        safe.map(_number),
        floats.map(_number),
        st.text(max_size=300).map(lambda s: (_js(s), s)),
        st.sampled_from(KEYS).map(lambda s: (_js(s), s)),
        st.sampled_from(FUNCTIONS).map(lambda s: (s, JsFunction(s))),
        st.sampled_from((10, 100, 1000, 20000)).map(_deep),
    )


def _array(items: list) -> tuple:
    return "[" + ", ".join(js for js, _ in items) + "]", [py for _, py in items]


def _object(pairs: list) -> tuple:
    """Own properties written with computed keys (so `__proto__` is a key like any other)."""
    value = {}
    for key, (_, py) in pairs:
        value[key] = py
    return "({" + ", ".join("[%s]: %s" % (_js(k), js) for k, (js, _) in pairs) + "})", value


def _with_prototype(pair: tuple) -> tuple:
    """A literal `__proto__:` sets the prototype: inherited, not an own key, never sent."""
    js, py = pair
    return "({__proto__: {id: 'inherited', polluted: true}, ...%s})" % js, py


def js_values() -> st.SearchStrategy:
    keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=20))

    def extend(children: st.SearchStrategy) -> st.SearchStrategy:
        objects = st.lists(st.tuples(keys, children), max_size=6).map(_object)
        return st.one_of(
            st.lists(children, max_size=5).map(_array),
            objects,
            objects.filter(lambda pair: isinstance(pair[1], dict)).map(_with_prototype),
        )

    return st.recursive(leaves(), extend, max_leaves=12)


def calls() -> st.SearchStrategy:
    """One `_refiner(...)` call: (JavaScript source, decoded Python arguments)."""
    name = st.one_of(
        st.sampled_from(COMMANDS).map(lambda c: (_js(c), c)),
        js_values(),
    )
    args = st.lists(js_values(), max_size=3)
    return st.tuples(name, args).map(
        lambda call: (
            "_refiner(%s)" % ", ".join(js for js, _ in [call[0]] + call[1]),
            [py for _, py in [call[0]] + call[1]],
        )
    )


class _Walk:
    """The loader's reading of one call (static/refiner.js `encode`): values visited and
    characters copied are counted, and beyond their limits the call is unreadable."""

    def __init__(self) -> None:
        self.nodes = 0
        self.chars = 0

    def text(self, value: str) -> str:
        self.chars += len(value)
        if self.chars > MAX_CALL_CHARS:
            raise ValueError("over %d characters" % MAX_CALL_CHARS)
        return value

    def value(self, value: object, level: int = 0) -> object:
        self.nodes += 1
        if value is UNREADABLE or self.nodes > MAX_NODES:
            raise ValueError("unreadable")
        if isinstance(value, str):
            return LONG if len(value) > MAX_TEXT else self.text(value)
        if isinstance(value, (list, dict)) and level >= 32:
            return DEEP
        if isinstance(value, list):
            return [self.value(item, level + 1) for item in value]
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if len(key) > MAX_TEXT:
                    raise ValueError("a name over %d characters" % MAX_TEXT)
                self.text(key)
                out[key] = self.value(item, level + 1)
            return out
        return value


def as_received(value: object) -> object:
    """`value` as the client receives it from the loader, which reads 32 levels deep and
    sends DEEP below, and LONG for a string over MAX_TEXT; raises ValueError when the
    loader cannot read it at all."""
    return _Walk().value(value)


def received_call(args: list) -> object:
    """The arguments of one call as the client gets them, or None when unreadable."""
    walk = _Walk()
    try:
        return [walk.value(arg) for arg in args]
    except ValueError:
        return None
