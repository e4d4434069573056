"""Sound-track analyzers in blocks: the chunked features equal the whole-track ones."""

from __future__ import annotations

import numpy as np
import pytest

from scorer.audio import activity, features, prosody

SR = 16000


def signal(seconds: float, seed: int = 0) -> np.ndarray:
    """Noise under a gliding, pulsing tone, so neighbouring frames differ."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    pulse = np.sin(2 * np.pi * 3 * t) > 0
    y = (0.2 * np.sin(2 * np.pi * (150 + 50 * np.sin(0.7 * t)) * t) * pulse
         + 0.03 * rng.standard_normal(len(t)))
    return y.astype(np.float32)


def test_log_mel_frames_match_the_whole_signal():
    y = signal(41.3)
    whole = features.log_mel(y)
    n = whole.shape[1]
    for first, last in [(0, 8), (5, 300), (1234, 1534), (n - 300, n), (n - 5, n + 20)]:
        part = features.log_mel_frames(y, first, last)
        ref = whole[:, first:last]
        assert part.shape == ref.shape
        np.testing.assert_allclose(part, ref, atol=1e-3)


def test_log_mel_frames_of_a_tiny_signal():
    y = signal(0.02)  # shorter than one FFT: padded in both paths
    np.testing.assert_allclose(features.log_mel_frames(y, 0, 8), features.log_mel(y)[:, :8],
                               atol=1e-3)


def _reference_band_db(y: np.ndarray, k: int) -> float:
    """Frame k's speech-band level computed directly (zeros outside the track)."""
    seg = np.zeros(activity.WIN)
    lo = k * activity.HOP - activity.WIN // 2
    for j in range(activity.WIN):
        if 0 <= lo + j < len(y):
            seg[j] = y[lo + j]
    spec = np.fft.rfft(seg * np.hanning(activity.WIN), n=activity.N_FFT)
    freqs = np.fft.rfftfreq(activity.N_FFT, 1 / activity.SR)
    band = (freqs >= 100) & (freqs <= 4000)
    energy = (np.abs(spec[band]) ** 2 + 1e-12).sum()
    return 10 * np.log10(energy / (activity.WIN ** 2 * 0.375 / 2) + 1e-12)


def test_activity_frames_across_block_edges_match_a_direct_computation():
    block = activity.FRAME_BLOCK
    y = signal(2.5 * block / activity.FPS, seed=1)  # three blocks, the last one partial
    ff = activity.frame_features(y)
    assert len(ff.band_db) == 1 + len(y) // activity.HOP
    for k in (0, 1, block - 1, block, block + 1, 2 * block - 1, 2 * block, len(ff.band_db) - 1):
        assert abs(ff.band_db[k] - _reference_band_db(y, k)) < 0.01, k
    # flux uses the previous frame: no jump at the block edge from a reset
    assert ff.flux[block] > 0


def test_pitch_in_pieces_keeps_one_40ms_grid(monkeypatch):
    y = signal(9.0, seed=2)
    whole_t, whole_f0 = prosody.pitch_track(y, [(0.5, 8.5)])
    monkeypatch.setattr(prosody, "PYIN_MAX_SAMPLES", prosody.PYIN_HOP * 50)  # 2 s pieces
    t, f0 = prosody.pitch_track(y, [(0.5, 8.5)])
    assert len(t) == len(whole_t)
    np.testing.assert_allclose(t, whole_t)
    both = np.isfinite(f0) & np.isfinite(whole_f0)
    assert both.mean() > 0.3
    # the Viterbi path is per piece; inside the pieces the pitch agrees within a semitone
    st = 12 * np.abs(np.log2(f0[both] / whole_f0[both]))
    assert np.median(st) < 0.1 and np.mean(st < 1) > 0.9


def test_voice_chunks_see_the_same_log_mels_as_a_whole_track_pass():
    from scorer import models
    from scorer.audio import voice

    y = signal(20.0, seed=3)
    spans = [(0.0, 4.2), (9.7, 13.0), (18.5, 20.0)]
    got = voice.classify(y, spans, engine="cnn")
    sess = models.session(voice.FALLBACK_MODEL)
    mel = features.log_mel(y)
    assert len(got) == len(voice._chunks(spans))
    for (s, e, p, _, _), (cs, ce) in zip(got, voice._chunks(spans), strict=True):
        a = int(cs * features.FRAMES_PER_SECOND)
        b = max(a + 8, int(ce * features.FRAMES_PER_SECOND))
        x = features.normalize(mel[:, a:b])[None, None].astype(np.float32)
        logits = sess.run(None, {"logmel": x})[0][0]
        ref = np.exp(logits - logits.max())
        assert (s, e) == (cs, ce)
        np.testing.assert_allclose(p, ref / ref.sum(), atol=1e-4)


def test_voice_tone_falls_back_to_the_cnn_and_says_why(monkeypatch):
    from scorer.audio import voice
    from scorer.errors import ModelError

    def missing(build_progress=None):
        raise ModelError("the Whisper weights are not installed")

    monkeypatch.setattr(voice, "encoder_reader", missing)
    y = signal(6.0, seed=5)
    info = {}
    got = voice.classify(y, [(0.5, 5.5)], info=info)
    assert len(got) == len(voice._chunks([(0.5, 5.5)]))
    assert info["voice_model"] == voice.FALLBACK_MODEL
    assert "Whisper weights are not installed" in info["voice_note"]
    # asked for by name, the head is refused with the reason rather than swapped
    with pytest.raises(ModelError, match="not installed"):
        voice.classify(y, [(0.5, 5.5)], engine="tone")
