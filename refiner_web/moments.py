"""The moments triggers count from, kept across page loads, and the calls to `Triggers.due`.

`refiner_web.triggers` decides; this module feeds it: the session start (a new session after
an hour without activity), when this browser was first seen, when each survey entered the
audience, the events tracked on this page load, the scroll depth and the last exit intent.
It runs `due` whenever one of them changes, keeps one timer for the next deadline, and
hands what is due to the client's survey queue.
"""

from refiner_web import triggers
from refiner_web.dates import ms_from_iso

SESSION_KEY = "refiner:session"
FIRST_SEEN_KEY = "refiner:first_seen"
AUDIENCE_KEY = "refiner:audience"
MAX_PAGE_EVENTS = 200


class Moments:
    """What one page's client (`client`: its platform, storage, served forms, page and
    survey queue) counts from."""

    def __init__(self, client: object) -> None:
        self.client = client
        now = client.platform.now_ms()
        self.triggers = triggers.Triggers(now)
        self.events = []
        self.scroll_percent = 0
        self.exit_intent_ms = None
        self.timer = None
        self.watching = []
        storage = client.storage
        self.first_seen_ms = storage.get_json(FIRST_SEEN_KEY) or now
        storage.set_json(FIRST_SEEN_KEY, self.first_seen_ms)
        self.audience = storage.get_json(AUDIENCE_KEY) or {}
        self.session = storage.get_json(SESSION_KEY) or {}
        self.active(now)

    def active(self, now: int) -> None:
        """Any activity of the user: keeps the session alive, or starts a new one."""
        start = triggers.session_start(self.session.get("start"), self.session.get("last"), now)
        self.session = {"start": start, "last": now}
        self.client.storage.set_json(SESSION_KEY, self.session)

    # -- what changes --------------------------------------------------------------------

    def seen_since(self, first_seen_at: object) -> None:
        """The server's first sight of this contact (across devices once identified) wins
        over this browser's own when it is earlier."""
        try:
            server_ms = ms_from_iso(first_seen_at)
        except (TypeError, ValueError, IndexError):
            return
        if server_ms < self.first_seen_ms:
            self.first_seen_ms = server_ms
            self.client.storage.set_json(FIRST_SEEN_KEY, server_ms)

    def forms_served(self, forms: list) -> None:
        now = self.client.platform.now_ms()
        ids = [form["id"] for form in forms]
        self.audience = triggers.audience_entered(self.audience, ids, now)
        self.client.storage.set_json(AUDIENCE_KEY, self.audience)
        self._watch(forms)
        self.check()

    def event(self, name: str) -> None:
        now = self.client.platform.now_ms()
        self.events = (self.events + [[name, now]])[-MAX_PAGE_EVENTS:]
        self.active(now)
        self.check()

    def scrolled(self, percent: int) -> None:
        if percent > self.scroll_percent:
            self.scroll_percent = percent
            self.check()

    def exit_intent(self) -> None:
        self.exit_intent_ms = self.client.platform.now_ms()
        self.check()

    def route_changed(self) -> None:
        self.scroll_percent = 0
        self.active(self.client.platform.now_ms())
        self.check()

    def _watch(self, forms: list) -> None:
        """Asks the browser for scroll and exit-intent signals only when a survey needs
        them: a host page without such surveys pays for no listener."""
        for form in forms:
            trigger = form.get("trigger")
            kind = trigger.get("type") if isinstance(trigger, dict) else None
            if kind in ("scroll", "exit_intent") and kind not in self.watching:
                self.watching.append(kind)
                platform = self.client.platform
                if kind == "scroll":
                    platform.watch_scroll(self.scrolled)
                else:
                    platform.watch_exit_intent(self.exit_intent)

    # -- deciding ------------------------------------------------------------------------

    def check(self) -> None:
        """Runs the trigger machine now and hands what is due to the survey queue."""
        client = self.client
        if not client.forms_known:
            return
        now = client.platform.now_ms()
        due_ids, next_ms, cancelled = self.triggers.due(
            client.forms,
            {
                "now_ms": now,
                "url": client.page()["url"],
                "session_start_ms": self.session.get("start"),
                "first_seen_ms": self.first_seen_ms,
                "audience_entered_ms": self.audience,
                "events": self.events,
                "scroll_percent": self.scroll_percent,
                "exit_intent_ms": self.exit_intent_ms,
            },
        )
        if self.timer is not None:
            client.platform.clear_timeout(self.timer)
            self.timer = None
        if next_ms is not None:
            self.timer = client.platform.set_timeout(self._deadline, max(0, next_ms - now))
        surveys = client.survey_layer()
        surveys.triggered(due_ids)
        surveys.withdraw(cancelled)

    def _deadline(self) -> None:
        self.timer = None
        self.check()
