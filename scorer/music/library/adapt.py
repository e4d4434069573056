"""Fit a library piece to a cue: tempo, key, register, length, instruments, dynamics.

MIDI (and MusicXML/ABC, rendered to MIDI by music21):

- tempo: every time is divided by the tempo factor; pitches are untouched;
- key: transposed by the smallest interval (-6..+5 semitones) from the piece's tonic to the
  cue's, then by octaves so the melody sits near ``cue.register``; when the modes differ the
  third and sixth (and in minor -> major the seventh) degrees are moved by a semitone
  (a modal transformation, the textbook way of turning a tune minor or major);
- grid (the music-fit contract, :mod:`scorer.music.fit`): the piece keeps its own meter and
  starts on one of its downbeats (a score's pickup is skipped) at the cue's start; it plays at
  its stretched tempo on a tempo map that puts the cue's hit points on beats and its end on one;
- length: the body (whole bars, looped when the piece is shorter than the cue) stops at a bar
  line, preferably a phrase end (every four bars); then an authentic cadence in the cue's key:
  the dominant (with the leading note) and the tonic, held by melody, bass and inner voices to
  the cue's last beat; a piece without a bass gets a cadence part;
- instruments (orchestrated on delivery): the tune is replayed on the cue's instruments
  (``cue.programs``: melody, bass, harmony, pad...), as in the source paper, where the generated
  melody is played on any instrument. A top part written in chords (a piano's right hand, a
  chordal line) gives its melody instrument the highest line only and its chords to the
  accompaniment, a chordal bass likewise keeps its lowest line; inner voices are spread over
  the cue's accompanying instruments (harmony, pad...) from the highest down, so a quartet's
  second violin and viola become, say, the cue's piano and string pad;
- dynamics: velocities follow ``cue.dynamics`` (0.5 = as written);
- performance: overall dynamics, the melody's articulation and octave are chosen so that the
  delivered file's measured V/A comes closest to the cue's (:mod:`scorer.music.perform`).

Audio: started on a detected downbeat (the beat phase with the strongest accents), fitted to
the cue's length by its own sections (intro, body repeated or cut at bar lines, its ending
ringing out; a piece too short for that is looped at bar lines with short crossfades),
time-stretched segment by segment onto the cue's grid (hit points on beats) and
pitch-shifted with librosa; a shift above four semitones is refused and the result says so
(it would sound artificial), as is a change of mode.
"""

from __future__ import annotations

import functools
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scorer.errors import ExportError, InputError, describe_os_error
from scorer.music import reading
from scorer.music.arrange import Arrangement, Note, Part
from scorer.music.fit import Grid, bar_beats, hit_tempo_map, parse_meter
from scorer.music.library import features as feat
from scorer.music.library.rules import PITCH_NAMES
from scorer.music.midi import midi_bytes, to_midi
from scorer.music.perform import shape
from scorer.project import atomic_write_bytes

PHRASE_BARS = 4
LOWEST_BASS = 28  # E1, a contrabass's lowest string: cadence roots go no lower
MAX_AUDIO_SHIFT = 4
MELODY_ROLES = ("melody", "lead", "solo")
BASS_ROLES = ("bass",)
HARMONY_ROLES = ("harmony", "chords", "pad", "accompaniment", "strings", "piano")
_NAME_TO_PC = {n: i for i, n in enumerate(PITCH_NAMES)} | {
    "Db": 1, "D#": 3, "Gb": 6, "G#": 8, "A#": 10, "Cb": 11, "Fb": 4, "E#": 5, "B#": 0}


def pitch_class(name: str) -> int:
    """Return the pitch class of a key name ("C", "F#", "Bb", "a" ...)."""
    key = name.strip()
    key = key[:1].upper() + key[1:].replace("-", "b")
    if key not in _NAME_TO_PC:
        raise ValueError(f"unknown key name {name!r}")
    return _NAME_TO_PC[key]


def transposition(from_tonic: str, to_tonic: str) -> int:
    """Smallest shift in semitones (-6..+5) from one tonic to another."""
    return (pitch_class(to_tonic) - pitch_class(from_tonic) + 6) % 12 - 6


def mode_map(from_mode: str, to_mode: str) -> dict[int, int]:
    """Scale-degree changes (semitones above the tonic -> new) for a modal transformation."""
    if from_mode == to_mode:
        return {}
    if to_mode == "minor":  # to harmonic minor: lower 3 and 6, keep the leading note
        return {4: 3, 9: 8}
    return {3: 4, 8: 9, 10: 11}  # to major: raise 3, 6 and 7


