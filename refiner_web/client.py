"""The client: one method per command of the reference documents.

Pure Python. Everything that touches the browser goes through `platform` (see
`refiner_web.browser` for the real one); tests drive the same class under CPython.
"""

import json
import re

from refiner_web import commands, wire
from refiner_web.commands import CALLBACKS, CommandError
from refiner_web.dates import iso_from_ms
from refiner_web.moments import Moments
from refiner_web.outbox import Outbox, backoff_ms, is_retryable, origin_refused
from refiner_web.storage import SafeStore
from refiner_web.values import MAX_URL, storable

COOKIE = "refiner_anonymous_id"
COOKIE_MAX_AGE_S = 2 * 365 * 24 * 3600
USER_KEY = "refiner:user"
LOCALE_KEY = "refiner:locale"
ANON_KEY = "refiner:anonymous_id"
DEFAULT_PING_MS = 300000
LOCK = "refiner:outbox"  # the Web Lock held by the one tab that sends
LOCK_WAIT_MS = 2000
MIN_PING_MS = 10000
#: console lines one call may cost (then one line with the count of the rest): with the
#: developer tools open each is a trip to them, ~1 ms, and a call of 1,000 bad traits froze
#: the page for a second (bench/security.py)
MAX_WARNINGS = 10
#: the characters `_printable` escapes, but NUL (MicroPython's `re` takes no NUL in a pattern)
_CONTROL = re.compile("[\x01-\x1f\x7f]")


def _is_hex_id(value: object) -> bool:
    if not isinstance(value, str) or len(value) != 32:
        return False
    for char in value:
        if char not in "0123456789abcdef":
            return False
    return True


