"""One table of valence/arousal coordinates for every emotion label any model emits.

Coordinates are on -1..1, placed on Russell's circumplex (Russell 1980, "A circumplex model
of affect", J. Pers. Soc. Psychol. 39(6)) by the NRC VAD lexicon means (Mohammad 2018, "Obtaining
reliable human ratings of valence, arousal, and dominance for 20,000 English words", ACL),
rescaled from 0..1 to -1..1; the lexicon rests on best-worst scaling by many raters per word.
GEMS music labels (Zentner, Grandjean & Scherer 2008), which Emotify uses, are placed the same
way by the lexicon values of their names.
"""

from __future__ import annotations

import numpy as np

# label -> (valence, arousal): NRC-VAD means of the category's noun form (anger, disgust, fear,
# happiness, sadness, surprise, calmness, shame, guilt, tension, tenderness, nostalgia,
# amazement, joy), or of the adjective where the noun is missing (peaceful, relaxed, solemn,
# powerful), rescaled as 2*x-1. "neutral" sits at the origin, the circumplex's centre (Russell
# 1980), not at the word's lexicon value, which describes the word rather than a neutral face.
CIRCUMPLEX: dict[str, tuple[float, float]] = {
    # Ekman six + neutral (faces, text, speech)
    "angry": (-0.67, 0.73),
    "disgust": (-0.90, 0.55),
    "fear": (-0.85, 0.68),
    "happy": (0.92, 0.46),
    "sad": (-0.90, -0.42),
    "surprise": (0.75, 0.75),
    "neutral": (0.0, 0.0),
    # RAVDESS extra
    "calm": (0.87, -0.79),
    # ISEAR extra
    "shame": (-0.88, 0.34),
    "guilt": (-0.58, 0.13),
    # music emotion (source papers 2 and 3; GEMS names used by Emotify)
    "peaceful": (0.73, -0.78),
    "tense": (-0.39, 0.62),
    "relax": (0.73, -0.82),
    "tender": (0.90, -0.45),
    "nostalgic": (-0.17, -0.33),
    "solemn": (0.42, -0.26),
    "amazed": (0.50, 0.60),
    "powerful": (0.73, 0.66),
    "joyful": (0.96, 0.65),
}

# Synonyms different models and data sets use for the same category.
ALIASES: dict[str, str] = {
    "anger": "angry",
    "disgusted": "disgust",
    "fearful": "fear",
    "fear/threat": "fear",
    "threat": "fear",
    "happiness": "happy",
    "joy": "happy",
    "sadness": "sad",
    "surprised": "surprise",
    "peacefulness": "peaceful",
    "calmness": "peaceful",
    "tension": "tense",
    "relaxed": "relax",
    "tenderness": "tender",
    "nostalgia": "nostalgic",
    "solemnity": "solemn",
    "amazement": "amazed",
    "power": "powerful",
    "joyful_activation": "joyful",
}


def canonical(label: str) -> str:
    """Return the table's name for a label (case-insensitive, aliases resolved).

    Raises:
        KeyError: If the label is not in the table.
    """
    key = label.strip().lower()
    key = ALIASES.get(key, key)
    if key not in CIRCUMPLEX:
        raise KeyError(f"no circumplex coordinates for emotion label {label!r}")
    return key


def coordinates(label: str) -> tuple[float, float]:
    """Return (valence, arousal) of an emotion label."""
    return CIRCUMPLEX[canonical(label)]


def project_probs(labels: list[str] | tuple[str, ...],
                  probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Map class probabilities to valence/arousal as the probability-weighted mean.

    Args:
        labels: Class names, in the order of the last axis of ``probs``.
        probs: Probabilities, shape (..., len(labels)).

    Returns:
        (valence, arousal) arrays of shape probs.shape[:-1].
    """
    table = np.array([coordinates(label) for label in labels], dtype=np.float64)
    p = np.asarray(probs, dtype=np.float64)
    total = p.sum(axis=-1, keepdims=True)
    p = np.divide(p, total, out=np.zeros_like(p), where=total > 0)
    va = p @ table
    return va[..., 0], va[..., 1]


def quadrant(valence: float, arousal: float) -> str:
    """Name the circumplex quadrant of a point ("tense", "excited", "calm", "sad")."""
    if arousal >= 0:
        return "excited" if valence >= 0 else "tense"
    return "calm" if valence >= 0 else "sad"
