"""The server's one notion of "now", so that tests can stand anywhere in time.

Every time the client API stores or compares goes through the `Clock` in `app.state.clock`;
a test sets it or moves it forward to check what a contact sees days or months later.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """The system clock, or a fixed time once `set` (then moved only by `set`/`advance`)."""

    def __init__(self, fixed: datetime | None = None) -> None:
        self._fixed = fixed

    def now(self) -> datetime:
        """Aware UTC now."""
        return self._fixed if self._fixed is not None else datetime.now(UTC)

    def set(self, when: datetime) -> None:
        """Freeze the clock at `when` (naive times are UTC)."""
        self._fixed = when if when.tzinfo is not None else when.replace(tzinfo=UTC)

    def advance(self, **delta: float) -> None:
        """Move a frozen clock forward by `timedelta(**delta)`; freezes a running one first."""
        self._fixed = self.now() + timedelta(**delta)