class Client:
    """State of one page's client and the dispatcher of its commands."""

    def __init__(self, platform: object, api: str) -> None:
        self.platform = platform
        self.api = api.rstrip("/")
        self.storage = SafeStore(platform.storage(), self._warn_plain)
        self.outbox = Outbox(self.storage, platform.random_id())
        self.project = None
        self.waiting_writes = []
        self.anonymous_id = self._anonymous_id()
        self.user = self._load_json(USER_KEY)
        self.locale = self.storage.get(LOCALE_KEY)
        self.response_data = []
        self.callbacks = {}
        self.forms = []
        self.forms_known = False
        self.surveys = None
        self.pinging = True
        self.identity_unsent = False  # sent by the next ping, even with pinging stopped
        self.booting = True
        self.ping_interval_ms = DEFAULT_PING_MS
        self.ping_timer = None
        self.ping_soon = False
        self.last_ping_ms = None
        self.ping_failures = 0  # pings in a row the server did not take (no answer, 5xx)
        self.flush_timer = None
        self.flushing = False
        self.origin_warned = False
        self.moments = Moments(self)
        platform.on_visibility(self._page_hidden, self._page_visible)
        platform.on_route_change(self.moments.route_changed)

    # -- the command queue -------------------------------------------------------------

    def dispatch(self, args: list) -> None:
        """Runs one `_refiner(name, ...)` call. Never raises: the host page must not see
        our errors, so every fault becomes one console warning."""
        name = "_refiner"
        notes = []
        try:
            name = commands.parse_name(args[0] if args else None)
            handler = HANDLERS.get(name)
            if handler is None:
                notes.append("unknown command")
            else:
                handler(self, args[1:], notes.append)
        except CommandError as error:
            notes = [str(error)]  # the call did not run: the rule it broke is all there is
        except Exception as error:  # noqa: BLE001 - the page must never see our exception
            notes.append("internal error: %r" % (error,))
        for text in notes[:MAX_WARNINGS]:
            self._warn(name, text)
        if len(notes) > MAX_WARNINGS:
            self._warn(name, "%d more warnings not shown" % (len(notes) - MAX_WARNINGS))

    def finish_boot(self) -> None:
        """Called once the queued calls ran: the first ping carries their identity."""
        self.booting = False
        self.outbox.wake(self.platform.now_ms())
        self._schedule_ping(0)
        self._schedule_flush(0)

    # -- commands ----------------------------------------------------------------------

    def set_project(self, args: list, warn) -> None:
        project = commands.parse_project(args, warn)
        changed = project != self.project
        self.project = project
        for write in self.waiting_writes:
            self._queue(*write)
        self.waiting_writes = []
        if changed and not self.booting:
            self._schedule_ping(0)

    def identify_user(self, args: list, warn) -> None:
        identity = commands.parse_identify(args, warn)
        if identity["locale"] is not None:
            self._store_locale(identity["locale"])
        self.user = identity
        self.storage.set(USER_KEY, json.dumps(identity))
        self.identity_unsent = True  # the page's own command: it goes out after stopPinging
        if not self.booting:
            self._schedule_ping(0)

    def reset_user(self, args: list, warn) -> None:
        """Back to anonymous mode; the anonymous cookie stays, as the documents say."""
        commands.parse_nothing(args, warn)
        self.user = None
        self.storage.remove(USER_KEY)
        if not self.booting:
            self._schedule_ping(0)

    def track_event(self, args: list, warn) -> None:
        name = commands.parse_event_name(args, warn)
        event_id = self.platform.random_id()
        body = self._ids({"event_id": event_id, "name": name, "occurred_at": self._now_iso()})
        self._write("event:" + event_id, "POST", "events", body)
        self.moments.event(name)

    def show_form(self, args: list, warn) -> None:
        form_id, force = commands.parse_show_form(args, warn)
        self._survey_layer().show(form_id, force)

    def dismiss_form(self, args: list, warn) -> None:
        self._survey_layer().dismiss(commands.parse_form_id(args, warn))

    def close_form(self, args: list, warn) -> None:
        self._survey_layer().close(commands.parse_form_id(args, warn))

    def add_to_response(self, args: list, warn) -> None:
        """Hidden fields for the next response; later calls add to earlier ones, null clears."""
        fields = commands.parse_response_data(args, warn, self.response_data)
        self.response_data = [] if fields is None else fields

    def set_locale(self, args: list, warn) -> None:
        self._store_locale(commands.parse_locale(args, warn))

    def stop_pinging(self, args: list, warn) -> None:
        """Ends every background request; writes the page asks for still go out, and so
        does an identity it handed over (the ping scheduled for it stays)."""
        commands.parse_nothing(args, warn)
        self.pinging = False
        if not self.identity_unsent:
            self._cancel_ping()

    def register_callback(self, name: str, args: list, warn) -> None:
        fn = commands.parse_callback(args, warn)
        if fn is None:
            self.callbacks.pop(name, None)
        else:
            self.callbacks[name] = fn

    # -- what the survey layer uses ----------------------------------------------------

    def emit(self, name: str, args: list, next_step: object = None) -> object:
        """Calls a page callback; its exception is logged and the survey goes on.
        Returns what it returned ("false" when it returned false). `next_step`, when
        given, is passed as the last argument (onBeforeShow's `next`)."""
        fn = self.callbacks.get(name)
        if fn is None:
            return None
        try:
            return self.platform.call(fn, args, next_step)
        except Exception as error:  # noqa: BLE001
            self._warn(name, "callback raised %r" % (error,))
            return "error"

    def record(self, kind: str, key: str, method: str, path: str, fields: dict) -> None:
        """Queues a write of the survey layer (a view, a dismissal, a response)."""
        self._write(kind + ":" + key, method, path, self._ids(fields))

    def hidden_fields(self) -> dict:
        return dict(self.response_data)

    def _survey_layer(self) -> object:
        if self.surveys is None:
            from refiner_web.surveys import Surveys

            self.surveys = Surveys(self)
        return self.surveys

    # -- identity ----------------------------------------------------------------------

    def _anonymous_id(self) -> str:
        """The id kept in the `refiner_anonymous_id` cookie (localStorage when cookies are
        off), made from 128 random bits on first sight and kept about two years."""
        platform = self.platform
        value = platform.get_cookie(COOKIE)
        if not _is_hex_id(value):
            value = self.storage.get(ANON_KEY)
        if not _is_hex_id(value):
            value = platform.random_id()
        platform.set_cookie(COOKIE, value, COOKIE_MAX_AGE_S)
        self.storage.set(ANON_KEY, value)
        return value

    def _store_locale(self, locale: str) -> None:
        self.locale = locale
        self.storage.set(LOCALE_KEY, locale)

    def _load_json(self, key: str) -> object:
        text = self.storage.get(key)
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError:
            self.storage.remove(key)
            return None

    def _ids(self, fields: dict) -> dict:
        """Who a write is from. The account id goes along only so that the server can check
        a signature that covers it (docs/security.md)."""
        user = self.user
        fields["anonymous_id"] = self.anonymous_id
        fields["user_id"] = user["id"] if user else None
        fields["signature"] = user["signature"] if user else None
        if user and user["account"] is not None:
            fields["account_id"] = user["account"]["id"]
        return fields

    def user_payload(self) -> object:
        user = self.user
        if user is None:
            return None
        account = user["account"]
        return {
            "id": user["id"],
            "email": user["email"],
            "name": user["name"],
            "traits": dict(user["traits"]),
            "account": None
            if account is None
            else {"id": account["id"], "name": account["name"], "traits": dict(account["traits"])},
        }

    # -- pinging -----------------------------------------------------------------------

    def _may_ping(self) -> bool:
        """Background pings, or one to carry an identity the page handed over."""
        return (self.pinging or self.identity_unsent) and self.project is not None

    def _schedule_ping(self, delay_ms: float) -> None:
        if not self._may_ping():
            return
        if delay_ms == 0:
            if self.ping_soon:
                return
            self.ping_soon = True
        self._cancel_ping()
        self.ping_timer = self.platform.set_timeout(self._ping_now, delay_ms)

    def _cancel_ping(self) -> None:
        if self.ping_timer is not None:
            self.platform.clear_timeout(self.ping_timer)
            self.ping_timer = None

    def _ping_now(self) -> None:
        self.ping_timer = None
        self.ping_soon = False
        if self._may_ping():
            self.platform.spawn(self.ping())

    async def ping(self) -> None:
        """Tells the server who is here and learns which surveys they may see."""
        body = {
            "anonymous_id": self.anonymous_id,
            "user": self.user_payload(),
            "signature": self.user["signature"] if self.user else None,
            "locale": self.locale,
            "page": self.page(),
        }
        carried, self.identity_unsent = self.identity_unsent, False
        self.last_ping_ms = self.platform.now_ms()
        status, text, _ = await self.platform.request(
            "POST", self._url("ping"), wire.dumps(body), False
        )
        code = _error_code(status, text)
        taken = 200 <= status < 300 or (400 <= status < 500 and not is_retryable(status))
        if 200 <= status < 300:
            self._take_ping_answer(text)
        elif taken:  # refused, a refused origin too
            self._refused("ping", status, code, text, "")
            self._take_ping_answer('{"forms": []}')  # refused: nothing may be shown
        if taken:
            self.ping_failures = 0
            delay = self.ping_interval_ms
        else:
            # Not taken (no answer, 5xx, 429): asked again soon with the outbox's backoff,
            # not a whole interval later, and an identity it carried is still to be sent.
            self.identity_unsent = self.identity_unsent or carried
            retry_ms = backoff_ms(self.ping_failures, self.platform.random())
            delay = min(self.ping_interval_ms, retry_ms)
            self.ping_failures += 1
        if self.platform.visible() and not self.ping_soon:  # a ping already due stays due
            self._schedule_ping(delay)

    def page(self) -> dict:
        """The page's URL, title and referrer as text the server always stores
        (values.storable): a title with a NUL once made every ping from its page fail."""
        fields = self.platform.page()
        return {key: storable(fields[key], MAX_URL) for key in ("url", "title", "referrer")}

    def _take_ping_answer(self, text: str) -> None:
        try:
            answer = json.loads(text)
        except ValueError:
            self._warn("ping", "the server's answer is not JSON")
            return
        forms = answer.get("forms") if isinstance(answer, dict) else None
        if isinstance(forms, list):
            self.forms = [f for f in forms if isinstance(f, dict) and isinstance(f.get("id"), str)]
            self.forms_known = True
        interval = answer.get("ping_interval_s") if isinstance(answer, dict) else None
        if isinstance(interval, (int, float)) and not isinstance(interval, bool):
            self.ping_interval_ms = max(MIN_PING_MS, int(interval * 1000))
        contact = answer.get("contact") if isinstance(answer, dict) else None
        if isinstance(contact, dict):
            self.moments.seen_since(contact.get("first_seen_at"))
        self.moments.forms_served(self.forms)
        self._survey_layer().forms_changed()

    def _page_hidden(self) -> None:
        self._cancel_ping()
        self.ping_soon = False
        self.flush_on_hide()

    def _page_visible(self) -> None:
        if not self._may_ping() or self.booting:
            return
        waited = self.platform.now_ms() - (self.last_ping_ms or 0)
        self._schedule_ping(0 if self.identity_unsent else max(0, self.ping_interval_ms - waited))
        self._schedule_flush(0)

    # -- writes ------------------------------------------------------------------------

    def _write(self, key: str, method: str, path: str, body: dict) -> None:
        if self.project is None:
            self.waiting_writes.append((key, method, path, body))
            return
        self._queue(key, method, path, body)

    def _queue(self, key: str, method: str, path: str, body: dict) -> None:
        dropped = self.outbox.add(key, method, self._url(path), body, self.platform.now_ms())
        for entry in dropped:
            self._warn("outbox", "full; dropped the oldest write %s" % entry["key"])
        if not self.booting:
            self._schedule_flush(0)

    def _url(self, path: str) -> str:
        return "%s/api/v1/client/%s/%s" % (self.api, self.project, path)

    def _schedule_flush(self, delay_ms: float) -> None:
        if self.flush_timer is not None:
            self.platform.clear_timeout(self.flush_timer)
        self.flush_timer = self.platform.set_timeout(self._flush_now, max(0, delay_ms))

    def _flush_now(self) -> None:
        self.flush_timer = None
        self.platform.spawn(self.flush())

    async def flush(self) -> None:
        """Sends every due write, then waits for the next. One tab of the site sends at a
        time (a Web Lock, see `platform.exclusive`): the outbox is shared, so a second
        sender would only send the same entries twice."""
        if self.flushing:
            return
        self.flushing = True
        try:
            sent_here = await self.platform.exclusive(LOCK, self._send_due)
        finally:
            self.flushing = False
        self.outbox.refresh(self.platform.now_ms())
        next_ms = self.outbox.next_due_ms()
        if next_ms is not None:
            if not sent_here:  # another tab is sending; look again when it may be done
                next_ms = max(next_ms, self.platform.now_ms() + LOCK_WAIT_MS)
            self._schedule_flush(next_ms - self.platform.now_ms())

    async def _send_due(self) -> None:
        """Sends the due writes one at a time and in order; stops at the first to retry."""
        for entry in self.outbox.due(self.platform.now_ms()):
            status, text, retry_after_s = await self.platform.request(
                entry["method"], entry["path"], wire.dumps(entry["body"]), False
            )
            now = self.platform.now_ms()
            code = _error_code(status, text)
            outcome = self.outbox.settle(entry, status, now, self.platform.random(), code)
            if outcome == "dropped" or origin_refused(status, code):
                self._refused(entry["key"].split(":")[0], status, code, text, "; not retried")
            if retry_after_s:
                self.outbox.postpone_all(now + retry_after_s * 1000)
            if outcome == "retry":
                break

    def flush_on_hide(self) -> None:
        """The page may be going away: hand every waiting write to the browser with
        keepalive. They stay in the outbox; a resend is harmless, the ids make it so."""
        for entry in self.outbox.due(float("inf")):
            self.platform.send_on_exit(entry["method"], entry["path"], wire.dumps(entry["body"]))

    # -- small helpers -----------------------------------------------------------------

    def _now_iso(self) -> str:
        return iso_from_ms(self.platform.now_ms())

    def refused_origin(self, kind: str, status: int, text: str) -> bool:
        """Whether the server refused the page's origin (then told once a page)."""
        code = _error_code(status, text)
        if not origin_refused(status, code):
            return False
        self._refused(kind, status, code, text, "")
        return True

    def _refused(self, kind: str, status: int, code: object, text: str, note: str) -> None:
        """Warns of a refusal. A refused origin is the site owner's to fix and repeats on
        every request until then, so it is told once a page; the writes wait for it."""
        if not origin_refused(status, code):
            self._warn(kind, "server refused (%d): %s%s" % (status, _error_message(text), note))
        elif not self.origin_warned:
            self.origin_warned = True
            self._warn(
                kind,
                "this site's origin is not in project %s's allowed origins (%s): answers are "
                "kept and sent once it is allowed" % (self.project, _error_message(text)),
            )

    def _warn(self, command: str, text: str) -> None:
        """One console line; a stranger's megabyte-long command name is cut short."""
        self.platform.warn(_printable("[refiner] %s: %s" % (command[:64], text)))

    def _warn_plain(self, text: str) -> None:
        self.platform.warn(_printable("[refiner] " + text))


