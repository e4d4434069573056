"""Transcript text -> emotion probabilities (ONNX) -> valence/arousal, with words per second.

The classifier (models/text_emotion.onnx: logistic regression on TF-IDF, trained on
GoEmotions' Ekman labels, see its card) gives seven class probabilities per transcript
segment, mapped to valence/arousal through the circumplex table. VADER's lexicon valence is
a second opinion: valence is the mean of the two, and where they disagree in sign the
confidence drops. Short segments say less, so confidence grows with the number of words.
Each segment gives samples every ``STEP_S`` seconds across its span, so fusion sees it for as
long as it is spoken. Pace (words per second, and its change against the previous segments)
is kept as features for tempo hints.
"""

from __future__ import annotations

import numpy as np

from scorer import models
from scorer.affect.circumplex import project_probs
from scorer.project import TranscriptSegment
from scorer.track import Track

MODEL = "text_emotion"
LABELS = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")
STEP_S = 0.5
FULL_WORDS = 8  # a segment of this many words gets full confidence
MAX_CONFIDENCE = 0.8

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
    """Emotion probabilities, shape (len(texts), len(LABELS)).

    Raises:
        ModelError: If the model is missing or damaged.
    """
    if not texts:
        return np.zeros((0, len(LABELS)))
    sess = models.session(MODEL)
    x = np.array([t.lower() for t in texts], dtype=object).reshape(-1, 1)
    _, probs = sess.run(None, {"text": x})
    return np.asarray(probs, dtype=np.float64)


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
    val_model, arousal = project_probs(LABELS, probs)
    vader = vader_valence(texts)
    valence = (val_model + vader) / 2
    n_words = np.array([len(t.split()) for t in texts])
    certainty = 1 + (probs * np.log(probs + 1e-12)).sum(1) / np.log(len(LABELS))
    agree = np.where(np.sign(val_model) * np.sign(vader) < 0, 0.5, 1.0)
    conf = MAX_CONFIDENCE * np.minimum(1, n_words / FULL_WORDS) * (0.5 + 0.5 * certainty) * agree
    conf = np.where(n_words > 0, conf, 0.0)
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
                     "vader": vader[idx], "model_valence": val_model[idx],
                     "segment": idx.astype(float)})
