"""Transcript text -> emotion probabilities and valence/arousal (ONNX), with words per second.

Two models read each transcript segment (see their cards):

- ``models/text_emotion.onnx``: Ekman six + neutral from TF-IDF (GoEmotions). Its
  log-probabilities are divided by ``TEMPERATURE`` (fitted on MELD train, TV dialogue) so the
  top probability matches how often it is right on dialogue; a MiniLM class head was trained
  too but lost to it on GoEmotions test (see ``text_va_minilm.md``), so it does not ship.
- ``models/text_va_minilm.onnx``: valence and arousal regressed on EmoBank from MiniLM sentence
  embeddings (:mod:`scorer.text.embedding`) and VADER's compound score; EmoBank's 1..5 scale is
  mapped by ``(x - 3) / VA_SCALE``. On MELD dev it gets the valence sign right more often than
  the class projection or VADER, so valence and arousal come from it alone.

The confidence is the calibrated probability of the most likely class (0 for empty text).
Each segment gives samples every ``STEP_S`` seconds across its span, so fusion sees it for as
long as it is spoken. Pace (words per second, and its change against the previous segments) is
kept as features for tempo hints.
"""

from __future__ import annotations

import numpy as np

from scorer import models
from scorer.affect.circumplex import project_probs
from scorer.project import TranscriptSegment
from scorer.text import embedding
from scorer.track import Track

MODEL = "text_emotion"
VA_MODEL = "text_va_minilm"
TEMPERATURE = 1.536  # models/training/calibrate_text_emotion.py: MELD dev ECE 0.139 -> 0.087
LABELS = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")
STEP_S = 0.5
VA_SCALE = 1.5  # EmoBank 1..5 -> circumplex -1..1 (4.5 and 1.5 are the ends)

_vader = None


def vader_valence(texts: list[str]) -> np.ndarray:
    """VADER compound score (-1..1) per text."""
    global _vader
    if _vader is None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        _vader = SentimentIntensityAnalyzer()
    return np.array([_vader.polarity_scores(t)["compound"] if t.strip() else 0.0
                     for t in texts])


def classify(texts: list[str]) -> np.ndarray:
    """Calibrated emotion probabilities, shape (len(texts), len(LABELS)).

    Raises:
        ModelError: If the model is missing or damaged.
    """
    if not texts:
        return np.zeros((0, len(LABELS)))
    sess = models.session(MODEL)
    x = np.array([t.lower() for t in texts], dtype=object).reshape(-1, 1)
    _, probs = sess.run(None, {"text": x})
    logits = np.log(np.asarray(probs, dtype=np.float64) + 1e-12) / TEMPERATURE
    logits -= logits.max(1, keepdims=True)
    calibrated = np.exp(logits)
    return calibrated / calibrated.sum(1, keepdims=True)


def regress(texts: list[str], embeddings: np.ndarray | None = None,
            vader: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Valence and arousal (-1..1) from the EmoBank regression head.

    Raises:
        ModelError: If a model or the embedding packages are missing or damaged.
    """
    if not texts:
        return np.zeros(0), np.zeros(0)
    if embeddings is None:
        embeddings = embedding.embed(texts)
    if vader is None:
        vader = vader_valence(texts)
    feats = np.column_stack([embeddings, vader]).astype(np.float32)
    out = models.session(VA_MODEL).run(None, {"features": feats})[0]
    va = np.clip((np.asarray(out, dtype=np.float64) - 3) / VA_SCALE, -1, 1)
    return va[:, 0], va[:, 1]


def pace(segments: list[TranscriptSegment]) -> tuple[np.ndarray, np.ndarray]:
    """Words per second of each segment and its change against the three before it."""
    wps = np.array([len(s.text.split()) / max(s.end - s.start, 0.3) for s in segments])
    change = np.zeros(len(wps))
    for i in range(1, len(wps)):
        change[i] = wps[i] - np.median(wps[max(0, i - 3):i])
    return wps, change


def words_track(segments: list[TranscriptSegment]) -> Track:
    """Build the "words" Track from transcript segments (empty Track if there are none)."""
    segments = [s for s in segments if s.end > s.start or s.text.strip()]
    if not segments:
        return Track.empty("words", LABELS)
    texts = [s.text for s in segments]
    probs = classify(texts)
    class_valence, class_arousal = project_probs(LABELS, probs)
    vader = vader_valence(texts)
    valence, arousal = regress(texts, embedding.embed(texts), vader)
    has_words = np.array([bool(t.strip()) for t in texts])
    conf = np.where(has_words, probs.max(1), 0.0)
    wps, change = pace(segments)
    rows = []
    for i, seg in enumerate(segments):
        n = max(1, int(np.floor((seg.end - seg.start) / STEP_S)))
        for t in seg.start + (np.arange(n) + 0.5) * (seg.end - seg.start) / n:
            rows.append((t, i))
    rows.sort()
    idx = np.array([i for _, i in rows])
    return Track("words", np.array([t for t, _ in rows]), valence[idx], arousal[idx], conf[idx],
                 LABELS, probs[idx], features={
                     "words_per_second": wps[idx], "pace_change": change[idx],
                     "vader": vader[idx], "class_valence": class_valence[idx],
                     "class_arousal": class_arousal[idx],
                     "segment": idx.astype(float)})
