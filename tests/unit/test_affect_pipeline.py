"""The pipeline's post-analysis hook stores fusion and cues (analyzers replaced by stubs)."""

from __future__ import annotations

import importlib.util
import wave
from pathlib import Path

import numpy as np
import pytest

from scorer import pipeline
from scorer import project as project_io
from scorer.affect import fusion
from scorer.track import Track

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def preset_fusion(monkeypatch):
    """The hook is under test, not the fusion method: fuse with the presets."""
    monkeypatch.setattr(fusion, "fusion_method", lambda project: "presets")


def write_wav(path, seconds=12.0, sr=16000):
    t = np.arange(int(seconds * sr)) / sr
    samples = (0.2 * np.sin(2 * np.pi * 220 * t) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(sr)
        handle.writeframes(samples.tobytes())


def test_analyze_stores_fused_track_and_cues(tmp_path, monkeypatch):
    def fake_audio(audio, sr, project, settings, progress, cancel):
        t = np.arange(0, len(audio) / sr, 0.5)
        speech = (t < 4).astype(float)
        project.tracks["prosody"] = Track("prosody", t, np.full_like(t, -0.4),
                                          np.full_like(t, 0.7), np.ones_like(t),
                                          features={"speech": speech})

    monkeypatch.setattr(pipeline, "_analyze_audio", fake_audio)
    monkeypatch.setattr(pipeline, "_analyze_film_music", lambda *a, **k: None)
    clip = tmp_path / "tone.wav"
    write_wav(clip)
    stages = []
    project = pipeline.analyze(clip, progress=lambda s, f: stages.append(s))
    assert "fusion" in stages and "cues" in stages
    assert project.fused is not None and len(project.fused) == 12
    assert [c.number for c in project.cues] == ["1M1"]
    cue = project.cues[0]
    assert cue.end == 12.0 and cue.valence < 0 < cue.arousal
    assert cue.ducking and cue.ducking[0][0] == 0.0 and cue.ducking[0][1] <= 4.5
    assert cue.shares == {"prosody": 1.0}
    path = tmp_path / "p.scorer.json"
    project_io.save(project, path)
    again = project_io.load(path)
    assert again.cues[0].programs == cue.programs
    assert again.fused.features.keys() == project.fused.features.keys()


def _bench():
    spec = importlib.util.spec_from_file_location("affect_eval", REPO / "bench" / "affect_eval.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_reads_labels_from_file_names():
    bench = _bench()
    assert bench.label_of("03-01-05-02-01-01-21.flac") == "angry"
    assert bench.label_of("03-01-02-01-02-02-24.flac") == "calm"
    assert bench.label_of("take3_sad.mp4") == "sad"
    assert bench.label_of("Happiness-01.wav") == "happiness"
    assert bench.label_of("clip_0001.mp4") is None
