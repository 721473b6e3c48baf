"""JSON as the client sends and keeps it: compact, and UTF-8 on both runtimes.

CPython's (Pyodide's) `json.dumps` escapes every non-ASCII character by default: an emoji
became 12 bytes (`\\ud83d\\ude00`), three times its UTF-8, and a legitimate identify of wide
traits outgrew the server's ping limit and was lost (issue 13). MicroPython writes
non-ASCII as it is and takes no `ensure_ascii`. Either way the most one character costs is
CHAR_BYTES: a control character's `\\u0001`; the server's body limits are built on it.
"""

import json
import sys

#: the most bytes one character of a string takes in `dumps`' output
CHAR_BYTES = 6
_MICROPYTHON = sys.implementation.name == "micropython"


def dumps(value: object) -> str:
    """`value` as compact JSON that keeps non-ASCII text as it is."""
    if _MICROPYTHON:
        return json.dumps(value, separators=(",", ":"))
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
