"""Cost of instrument recognition when a library is indexed, beside what indexing already costs.

On one rendered piece (a minute of a four-part General MIDI arrangement through the default
SoundFont), in this process on one core, best of ``--repeat`` runs:

* ``describe_audio`` without instruments: what indexing an audio piece cost before (beat grid,
  key, features, the music-emotion model): the baseline;
* instrument recognition on every 3-s window of the minute (``scorer instruments FILE``);
* instrument recognition on the 12 windows the library reads per piece
  (``features.INSTRUMENT_WINDOWS``: a fixed cost per piece, whatever its length);
* its parts: basic-pitch's posteriorgrams, the CQT, the features and the network.

Run: .venv/bin/python bench/instruments.py [--seconds 60] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scorer.music import instruments as ins  # noqa: E402
from scorer.music.library import features as feat  # noqa: E402


def piece(seconds: float) -> np.ndarray:
    import pretty_midi

    from scorer.music.render import render_midi

    rng = np.random.default_rng(0)
    pm = pretty_midi.PrettyMIDI(initial_tempo=100)
    for program, lo in ((40, 67), (42, 43), (0, 55), (73, 72)):
        inst = pretty_midi.Instrument(program=program)
        t = 0.0
        while t < seconds:
            d = float(rng.choice([0.3, 0.6, 0.9]))
            inst.notes.append(pretty_midi.Note(80, int(lo + rng.integers(0, 12)), t, t + d))
            t += d
        pm.instruments.append(inst)
    buf = io.BytesIO()
    pm.write(buf)
    return render_midi(buf.getvalue(), sr=ins.SR, tail=0.0, workers=1).mean(axis=1)[
        :int(seconds * ins.SR)]


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    y = piece(args.seconds)
    minutes = len(y) / ins.SR / 60
    ins.recognise(y[:ins.SR * 4], ins.SR)  # open the sessions, compile librosa's kernels
    feat.describe_audio(y[:ins.SR * 10], ins.SR, "warm-up", "wav", with_instruments=False)
    from scorer.music.transcribe import basic_pitch_posteriorgrams

    post = basic_pitch_posteriorgrams(y)
    db = ins.cqt_db(y)
    bounds = ins.window_bounds(min(len(db), len(post["note"])))
    x = np.stack([np.concatenate([ins.window_features(db[a:b], post["note"][a:b],
                                                      post["onset"][a:b]),
                                  ins.spectral_features(y[a * ins.HOP:b * ins.HOP], db[a:b])])
                  for a, b in bounds])
    rows = [
        ("baseline: describe_audio, no instruments",
         best(lambda: feat.describe_audio(y, ins.SR, "b", "wav", with_instruments=False),
              args.repeat)),
        ("instruments, every 3-s window", best(lambda: ins.recognise(y, ins.SR), args.repeat)),
        (f"instruments, {feat.INSTRUMENT_WINDOWS} windows (library)",
         best(lambda: ins.recognise(y, ins.SR, max_windows=feat.INSTRUMENT_WINDOWS),
              args.repeat)),
        ("  part: basic-pitch posteriorgrams",
         best(lambda: basic_pitch_posteriorgrams(y), args.repeat)),
        ("  part: CQT", best(lambda: ins.cqt_db(y), args.repeat)),
        ("  part: window features (pitch)",
         best(lambda: [ins.window_features(db[a:b], post["note"][a:b], post["onset"][a:b])
                       for a, b in bounds], args.repeat)),
        ("  part: spectral features (MFCC, CQT mean)",
         best(lambda: [ins.spectral_features(y[a * ins.HOP:b * ins.HOP], db[a:b])
                       for a, b in bounds], args.repeat)),
        ("  part: network", best(lambda: ins.predict(x), args.repeat)),
    ]
    print(f"{len(y) / ins.SR:.0f} s of audio, one core, best of {args.repeat}\n")
    print(f"| {'step':45} | seconds | s per minute of audio |")
    print(f"|{'-' * 47}|--------:|----------------------:|")
    for name, sec in rows:
        print(f"| {name:45} | {sec:7.2f} | {sec / minutes:21.2f} |")


if __name__ == "__main__":
    main()
