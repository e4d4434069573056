"""Expressive performance toward a cue's emotion: dynamics, articulation and register.

Performers convey an emotion with the same notes by how they play them (Juslin & Laukka 2003;
Bresin & Friberg 2000, "Emotional coloring of computer-controlled music performances",
*Computer Music Journal* 24(4)): happy and angry are loud and detached, sad and tender soft
and legato, and register moves valence and arousal up or down. This module chooses, for a
finished arrangement, an overall dynamic scale, the melody's articulation (note length
relative to the time to the next note) and its octave, so that the delivered file's valence
and arousal -- measured by the same published rules that index the library
(:mod:`scorer.music.library.rules`) -- come closest to the cue's target. Notes, harmony,
tempo and the grid stay as they are. It is a search over a few settings, not a model.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from scorer.music.arrange import Arrangement
from scorer.music.fit import Grid

VELOCITY_SCALES = (0.6, 0.75, 0.9, 1.0, 1.15, 1.3)
ARTICULATIONS = (0.45, 0.65, 0.85, 1.0, 1.25)  # melody note length / time to the next onset
OCTAVES = (-12, 0, 12)


def _notes(arr: Arrangement, grid: Grid):
    """The arrangement as a note table in seconds (drums left out), as the library reads it."""
    from scorer.music.library import features as feat

    rows = []
    for index, part in enumerate(arr.parts):
        if part.channel == 9:
            continue
        for n in part.notes:
            rows.append((n.start, n.start + n.length, n.pitch, n.velocity, index))
    table = np.array(rows, dtype=np.float64).reshape(-1, 5)
    start = grid.seconds_array(table[:, 0])
    end = grid.seconds_array(table[:, 1])
    return feat.Notes(start, end, table[:, 2], table[:, 3], table[:, 4].astype(int),
                      float(grid.seconds(arr.beats)), float(grid.bpms[0]), True, True,
                      np.zeros(0))


def measure(arr: Arrangement) -> tuple[float, float]:
    """Valence and arousal of an arrangement by the library's symbolic rules."""
    from scorer.music.library import features as feat
    from scorer.music.library import rules

    grid = Grid(arr.tempo_map or [(0.0, arr.tempo)])
    notes = _notes(arr, grid)
    if not len(notes.pitch):
        return 0.0, 0.0
    v, a, _ = rules.symbolic_va(feat.symbolic_features(notes))
    return v, a


def _top_part(arr: Arrangement) -> int | None:
    pitched = [(np.mean([n.pitch for n in p.notes]), i) for i, p in enumerate(arr.parts)
               if p.channel != 9 and p.notes]
    return max(pitched)[1] if pitched else None


def _apply(arr: Arrangement, top: int | None, velocity: float, articulation: float,
           octave: int) -> Arrangement:
    parts = []
    for i, part in enumerate(arr.parts):
        notes = part.notes
        if i == top:
            onsets = sorted({n.start for n in notes})
            following = {t: (onsets[k + 1] if k + 1 < len(onsets) else arr.beats)
                         for k, t in enumerate(onsets)}
            out = []
            for n in notes:
                gap = following[n.start] - n.start
                length = max(0.05, min(gap * articulation, arr.beats - n.start))
                if articulation >= 1.0 or length < n.length:
                    n = replace(n, length=length)
                out.append(replace(n, pitch=int(np.clip(n.pitch + octave, 0, 127))))
            notes = out
        if velocity != 1.0:
            notes = [replace(n, velocity=int(np.clip(round(n.velocity * velocity), 1, 127)))
                     for n in notes]
        parts.append(replace(part, notes=notes))
    return replace(arr, parts=parts)


def shape(arr: Arrangement, valence: float, arousal: float,
          keep_last: bool = True) -> tuple[Arrangement, dict]:
    """Perform ``arr`` so that its measured V/A comes closest to (valence, arousal).

    A coordinate search (dynamics, then articulation, then the melody's octave, twice) over
    :data:`VELOCITY_SCALES`, :data:`ARTICULATIONS` and :data:`OCTAVES`.

    Args:
        arr: The arrangement (not changed).
        valence: Target valence.
        arousal: Target arousal.
        keep_last: Keep the final notes' lengths (the closing tonic rings to the end).

    Returns:
        (the performed arrangement, {"velocity", "articulation", "octave", "before", "after"}).
    """
    top = _top_part(arr)
    choice = {"velocity": 1.0, "articulation": 1.0, "octave": 0}
    cache: dict[tuple, tuple[float, Arrangement]] = {}

    def cost(c: dict) -> tuple[float, Arrangement]:
        key = (c["velocity"], c["articulation"], c["octave"])
        if key not in cache:
            out = _apply(arr, top, *key)
            if keep_last and top is not None and arr.parts[top].notes:
                last = max(arr.parts[top].notes, key=lambda n: n.start)
                kept = [replace(n, length=last.length) if n.start == last.start else n
                        for n in out.parts[top].notes]
                out.parts[top] = replace(out.parts[top], notes=kept)
            v, a = measure(out)
            cache[key] = (math.hypot(v - valence, a - arousal), out)
        return cache[key]

    before = measure(arr)
    for _ in range(2):
        for name, options in (("velocity", VELOCITY_SCALES), ("articulation", ARTICULATIONS),
                              ("octave", OCTAVES)):
            best = min(options, key=lambda o, name=name: cost({**choice, name: o})[0])
            choice[name] = best
    dist, out = cost(choice)
    after = measure(out)
    return out, {**choice, "before": [round(x, 3) for x in before],
                 "after": [round(x, 3) for x in after], "distance": round(dist, 3)}
