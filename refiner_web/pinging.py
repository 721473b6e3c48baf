"""The ping: tells the server who is here and learns which surveys they may see, now and
then every `ping_interval_s` the server asks for, while the page is visible.

`stopPinging` ends the background pings; an identity the page hands over afterwards still
goes out in one. A ping the server did not take (no answer, 5xx, 429) is asked again with
the outbox's backoff.
"""

import json

from refiner_web import wire
from refiner_web.devices import device_class
from refiner_web.outbox import backoff_ms, is_retryable
from refiner_web.refusals import error_code

DEFAULT_PING_MS = 300000
MIN_PING_MS = 10000


class Pinger:
    """The ping schedule of one page's client (its identity, project and served forms)."""

    def __init__(self, client: object) -> None:
        self.client = client
        self.platform = client.platform
        self.pinging = True
        self.identity_unsent = False  # sent by the next ping, even with pinging stopped
        self.interval_ms = DEFAULT_PING_MS
        self.timer = None
        self.soon = False
        self.last_ping_ms = None
        self.failures = 0  # pings in a row the server did not take (no answer, 5xx)

    def may_ping(self) -> bool:
        """Background pings, or one to carry an identity the page handed over."""
        return (self.pinging or self.identity_unsent) and self.client.project is not None

    def schedule(self, delay_ms: float) -> None:
        if not self.may_ping():
            return
        if delay_ms == 0:
            if self.soon:
                return
            self.soon = True
        self.cancel()
        self.timer = self.platform.set_timeout(self._ping_now, delay_ms)

    def cancel(self) -> None:
        if self.timer is not None:
            self.platform.clear_timeout(self.timer)
            self.timer = None

    def identity_handed_over(self) -> None:
        """`identifyUser`: the page's own command, so it goes out after `stopPinging` too."""
        self.identity_unsent = True

    def stop(self) -> None:
        """`stopPinging`: no more background pings; one scheduled to carry an identity the
        page handed over stays."""
        self.pinging = False
        if not self.identity_unsent:
            self.cancel()

    def _ping_now(self) -> None:
        self.timer = None
        self.soon = False
        if self.may_ping():
            self.platform.spawn(self.ping())

    async def ping(self) -> None:
        """Tells the server who is here and learns which surveys they may see."""
        client = self.client
        identity = client.identity
        body = {
            "anonymous_id": identity.anonymous_id,
            "user": identity.user_payload(),
            "signature": identity.signature(),
            "locale": identity.locale,
            "page": client.page(),
            "device": device_class(*self.platform.viewport()),
        }
        carried, self.identity_unsent = self.identity_unsent, False
        self.last_ping_ms = self.platform.now_ms()
        status, text, _ = await self.platform.request(
            "POST", client.url("ping"), wire.dumps(body), False
        )
        code = error_code(status, text)
        taken = 200 <= status < 300 or (400 <= status < 500 and not is_retryable(status))
        if 200 <= status < 300:
            self.take_answer(text)
        elif taken:  # refused, a refused origin too
            client.refusals.refused("ping", status, code, text, "")
            self.take_answer('{"forms": []}')  # refused: nothing may be shown
        if taken:
            self.failures = 0
            delay = self.interval_ms
        else:
            # Not taken (no answer, 5xx, 429): asked again soon with the outbox's backoff,
            # not a whole interval later, and an identity it carried is still to be sent.
            self.identity_unsent = self.identity_unsent or carried
            retry_ms = backoff_ms(self.failures, self.platform.random())
            delay = min(self.interval_ms, retry_ms)
            self.failures += 1
        if self.platform.visible() and not self.soon:  # a ping already due stays due
            self.schedule(delay)

    def take_answer(self, text: str) -> None:
        """The surveys served, the interval asked for and the contact's first sight, from
        the server's answer to a ping."""
        client = self.client
        try:
            answer = json.loads(text)
        except ValueError:
            client.warn_command("ping", "the server's answer is not JSON")
            return
        forms = answer.get("forms") if isinstance(answer, dict) else None
        if isinstance(forms, list):
            client.forms = [
                f for f in forms if isinstance(f, dict) and isinstance(f.get("id"), str)
            ]
            client.forms_known = True
        interval = answer.get("ping_interval_s") if isinstance(answer, dict) else None
        if isinstance(interval, (int, float)) and not isinstance(interval, bool):
            self.interval_ms = max(MIN_PING_MS, int(interval * 1000))
        contact = answer.get("contact") if isinstance(answer, dict) else None
        if isinstance(contact, dict):
            client.moments.seen_since(contact.get("first_seen_at"))
        client.moments.forms_served(client.forms)
        client.survey_layer().forms_changed()

    def page_hidden(self) -> None:
        self.cancel()
        self.soon = False

    def page_visible(self) -> None:
        """Due again an interval after the last ping (at once for an identity to send)."""
        waited = self.platform.now_ms() - (self.last_ping_ms or 0)
        self.schedule(0 if self.identity_unsent else max(0, self.interval_ms - waited))
