"""Time to a finished arranged MIDI for a 60 s cue (melody LSTM via ONNX Runtime + arranger).

Usage: python bench/generate.py [--style folk] [--repeats 10] [--tempo 100]

Prints, per stage, the median over repeats: melody sampling, arrangement, MIDI building and
serialisation, the whole warm path (model loaded), and the cold path (a fresh session: file
hash check + onnxruntime session + metadata, then generation); then the same for the cinematic
style (the theme from the folk model, orchestrated by :mod:`scorer.music.cinematic`) with the
expressive-performance search (:mod:`scorer.music.perform`) timed on its own. Target: warm
<= 100 ms to an arranged 60 s cue. The ratio column is each figure over the warm total of the
melody style measured in the same run (the baseline).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scorer import models  # noqa: E402
from scorer.music import melody  # noqa: E402
from scorer.music.arrange import arrange  # noqa: E402
from scorer.music.cinematic import orchestrate  # noqa: E402
from scorer.music.generate import generate_for_cue  # noqa: E402
from scorer.music.midi import midi_bytes, to_midi  # noqa: E402
from scorer.music.perform import shape  # noqa: E402
from scorer.project import Cue  # noqa: E402

TARGET_MS = 100.0


def _median_ms(fn, repeats: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds (CPU time shows the cost on a machine shared by many)."""
    wall, cpu = [], []
    for i in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn(i)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--style", default="folk")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--tempo", type=float, default=100.0)
    parser.add_argument("--arousal", type=float, default=0.6)
    args = parser.parse_args()
    cue = Cue(number="1M1", start=30.0, end=90.0, tempo=args.tempo, key="D", mode="major",
              register=67, arousal=args.arousal, valence=0.5,
              programs={"melody": 56, "harmony": 0, "bass": 33, "pad": 48, "drums": 0},
              dynamics=[(30.0, 0.5), (60.0, 0.8), (90.0, 0.6)])
    steps = int(cue.duration * cue.tempo / 60 * 4)

    # cold: drop any open session so the load is measured too
    models._sessions.pop(f"melody_{args.style}", None)
    melody._models.pop(args.style, None)
    model = None

    def load(i):
        nonlocal model
        model = melody.MelodyModel.load(args.style)

    load_ms = _median_ms(load, 1)
    first_ms = _median_ms(lambda i: generate_for_cue(cue, style=args.style, seed=0), 1)

    tokens = model.sample(steps, mode="major", density=2, seed=0)[0]
    sample_ms = _median_ms(lambda i: model.sample(steps, mode="major", density=2, seed=i),
                           args.repeats)

    def do_arrange(i):
        return arrange(tokens, mode="major", key=cue.key, tempo=cue.tempo,
                       beats=cue.duration * cue.tempo / 60, register=cue.register,
                       arousal=cue.arousal, programs=cue.programs, style=args.style,
                       dynamics=cue.dynamics, cue_start=cue.start)

    arr = do_arrange(0)
    arrange_ms = _median_ms(do_arrange, args.repeats)
    midi_ms = _median_ms(lambda i: midi_bytes(to_midi(arr)), args.repeats)
    warm_ms = _median_ms(lambda i: midi_bytes(generate_for_cue(cue, style=args.style,
                                                               seed=i).midi), args.repeats)
    sparse = model.sample(steps, mode="major", density=1, seed=0)[0]

    def do_orchestrate(i):
        return orchestrate(sparse, mode="major", key=cue.key, tempo=cue.tempo,
                           beats=cue.duration * cue.tempo / 60, register=cue.register,
                           valence=cue.valence, arousal=cue.arousal, dynamics=cue.dynamics,
                           cue_start=cue.start, hit_points=[40.0, 61.5, 75.0])

    cin = do_orchestrate(0)
    orchestrate_ms = _median_ms(do_orchestrate, args.repeats)
    shape_ms = _median_ms(lambda i: shape(cin, cue.valence, cue.arousal), args.repeats)
    cin_warm_ms = _median_ms(lambda i: midi_bytes(generate_for_cue(cue, style="cinematic",
                                                                   seed=i).midi), args.repeats)
    rows = [
        (f"melody sampling ({steps} steps)", sample_ms),
        ("arrangement", arrange_ms),
        ("MIDI build + bytes", midi_ms),
        ("total, model loaded (warm)", warm_ms),
        ("model load only", load_ms),
        ("total incl. model load (cold)", (load_ms[0] + first_ms[0], load_ms[1] + first_ms[1])),
        ("cinematic orchestration", orchestrate_ms),
        ("performance search (shape)", shape_ms),
        ("cinematic total, warm", cin_warm_ms),
    ]
    print(f"60 s cue at {cue.tempo:g} BPM, style {args.style}, arousal {cue.arousal:+.1f}, "
          f"median of {args.repeats}")
    print(f"{'stage':34} {'wall ms':>9} {'CPU ms':>9} {'/ warm':>8}")
    for name, (wall, cpu) in rows:
        print(f"{name:34} {wall:9.1f} {cpu:9.1f} {wall / warm_ms[0]:8.2f}")
    for name, total in (("warm", warm_ms), ("cinematic warm", cin_warm_ms)):
        print(f"target ({name}) <= {TARGET_MS:.0f} ms: wall "
              f"{'met' if total[0] <= TARGET_MS else 'NOT met'} ({total[0]:.0f}), CPU "
              f"{'met' if total[1] <= TARGET_MS else 'NOT met'} ({total[1]:.0f})")


if __name__ == "__main__":
    main()
