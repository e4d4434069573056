"""Valence/arousal of symbolic pieces (MIDI, MusicXML, ABC) from a model trained on EMOPIA.

A multinomial logistic regression over the four quadrants of Russell's plane (Q1 +valence
+arousal, Q2 -/+, Q3 -/-, Q4 +/-) on the features of
:func:`scorer.music.library.features.symbolic_features`, fitted by
``models/training/train_symbolic_emotion.py`` on EMOPIA (1,078 pop-piano clips, CC BY-NC-SA
4.0), split by song for the held-out figures in ``models/symbolic_emotion.md``. Valence is
P(Q1) + P(Q4) - P(Q2) - P(Q3), arousal P(Q1) + P(Q2) - P(Q3) - P(Q4): ``2 p - 1`` of the
probability of each sign. The coefficients below are written by that
script (``--write``); nothing here is set by hand.
"""

from __future__ import annotations

import math

import numpy as np

# Performance-only measures (legato, note length, polyphony, velocity spread) are left out:
# EMOPIA's transcribed piano keeps the sustain pedal in its note lengths, so a model using them
# read notated scores (no pedal) as far outside its data and swung to extremes.
FEATURES = (
    "mode",
    "key_clarity",
    "log_density",
    "pitch_mean",
    "pitch_top",
    "pitch_low",
    "pitch_range",
    "velocity",
    "dissonance",
    "pitch_entropy",
)
# standardised features are clipped here: a linear model must not extrapolate far
Z_CLIP = 3.0


def vector(f: dict) -> list[float]:
    """The model's input for one piece or section (``symbolic_features`` output)."""
    sign = 1.0 if f.get("mode") == "major" else -1.0
    clarity = float(f.get("key_clarity", 0.0))
    # notated scores without dynamics get velocity 80 and no spread (EMOPIA's mean is ~64)
    return [
        sign * clarity,
        clarity,
        math.log2(max(f.get("density", 0.0), 0.05)),
        float(f.get("pitch_mean", 60.0)),
        float(f.get("pitch_top", 67.0)),
        float(f.get("pitch_low", 48.0)),
        float(f.get("pitch_range", 19.0)),
        float(f.get("velocity", 64.0)),
        float(f.get("dissonance", 0.0)),
        float(f.get("pitch_entropy", 3.0)),
    ]


def standardise(x, mean, scale) -> np.ndarray:
    """Standardised and clipped features (training and prediction share this)."""
    return np.clip((np.asarray(x) - np.asarray(mean)) / np.asarray(scale), -Z_CLIP, Z_CLIP)


MODEL = {
    "features": [
        "mode",
        "key_clarity",
        "log_density",
        "pitch_mean",
        "pitch_top",
        "pitch_low",
        "pitch_range",
        "velocity",
        "dissonance",
        "pitch_entropy",
    ],
    "mean": [
        0.161777,
        0.85677,
        2.437898,
        61.821773,
        61.821773,
        42.338126,
        36.767486,
        65.284812,
        0.230315,
        2.726454,
    ],
    "scale": [
        0.861641,
        0.185853,
        0.747491,
        5.751877,
        5.751877,
        7.587485,
        9.351454,
        16.198054,
        0.066443,
        0.221267,
    ],
    "coef": [
        [
            0.520108,
            0.259203,
            0.456436,
            0.157924,
            0.157924,
            -0.413159,
            -0.108441,
            1.063113,
            0.017321,
            0.038867,
        ],
        [
            -0.561293,
            -0.046781,
            0.711764,
            -0.124438,
            -0.124438,
            -0.286408,
            0.075474,
            0.924497,
            0.014061,
            0.067878,
        ],
        [
            -0.264813,
            -0.314378,
            -0.612725,
            0.135215,
            0.135215,
            0.095938,
            -0.036807,
            -0.918733,
            0.154653,
            -0.239259,
        ],
        [
            0.305998,
            0.101957,
            -0.555475,
            -0.168701,
            -0.168701,
            0.603629,
            0.069774,
            -1.068876,
            -0.186034,
            0.132514,
        ],
    ],
    "intercept": [0.035782, -0.058974, -0.027931, 0.051123],
}
# end of MODEL


def available() -> bool:
    """Whether trained coefficients are present."""
    return bool(MODEL)


def predict(f: dict) -> tuple[float, float, float]:
    """Return (valence, arousal, confidence) of a piece from its symbolic features.

    Confidence is the top quadrant probability rescaled from chance (0.25) to certainty
    (1.0), scaled down for pieces with few notes.
    """
    if not MODEL or f.get("n_notes", 0) < 4:
        return 0.0, 0.0, 0.0
    p = quadrant_probs(f)
    evidence = min(1.0, f["n_notes"] / 64.0)
    confidence = evidence * (float(p.max()) - 0.25) / 0.75
    valence = float(p[0] + p[3] - p[1] - p[2])
    arousal = float(p[0] + p[1] - p[2] - p[3])
    return valence, arousal, float(confidence)


def quadrant_probs(f: dict) -> np.ndarray:
    """Probabilities of Q1..Q4 for one piece or section."""
    z = standardise(vector(f), MODEL["mean"], MODEL["scale"])
    logits = np.asarray(MODEL["coef"]) @ z + np.asarray(MODEL["intercept"])
    e = np.exp(logits - logits.max())
    return e / e.sum()
