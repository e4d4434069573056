"""Measure generated melodies per condition (for the model cards), through ONNX Runtime only.

Usage: python models/training/eval_melody.py --style folk [--n 32] [--steps 128]

Per condition (mode x density bucket): N melodies from silence (no seed), temperature 1.0,
seeds 0..N-1 in one batch. Prints share of in-scale notes (C major; A natural/harmonic minor),
share of phrase endings on the tonic (a phrase ends at a note followed by a rest, a note of a
half note or longer, or the last note), onsets per 16th step, and the share of melodies that
music21's key analysis calls minor.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scorer.music.corpus import decode_tokens  # noqa: E402
from scorer.music.melody import MelodyModel, melody_stats  # noqa: E402


def phrase_endings(tokens: list[str], mode: str) -> tuple[int, int]:
    events = decode_tokens(tokens)
    tonic = 0 if mode == "major" else 9
    ends = on_tonic = 0
    for i, (pitch, _, length) in enumerate(events):
        if pitch is None:
            continue
        nxt = events[i + 1] if i + 1 < len(events) else None
        if nxt is None or nxt[0] is None or length >= 8:
            ends += 1
            on_tonic += pitch % 12 == tonic
    return on_tonic, ends


def analysed_minor(tokens: list[str]) -> bool:
    from music21 import note, stream

    part = stream.Part()
    for pitch, _, length in decode_tokens(tokens):
        part.append(note.Rest(quarterLength=length / 4) if pitch is None else
                    note.Note(pitch, quarterLength=length / 4))
    return part.analyze("key").mode == "minor"


def evaluate(style: str, n: int = 32, steps: int = 128, temperature: float = 1.0) -> list[dict]:
    model = MelodyModel.load(style)
    rows = []
    for mode in ("major", "minor"):
        for density in range(3):
            mel = model.sample(steps, mode=mode, density=density, temperature=temperature,
                               seed=1000 * density + (mode == "minor"), batch=n)
            stats = [melody_stats(m, mode) for m in mel]
            endings = [phrase_endings(m, mode) for m in mel]
            rows.append({
                "mode": mode, "density_bucket": density,
                "in_scale": float(np.mean([s["in_scale"] for s in stats])),
                "phrase_end_tonic": sum(e[0] for e in endings) / max(1, sum(e[1] for e in endings)),
                "density": float(np.mean([s["density"] for s in stats])),
                "analysed_minor": float(np.mean([analysed_minor(m) for m in mel])),
            })
    return rows


def corpus_rows(style: str, n: int, steps: int) -> list[dict]:
    """The same figures for the first ``steps`` of up to ``n`` corpus tunes per condition."""
    import random

    from build_melody_corpus import LIMITS

    from scorer.music import corpus

    data = corpus.load_or_build(style, limit=LIMITS[style])
    model = MelodyModel.load(style)
    meta = model.session.get_modelmeta().custom_metadata_map
    import json

    thresholds = json.loads(meta["density_thresholds"])
    rows = []
    for mode in ("major", "minor"):
        for density in range(3):
            tunes = [t["tokens"][:steps] for t in data["tunes"] if t["mode"] == mode
                     and int(np.searchsorted(thresholds, t["density"])) == density]
            random.Random(0).shuffle(tunes)
            tunes = tunes[:n]
            if not tunes:
                continue
            stats = [melody_stats(m, mode) for m in tunes]
            endings = [phrase_endings(m, mode) for m in tunes]
            rows.append({
                "mode": mode, "density_bucket": density,
                "in_scale": float(np.mean([s["in_scale"] for s in stats])),
                "phrase_end_tonic": sum(e[0] for e in endings) / max(1, sum(e[1] for e in endings)),
                "density": float(np.mean([s["density"] for s in stats])),
                "analysed_minor": float(np.mean([analysed_minor(m) for m in tunes])),
            })
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--style", default="folk")
    parser.add_argument("--n", type=int, default=32)
    parser.add_argument("--steps", type=int, default=128)
    parser.add_argument("--corpus", action="store_true", help="measure corpus tunes instead")
    args = parser.parse_args()
    print("| mode | density bucket | in-scale notes | phrase ends on tonic | onsets / 16th "
          "| analysed as minor |")
    print("|---|---|---|---|---|---|")
    rows = (corpus_rows if args.corpus else evaluate)(args.style, args.n, args.steps)
    for r in rows:
        print(f"| {r['mode']} | {('low', 'mid', 'high')[r['density_bucket']]} "
              f"| {r['in_scale']:.3f} | {r['phrase_end_tonic']:.3f} | {r['density']:.3f} "
              f"| {r['analysed_minor']:.2f} |")


if __name__ == "__main__":
    main()
