"""Every write to the server, kept until the server has it.

An entry is persisted before it is first sent, carries the id the client made for it (the
server stores each id once, so a retry never duplicates), and is retried with exponential
backoff and jitter while the network fails, the server answers 5xx, 408 or 429, or it
refuses the page's origin (403 `origin_not_allowed`: lifted when the project's owner adds
the site). Any other 4xx means the server will never take it: the entry is dropped with a
warning.
The class is pure: the clock, randomness and storage come from the caller.
"""

import json

from refiner_web import wire

STORAGE_KEY = "refiner:outbox"
PREFIX = STORAGE_KEY + ":"
STAMP_KEY = "refiner:outbox-stamp"  # rewritten by each change of any tab (see `refresh`)
FULL_READ_MS = 10000
"""However still the stamp looks, every entry is read again this often: two tabs that change
the box at the same instant may leave one stamp for both, and a tab must not miss a change
for long."""
BASE_DELAY_MS = 1000
MAX_DELAY_MS = 300000
MAX_ENTRIES = 1000
RETRY_STATUSES = (0, 408, 425, 429)
ORIGIN_REFUSED = "origin_not_allowed"  # the error code of a 403 for the page's origin
REQUEST_TIMEOUT_MS = 20000  # a request unanswered by then failed (status 0): a stalled
# connection must not hold the outbox


def origin_refused(status: int, code: object) -> bool:
    """The server refused the page's origin: a setting of the project, not a fault of the
    request, lifted when the project's owner adds the site to its allowed origins."""
    return status == 403 and code == ORIGIN_REFUSED


def is_retryable(status: int, code: object = None) -> bool:
    """Whether an answer `status` (with the server's error `code`) may turn out otherwise
    later. Status 0 stands for a request that never got an answer."""
    return status >= 500 or status in RETRY_STATUSES or origin_refused(status, code)


def backoff_ms(attempts: int, random: float) -> int:
    """Delay before try number `attempts + 1`: doubling from 1 s, capped at 5 min, with
    "equal jitter" so that many clients coming back together spread out."""
    ceiling = min(MAX_DELAY_MS, BASE_DELAY_MS * (2 ** min(attempts, 20)))
    return int(ceiling / 2 + ceiling / 2 * random)


