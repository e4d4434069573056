"""A terminal progress bar for long CLI work (stderr; silent when not a terminal)."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


class ProgressBar:
    """Draws "stage [#####.....] 42%" on stderr, redrawing at most 10 times a second.

    Use as the ``progress(stage, fraction)`` callback that long work takes.
    """

    def __init__(self, stream=None, enabled: bool | None = None, width: int = 30):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.width = width
        self._last = 0.0
        self._stages: dict[str, float] = {}

    def __call__(self, stage: str, fraction: float) -> None:
        self._stages[stage] = fraction
        now = time.monotonic()
        if not self.enabled or (now - self._last < 0.1 and fraction < 1.0):
            return
        self._last = now
        parts = []
        for name, value in self._stages.items():
            filled = int(round(value * self.width / max(1, len(self._stages))))
            span = self.width // max(1, len(self._stages))
            parts.append(f"{name} [{'#' * filled}{'.' * max(0, span - filled)}] {value:4.0%}")
        self.stream.write("\r" + "  ".join(parts) + "\033[K")
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line."""
        if self.enabled and self._stages:
            self.stream.write("\n")
            self.stream.flush()


@contextmanager
def cancellable() -> Iterator[tuple[ProgressBar, object]]:
    """Yield (progress bar, cancel token) for CLI work; the first Ctrl-C cancels cleanly.

    The second Ctrl-C falls back to Python's default (KeyboardInterrupt).
    """
    from scorer.pipeline import CancelToken

    cancel = CancelToken()
    bar = ProgressBar()
    previous = signal.getsignal(signal.SIGINT)

    def on_sigint(signum, frame):
        cancel.set()
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, on_sigint)
    try:
        yield bar, cancel
    finally:
        bar.close()
        signal.signal(signal.SIGINT, previous)
