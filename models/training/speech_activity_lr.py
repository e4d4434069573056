"""The logistic-regression speech detector Scorer used before Silero VAD: the baseline.

Kept for ``models/training/eval_speech_activity.py`` and ``bench/audio.py``, which measure
Silero against it in the same run; the app no longer uses it. Per 1-s window (hop 0.5 s), eleven
speech-versus-music cues from :func:`scorer.audio.activity.frame_features` (energy spread,
4 Hz modulation, voicing switches, flatness, flux...) go through a logistic regression fitted
by ``train_voice_activity.py`` on RAVDESS actors 1-16 and Emotify tracks not divisible by 3
(held out: actors 17-24, every third track).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scorer.audio.activity import (  # noqa: E402
    CONTEXT_S,
    FPS,
    SR,
    WINDOW_S,
    FrameFeatures,
    frame_features,
    window_times,
)

GATE_DBFS = -50.0  # windows whose speech band is quieter than this are silence
GATE_BELOW_PEAK_DB = 45.0  # ... or this far below the loud parts of the track

FEATURE_NAMES = (
    "energy_std",
    "low_energy",
    "mod4hz",
    "voiced",
    "voicing_switch",
    "period_steady",
    "flatness",
    "flux_std",
    "centroid_std",
    "context_low_energy",
    "voiced_louder",
)

# fitted by models/training/train_voice_activity.py (held-out window accuracy 0.83: speech
# recall 0.83, non-speech 0.84, before the 3-window median); means/scales standardise
_MEANS = np.array(
    [7.626, 0.1932, 0.3668, 0.769, 6.511, 0.4432, 0.0668, 0.7631, 0.2689, 0.2313, 1.8269]
)
_SCALES = np.array(
    [7.9456, 0.2581, 0.1862, 0.2618, 5.6593, 0.2288, 0.1077, 0.944, 0.2422, 0.2646, 4.7466]
)
_WEIGHTS = np.array(
    [1.1044, -0.8104, 0.2997, -0.1611, -0.0341, -0.2624, -1.7333, -1.5015, 0.7063, 1.873, 0.8599]
)
_BIAS = 0.3563


def window_features(ff: FrameFeatures, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Speech cues per window and its speech-band level.

    Returns:
        (features of shape (len(times), len(FEATURE_NAMES)), level dBFS per window).
    """
    n = len(ff.band_db)
    feats = np.zeros((len(times), len(FEATURE_NAMES)))
    level = np.full(len(times), -120.0)
    half = int(WINDOW_S * FPS / 2)
    half_ctx = int(CONTEXT_S * FPS / 2)
    mod_freqs = np.fft.rfftfreq(2 * half_ctx, 1 / FPS)
    mod_band = (mod_freqs >= 2.5) & (mod_freqs <= 8.0)
    mod_all = (mod_freqs >= 0.5) & (mod_freqs <= 20.0)
    for i, t in enumerate(times):
        c = int(round(t * FPS))
        a, b = max(0, c - half), min(n, c + half)
        if b - a < 5:
            continue
        db = ff.band_db[a:b]
        lin = 10 ** (db / 10)
        level[i] = 10 * np.log10(lin.mean() + 1e-12)
        active = db > level[i] - 25
        voiced = (ff.voicing[a:b] > 0.5) & active
        ca, cb = max(0, c - half_ctx), min(n, c + half_ctx)
        env = np.sqrt(10 ** (ff.band_db[ca:cb] / 10))
        env = np.pad(env - env.mean(), (0, 2 * half_ctx - (cb - ca)))
        mspec = np.abs(np.fft.rfft(env * np.hanning(len(env)))) ** 2
        mod = mspec[mod_band].sum() / (mspec[mod_all].sum() + 1e-12)
        per = ff.period[a:b]
        both = voiced[1:] & voiced[:-1]
        ctx = ff.band_db[ca:cb]
        ctx_level = 10 * np.log10(np.mean(10 ** (ctx / 10)) + 1e-12)
        unvoiced = active & ~voiced
        louder = (
            db[voiced].mean() - db[unvoiced].mean()
            if voiced.sum() >= 3 and unvoiced.sum() >= 3
            else 0.0
        )
        steady = (np.abs(np.diff(per)) <= 0.02 * per[1:])[both].mean() if both.any() else 0.0
        feats[i] = (
            db.std(),
            (db < level[i] - 10).mean(),
            mod,
            voiced.mean(),
            np.abs(np.diff(voiced.astype(np.int8))).sum() / WINDOW_S,
            steady,
            ff.flatness[a:b][active].mean() if active.any() else 1.0,
            ff.flux[a:b].std(),
            ff.centroid[a:b][active].std() if active.sum() > 1 else 0.0,
            (ctx < ctx_level - 10).mean(),
            louder,
        )
    return feats, level


def speech_probability(feats: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Logistic-regression speech probability per window; 0 below the energy gate."""
    if len(feats) == 0:
        return np.zeros(0)
    z = (feats - _MEANS) / _SCALES
    p = 1 / (1 + np.exp(-(z @ _WEIGHTS + _BIAS)))
    if len(p) >= 3:  # speech lasts: a median over three windows removes lone flips
        p = np.median(np.vstack([np.r_[p[:1], p[:-1]], p, np.r_[p[1:], p[-1:]]]), axis=0)
    loud = np.percentile(level, 95)
    gate = (level > GATE_DBFS) & (level > loud - GATE_BELOW_PEAK_DB)
    return np.where(gate, p, 0.0)


def detect(audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Window centres and the baseline's speech probability for 16 kHz mono audio."""
    ff = frame_features(audio)
    times = window_times(len(audio) / SR)
    feats, level = window_features(ff, times)
    return times, speech_probability(feats, level)
