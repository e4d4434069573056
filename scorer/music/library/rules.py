"""Published rules that map musical features to perceived valence and arousal.

This is a hand-set additive cue model, NOT a trained model: no weight below was fitted to data.
Each term is a feature rescaled to -1..1 around a typical value, and valence and arousal are
weighted sums of the terms. The directions and the relative sizes come from the literature on
perceived emotion in music:

- Gabrielsson, A. & Lindström, E. (2010). "The role of structure in the musical expression of
  emotions". In Juslin & Sloboda (eds.), *Handbook of Music and Emotion*, OUP, 367-400. Review
  of a century of studies: major mode -> happiness/positive valence, minor -> sadness; fast
  tempo -> activity, happiness, anger; slow -> sadness, calm, tenderness; high pitch and wide
  range -> happiness and activity; loud -> activity, power; staccato -> happiness, activity;
  legato -> sadness, tenderness.
- Juslin, P. N. & Laukka, P. (2003). "Communication of emotions in vocal expression and music
  performance: different channels, same code?" *Psychological Bulletin* 129(5), 770-814.
  Meta-analysis of performance cues: tempo, sound level, high-frequency energy (brightness),
  articulation and attack all rise with arousal.
- Gagnon, L. & Peretz, I. (2003). "Mode and tempo relative contributions to 'happy-sad'
  judgements in equitone melodies". *Cognition and Emotion* 17(1), 25-40. Both mode and tempo
  move happy-sad (valence) judgements; tempo also carries arousal. Hence tempo appears in
  valence too, with a smaller weight than mode.
- Eerola, T., Friberg, A. & Bresin, R. (2013). "Emotional expression in music: contribution,
  linearity, and additivity of primary musical cues". *Frontiers in Psychology* 4:487. Cue
  effects are largely additive and linear; mode dominates valence, tempo dominates arousal,
  followed by dynamics and register. This justifies a weighted sum and its ordering.
- Schubert, E. (2004). "Modeling perceived emotion with continuous musical features".
  *Music Perception* 21(4), 561-585. Loudness and tempo explain most of arousal; spectral
  centroid (timbral sharpness) adds to it.

Key and mode come from the Krumhansl-Kessler key profiles (Krumhansl, C. L. (1990),
*Cognitive Foundations of Musical Pitch*, OUP), correlated with a pitch-class histogram (symbolic)
or a chroma vector (audio, as in Gómez, E. (2006), *Tonal Description of Music Audio Signals*,
PhD thesis, UPF). Mode counts for valence only as far as the key is clear.

Confidence says how much evidence there was (notes, tempo marking, key clarity); it is never
above 0.6 because these rules describe average listeners and simple music.
"""

from __future__ import annotations

import math

import numpy as np

# Krumhansl & Kessler (1982) probe-tone profiles, C major / C minor.
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

# Weights of the symbolic model. Arousal: tempo > note density > dynamics > register, after
# Eerola et al. 2013 and Juslin & Laukka 2003. Valence: mode > tempo (Gagnon & Peretz 2003),
# then register, articulation and range (Gabrielsson & Lindström 2010).
SYMBOLIC_AROUSAL = {"tempo": 0.35, "density": 0.25, "velocity": 0.15, "pitch": 0.10,
                    "articulation": 0.15}
SYMBOLIC_VALENCE = {"mode": 0.50, "tempo": 0.20, "pitch": 0.10, "articulation": 0.10,
                    "range": 0.10}
# Audio: loudness and brightness stand in for dynamics and timbre (Schubert 2004).
AUDIO_AROUSAL = {"tempo": 0.25, "loudness": 0.25, "centroid": 0.20, "onset_rate": 0.20,
                 "flux": 0.10}
AUDIO_VALENCE = {"mode": 0.55, "tempo": 0.20, "centroid": 0.10, "onset_rate": 0.15}


def _scale(value: float, centre: float, spread: float) -> float:
    return float(np.clip((value - centre) / spread, -1.0, 1.0))


