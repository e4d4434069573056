"""Film music in blocks: the chunked CQT and window features equal the whole-track ones."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from scorer.music import emotion as me
from scorer.music import film_music as fm

SR = 16000


def signal(seconds: float, seed: int = 0) -> np.ndarray:
    """A gliding tone, a gated high tone and noise: every CQT octave and every frame differ."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    y = (0.3 * np.sin(2 * np.pi * (110 + 40 * np.sin(0.3 * t)) * t)
         + 0.1 * np.sin(2 * np.pi * 880 * t) * (np.sin(2 * np.pi * 0.5 * t) > 0)
         + 0.02 * rng.standard_normal(len(t)))
    return y.astype(np.float32)


def test_cqt_frames_match_the_whole_signal_transform():
    y = signal(131.3)
    whole = me.cqt_db(y)
    n = whole.shape[1]
    assert n == me.n_cqt_frames(len(y))
    # start, middle (both margins inside the signal), end, and a range running past the end
    for first, last in [(0, 63), (100, 1975), (2000, 2063), (n - 63, n), (n - 40, n + 30)]:
        part = me.cqt_db_frames(y, first, last)
        ref = whole[:, first:last]
        assert part.shape == ref.shape
        np.testing.assert_allclose(part, ref, atol=1e-3)


def test_cqt_frames_of_a_short_signal_match():
    y = signal(1.2)  # shorter than one segment: padded in both paths
    np.testing.assert_allclose(me.cqt_db_frames(y, 0, 63), me.cqt_db(y)[:, :63], atol=1e-3)


def test_blocks_cover_every_segment_once_and_skip_gaps():
    starts = np.array([0, 31, 62, 5000, 5031, 300, 20000])
    blocks = me._blocks(starts, block_frames=200)
    flat = np.sort(np.concatenate(blocks))
    assert flat.tolist() == list(range(len(starts)))
    for block in blocks:
        span = starts[block].max() + me.SEGMENT_FRAMES - starts[block].min()
        assert span <= 200
    # far-apart segments never share a block (the gap would be transformed for nothing)
    assert not any({0, 6} <= set(b.tolist()) for b in blocks)


def test_predict_frames_match_the_whole_track_batch():
    y = signal(70.0, seed=3)
    starts = np.array([0, 31, 700, 731, 1000, me.n_cqt_frames(len(y)) - me.SEGMENT_FRAMES])
    ref = me.run_model(me.segment_batch(me.cqt_db(y), starts))
    got = me.predict_frames(y, starts, block_frames=100)
    np.testing.assert_allclose(got, ref, atol=1e-4)


@pytest.mark.parametrize("block_windows", [1, 7, 60])
def test_window_features_do_not_depend_on_the_block_size(block_windows):
    y = signal(75.4, seed=1)
    starts = fm.window_starts(len(y), SR)
    whole_f, whole_db = fm.window_features(y, SR, starts, block_windows=len(starts))
    f, db = fm.window_features(y, SR, starts, block_windows=block_windows)
    np.testing.assert_allclose(f, whole_f, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(db, whole_db, atol=1e-9)


def _peak_bytes(seconds: float) -> int:
    y = signal(seconds, seed=2)
    starts = fm.window_starts(len(y), SR)
    tracemalloc.start()
    try:
        fm.window_features(y, SR, starts)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_window_features_memory_does_not_follow_the_track_length():
    """A whole-track spectrogram of 6 minutes alone would be ~46 MB an array, several at once."""
    short, long = _peak_bytes(120.0), _peak_bytes(360.0)
    assert long < 1.2 * short + 1e6, f"{short / 1e6:.0f} MB for 2 min, {long / 1e6:.0f} for 6"
    assert long < 50e6
