"""How large a request may be, checked before its body is parsed (`BodyLimitMiddleware`):
its bytes by endpoint, and the JSON values the client API parses."""

from __future__ import annotations

from refiner_web import answers as answer_rules
from refiner_web import values
from refiner_web.wire import CHAR_BYTES

#: JSON values in one client-API body, counted before it is parsed (`json_values`): the
#: parse costs per value, up to ~0.4 us for an empty list or a float, whatever the bytes.
#: The largest legitimate body holds ~10,600: a response to MAX_QUESTIONS multiple-choice
#: questions with every choice and "other" picked (~104 values each), 100 hidden fields
MAX_BODY_VALUES = 12000
#: body limits, from the value rules: what the client sends within them always fits (the
#: arithmetic is in docs/security.md). A character costs at most CHAR_BYTES (the client
#: sends UTF-8, refiner_web.wire), a value at most VALUE_BYTES more (quotes, a separator, a
#: bracket) and a number at most NUMBER_BYTES (`-1.2345678901234567e-308`). Events, views,
#: dismissals: ids and names of at most 255 characters, and a page's URL, title and
#: referrer (2,048 each) in a ping; MAX_BODY_BYTES covers them.
VALUE_BYTES, NUMBER_BYTES = 4, 24
MAX_BODY_BYTES = 64 * 1024
#: 2 x 100 traits (a user's, an account's), each a name and a value of 255 characters
MAX_PING_BYTES = 2 * values.MAX_TRAITS * 2 * values.MAX_NAME * CHAR_BYTES + MAX_BODY_BYTES
#: the answers (`MAX_ANSWER_CHARS`), the hidden fields (`MAX_FIELDS_TEXT`, numbers), and
#: the punctuation of every value the body may hold
MAX_RESPONSE_BYTES = (
    (answer_rules.MAX_ANSWER_CHARS + values.MAX_FIELDS_TEXT) * CHAR_BYTES
    + values.MAX_FIELDS * NUMBER_BYTES
    + MAX_BODY_VALUES * VALUE_BYTES
    + MAX_BODY_BYTES
)
#: what else takes a body (admin API, dashboard forms): survey definitions with translations
MAX_OTHER_BYTES = 4 * 1024 * 1024


def body_limit(path: str, client_prefix: str = "/api/v1/client/") -> int:
    """The body limit of a request to `path`."""
    if not path.startswith(client_prefix):
        return MAX_OTHER_BYTES
    endpoint = path[len(client_prefix) :].split("/", 2)[1:2]
    if endpoint == ["ping"]:
        return MAX_PING_BYTES
    if endpoint == ["responses"]:
        return MAX_RESPONSE_BYTES
    return MAX_BODY_BYTES


def json_values(body: bytes) -> int:
    """An upper bound of the JSON values (object keys included) in `body`, in linear
    C-speed passes that never count text: escaped backslashes and quotes go first, then
    every `"` delimits a string, and outside strings each value is the first, the first of
    a container, after a comma, or an object's value after a colon. A body of more strings
    than MAX_BODY_VALUES answers at once, before a split into as many pieces."""
    if body.find(b"\\") >= 0:
        body = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    strings = body.count(b'"') // 2
    if strings > MAX_BODY_VALUES:
        return strings
    outside = b"".join(body.split(b'"')[::2])
    return 1 + sum(outside.count(char) for char in (b",", b":", b"[", b"{"))
