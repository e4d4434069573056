"""Read a music file and describe each piece in it: features, valence/arousal, sections.

Symbolic files (MIDI, MusicXML, ABC) become a note table (onset, end, pitch, velocity, part) in
seconds, read by the EMOPIA-trained model of :mod:`scorer.music.library.symbolic_model`; audio
files (WAV, MP3, FLAC, OGG) are analysed with librosa and read by the musicnn-based music-emotion
model of :mod:`scorer.music.emotion`. The published rules in :mod:`scorer.music.library.rules`
are the fallback when a model is missing.

Everything here runs in worker processes, so it takes and returns plain data (paths, dicts).
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scorer.music.library import rules

log = logging.getLogger(__name__)

# bump when features or rules change: the index then re-reads every file on its next add
# 3: style tags of symbolic pieces; 4: their General MIDI programs; 5: recognised instruments
EXTRACTOR_VERSION = "5"

MIDI_EXT = {".mid", ".midi", ".kar"}
SCORE_EXT = {".xml", ".musicxml", ".mxl", ".abc", ".krn"}
AUDIO_EXT = {".wav", ".mp3", ".flac", ".ogg", ".aif", ".aiff"}
SUPPORTED = MIDI_EXT | SCORE_EXT | AUDIO_EXT

AUDIO_RATE = 22050
MAX_AUDIO_SECONDS = 600.0
SECTION_BARS = 8  # a symbolic section: eight bars, two four-bar phrases
AUDIO_SECTION_SECONDS = 15.0
INSTRUMENT_WINDOWS = 12  # 3-s windows read by the instrument recogniser per audio piece
DEFAULT_BPM = 120.0  # the MIDI and ABC default when nothing is marked
DRUM_PROGRAM = 128  # a percussion part (MIDI channel 10) in the list of programs


def kind_of(path: str | Path) -> str:
    """Return "midi", "score", "audio" or "" (unsupported) from the file name."""
    ext = Path(path).suffix.lower()
    if ext in MIDI_EXT:
        return "midi"
    if ext in SCORE_EXT:
        return "score"
    if ext in AUDIO_EXT:
        return "audio"
    return ""


@dataclass
class Notes:
    """A symbolic piece as arrays (times in seconds)."""

    start: np.ndarray
    end: np.ndarray
    pitch: np.ndarray
    velocity: np.ndarray
    part: np.ndarray
    duration: float
    tempo: float
    tempo_known: bool
    velocity_known: bool
    bars: np.ndarray  # downbeat times
    staccato_share: float = 0.0
    articulation_known: bool = True  # False for notated durations without staccato marks
    programs: tuple[int, ...] = ()  # General MIDI programs played (128 = drum kit); () unknown
    drum_keys: tuple[int, ...] = ()  # percussion keys played (channel 10)


# ---------------------------------------------------------------- readers


def notes_from_midi(path: str | Path) -> Notes:
    """Read a MIDI file into a note table (drums left out)."""
    from scorer.music import reading

    pm = reading.read_midi(path)
    rows = []
    for index, inst in enumerate(pm.instruments):
        if inst.is_drum:
            continue
        for n in inst.notes:
            rows.append((n.start, n.end, n.pitch, n.velocity, index))
    arr = np.array(rows, dtype=np.float64).reshape(-1, 5)
    times, tempi = pm.get_tempo_changes()
    tempo = float(tempi[0]) if len(tempi) else DEFAULT_BPM
    try:
        bars = np.asarray(pm.get_downbeats(), dtype=np.float64)
    except (ValueError, IndexError):
        bars = np.zeros(0)
    programs = tuple(sorted({DRUM_PROGRAM if inst.is_drum else int(inst.program)
                             for inst in pm.instruments if inst.notes}))
    drum_keys = tuple(sorted({int(n.pitch) for inst in pm.instruments if inst.is_drum
                              for n in inst.notes}))
    return Notes(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4].astype(int),
                 float(pm.get_end_time()), tempo, midi_has_tempo(path), True, bars,
                 programs=programs, drum_keys=drum_keys)


def midi_has_tempo(path: str | Path) -> bool:
    """Whether a MIDI file holds a tempo (set_tempo) event.

    pretty_midi reports 120 BPM when there is none, so its tempo list cannot tell a marked
    tempo from the default; the events themselves can.
    """
    import mido

    try:
        midi = mido.MidiFile(str(path))
    except (OSError, ValueError, EOFError, KeyError, IndexError):
        return False
    return any(msg.type == "set_tempo" for track in midi.tracks for msg in track)


def abc_numbers(path: str | Path) -> list[int]:
    """Return the reference numbers (X: fields) of the tunes in an ABC file."""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    return [int(m) for m in re.findall(r"^X:\s*(\d+)", text, flags=re.M)]


def parse_score(path: str | Path, number: int | None = None):
    """Parse a MusicXML/ABC/Humdrum file (one tune of it) with music21."""
    from music21 import converter

    if number is not None:
        return converter.parse(str(path), number=number, forceSource=True)
    return converter.parse(str(path), forceSource=True)


def notes_from_score(score) -> Notes:
    """Turn a music21 score into a note table (first tempo marking; ABC/MIDI default 120)."""
    from music21 import articulations, dynamics, tempo

    from scorer.music.reading import sane_bpm

    flat = score.flatten()
    marks = list(flat.getElementsByClass(tempo.MetronomeMark))
    bpm = None
    for mark in marks:
        try:
            bpm = mark.getQuarterBPM()
        except (AttributeError, TypeError, ZeroDivisionError):
            bpm = None
        bpm = sane_bpm(bpm)  # a 0 or absurd marking is a typo, not a tempo
        if bpm:
            break
    known = bool(bpm)
    bpm = float(bpm) if bpm else DEFAULT_BPM
    spq = 60.0 / bpm  # seconds per quarter note
    dyn = [(float(d.getOffsetBySite(flat)), d.volumeScalar) for d in
           flat.getElementsByClass(dynamics.Dynamic) if d.volumeScalar is not None]
    parts = list(score.parts) or [score]
    rows, staccato, total = [], 0, 0
    for index, part in enumerate(parts):
        for n in part.flatten().notes:
            ql = float(n.quarterLength)
            if ql <= 0:  # grace notes
                continue
            onset = float(n.offset)
            vel = n.volume.velocity
            if vel is None and dyn:
                level = [v for t, v in dyn if t <= onset]
                vel = int(127 * level[-1]) if level else None
            total += 1
            staccato += any(isinstance(a, articulations.Staccato | articulations.Staccatissimo)
                            for a in n.articulations)
            for p in n.pitches:
                rows.append((onset * spq, (onset + ql) * spq, p.midi, vel or 0, index))
    arr = np.array(rows, dtype=np.float64).reshape(-1, 5)
    velocity_known = bool(len(arr)) and bool((arr[:, 3] > 0).all())
    if not velocity_known:
        arr[:, 3] = 80.0
    measures = parts[0].getElementsByClass("Measure") if parts else []
    bars = np.array(sorted({float(m.offset) * spq for m in measures}), dtype=np.float64)
    return Notes(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4].astype(int),
                 float(score.highestTime) * spq, bpm, known, velocity_known, bars,
                 staccato / total if total else 0.0, articulation_known=staccato > 0,
                 programs=_score_programs(parts))


def _score_programs(parts) -> tuple[int, ...]:
    """General MIDI programs of a score's parts where the score names an instrument.

    A part whose instrument carries no program is looked up by its name with music21's own
    table ("Soprano" is a voice, "Violoncello" a cello; Bach chorales name only their parts).
    Parts without an instrument or a known name (most ABC tunes) add nothing: the
    instrumentation is unknown rather than guessed.
    """
    from music21 import instrument

    programs = set()
    for part in parts:
        try:
            inst = part.getInstrument(returnDefault=False)
        except Exception:  # noqa: BLE001 - music21 raises odd things for odd parts
            inst = None
        program = getattr(inst, "midiProgram", None)
        name = getattr(part, "partName", None) or getattr(inst, "instrumentName", None)
        if program is None and name:
            try:
                program = instrument.fromString(str(name)).midiProgram
            except Exception:  # noqa: BLE001 - an unknown name: the instrument stays unknown
                program = None
        if isinstance(program, int) and 0 <= program < DRUM_PROGRAM:
            programs.add(program)
    return tuple(sorted(programs))


# ---------------------------------------------------------------- symbolic features


def symbolic_features(notes: Notes, lo: float = 0.0, hi: float | None = None,
                      key: tuple[int, str, float] | None = None) -> dict:
    """Describe the notes sounding from ``lo`` to ``hi`` seconds (the whole piece by default).

    Args:
        notes: The piece.
        lo: Window start in seconds.
        hi: Window end in seconds (None = end of piece).
        key: (tonic, mode, clarity) to use instead of estimating it (sections reuse the
            piece's key when their own is unclear).
    """
    hi = notes.duration if hi is None else hi
    sel = (notes.start >= lo) & (notes.start < hi)
    start, end, pitch = notes.start[sel], notes.end[sel], notes.pitch[sel]
    span = max(hi - lo, 1e-3)
    out = {"duration": float(span), "tempo": notes.tempo, "tempo_known": notes.tempo_known,
           "velocity_known": notes.velocity_known, "n_notes": int(sel.sum()),
           "articulation_known": notes.articulation_known}
    if not len(pitch):
        out.update(density=0.0, pitch_mean=0.0, pitch_top=0.0, pitch_range=0.0,
                   velocity=0.0, legato=0.8, key=0, mode="major", key_clarity=0.0,
                   dissonance=0.0, polyphony=0.0, velocity_std=0.0, pitch_entropy=0.0,
                   pitch_low=0.0, note_length=0.0)
        return out
    hist = np.bincount(pitch.astype(int) % 12, weights=np.maximum(end - start, 0.01),
                       minlength=12)
    tonic, mode, clarity = rules.estimate_key(hist)
    if key is not None and clarity < max(0.5, key[2]):
        tonic, mode, clarity = key
    onsets = np.unique(np.round(start, 3))
    # the melody: the part with the highest mean pitch (soprano, lead)
    parts = notes.part[sel]
    top = max(np.unique(parts), key=lambda p: pitch[parts == p].mean())
    mel = np.argsort(start[parts == top])
    m_start, m_end = start[parts == top][mel], end[parts == top][mel]
    ioi = np.diff(m_start)
    ok = ioi > 1e-3
    legato = float(np.median(np.clip((m_end[:-1] - m_start[:-1])[ok] / ioi[ok], 0, 1.5))
                   ) if ok.sum() >= 2 else 0.8
    if notes.staccato_share > 0.2:  # marked staccato shortens what the score notates
        legato = min(legato, 1.0 - 0.5 * notes.staccato_share)
    out.update(texture_features(start, end, pitch, notes.velocity[sel], onsets))
    out.update(
        density=float(len(onsets) / span),
        pitch_mean=float(pitch.mean()),
        pitch_top=float(pitch[parts == top].mean()),
        pitch_range=float(np.percentile(pitch, 95) - np.percentile(pitch, 5)),
        velocity=float(notes.velocity[sel].mean()),
        legato=legato,
        key=int(tonic), mode=mode, key_clarity=float(clarity),
    )
    return out


# interval classes heard as dissonant in common-practice and pop harmony: minor/major second,
# tritone, minor seventh, major seventh
DISSONANT_CLASSES = (1, 2, 6, 10, 11)


def texture_features(start: np.ndarray, end: np.ndarray, pitch: np.ndarray,
                     velocity: np.ndarray, onsets: np.ndarray, max_onsets: int = 400) -> dict:
    """Harmony and texture measures of a set of notes.

    Returns:
        dissonance (share of the pitch pairs sounding at note onsets whose interval class is
        dissonant), polyphony (mean notes sounding at an onset), velocity_std, pitch_entropy
        (of the duration-weighted pitch-class histogram, bits), pitch_low (5th percentile
        pitch) and note_length (median note duration, s).
    """
    step = max(1, len(onsets) // max_onsets)
    times = onsets[::step] + 1e-3
    sounding = (start[None, :] <= times[:, None]) & (end[None, :] > times[:, None])
    pairs = dissonant = 0
    for row in sounding:
        pcs = pitch[row].astype(int)
        if len(pcs) < 2:
            continue
        diff = np.abs(pcs[:, None] - pcs[None, :])[np.triu_indices(len(pcs), 1)] % 12
        pairs += len(diff)
        dissonant += int(np.isin(diff, DISSONANT_CLASSES).sum())
    hist = np.bincount(pitch.astype(int) % 12, weights=np.maximum(end - start, 0.01),
                       minlength=12)
    p = hist / hist.sum() if hist.sum() > 0 else np.full(12, 1 / 12)
    return {
        "dissonance": float(dissonant / pairs) if pairs else 0.0,
        "polyphony": float(sounding.sum(1).mean()) if len(times) else 0.0,
        "velocity_std": float(np.std(velocity)),
        "pitch_entropy": float(-(p[p > 0] * np.log2(p[p > 0])).sum()),
        "pitch_low": float(np.percentile(pitch, 5)),
        "note_length": float(np.median(np.maximum(end - start, 0.0))),
    }


def _symbolic_sections(notes: Notes, key: tuple[int, str, float]) -> list[list[float]]:
    bars = notes.bars[notes.bars < notes.duration]
    if len(bars) >= 2:
        edges = list(bars[::SECTION_BARS]) + [notes.duration]
    else:
        edges = list(np.arange(0.0, notes.duration, AUDIO_SECTION_SECONDS)) + [notes.duration]
    sections = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        if hi - lo < 1.0:
            continue
        f = symbolic_features(notes, lo, hi, key)
        v, a, c = symbolic_va(f)[:3]
        sections.append([round(lo, 3), round(hi, 3), round(v, 4), round(a, 4), round(c, 3)])
    return sections


def describe_notes(notes: Notes, title: str, kind: str, fmt: str, ref: str = "") -> dict:
    """Return the index record of one symbolic piece."""
    f = symbolic_features(notes)
    v, a, c, method = symbolic_va(f)
    sections = _symbolic_sections(notes, (f["key"], f["mode"], f["key_clarity"]))
    bar_len = float(np.median(np.diff(notes.bars))) if len(notes.bars) >= 2 else 0.0
    f["bar_seconds"] = bar_len
    style = _style_tags(notes)
    if style:  # the style of the top line (models/style_classifier.md), searchable as a tag
        f["tags"] = {"style": style}
    f["programs"] = list(notes.programs)
    if notes.programs:  # the instruments its programs name (no audio model needed)
        from scorer.music.instruments import instruments_of_programs

        f["instruments"] = [[name, 1.0] for name in instruments_of_programs(
            [p for p in notes.programs if p != DRUM_PROGRAM], notes.drum_keys)]
    return _record(title, kind, fmt, ref, f, v, a, c, method, sections)


def _style_tags(notes: Notes) -> list[list]:
    from scorer.music.style import style_tags, top_line_tokens

    beat = 60.0 / notes.tempo if notes.tempo > 0 else 0.5
    beats = np.arange(0.0, notes.duration + beat, beat)
    return style_tags(top_line_tokens(notes.start, notes.end, notes.pitch, beats))


def symbolic_va(f: dict) -> tuple[float, float, float, str]:
    """(valence, arousal, confidence, method) of symbolic features.

    The EMOPIA-trained model (:mod:`scorer.music.library.symbolic_model`) beats the published
    rules on held-out songs (models/symbolic_emotion.md), so it is used when its coefficients
    are present; the rules remain the fallback.
    """
    from scorer.music.library import symbolic_model

    if symbolic_model.available():
        v, a, c = symbolic_model.predict(f)
        return v, a, c, "model:symbolic_emotion"
    v, a, c = rules.symbolic_va(f)
    return v, a, c, "rules"


# ---------------------------------------------------------------- audio features


def load_audio(path: str | Path, seconds: float = MAX_AUDIO_SECONDS) -> tuple[np.ndarray, int]:
    """Load mono audio at 22.05 kHz (at most ``seconds``)."""
    import librosa

    y, sr = librosa.load(str(path), sr=AUDIO_RATE, mono=True, duration=seconds)
    if not len(y):
        raise ValueError("no audio samples")
    return y.astype(np.float32), sr


def _audio_frames(y: np.ndarray, sr: int) -> dict:
    import librosa

    hop = 512
    spec = np.abs(librosa.stft(y, n_fft=2048, hop_length=hop))
    norm = spec / np.maximum(np.linalg.norm(spec, axis=0, keepdims=True), 1e-9)
    flux = np.concatenate([[0.0], np.sqrt((np.maximum(np.diff(norm, axis=1), 0) ** 2).sum(0))])
    onset_env = librosa.onset.onset_strength(S=librosa.amplitude_to_db(spec), sr=sr)
    onsets = librosa.onset.onset_detect(onset_envelope=onset_env, sr=sr, hop_length=hop,
                                        units="time")
    tempo = float(np.atleast_1d(librosa.feature.tempo(onset_envelope=onset_env, sr=sr,
                                                      hop_length=hop))[0])
    beats = _beat_grid(onset_env, tempo, sr, hop)
    return {
        "hop": hop,
        "rms": librosa.feature.rms(S=spec, frame_length=2048)[0],
        "centroid": librosa.feature.spectral_centroid(S=spec, sr=sr)[0],
        "rolloff": librosa.feature.spectral_rolloff(S=spec, sr=sr, roll_percent=0.85)[0],
        "flux": flux,
        # tuning fixed at 0: librosa's tuning estimate crashes in numba here, and A440 is usual
        "chroma": librosa.feature.chroma_stft(S=spec ** 2, sr=sr, tuning=0.0),
        "mfcc": librosa.feature.mfcc(S=librosa.power_to_db(
            librosa.feature.melspectrogram(S=spec ** 2, sr=sr)), n_mfcc=13),
        "onsets": np.asarray(onsets),
        "beats": np.asarray(beats),
        "tempo": tempo,
    }


def _beat_grid(onset_env: np.ndarray, tempo: float, sr: int, hop: int) -> np.ndarray:
    """Beat times on a steady grid at ``tempo``, phased to the strongest onsets.

    A steady grid is enough for cutting at bar lines, and it avoids librosa's dynamic-
    programming beat tracker, whose numba compilation takes seconds in every worker.
    """
    if tempo <= 0 or not len(onset_env):
        return np.zeros(0)
    period = 60.0 / tempo * sr / hop  # frames per beat
    phases = np.arange(0, max(1, int(period)))
    grid = np.arange(0, len(onset_env), period)
    strength = [onset_env[np.minimum((grid + ph).astype(int), len(onset_env) - 1)].sum()
                for ph in phases]
    best = phases[int(np.argmax(strength))]
    frames = grid + best
    frames = frames[frames < len(onset_env)]
    return frames * hop / sr


def _audio_window(fr: dict, sr: int, lo: float, hi: float, key=None) -> dict:
    a, b = int(lo * sr / fr["hop"]), max(int(hi * sr / fr["hop"]), int(lo * sr / fr["hop"]) + 1)
    rms = fr["rms"][a:b]
    beats = fr["beats"][(fr["beats"] >= lo) & (fr["beats"] < hi)]
    tempo = 60.0 / float(np.median(np.diff(beats))) if len(beats) >= 4 else fr["tempo"]
    tonic, mode, clarity = rules.estimate_key(fr["chroma"][:, a:b].mean(axis=1))
    if key is not None and clarity < max(0.5, key[2]):
        tonic, mode, clarity = key
    mfcc = fr["mfcc"][:, a:b]
    return {
        "duration": float(hi - lo),
        "tempo": float(tempo),
        "tempo_known": True,
        "key": int(tonic), "mode": mode, "key_clarity": float(clarity),
        "loudness_db": float(20 * np.log10(max(float(np.sqrt(np.mean(rms ** 2))), 1e-6))),
        "centroid_hz": float(fr["centroid"][a:b].mean()),
        "rolloff_hz": float(fr["rolloff"][a:b].mean()),
        "flux": float(fr["flux"][a:b].mean()),
        "onset_rate": float(((fr["onsets"] >= lo) & (fr["onsets"] < hi)).sum() / max(hi - lo,
                                                                                    1e-3)),
        "mfcc_mean": np.round(mfcc.mean(axis=1), 3).tolist(),
        "mfcc_std": np.round(mfcc.std(axis=1), 3).tolist(),
    }


def _model_reading(y: np.ndarray, sr: int) -> tuple[list[list[float]], dict] | None:
    """Per-section V/A and tag words from the music-emotion reader, or None without it."""
    try:
        from scorer.music import emotion, musicnn
    except ImportError:
        return None
    from scorer.errors import ModelError

    try:
        reading = emotion.read(y, sr)
        rows = emotion.predict_sections(y, sr, AUDIO_SECTION_SECONDS, reading=reading)
    except (ModelError, OSError, RuntimeError, ValueError) as exc:  # model trouble: fall back
        log.info("music-emotion model unavailable (%s); using feature rules", exc)
        return None
    sections = [[round(float(s), 3), round(float(e), 3), round(float(v), 4),
                 round(float(a), 4), round(float(max(p)) if len(p) else 0.5, 3)]
                for s, e, v, a, p in rows]
    return sections, musicnn.tag_words(reading.msd_tags, reading.mtt_tags)


def describe_audio(y: np.ndarray, sr: int, title: str, fmt: str,
                   with_instruments: bool = True) -> dict:
    """Return the index record of one audio piece (``with_instruments``: run the recogniser)."""
    fr = _audio_frames(y, sr)
    duration = len(y) / sr
    f = _audio_window(fr, sr, 0.0, duration)
    v, a, c = rules.audio_va(f)
    key = (f["key"], f["mode"], f["key_clarity"])
    f["bar_seconds"] = 4 * 60.0 / f["tempo"] if f["tempo"] > 0 else 0.0
    f["beats"] = np.round(fr["beats"], 3).tolist()
    reading = _model_reading(y, sr)
    method = "rules"
    if reading:
        sections, f["tags"] = reading
        method = "model:music_emotion_head"
        weights = np.array([max(s[1] - s[0], 1e-3) * s[4] for s in sections])
        if weights.sum() > 0:
            v = float(np.average([s[2] for s in sections], weights=weights))
            a = float(np.average([s[3] for s in sections], weights=weights))
            c = float(np.average([s[4] for s in sections], weights=weights))
    else:
        sections = []
        edges = list(np.arange(0.0, duration, AUDIO_SECTION_SECONDS)) + [duration]
        for lo, hi in zip(edges[:-1], edges[1:], strict=True):
            if hi - lo < 2.0:
                continue
            sv, sa, sc = rules.audio_va(_audio_window(fr, sr, lo, hi, key))
            sections.append([round(lo, 3), round(hi, 3), round(sv, 4), round(sa, 4),
                             round(sc, 3)])
    heard = _instruments_heard(y, sr) if with_instruments else None
    if heard is not None:
        f["instruments"] = heard
    return _record(title, "audio", fmt, "", f, v, a, c, method, sections)


def _instruments_heard(y: np.ndarray, sr: int) -> list[list] | None:
    """[[instrument, confidence], ...] from the instrument recogniser, None without it.

    At most ``INSTRUMENT_WINDOWS`` windows of 3 s, spread over the piece, are read, so a long
    piece costs no more than about a minute of audio (models/instrument_recognition.md).
    """
    from scorer.errors import ModelError
    from scorer.music import instruments

    try:
        reading = instruments.recognise(y, sr, max_windows=INSTRUMENT_WINDOWS)
    except (ModelError, OSError, RuntimeError, ValueError) as exc:  # model trouble: leave out
        log.info("instrument model unavailable (%s)", exc)
        return None
    return [[name, conf] for name, conf in reading.present()]


def tag_list(features: dict) -> list[str]:
    """The tag words of a record's features, most probable first within each kind."""
    tags = features.get("tags") or {}
    return [w for kind in ("style", "mood", "tempo", "instruments")
            for w, _ in tags.get(kind, [])]


# ---------------------------------------------------------------- records


def _record(title, kind, fmt, ref, f, v, a, c, method, sections) -> dict:
    return {
        "ref": ref, "title": title, "kind": kind, "format": fmt,
        "duration": float(f["duration"]), "tempo": float(f["tempo"]),
        "tempo_known": bool(f.get("tempo_known")),
        "key": rules.PITCH_NAMES[f["key"]], "mode": f["mode"],
        "valence": round(float(v), 4), "arousal": round(float(a), 4),
        "confidence": round(float(c), 3), "method": method,
        "features": f, "sections": sections, "vector": feature_vector(kind, f, v, a),
    }


def feature_vector(kind: str, f: dict, valence: float, arousal: float) -> list[float]:
    """A short vector for telling near-identical pieces apart (diversity), ~unit scale."""
    mode = (1.0 if f.get("mode") == "major" else -1.0) * f.get("key_clarity", 0.0)
    if kind == "audio":
        texture = _clip((f.get("centroid_hz", 2000.0) - 2000.0) / 1500.0)
        density = _clip(math.log2(max(f.get("onset_rate", 0.05), 0.05) / 2.5))
        register = _clip((f.get("rolloff_hz", 4000.0) - 4000.0) / 3000.0)
    else:
        texture = _clip((f.get("pitch_range", 19.0) - 19.0) / 12.0)
        density = _clip(math.log2(max(f.get("density", 0.05), 0.05) / 3.0))
        register = _clip((f.get("pitch_top", 67.0) - 67.0) / 12.0)
    tempo = _clip(math.log2(max(f.get("tempo", 100.0), 1.0) / 100.0) * 2)
    return [round(x, 4) for x in (valence, arousal, mode, tempo, density, register, texture,
                                  1.0 if kind == "audio" else 0.0)]


def _clip(x: float) -> float:
    return float(np.clip(x, -1.0, 1.0))


def _score_title(score, path: Path) -> str:
    """Title from the score's metadata; bare "movement3" files get their folder's name."""
    meta = score.metadata
    title = (meta.title or meta.movementName) if meta else None
    title = str(title) if title else path.stem
    if title == path.name:  # music21 falls back to the file name
        title = path.stem
    if re.fullmatch(r"movement\d+.*", title, flags=re.I):  # corpus/composer/work/movementN
        title = f"{path.parent.parent.name} {path.parent.name} {title}"
    composer = meta.composer if meta else None
    if composer and composer.lower() not in title.lower():
        title = f"{title} - {composer}"
    return title


def extract(path: str, numbers: list[int] | None = None,
            with_instruments: bool = True) -> list[dict]:
    """Read one file and return the records of its pieces (worker entry point).

    Args:
        path: The file.
        numbers: For ABC files, the tunes to read (None = all of them).
        with_instruments: Recognise the instruments of audio (off where a caller knows them:
            a delivered file has its source's).

    Raises:
        Exception: Whatever the reader raised for an unreadable file (the caller records it).
    """
    p = Path(path)
    kind = kind_of(p)
    fmt = p.suffix.lower().lstrip(".")
    if kind == "midi":
        notes = notes_from_midi(p)
        if not len(notes.pitch):
            raise ValueError("MIDI file has no pitched notes")
        return [describe_notes(notes, p.stem, kind, fmt)]
    if kind == "audio":
        y, sr = load_audio(p)
        return [describe_audio(y, sr, p.stem, fmt, with_instruments)]
    if kind != "score":
        raise ValueError(f"unsupported file type {p.suffix!r}")
    if fmt == "abc":
        in_file = abc_numbers(p)
        if numbers is None:
            numbers = in_file
        if len(in_file) <= 1:  # one tune: read the file whole (a chosen tune is honoured)
            numbers = [None]
    else:
        numbers = [None]
    out = []
    for number in numbers:
        score = parse_score(p, number)
        if hasattr(score, "scores") and not hasattr(score, "parts"):  # an Opus
            score = score.scores[0]
        notes = notes_from_score(score)
        if not len(notes.pitch):
            raise ValueError("score has no notes" + (f" (tune {number})" if number else ""))
        title = _score_title(score, p)
        if number is not None and len(numbers) > 1:
            title = f"{title} ({p.stem} #{number})"
        out.append(describe_notes(notes, title, kind, fmt, "" if number is None
                                  else str(number)))
    return out
