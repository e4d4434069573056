"""Arranger: a generated melody -> harmony, bass, pad and (for high arousal) percussion.

Times are in beats (quarter notes) from the start of the cue, bar 1's downbeat at beat 0; the
arrangement is exactly as many beats long as the cue's grid (tempo map, :mod:`scorer.music.fit`)
puts into its length, in the cue's meter (4/4 by default; 2/4, 3/4 and 6/8 too). A last bar
shorter than a beat is folded into the one before, so the closing tonic always sounds. The
melody arrives in C major / A minor (the model's key) and is transposed to the cue's key and
centred on its register.

Harmony: one diatonic chord per bar chosen by dynamic programming over how well each chord's
notes cover the melody notes of the bar (weighted by duration), a small preference for the
primary chords, and bonuses for common progressions; the last two bars are forced to an
authentic cadence (V - I), and the final tonic is held by every part to the cue's last
beat. Rhythm density of the accompaniment follows the arousal bucket.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from scorer.errors import ScorerError
from scorer.music.corpus import decode_tokens
from scorer.music.fit import Grid, bar_beats, parse_meter

BAR = 4.0  # beats per bar (4/4)
STEP = 0.25  # beats per token

# relative pitch classes (C major / A minor) of the candidate chords
CHORDS = {
    "major": {"I": (0, 4, 7), "ii": (2, 5, 9), "iii": (4, 7, 11), "IV": (5, 9, 0),
              "V": (7, 11, 2), "vi": (9, 0, 4)},
    "minor": {"i": (9, 0, 4), "iv": (2, 5, 9), "V": (4, 8, 11), "VI": (5, 9, 0),
              "III": (0, 4, 7), "VII": (7, 11, 2)},
}
TONIC = {"major": "I", "minor": "i"}
PRIOR = {"I": 0.3, "i": 0.3, "IV": 0.2, "iv": 0.2, "V": 0.2, "vi": 0.05, "VI": 0.05}
PROGRESSION = {("V", "I"): 0.5, ("V", "i"): 0.5, ("IV", "V"): 0.3, ("iv", "V"): 0.3,
               ("ii", "V"): 0.3, ("vi", "ii"): 0.2, ("vi", "IV"): 0.2, ("I", "IV"): 0.15,
               ("i", "iv"): 0.15, ("VI", "iv"): 0.2, ("III", "VI"): 0.2, ("VII", "III"): 0.2}
SAME_CHORD = -0.1  # a little motion is preferred to one chord for the whole cue

DEFAULT_PROGRAMS = {
    "folk": {"melody": 73, "harmony": 24, "bass": 32, "pad": 48, "drums": 0},
    "irish": {"melody": 40, "harmony": 25, "bass": 32, "pad": 48, "drums": 0},
    "chorale": {"melody": 52, "harmony": 19, "bass": 43, "pad": 48, "drums": 48},
}
CHANNELS = {"melody": 0, "harmony": 1, "bass": 2, "pad": 3, "drums": 9}
ROLE_GAIN = {"melody": 1.0, "harmony": 0.7, "bass": 0.85, "pad": 0.55, "drums": 0.8}
DRUM_AROUSAL = 0.4  # percussion only above this arousal
_PCS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


@dataclass
class Note:
    """One note: MIDI pitch, start and length in beats, velocity 1..127."""

    pitch: int
    start: float
    length: float
    velocity: int


@dataclass
class Part:
    """One instrument part (a MIDI track)."""

    role: str
    name: str
    program: int
    channel: int
    notes: list[Note] = field(default_factory=list)


@dataclass
class Arrangement:
    """A finished arrangement, ready for :func:`scorer.music.midi.to_midi`."""

    title: str
    tempo: float
    beats: float
    key: str
    mode: str
    parts: list[Part]
    chords: list[str]
    markers: list[tuple[float, str]] = field(default_factory=list)  # (beat, text)
    tempo_map: list[tuple[float, float]] = field(default_factory=list)  # (beat, BPM)
    meter: str = "4/4"


def key_pitch_class(key: str) -> int:
    """Return the pitch class of a key name such as "C", "F#", "Bb", "E-" or "c minor".

    Raises:
        ScorerError: If the name is not a key.
    """
    name = key.strip().split()[0] if key.strip() else ""
    if not name or name[0].upper() not in _PCS:
        raise ScorerError(f"not a key name: {key!r}")
    pc = _PCS[name[0].upper()]
    for ch in name[1:]:
        if ch in "#♯":
            pc += 1
        elif ch in "b-♭":
            pc -= 1
        elif ch.lower() == "m":
            break
        else:
            raise ScorerError(f"not a key name: {key!r}")
    return pc % 12


def transpose_shift(key: str, mode: str, register: int, pitches: list[int]) -> int:
    """Semitones that move a C major / A minor melody to ``key`` centred on ``register``."""
    relative_tonic = 0 if mode == "major" else 9
    shift = (key_pitch_class(key) - relative_tonic) % 12
    centre = float(np.median(pitches)) if pitches else 67.0
    # choose the octave that puts the melody's centre closest to the register
    return min((shift + 12 * k for k in range(-5, 6)),
               key=lambda s: abs(centre + s - register))


def level_at(dynamics: list[tuple[float, float]], t: float, default: float) -> float:
    """Return the dynamics level (0..1) at clip time ``t`` (linear between points)."""
    if not dynamics:
        return default
    times = [p[0] for p in dynamics]
    levels = [p[1] for p in dynamics]
    return float(np.clip(np.interp(t, times, levels), 0.0, 1.0))


def choose_chords(melody: list[tuple[int | None, int, int]], mode: str, bars: int,
                  steps_per_bar: int = 16) -> list[str]:
    """Pick one chord per bar for a melody of (relative pitch, start step, steps) events."""
    names = list(CHORDS[mode])
    weight = np.zeros((bars, 12))
    for pitch, start, length in melody:
        if pitch is None:
            continue
        s = start
        while s < start + length:  # split notes over bar lines
            bar = min(int(s // steps_per_bar), bars - 1)
            if s >= bars * steps_per_bar + steps_per_bar:
                break
            end = min(start + length, (bar + 1) * steps_per_bar)
            if end <= s:  # inside the folded last bar
                end = start + length
            weight[bar, pitch % 12] += end - s
            s = end
    fit = np.zeros((bars, len(names)))
    for j, name in enumerate(names):
        inside = np.zeros(12)
        inside[list(CHORDS[mode][name])] = 1.0
        total = weight.sum(axis=1) + 1e-9
        fit[:, j] = (weight @ inside - 0.6 * (weight @ (1 - inside))) / total
        fit[:, j] += PRIOR.get(name, 0.0)
    tonic, dominant = names.index(TONIC[mode]), names.index("V")
    if bars >= 1:
        fit[-1, :] = -1e9
        fit[-1, tonic] = 0.0
    if bars >= 2:
        fit[-2, :] = -1e9
        fit[-2, dominant] = 0.0
    if bars >= 3:
        fit[0, tonic] += 0.5  # open on the tonic
    trans = np.array([[PROGRESSION.get((a, b), SAME_CHORD if a == b else 0.0) for b in names]
                      for a in names])
    score = fit[0].copy()
    back = np.zeros((bars, len(names)), int)
    for bar in range(1, bars):
        total = score[:, None] + trans
        back[bar] = total.argmax(axis=0)
        score = total.max(axis=0) + fit[bar]
    path = [int(score.argmax())]
    for bar in range(bars - 1, 0, -1):
        path.append(int(back[bar, path[-1]]))
    return [names[j] for j in reversed(path)]


def _voice(pcs: tuple[int, ...], low: int, high: int) -> list[int]:
    """Return the chord's pitch classes as notes inside [low, high], one each, close position."""
    notes = []
    for pc in pcs:
        n = low + (pc - low) % 12
        if n > high:
            n -= 12
        notes.append(n)
    return sorted(notes)


