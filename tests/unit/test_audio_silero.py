"""Silero VAD speech activity: hysteresis, batched streams, segments, missing model."""

import shutil
import subprocess

import numpy as np
import pytest

from scorer import models
from scorer.audio import activity
from scorer.errors import ModelError

SR = 16000
ESPEAK = shutil.which("espeak-ng")
needs_espeak = pytest.mark.skipif(ESPEAK is None, reason="espeak-ng not installed")


def chunks(seconds: float) -> int:
    return int(round(seconds / activity.CHUNK_S))


def probs_from(parts: list[tuple[float, float]]) -> np.ndarray:
    """A chunk-probability sequence from (seconds, probability) pieces."""
    return np.concatenate([np.full(chunks(s), p) for s, p in parts])


def test_hysteresis_keeps_speech_through_dips_between_offset_and_onset():
    # 1 s at 0.9, 1 s at 0.4 (below onset, above offset), 1 s at 0.9: one segment
    mask = activity.speech_mask(probs_from([(1, 0.0), (1, 0.9), (1, 0.4), (1, 0.9), (1, 0.0)]))
    segments = activity.mask_segments(mask)
    assert len(segments) == 1
    start, end = segments[0]
    assert abs(start - (1 - activity.SPEECH_PAD_S)) < 0.04
    assert abs(end - (4 + activity.SPEECH_PAD_S)) < 0.04


def test_probability_below_onset_never_starts_speech():
    assert not activity.speech_mask(probs_from([(3, 0.45)])).any()


def test_short_bursts_are_dropped_and_short_silences_bridged():
    burst = activity.MIN_SPEECH_S / 2
    mask = activity.speech_mask(probs_from([(1, 0.0), (burst, 0.95), (1, 0.0)]))
    assert not mask.any()
    dip = activity.MIN_SILENCE_S / 2
    mask = activity.speech_mask(probs_from([(1, 0.0), (1, 0.9), (dip, 0.1), (1, 0.9), (1, 0.0)]))
    assert len(activity.mask_segments(mask)) == 1
    long_gap = 4 * activity.MIN_SILENCE_S
    mask = activity.speech_mask(
        probs_from([(1, 0.0), (1, 0.9), (long_gap, 0.1), (1, 0.9), (1, 0.0)])
    )
    assert len(activity.mask_segments(mask)) == 2


def test_speech_running_to_the_end_is_closed():
    mask = activity.speech_mask(probs_from([(1, 0.0), (1, 0.9)]))
    segments = activity.mask_segments(mask)
    assert len(segments) == 1 and abs(segments[0][1] - 2.0) < 0.04


def test_empty_and_silent_audio():
    assert len(activity.chunk_probabilities(np.zeros(0, np.float32))) == 0
    result = activity.analyze(np.zeros(5 * SR, np.float32))
    assert result.segments == [] and np.all(result.speech == 0)
    assert len(result.chunk_probs) == -(-5 * SR // activity.CHUNK)


def test_missing_model_is_a_model_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SCORER_MODELS_DIR", str(tmp_path / "none"))
    monkeypatch.setenv("SCORER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(models, "_sessions", {})
    with pytest.raises(ModelError, match="silero_vad.onnx"):
        activity.chunk_probabilities(np.zeros(SR, np.float32))


def espeak(text: str, tmp_path) -> np.ndarray:
    import librosa
    import soundfile as sf

    out = tmp_path / "line.wav"
    subprocess.run([ESPEAK, "-w", str(out), text], check=True, capture_output=True)
    y, sr = sf.read(out, dtype="float32")
    return librosa.resample(y, orig_sr=sr, target_sr=SR).astype(np.float32)


@needs_espeak
def test_segments_cover_the_spoken_lines_and_not_the_silence(tmp_path):
    line = espeak("We walked up to the door and knocked twice, but nobody answered.", tmp_path)
    gap = np.zeros(3 * SR, np.float32)
    audio = np.concatenate([gap, line, gap, line, gap])
    result = activity.analyze(audio)
    n = len(line) / SR
    truth = [(3.0, 3.0 + n), (6.0 + n, 6.0 + 2 * n)]
    assert 2 <= len(result.segments) <= 6
    for s, e in result.segments:  # every segment lies inside a spoken line (with slack)
        assert any(a - 0.3 <= s and e <= b + 0.3 for a, b in truth), (s, e)
    covered = sum(e - s for s, e in result.segments)
    assert covered > 0.7 * 2 * n


@needs_espeak
def test_batched_streams_agree_with_one_long_stream(tmp_path, monkeypatch):
    line = espeak(
        "The storm is getting closer. We should leave before the bridge floods.", tmp_path
    )
    rng = np.random.default_rng(0)
    pieces = []
    for _ in range(12):  # ~70 s: three 30-s streams with warm-up
        pieces += [line, np.zeros(int(rng.uniform(0.5, 2.5) * SR), np.float32)]
    audio = np.concatenate(pieces)
    batched = activity.chunk_probabilities(audio)
    monkeypatch.setattr(activity, "STREAM_S", 1e9)
    single = activity.chunk_probabilities(audio)
    assert batched.shape == single.shape
    assert np.mean((batched >= 0.5) == (single >= 0.5)) > 0.98
