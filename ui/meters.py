"""Level meters fed by what the players actually play.

Each player gets a ``QAudioBufferOutput`` (Qt 6.8+; PySide6 6.11 has it): every decoded buffer
comes here as well as to the sound card, is measured by the core
(:mod:`scorer.media.levels`), scaled by the gain the player is heard at, and shown with a peak
programme meter's ballistics (instant rise, 20 dB/s fall, 1 s peak hold).
"""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QPainter
from PySide6.QtMultimedia import QAudioBufferOutput, QAudioFormat
from PySide6.QtWidgets import QSizePolicy, QWidget

from scorer.media.levels import FLOOR_DB, Ballistics, block_levels, samples_from_bytes

_FORMATS = {QAudioFormat.SampleFormat.UInt8: "uint8", QAudioFormat.SampleFormat.Int16: "int16",
            QAudioFormat.SampleFormat.Int32: "int32", QAudioFormat.SampleFormat.Float: "float"}
TICK_MS = 33


def buffer_peak_db(buffer) -> float | None:
    """The peak (dBFS) of a QAudioBuffer; None for a format the meter cannot read."""
    fmt = buffer.format()
    name = _FORMATS.get(fmt.sampleFormat())
    if name is None or not buffer.isValid():
        return None
    samples = samples_from_bytes(bytes(buffer.constData()), name, fmt.channelCount())
    return block_levels(samples)[0]


class LevelMeter(QWidget):
    """Horizontal bars, one per named channel, -60 to 0 dBFS with a held peak mark."""

    def __init__(self, names: tuple[str, ...], parent=None):
        super().__init__(parent)
        self.names = names
        self.meters = {name: Ballistics() for name in names}
        self._taps: list[QAudioBufferOutput] = []
        self._last = time.monotonic()
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self.setMinimumWidth(160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("Levels as played (dBFS, peak): " + ", ".join(names))

    def sizeHint(self) -> QSize:
        return QSize(220, 12 * len(self.names) + 4)

    def tap(self, name: str, player, gain=lambda: 1.0) -> None:
        """Meter ``player`` on channel ``name``; ``gain()`` is the level it is heard at."""
        output = QAudioBufferOutput(self)
        # set before any source is loaded (at construction), like the audio output itself
        player.setAudioBufferOutput(output)
        output.audioBufferReceived.connect(lambda buf, n=name, g=gain: self._feed(n, buf, g))
        self._taps.append(output)

    def _feed(self, name: str, buffer, gain) -> None:
        level = buffer_peak_db(buffer)
        if level is None:
            return
        g = float(gain())
        self.feed(name, level + 20 * math.log10(g) if g > 1e-6 else FLOOR_DB)

    def feed(self, name: str, level_db: float) -> None:
        self.meters[name].feed(level_db)

    def level(self, name: str) -> float:
        return self.meters[name].level

    def _tick(self) -> None:
        now = time.monotonic()
        dt, self._last = now - self._last, now
        for meter in self.meters.values():
            meter.tick(dt)
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        width = self.width() - 58
        painter.fillRect(self.rect(), QColor(30, 30, 30))
        for row, name in enumerate(self.names):
            meter = self.meters[name]
            top = 2 + row * 12
            painter.setPen(QColor(220, 220, 220))
            painter.drawText(QRectF(2, top, 54, 10), Qt.AlignmentFlag.AlignVCenter, name)
            frac = (meter.level - FLOOR_DB) / -FLOOR_DB
            for lo, hi, colour in ((0.0, 0.8, QColor(60, 200, 90)),
                                   (0.8, 0.95, QColor(230, 200, 40)),
                                   (0.95, 1.0, QColor(230, 60, 50))):
                part = min(frac, hi) - lo
                if part > 0:
                    painter.fillRect(QRectF(56 + lo * width, top + 1, part * width, 8), colour)
            held = (meter.held - FLOOR_DB) / -FLOOR_DB
            if held > 0:
                painter.fillRect(QRectF(56 + held * width - 1, top, 2, 10), QColor(255, 255, 255))
        painter.end()
