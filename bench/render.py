"""Render speed in times real time: SoundFont rendering of generated MIDI.

Prints, per SoundFont (TimGM6mb, and FluidR3_GM / MuseScore General when Debian installed
them) and per piece, the audio length, the time of :func:`scorer.music.render.render_midi`
(44.1 kHz stereo float: synthesis, tail, resampling, peak check) and, as the baseline measured
in the same run, the bare synthesizer call (``midirenderer.render_wave_from``, 48 kHz 16-bit
WAV bytes). Also times a whole-project stem mixdown.

Usage: python bench/render.py [--repeat N]
"""

from __future__ import annotations

import argparse
import io
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


def main() -> None:
    from midirenderer import render_wave_from

    from scorer.music.render import SYSTEM_SOUNDFONTS, load_soundfont, render_midi, timgm6mb

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per piece (best is kept)")
    args = parser.parse_args()
    fonts = [("TimGM6mb", timgm6mb())]
    fonts += [(path.stem, path) for path in SYSTEM_SOUNDFONTS if path.is_file()]
    rows = []
    for font, path in fonts:
        _, sf2 = load_soundfont(path)
        render_midi(piece(1, 1, 1), sf2=path)  # warm-up: imports, SoundFont read
        for name, seconds, tracks, density in (("solo melody", 30, 1, 2),
                                               ("quartet", 60, 4, 2),
                                               ("dense 12 parts", 60, 12, 4)):
            mid = piece(seconds, tracks, density)
            buf = io.BytesIO()
            mid.save(file=buf)
            data = buf.getvalue()
            audio_len = len(render_midi(mid, sf2=path, tail=0.0)) / 44100
            raw = timed(lambda data=data, sf2=sf2: render_wave_from(sf2, data), args.repeat)
            full = timed(lambda mid=mid, path=path: render_midi(mid, sf2=path, tail=1.0),
                         args.repeat)
            cpu = cpu_timed(lambda mid=mid, path=path: render_midi(mid, sf2=path, tail=1.0),
                            args.repeat)
            rows.append((font, name, audio_len, raw, full, cpu))

    print(f"{'SoundFont':18} {'piece':16} {'audio s':>8} {'synth s':>8} {'x RT':>7} "
          f"{'render s':>9} {'x RT':>7} {'vs synth':>9} {'CPU s':>7} {'x RT CPU':>9}")
    for font, name, length, raw, full, cpu in rows:
        print(f"{font:18} {name:16} {length:8.1f} {raw:8.3f} {length / raw:7.1f} {full:9.3f} "
              f"{length / full:7.1f} {full / raw:8.2f}x {cpu:7.3f} {length / cpu:9.1f}")
    print("x RT = seconds of audio per second of compute (higher is faster); 'synth' is the bare"
          " midirenderer call (48 kHz int16), 'render' is render_midi (44.1 kHz float, tail, "
          "resampling, peak check); 'CPU' is render_midi's CPU time. TimGM6mb (the fallback) "
          "is the baseline for the default FluidR3_GM when Debian's fluid-soundfont-gm is "
          "installed.")

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
