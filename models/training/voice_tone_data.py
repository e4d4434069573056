"""Whisper-encoder features of acted emotional speech as films have it, for the voice-tone head.

Reads RAVDESS (24 actors, English) and EMOVO (6 actors, Italian) from ../shared/data, trims
each recording's leading and trailing silence, keeps at most ``voice.CHUNK_S`` seconds (the
chunk the app reads) and writes, per recording, several versions of the sound:

- ``clean``: as recorded;
- ``music``: an Emotify track mixed under the voice at a random 0-20 dB speech-to-music ratio;
- ``degraded``: two of reverberation (a synthetic room, RT60 0.2-0.9 s), pink noise at
  0-20 dB SNR, telephone band-limiting (300-3400 Hz) and heavy compression;
- ``music10``: a 4Q clip (another corpus than training's music) under the voice at exactly
  10 dB — evaluation only, the issue's "under music" condition.

Each version goes through the app's own feature path (:func:`scorer.audio.voice.chunk_features`:
Whisper log-mel, the Whisper base encoder's every layer, mean and standard deviation over the
chunk), so training and the app see the same numbers. Needs the Whisper graphs built
(``models/training/build_whisper_onnx.py`` or any first use). About 12 minutes on one core.

    .venv/bin/python models/training/voice_tone_data.py [--out DIR]

Writes ``voice_tone_features.npz`` (default in $SCORER_TRAIN_DIR/voice_tone).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from scorer.audio import voice  # noqa: E402

SR = 16000
RAVDESS_LABELS = ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised")
EMOVO_TO_LABEL = {"neu": "neutral", "gio": "happy", "tri": "sad", "rab": "angry",
                  "pau": "fearful", "dis": "disgust", "sor": "surprised"}
VERSIONS = ("clean", "music", "degraded", "music10")


def shared_data() -> Path:
    return Path(os.environ.get("SCORER_SHARED_DATA") or REPO.parent / "shared" / "data")


def read_audio(path: Path) -> np.ndarray:
    import librosa
    import soundfile as sf

    y, sr = sf.read(path, dtype="float32", always_2d=True)
    y = y.mean(axis=1)
    if sr != SR:
        y = librosa.resample(y, orig_sr=sr, target_sr=SR)
    return y


def recordings() -> list[tuple[Path, str, str, str]]:
    """(path, corpus, actor, label) for every RAVDESS speech and EMOVO recording."""
    root = shared_data() / "speech-emotion"
    out = []
    for path in sorted((root / "ravdess").glob("Actor_*/*.*")):
        parts = path.stem.split("-")
        if len(parts) == 7 and parts[1] == "01":  # speech, not song
            out.append((path, "ravdess", f"ravdess{int(parts[6]):02d}",
                        RAVDESS_LABELS[int(parts[2]) - 1]))
    for path in sorted((root / "emovo").glob("*/*.ogg")):
        emotion, actor = path.stem.split("-")[:2]
        out.append((path, "emovo", f"emovo{actor}", EMOVO_TO_LABEL[emotion]))
    return out


def music_pool(corpus: str, n: int, rng: np.random.Generator) -> list[np.ndarray]:
    folder = shared_data() / "music-emotion" / corpus / "audio"
    files = sorted(folder.glob("*.ogg"))
    picks = rng.choice(len(files), size=min(n, len(files)), replace=False)
    return [read_audio(files[i]) for i in picks]


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)) + 1e-12)


def under(speech: np.ndarray, background: np.ndarray, snr_db: float,
          rng: np.random.Generator) -> np.ndarray:
    """The speech with ``background`` (looped, random offset) at ``snr_db`` below it."""
    reps = int(np.ceil(len(speech) / max(1, len(background)))) + 1
    bed = np.tile(background, reps)
    start = int(rng.integers(0, max(1, len(bed) - len(speech))))
    bed = bed[start:start + len(speech)]
    bed = bed * (rms(speech) / rms(bed)) * 10 ** (-snr_db / 20)
    return speech + bed


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))
    return np.fft.irfft(spectrum, n)


def reverberate(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    from scipy.signal import fftconvolve

    rt60 = rng.uniform(0.2, 0.9)
    t = np.arange(int(rt60 * SR)) / SR
    response = rng.standard_normal(len(t)) * np.exp(-6.9 * t / rt60)
    response[0] = 1.0 / rng.uniform(0.3, 1.0)  # direct sound against the room
    wet = fftconvolve(x, response)[:len(x)]
    return wet * rms(x) / rms(wet)


def band_limit(x: np.ndarray) -> np.ndarray:
    from scipy.signal import butter, sosfiltfilt

    return sosfiltfilt(butter(4, [300, 3400], "bandpass", fs=SR, output="sos"), x)


def compress(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    drive = rng.uniform(3, 10)
    y = np.tanh(drive * x / (np.abs(x).max() + 1e-9))
    return y * rms(x) / rms(y)


def degrade(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    steps = rng.choice(4, size=2, replace=False)
    for step in sorted(steps):
        if step == 0:
            x = reverberate(x, rng)
        elif step == 1:
            x = under(x, pink_noise(len(x), rng), rng.uniform(0, 20), rng)
        elif step == 2:
            x = band_limit(x)
        else:
            x = compress(x, rng)
    return x


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path,
                        default=Path(os.environ.get("SCORER_TRAIN_DIR", "/tmp/scorer-train"))
                        / "voice_tone")
    parser.add_argument("--limit", type=int, default=0, help="first N recordings (smoke test)")
    args = parser.parse_args()
    import librosa

    rng = np.random.default_rng(15)
    items = recordings()
    if args.limit:
        items = items[::max(1, len(items) // args.limit)][:args.limit]
    if not items:
        raise SystemExit(f"no RAVDESS/EMOVO recordings under {shared_data()}")
    train_music = music_pool("emotify", 60, rng)
    eval_music = music_pool("4q", 60, rng)
    reader = voice.EncoderReader()
    feats = {v: [] for v in VERSIONS}
    meta = []
    started = time.time()
    for i, (path, corpus, actor, label) in enumerate(items):
        y, _ = librosa.effects.trim(read_audio(path), top_db=35)
        y = y[:int(voice.CHUNK_S * SR)]
        y = y / (np.abs(y).max() + 1e-9) * 0.5
        versions = {
            "clean": y,
            "music": under(y, train_music[rng.integers(len(train_music))], rng.uniform(0, 20),
                           rng),
            "degraded": degrade(y, rng),
            "music10": under(y, eval_music[rng.integers(len(eval_music))], 10.0, rng),
        }
        for name, sound in versions.items():
            peak = np.abs(sound).max()
            sound = sound * (0.9 / peak) if peak > 0.9 else sound
            feats[name].append(reader.features(sound.astype(np.float32)).astype(np.float16))
        meta.append((path.name, corpus, actor, label))
        if i % 100 == 0:
            print(f"{i}/{len(items)} {time.time() - started:.0f}s", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / "voice_tone_features.npz"
    tmp = target.with_suffix(".tmp.npz")
    np.savez(tmp, **{f"x_{v}": np.stack(feats[v]) for v in VERSIONS},
             filename=np.array([m[0] for m in meta]), corpus=np.array([m[1] for m in meta]),
             actor=np.array([m[2] for m in meta]), label=np.array([m[3] for m in meta]))
    os.replace(tmp, target)
    with open(args.out / "voice_tone_files.csv", "w", newline="") as handle:
        csv.writer(handle).writerows(meta)
    print(f"wrote {target} ({len(meta)} recordings, {time.time() - started:.0f}s)")


if __name__ == "__main__":
    main()
