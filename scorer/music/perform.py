"""Expressive performance toward a cue's emotion: dynamics, articulation and register.

Performers convey an emotion with the same notes by how they play them (Juslin & Laukka 2003;
Bresin & Friberg 2000, "Emotional coloring of computer-controlled music performances",
*Computer Music Journal* 24(4)): happy and angry are loud and detached, sad and tender soft
and legato, and register moves valence and arousal up or down. This module chooses, for a
finished arrangement, an overall dynamic scale, the melody's articulation (note length
relative to the time to the next note) and its octave, so that the delivered file's valence
and arousal -- measured the way the library is indexed and delivered files are ranked
(:func:`scorer.music.library.features.symbolic_va`: the EMOPIA-trained model, the published
rules where it is missing) -- come closest to the cue's target. Notes, harmony,
tempo and the grid stay as they are. It is a search over a few settings, not a model.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from scorer.music.arrange import Arrangement, Note
from scorer.music.fit import Grid

VELOCITY_SCALES = (0.5, 0.6, 0.75, 0.9, 1.0, 1.15, 1.3, 1.5)
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
    """Valence and arousal of an arrangement as the library's symbolic measure reads it."""
    from scorer.music.library import features as feat

    grid = Grid(arr.tempo_map or [(0.0, arr.tempo)])
    notes = _notes(arr, grid)
    if not len(notes.pitch):
        return 0.0, 0.0
    v, a, _, _ = feat.symbolic_va(feat.symbolic_features(notes))
    return v, a


def _top_part(arr: Arrangement) -> int | None:
    pitched = [(np.mean([n.pitch for n in p.notes]), i) for i, p in enumerate(arr.parts)
               if p.channel != 9 and p.notes]
    return max(pitched)[1] if pitched else None


def _articulated(start: np.ndarray, length: np.ndarray, following: np.ndarray,
                 articulation: float, keep: np.ndarray, beats: float,
                 same_next: np.ndarray | None = None) -> np.ndarray:
    """Melody note lengths for an articulation (a share of the time to the next onset).

    Detached articulations only shorten notes; legato (>= 1) sets every note to its share of
    the gap, overlapping the next a little above 1. Notes in ``keep`` stay as they are.
    """
    target = np.maximum(0.05, np.minimum((following - start) * articulation, beats - start))
    out = target if articulation >= 1.0 else np.minimum(length, target)
    if same_next is not None:  # never overlap the next note of the same pitch (ill-formed MIDI)
        out = np.minimum(out, np.maximum(0.05, same_next - start))
    return np.where(keep, length, out)


def _next_same_pitch(start: np.ndarray, pitch: np.ndarray, beats: float) -> np.ndarray:
    """For every note, the next onset of the same pitch in its part (``beats`` if none)."""
    out = np.full(len(start), float(beats))
    for p in np.unique(pitch):
        idx = np.flatnonzero(pitch == p)
        order = idx[np.argsort(start[idx], kind="stable")]
        times = start[order]
        nxt = np.r_[times[1:], beats]
        out[order] = np.where(nxt > times, nxt, beats)
    return out


def _apply(arr: Arrangement, top: int | None, velocity: float, articulation: float,
           octave: int, keep_last: bool = True) -> Arrangement:
    parts = []
    for i, part in enumerate(arr.parts):
        notes = list(part.notes)
        if i == top and notes:
            start = np.array([n.start for n in notes])
            length = np.array([n.length for n in notes])
            onsets = np.unique(start)
            following = np.r_[onsets[1:], arr.beats][np.searchsorted(onsets, start)]
            keep = start == start.max() if keep_last else np.zeros(len(start), bool)
            pitches = np.array([n.pitch for n in notes])
            new = _articulated(start, length, following, articulation, keep, arr.beats,
                               _next_same_pitch(start, pitches, arr.beats))
            notes = [Note(min(127, max(0, n.pitch + octave)), n.start, float(k), n.velocity)
                     for n, k in zip(notes, new, strict=True)]
        if velocity != 1.0:
            notes = [Note(n.pitch, n.start, n.length,
                          min(127, max(1, int(round(n.velocity * velocity))))) for n in notes]
        parts.append(replace(part, notes=notes))
    return replace(arr, parts=parts)


