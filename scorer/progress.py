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
    """Yield (progress bar, cancel token) for CLI work; the first Ctrl-C or SIGTERM cancels.

    The second one falls back to the previous handler (KeyboardInterrupt, or termination).
    """
    from scorer.pipeline import CancelToken

    cancel = CancelToken()
    bar = ProgressBar()
    # SIGTERM (a logout, `kill`, a job scheduler) cancels as cleanly as Ctrl-C: no temp files,
    # no half-written output, the previous files kept
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.getsignal(sig) for sig in signals}

    def on_signal(signum, frame):
        cancel.set()
        signal.signal(signum, previous[signum])  # a second one acts at once

    for sig in signals:
        signal.signal(sig, on_signal)
    try:
        yield bar, cancel
    finally:
        bar.close()
        for sig in signals:
            signal.signal(sig, previous[sig])
