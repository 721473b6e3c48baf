"""Sending the writes (events, views, dismissals, responses) that `refiner_web.outbox` keeps:
when they are due, one tab at a time, and all of them with keepalive when the page may be
going away."""

from refiner_web import wire
from refiner_web.outbox import origin_refused
from refiner_web.refusals import error_code

LOCK = "refiner:outbox"  # the Web Lock held by the one tab that sends
LOCK_WAIT_MS = 2000


class Sender:
    """Puts one page's writes in its client's outbox and sends them to its API."""

    def __init__(self, client: object) -> None:
        self.client = client
        self.platform = client.platform
        self.outbox = client.outbox
        self.waiting = []  # writes made before `setProject`: their URL names the project
        self.timer = None
        self.flushing = False

    def write(self, key: str, method: str, path: str, body: dict) -> None:
        """Queues a write to `path` of the client API (kept until there is a project)."""
        if self.client.project is None:
            self.waiting.append((key, method, path, body))
            return
        self._queue(key, method, path, body)

    def project_set(self) -> None:
        """`setProject`: the writes that waited for a project join the outbox."""
        for write in self.waiting:
            self._queue(*write)
        self.waiting = []

    def _queue(self, key: str, method: str, path: str, body: dict) -> None:
        client = self.client
        dropped = self.outbox.add(key, method, client.url(path), body, self.platform.now_ms())
        for entry in dropped:
            client.warn_command("outbox", "full; dropped the oldest write %s" % entry["key"])
        if not client.booting:
            self.schedule(0)

    def schedule(self, delay_ms: float) -> None:
        if self.timer is not None:
            self.platform.clear_timeout(self.timer)
        self.timer = self.platform.set_timeout(self._flush_now, max(0, delay_ms))

    def _flush_now(self) -> None:
        self.timer = None
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
            self.schedule(next_ms - self.platform.now_ms())

    async def _send_due(self) -> None:
        """Sends the due writes one at a time and in order; stops at the first to retry."""
        for entry in self.outbox.due(self.platform.now_ms()):
            status, text, retry_after_s = await self.platform.request(
                entry["method"], entry["path"], wire.dumps(entry["body"]), False
            )
            now = self.platform.now_ms()
            code = error_code(status, text)
            outcome = self.outbox.settle(entry, status, now, self.platform.random(), code)
            if outcome == "dropped" or origin_refused(status, code):
                kind = entry["key"].split(":")[0]
                self.client.refusals.refused(kind, status, code, text, "; not retried")
            if retry_after_s:
                self.outbox.postpone_all(now + retry_after_s * 1000)
            if outcome == "retry":
                break

    def flush_on_hide(self) -> None:
        """The page may be going away: hand every waiting write to the browser with
        keepalive. They stay in the outbox; a resend is harmless, the ids make it so."""
        for entry in self.outbox.due(float("inf")):
            self.platform.send_on_exit(entry["method"], entry["path"], wire.dumps(entry["body"]))
