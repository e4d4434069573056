"""Meter levels: dBFS of known signals, decoding of PCM formats, the meter's ballistics."""

from __future__ import annotations

import numpy as np
import pytest

from scorer.media.levels import FLOOR_DB, Ballistics, block_levels, samples_from_bytes


def test_a_full_scale_sine_peaks_at_0_db_with_rms_minus_3_db():
    t = np.arange(48000) / 48000
    sine = np.sin(2 * np.pi * 1000 * t)[:, None].astype(np.float32)
    peak, rms = block_levels(sine)
    assert peak == pytest.approx(0.0, abs=0.01)
    assert rms == pytest.approx(-3.01, abs=0.02)  # 20 log10(1/sqrt 2)
    assert block_levels(0.1 * sine)[0] == pytest.approx(-20.0, abs=0.01)
    assert block_levels(np.zeros((100, 2), np.float32)) == (FLOOR_DB, FLOOR_DB)


@pytest.mark.parametrize(
    ("fmt", "dtype", "half", "silence"),
    [
        ("int16", np.int16, 16384, 0),
        ("int32", np.int32, 2**30, 0),
        ("float", np.float32, 0.5, 0),
        ("uint8", np.uint8, 192, 128),
    ],
)
def test_pcm_formats_decode_to_the_same_level(fmt, dtype, half, silence):
    # left at half scale, right silent (unsigned 8-bit PCM is silent at 128)
    data = np.array([half, silence] * 50, dtype=dtype).tobytes()
    samples = samples_from_bytes(data, fmt, 2)
    assert samples.shape == (50, 2)
    assert samples[:, 0] == pytest.approx(0.5, abs=0.01)
    assert samples[:, 1] == pytest.approx(0.0, abs=0.01)
    assert block_levels(samples)[0] == pytest.approx(-6.02, abs=0.1)
    with pytest.raises(ValueError):
        samples_from_bytes(data, "int24", 2)


def test_ballistics_rise_at_once_fall_at_the_set_rate_and_hold_the_peak():
    meter = Ballistics(fall_db_per_s=20.0, hold_s=1.0)
    meter.feed(-6.0)
    assert meter.level == -6.0 and meter.held == -6.0
    meter.tick(0.5)
    assert meter.level == pytest.approx(-16.0) and meter.held == -6.0  # held for 1 s
    meter.feed(-30.0)  # quieter than the falling bar: the bar keeps falling
    meter.tick(0.6)
    assert meter.level == pytest.approx(-28.0)
    assert meter.held < -6.0  # the hold time is over
    for _ in range(100):
        meter.tick(0.1)
    assert meter.level == FLOOR_DB and meter.held == FLOOR_DB
