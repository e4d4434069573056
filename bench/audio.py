"""Speed of the sound-track analysis on a generated 10-minute track.

The track alternates espeak-ng dialogue, dialogue over music, music alone, effects (noise
bursts) and silence, about half of it speech. Each analyzer is timed on its own (wall and CPU
time) and reported as times real time (track duration / time taken); the transcriber's share
of the total is printed. Measured in the same run beside them: decoding the track from an Ogg
Vorbis file alone (decode-only), the speech-activity logistic regression that Silero VAD
replaced, the TF-IDF words model that the MiniLM heads replaced, pocketsphinx (the fallback
transcriber) on the whole track against Whisper (the default), and pocketsphinx with its default
search on a 30-second speech excerpt against the tuned search Scorer uses.

    .venv/bin/python bench/audio.py [--minutes 10] [--no-baseline]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SR = 16000
SENTENCES = (
    "I told you never to come back here. Do you understand what you have done?",
    "The storm is getting closer. We should leave before the bridge floods.",
    "Thank you, all of you. This is the happiest day of my life.",
    "She looked at the letter for a long time and then she put it away.",
    "Nobody move. Put your hands where I can see them.",
    "We used to walk along this beach every summer when we were young.",
    "The numbers do not add up. Someone has been changing the records.",
    "Come on, hurry up, the train leaves in five minutes!",
)


def espeak(text: str, tmp: Path, k: int) -> np.ndarray:
    import librosa
    import soundfile as sf

    out = tmp / f"s{k}.wav"
    voice = ("en", "en-us", "en+f2", "en+m3")[k % 4]
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(140 + 15 * (k % 5)), "-w", str(out),
                    text], check=True, capture_output=True)
    y, sr = sf.read(out, dtype="float32")
    return librosa.resample(y, orig_sr=sr, target_sr=SR)


def music(seconds: float, rng) -> np.ndarray:
    n = int(seconds * SR)
    t = np.arange(n) / SR
    y = np.zeros(n)
    root = 110 * 2 ** (rng.integers(0, 12) / 12)
    for k, start in enumerate(np.arange(0, seconds, 2.0)):
        i, m = int(start * SR), min(n - int(start * SR), 2 * SR)
        tt = t[:m]
        for semis in ((0, 4, 7), (9, 12, 16), (5, 9, 12), (7, 11, 14))[k % 4]:
            f = root * 2 ** (semis / 12)
            y[i:i + m] += np.exp(-tt) * sum(np.sin(2 * np.pi * f * h * tt) / h ** 2
                                            for h in range(1, 4))
    for start in np.arange(0, seconds, 0.5):
        i = int(start * SR)
        m = min(n - i, SR // 5)
        y[i:i + m] += 2 * np.sin(2 * np.pi * 55 * t[:m]) * np.exp(-t[:m] * 20)
    return (0.3 * y / np.abs(y).max()).astype(np.float32)


def generate(minutes: float) -> np.ndarray:
    cache = REPO / "bench" / "out" / f"audio_{minutes:g}min.npy"
    if cache.exists():
        return np.load(cache)
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is needed to generate the dialogue (apt-get install espeak-ng)")
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        lines = [espeak(s, Path(tmp), k) for k, s in enumerate(SENTENCES * 2)]
    parts, total, k = [], 0, 0
    target = int(minutes * 60 * SR)
    while total < target:
        kind = k % 5
        if kind in (0, 3):  # dialogue: three lines with short pauses
            seg = np.concatenate([np.concatenate([lines[(k + j) % len(lines)],
                                                  np.zeros(int(0.4 * SR), np.float32)])
                                  for j in range(3)])
        elif kind == 1:  # dialogue over music
            speech = np.concatenate([lines[(k + 5) % len(lines)], lines[(k + 6) % len(lines)]])
            seg = speech + 0.25 * music(len(speech) / SR, rng)
        elif kind == 2:  # music alone
            seg = music(20, rng)
        else:  # effects and room tone
            seg = np.concatenate([np.zeros(3 * SR, np.float32),
                                  (rng.normal(0, 0.2, 2 * SR) * np.exp(-np.arange(2 * SR) / SR
                                                                        * 3)).astype(np.float32),
                                  np.zeros(3 * SR, np.float32)])
        parts.append(seg.astype(np.float32))
        total += len(seg)
        k += 1
    audio = np.concatenate(parts)[:target]
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, audio)
    return audio


def decode_source(audio: np.ndarray, minutes: float) -> Path:
    """The generated track as an Ogg Vorbis file (cached), for the decode-only row."""
    import soundfile as sf

    path = REPO / "bench" / "out" / f"audio_{minutes:g}min.ogg"
    if not path.exists():
        tmp = path.with_suffix(".tmp.ogg")
        # in blocks: libsndfile's Vorbis encoder crashes on one 10-minute write
        with sf.SoundFile(tmp, "w", SR, 1, format="OGG", subtype="VORBIS") as out:
            for start in range(0, len(audio), 10 * SR):
                out.write(audio[start:start + 10 * SR])
        tmp.replace(path)
    return path


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()

    from scorer import models
    from scorer.audio import activity, asr, prosody, voice
    from scorer.media import load_audio
    from scorer.text import embedding
    from scorer.text.emotion import vader_valence, words_track

    audio = generate(args.minutes)
    duration = len(audio) / SR
    rows, baselines = [], []
    encoded = decode_source(audio, args.minutes)
    _, w, c = timed(lambda: load_audio(encoded, SR))
    decode = ("decode only (Ogg Vorbis -> 16 kHz)", w, c)
    models.session(activity.MODEL)  # model loading is a one-off, not per clip
    (times, speech, _, ff), w, c = timed(lambda: activity.detect(audio))
    rows.append(("speech activity (Silero VAD)", w, c))
    sys.path.insert(0, str(REPO / "models" / "training"))
    import speech_activity_lr

    _, w, c = timed(lambda: speech_activity_lr.detect(audio))
    baselines.append(("speech activity, old LR", w, c))
    spans = activity.regions(times, speech)
    speech_s = sum(e - s for s, e in spans)
    _, w, c = timed(lambda: prosody.prosody_track(audio, times, speech, ff))
    rows.append(("prosody (pyin on speech)", w, c))
    voice.encoder_reader()  # building Whisper (first use) and loading are one-offs
    _, w, c = timed(lambda: voice.voice_track(audio, times, speech, spans))
    rows.append(("voice tone (Whisper states + head)", w, c))
    models.session(voice.FALLBACK_MODEL)
    _, w, c = timed(lambda: voice.classify(audio, spans, engine="cnn"))
    baselines.append(("voice tone, old log-mel CNN", w, c))
    from scorer.audio.whisper import get_transcriber

    whisper = get_transcriber()  # building (first use) and loading are one-offs, not per clip
    result, w, c = timed(lambda: whisper.transcribe(audio, spans))
    transcript = result.segments
    rows.append(("transcript (Whisper base, default)", w, c))
    asr._get_decoder()
    _, w, c = timed(lambda: asr.transcribe(audio, spans))
    baselines.append(("transcript, pocketsphinx (fallback)", w, c))
    embedding.embed(["warm up"])  # loading MiniLM is a one-off
    _, w, c = timed(lambda: words_track(transcript))
    rows.append(("words (MiniLM + heads)", w, c))
    texts = [s.text for s in transcript]

    def tfidf_words():
        sess = models.session("text_emotion")
        sess.run(None, {"text": np.array([t.lower() for t in texts], dtype=object)
                        .reshape(-1, 1)})
        vader_valence(texts)

    _, w, c = timed(tfidf_words)
    baselines.append(("words, old TF-IDF + VADER", w, c))

    total_w = sum(r[1] for r in rows)
    total_c = sum(r[2] for r in rows)
    print(f"track: {duration / 60:.1f} min, speech regions {speech_s / 60:.1f} min "
          f"({speech_s / duration:.0%}), {len(spans)} regions, "
          f"{sum(len(s.words) for s in transcript)} words transcribed")
    print(f"{'analyzer':34} {'wall s':>8} {'cpu s':>8} {'x real time (wall)':>19} "
          f"{'x real time (cpu)':>18}")
    sound = ("SOUND TRACK (decode + all)", total_w + decode[1], total_c + decode[2])
    for name, w, c in [decode] + rows + [("TOTAL analyzers", total_w, total_c), sound]:
        print(f"{name:34} {w:8.1f} {c:8.1f} {duration / w:19.1f} {duration / c:18.1f}")
    print("baselines in the same run (not in the totals):")
    for name, w, c in baselines:
        print(f"{name:34} {w:8.1f} {c:8.1f} {duration / w:19.1f} {duration / c:18.1f}")
    asr_w, asr_c = rows[3][1], rows[3][2]
    print(f"transcriber share of total: {asr_w / total_w:.0%} (wall), {asr_c / total_c:.0%} (cpu)")

    if not args.no_baseline:
        from pocketsphinx import Decoder

        a, b = spans[0][0], spans[0][0] + 30
        excerpt = (audio[int(a * SR):int(b * SR)] * 32767).astype(np.int16).tobytes()
        results = []
        for name, kwargs in (("pocketsphinx default search", {}),
                             ("pocketsphinx Scorer search", asr.FAST_CONFIG)):
            dec = Decoder(samprate=SR, loglevel="FATAL", **kwargs)

            def run(dec=dec):
                dec.start_utt()
                dec.process_raw(excerpt, full_utt=True)
                dec.end_utt()

            _, w, c = timed(run)
            results.append((name, w, c))
        print("baseline on a 30 s speech excerpt:")
        for name, w, c in results:
            print(f"{name:28} {w:8.1f} {c:8.1f} {30 / w:19.1f} {30 / c:18.1f}")
        print(f"tuned search is {results[0][2] / results[1][2]:.1f}x faster (cpu)")


if __name__ == "__main__":
    main()
