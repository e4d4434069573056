"""Fit a library piece to a cue: tempo, key, register, length, instruments, dynamics.

MIDI (and MusicXML/ABC, rendered to MIDI by music21):

- tempo: every time is divided by the tempo factor; pitches are untouched;
- key: transposed by the smallest interval (-6..+5 semitones) from the piece's tonic to the
  cue's, then by octaves so the melody sits near ``cue.register``; when the modes differ the
  third and sixth (and in minor -> major the seventh) degrees are moved by a semitone
  (a modal transformation, the textbook way of turning a tune minor or major);
- length: a piece longer than the cue is cut at the last phrase end (every four bars) or bar
  line that leaves room for a closing bar; a shorter one is looped whole (bar-aligned) and cut
  the same way; the closing bar is a tonic chord (a cadence onto the cue's key) held to the cue's
  end with a decrescendo;
- instruments: the tune is replayed on the cue's instruments (``cue.programs``: melody, bass,
  harmony...), as in the source paper, where the generated melody is played on any instrument;
- dynamics: velocities follow ``cue.dynamics`` (0.5 = as written).

Audio: cut or looped at bar lines (four beats) with short crossfades, time-stretched and
pitch-shifted with librosa (shifts above four semitones are skipped: they sound artificial),
trimmed to the cue and faded out.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scorer.errors import ExportError, InputError, describe_os_error
from scorer.music import reading
from scorer.music.library import features as feat
from scorer.music.library.rules import PITCH_NAMES
from scorer.project import atomic_write_bytes

PHRASE_BARS = 4
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


def plan_for_cue(entry, cue, tempo_factor: float = 1.0, change_mode: bool = True) -> Plan:
    """Return the plan that fits ``entry`` to ``cue`` (tempo factor from retrieval)."""
    dyn = [(t - cue.start if cue.start <= t <= cue.end else t, level)
           for t, level in cue.dynamics]
    plan = Plan(tempo_factor=tempo_factor, semitones=transposition(entry.key, cue.key),
                from_tonic=entry.key, from_mode=entry.mode, to_tonic=cue.key, to_mode=cue.mode,
                change_mode=change_mode and entry.mode != cue.mode, length=cue.duration,
                register=cue.register, programs=dict(cue.programs) or None, dynamics=dyn)
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
    if entry.kind == "midi":
        return reading.read_midi(entry.path)
    try:
        score = feat.parse_score(entry.path, int(entry.ref) if entry.ref else None)
    except OSError as exc:
        raise InputError(f"cannot read the score ({describe_os_error(exc)})", entry.path) from exc
    except Exception as exc:  # music21's parsers raise many kinds for a damaged file
        raise InputError(f"cannot read the score ({type(exc).__name__}: "
                         f"{str(exc)[:120]})", entry.path) from exc
    if hasattr(score, "scores") and not hasattr(score, "parts"):
        score = score.scores[0]
    return reading.score_to_midi(score, entry.path)


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


def _bar_times(pm, length: float) -> np.ndarray:
    try:
        bars = np.asarray(pm.get_downbeats(), dtype=np.float64)
    except (ValueError, IndexError):
        bars = np.zeros(0)
    if len(bars) < 2:
        _, tempi = pm.get_tempo_changes()
        bar = 4 * 60.0 / (tempi[0] if len(tempi) else 120.0)
        bars = np.arange(0.0, length + bar, bar)
    return bars


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


def adapt_midi(pm, plan: Plan, out_path: str | Path) -> dict:
    """Write ``pm`` fitted by ``plan`` as a MIDI file (atomically); returns what was done."""
    import pretty_midi

    _, tempi = pm.get_tempo_changes()
    src_tempo = float(tempi[0]) if len(tempi) else 120.0
    end = pm.get_end_time()
    bars = _bar_times(pm, end)
    bar_len = float(np.median(np.diff(bars))) if len(bars) > 1 else 2.0
    start = max(0.0, float(bars[bars <= plan.start + 1e-6][-1])) if plan.start > 0 else 0.0
    # the segment that may be looped: from start to the end of the last bar with notes
    seg_end = float(bars[bars >= end - 1e-3][0]) if (bars >= end - 1e-3).any() else end
    seg_len = max(seg_end - start, bar_len)
    seg_bars = np.concatenate([bars[(bars >= start) & (bars < seg_end)] - start, [seg_len]])
    needed = plan.length * plan.tempo_factor if plan.length else None  # in source time
    info = {"loops": 1, "cut": None, "cadence": False}
    if needed is None:
        cut, reps = end - start, 1
    else:
        reps = max(1, math.ceil((needed - bar_len) / seg_len)) if needed > seg_len else 1
        all_bars = np.unique(np.concatenate([seg_bars + k * seg_len for k in range(reps)]))
        room = needed - bar_len if needed >= 2 * bar_len else needed
        cut = _cut_point(all_bars, room)
        info.update(loops=reps, cut=round(cut / plan.tempo_factor, 3))
    roles = _roles(pm.instruments)
    programs = plan.programs or {}
    degree = mode_map(plan.from_mode, plan.to_mode) if plan.change_mode else {}
    src_pc = pitch_class(plan.from_tonic)

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
    f = plan.tempo_factor
    out = pretty_midi.PrettyMIDI(initial_tempo=src_tempo * f, resolution=480)
    if pm.time_signature_changes:
        ts = pm.time_signature_changes[0]
        out.time_signature_changes.append(pretty_midi.TimeSignature(ts.numerator,
                                                                    ts.denominator, 0.0))
    total = needed if needed is not None else end - start
    for i, inst in enumerate(pm.instruments):
        role = roles.get(i)
        program = _program(programs, role, inst.program) if role else inst.program
        new = pretty_midi.Instrument(program=program, is_drum=inst.is_drum, name=role or inst.name)
        for k in range(reps):
            for n in inst.notes:
                if not start - 1e-6 <= n.start < seg_end:
                    continue
                t0 = n.start - start + k * seg_len
                if t0 >= cut - 1e-6:
                    continue
                t1 = min(n.end - start + k * seg_len, cut)
                pitch = n.pitch if inst.is_drum else repitch(n.pitch) + octave
                new.notes.append(pretty_midi.Note(n.velocity, int(np.clip(pitch, 0, 127)),
                                                  t0 / f, max(t1, t0 + 0.01) / f))
        out.instruments.append(new)
    if needed is not None and total - cut > 0.25 * bar_len:
        _cadence(out, roles, plan, cut / f, total / f, octave)
        info["cadence"] = True
    if plan.dynamics:
        _apply_dynamics(out, plan.dynamics)
    for inst in out.instruments:
        inst.notes.sort(key=lambda n: (n.start, n.pitch))
    buf = io.BytesIO()
    out.write(buf)
    try:
        atomic_write_bytes(out_path, buf.getvalue())
    except OSError as exc:
        raise ExportError(f"cannot write adapted music ({exc.strerror or exc})", out_path) from exc
    info.update(tempo=round(src_tempo * f, 2), semitones=plan.semitones, octave_shift=octave,
                mode_change=f"{plan.from_mode}->{plan.to_mode}" if degree else "",
                length=round(out.get_end_time(), 3), start=round(start, 3))
    return info


def _cadence(out, roles, plan: Plan, t0: float, t1: float, octave: int) -> None:
    """Close on the cue's tonic chord, held to the end with a decrescendo."""
    import pretty_midi

    tonic = pitch_class(plan.to_tonic)
    third = 3 if plan.to_mode == "minor" else 4
    by_role = {roles.get(i): inst for i, inst in enumerate(out.instruments)}
    reg = plan.register or 60
    chord = [tonic + 48 + o for o in (0, third, 7)]
    chord = [p + 12 * round((reg - 7 - np.mean(chord)) / 12) for p in chord]
    targets = []
    if "melody" in by_role:
        top = tonic + 12 * round((reg - tonic) / 12)
        targets.append((by_role["melody"], [top]))
    if "harmony" in by_role:
        targets.append((by_role["harmony"], chord))
    elif "bass" not in by_role and "melody" in by_role:
        targets.append((by_role["melody"], chord))
    if "bass" in by_role:
        targets.append((by_role["bass"], [tonic + 36]))
    elif "melody" in by_role and "harmony" in by_role:
        targets.append((by_role["harmony"], [tonic + 36]))
    if not targets and out.instruments:
        targets.append((out.instruments[0], chord))
    elif not targets:
        inst = pretty_midi.Instrument(program=0, name="cadence")
        out.instruments.append(inst)
        targets.append((inst, chord))
    for inst, pitches in targets:
        for p in pitches:
            inst.notes.append(pretty_midi.Note(72, int(np.clip(p, 0, 127)), t0, t1))


