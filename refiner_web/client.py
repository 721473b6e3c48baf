"""The client: each `_refiner(...)` call dispatched to one method per command of the
reference documents, and the parts those methods drive.

Pure Python. Everything that touches the browser goes through `platform` (see
`refiner_web.browser` for the real one) and the survey on screen through `make_view`, both
handed in by `refiner_web.boot`; tests drive the same class under CPython. The parts, each a
module: `identity` (who is here), `pinging` (what the server serves), `sending` (every
write, kept by `outbox`), `lifecycle` (the page's callbacks), `moments` (what triggers count
from), `refusals` (what the server refused) and, imported when first needed, the survey
queue (`surveys`).
"""

import re

from refiner_web import commands
from refiner_web.commands import CALLBACKS, CommandError
from refiner_web.dates import iso_from_ms
from refiner_web.identity import Identity
from refiner_web.lifecycle import Lifecycle
from refiner_web.moments import Moments
from refiner_web.outbox import Outbox
from refiner_web.pinging import Pinger
from refiner_web.refusals import Refusals
from refiner_web.sending import Sender
from refiner_web.storage import SafeStore
from refiner_web.tryout import Tryout
from refiner_web.values import MAX_URL, storable

#: console lines one call may cost (then one line with the count of the rest): with the
#: developer tools open each is a trip to them, ~1 ms, and a call of 1,000 bad traits froze
#: the page for a second (bench/security.py)
MAX_WARNINGS = 10
#: the characters `printable` escapes, but NUL (MicroPython's `re` takes no NUL in a pattern)
_CONTROL = re.compile("[\x01-\x1f\x7f]")


