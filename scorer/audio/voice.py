"""Voice tone: a head on the Whisper encoder's states (models/voice_tone.onnx) on speech regions.

Each speech region is cut into chunks of at most ``CHUNK_S`` seconds. Whisper base's encoder
(built on first use with the transcriber, :mod:`scorer.audio.whisper_build`) reads each chunk;
every layer's frames are pooled into a mean and a standard deviation (:class:`EncoderReader`)
and the head returns the eight RAVDESS class probabilities, valence and arousal (``2p - 1`` of
the calibrated probabilities that the valence is positive and the arousal high) and a
calibrated confidence that its arousal sign is right — small when the voice is buried under
music or noise, because the head was trained on dialogue mixed under music, noise, rooms and
telephone bands (card: models/voice_tone.md).

When the Whisper weights are not installed the older log-mel CNN (models/voice_emotion.onnx)
is used, and the log says so; its classes map to valence/arousal through the circumplex table.
Windows outside speech get confidence 0.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from scorer import models
from scorer.affect.circumplex import project_probs
from scorer.audio import features
from scorer.errors import ModelError
from scorer.track import Track

log = logging.getLogger(__name__)

MODEL = "voice_tone"
FALLBACK_MODEL = "voice_emotion"
LABELS = ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised")
CHUNK_S = 3.0
MIN_CHUNK_S = 0.5
# the log-mel CNN's held-out accuracy is under half (models/voice_emotion.md): cap its claim
FALLBACK_MAX_CONFIDENCE = 0.7

_reader: EncoderReader | None = None
_reader_lock = threading.Lock()


class EncoderReader:
    """Whisper base encoder states of a speech chunk, pooled into one feature vector.

    The states graph is built on first use with the transcriber
    (:mod:`scorer.audio.whisper_build`); training (models/training/voice_tone_data.py) and
    the app share :meth:`features`, so the head sees the same numbers in both.
    """

    def __init__(self, build_progress=None):
        from scorer.audio import whisper_build

        whisper_build.ensure_built(build_progress)
        # the user's models folder, where the build writes, is one that models.session searches
        self.session = models.session(whisper_build.STATES)

    def features(self, chunk: np.ndarray) -> np.ndarray:
        """Per layer, the mean and standard deviation of the chunk's frames: [layers * 2 * width].

        Args:
            chunk: 16 kHz mono float audio, at most 30 s.
        """
        from scorer.audio import whisper

        chunk = np.asarray(chunk, np.float32)[:whisper.N_SAMPLES]
        # two mel frames per encoder frame; at least a few frames so the statistics exist
        n_mel = min(whisper.N_FRAMES, max(8, 2 * int(np.ceil(len(chunk) / (2 * whisper.HOP)))))
        mel = whisper.log_mel(chunk, n_mel)[None]
        states = self.session.run(None, {"mel": mel})[0][:, 0]  # [layers, T, width]
        return np.concatenate([states.mean(axis=1), states.std(axis=1)], axis=1).ravel()


def _chunks(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out = []
    for s, e in spans:
        n = max(1, int(np.ceil((e - s) / CHUNK_S)))
        step = (e - s) / n
        out += [(s + k * step, s + (k + 1) * step) for k in range(n) if step >= MIN_CHUNK_S]
    return out


def encoder_reader(build_progress=None) -> EncoderReader:
    """Return the shared :class:`EncoderReader`, building Whisper's graphs on first use.

    Args:
        build_progress: Callable(message, fraction) for the first-use build, or None.

    Raises:
        ModelError: If the Whisper weights are not installed or the graph cannot be built.
    """
    global _reader
    with _reader_lock:
        if _reader is None:
            _reader = EncoderReader(build_progress=build_progress)
        return _reader


def _classify_tone(audio, chunks, cancel, progress, build_progress) -> list[tuple]:
    reader = encoder_reader(build_progress)
    head = models.session(MODEL)
    sr = features.SR
    out = []
    for k, (s, e) in enumerate(chunks):
        if cancel is not None:
            cancel.raise_if_set()
        x = reader.features(audio[int(s * sr):int(e * sr)])[None].astype(np.float32)
        probs, va, confidence = head.run(None, {"features": x})
        out.append((s, e, probs[0], va[0], float(confidence[0, 0])))
        if progress is not None:
            progress((k + 1) / len(chunks))
    return out


def _classify_cnn(audio, chunks, cancel, progress) -> list[tuple]:
    sess = models.session(FALLBACK_MODEL)
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
        p = p / p.sum()
        certainty = 1 + (p * np.log(p + 1e-12)).sum() / np.log(len(LABELS))
        v, a_ = project_probs(LABELS, p[None])
        out.append((s, e, p, np.array([v[0], a_[0]]), FALLBACK_MAX_CONFIDENCE * certainty))
        if progress is not None:
            progress((k + 1) / len(chunks))
    return out


def classify(audio: np.ndarray, spans: list[tuple[float, float]], cancel=None,
             progress=None, engine: str = "auto", info: dict | None = None,
             build_progress=None) -> list[tuple]:
    """Read the tone of every chunk of the speech spans.

    Args:
        audio: 16 kHz mono float audio.
        spans: Speech regions (start, end) in seconds.
        cancel: CancelToken or None.
        progress: Callable(fraction) or None.
        engine: ``"tone"`` (the Whisper-states head), ``"cnn"`` (the log-mel CNN) or
            ``"auto"`` (the head, or the CNN with a warning when Whisper cannot be built).
        info: A dict that receives ``voice_model`` (what ran) and, after a fallback,
            ``voice_note`` (why), or None.
        build_progress: Callable(message, fraction) for Whisper's first-use build, or None.

    Returns:
        (start, end, class probabilities, [valence, arousal], confidence 0..1) per chunk.

    Raises:
        ModelError: If the model asked for is missing or damaged.
    """
    info = {} if info is None else info
    info.pop("voice_note", None)
    chunks = _chunks(spans)
    if not chunks:
        return []
    if engine in ("auto", "tone"):
        try:
            out = _classify_tone(audio, chunks, cancel, progress, build_progress)
            info["voice_model"] = MODEL
            return out
        except ModelError as exc:
            if engine == "tone":
                raise
            info["voice_note"] = (f"voice tone read by the older log-mel model: the Whisper "
                                  f"voice-tone model is unavailable ({exc})")
            log.warning("%s", info["voice_note"])
    info["voice_model"] = FALLBACK_MODEL
    return _classify_cnn(audio, chunks, cancel, progress)


def voice_track(audio: np.ndarray, times: np.ndarray, speech: np.ndarray,
                spans: list[tuple[float, float]], cancel=None, progress=None,
                info: dict | None = None, build_progress=None) -> Track:
    """Build the "voice" Track on the window grid ``times``.

    A window's valence and arousal are its chunk's; its confidence is the window's speech
    probability times the chunk's confidence. ``info`` and ``build_progress`` are passed to
    :func:`classify`.
    """
    n = len(times)
    probs = np.zeros((n, len(LABELS)))
    va = np.zeros((n, 2))
    conf = np.zeros(n)
    results = classify(audio, spans, cancel, progress, info=info, build_progress=build_progress)
    starts = np.array([r[0] for r in results])
    for i, t in enumerate(times):
        if speech[i] < 0.5 or not results:
            continue
        k = int(np.searchsorted(starts, t, side="right")) - 1
        if k < 0 or t > results[k][1]:
            continue
        _, _, p, chunk_va, chunk_conf = results[k]
        probs[i] = p
        va[i] = chunk_va
        conf[i] = speech[i] * chunk_conf
    return Track("voice", times, va[:, 0], va[:, 1], conf, LABELS, probs)