class Outbox:
    """The queue of unsent writes, shared by every tab of the site. `storage` has get(key)
    -> str|None, set(key, str), remove(key) and keys(prefix) -> list.

    Each entry lives under a key of its own (`refiner:outbox:<entry key>`), so two tabs
    that queue or settle at the same moment touch different keys and never overwrite each
    other's entries, as they could with one shared list.

    `add` and `settle` touch only their own entry, and `due` reads every entry again only
    when another tab changed the box since (a stamp each change rewrites): an offline
    visitor's thousandth write costs what the first did. `token` names this tab in the
    stamp (random, from the caller)."""

    def __init__(self, storage: object, token: str = "tab") -> None:
        self.storage = storage
        self.token = token
        self.order = 0
        self.changes = 0
        self.read_ms = None
        self.seen = None
        self._adopt_list()
        self.load()

    def load(self) -> None:
        """Reads every entry, this tab's and the other tabs', oldest first."""
        self.seen = self.storage.get(STAMP_KEY)  # first: a change made meanwhile shows later
        entries = []
        for name in self.storage.keys(PREFIX):
            entry = self._read(name)
            if entry is not None:
                entries.append(entry)
        entries.sort(key=lambda e: (e["order"], e["key"]))
        self._queue = entries  # oldest first; may hold versions replaced since (stale)
        self._live = {e["key"]: e for e in entries}

    @property
    def entries(self) -> list:
        """The entries this tab knows of, oldest first."""
        if len(self._queue) > len(self._live):
            self._compact()
        return self._queue

    def _compact(self) -> None:
        live = self._live
        self._queue = [e for e in self._queue if live.get(e["key"]) is e]

    def _forget(self, key: str) -> None:
        self._live.pop(key, None)
        self._tidy()

    def _tidy(self) -> None:
        """Replaced versions left in line cost only their room, until they are half of it."""
        if len(self._queue) > 2 * len(self._live) + 16:
            self._compact()

    def _read(self, name: str) -> object:
        try:
            entry = json.loads(self.storage.get(name) or "null")
        except (ValueError, TypeError):
            entry = None
        if _well_formed(entry):
            entry.setdefault("order", 0)
            return entry
        self.storage.remove(name)
        return None

    def refresh(self, now_ms: float) -> None:
        """`load`, when another tab changed the box since this tab last looked, or after
        FULL_READ_MS; otherwise this tab's own view is the box."""
        stale = self.read_ms is None or now_ms - self.read_ms >= FULL_READ_MS
        if stale or self.storage.get(STAMP_KEY) != self.seen:
            self.load()
            self.read_ms = now_ms

    def _changed(self) -> None:
        """Rewrites the stamp, so that the other tabs read the box again."""
        if self.storage.get(STAMP_KEY) != self.seen:
            self.read_ms = None  # another tab changed it too: read everything next time
        self.changes += 1
        self.seen = "%s:%d" % (self.token, self.changes)
        self.storage.set(STAMP_KEY, self.seen)

    def _save(self, entry: dict) -> None:
        self.storage.set(PREFIX + entry["key"], wire.dumps(entry))
        self._changed()

    def _remove(self, key: str) -> None:
        self.storage.remove(PREFIX + key)
        self._changed()

    def _adopt_list(self) -> None:
        """Entries an older client kept as one list under `refiner:outbox` move to keys
        of their own."""
        text = self.storage.get(STORAGE_KEY)
        if text is None:
            return
        try:
            entries = json.loads(text)
        except ValueError:
            entries = []
        for entry in entries if isinstance(entries, list) else []:
            if _well_formed(entry):
                self._save(entry)
        self.storage.remove(STORAGE_KEY)

    def add(self, key: str, method: str, path: str, body: dict, now_ms: float) -> list:
        """Queues a write; a newer write with the same key (a response saved again as the
        user moves on) replaces the older one. Returns the entries dropped for room."""
        self.order += 1
        entry = {
            "key": key,
            "method": method,
            "path": path,
            "body": body,
            "attempts": 0,
            "next_ms": now_ms,
            "order": now_ms + self.order / 1000,
        }
        self._save(entry)
        self._queue.append(entry)
        self._live[key] = entry
        self._tidy()
        dropped = []
        while len(self._live) > MAX_ENTRIES:
            old = self._queue.pop(0)
            if self._live.get(old["key"]) is old:
                del self._live[old["key"]]
                self._remove(old["key"])
                dropped.append(old)
        return dropped

    def due(self, now_ms: float) -> list:
        """Entries whose time to (re)try has come, oldest first."""
        self.refresh(now_ms)
        return [e for e in self.entries if e["next_ms"] <= now_ms]

    def next_due_ms(self) -> object:
        """When the earliest waiting entry may be tried, or None when the box is empty."""
        if not self.entries:
            return None
        return min(e["next_ms"] for e in self.entries)

    def settle(
        self, entry: dict, status: int, now_ms: float, random: float, code: object = None
    ) -> str:
        """Records the answer to one try (`code`: the error code of a refusal): "sent",
        "retry" or "dropped"."""
        key = entry["key"]
        current = self._read(PREFIX + key)
        outcome = "sent"
        if current is None:
            self._forget(key)  # another tab sent it
        elif current["body"] != entry["body"]:
            # A newer version was queued while this one was in flight: keep it waiting.
            outcome = "sent" if 200 <= status < 300 else "retry"
        elif 200 <= status < 300:
            self._remove(key)
            self._forget(key)
        elif is_retryable(status, code):
            current["attempts"] += 1
            current["next_ms"] = now_ms + backoff_ms(current["attempts"] - 1, random)
            current.pop("held", None)
            self._save(current)
            self._replace(current)
            outcome = "retry"
        else:
            self._remove(key)
            self._forget(key)
            outcome = "dropped"
        return outcome

    def _replace(self, entry: dict) -> None:
        """The stored `entry` in place of this tab's copy, which keeps its place in line."""
        mine = self._live.get(entry["key"])
        if mine is None:
            self._queue.append(entry)
            self._live[entry["key"]] = entry
            return
        mine.clear()
        mine.update(entry)

    def postpone_all(self, until_ms: float) -> None:
        """Honours a server's Retry-After for every waiting entry."""
        self.load()
        for entry in self.entries:
            entry["next_ms"] = max(entry["next_ms"], until_ms)
            entry["held"] = True
            self._save(entry)

    def wake(self, now_ms: float) -> None:
        """A new page is a fresh chance: backoff left by an earlier page is forgotten,
        a server's Retry-After is not."""
        self.refresh(now_ms)
        for entry in self.entries:
            if not entry.get("held") and entry["next_ms"] > now_ms:
                entry["next_ms"] = now_ms
                self._save(entry)


def _well_formed(entry: object) -> bool:
    if not isinstance(entry, dict):
        return False
    for field in ("key", "method", "path", "body", "attempts", "next_ms"):
        if field not in entry:
            return False
    return True