def _printable(text: str) -> str:
    """Control characters as escapes: a stranger's NUL would end the line on MicroPython."""
    if "\x00" not in text and _CONTROL.search(text) is None:
        return text  # the usual case, without a loop over characters
    out = []
    for char in text:
        out.append(char if " " <= char != "\x7f" else "\\x%02x" % ord(char))
    return "".join(out)


def _error_field(text: str, field: str) -> object:
    """`field` of the server's `{"error": {...}}` answer, or None."""
    try:
        return json.loads(text)["error"][field]
    except (ValueError, KeyError, TypeError):
        return None


def _error_code(status: int, text: str) -> object:
    """The code of a refusal (the client tells refusals apart by it); None for an answer."""
    return _error_field(text, "code") if status >= 400 else None


def _error_message(text: str) -> str:
    message = _error_field(text, "message")
    return message if isinstance(message, str) else text[:200]


def _callback_handler(name: str):
    return lambda client, args, warn: client.register_callback(name, args, warn)


HANDLERS = {
    "setProject": Client.set_project,
    "identifyUser": Client.identify_user,
    "resetUser": Client.reset_user,
    "trackEvent": Client.track_event,
    "showForm": Client.show_form,
    "dismissForm": Client.dismiss_form,
    "closeForm": Client.close_form,
    "addToResponse": Client.add_to_response,
    "setLocale": Client.set_locale,
    "stopPinging": Client.stop_pinging,
}
for _name in CALLBACKS:
    HANDLERS[_name] = _callback_handler(_name)