def _apply_dynamics(out, points: list) -> None:
    times = np.array([p[0] for p in points], dtype=np.float64)
    levels = np.array([p[1] for p in points], dtype=np.float64)
    order = np.argsort(times)
    times, levels = times[order], levels[order]
    for inst in out.instruments:
        for n in inst.notes:
            level = float(np.interp(n.start, times, levels))
            n.velocity = int(np.clip(n.velocity * (0.4 + 1.2 * level), 1, 127))


# ---------------------------------------------------------------- audio


def adapt_audio(y: np.ndarray, sr: int, plan: Plan, out_path: str | Path,
                beats: list[float] | None = None) -> dict:
    """Write audio fitted by ``plan`` as a 16-bit WAV file (atomically)."""
    import librosa
    import soundfile

    duration = len(y) / sr
    beats = np.asarray(beats if beats is not None and len(beats) >= 8 else [], dtype=np.float64)
    if len(beats) >= 8:
        bars = beats[::4]
    else:
        bars = np.arange(0.0, duration, 2.0)
    start = float(bars[bars <= plan.start + 1e-6][-1]) if plan.start > 0 and len(bars) else 0.0
    needed = plan.length * plan.tempo_factor if plan.length else duration - start
    fade = int(0.05 * sr)
    seg_end = float(bars[-1]) if len(bars) > 2 and bars[-1] - start > 4 else duration
    seg = y[int(start * sr):int(seg_end * sr)]
    info = {"loops": 1, "cut": None}
    if len(seg) / sr < needed:  # loop whole bar-aligned segments, crossfading the joins
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
    rel_bars = np.concatenate([bars[bars > start] - start + k * (seg_end - start)
                               for k in range(info["loops"])]) if len(bars) else np.zeros(0)
    cut = _cut_point(rel_bars, needed) if len(rel_bars) else needed
    if cut < 0.75 * needed:
        cut = needed
    seg = seg[:int(cut * sr)]
    info["cut"] = round(cut / plan.tempo_factor, 3)
    if abs(plan.tempo_factor - 1.0) > 0.005:
        seg = librosa.effects.time_stretch(seg, rate=plan.tempo_factor)
    shift = plan.semitones if abs(plan.semitones) <= MAX_AUDIO_SHIFT else 0
    if shift:
        seg = librosa.effects.pitch_shift(seg, sr=sr, n_steps=shift)
    if plan.length:
        target = int(plan.length * sr)
        seg = np.concatenate([seg, np.zeros(max(0, target - len(seg)), np.float32)])[:target]
    tail = min(len(seg), int(1.5 * sr))
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
                skipped_shift=plan.semitones if shift != plan.semitones else 0)
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
    return path, adapt_midi(load_midi(entry), plan, path)
