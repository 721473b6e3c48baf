"""A one-line progress bar on stderr for the CLI's long operations (import, export,
migrate): drawn only when stderr is a terminal, so pipes and logs stay clean."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

WIDTH = 30
REDRAW_S = 0.1


class ProgressBar:
    """`with ProgressBar("export", total) as bar: bar(n)` after each n items done."""

    def __init__(self, label: str, total: int | None, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = total
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.done = 0
        self._drawn_at = 0.0

    def __call__(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and now - self._drawn_at >= REDRAW_S:
            self._draw()
            self._drawn_at = now

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        if self.enabled:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self) -> None:
        if self.total:
            share = min(1.0, self.done / self.total)
            bar = "#" * round(share * WIDTH)
            line = f"{self.label} [{bar:<{WIDTH}}] {self.done}/{self.total} {share:4.0%}"
        else:
            line = f"{self.label} {self.done}"
        self.stream.write("\r" + line)
        self.stream.flush()