def shape(arr: Arrangement, valence: float, arousal: float,
          keep_last: bool = True) -> tuple[Arrangement, dict]:
    """Perform ``arr`` so that its measured V/A comes closest to (valence, arousal).

    A coordinate search (dynamics, articulation, the melody's octave, dynamics again) over
    :data:`VELOCITY_SCALES`, :data:`ARTICULATIONS` and :data:`OCTAVES`. Only the features
    these settings move (mean velocity, the top part's legato, its pitch, the pitch range)
    are recomputed per candidate, with the rest of the measurement taken once, so the search
    costs a few milliseconds ("after" is that measurement of the chosen performance).

    Args:
        arr: The arrangement (not changed).
        valence: Target valence.
        arousal: Target arousal.
        keep_last: Keep the final notes' lengths (the closing tonic rings to the end).

    Returns:
        (the performed arrangement, {"velocity", "articulation", "octave", "before", "after",
        "distance"}).
    """
    from scorer.music.library import features as feat
    from scorer.music.library import rules

    top = _top_part(arr)
    grid = Grid(arr.tempo_map or [(0.0, arr.tempo)])
    notes = _notes(arr, grid)
    if top is None or not len(notes.pitch):
        return arr, {"velocity": 1.0, "articulation": 1.0, "octave": 0}
    base = feat.symbolic_features(notes)
    # the same rows as the note table, in beats
    rows = np.array([(n.start, n.length) for p in arr.parts if p.channel != 9 for n in p.notes])
    start_b, len_b = rows[:, 0], rows[:, 1]
    start_s = notes.start
    part_of = notes.part  # index into arr.parts
    is_top = part_of == top
    velocity = notes.velocity
    pitch = notes.pitch
    m_on = start_b[is_top]
    onsets = np.unique(m_on)
    following = np.r_[onsets[1:], arr.beats][np.searchsorted(onsets, m_on)]
    last = m_on == m_on.max() if keep_last else np.zeros(len(m_on), bool)
    same_next = _next_same_pitch(m_on, pitch[is_top], arr.beats)
    masks = {i: part_of == i for i in np.unique(part_of)}
    order = np.argsort(start_s[is_top], kind="stable")
    pcs = pitch.astype(int) % 12

    def terms(vel_scale: float, artic: float, octave: int) -> tuple[float, float]:
        f = dict(base)
        f["velocity"] = float(np.clip(np.round(velocity * vel_scale), 1, 127).mean())
        shifted = np.where(is_top, np.clip(pitch + octave, 0, 127), pitch) if octave else pitch
        means = {i: shifted[mask].mean() for i, mask in masks.items()}
        now_top = max(means, key=means.get)
        f["pitch_top"] = float(means[now_top])
        f["pitch_mean"] = float(shifted.mean())
        f["pitch_range"] = float(np.percentile(shifted, 95) - np.percentile(shifted, 5))
        lengths = len_b.copy()
        lengths[is_top] = _articulated(m_on, len_b[is_top], following, artic, last, arr.beats,
                                       same_next)
        end_s = grid.seconds_array(start_b + lengths)
        # the key is weighed by how long notes sound, so articulation can move it
        hist = np.bincount(pcs, weights=np.maximum(end_s - start_s, 0.01), minlength=12)
        f["key"], f["mode"], f["key_clarity"] = rules.estimate_key(hist)
        if now_top == top:
            s_on, s_end = start_s[is_top][order], end_s[is_top][order]
            ioi = np.diff(s_on)
            ok = ioi > 1e-3
            f["legato"] = (float(np.median(np.clip((s_end[:-1] - s_on[:-1])[ok] / ioi[ok],
                                                   0, 1.5))) if ok.sum() >= 2 else 0.8)
        v, a, _, _ = feat.symbolic_va(f)
        return v, a

    memo: dict[tuple, float] = {}

    def cost(choice: dict) -> float:
        key = (choice["velocity"], choice["articulation"], choice["octave"])
        if key not in memo:
            v, a = terms(*key)
            memo[key] = math.hypot(v - valence, a - arousal)
        return memo[key]

    choice = {"velocity": 1.0, "articulation": 1.0, "octave": 0}
    for name, options in (("velocity", VELOCITY_SCALES), ("articulation", ARTICULATIONS),
                          ("octave", OCTAVES), ("velocity", VELOCITY_SCALES)):
        choice[name] = min(options, key=lambda o, name=name: cost({**choice, name: o}))
    before = feat.symbolic_va(base)[:2]
    out = _apply(arr, top, choice["velocity"], choice["articulation"], choice["octave"],
                 keep_last)
    after = terms(choice["velocity"], choice["articulation"], choice["octave"])
    return out, {**choice, "before": [round(x, 3) for x in before],
                 "after": [round(x, 3) for x in after],
                 "distance": round(math.hypot(after[0] - valence, after[1] - arousal), 3)}
