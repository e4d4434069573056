"""Level metering: peak and RMS in dBFS of a block of samples, and a meter's ballistics.

The GUI feeds it the audio the players are actually playing (Qt's ``QAudioBufferOutput``);
the ballistics are those of a peak programme meter: the bar rises at once and falls at a fixed
rate in dB per second, and a peak-hold mark stays for a moment before it falls too.
"""

from __future__ import annotations

import numpy as np

FLOOR_DB = -60.0  # the bottom of the meter; silence reads as this

_DTYPES = {"uint8": np.uint8, "int16": np.int16, "int32": np.int32, "float": np.float32}
_SCALE = {"uint8": 128.0, "int16": 32768.0, "int32": 2147483648.0, "float": 1.0}


def samples_from_bytes(data: bytes, sample_format: str, channels: int) -> np.ndarray:
    """Interleaved PCM bytes as a (frames, channels) float array in [-1, 1].

    Args:
        data: The raw buffer.
        sample_format: "uint8", "int16", "int32" or "float".
        channels: Channel count (at least 1).

    Raises:
        ValueError: For an unknown format.
    """
    if sample_format not in _DTYPES:
        raise ValueError(f"unknown sample format {sample_format!r}")
    values = np.frombuffer(data, dtype=_DTYPES[sample_format]).astype(np.float32)
    if sample_format == "uint8":
        values -= 128.0
    values /= _SCALE[sample_format]
    channels = max(1, int(channels))
    frames = len(values) // channels
    return values[: frames * channels].reshape(frames, channels)


def to_db(value: float) -> float:
    """An amplitude (1.0 = full scale) in dBFS, floored at ``FLOOR_DB``."""
    return max(FLOOR_DB, 20.0 * float(np.log10(max(value, 1e-12))))


def block_levels(samples: np.ndarray) -> tuple[float, float]:
    """(peak dBFS, RMS dBFS) over all channels of a (frames, channels) block."""
    if samples.size == 0:
        return FLOOR_DB, FLOOR_DB
    peak = float(np.abs(samples).max())
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return to_db(peak), to_db(rms)


class Ballistics:
    """A meter's needle: instant rise, fall at ``fall_db_per_s``, a peak hold of ``hold_s``."""

    def __init__(self, fall_db_per_s: float = 20.0, hold_s: float = 1.0):
        self.fall, self.hold_s = fall_db_per_s, hold_s
        self.level = FLOOR_DB
        self.held = FLOOR_DB
        self._held_for = 0.0

    def feed(self, level_db: float) -> None:
        """A new measured level."""
        self.level = max(self.level, level_db)
        if level_db >= self.held:
            self.held, self._held_for = level_db, 0.0

    def tick(self, dt: float) -> None:
        """Let ``dt`` seconds pass: the bar falls; the held peak falls once its time is up."""
        self.level = max(FLOOR_DB, self.level - self.fall * dt)
        self._held_for += dt
        if self._held_for > self.hold_s:
            self.held = max(self.level, self.held - self.fall * dt)
