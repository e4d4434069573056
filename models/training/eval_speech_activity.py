"""Measure Silero VAD against the logistic-regression baseline; fit the window calibration.

Clips (16 kHz mono, from ../shared/data):

- speech: one stream per actor, a dozen RAVDESS (English) or EMOVO (Italian) recordings in a
  row with their own leading and trailing silences; alone and with music mixed under the voice
  at 20, 10, 5 and 0 dB SNR (speech RMS over its active chunks against the music's RMS);
- music alone: 20-s excerpts of Emotify tracks and 4Q clips. Many of these are songs: a sung
  voice is a voice, so figures are printed per source and per Emotify genre.

The reference: a 32 ms chunk of a speech stream is speech where the clean recording is within
35 dB of its loudest chunk (gaps under 200 ms closed, bursts under 100 ms dropped); everything in
music alone is not speech. A 1-s window (hop 0.5 s) is speech when at least half of it is.

Splits: calibration = RAVDESS actors 1-16 (every other one), Emotify tracks not divisible by 3
and 4Q artists outside the held-out hash (the baseline was fitted on actors 1-16 and the same
Emotify tracks); test = RAVDESS actors 17-24, all six EMOVO actors, every third Emotify track
and held-out 4Q artists. Music under test speech comes from test music only.

On the calibration split a two-input logistic regression maps a window's share in speech
segments and its mean chunk probability to a calibrated probability; its three numbers go into
``scorer/audio/activity.py`` (``CAL_*``). On the test split: window accuracy and speech F1 of
the baseline and of Silero, chunk-level F1 of Silero's segments, expected calibration error
before and after calibration.

Run (about 10 minutes on 2 shared cores):

    SCORER_SHARED_DATA=/work/shared/data nice -n 10 .venv/bin/python \
        models/training/eval_speech_activity.py [--out results.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import speech_activity_lr as LR  # noqa: E402

from scorer.audio import activity as A  # noqa: E402

SR = A.SR
SNRS = (None, 20, 10, 5, 0)  # None: clean speech
CLIPS_PER_STREAM = 12


def shared() -> Path:
    return Path(os.environ.get("SCORER_SHARED_DATA") or REPO.parent / "shared" / "data")


def read(path: Path, seconds: float | None = None) -> np.ndarray:
    import librosa

    y, _ = librosa.load(path, sr=SR, mono=True, duration=seconds)
    return y.astype(np.float32)


def reference(clean: np.ndarray) -> np.ndarray:
    """Chunk-level speech reference of one clean recording."""
    n = len(clean) // A.CHUNK
    chunks = clean[: n * A.CHUNK].reshape(n, A.CHUNK)
    db = 10 * np.log10((chunks**2).mean(1) + 1e-12)
    on = db > db.max() - 35
    # close short gaps (stops inside words), drop short bursts (clicks, breaths)
    gap, burst = int(0.2 / A.CHUNK_S), int(0.1 / A.CHUNK_S)
    edges = np.flatnonzero(np.diff(np.r_[0, on.astype(np.int8), 0]))
    runs = list(zip(edges[::2], edges[1::2], strict=True))
    merged: list[list[int]] = []
    for a, b in runs:
        if merged and a - merged[-1][1] < gap:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    out = np.zeros(len(clean) // A.CHUNK + 1, dtype=bool)
    for a, b in merged:
        if b - a >= burst:
            out[a:b] = True
    return out


def speech_stream(files: list[Path]) -> tuple[np.ndarray, np.ndarray]:
    """Recordings joined end to end, with their chunk reference (padded to whole chunks)."""
    audio, ref = [], []
    for f in files:
        y = read(f)
        y = np.pad(y, (0, (-len(y)) % A.CHUNK))
        audio.append(y)
        ref.append(reference(y)[: len(y) // A.CHUNK])
    return np.concatenate(audio), np.concatenate(ref)


def mix(speech: np.ndarray, ref: np.ndarray, music: np.ndarray, snr: float) -> np.ndarray:
    reps = int(np.ceil(len(speech) / len(music)))
    bed = np.tile(music, reps)[: len(speech)]
    active = np.repeat(ref, A.CHUNK)[: len(speech)]
    s_rms = np.sqrt(np.mean(speech[active] ** 2) + 1e-12)
    m_rms = np.sqrt(np.mean(bed**2) + 1e-12)
    return (speech + bed * s_rms / m_rms * 10 ** (-snr / 20)).astype(np.float32)


def held_out_artist(artist: str) -> bool:
    return int(hashlib.md5(artist.encode()).hexdigest()[:8], 16) % 3 == 0


def music_sets(n_each: int) -> dict[str, list[tuple[Path, str]]]:
    import csv

    root = shared() / "music-emotion"
    genres = {}
    with open(root / "emotify" / "labels.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            key = row.get("track") or row.get("track_id") or next(iter(row.values()))
            genres[int(float(key))] = row.get("genre", "?")
    emotify = sorted((root / "emotify" / "audio").glob("*.ogg"))
    quad = []
    with open(root / "4q" / "labels.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            quad.append((root / "4q" / "audio" / f"{row['song']}.ogg", row["artist"]))
    rng = np.random.default_rng(0)

    def pick(items, n):
        idx = rng.choice(len(items), min(n, len(items)), replace=False)
        return [items[i] for i in sorted(idx)]

    sets = {}
    for split, test in (("calib", False), ("test", True)):
        em = [
            (p, "emotify-" + genres.get(int(p.stem), "?"))
            for p in emotify
            if (int(p.stem) % 3 == 0) == test
        ]
        q4 = [(p, "4q") for p, artist in quad if p.exists() and held_out_artist(artist) == test]
        sets[split] = pick(em, n_each) + pick(q4, n_each)
    return sets


def speech_sets() -> dict[str, list[tuple[str, list[Path]]]]:
    rng = np.random.default_rng(1)
    root = shared() / "speech-emotion"
    sets: dict[str, list[tuple[str, list[Path]]]] = {"calib": [], "test": []}
    for actor in range(1, 25):
        files = sorted((root / "ravdess" / f"Actor_{actor:02d}").glob("*.flac"))
        if not files or (actor <= 16 and actor % 2 == 0):
            continue
        chosen = [files[i] for i in sorted(rng.choice(len(files), CLIPS_PER_STREAM, False))]
        sets["test" if actor >= 17 else "calib"].append(("ravdess", chosen))
    for actor in ("f1", "f2", "f3", "m1", "m2", "m3"):
        files = sorted((root / "emovo" / actor).glob("*.ogg"))
        if files:
            chosen = [files[i] for i in sorted(rng.choice(len(files), CLIPS_PER_STREAM, False))]
            sets["test"].append(("emovo", chosen))
    return sets


def measure(audio: np.ndarray, chunk_ref: np.ndarray) -> dict:
    """Window and chunk labels and predictions of both detectors on one clip."""
    result = A.analyze(audio)
    times = result.times
    n_chunks = len(result.chunk_probs)
    ref = np.zeros(n_chunks, dtype=bool)
    ref[: min(n_chunks, len(chunk_ref))] = chunk_ref[:n_chunks]
    window_ref, _ = A.window_statistics(ref, ref.astype(float), times)
    mask = np.zeros(n_chunks, dtype=bool)
    for s, e in result.segments:
        mask[int(round(s / A.CHUNK_S)) : int(round(e / A.CHUNK_S))] = True
    cover, mean = A.window_statistics(mask, result.chunk_probs, times)
    loud = A.gate(result.level)
    _, lr_prob = LR.detect(audio)
    return {
        "y": window_ref >= 0.5,
        "cover": np.where(loud, cover, 0),
        "mean": np.where(loud, mean, 0),
        "lr": lr_prob,
        "chunk_ref": ref,
        "chunk_pred": mask,
    }


def f1(y: np.ndarray, pred: np.ndarray) -> float:
    tp = np.sum(y & pred)
    return float(2 * tp / max(1, 2 * tp + np.sum(~y & pred) + np.sum(y & ~pred)))


def ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    idx = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        sel = idx == b
        if sel.any():
            total += sel.mean() * abs(y[sel].mean() - p[sel].mean())
    return float(total)


def collect(split: str, speech, music) -> list[dict]:
    rows = []
    music_audio = [(read(p, 20.0), tag) for p, tag in music[split]]
    beds = [m for m, _ in music_audio]
    rng = np.random.default_rng(2)
    for k, (corpus, files) in enumerate(speech[split]):
        audio, ref = speech_stream(files)
        for snr in SNRS:
            if snr is None:
                clip = audio
            else:
                clip = mix(audio, ref, beds[rng.integers(len(beds))], snr)
            row = measure(clip, ref)
            row["condition"] = f"{corpus} " + ("clean" if snr is None else f"{snr} dB")
            rows.append(row)
        print(f"  {split} speech stream {k + 1}/{len(speech[split])}", flush=True)
    for audio, tag in music_audio:
        row = measure(audio, np.zeros(0, dtype=bool))
        row["condition"] = "music " + tag
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--music-per-source", type=int, default=40)
    parser.add_argument("--max-streams", type=int, default=0, help="per split (0: all)")
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    from sklearn.linear_model import LogisticRegression

    t0 = time.time()
    speech, music = speech_sets(), music_sets(args.music_per_source)
    if args.max_streams:
        speech = {
            k: v[:: max(1, len(v) // args.max_streams)][: args.max_streams]
            for k, v in speech.items()
        }
    calib = collect("calib", speech, music)
    test = collect("test", speech, music)

    def stack(rows, key):
        return np.concatenate([r[key] for r in rows])

    x_cal = np.column_stack([stack(calib, "cover"), stack(calib, "mean")])
    clf = LogisticRegression(C=10.0).fit(x_cal, stack(calib, "y"))
    coef = {
        "CAL_COVER": round(float(clf.coef_[0][0]), 3),
        "CAL_MEAN": round(float(clf.coef_[0][1]), 3),
        "CAL_BIAS": round(float(clf.intercept_[0]), 3),
    }

    def silero_prob(rows):
        z = (
            coef["CAL_COVER"] * stack(rows, "cover")
            + coef["CAL_MEAN"] * stack(rows, "mean")
            + coef["CAL_BIAS"]
        )
        return 1 / (1 + np.exp(-z))

    report = {"calibration": coef, "conditions": {}}
    conditions = sorted({r["condition"] for r in test})
    groups = conditions + ["ALL speech clips", "ALL music clips", "ALL"]
    print(
        f"\n{'test condition':26} {'windows':>7} {'LR acc':>7} {'LR F1':>6} {'Silero acc':>10} "
        f"{'Silero F1':>9} {'chunk F1':>8}"
    )
    for group in groups:
        if group == "ALL":
            rows = test
        elif group == "ALL speech clips":
            rows = [r for r in test if not r["condition"].startswith("music")]
        elif group == "ALL music clips":
            rows = [r for r in test if r["condition"].startswith("music")]
        else:
            rows = [r for r in test if r["condition"] == group]
        y = stack(rows, "y")
        lr = stack(rows, "lr") >= 0.5
        si = silero_prob(rows) >= 0.5
        cy, cp = stack(rows, "chunk_ref"), stack(rows, "chunk_pred")
        entry = {
            "windows": int(len(y)),
            "lr_acc": float((lr == y).mean()),
            "lr_f1": f1(y, lr),
            "silero_acc": float((si == y).mean()),
            "silero_f1": f1(y, si),
            "silero_chunk_acc": float((cp == cy).mean()),
            "silero_chunk_f1": f1(cy, cp),
        }
        report["conditions"][group] = entry
        music_only = not y.any()
        fmt = (lambda v: "   -") if music_only else (lambda v: f"{v:.3f}")
        print(
            f"{group:26} {len(y):7d} {entry['lr_acc']:7.3f} {fmt(entry['lr_f1']):>6} "
            f"{entry['silero_acc']:10.3f} {fmt(entry['silero_f1']):>9} "
            f"{fmt(entry['silero_chunk_f1']):>8}"
        )
    y_all = stack(test, "y").astype(float)
    raw = stack(test, "mean")
    report["ece"] = {
        "silero_mean_uncalibrated": ece(y_all, raw),
        "silero_calibrated": ece(y_all, silero_prob(test)),
        "lr": ece(y_all, stack(test, "lr")),
    }
    e = report["ece"]
    print(
        f"\nexpected calibration error (test windows): baseline LR {e['lr']:.3f}, "
        f"Silero mean chunk prob {e['silero_mean_uncalibrated']:.3f}, "
        f"Silero calibrated {e['silero_calibrated']:.3f}"
    )
    print("calibration for scorer/audio/activity.py:")
    for k, v in coef.items():
        print(f"{k} = {v}")
    print(f"({time.time() - t0:.0f} s)")
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
