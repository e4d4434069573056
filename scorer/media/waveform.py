"""A sound track's waveform for display: min/max per short bin, decoded once."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scorer.media.decode import load_audio

WAVEFORM_SR = 4000  # enough for a picture of the level; a 2-hour track is 115 MB while read


def waveform_envelope(path: str | Path, bins_per_second: int = 100, sr: int = WAVEFORM_SR,
                      cancel=None) -> tuple[np.ndarray, np.ndarray]:
    """Return (mins, maxs), one value each per ``1 / bins_per_second`` s of the sound track.

    Empty arrays if the file has no audio.

    Raises:
        MediaError: If decoding fails.
        Cancelled: If ``cancel`` is set.
    """
    audio = load_audio(path, sr=sr, cancel=cancel)
    per_bin = max(1, sr // bins_per_second)
    n = len(audio) // per_bin
    if n == 0:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    blocks = audio[: n * per_bin].reshape(n, per_bin)
    return blocks.min(axis=1).astype(np.float32), blocks.max(axis=1).astype(np.float32)
