"""Render speed in times real time: SoundFont rendering of generated MIDI.

Prints, per SoundFont (TimGM6mb, and FluidR3_GM / MuseScore General when Debian installed
them) and per piece, the audio length and, measured in the same run:

- the bare synthesizer call (``midirenderer.render_wave_from``, 48 kHz 16-bit WAV bytes);
- the old ``render_midi`` (as it was before chunked rendering: mido's length and save,
  synthesis, decode, resampling, peak check), reproduced here as the baseline;
- ``render_midi`` in one piece (``workers=1``) and in two time chunks at once (``workers=2``,
  what it does by default when a core is free), with its CPU time in this process;
- how far the 2-chunk render is from the one-piece render: peak and RMS in dBFS, length, and
  the RMS of their difference relative to the one-piece render.

Also times a whole-project stem mixdown. Two chunks use two cores: run it holding both heavy
slots (``/work/wt/heavy /work/wt/heavy python bench/render.py``) so that the figure is not
another job's load.

Usage: python bench/render.py [--repeat N]
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

import mido
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def piece(seconds: float, tracks: int, notes_per_beat: int, bpm: float = 120.0) -> mido.MidiFile:
    """A generated piece: ``tracks`` instruments, ``notes_per_beat`` notes a beat each."""
    rng = np.random.default_rng(0)
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    mid.tracks.append(mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))]))
    programs = [0, 48, 32, 40, 73, 19, 24, 56, 61, 11, 46, 68, 71, 42, 52, 89]
    step = 480 // notes_per_beat
    count = int(seconds * bpm / 60 * notes_per_beat)
    for t in range(tracks):
        channel = t if t < 9 else t + 1  # skip the drum channel
        track = mido.MidiTrack([mido.Message("program_change", channel=channel,
                                             program=programs[t % len(programs)])])
        for _ in range(count):
            note = int(rng.integers(48, 84))
            track.append(mido.Message("note_on", channel=channel, note=note, velocity=90))
            track.append(mido.Message("note_off", channel=channel, note=note, time=step))
        mid.tracks.append(track)
    return mid


def timed(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def cpu_timed(fn, repeat: int) -> float:
    """Best CPU seconds of this process (what the work costs on a machine shared by many)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def old_render_midi(mid: mido.MidiFile, sf2_bytes: bytes, tail: float = 1.0) -> np.ndarray:
    """``render_midi`` as it was before chunked rendering (the baseline), same steps."""
    import math

    import soundfile
    from midirenderer import render_wave_from

    from scorer.music.render import _resample, limit_peak

    last_tick, tempo = 0, 500000
    for track in mid.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                tempo = msg.tempo
        last_tick = max(last_tick, tick)
    _ = mid.length  # the length check it made
    out = mido.MidiFile(type=1, ticks_per_beat=mid.ticks_per_beat)
    out.tracks.extend(mid.tracks)
    tail_ticks = int(math.ceil(tail * 1e6 / tempo * mid.ticks_per_beat))
    out.tracks.append(mido.MidiTrack([mido.MetaMessage("end_of_track",
                                                       time=last_tick + tail_ticks)]))
    buf = io.BytesIO()
    out.save(file=buf)
    wav = render_wave_from(sf2_bytes, buf.getvalue())
    audio, rate = soundfile.read(io.BytesIO(wav), dtype="float32", always_2d=True)
    return limit_peak(_resample(audio[:, :2], int(rate), 44100))


def dbfs(x: np.ndarray) -> float:
    return float(20 * np.log10(max(float(np.sqrt(np.mean(np.square(x)))), 1e-12)))


