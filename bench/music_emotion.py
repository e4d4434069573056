"""Music emotion speed: times real time over a generated 10-minute track.

Run: .venv/bin/python bench/music_emotion.py [--minutes 10]

Rows: the app's reader (musicnn log-mel front end, musicnn MSD+MTT + head on 3-s patches,
``read`` end to end), the 2-s CQT CNN it replaced (front end, CNN, both), the
music/speech/silence discriminator, and the whole film-music analysis; baseline: the
MFCC + spectral feature front end of the seed-003 feature baseline over the same audio,
measured in the same run. Accuracy figures are in models/music_emotion_head.md (they come
from models/training/train_music_emotion_head.py, which scores every method on the same folds).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scorer.music import emotion as me  # noqa: E402
from scorer.music import film_music as fm  # noqa: E402
from scorer.music import musicnn as mn  # noqa: E402
from scorer.project import Project  # noqa: E402

SR = 16000


def generated_track(seconds: float, seed: int = 0) -> np.ndarray:
    """Chords, a bass line and noise-burst drums, with a quiet stretch every 2 minutes."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    out = np.zeros(n, np.float32)
    beat = int(0.5 * SR)
    t = np.arange(beat) / SR
    env = np.exp(-3 * t).astype(np.float32)
    kick = (np.sin(2 * np.pi * 60 * t) * np.exp(-20 * t)).astype(np.float32)
    roots = [220.0, 174.6, 196.0, 261.6, 146.8, 164.8]
    for k, start in enumerate(range(0, n - beat, beat)):
        root = roots[(k // 8 + rng.integers(2)) % len(roots)]
        note = np.zeros(beat, np.float32)
        for ratio in (1.0, 1.26, 1.5, 0.5):
            note += np.sin(2 * np.pi * root * ratio * t).astype(np.float32)
        out[start:start + beat] += 0.1 * note * env + 0.3 * kick
        if k % 2:
            out[start:start + beat // 8] += 0.05 * rng.standard_normal(beat // 8).astype(
                np.float32)
    for q in range(120, int(seconds), 120):  # 10-s pauses: silence windows
        out[q * SR:(q + 10) * SR] *= 1e-4
    return out


def timed(fn, *args):
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0)
    args = ap.parse_args()
    seconds = args.minutes * 60
    audio = generated_track(seconds)
    me.read(audio[:SR * 4], SR)  # warm up librosa/numba and the ONNX sessions
    me.run_model(np.zeros((1, 1, me.N_BINS, me.SEGMENT_FRAMES), np.float32))

    def baseline(y):
        import librosa

        s = np.abs(librosa.stft(y, hop_length=me.HOP, n_fft=2048))
        librosa.feature.mfcc(S=librosa.power_to_db(
            librosa.feature.melspectrogram(S=s ** 2, sr=SR, n_mels=64)), n_mfcc=20)
        librosa.feature.spectral_centroid(S=s, sr=SR)
        librosa.feature.spectral_rolloff(S=s, sr=SR)
        librosa.onset.onset_strength(S=librosa.amplitude_to_db(s), sr=SR)

    db = me.cqt_db(audio, SR)
    batch = me.segment_batch(db, me.segment_starts(db.shape[1]))
    patches = mn.patches(mn.log_mel(audio, SR))
    rows = [
        ("feature baseline front end (MFCC, centroid, roll-off, flux)", timed(baseline, audio)),
        ("musicnn log-mel front end", timed(mn.log_mel, audio, SR)),
        (f"musicnn MSD+MTT + head on {len(patches)} patches (ONNX, 1 thread)",
         timed(me.read_patches, patches, np.zeros(len(patches)))),
        ("read (log-mel + musicnn + head): the app's reader", timed(me.read, audio, SR)),
        ("old: CQT front end", timed(me.cqt_db, audio, SR)),
        (f"old: CQT CNN on {len(batch)} segments (ONNX, 1 thread)", timed(me.run_model, batch)),
        ("music/speech/silence discriminator", timed(fm.classify_windows, audio, SR)),
        ("analyze_film_music (all, 1-s hop)",
         timed(fm.analyze_film_music, audio, SR, Project(), None, None, None)),
    ]
    base = rows[0][1]
    print(f"music emotion over a generated {args.minutes:g}-minute track ({seconds:.0f} s)")
    print(f"{'stage':62s} {'seconds':>8s} {'x real time':>12s} {'vs baseline':>12s}")
    for name, sec in rows:
        print(f"{name:62s} {sec:8.2f} {seconds / sec:12.0f} {sec / base:11.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
