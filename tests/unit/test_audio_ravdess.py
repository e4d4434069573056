"""Angry and sad RAVDESS recordings (held-out actors) move arousal the right way."""

import numpy as np
import pytest

from scorer.audio import activity, prosody, voice
from scorer.project import Project

SR = 16000
ACTORS = (21, 22, 23, 24)  # the voice model's test actors


def _clips(shared_data, emotion: str) -> list:
    import librosa

    out = []
    for actor in ACTORS:
        folder = shared_data / "speech-emotion" / "ravdess" / f"Actor_{actor:02d}"
        # strong intensity, both statements, first repetition
        for path in sorted(folder.glob(f"03-01-{emotion}-02-0?-01-{actor:02d}.flac")):
            out.append(librosa.load(path, sr=SR)[0])
    if not out:
        pytest.skip("RAVDESS clips missing")
    return out


def _padded(y):
    # a second of silence each side, as between lines of dialogue
    return np.concatenate([np.zeros(SR, np.float32), y, np.zeros(SR, np.float32)])


@pytest.mark.data
def test_prosody_arousal_angry_above_sad(shared_data):
    means = {}
    for name, code in (("angry", "05"), ("sad", "04")):
        values = []
        for y in _clips(shared_data, code):
            audio = _padded(y)
            times, speech, _, ff = activity.detect(audio)
            track = prosody.prosody_track(audio, times, speech, ff)
            sel = track.confidence > 0
            if sel.any():
                values.append(np.average(track.arousal[sel], weights=track.confidence[sel]))
            # the padding is silence: nothing to say there
            assert np.all(track.confidence[(times < 0.4) | (times > len(audio) / SR - 0.4)] == 0)
        assert len(values) >= 6, name
        means[name] = np.mean(values)
    assert means["angry"] > means["sad"] + 0.3, means


@pytest.mark.data
def test_voice_model_arousal_angry_above_sad(shared_data):
    pytest.importorskip("onnxruntime")
    from scorer import models
    from scorer.errors import ModelError

    try:
        models.find_model(voice.MODEL)
    except ModelError:
        pytest.skip("voice_tone.onnx missing")
    from scorer.audio import analyze_audio

    means = {}
    for name, code in (("angry", "05"), ("sad", "04")):
        values = []
        for y in _clips(shared_data, code):
            project = Project()
            analyze_audio(_padded(y), SR, project, {"transcriber": "none"})
            track = project.tracks["voice"]
            assert track.labels == voice.LABELS
            sel = track.confidence > 0
            if sel.any():
                values.append(np.average(track.arousal[sel], weights=track.confidence[sel]))
        means[name] = np.mean(values)
    assert means["angry"] > means["sad"], means
