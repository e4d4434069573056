"""Generated music for the library tests (no downloads; helpers only, no tests here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pretty_midi

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)


def write_tune(path: Path, tonic: int, minor: bool, bpm: float, beats_per_note: float,
               register: int, velocity: int, legato: float, bars: int = 8,
               program: int = 0, seed: int = 0) -> Path:
    """A two-part tune: a scale-wise melody over a tonic/dominant bass, 4/4."""
    rng = np.random.default_rng(seed)
    scale = MINOR if minor else MAJOR
    pm = pretty_midi.PrettyMIDI(initial_tempo=bpm)
    pm.time_signature_changes.append(pretty_midi.TimeSignature(4, 4, 0.0))
    beat = 60.0 / bpm
    mel = pretty_midi.Instrument(program=program, name="melody")
    bass = pretty_midi.Instrument(program=32, name="bass")
    step = beats_per_note * beat
    t, degree = 0.0, 0
    total = bars * 4 * beat
    while t < total - 1e-9:
        degree = int(np.clip(degree + rng.choice([-2, -1, 1, 2]), -3, 9))
        octave, idx = divmod(degree, 7)
        pitch = register + tonic + 12 * octave + scale[idx]
        mel.notes.append(pretty_midi.Note(velocity, int(pitch), t, t + step * legato))
        t += step
    for b in range(bars):
        root = tonic + (7 if b % 2 else 0) + register - 24
        for chord in (0, 2):  # two half notes per bar
            start = (b * 4 + chord) * beat
            bass.notes.append(pretty_midi.Note(velocity - 10, int(root), start,
                                               start + 2 * beat * 0.95))
            third = 3 if minor else 4
            for off in (third, 7):
                bass.notes.append(pretty_midi.Note(velocity - 20, int(root + 12 + off), start,
                                                   start + 2 * beat * 0.95))
    # the tonic at the end so the key is unambiguous
    pm.instruments += [mel, bass]
    pm.write(str(path))
    return path


def fast_major(path: Path, tonic: int = 0, seed: int = 0) -> Path:
    return write_tune(path, tonic, False, 160, 0.5, 72, 105, 0.5, seed=seed)


def slow_minor(path: Path, tonic: int = 9, seed: int = 0) -> Path:
    return write_tune(path, tonic, True, 56, 2.0, 55, 50, 1.0, seed=seed)


def write_corrupt(path: Path) -> Path:
    path.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01garbage, not a MIDI file" * 3)
    return path


ABC_TWO_TUNES = """X:1
T:Test Jig
M:6/8
L:1/8
Q:3/8=120
K:G
GAB cde|dBG AFD|GAB cde|dBG G3:|

X:2
T:Test Air
M:3/4
L:1/4
Q:1/4=60
K:Am
A2 B|c2 B|A2 E|A3|e2 d|c2 B|A3|A3|]
"""


def write_abc(path: Path) -> Path:
    path.write_text(ABC_TWO_TUNES)
    return path


def write_wav(path: Path, seconds: float = 4.0, sr: int = 22050, bpm: float = 120.0) -> Path:
    """A C-major arpeggio of decaying tones, one per beat."""
    import soundfile

    t = np.arange(int(seconds * sr)) / sr
    y = np.zeros_like(t)
    beat = 60.0 / bpm
    notes = [60, 64, 67, 72]
    for i, start in enumerate(np.arange(0.0, seconds, beat)):
        f = 440.0 * 2 ** ((notes[i % 4] - 69) / 12)
        env = np.where(t >= start, np.exp(-(t - start) * 4.0), 0.0)
        y += 0.3 * env * np.sin(2 * np.pi * f * t)
    soundfile.write(str(path), y.astype(np.float32), sr)
    return path