def main() -> None:
    from midirenderer import render_wave_from

    from scorer.music.render import (
        SYSTEM_SOUNDFONTS,
        load_soundfont,
        render_midi,
        render_workers,
        timgm6mb,
    )

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per piece (best is kept)")
    args = parser.parse_args()
    fonts = [("TimGM6mb", timgm6mb())]
    fonts += [(path.stem, path) for path in SYSTEM_SOUNDFONTS if path.is_file()]
    rows = []
    checks = []
    for font, path in fonts:
        _, sf2 = load_soundfont(path)
        # warm-up: imports, SoundFont read, the helper process started
        render_midi(piece(30, 1, 1), sf2=path, workers=2)
        for name, seconds, tracks, density in (("solo melody", 30, 1, 2),
                                               ("quartet", 60, 4, 2),
                                               ("dense 12 parts", 60, 12, 4)):
            mid = piece(seconds, tracks, density)
            buf = io.BytesIO()
            mid.save(file=buf)
            data = buf.getvalue()
            one = render_midi(mid, sf2=path, tail=1.0, workers=1)
            default = render_midi(mid, sf2=path, tail=1.0, workers=2)
            length = len(one) / 44100
            raw = timed(lambda data=data, sf2=sf2: render_wave_from(sf2, data), args.repeat)
            old = timed(lambda mid=mid, sf2=sf2: old_render_midi(mid, sf2), args.repeat)
            serial = timed(lambda mid=mid, path=path: render_midi(mid, sf2=path, workers=1),
                           args.repeat)
            full = timed(lambda mid=mid, path=path: render_midi(mid, sf2=path, workers=2),
                         args.repeat)
            cpu = cpu_timed(lambda mid=mid, path=path: render_midi(mid, sf2=path, workers=2),
                            args.repeat)
            rows.append((font, name, length, raw, old, serial, full, cpu))
            n = min(len(one), len(default))
            diff = dbfs(default[:n] - one[:n]) - dbfs(one)
            checks.append((font, name, len(one), len(default), dbfs(one), dbfs(default),
                           20 * np.log10(np.abs(one).max()), 20 * np.log10(np.abs(default).max()),
                           diff))

    print(f"render_workers() now = {render_workers()} (load {os.getloadavg()[0]:.1f}, "
          f"{os.cpu_count()} cores); the '2 chunks' columns force workers=2")
    print(f"{'SoundFont':18} {'piece':16} {'audio s':>7} {'synth xRT':>9} {'old xRT':>8} "
          f"{'1 piece xRT':>11} {'2 chunks s':>10} {'xRT':>6} {'vs old':>7} {'CPU s':>6}")
    for font, name, length, raw, old, serial, full, cpu in rows:
        print(f"{font:18} {name:16} {length:7.1f} {length / raw:9.1f} {length / old:8.1f} "
              f"{length / serial:11.1f} {full:10.3f} {length / full:6.1f} {old / full:6.2f}x "
              f"{cpu:6.3f}")
    print("x RT = seconds of audio per second of compute (higher is faster); 'synth' is the bare"
          " midirenderer call (48 kHz int16, no tail), 'old' the render_midi before chunking "
          "(baseline), '1 piece' render_midi(workers=1), '2 chunks' render_midi(workers=2) "
          "(44.1 kHz float, 1 s tail, resampling, peak check); 'CPU' is the 2-chunk render's "
          "CPU time in this process (the helper's is not counted).")
    print(f"\n{'SoundFont':18} {'piece':16} {'samples 1/2ch':>17} {'RMS dBFS 1/2ch':>15} "
          f"{'peak dBFS 1/2ch':>16} {'diff dB':>8}")
    for font, name, n1, n2, r1, r2, p1, p2, diff in checks:
        print(f"{font:18} {name:16} {n1:8d}/{n2:<8d} {r1:7.2f}/{r2:<7.2f} {p1:7.2f}/{p2:<8.2f} "
              f"{diff:8.1f}")
    print("diff dB: RMS of (2 chunks - one piece) relative to the one-piece render's RMS.")

    from fractions import Fraction

    from scorer.export.common import CueMusic, Timebase
    from scorer.export.mixdown import fit_cue, score_stem
    from scorer.project import Cue, Suggestion

    tb = Timebase(Fraction(25))
    audio = render_midi(piece(20, 4, 2))
    cues = []
    for i in range(10):
        cue = Cue(f"1M{i + 1}", i * 30.0, i * 30.0 + 20.0, ducking=[(i * 30.0 + 5, i * 30.0 + 9)])
        music = CueMusic(cue, Suggestion("s", cue.number, "generated", ""), None, "midi",
                         i * 750, i * 750 + 500)
        cues.append((music, fit_cue(audio, 20 * 44100)))
    mix = timed(lambda: score_stem(cues, tb, 300.0), args.repeat)
    print(f"\nstem mixdown (10 cues, 300 s clip, ducking): {mix:.3f} s = {300 / mix:.0f} x RT")


if __name__ == "__main__":
    main()
