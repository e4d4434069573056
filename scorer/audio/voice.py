"""Voice tone: the speech-emotion CNN (models/voice_emotion.onnx) on speech regions.

Each speech region is cut into chunks of at most ``CHUNK_S`` seconds; the model sees the
log-mel spectrogram of a chunk (the same features it was trained on, see
:mod:`scorer.audio.features`) and returns eight RAVDESS class probabilities, which map to
valence/arousal through the circumplex table. Windows outside speech get confidence 0.
"""

from __future__ import annotations

import numpy as np

from scorer import models
from scorer.affect.circumplex import project_probs
from scorer.audio import features
from scorer.track import Track

MODEL = "voice_emotion"
LABELS = ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised")
CHUNK_S = 3.0
MIN_CHUNK_S = 0.5
# held-out accuracy is about half (see the model card): never claim more than this
MAX_CONFIDENCE = 0.7


def _chunks(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out = []
    for s, e in spans:
        n = max(1, int(np.ceil((e - s) / CHUNK_S)))
        step = (e - s) / n
        out += [(s + k * step, s + (k + 1) * step) for k in range(n) if step >= MIN_CHUNK_S]
    return out


def classify(audio: np.ndarray, spans: list[tuple[float, float]], cancel=None,
             progress=None) -> list[tuple[float, float, np.ndarray]]:
    """Return (start, end, class probabilities) for every chunk of the speech spans.

    Raises:
        ModelError: If the model is missing or damaged.
    """
    chunks = _chunks(spans)
    if not chunks:
        return []
    sess = models.session(MODEL)
    out = []
    for k, (s, e) in enumerate(chunks):
        if cancel is not None:
            cancel.raise_if_set()
        a = int(s * features.FRAMES_PER_SECOND)
        b = max(a + 8, int(e * features.FRAMES_PER_SECOND))
        # each chunk's own log-mels (the same frames as a whole-track pass): memory does
        # not grow with the length of the sound track
        x = features.normalize(features.log_mel_frames(audio, a, b))[None, None]
        logits = sess.run(None, {"logmel": x.astype(np.float32)})[0][0]
        p = np.exp(logits - logits.max())
        out.append((s, e, p / p.sum()))
        if progress is not None:
            progress((k + 1) / len(chunks))
    return out


def voice_track(audio: np.ndarray, times: np.ndarray, speech: np.ndarray,
                spans: list[tuple[float, float]], cancel=None, progress=None) -> Track:
    """Build the "voice" Track on the window grid ``times``.

    Confidence is the window's speech probability times the model's certainty (one minus
    the normalised entropy of its probabilities), at most ``MAX_CONFIDENCE``.
    """
    n = len(times)
    probs = np.zeros((n, len(LABELS)))
    conf = np.zeros(n)
    results = classify(audio, spans, cancel, progress)
    starts = np.array([r[0] for r in results])
    for i, t in enumerate(times):
        if speech[i] < 0.5 or not results:
            continue
        k = int(np.searchsorted(starts, t, side="right")) - 1
        if k < 0 or t > results[k][1]:
            continue
        p = results[k][2]
        probs[i] = p
        certainty = 1 + (p * np.log(p + 1e-12)).sum() / np.log(len(LABELS))
        conf[i] = MAX_CONFIDENCE * speech[i] * certainty
    valence, arousal = project_probs(LABELS, probs)
    return Track("voice", times, valence, arousal, conf, LABELS, probs)
