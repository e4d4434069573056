"""The music-fit contract: the grid every delivered piece of music sits on.

A cue's plan (:mod:`scorer.affect.cues`) fixes the tempo, a tempo map across its hit points, the
meter and the bar-1 offset; generated music is written on that grid, and library music is laid
on a grid built the same way from its own (stretched) tempo and its own meter. Beats here are
quarter notes counted from the cue's start (MIDI's unit of tempo).

A tempo map is a list of ``(beat, bpm)`` segments: from ``beat`` on the tempo is ``bpm``. It is
built so that every hit point that can be reached by a small tempo change (``MAX_CHANGE``) falls
exactly on a beat: between two anchored hits the tempo is the one that fits a whole number of
beats into the gap (a "variable click", as film composers set one). A hit that would need a
larger change is left where the tempo puts it.

This module also holds the checks that :mod:`bench.fit` and the tests read delivered MIDI files
with: where its beats fall, its meter, whether it starts on a downbeat and how it ends.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

MAX_CHANGE = 0.08  # largest tempo change (fraction) a hit may pull a segment by
DEFAULT_METER = "4/4"


def parse_meter(meter: str | tuple[int, int] | None) -> tuple[int, int]:
    """Return (numerator, denominator) of a meter such as "3/4"; 4/4 for anything unusable."""
    if isinstance(meter, tuple | list) and len(meter) == 2:
        num, den = int(meter[0]), int(meter[1])
    else:
        match = re.match(r"^\s*(\d+)\s*/\s*(\d+)\s*$", str(meter or ""))
        if not match:
            return 4, 4
        num, den = int(match.group(1)), int(match.group(2))
    if not 1 <= num <= 32 or den not in (1, 2, 4, 8, 16, 32):
        return 4, 4
    return num, den


def bar_beats(meter: str | tuple[int, int] | None) -> float:
    """Quarter notes in one bar of a meter (3/4 -> 3, 6/8 -> 3, 2/2 -> 4)."""
    num, den = parse_meter(meter)
    return num * 4.0 / den


def hit_tempo_map(hits: list[float] | np.ndarray, tempo: float, duration: float | None = None,
                  max_change: float = MAX_CHANGE) -> list[tuple[float, float]]:
    """Return a tempo map that puts the hit points on beats.

    Args:
        hits: Hit times in seconds from the cue's start (beat 0 is at 0).
        tempo: The base tempo (BPM).
        duration: The cue's length; when given, the last segment is nudged (within
            ``max_change``) so that the cue ends on a beat.
        max_change: Largest relative tempo change a segment may take.

    Returns:
        ``[(beat, bpm), ...]`` starting at beat 0, adjacent segments merged when equal.
    """
    if tempo <= 0:
        return [(0.0, tempo)]
    anchor_t, anchor_b = 0.0, 0
    segments: list[tuple[float, float]] = []
    ends = sorted(float(h) for h in hits if h > 1e-6)
    if duration is not None:
        ends.append(float(duration))
    for k, hit in enumerate(ends):
        gap = hit - anchor_t
        if gap <= 1e-6:
            continue
        n = round(gap * tempo / 60.0)
        if n < 1:
            continue
        local = 60.0 * n / gap
        if abs(local / tempo - 1.0) > max_change:
            continue
        is_end = duration is not None and k == len(ends) - 1
        segments.append((float(anchor_b), local))
        anchor_t, anchor_b = hit, anchor_b + n
        if is_end:
            break
    if duration is None or anchor_t < duration - 1e-6:
        segments.append((float(anchor_b), float(tempo)))
    merged: list[tuple[float, float]] = []
    for beat, bpm in segments:
        if merged and abs(merged[-1][1] - bpm) < 1e-3:
            continue
        merged.append((beat, bpm))
    return merged or [(0.0, float(tempo))]


@dataclass
class Grid:
    """Seconds <-> beats for a tempo map (seconds from the cue's start)."""

    segments: list[tuple[float, float]]

    def __post_init__(self):
        segs = sorted((float(b), float(t)) for b, t in self.segments if t > 0) or [(0.0, 120.0)]
        if segs[0][0] > 0:
            segs.insert(0, (0.0, segs[0][1]))
        self.beats = [b for b, _ in segs]
        self.bpms = [t for _, t in segs]
        self.starts = [0.0]
        for (b0, t0), (b1, _) in zip(segs, segs[1:], strict=False):
            self.starts.append(self.starts[-1] + (b1 - b0) * 60.0 / t0)

    @classmethod
    def constant(cls, tempo: float) -> Grid:
        """A grid at one tempo."""
        return cls([(0.0, tempo)])

    def seconds(self, beat: float) -> float:
        """Time in seconds of a beat."""
        i = max(0, bisect_right(self.beats, beat) - 1)
        return self.starts[i] + (beat - self.beats[i]) * 60.0 / self.bpms[i]

    def beat(self, seconds: float) -> float:
        """Beat at a time in seconds."""
        i = max(0, bisect_right(self.starts, seconds) - 1)
        return self.beats[i] + (seconds - self.starts[i]) * self.bpms[i] / 60.0

    def seconds_array(self, beats: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`seconds`."""
        beats = np.asarray(beats, dtype=np.float64)
        idx = np.clip(np.searchsorted(self.beats, beats, side="right") - 1, 0, None)
        b0 = np.asarray(self.beats)[idx]
        return np.asarray(self.starts)[idx] + (beats - b0) * 60.0 / np.asarray(self.bpms)[idx]


def cue_grid(cue, tempo: float | None = None) -> Grid:
    """The grid of a cue, built from its tempo (or ``tempo``), hit points and length.

    It is rebuilt from those fields rather than read from ``cue.tempo_map``, so a cue whose
    tempo was edited without re-planning still gets a grid that matches its tempo.

    Args:
        cue: A :class:`scorer.project.Cue`.
        tempo: Another base tempo (a library piece's own); None uses the cue's.
    """
    base = tempo if tempo is not None else cue.tempo
    hits = [h - cue.start for h in cue.hit_points]
    return Grid(hit_tempo_map(hits, base, cue.duration))


# ---------------------------------------------------------------- checks on delivered MIDI


@dataclass
class MidiFacts:
    """What a delivered MIDI file says about its grid and its notes (seconds from its start)."""

    meter: tuple[int, int] | None  # first time signature
    grid: Grid
    ticks_per_beat: int
    first_onset: float  # seconds
    first_onset_beat: float
    last_end: float  # seconds
    end_of_file: float
    bass_by_chord: list[tuple[float, int]]  # (onset s, lowest pitch) of the last onsets
    notes: list[tuple[float, float, int]] = None  # (on s, off s, pitch), drums left out


def read_midi_facts(path) -> MidiFacts:
    """Read a MIDI file's tempo map, meter and note extent (mido, no synthesis)."""
    import mido

    mid = mido.MidiFile(str(path))
    tpq = mid.ticks_per_beat
    tempos: list[tuple[float, float]] = []
    meter = None
    notes: list[tuple[int, int, int]] = []  # (on tick, off tick, pitch) without drums
    end_tick = 0
    for track in mid.tracks:
        tick = 0
        open_notes: dict[tuple[int, int], int] = {}
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                tempos.append((tick / tpq, mido.tempo2bpm(msg.tempo)))
            elif msg.type == "time_signature" and meter is None and tick == 0:
                meter = (msg.numerator, msg.denominator)
            elif msg.type == "note_on" and msg.velocity > 0:
                open_notes[(msg.channel, msg.note)] = tick
            elif msg.type in ("note_off", "note_on"):
                on = open_notes.pop((msg.channel, msg.note), None)
                if on is not None and msg.channel != 9:
                    notes.append((on, tick, msg.note))
        end_tick = max(end_tick, tick)
    tempos.sort()
    grid = Grid(tempos or [(0.0, 120.0)])
    if not notes:
        return MidiFacts(meter, grid, tpq, 0.0, 0.0, 0.0, grid.seconds(end_tick / tpq), [], [])
    arr = np.array(notes, dtype=np.float64)
    on_s = grid.seconds_array(arr[:, 0] / tpq)
    off_s = grid.seconds_array(arr[:, 1] / tpq)
    onsets = np.unique(arr[:, 0])
    last = [(float(grid.seconds(t / tpq)), int(arr[arr[:, 0] == t, 2].min())) for t in onsets]
    return MidiFacts(meter, grid, tpq, float(on_s.min()), float(arr[:, 0].min() / tpq),
                     float(off_s.max()), float(grid.seconds(end_tick / tpq)), last,
                     list(zip(on_s.tolist(), off_s.tolist(), arr[:, 2].astype(int).tolist(),
                              strict=True)))


def hit_beat_errors(facts: MidiFacts, hits: list[float]) -> list[float]:
    """Distance (s) from each hit (seconds from the file's start) to the file's nearest beat."""
    out = []
    for hit in hits:
        beat = facts.grid.beat(hit)
        near = [facts.grid.seconds(math.floor(beat)), facts.grid.seconds(math.ceil(beat))]
        out.append(min(abs(hit - t) for t in near))
    return out


def beat_length_at(facts: MidiFacts, seconds: float) -> float:
    """Length in seconds of the beat sounding at a time."""
    beat = facts.grid.beat(seconds)
    return facts.grid.seconds(beat + 1) - facts.grid.seconds(beat)


def bass_line(facts: MidiFacts, step_beats: float = 0.25) -> list[tuple[float, int]]:
    """The lowest sounding pitch at every ``step_beats`` (seconds, pitch), drums left out."""
    if not facts.notes:
        return []
    arr = np.array(facts.notes, dtype=np.float64)
    out = []
    last_beat = facts.grid.beat(facts.last_end)
    for b in np.arange(0.0, last_beat, step_beats):
        t = facts.grid.seconds(float(b)) + 1e-4
        sounding = arr[(arr[:, 0] <= t) & (arr[:, 1] > t), 2]
        if len(sounding):
            out.append((t, int(sounding.min())))
    return out


def ends_on_cadence(facts: MidiFacts, tonic_pc: int, window_beats: float = 8.0) -> bool:
    """True when the bass moves dominant -> tonic (V - I) at the end.

    The lowest sounding note at the very end must be the tonic, and within ``window_beats``
    before the tonic arrives the lowest sounding note must have been the dominant (a fifth
    above the tonic).
    """
    line = bass_line(facts)
    if not line or line[-1][1] % 12 != tonic_pc % 12:
        return False
    k = len(line) - 1
    while k > 0 and line[k - 1][1] % 12 == tonic_pc % 12:
        k -= 1
    arrival = facts.grid.beat(line[k][0])
    return any(p % 12 == (tonic_pc + 7) % 12 for t, p in line[:k]
               if facts.grid.beat(t) >= arrival - window_beats)
