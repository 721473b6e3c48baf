"""Every write to the server, kept until the server has it.

An entry is persisted before it is first sent, carries the id the client made for it (the
server stores each id once, so a retry never duplicates), and is retried with exponential
backoff and jitter while the network fails or the server answers 5xx, 408 or 429. Any
other 4xx means the server will never take it: the entry is dropped with a warning.
The class is pure: the clock, randomness and storage come from the caller.
"""

import json

STORAGE_KEY = "refiner:outbox"
BASE_DELAY_MS = 1000
MAX_DELAY_MS = 300000
MAX_ENTRIES = 1000
RETRY_STATUSES = (0, 408, 425, 429)


def is_retryable(status: int) -> bool:
    """Status 0 stands for a request that never got an answer."""
    return status >= 500 or status in RETRY_STATUSES


def backoff_ms(attempts: int, random: float) -> int:
    """Delay before try number `attempts + 1`: doubling from 1 s, capped at 5 min, with
    "equal jitter" so that many clients coming back together spread out."""
    ceiling = min(MAX_DELAY_MS, BASE_DELAY_MS * (2 ** min(attempts, 20)))
    return int(ceiling / 2 + ceiling / 2 * random)


class Outbox:
    """The queue of unsent writes. `storage` has get(key) -> str|None and set(key, str)."""

    def __init__(self, storage: object) -> None:
        self.storage = storage
        self.entries = []
        self.load()

    def load(self) -> None:
        """Reads the entries a previous page left (another tab may have added some)."""
        text = self.storage.get(STORAGE_KEY)
        entries = []
        if text:
            try:
                entries = [e for e in json.loads(text) if _well_formed(e)]
            except (ValueError, TypeError):
                entries = []
        self.entries = entries

    def save(self) -> None:
        self.storage.set(STORAGE_KEY, json.dumps(self.entries))

    def add(self, key: str, method: str, path: str, body: dict, now_ms: float) -> list:
        """Queues a write; a newer write with the same key (a response saved again as the
        user moves on) replaces the older one. Returns the entries dropped for room."""
        self.load()
        self.entries = [e for e in self.entries if e["key"] != key]
        self.entries.append(
            {
                "key": key,
                "method": method,
                "path": path,
                "body": body,
                "attempts": 0,
                "next_ms": now_ms,
            }
        )
        dropped = []
        if len(self.entries) > MAX_ENTRIES:
            dropped = self.entries[: len(self.entries) - MAX_ENTRIES]
            self.entries = self.entries[len(dropped) :]
        self.save()
        return dropped

    def due(self, now_ms: float) -> list:
        """Entries whose time to (re)try has come, oldest first."""
        self.load()
        return [e for e in self.entries if e["next_ms"] <= now_ms]

    def next_due_ms(self) -> object:
        """When the earliest waiting entry may be tried, or None when the box is empty."""
        if not self.entries:
            return None
        return min(e["next_ms"] for e in self.entries)

    def settle(self, entry: dict, status: int, now_ms: float, random: float) -> str:
        """Records the answer to one try: "sent", "retry" or "dropped"."""
        self.load()
        current = None
        for candidate in self.entries:
            if candidate["key"] == entry["key"]:
                current = candidate
        if current is None:
            return "sent"
        if current["body"] != entry["body"]:
            # A newer version was queued while this one was in flight: keep it waiting.
            return "sent" if 200 <= status < 300 else "retry"
        if 200 <= status < 300:
            outcome = "sent"
        elif is_retryable(status):
            current["attempts"] += 1
            current["next_ms"] = now_ms + backoff_ms(current["attempts"] - 1, random)
            current.pop("held", None)
            self.save()
            return "retry"
        else:
            outcome = "dropped"
        self.entries = [e for e in self.entries if e is not current]
        self.save()
        return outcome

    def postpone_all(self, until_ms: float) -> None:
        """Honours a server's Retry-After for every waiting entry."""
        self.load()
        for entry in self.entries:
            entry["next_ms"] = max(entry["next_ms"], until_ms)
            entry["held"] = True
        self.save()

    def wake(self, now_ms: float) -> None:
        """A new page is a fresh chance: backoff left by an earlier page is forgotten,
        a server's Retry-After is not."""
        self.load()
        for entry in self.entries:
            if not entry.get("held"):
                entry["next_ms"] = min(entry["next_ms"], now_ms)
        self.save()


def _well_formed(entry: object) -> bool:
    if not isinstance(entry, dict):
        return False
    for field in ("key", "method", "path", "body", "attempts", "next_ms"):
        if field not in entry:
            return False
    return True