@dataclass
class Plan:
    """How a piece is fitted to a cue."""

    tempo_factor: float = 1.0  # > 1 faster
    semitones: int = 0
    octaves: int = 0  # 0 = choose from the register
    from_tonic: str = "C"
    from_mode: str = "major"
    to_tonic: str = "C"
    to_mode: str = "major"
    change_mode: bool = False
    length: float | None = None  # seconds after the tempo change; None = keep whole piece
    start: float = 0.0  # where in the source to begin (seconds, source time)
    register: int | None = None
    programs: dict | None = None
    dynamics: list | None = None  # (seconds from the start of the cue, level 0..1)
    hits: list | None = None  # hit points, seconds from the start of the cue
    grid: Grid | None = None  # a ready grid (else built from the tempo and the hits)
    target: tuple[float, float] | None = None  # cue V/A: the performance aims at it


def plan_for_cue(entry, cue, tempo_factor: float = 1.0, change_mode: bool = True) -> Plan:
    """Return the plan that fits ``entry`` to ``cue`` (tempo factor from retrieval)."""
    dyn = [(t - cue.start if cue.start <= t <= cue.end else t, level)
           for t, level in cue.dynamics]
    plan = Plan(tempo_factor=tempo_factor, semitones=transposition(entry.key, cue.key),
                from_tonic=entry.key, from_mode=entry.mode, to_tonic=cue.key, to_mode=cue.mode,
                change_mode=change_mode and entry.mode != cue.mode, length=cue.duration,
                register=cue.register, programs=dict(cue.programs) or None, dynamics=dyn,
                hits=[h - cue.start for h in cue.hit_points],
                target=(cue.valence, cue.arousal))
    plan.start = best_start(entry, cue, cue.duration * tempo_factor)
    return plan


def best_start(entry, cue, needed: float) -> float:
    """Start at the section closest to the cue's emotion that leaves enough music after it."""
    best, best_d = 0.0, math.inf
    for lo, _hi, v, a, conf in entry.sections:
        if conf <= 0 or lo + needed > entry.duration:
            continue
        d = math.hypot(v - cue.valence, a - cue.arousal)
        if d < best_d - 0.05:  # prefer the earlier start unless clearly better
            best, best_d = lo, d
    return float(best)


# ---------------------------------------------------------------- MIDI


def load_midi(entry):
    """Return the entry's music as a PrettyMIDI (scores are rendered by music21).

    Raises:
        InputError: If the piece cannot be read (names the file and the problem).
    """
    return load_source(entry)[0]


def _score_pickup(score) -> float:
    """Quarter notes before bar 1's downbeat in a music21 score (0 without an anacrusis)."""
    parts = list(getattr(score, "parts", []) or [])
    if not parts:
        return 0.0
    measures = list(parts[0].getElementsByClass("Measure"))
    if len(measures) < 2:
        return 0.0
    first = measures[0]
    try:
        bar = float(first.barDuration.quarterLength)
    except (AttributeError, TypeError, ValueError):
        return 0.0
    length = float(first.duration.quarterLength)
    if 0 < length < bar - 1e-6:
        return float(measures[1].offset)
    return 0.0


