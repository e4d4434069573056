"""Word error rate of the transcribers, clean and under music at 10 dB SNR, with speed.

The set (built here, nothing downloaded):

- RAVDESS statements from the held-out actors 21-24 (the voice-tone model's test actors): the
  two sentences are known ("Kids are talking by the door", "Dogs are sitting by the door";
  statement code SS in the file name). Per actor: every emotion x both statements x both
  intensities (neutral has one), repetition 1: 30 clips an actor, 120 in all.
- A second voice: espeak-ng renderings of 30 varied sentences, alternating two voices
  (en-us at two speeds and pitches).
- The same clips under music: a 4Q clip (../shared/data/music-emotion/4q, chosen by a seeded
  draw, random offset) mixed at 10 dB SNR. The speech level is its active level (frames within
  35 dB of the loudest 20-ms frame), so the leading and trailing silences of a recording do
  not lower it.

Each clip goes through the app's path: Silero VAD speech regions (:mod:`scorer.audio.activity`),
then the transcriber on those regions only (``--spans whole`` gives the transcriber the whole
clip instead). Text is lower-cased and stripped of punctuation before the word-level edit
distance; WER = (substitutions + deletions + insertions) / reference words, summed over clips.
Speed is audio seconds over transcription seconds (VAD not included; one onnxruntime thread, as
in the app), on this machine; model loading is timed once, apart. Short clips are the worst
case for Whisper (each pays a whole 30-s encoder window), so a second run joins every clip
into one long track (0.5 s of silence between them), as a film's dialogue reaches the
transcriber: VAD regions packed into 30-s windows; Whisper there with 1 and 2 threads.

    /work/wt/heavy .venv/bin/python bench/asr_wer.py [--engines whisper,pocketsphinx]
        [--limit N] [--spans vad|whole] [--json out.json]

Engines: whisper (as the app runs it), whisper-int8, whisper-fp32 (decoder precision forced),
pocketsphinx.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SR = 16000
SNR_DB = 10.0
STATEMENTS = {"01": "kids are talking by the door", "02": "dogs are sitting by the door"}
TEST_ACTORS = (21, 22, 23, 24)
ESPEAK_SENTENCES = (
    "I told you never to come back here.",
    "The storm is getting closer and we should leave before the bridge floods.",
    "Thank you all for coming, this is the happiest day of my life.",
    "She looked at the letter for a long time and then she put it away.",
    "Nobody move, put your hands where I can see them.",
    "We used to walk along this beach every summer when we were young.",
    "Someone has been changing the records at the bank.",
    "Come on, hurry up, the train leaves in a few minutes.",
    "I am sorry, I did not mean to hurt you.",
    "The doctor said the results will be ready tomorrow morning.",
    "Why would anyone want to live in a house like this?",
    "Turn off the lights and close the window behind you.",
    "He has not spoken to his brother since the funeral.",
    "Listen to me carefully, we only have one chance.",
    "The children were playing in the garden when the rain started.",
    "You promised me that you would be home before dinner.",
    "There is something strange about the way he smiles.",
    "Our ship will reach the harbour just after sunrise.",
    "Please tell my mother that I love her.",
    "The police found the car abandoned near the river.",
    "If we stay together, nothing can stop us now.",
    "Every night she dreamed of the city where she was born.",
    "Get out of my office and do not come back.",
    "The music was so loud that nobody heard the phone ring.",
    "I think we are being followed by that black van.",
    "My grandfather built this table with his own hands.",
    "Wait for me at the station, I will be there soon.",
    "The old man sat alone on the bench feeding the birds.",
    "How could you forget our anniversary again?",
    "We have won the final and the whole town is celebrating.",
)
VOICES = (("en-us", 150, 50), ("en-us+m3", 175, 35))


def shared_data() -> Path:
    import os

    override = os.environ.get("SCORER_SHARED_DATA")
    return Path(override) if override else REPO.parent / "shared" / "data"


def normalise(text: str) -> list[str]:
    text = text.lower().replace("-", " ")
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    return [w.strip("'") for w in text.split() if w.strip("'")]


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def load(path: Path) -> np.ndarray:
    import librosa
    import soundfile as sf

    y, sr = sf.read(str(path), dtype="float32", always_2d=True)
    y = y.mean(axis=1)
    if sr != SR:
        y = librosa.resample(y, orig_sr=sr, target_sr=SR)
    return y.astype(np.float32)


def ravdess_clips(root: Path, limit: int | None) -> list[tuple[str, np.ndarray, str]]:
    clips = []
    for actor in TEST_ACTORS:
        folder = root / f"Actor_{actor:02d}"
        for path in sorted(folder.glob("03-01-*-*-*-01-*.flac")):  # repetition 1
            statement = path.stem.split("-")[4]
            clips.append((f"ravdess/{path.stem}", load(path), STATEMENTS[statement]))
    return clips[:limit] if limit else clips


def espeak_clips(limit: int | None) -> list[tuple[str, np.ndarray, str]]:
    clips = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, sentence in enumerate(ESPEAK_SENTENCES):
            voice, speed, pitch = VOICES[k % len(VOICES)]
            out = Path(tmp) / f"s{k}.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch),
                            "-w", str(out), sentence], check=True, capture_output=True)
            y = np.concatenate([np.zeros(SR // 2, np.float32), load(out),
                                np.zeros(SR // 2, np.float32)])
            clips.append((f"espeak/{k:02d}", y, sentence))
    return clips[:limit] if limit else clips


def active_rms(y: np.ndarray) -> float:
    frame = SR // 50
    n = len(y) // frame
    power = (y[:n * frame].reshape(n, frame) ** 2).mean(axis=1)
    active = power[power > power.max() * 10 ** (-35 / 10)]
    return float(np.sqrt(active.mean()))


def mix_music(y: np.ndarray, music_files: list[Path], rng) -> np.ndarray:
    for _ in range(10):
        music = load(music_files[rng.integers(len(music_files))])
        if len(music) > len(y) and np.sqrt(np.mean(music ** 2)) > 1e-3:
            break
    start = rng.integers(0, max(1, len(music) - len(y)))
    bed = np.resize(music[start:start + len(y)], len(y))
    gain = active_rms(y) / (np.sqrt(np.mean(bed ** 2)) + 1e-12) * 10 ** (-SNR_DB / 20)
    mixed = y + gain * bed
    peak = np.abs(mixed).max()
    return (mixed / peak * 0.9 if peak > 0.99 else mixed).astype(np.float32)


def make_engine(name: str, threads: int):
    if name.startswith("whisper"):
        from scorer.audio.whisper import INT8_DECODER, WhisperTranscriber
        from scorer.audio.whisper_build import ensure_built

        # "whisper" is what the app runs; -int8 / -fp32 pick the decoder explicitly
        int8 = {"whisper": INT8_DECODER, "whisper-int8": True, "whisper-fp32": False}[name]
        tr = WhisperTranscriber(ensure_built(), threads=threads, int8_decoder=int8)
        return lambda y, spans: [s.text for s in tr.transcribe(y, spans).segments]
    if name == "pocketsphinx":
        from scorer.audio.asr import _get_decoder, transcribe

        _get_decoder()
        return lambda y, spans: [s.text for s in transcribe(y, spans)]
    raise SystemExit(f"unknown engine {name}")


def speech_spans(y: np.ndarray, mode: str) -> list[tuple[float, float]]:
    if mode == "whole":
        return [(0.0, len(y) / SR)]
    from scorer.audio import activity

    times, speech, _, _ = activity.detect(y, SR)
    return activity.regions(times, speech)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engines", default="whisper,pocketsphinx")
    parser.add_argument("--limit", type=int, default=None, help="clips per source (quick run)")
    parser.add_argument("--spans", choices=("vad", "whole"), default="vad")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--show", type=int, default=3, help="example transcripts per cell")
    parser.add_argument("--no-long", dest="long", action="store_false",
                        help="skip the long-track speed run")
    args = parser.parse_args()

    data = shared_data()
    ravdess = data / "speech-emotion" / "ravdess"
    music_dir = data / "music-emotion" / "4q" / "audio"
    if not ravdess.is_dir() or not music_dir.is_dir():
        print(f"labelled data not found under {data}; nothing measured")
        return 1
    music_files = sorted(music_dir.glob("*.ogg"))
    sets = {"ravdess": ravdess_clips(ravdess, args.limit), "espeak": espeak_clips(args.limit)}
    rng = np.random.default_rng(15)
    conditions = {}
    for name, clips in sets.items():
        conditions[(name, "clean")] = clips
        conditions[(name, "music10dB")] = [(cid, mix_music(y, music_files, rng), ref)
                                           for cid, y, ref in clips]
    spans = {key: [speech_spans(y, args.spans) for _, y, _ in clips]
             for key, clips in conditions.items()}

    results = {"spans": args.spans, "threads": args.threads, "snr_db": SNR_DB, "rows": []}
    for engine in args.engines.split(","):
        t0 = time.perf_counter()
        run = make_engine(engine, args.threads)
        load_s = time.perf_counter() - t0
        print(f"{engine}: loaded in {load_s:.1f} s")
        for key, clips in conditions.items():
            errors = words = no_speech = 0
            audio_s = busy_s = 0.0
            examples = []
            for (cid, y, ref), sp in zip(clips, spans[key], strict=True):
                t = time.perf_counter()
                hyp = " ".join(run(y, sp)) if sp else ""
                busy_s += time.perf_counter() - t
                audio_s += len(y) / SR
                no_speech += not sp
                r, h = normalise(ref), normalise(hyp)
                errors += edit_distance(r, h)
                words += len(r)
                if len(examples) < args.show:
                    examples.append((cid, ref, hyp))
            wer = errors / max(1, words)
            row = {"engine": engine, "set": key[0], "condition": key[1], "clips": len(clips),
                   "ref_words": words, "wer": round(wer, 4), "audio_s": round(audio_s, 1),
                   "transcribe_s": round(busy_s, 1),
                   "x_real_time": round(audio_s / max(busy_s, 1e-9), 1),
                   "clips_without_speech_regions": no_speech, "load_s": round(load_s, 1),
                   "examples": examples}
            results["rows"].append(row)
            print(f"  {key[0]:8} {key[1]:10} WER {wer:6.1%}  ({errors}/{words} words, "
                  f"{len(clips)} clips, {no_speech} without VAD speech)  "
                  f"{row['x_real_time']:5.1f}x real time")
            for cid, ref, hyp in examples:
                print(f"      {cid}: {ref!r} -> {hyp!r}")
    if args.long:
        # the app's case: one long track, VAD regions packed into 30-s windows
        gap = np.zeros(SR // 2, np.float32)
        tracks = {}
        for cond in ("clean", "music10dB"):
            clips = [c for (name, c_), cl in conditions.items() if c_ == cond for c in cl]
            audio = np.concatenate([x for _, y, _ in clips for x in (y, gap)])
            tracks[cond] = (audio, " ".join(ref for _, _, ref in clips),
                            speech_spans(audio, args.spans))
        print(f"\nlong track ({len(tracks['clean'][0]) / SR / 60:.1f} min, all clips joined "
              "with 0.5 s of silence, one VAD pass):")
        for engine in args.engines.split(","):
            for threads in ([1, 2] if engine == "whisper" else [1]):
                run = make_engine(engine, threads)
                for cond, (audio, ref, sp) in tracks.items():
                    t = time.perf_counter()
                    hyp = " ".join(run(audio, sp))
                    busy = time.perf_counter() - t
                    r, h = normalise(ref), normalise(hyp)
                    wer = edit_distance(r, h) / max(1, len(r))
                    xrt = len(audio) / SR / busy
                    results["rows"].append({"engine": engine, "set": "long track",
                                            "condition": cond, "threads": threads,
                                            "ref_words": len(r), "wer": round(wer, 4),
                                            "audio_s": round(len(audio) / SR, 1),
                                            "transcribe_s": round(busy, 1),
                                            "x_real_time": round(xrt, 1)})
                    print(f"  {engine:13} {threads} thread(s) {cond:10} WER {wer:6.1%}  "
                          f"{xrt:5.1f}x real time ({busy:.0f} s)")
    print("\nWER by engine (all clips):")
    for engine in args.engines.split(","):
        for cond in ("clean", "music10dB"):
            rows = [r for r in results["rows"] if r["engine"] == engine
                    and r["condition"] == cond and r["set"] != "long track"]
            err = sum(r["wer"] * r["ref_words"] for r in rows)
            tot = sum(r["ref_words"] for r in rows)
            print(f"  {engine:13} {cond:10} {err / max(tot, 1):6.1%}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
