"""Fit the speech-activity logistic regression (the baseline in speech_activity_lr.py).

Speech windows: RAVDESS recordings (clips of one actor joined into a stream) and espeak-ng
synthetic speech in several voices (sentences other than the tests'), alone and with Emotify
music mixed 6-20 dB under the voice (dialogue over score is still speech). RAVDESS alone is
two sentences from a studio; the synthetic voices widen the range of voices and pacing. Non-speech
windows: Emotify music excerpts and generated drums, chords, tones and noise. Held out: actors
17-24 and every third Emotify track. Only windows above the energy gate count.

Run (about 3 minutes):

    .venv/bin/python models/training/train_voice_activity.py

Prints the held-out accuracy and the coefficients to paste into speech_activity_lr.py (the
baseline that Silero VAD replaced in the app).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import speech_activity_lr as LR  # noqa: E402

from scorer.audio import activity as A  # noqa: E402

SR = A.SR


def shared() -> Path:
    return Path(os.environ.get("SCORER_SHARED_DATA") or REPO.parent / "shared" / "data")


def read(path: Path, seconds: float | None = None, offset: float = 0.0) -> np.ndarray:
    import librosa

    y, _ = librosa.load(path, sr=SR, mono=True, offset=offset, duration=seconds)
    return y.astype(np.float32)


def rms(y):
    return float(np.sqrt(np.mean(y ** 2) + 1e-12))


def synthetic(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """Drums, chords, single tones, arpeggios or noise: sounds that are not speech."""
    n = int(seconds * SR)
    t = np.arange(n) / SR
    kind = rng.integers(0, 5)
    y = np.zeros(n, dtype=np.float64)
    if kind == 0:  # drum pattern
        bpm = rng.uniform(70, 160)
        beat = 60 / bpm
        for k, start in enumerate(np.arange(0, seconds, beat / 2)):
            i = int(start * SR)
            m = min(n - i, int(0.25 * SR))
            tt = np.arange(m) / SR
            if k % 2 == 0:  # kick
                sweep = 50 + 80 * np.exp(-tt * 30)
                y[i:i + m] += np.sin(2 * np.pi * sweep * tt) * np.exp(-tt * 12)
            else:  # snare / hat
                y[i:i + m] += rng.normal(0, 0.5, m) * np.exp(-tt * rng.uniform(15, 40))
    elif kind in (1, 2):  # chords (1) or arpeggios (2)
        dur = rng.uniform(0.3, 2.0) if kind == 1 else rng.uniform(0.1, 0.3)
        for start in np.arange(0, seconds, dur):
            i, m = int(start * SR), int(dur * SR)
            m = min(m, n - i)
            tt = np.arange(m) / SR
            root = 110 * 2 ** (rng.integers(0, 24) / 12)
            notes = [root * 2 ** (s / 12) for s in ((0, 4, 7, 12) if kind == 1 else
                                                      (rng.integers(0, 12),))]
            env = np.minimum(1, tt * 50) * np.exp(-tt * rng.uniform(0.5, 4))
            for f in notes:
                for h in range(1, 6):
                    y[i:i + m] += env * np.sin(2 * np.pi * f * h * tt) / h ** 1.5
    elif kind == 3:  # sustained tone with vibrato
        f = rng.uniform(100, 600)
        y = np.sin(2 * np.pi * f * t + 3 * np.sin(2 * np.pi * 5 * t))
    else:  # coloured noise (rain, wind, traffic)
        y = np.cumsum(rng.normal(0, 1, n)) if rng.random() < 0.5 else rng.normal(0, 1, n)
        y = y - np.convolve(y, np.ones(400) / 400, mode="same")
    y = y / (np.abs(y).max() + 1e-9) * rng.uniform(0.05, 0.7)
    return y.astype(np.float32)


SENTENCES = (
    "Where were you last night? I waited for hours and you never called.",
    "Please sit down. We need to talk about what happened at the station.",
    "It is a beautiful morning, the sun is shining and the birds are singing.",
    "Run! They are coming this way, we have to get out of here now!",
    "I never wanted any of this. I only wanted to go home to my family.",
    "The experiment failed again, and the funding ends next month.",
    "Ladies and gentlemen, welcome aboard flight two hundred to Chicago.",
    "Do you remember the summer we spent by the lake, when we were children?",
)
VOICES = ("en", "en-us", "en+f2", "en+m3", "en+f4", "en-gb-x-rp", "en+m7")


def espeak(rng: np.random.Generator, sentence: str) -> np.ndarray:
    import shutil
    import subprocess
    import tempfile

    import librosa
    import soundfile as sf

    exe = shutil.which("espeak-ng")
    if exe is None:
        return np.zeros(0, dtype=np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "s.wav"
        subprocess.run([exe, "-v", str(rng.choice(VOICES)), "-s", str(rng.integers(120, 230)),
                        "-p", str(rng.integers(20, 85)), "-a", str(rng.integers(40, 180)),
                        "-w", str(out), sentence], check=True, capture_output=True)
        y, sr = sf.read(out, dtype="float32")
    return librosa.resample(y, orig_sr=sr, target_sr=SR).astype(np.float32)


def windows(y: np.ndarray):
    ff = A.frame_features(y)
    times = A.window_times(len(y) / SR)
    feats, level = LR.window_features(ff, times)
    loud = np.percentile(level, 95) if len(level) else 0
    keep = (level > A.GATE_DBFS) & (level > loud - A.GATE_BELOW_PEAK_DB)
    return feats[keep]


def build(rng, actors, tracks, n_synth, sentences=()):
    data_dir = shared()
    x, y = [], []
    music = [data_dir / "music-emotion" / "emotify" / "audio" / f"{k:03d}.ogg" for k in tracks]
    music = [m for m in music if m.exists()]  # a few tracks are missing from the copy
    streams = []
    for actor in actors:
        clips = sorted((data_dir / "speech-emotion" / "ravdess" / f"Actor_{actor:02d}").glob(
            "*.flac"))
        rng.shuffle(clips)
        streams.append(np.concatenate([read(c) for c in clips[:24]]))
    for sentence in sentences:
        for _ in range(2):
            speech = espeak(rng, sentence)
            if len(speech):
                streams.append(speech)
    for stream in streams:
        x.append(windows(stream))
        y += [1] * len(x[-1])
        bed = read(music[rng.integers(len(music))], seconds=len(stream) / SR, offset=5)
        bed = np.resize(bed, len(stream))
        gain = rms(stream) / rms(bed) * 10 ** (-rng.uniform(6, 20) / 20)
        x.append(windows(stream + gain * bed))
        y += [1] * len(x[-1])
        print(f"speech stream of {len(stream) / SR:.0f} s", flush=True)
    for path in music:
        x.append(windows(read(path, seconds=10, offset=rng.uniform(0, 15))))
        y += [0] * len(x[-1])
    for _ in range(n_synth):
        x.append(windows(synthetic(rng, 10)))
        y += [0] * len(x[-1])
    return np.vstack(x), np.array(y)


def main() -> None:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    train_tracks = [k for k in range(1, 301) if k % 3]
    test_tracks = [k for k in range(1, 301) if k % 3 == 0]
    x_tr, y_tr = build(rng, range(1, 17), train_tracks, 60, SENTENCES[:6])
    x_te, y_te = build(rng, range(17, 25), test_tracks, 30, SENTENCES[6:])
    mean, scale = x_tr.mean(0), x_tr.std(0) + 1e-9
    clf = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)
    clf.fit((x_tr - mean) / scale, y_tr)
    pred = clf.predict((x_te - mean) / scale)
    for label, name in ((1, "speech"), (0, "non-speech")):
        sel = y_te == label
        print(f"held-out {name} windows: {sel.sum()}, recall {(pred[sel] == label).mean():.3f}")
    print(f"held-out accuracy {(pred == y_te).mean():.3f}")
    np.set_printoptions(precision=4, suppress=True, linewidth=100)
    print("_MEANS = np.array(" + repr(mean.round(4).tolist()) + ")")
    print("_SCALES = np.array(" + repr(scale.round(4).tolist()) + ")")
    print("_WEIGHTS = np.array(" + repr(clf.coef_[0].round(4).tolist()) + ")")
    print(f"_BIAS = {clf.intercept_[0]:.4f}")


if __name__ == "__main__":
    main()
