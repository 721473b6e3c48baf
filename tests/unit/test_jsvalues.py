import json
import math

import pytest

from refiner_web.jsvalues import UNDEFINED, JsFunction, Opaque, decode_call


def test_markers_decode_to_python_values():
    fns = ["f0", "f1"]
    text = json.dumps(
        [
            "onShow",
            {"\x00": "fn", "i": 1},
            {"\x00": "undefined"},
            {"\x00": "nan"},
            {"\x00": "-inf"},
            {"\x00": "date", "v": "2020-01-01T00:00:00.000Z"},
            {"\x00": "symbol"},
        ]
    )
    args = decode_call(text, fns)
    assert args[0] == "onShow"
    assert isinstance(args[1], JsFunction) and args[1].fn == "f1"
    assert args[2] is UNDEFINED
    assert math.isnan(args[3]) and args[4] == float("-inf")
    assert args[5] == "2020-01-01T00:00:00.000Z"
    assert isinstance(args[6], Opaque) and args[6].kind == "symbol"


def test_escaped_keys_and_prototype_keys_are_plain_data():
    args = decode_call(json.dumps([{"\x00\x00x": 1, "__proto__": {"polluted": True}}]), [])
    assert args == [{"\x00x": 1, "__proto__": {"polluted": True}}]


def test_non_array_is_refused():
    with pytest.raises(ValueError):
        decode_call('{"a": 1}', [])