def load_source(entry):
    """Return (PrettyMIDI, pickup in quarter notes) for an indexed symbolic piece.

    A score's pickup (anacrusis) comes from its first measure being shorter than the meter;
    a MIDI file is taken to start on a downbeat, as its time signature says. The last few
    pieces are kept in memory (parsing a score takes a while and a cue's pool shares pieces
    with its neighbours'); nothing changes the returned object.
    """
    stat = Path(entry.path).stat()
    return _load_source(entry.path, entry.ref or "", entry.kind, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _load_source(path: str, ref: str, kind: str, mtime_ns: int, size: int):
    if kind == "midi":
        return reading.read_midi(path), 0.0  # tempi held to a sane range
    try:
        score = feat.parse_score(path, int(ref) if ref else None)
    except OSError as exc:
        raise InputError(f"cannot read the score ({describe_os_error(exc)})", path) from exc
    except Exception as exc:  # music21's parsers raise many kinds for a damaged file
        raise InputError(f"cannot read the score ({type(exc).__name__}: "
                         f"{str(exc)[:120]})", path) from exc
    if hasattr(score, "scores") and not hasattr(score, "parts"):
        score = score.scores[0]
    # repeats expanded where music21 can, else played as written (scorer.music.reading)
    return reading.score_to_midi(score, path), _score_pickup(score)


def _roles(insts) -> dict[int, str]:
    pitched = [(np.mean([n.pitch for n in inst.notes]), i) for i, inst in enumerate(insts)
               if not inst.is_drum and inst.notes]
    pitched.sort(reverse=True)
    roles = {}
    for rank, (_, i) in enumerate(pitched):
        if rank == 0:
            roles[i] = "melody"
        elif rank == len(pitched) - 1:
            roles[i] = "bass"
        else:
            roles[i] = "harmony"
    return roles


def _program(programs: dict, role: str, default: int) -> int:
    group = {"melody": MELODY_ROLES, "bass": BASS_ROLES, "harmony": HARMONY_ROLES}[role]
    for name in group:
        if name in programs:
            return int(programs[name])
    if role == "harmony" and programs:  # any other role name: use it for the inner voices
        others = [v for k, v in programs.items() if k not in MELODY_ROLES + BASS_ROLES]
        if others:
            return int(others[0])
    return default


def _accompaniment(programs: dict) -> list[int]:
    """The cue's accompanying programs, in role order (harmony roles first), no drums."""
    names = [n for n in HARMONY_ROLES if n in programs]
    names += [n for n in programs if n not in names + list(MELODY_ROLES + BASS_ROLES)
              and n not in ("drums", "percussion")]
    return [int(programs[n]) for n in names]


CHORD_SHARE = 0.2  # a line is chordal when this share of its onsets have two notes or more


def _line_and_rest(notes: list[Note], top: bool) -> tuple[list[Note], list[Note]]:
    """Split chordal notes into one line (highest, or lowest, at each onset) and the rest.

    A note only joins the line when no note of the line is still sounding beyond it on the
    line's side, so a held top note is not interrupted by an inner voice.
    """
    groups: dict[float, list[Note]] = {}
    for n in notes:
        groups.setdefault(round(n.start, 2), []).append(n)
    if sum(len(g) > 1 for g in groups.values()) < CHORD_SHARE * max(1, len(groups)):
        return notes, []
    line: list[Note] = []
    rest: list[Note] = []
    held: Note | None = None
    for start in sorted(groups):
        group = sorted(groups[start], key=lambda n: n.pitch, reverse=top)
        lead, others = group[0], group[1:]
        if (held is not None and held.start + held.length > lead.start + 1e-6
                and (held.pitch > lead.pitch if top else held.pitch < lead.pitch)):
            rest += group
            continue
        line.append(lead)
        rest += others
        held = lead
    return line, rest


def _orchestrate(parts: list[Part], by_role: dict, programs: dict, channels) -> list[Part]:
    """Give the cue's instruments lines they can play (see the module docstring)."""
    accompaniment = _accompaniment(programs)
    if not accompaniment:
        return parts
    extra: list[Part] = []
    for role, top in (("melody", True), ("bass", False)):
        part = by_role.get(role)
        if part is None or part.channel == 9:
            continue
        line, rest = _line_and_rest(part.notes, top)
        if rest:
            part.notes = line
            extra.append(Part(role="harmony", name=f"{role} chords", program=accompaniment[0],
                              channel=next(channels, 15), notes=rest))
    inner = [p for p in parts + extra if p.role == "harmony" and p.notes and p.channel != 9]
    inner.sort(key=lambda p: -float(np.mean([n.pitch for n in p.notes])))
    for i, part in enumerate(inner):
        part.program = accompaniment[i % len(accompaniment)]
    return parts + extra


def _cut_point(bars: np.ndarray, limit: float) -> float:
    """Latest phrase end (every four bars from 0), else bar line, at or before ``limit``."""
    bars = np.unique(np.concatenate([[0.0], np.asarray(bars, dtype=np.float64)]))
    idx = np.nonzero((bars > 0) & (bars <= limit + 1e-6))[0]
    if not len(idx):
        return float(limit)
    phrases = idx[idx % PHRASE_BARS == 0]
    if len(phrases) and bars[phrases[-1]] >= 0.75 * limit:
        return float(bars[phrases[-1]])
    return float(bars[idx[-1]])


# An onset this close after a bar line that has none is that bar's downbeat, displaced by
# an earlier bar the transcription made too long (a broken rhythm over a halved note in an
# ABC tune, such as Ryan's Mammoth's "42d Highland Regiment", adds a 32nd); a written
# syncopation would leave the accompaniment, or a rest, on the downbeat.
DISPLACED_DOWNBEAT_BEATS = 0.25


def _displaced_downbeat(line: float, onsets: list[float]) -> float:
    """The bar line a section starts on, moved onto its displaced downbeat when there is one."""
    if not onsets:
        return line
    arr = np.asarray(onsets, dtype=np.float64)
    if np.any(np.abs(arr - line) < 1e-3):
        return line
    late = arr[(arr > line) & (arr <= line + DISPLACED_DOWNBEAT_BEATS + 1e-6)]
    return float(late.min()) if len(late) else line


def source_meter(pm) -> tuple[int, int]:
    """The piece's meter: its first time signature, 4/4 when it has none."""
    if pm.time_signature_changes:
        ts = pm.time_signature_changes[0]
        return parse_meter((ts.numerator, ts.denominator))
    return 4, 4


def _phrase_line(bar_lines: list[float], limit: float, bar: float) -> float:
    """The latest bar line at or before ``limit``, or a phrase end a bar before it.

    A phrase end (every four bars from the start) within a bar of ``limit`` wins: the body
    then ends with its phrase and the dominant is held a little longer.
    """
    lines = [b for b in bar_lines if b <= limit + 1e-6]
    if not lines:
        return 0.0
    best = lines[-1]
    phrases = [b for b in lines if round(b / bar) % PHRASE_BARS == 0 and b > 0]
    if phrases and best - phrases[-1] <= bar + 1e-6:
        return phrases[-1]
    return best


def adapt_midi(pm, plan: Plan, out_path: str | Path, pickup: float = 0.0) -> dict:
    """Write ``pm`` fitted by ``plan`` as a MIDI file (atomically); returns what was done.

    The delivered file keeps the piece's meter, starts on one of its downbeats (bar 1's, or the
    bar ``plan.start`` falls in) at the cue's start, sits on the grid of ``plan.grid`` (hit
    points on beats) and, when ``plan.length`` is set, ends exactly there on an authentic
    cadence: the body stops at a bar line, the cue's dominant chord follows, and the tonic is
    held by melody, bass and harmony to the last beat.

    Args:
        pm: The piece (PrettyMIDI).
        plan: What to do.
        out_path: The MIDI file to write.
        pickup: Quarter notes of anacrusis before the piece's first downbeat.
    """
    tpq = pm.resolution
    _, tempi = pm.get_tempo_changes()
    src_tempo = float(tempi[0]) if len(tempi) and tempi[0] > 0 else 120.0
    meter = source_meter(pm)
    bar = bar_beats(meter)
    f = plan.tempo_factor if plan.tempo_factor > 0 else 1.0
    target_tempo = float(np.clip(src_tempo * f, 20.0, 400.0))
    if plan.grid is not None:
        grid = plan.grid
    elif plan.length:
        grid = Grid(hit_tempo_map(plan.hits or [], target_tempo, plan.length))
    else:
        grid = Grid.constant(target_tempo)

    def beat_of(seconds: float) -> float:
        return pm.time_to_tick(seconds) / tpq

    end_b = beat_of(pm.get_end_time())
    first = min(max(0.0, pickup), max(0.0, end_b - bar))
    onsets = sorted(beat_of(n.start) for inst in pm.instruments if not inst.is_drum
                    for n in inst.notes)
    if onsets and first + 1e-3 < onsets[0] < first + bar - 1e-3 and onsets[0] + bar < end_b:
        # a first bar that opens with rests is a pickup written as a whole bar: bar 1 is next
        first += bar
    start_b = first
    if plan.start > 0:
        start_b = max(first, first + bar * math.floor((beat_of(plan.start) - first) / bar + 1e-6))
        start_b = _displaced_downbeat(start_b, onsets)
    # the body that may repeat: whole bars from the start to the bar line after the music
    # (a last bar left short by a pickup is filled with rest, so repeats keep the meter)
    seg_bars = max(1, math.ceil((end_b - start_b) / bar - 0.02))
    seg_len = seg_bars * bar
    total = grid.beat(plan.length) if plan.length else end_b - start_b
    info = {"loops": 1, "cut": None, "cadence": False, "meter": f"{meter[0]}/{meter[1]}",
            "downbeat": round(start_b, 3)}
    tonic_bar = dominant = total
    if plan.length and total >= bar + 1.0:
        # the tonic from the last bar line that leaves it at least a beat, the dominant before
        tonic_bar = bar * math.floor((total - 1.0) / bar + 1e-9)
        lines = [k * bar for k in range(int(tonic_bar / bar))]
        dominant = _phrase_line(lines, tonic_bar - bar, bar) if tonic_bar >= bar else 0.0
        if tonic_bar - dominant > 3 * bar or dominant <= 0:
            dominant = max(0.0, tonic_bar - bar)
    elif plan.length:  # shorter than a bar and a beat: dominant on the first half
        dominant, tonic_bar = 0.0, total / 2
    body_end = dominant
    reps = max(1, math.ceil(body_end / seg_len - 1e-9)) if seg_len > 0 else 1
    if body_end < seg_len * reps - 1e-6 or reps > 1:
        info["cut"] = round(grid.seconds(body_end), 3)
    info["loops"] = reps

    roles = _roles(pm.instruments)
    programs = plan.programs or {}
    degree = mode_map(plan.from_mode, plan.to_mode) if plan.change_mode else {}
    src_pc = pitch_class(plan.from_tonic)
    key_pc = (src_pc + plan.semitones) % 12
    mode = plan.to_mode if plan.change_mode else plan.from_mode

    def repitch(p: int) -> int:
        if degree:
            rel = (p - src_pc) % 12
            p += degree.get(rel, rel) - rel
        return p + plan.semitones

    octave = 12 * plan.octaves
    melody = [i for i, r in roles.items() if r == "melody"]
    if plan.register is not None and melody and not plan.octaves:
        mean = np.mean([repitch(n.pitch) for n in pm.instruments[melody[0]].notes])
        octave = int(np.clip(12 * round((plan.register - mean) / 12), -24, 24))

    level = _level_reader(plan.dynamics, grid)
    parts: list[Part] = []
    channels = iter([c for c in range(16) if c != 9])
    by_role: dict[str, Part] = {}
    for i, inst in enumerate(pm.instruments):
        role = roles.get(i)
        program = _program(programs, role, inst.program) if role else inst.program
        channel = 9 if inst.is_drum else next(channels, 15)
        part = Part(role=role or "other", name=role or inst.name or "part", program=program,
                    channel=channel)
        starts = np.array([beat_of(n.start) for n in inst.notes])
        ends = np.array([beat_of(n.end) for n in inst.notes])
        for k in range(reps):
            for n, b0, b1 in zip(inst.notes, starts, ends, strict=True):
                if b0 < start_b - 1e-6 < start_b + 0.25 < b1 and not inst.is_drum:
                    # held across the bar the body starts on (a tie, a suspension): sounded
                    # again on that downbeat, so the cue does not open on a rest
                    b0 = start_b
                elif not start_b - 1e-6 <= b0 < start_b + seg_len - 1e-6:
                    continue
                t0 = b0 - start_b + k * seg_len
                if t0 >= body_end - 1e-6:
                    continue
                t1 = min(b1 - start_b + k * seg_len, body_end, (k + 1) * seg_len)
                pitch = n.pitch if inst.is_drum else repitch(n.pitch) + octave
                part.notes.append(Note(int(np.clip(pitch, 0, 127)), t0, max(t1 - t0, 0.05),
                                       _velocity(n.velocity, level(t0))))
        parts.append(part)
        if role and role not in by_role:
            by_role[role] = part
    parts = _orchestrate(parts, by_role, programs, channels)
    if plan.length and total - body_end > 0.25:
        _cadence(parts, by_role, programs, channels, key_pc, mode, dominant, tonic_bar, total,
                 plan.register or 60, level)
        info["cadence"] = True
    for part in parts:
        part.notes.sort(key=lambda n: (n.start, n.pitch))
    arr = Arrangement(title=Path(out_path).stem, tempo=target_tempo, beats=total,
                      key=PITCH_NAMES[key_pc], mode=mode,
                      parts=[p for p in parts if p.notes], chords=[],
                      tempo_map=list(grid.segments), meter=f"{meter[0]}/{meter[1]}")
    if plan.target is not None and arr.parts:
        arr, info["performance"] = shape(arr, *plan.target)
    try:
        atomic_write_bytes(out_path, midi_bytes(to_midi(arr)))
    except OSError as exc:
        raise ExportError(f"cannot write adapted music ({exc.strerror or exc})", out_path) from exc
    info.update(tempo=round(target_tempo, 2), semitones=plan.semitones, octave_shift=octave,
                mode_change=f"{plan.from_mode}->{plan.to_mode}" if degree else "",
                length=round(grid.seconds(total), 3), start=round(pm.tick_to_time(
                    int(round(start_b * tpq))), 3))
    return info


def _level_reader(points: list | None, grid: Grid):
    """Dynamics level (0..1; 0.5 = as written) at a beat, from (seconds, level) points."""
    if not points:
        return lambda beat: 0.5
    times = np.array([p[0] for p in points], dtype=np.float64)
    levels = np.array([p[1] for p in points], dtype=np.float64)
    order = np.argsort(times)
    times, levels = times[order], levels[order]
    return lambda beat: float(np.interp(grid.seconds(beat), times, levels))


def _velocity(velocity: int, level: float) -> int:
    return int(np.clip(velocity * (0.4 + 1.2 * level), 1, 127))


def _nearest(pc: int, target: float) -> int:
    """The pitch of class ``pc`` nearest to ``target``."""
    base = int(round(target))
    return min((base + d for d in range(-6, 7) if (base + d) % 12 == pc % 12),
               key=lambda p: abs(p - target))


def _cadence(parts, by_role, programs, channels, tonic: int, mode: str, dominant: float,
             tonic_bar: float, total: float, register: int, level) -> None:
    """Dominant -> tonic in the cue's key: V (with the leading note) then I held to the end.

    The melody steps from the leading note or the second degree to the tonic; the bass from
    the dominant's root down a fifth (or up a fourth) to the tonic; the inner voices move to
    the nearest notes of each chord. A piece without a bass gets a cadence part.
    """
    third = 3 if mode == "minor" else 4
    v_chord = [(tonic + 7) % 12, (tonic + 11) % 12, (tonic + 2) % 12]
    i_chord = [tonic % 12, (tonic + third) % 12, (tonic + 7) % 12]
    melody = by_role.get("melody")
    bass = by_role.get("bass")
    harmony = by_role.get("harmony")
    if bass is None:
        bass = Part(role="bass", name="cadence", program=_program(programs, "harmony", 48),
                    channel=next(channels, 15))
        parts.append(bass)
        harmony = harmony or bass
    last_mel = [n.pitch for n in melody.notes if n.start < dominant] if melody else []
    top = last_mel[-1] if last_mel else register
    v_top = min((_nearest((tonic + 11) % 12, top), _nearest((tonic + 2) % 12, top)),
                key=lambda p: abs(p - top))
    i_top = _nearest(tonic, v_top)
    bass_prev = [n.pitch for n in bass.notes if n.start < dominant]
    low = bass_prev[-1] if bass_prev else register - 24
    v_root = _nearest((tonic + 7) % 12, min(low, register - 12))
    if melody is not None:
        # the bass stays under a low melody, even one the performance search drops an octave
        while v_root > min(v_top, i_top) - 12 - 1 and v_root - 12 >= LOWEST_BASS:
            v_root -= 12
    i_root = _nearest(tonic, v_root - 3)
    v_len, i_len = tonic_bar - dominant, total - tonic_bar
    vel_v, vel_i = _velocity(80, level(dominant)), _velocity(84, level(tonic_bar))
    if melody is not None and v_len > 0:
        melody.notes.append(Note(v_top, dominant, v_len, vel_v))
    if melody is not None:
        melody.notes.append(Note(i_top, tonic_bar, i_len, vel_i))
    if v_len > 0:
        bass.notes.append(Note(v_root, dominant, v_len, vel_v))
    bass.notes.append(Note(i_root, tonic_bar, i_len, vel_i))
    if harmony is not None:
        centre = (v_root + v_top) / 2 if melody is not None else register - 5
        voiced = sorted(_nearest(pc, centre + off) for pc, off in zip(v_chord, (-4, 0, 4),
                                                                      strict=True))
        moved = sorted(min((_nearest(pc, p) for pc in i_chord), key=lambda q: abs(q - p))
                       for p in voiced)
        if len({q % 12 for q in moved}) < 3:  # keep a full triad: missing note near the middle
            missing = [pc for pc in i_chord if pc not in {q % 12 for q in moved}]
            moved[1] = _nearest(missing[0], moved[1])
        # inner voices above the bass: it carries the V - I
        voiced = [p + 12 * max(0, math.ceil((v_root + 1 - p) / 12)) for p in voiced]
        moved = [q + 12 * max(0, math.ceil((i_root + 1 - q) / 12)) for q in moved]
        for p, q in zip(voiced, sorted(moved), strict=True):
            if v_len > 0:
                harmony.notes.append(Note(p, dominant, v_len, _velocity(70, level(dominant))))
            harmony.notes.append(Note(q, tonic_bar, i_len, _velocity(72, level(tonic_bar))))


# ---------------------------------------------------------------- audio


def downbeat_phase(y: np.ndarray, sr: int, beats: np.ndarray, per_bar: int = 4) -> int:
    """Which of the first ``per_bar`` beats is a downbeat: the phase with the most onset energy.

    Downbeats carry the strongest accents (bass notes, kicks, chord changes) in most music, so
    the beat phase whose beats have the highest mean onset strength is taken as bar 1.
    """
    import librosa

    if len(beats) < 2 * per_bar:
        return 0
    hop = 512
    env = librosa.onset.onset_strength(y=y, sr=sr, hop_length=hop)
    frames = np.clip(np.round(np.asarray(beats) * sr / hop).astype(int), 0, len(env) - 1)
    strength = env[frames]
    means = [float(strength[p::per_bar].mean()) for p in range(per_bar)]
    return int(np.argmax(means))


def rearrange_sections(y: np.ndarray, sr: int, bars: np.ndarray, total_beats: float,
                       phrase: int = PHRASE_BARS) -> tuple[np.ndarray, dict] | None:
    """Fit a piece to ``total_beats`` by its own sections instead of a cut and a fade.

    The first phrase is the intro, the last phrase (with whatever rings after its last bar
    line) the ending, and the bars between them the body, which is repeated from its start
    or cut at a bar line (at a phrase end when that fits) so that intro + body + ending fill
    the whole bars of the cue; the ending's own decay fills the part of a bar left over.
    Jumps are joined with 20 ms crossfades that keep every bar's length.

    Args:
        y: The piece (mono float).
        sr: Its sample rate.
        bars: Downbeat times from the chosen start (seconds).
        total_beats: Beats of the cue (4 to a bar).
        phrase: Bars in a phrase (intro and ending are one phrase each).

    Returns:
        (the rearranged audio, {"intro", "body", "ending", "source_bars"} in bars), or None
        when the piece has too few bars for an intro, a body and an ending.
    """
    bars = np.asarray(bars, dtype=np.float64)
    if len(bars) >= 2:  # the bar after the last downbeat counts when the audio holds it
        bar_len = float(np.median(np.diff(bars)))
        if len(y) / sr - bars[-1] >= 0.9 * bar_len:
            bars = np.append(bars, bars[-1] + bar_len)
    n = len(bars) - 1  # complete bars
    want = int(total_beats // 4)
    if n < 3 * phrase or want < 2 * phrase:
        return None
    body = list(range(phrase, n - phrase))
    n_body = want - 2 * phrase
    order = list(range(phrase)) + [body[k % len(body)] for k in range(n_body)] + \
        list(range(n - phrase, n))
    edges = [int(t * sr) for t in bars] + [len(y)]
    pieces: list[tuple[int, int]] = []
    for idx in order:
        a, b = edges[idx], edges[idx + 1]
        if idx == n - 1:
            b = len(y)  # the ending rings out
        if pieces and pieces[-1][1] == a:
            pieces[-1] = (pieces[-1][0], b)
        else:
            pieces.append((a, b))
    fade = int(0.02 * sr)
    ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
    chunks = [y[pieces[0][0]:pieces[0][1]].astype(np.float32)]
    for (_, prev_end), (a, b) in zip(pieces, pieces[1:], strict=False):
        head = y[a:b].astype(np.float32, copy=True)
        # the previous bar's continuation fades out under the new bar's start: the join is
        # smooth and every bar keeps its length, so beats stay where the grid expects them
        tail = y[prev_end:prev_end + fade].astype(np.float32)
        k = min(len(tail), len(head))
        head[:k] = head[:k] * ramp[:k] + tail[:k] * ramp[::-1][:k]
        chunks.append(head)
    out = np.concatenate(chunks)
    return out, {"intro": phrase, "body": n_body, "ending": phrase, "source_bars": n}


def adapt_audio(y: np.ndarray, sr: int, plan: Plan, out_path: str | Path,
                beats: list[float] | None = None) -> dict:
    """Write audio fitted by ``plan`` as a 16-bit WAV file (atomically).

    Starts on a detected downbeat, loops whole bars, and time-stretches each stretch of the
    cue's grid (hit points on beats) at its own rate; a transposition beyond
    ``MAX_AUDIO_SHIFT`` semitones is refused (the result says so) rather than done badly.
    """
    import librosa
    import soundfile

    duration = len(y) / sr
    beats = np.asarray(beats if beats is not None and len(beats) >= 8 else [], dtype=np.float64)
    phase = 0
    if len(beats) >= 8:
        phase = downbeat_phase(y, sr, beats)
        bars = beats[phase::4]
    else:
        bars = np.arange(0.0, duration, 2.0)
    period = float(np.median(np.diff(beats))) if len(beats) >= 8 else 0.5
    start = float(bars[bars <= plan.start + 1e-6][-1]) if plan.start > 0 and len(bars) and \
        (bars <= plan.start + 1e-6).any() else (float(bars[0]) if len(bars) else 0.0)
    src_tempo = 60.0 / period
    target_tempo = src_tempo * plan.tempo_factor
    grid = plan.grid or (Grid(hit_tempo_map(plan.hits or [], target_tempo, plan.length))
                         if plan.length else Grid.constant(target_tempo))
    total_beats = grid.beat(plan.length) if plan.length else (duration - start) / period
    needed = total_beats * period + 0.5  # source seconds, a little spare for the stretcher
    fade = int(0.05 * sr)
    seg_end = float(bars[-1]) if len(bars) > 2 and bars[-1] - start > 4 else duration
    seg = y[int(start * sr):int(seg_end * sr)]
    info = {"loops": 1, "cut": None, "downbeat_phase": phase, "downbeat": round(start, 3)}
    arranged = (rearrange_sections(y, sr, bars[bars >= start - 1e-6], total_beats)
                if plan.length and len(beats) >= 8 else None)
    if arranged is not None:  # intro, body repeated or cut at bar lines, the piece's ending
        seg, info["sections"] = arranged
        info["loops"] = 1
    elif len(seg) / sr < needed:  # loop whole bar-aligned segments, crossfading the joins
        reps = math.ceil(needed / (len(seg) / sr))
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        out = seg.copy()
        for _ in range(reps - 1):
            head = seg.copy()
            head[:fade] *= ramp
            out[-fade:] *= ramp[::-1]
            out = np.concatenate([out[:-fade], out[-fade:] + head[:fade], head[fade:]])
        seg = out
        info["loops"] = reps
    # each tempo segment of the grid takes its beats of the source at its own rate
    pieces = []
    bounds = [b for b in grid.beats if b < total_beats] + [total_beats]
    for i, (b0, b1) in enumerate(zip(bounds, bounds[1:], strict=False)):
        last_segment = i == len(bounds) - 2
        # the last segment keeps what follows it: a rearranged piece's own ending rings out
        chunk = seg[int(b0 * period * sr):None if last_segment and arranged is not None
                    else int(b1 * period * sr)]
        rate = grid.bpms[i] / src_tempo
        if len(chunk) and abs(rate - 1.0) > 0.005:
            chunk = librosa.effects.time_stretch(chunk, rate=rate)
        pieces.append(chunk)
    seg = np.concatenate(pieces) if pieces else seg[:0]
    info["cut"] = None
    shift = plan.semitones if abs(plan.semitones) <= MAX_AUDIO_SHIFT else 0
    if shift:
        seg = librosa.effects.pitch_shift(seg, sr=sr, n_steps=shift)
    if plan.length:
        target = int(plan.length * sr)
        seg = np.concatenate([seg, np.zeros(max(0, target - len(seg)), np.float32)])[:target]
    # the last beat rings out rather than a long fade that stops the music early; a piece
    # that ends with its own ending only needs a click-free edge
    last_beat = grid.seconds(total_beats) - grid.seconds(max(0.0, total_beats - 1))
    tail = min(len(seg), int(last_beat * sr) if plan.length else int(1.5 * sr))
    tail = max(tail, min(len(seg), int(0.3 * sr)))
    if arranged is not None:
        tail = min(len(seg), int(0.05 * sr))
    if tail:
        seg[-tail:] *= np.linspace(1.0, 0.0, tail, dtype=np.float32)
    peak = float(np.max(np.abs(seg))) if len(seg) else 0.0
    if peak > 0.99:
        seg = seg * (0.99 / peak)
    buf = io.BytesIO()
    soundfile.write(buf, seg, sr, format="WAV", subtype="PCM_16")
    try:
        atomic_write_bytes(out_path, buf.getvalue())
    except OSError as exc:
        raise ExportError(f"cannot write adapted music ({exc.strerror or exc})", out_path) from exc
    info.update(semitones=shift, length=round(len(seg) / sr, 3), start=round(start, 3),
                tempo=round(target_tempo, 2),
                skipped_shift=plan.semitones if shift != plan.semitones else 0)
    if info["skipped_shift"]:
        info["refused"] = (f"transposition by {plan.semitones:+d} semitones refused: audio "
                           f"pitch-shifted beyond +-{MAX_AUDIO_SHIFT} sounds artificial; "
                           f"kept in {plan.from_tonic} {plan.from_mode}")
    if plan.change_mode:
        info["refused_mode"] = (f"{plan.from_mode} -> {plan.to_mode} not done: audio cannot "
                                "change mode")
    return info


def adapt_entry(entry, plan: Plan, out_dir: str | Path, stem: str) -> tuple[Path, dict]:
    """Fit an indexed piece and write it into ``out_dir`` as ``stem.mid`` or ``stem.wav``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if entry.kind == "audio":
        y, sr = feat.load_audio(entry.path)
        path = out_dir / f"{stem}.wav"
        return path, adapt_audio(y, sr, plan, path, entry.features.get("beats"))
    path = out_dir / f"{stem}.mid"
    pm, pickup = load_source(entry)
    return path, adapt_midi(pm, plan, path, pickup)