def arrange(tokens: list[str], *, mode: str, key: str, tempo: float, beats: float,
            register: int, arousal: float, programs: dict[str, int], style: str,
            dynamics: list[tuple[float, float]] | None = None, cue_start: float = 0.0,
            title: str = "", hit_points: list[float] | None = None,
            tempo_map: list[tuple[float, float]] | None = None,
            meter: str = "4/4") -> Arrangement:
    """Arrange a melody (tokens in C major / A minor) for a cue.

    Args:
        tokens: Melody tokens, one per 16th note.
        mode: "major" or "minor".
        key: Tonic of the cue's key ("D", "Bb"...).
        tempo: Beats per minute.
        beats: Exact length in beats (the cue's duration at its tempo).
        register: MIDI note around which the melody should sit.
        arousal: -1..1; sets accompaniment density and whether there is percussion.
        programs: role -> General MIDI program ("melody", "harmony", "bass", "pad", "drums");
            missing roles take the style's defaults, percussion needs a "drums" entry (or an
            empty mapping) and high arousal.
        style: Melody style, for the default programs.
        dynamics: (clip time s, level 0..1) points that set the velocities.
        cue_start: Clip time of beat 0, to read the dynamics.
        title: Name for the conductor track.
        hit_points: Clip times (s) of cuts inside the cue, written as MIDI markers.
        tempo_map: (beat, BPM) segments (:func:`scorer.music.fit.hit_tempo_map`); None keeps
            ``tempo`` throughout.
        meter: Time signature ("4/4", "3/4", "2/4", "6/8").

    Returns:
        The arrangement.
    """
    if beats <= 0 or tempo <= 0:
        raise ScorerError(f"cannot arrange {beats:.2f} beats at {tempo:.1f} BPM")
    grid = Grid(list(tempo_map) if tempo_map else [(0.0, tempo)])
    meter = "{}/{}".format(*parse_meter(meter))
    bar_len = bar_beats(meter)
    steps_per_bar = max(1, int(round(bar_len / STEP)))
    # a last bar shorter than one beat is folded into the bar before it
    bars = max(1, math.ceil((beats - 1.0) / bar_len - 1e-9))
    events = decode_tokens(tokens)
    shift = transpose_shift(key, mode, register, [p for p, _, _ in events if p is not None])
    bucket = 0 if arousal < -1 / 3 else (2 if arousal > 1 / 3 else 1)
    default_level = float(np.clip(0.5 + 0.4 * arousal, 0.1, 1.0))
    dynamics = dynamics or []

    # the dynamics level on a 16th-note grid, read once (per-note interpolation is slow)
    steps = np.arange(math.ceil(beats / STEP) + 1) * STEP
    if dynamics:
        levels = np.clip(np.interp(cue_start + grid.seconds_array(steps),
                                   [p[0] for p in dynamics], [p[1] for p in dynamics]),
                         0.0, 1.0).tolist()
    else:
        levels = [default_level] * len(steps)

    def velocity(role: str, beat: float, accent: float = 1.0) -> int:
        level = levels[min(len(levels) - 1, int(beat / STEP))]
        return min(127, max(1, int(round((25 + 95 * level) * ROLE_GAIN[role] * accent))))

    defaults = DEFAULT_PROGRAMS.get(style, DEFAULT_PROGRAMS["folk"])
    roles = ["melody", "harmony", "bass", "pad"]
    with_drums = arousal > DRUM_AROUSAL and ("drums" in programs or not programs)
    if with_drums:
        roles.append("drums")
    parts = {role: Part(role=role, name=role.capitalize(),
                        program=int(programs.get(role, defaults[role])) % 128,
                        channel=CHANNELS[role]) for role in roles}

    def add(role: str, pitch: int, start: float, length: float, accent: float = 1.0) -> None:
        end = min(start + length, beats)
        if start >= beats - 1e-9 or end - start <= 1e-9:
            return
        parts[role].notes.append(Note(min(127, max(0, int(pitch))), start, end - start,
                                      velocity(role, start, accent)))

    for pitch, start, length in events:
        if pitch is not None:
            beat = start * STEP
            add("melody", pitch + shift, beat, length * STEP,
                1.1 if beat % bar_len == 0 else 1.0)

    chords = choose_chords(events, mode, bars, steps_per_bar)
    table = CHORDS[mode]
    melody_low = min((n.pitch for n in parts["melody"].notes), default=register - 5)
    # accompaniment sits under the melody but not in the bass's octave (muddy below ~E3)
    harm_high = max(min(melody_low - 1, register - 3), 52)
    pulse = 1.5 if meter.endswith("/8") and bar_len % 1.5 == 0 else 1.0  # 6/8: dotted beats
    for bar, name in enumerate(chords):
        pcs = tuple((pc + shift) % 12 for pc in table[name])
        root = pcs[0]
        t0 = bar * bar_len
        voiced = _voice(pcs, harm_high - 11, harm_high)
        bass_root = 36 + (root - 36) % 12
        fifth = bass_root + 7 if bass_root + 7 <= 52 else bass_root - 5
        if bar == bars - 1:  # the closing tonic: every part holds it to the end
            hold = beats - t0
            for p in voiced:
                add("harmony", p, t0, hold, 1.1)
            add("bass", bass_root, t0, hold, 1.1)
            for p in _voice(pcs, 55, 66):
                add("pad", p, t0, hold)
            if with_drums:
                add("drums", 49, t0, min(hold, 2.0))
                add("drums", 36, t0, 0.5, 1.1)
            continue
        step = {0: bar_len, 1: max(pulse, bar_len / 2), 2: pulse}[bucket]
        for k in range(max(1, int(round(bar_len / step)))):
            for p in voiced:
                add("harmony", p, t0 + k * step, step * 0.95, 1.1 if k == 0 else 1.0)
        if bucket == 0:
            add("bass", bass_root, t0, bar_len)
        elif bucket == 1:
            half = bar_len / 2 if bar_len >= 2 else bar_len
            add("bass", bass_root, t0, half, 1.1)
            if half < bar_len:
                add("bass", fifth, t0 + half, half)
        else:
            pattern = (bass_root, bass_root, fifth, bass_root + 12)
            n_pulses = max(1, int(round(bar_len / pulse)))
            for k in range(n_pulses):
                add("bass", pattern[k % 4], t0 + k * pulse, 0.9 * pulse, 1.1 if k == 0 else 1.0)
        for p in _voice(pcs, 55, 66):
            add("pad", p, t0, bar_len)
        if with_drums:
            if bar == 0:
                add("drums", 49, 0.0, 1.0)  # crash on the downbeat
            n_pulses = max(1, int(round(bar_len / pulse)))
            for k in range(n_pulses):
                add("drums", 36 if k % 2 == 0 else 38, t0 + k * pulse, 0.5,
                    1.1 if k == 0 else 1.0)
            for k in range(int(round(bar_len / 0.5))):
                add("drums", 42, t0 + k * 0.5, 0.25, 0.8)
    ordered = [parts[r] for r in roles if r in parts]
    markers = []
    for t in hit_points or []:
        beat = grid.beat(t - cue_start)
        if 0.0 <= beat < beats:
            markers.append((round(beat, 6), f"hit {t:.3f} s"))
    return Arrangement(title=title, tempo=tempo, beats=beats, key=key, mode=mode,
                       parts=ordered, chords=chords, markers=markers,
                       tempo_map=[(float(b), float(t)) for b, t in grid.segments] if tempo_map
                       else [], meter=meter)
