"""Prosody -> arousal: pitch, loudness, their spread and speaking rate on speech windows.

Louder, higher, more varied and faster speech reads as more aroused (Juslin & Laukka 2003,
"Communication of emotions in vocal expression and music performance", Psychol. Bull. 129(5)).
Pitch comes from ``librosa.pyin``, which is slow, so it runs only on speech regions and at a
40 ms hop. Each cue is scaled against typical conversational speech (about -26 dBFS, 150 Hz,
2.5 semitones of spread, 4 syllables a second) and half against the clip's own speech, so a
film mixed quietly still shows its loud and quiet scenes. Prosody says little about valence:
valence is left at 0 and the confidence is at most ``MAX_CONFIDENCE``.
"""

from __future__ import annotations

import numpy as np

from scorer.audio import activity as A
from scorer.track import Track

PYIN_HOP = 640  # 40 ms
PYIN_FRAME = 1024
PYIN_MAX_SAMPLES = PYIN_HOP * 1500  # 60 s pieces
MAX_CONFIDENCE = 0.6

REF_LOUDNESS_DB = -26.0
REF_PITCH_HZ = 150.0
REF_PITCH_SPREAD_ST = 2.5
REF_RATE = 4.0


def pitch_track(audio: np.ndarray, spans: list[tuple[float, float]], cancel=None,
                progress=None) -> tuple[np.ndarray, np.ndarray]:
    """Run pyin on the speech spans only.

    Returns:
        (times, f0 Hz with NaN where unvoiced) over the spans, 40 ms apart.
    """
    import librosa

    times, f0s = [], []
    total = sum(e - s for s, e in spans) or 1.0
    done = 0.0
    for s, e in spans:
        a, b = int(s * A.SR), min(len(audio), int(e * A.SR))
        # pyin's memory grows with its input; a long scene of talk (speech regions merge
        # across short pauses) is decoded in pieces on the same 40 ms grid
        for p in range(a, b, PYIN_MAX_SAMPLES):
            if cancel is not None:
                cancel.raise_if_set()
            seg = audio[p:min(b, p + PYIN_MAX_SAMPLES)]
            if len(seg) < PYIN_FRAME:
                continue
            f0, _, _ = librosa.pyin(seg, fmin=65, fmax=500, sr=A.SR, frame_length=PYIN_FRAME,
                                    hop_length=PYIN_HOP, resolution=0.2,
                                    max_transition_rate=30)
            # a piece's last frame is centred past its end: the next piece's first replaces it
            keep = len(f0) if p + PYIN_MAX_SAMPLES >= b else len(seg) // PYIN_HOP
            times.append(s + (p - a + np.arange(keep) * PYIN_HOP) / A.SR)
            f0s.append(f0[:keep])
        done += e - s
        if progress is not None:
            progress(done / total)
    if not times:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(times), np.concatenate(f0s)


def syllable_rate(band_db: np.ndarray, voicing: np.ndarray) -> float:
    """Count voiced-energy peaks a second (a syllable-nucleus estimate) in one window."""
    if len(band_db) < 10:
        return 0.0
    env = np.convolve(band_db, np.ones(3) / 3, mode="same")
    voiced = voicing > 0.5
    peaks = ((env[1:-1] > env[:-2]) & (env[1:-1] >= env[2:]) & voiced[1:-1]
             & (env[1:-1] > env.max() - 20))
    # a nucleus needs a dip of 3 dB before the next one; merge closer peaks
    idx = np.flatnonzero(peaks) + 1
    count, last = 0, -100
    for i in idx:
        if i - last >= 5 or env[last:i].min(initial=env[i]) < env[i] - 3:
            count += 1
            last = i
    return count * A.FPS / len(band_db)


def prosody_track(audio: np.ndarray, times: np.ndarray, speech: np.ndarray,
                  ff: A.FrameFeatures, cancel=None, progress=None) -> Track:
    """Build the "prosody" Track from speech activity and pitch.

    Args:
        audio: 16 kHz mono audio.
        times: Window centres (from :func:`scorer.audio.activity.detect`).
        speech: Speech probability per window.
        ff: Frame features of the same audio.
        cancel: Cancel token or None.
        progress: Callable(fraction) or None.

    Returns:
        A Track with arousal from prosody; confidence 0 where nobody speaks.
    """
    n = len(times)
    spans = A.regions(times, speech)
    pt, f0 = pitch_track(audio, spans, cancel, progress)
    half = A.WINDOW_S / 2
    pitch = np.full(n, np.nan)
    spread = np.full(n, np.nan)
    loud = np.full(n, np.nan)
    loud_spread = np.full(n, np.nan)
    rate = np.full(n, np.nan)
    for i, t in enumerate(times):
        if speech[i] < 0.5:
            continue
        a, b = int((t - half) * A.FPS), int((t + half) * A.FPS)
        a = max(a, 0)
        db = ff.band_db[a:b]
        active = db > db.max() - 25
        loud[i] = 10 * np.log10(np.mean(10 ** (db[active] / 10)) + 1e-12)
        loud_spread[i] = db[active].std()
        rate[i] = syllable_rate(db, ff.voicing[a:b])
        lo, hi = np.searchsorted(pt, t - half), np.searchsorted(pt, t + half)
        f = f0[lo:hi]
        f = f[np.isfinite(f)]
        if len(f) >= 3:
            st = 12 * np.log2(f)
            pitch[i] = float(np.median(f))
            spread[i] = float(st.std())
    valid = np.isfinite(loud)
    arousal = np.zeros(n)
    if valid.any():
        clip_loud = np.nanmedian(loud)
        l_abs = (loud - REF_LOUDNESS_DB) / 8
        l_rel = (loud - clip_loud) / 5
        cues = [0.35 * (0.5 * l_abs + 0.5 * l_rel),
                0.15 * (loud_spread - 8) / 4,
                0.15 * (rate - REF_RATE) / 2]
        has_pitch = np.isfinite(pitch)
        if has_pitch.any():
            clip_pitch = np.nanmedian(pitch)
            p_abs = 12 * np.log2(np.where(has_pitch, pitch, REF_PITCH_HZ) / REF_PITCH_HZ) / 6
            p_rel = 12 * np.log2(np.where(has_pitch, pitch, clip_pitch) / clip_pitch) / 3
            cues.append(0.2 * (0.5 * p_abs + 0.5 * p_rel))
            cues.append(0.25 * (np.where(has_pitch, spread, REF_PITCH_SPREAD_ST)
                                - REF_PITCH_SPREAD_ST) / 1.5)
        z = np.nansum(np.vstack(cues), axis=0)
        arousal = np.where(valid, np.tanh(1.5 * z), 0.0)
    confidence = np.where(valid, MAX_CONFIDENCE * np.clip((speech - 0.5) * 2, 0, 1), 0.0)
    rate_hz = np.nan_to_num(rate)
    return Track("prosody", times, np.zeros(n), arousal, confidence, features={
        "speech": speech, "pitch_hz": np.nan_to_num(pitch), "loudness_db":
        np.nan_to_num(loud, nan=-120.0), "pitch_spread_st": np.nan_to_num(spread),
        "loudness_spread_db": np.nan_to_num(loud_spread), "syllables_per_second": rate_hz,
        # prosody reads arousal only; fusion keeps it out of the valence mean
        "valence_weight": np.zeros(n)})