def estimate_key(histogram: np.ndarray) -> tuple[int, str, float]:
    """Estimate the key of a pitch-class histogram or chroma vector.

    Args:
        histogram: 12 non-negative weights, index 0 = C.

    Returns:
        (tonic pitch class, "major" or "minor", clarity 0..1). Clarity is the best profile
        correlation mapped from 0.5..0.9 to 0..1; a flat or empty histogram gives 0.
    """
    h = np.asarray(histogram, dtype=np.float64)
    if h.shape != (12,) or not np.isfinite(h).all() or h.sum() <= 0 or np.ptp(h) <= 1e-9:
        return 0, "major", 0.0
    best = (-2.0, 0, "major")
    for tonic in range(12):
        rolled = np.roll(h, -tonic)
        for mode, profile in (("major", MAJOR_PROFILE), ("minor", MINOR_PROFILE)):
            r = float(np.corrcoef(rolled, profile)[0, 1])
            if r > best[0]:
                best = (r, tonic, mode)
    clarity = float(np.clip((best[0] - 0.5) / 0.4, 0.0, 1.0))
    return best[1], best[2], clarity


def _combine(terms: dict[str, float | None], weights: dict[str, float]) -> float:
    """Weighted mean of the terms that are known (None = not measured, weight dropped)."""
    total = sum(w for k, w in weights.items() if terms.get(k) is not None)
    if total <= 0:
        return 0.0
    value = sum(w * terms[k] for k, w in weights.items() if terms.get(k) is not None)
    return float(np.clip(value / total, -1.0, 1.0))


def symbolic_terms(f: dict) -> dict[str, float | None]:
    """Rescale symbolic features to -1..1 terms (None where the feature is unknown)."""
    mode_sign = 1.0 if f.get("mode") == "major" else -1.0
    # tempo only counts when marked or measured; an assumed default says nothing
    tempo = _scale(f["tempo"], 100.0, 40.0) if f.get("tempo_known") else None
    return {
        "tempo": tempo,
        # onsets per second, log scale: 1/s is slow chorale-like, 8/s is fast figuration
        "density": _scale(math.log2(max(f.get("density", 0.0), 0.05)), math.log2(3.0), 1.5),
        "velocity": _scale(f["velocity"], 70.0, 30.0) if f.get("velocity_known") else None,
        "pitch": _scale(f.get("pitch_top", 65.0), 67.0, 12.0),
        "range": _scale(f.get("pitch_range", 19.0), 19.0, 12.0),
        # duration/inter-onset ratio: 1 = legato (negative), 0.4 = staccato (positive)
        "articulation": (_scale(0.8 - f.get("legato", 0.8), 0.0, 0.35)
                         if f.get("articulation_known", True) else None),
        "mode": mode_sign * f.get("key_clarity", 0.0),
    }


def audio_terms(f: dict) -> dict[str, float | None]:
    """Rescale audio features to -1..1 terms."""
    mode_sign = 1.0 if f.get("mode") == "major" else -1.0
    return {
        "tempo": _scale(f["tempo"], 100.0, 40.0) if f.get("tempo", 0) > 0 else None,
        "loudness": _scale(f.get("loudness_db", -20.0), -20.0, 10.0),
        "centroid": _scale(f.get("centroid_hz", 2000.0), 2000.0, 1500.0),
        "onset_rate": _scale(math.log2(max(f.get("onset_rate", 0.0), 0.05)),
                             math.log2(2.5), 1.2),
        # spectral flux of the L2-normalised spectrum: ~0.05 sustained, ~0.2 percussive
        "flux": _scale(f.get("flux", 0.1), 0.1, 0.1),
        "mode": mode_sign * f.get("key_clarity", 0.0),
    }


def symbolic_va(f: dict) -> tuple[float, float, float]:
    """Return (valence, arousal, confidence) of a piece from its symbolic features."""
    if f.get("n_notes", 0) < 4:
        return 0.0, 0.0, 0.0
    terms = symbolic_terms(f)
    valence = _combine(terms, SYMBOLIC_VALENCE)
    arousal = _combine(terms, SYMBOLIC_AROUSAL)
    evidence = min(1.0, f["n_notes"] / 64.0)
    confidence = 0.6 * evidence * (0.6 + 0.2 * bool(f.get("tempo_known"))
                                   + 0.2 * f.get("key_clarity", 0.0))
    return valence, arousal, float(confidence)


def audio_va(f: dict) -> tuple[float, float, float]:
    """Return (valence, arousal, confidence) of a piece from its audio features."""
    if f.get("loudness_db", -100.0) < -60.0 or f.get("duration", 0.0) < 1.0:
        return 0.0, 0.0, 0.0  # silence: nothing to say
    terms = audio_terms(f)
    valence = _combine(terms, AUDIO_VALENCE)
    arousal = _combine(terms, AUDIO_AROUSAL)
    confidence = 0.5 * min(1.0, f["duration"] / 10.0) * (0.7 + 0.3 * f.get("key_clarity", 0.0))
    return valence, arousal, float(confidence)