class Client:
    """State of one page's client and the dispatcher of its commands. `make_view(form,
    locale, hooks)` makes the view that draws a survey (see `refiner_web.surveys`);
    `make_button(form_id, spec, pressed)` the feedback button (`refiner_web.feedback`),
    None where there is none (the link page)."""

    def __init__(
        self, platform: object, api: str, make_view: object, make_button: object = None
    ) -> None:
        self.platform = platform
        self.api = api.rstrip("/")
        self.make_view = make_view
        self.make_button = make_button
        self.link = None  # a one-time link's token, sent with every write (the link page)
        self.storage = SafeStore(platform.storage(), self.warn)
        self.outbox = Outbox(self.storage, platform.random_id())
        self.project = None
        self.booting = True
        self.identity = Identity(platform, self.storage)
        self.response_data = []
        self.lifecycle = Lifecycle(platform, self.warn_command)
        self.forms = []  # the surveys served to this user, as the last ping answered
        self.forms_known = False
        self.surveys = None
        self.refusals = Refusals(self)
        self.sender = Sender(self)
        self.pinger = Pinger(self)
        self.moments = Moments(self)
        self.tryout = Tryout(self)
        platform.on_visibility(self._page_hidden, self._page_visible)
        platform.on_route_change(self._route_changed)

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
            self.warn_command(name, text)
        if len(notes) > MAX_WARNINGS:
            self.warn_command(name, "%d more warnings not shown" % (len(notes) - MAX_WARNINGS))

    def finish_boot(self) -> None:
        """Called once the queued calls ran: the first ping carries their identity."""
        self.booting = False
        self.outbox.wake(self.platform.now_ms())
        self.pinger.schedule(0)
        self.sender.schedule(0)
        self.tryout.start()

    # -- commands ----------------------------------------------------------------------

    def set_project(self, args: list, warn: object) -> None:
        project = commands.parse_project(args, warn)
        changed = project != self.project
        self.project = project
        self.sender.project_set()
        if changed and not self.booting:
            self.pinger.schedule(0)
            self.tryout.start()

    def identify_user(self, args: list, warn: object) -> None:
        self.identity.identify(commands.parse_identify(args, warn))
        self.pinger.identity_handed_over()
        if not self.booting:
            self.pinger.schedule(0)

    def reset_user(self, args: list, warn: object) -> None:
        """Back to anonymous mode; the anonymous cookie stays, as the documents say."""
        commands.parse_nothing(args, warn)
        self.identity.reset()
        if not self.booting:
            self.pinger.schedule(0)

    def track_event(self, args: list, warn: object) -> None:
        name = commands.parse_event_name(args, warn)
        event_id = self.platform.random_id()
        fields = {"event_id": event_id, "name": name, "occurred_at": self.now_iso()}
        self.sender.write("event:" + event_id, "POST", "events", self.identity.ids(fields))
        self.moments.event(name)

    def show_form(self, args: list, warn: object) -> None:
        form_id, force = commands.parse_show_form(args, warn)
        self.survey_layer().show(form_id, force)

    def dismiss_form(self, args: list, warn: object) -> None:
        self.survey_layer().dismiss(commands.parse_form_id(args, warn))

    def close_form(self, args: list, warn: object) -> None:
        self.survey_layer().close(commands.parse_form_id(args, warn))

    def add_to_response(self, args: list, warn: object) -> None:
        """Hidden fields for the next response; later calls add to earlier ones, null clears."""
        fields = commands.parse_response_data(args, warn, self.response_data)
        self.response_data = [] if fields is None else fields

    def set_locale(self, args: list, warn: object) -> None:
        self.identity.set_locale(commands.parse_locale(args, warn))

    def stop_pinging(self, args: list, warn: object) -> None:
        """Ends every background request; writes the page asks for still go out, and so
        does an identity it handed over (the ping scheduled for it stays)."""
        commands.parse_nothing(args, warn)
        self.pinger.stop()

    def register_callback(self, name: str, args: list, warn: object) -> None:
        self.lifecycle.register(name, commands.parse_callback(args, warn))

    # -- what the parts use ------------------------------------------------------------

    def survey_layer(self) -> object:
        """The survey queue (`refiner_web.surveys.Surveys`), imported when first needed:
        boot imports it while the first ping is out, not before the page goes live."""
        if self.surveys is None:
            from refiner_web.surveys import Surveys

            self.surveys = Surveys(self, self.make_view)
        return self.surveys

    def record(self, kind: str, key: str, method: str, path: str, fields: dict) -> None:
        """Queues a write of the survey layer (a view, a dismissal, a response); through a
        one-time link, with its token (the server files it under the link's person)."""
        if self.link is not None:
            fields["link"] = self.link
        self.sender.write(kind + ":" + key, method, path, self.identity.ids(fields))

    def hidden_fields(self) -> dict:
        return dict(self.response_data)

    def page(self) -> dict:
        """The page's URL, title and referrer as text the server always stores
        (values.storable): a title with a NUL once made every ping from its page fail."""
        fields = self.platform.page()
        return {key: storable(fields[key], MAX_URL) for key in ("url", "title", "referrer")}

    def url(self, path: str) -> str:
        """The URL of `path` in this project's client API."""
        return "%s/api/v1/client/%s/%s" % (self.api, self.project, path)

    def now_iso(self) -> str:
        return iso_from_ms(self.platform.now_ms())

    def warn(self, message: str) -> None:
        """One console line, `[refiner] message`."""
        self.platform.warn(printable("[refiner] " + message))

    def warn_command(self, command: str, text: str) -> None:
        """One console line naming the command (or part) it is about; a stranger's
        megabyte-long command name is cut short."""
        self.warn("%s: %s" % (command[:64], text))

    # -- the page ----------------------------------------------------------------------

    def _route_changed(self) -> None:
        """A single-page app moved: triggers count from here, and the feedback button
        follows its page rules."""
        self.moments.route_changed()
        if self.surveys is not None and self.surveys.feedback is not None:
            self.surveys.feedback.refresh()

    def _page_hidden(self) -> None:
        self.pinger.page_hidden()
        self.sender.flush_on_hide()

    def _page_visible(self) -> None:
        if not self.pinger.may_ping() or self.booting:
            return
        self.pinger.page_visible()
        self.sender.schedule(0)


def printable(text: str) -> str:
    """Control characters as escapes: a stranger's NUL would end the line on MicroPython."""
    if "\x00" not in text and _CONTROL.search(text) is None:
        return text  # the usual case, without a loop over characters
    out = []
    for char in text:
        out.append(char if " " <= char != "\x7f" else "\\x%02x" % ord(char))
    return "".join(out)


def _callback_handler(name: str) -> object:
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
