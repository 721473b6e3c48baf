"""Storage that never fails the client.

Browsers block `localStorage` (privacy modes, sandboxed iframes, a full quota) by throwing.
Each store below remembers in memory as well, so the client keeps working for the life of
the page and only persistence across reloads is lost.
"""

import json


class SafeStore:
    """get/set/remove/keys over a backend (same methods) that may raise at any call."""

    def __init__(self, backend: object, warn: object) -> None:
        self.backend = backend
        self.memory = {}
        self.warn = warn
        self.failed = False

    def _fail(self, error: Exception) -> None:
        if not self.failed:
            self.failed = True
            self.warn("storage: unavailable (%s); keeping data in memory for this page" % error)

    def get(self, key: str) -> object:
        if key in self.memory:
            return self.memory[key]
        try:
            return self.backend.get(key) if self.backend is not None else None
        except Exception as error:  # noqa: BLE001 - a browser may throw anything here
            self._fail(error)
            return None

    def set(self, key: str, value: str) -> None:
        try:
            if self.backend is not None:
                self.backend.set(key, value)
                self.memory.pop(key, None)
                return
        except Exception as error:  # noqa: BLE001 - as in `get`
            self._fail(error)
        self.memory[key] = value

    def keys(self, prefix: str) -> list:
        """Every key starting with `prefix`, in storage or only in memory."""
        found = [key for key in self.memory if key.startswith(prefix)]
        try:
            if self.backend is not None:
                found += [key for key in self.backend.keys(prefix) if key not in found]
        except Exception as error:  # noqa: BLE001 - as in `get`
            self._fail(error)
        return found

    def remove(self, key: str) -> None:
        self.memory.pop(key, None)
        try:
            if self.backend is not None:
                self.backend.remove(key)
        except Exception as error:  # noqa: BLE001 - as in `get`
            self._fail(error)

    def get_json(self, key: str) -> object:
        """The value stored as JSON under `key`; None when absent, and when unreadable (then
        removed: a value another version or the page wrote must not fail every load)."""
        text = self.get(key)
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError:
            self.remove(key)
            return None

    def set_json(self, key: str, value: object) -> None:
        self.set(key, json.dumps(value))
