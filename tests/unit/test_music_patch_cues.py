"""Low-level cues of musicnn patches (scorer.music.musicnn.patch_cues), the head's arousal aid."""

from __future__ import annotations

import numpy as np

from scorer.music import musicnn as mn

SR = 16000


def cues(audio: np.ndarray) -> dict[str, float]:
    row = mn.patch_cues(mn.window_patches(audio, np.array([0])))[0]
    return dict(zip(mn.CUE_NAMES, row.tolist(), strict=True))


def tone(freq: float, seconds: float = 3.0, amp: float = 0.1) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def clicks(per_second: float, seconds: float = 3.0) -> np.ndarray:
    """Short noise bursts at a regular rate over a faint noise floor."""
    rng = np.random.default_rng(0)
    out = 0.001 * rng.standard_normal(int(seconds * SR)).astype(np.float32)
    burst = int(0.02 * SR)
    for s in np.arange(0.1, seconds - 0.05, 1 / per_second):
        i = int(s * SR)
        out[i:i + burst] += 0.3 * rng.standard_normal(burst).astype(np.float32)
    return out


def test_shape_and_names():
    batch = mn.window_patches(tone(440.0, 9.0), np.array([0, SR * 3, SR * 6]))
    out = mn.patch_cues(batch)
    assert out.shape == (3, len(mn.CUE_NAMES))
    assert np.isfinite(out).all()
    assert mn.patch_cues(np.zeros((0, mn.PATCH_FRAMES, mn.N_MELS), np.float32)).shape == (0, 9)


def test_twenty_db_louder_reads_about_twenty_db_higher():
    quiet, loud = cues(tone(440.0, amp=0.01)), cues(tone(440.0, amp=0.1))
    assert 17.0 < loud["level_mean"] - quiet["level_mean"] < 23.0


def test_higher_tone_is_brighter():
    low, high = cues(tone(220.0)), cues(tone(3000.0))
    assert high["centroid_mean"] > low["centroid_mean"] + 20
    assert high["high_share"] > low["high_share"]


def test_onset_rate_follows_the_click_rate():
    slow, fast = cues(clicks(2.0)), cues(clicks(8.0))
    assert 1.0 <= slow["onset_rate"] <= 3.0
    assert 6.0 <= fast["onset_rate"] <= 10.0
    assert fast["flux_mean"] > slow["flux_mean"]
