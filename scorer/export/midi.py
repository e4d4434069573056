"""The score as one Standard MIDI File: type 1, 480 PPQ, every cue at its place on the clip.

Track 0 is the conductor track: the SMPTE offset (the clip's start timecode), the tempo map
(each cue's tempo from its cue start), time and key signatures, a marker per cue ("1M1 Title")
and a cue point at every hit point. Every cue's own MIDI follows in tracks named after the cue;
its events are placed by their time in seconds, so they sound exactly where they did in the
cue's own file, and notes still sounding at the cue's end are released there.
"""

from __future__ import annotations

import io
import re
from bisect import bisect_right

import mido

from scorer.errors import InputError
from scorer.export.common import CueMusic, Timebase
from scorer.music.reading import midi_reason
from scorer.project import Project

PPQ = 480
DEFAULT_TEMPO_BPM = 120.0
_SKIP_META = {"set_tempo", "time_signature", "key_signature", "smpte_offset", "end_of_track",
              "marker", "cue_marker", "track_name", "instrument_name"}
_KEYS = {"C", "G", "D", "A", "E", "B", "F#", "C#", "F", "Bb", "Eb", "Ab", "Db", "Gb", "Cb",
         "G#", "D#", "A#"}


class TempoMap:
    """Seconds <-> ticks for a list of (start seconds, microseconds per beat) segments."""

    def __init__(self, segments: list[tuple[float, int]], ppq: int = PPQ):
        self.ppq = ppq
        segments = sorted(segments)
        self.times: list[float] = []
        self.tempos: list[int] = []
        self.ticks: list[int] = []
        tick = 0
        for start, tempo in segments:
            if self.times:
                if tempo == self.tempos[-1]:
                    continue
                if start <= self.times[-1]:  # a later entry at the same time wins
                    self.tempos[-1] = tempo
                    continue
                tick = self._ticks_after(len(self.times) - 1, start)
                start = self._seconds(len(self.times) - 1, tick)  # snap the change to its tick
            self.times.append(start)
            self.tempos.append(tempo)
            self.ticks.append(tick)

    def _ticks_after(self, i: int, seconds: float) -> int:
        return self.ticks[i] + round((seconds - self.times[i]) * 1e6 / self.tempos[i] * self.ppq)

    def _seconds(self, i: int, tick: int) -> float:
        return self.times[i] + (tick - self.ticks[i]) * self.tempos[i] / 1e6 / self.ppq

    def tick(self, seconds: float) -> int:
        """Return the tick nearest to a time in seconds."""
        i = max(0, bisect_right(self.times, seconds + 1e-9) - 1)
        return max(0, self._ticks_after(i, seconds))

    def changes(self) -> list[tuple[int, int]]:
        """Return (tick, tempo) for every tempo change."""
        return list(zip(self.ticks, self.tempos, strict=True))


def _source_events(mid: mido.MidiFile):
    """Yield (track index, seconds, message) for every message, with the file's tempo map."""
    tempo_changes: list[tuple[int, int]] = []
    absolute: list[list[tuple[int, mido.Message]]] = []
    for track in mid.tracks:
        tick, rows = 0, []
        for msg in track:
            tick += msg.time
            rows.append((tick, msg))
            if msg.type == "set_tempo":
                tempo_changes.append((tick, msg.tempo))
        absolute.append(rows)
    tempo_changes.sort(key=lambda row: row[0])
    if not tempo_changes or tempo_changes[0][0] > 0:
        tempo_changes.insert(0, (0, 500000))
    # seconds at each tempo change
    starts = [0.0]
    for (t0, tempo0), (t1, _) in zip(tempo_changes, tempo_changes[1:], strict=False):
        starts.append(starts[-1] + (t1 - t0) * tempo0 / 1e6 / mid.ticks_per_beat)
    change_ticks = [t for t, _ in tempo_changes]

    def seconds(tick: int) -> float:
        i = bisect_right(change_ticks, tick) - 1
        t0, tempo = tempo_changes[i]
        return starts[i] + (tick - t0) * tempo / 1e6 / mid.ticks_per_beat

    for index, rows in enumerate(absolute):
        for tick, msg in rows:
            yield index, seconds(tick), msg


def _first_tempo(mid: mido.MidiFile) -> int | None:
    for track in mid.tracks:
        for msg in track:
            if msg.type == "set_tempo":
                return msg.tempo
    return None


def _read(music: CueMusic) -> mido.MidiFile:
    try:
        return mido.MidiFile(music.path)
    except (OSError, ValueError, EOFError, KeyError, IndexError) as exc:
        raise InputError(midi_reason(exc), music.path) from exc


def _time_signature(params: dict) -> tuple[int, int]:
    value = params.get("time_signature") or params.get("meter") or (4, 4)
    if isinstance(value, str):
        match = re.match(r"^\s*(\d+)\s*/\s*(\d+)\s*$", value)
        value = (int(match.group(1)), int(match.group(2))) if match else (4, 4)
    num, den = int(value[0]), int(value[1])
    if num < 1 or den not in (1, 2, 4, 8, 16, 32):
        return 4, 4
    return num, den


def _key(key: str, mode: str) -> str | None:
    name = key.strip().replace("♯", "#").replace("♭", "b")
    name = name[:1].upper() + name[1:]
    if name not in _KEYS:
        return None
    return name + ("m" if mode.lower().startswith("min") else "")


def smpte_offset(tb: Timebase) -> mido.MetaMessage:
    """Return the SMPTE offset meta event for the clip's start timecode.

    MIDI knows 24, 25, 29.97 (drop) and 30 fps: 23.976 is written as 24 (its timecode counts
    24 frames a second), 50/59.94/60 as 25/29.97/30 with halved frame numbers.
    """
    fps = round(tb.rate)
    hh, mm, ss, ff = (int(x) for x in re.split(r"[:;]", tb.start_timecode))
    if fps in (48, 50, 60):
        fps, ff = fps // 2, ff // 2
    if fps == 30 and tb.drop_frame:
        rate = 29.97
    elif fps in (24, 25, 30):
        rate = fps
    else:  # other rates: whole seconds from the start time at 30 fps
        start = float(tb.seconds(tb.start_frame))
        hh, rem = divmod(int(start), 3600)
        mm, ss = divmod(rem, 60)
        ff, rate = int((start % 1) * 30), 30
    return mido.MetaMessage("smpte_offset", frame_rate=rate, hours=hh % 24, minutes=mm,
                            seconds=ss, frames=ff, sub_frames=0, time=0)


def build_midi(project: Project, cues: list[CueMusic], tb: Timebase,
               notes: list[str] | None = None) -> mido.MidiFile:
    """Build the export file (see the module docstring).

    Args:
        project: The project (title, cues).
        cues: The cues with their music, in time order.
        tb: The clip's timebase.
        notes: Gets a note for cues whose music is audio (only their marker is written).

    Returns:
        A type 1 ``mido.MidiFile`` at 480 PPQ.
    """
    notes = notes if notes is not None else []
    sources: dict[str, mido.MidiFile] = {}
    segments: list[tuple[float, int]] = []
    for music in cues:
        tempo = None
        if music.kind == "midi":
            sources[music.cue.number] = _read(music)
            tempo = _first_tempo(sources[music.cue.number])
        if tempo is None:
            tempo = mido.bpm2tempo(music.cue.tempo if music.cue.tempo > 0 else DEFAULT_TEMPO_BPM)
        segments.append((float(tb.seconds(music.in_frame)), int(tempo)))
    if not segments or segments[0][0] > 0:
        first = segments[0][1] if segments else mido.bpm2tempo(DEFAULT_TEMPO_BPM)
        segments.insert(0, (0.0, first))
    tmap = TempoMap(segments)

    conductor: list[tuple[int, int, mido.MetaMessage]] = [
        (0, 0, mido.MetaMessage("track_name", name=project.title or "Score")),
        (0, 0, smpte_offset(tb)),
    ]
    for tick, tempo in tmap.changes():
        conductor.append((tick, 1, mido.MetaMessage("set_tempo", tempo=tempo)))
    signature = None
    if not cues:
        conductor.append((0, 1, mido.MetaMessage("time_signature", numerator=4, denominator=4)))
    tracks: list[mido.MidiTrack] = []
    for music in cues:
        cue = music.cue
        start = float(tb.seconds(music.in_frame))
        end = float(tb.seconds(music.out_frame))
        tick = tmap.tick(start)
        ts = _time_signature(music.suggestion.params)
        if ts != signature or tick == 0:
            conductor.append((tick, 1, mido.MetaMessage("time_signature", numerator=ts[0],
                                                        denominator=ts[1])))
            signature = ts
        key = _key(cue.key, cue.mode)
        if key:
            conductor.append((tick, 1, mido.MetaMessage("key_signature", key=key)))
        label = f"{cue.number} {cue.title or music.suggestion.title}".strip()
        conductor.append((tick, 2, mido.MetaMessage("marker", text=label)))
        for i, hit in enumerate(sorted(cue.hit_points), 1):
            if start <= hit <= end:
                conductor.append((tmap.tick(hit), 3,
                                  mido.MetaMessage("cue_marker", text=f"{cue.number} hit {i}")))
        if music.kind != "midi":
            notes.append(f"{cue.number}: music is audio ({music.path.name}); the MIDI file has "
                         "only its marker")
            continue
        tracks += _cue_tracks(cue.number, sources[cue.number], start, end, tmap)

    mid = mido.MidiFile(type=1, ticks_per_beat=PPQ)
    mid.tracks.append(_to_track(conductor))
    mid.tracks.extend(tracks)
    return mid


def _cue_tracks(number: str, src: mido.MidiFile, start: float, end: float,
                tmap: TempoMap) -> list[mido.MidiTrack]:
    length = end - start
    names: dict[int, str] = {}
    rows: dict[int, list[tuple[int, int, mido.Message]]] = {}
    sounding: dict[int, set[tuple[int, int]]] = {}
    for index, seconds, msg in _source_events(src):
        if msg.is_meta:
            if msg.type == "track_name" and index not in names:
                names[index] = msg.name
            if msg.type in _SKIP_META:
                continue
            if seconds >= length:
                continue
            rows.setdefault(index, []).append((tmap.tick(start + seconds), 1, msg))
            continue
        if msg.type in ("sysex",):
            continue
        on = sounding.setdefault(index, set())
        is_off = msg.type == "note_off" or (msg.type == "note_on" and msg.velocity == 0)
        if seconds >= length:
            continue
        if msg.type == "note_on" and not is_off:
            on.add((msg.channel, msg.note))
        elif is_off:
            on.discard((msg.channel, msg.note))
        rows.setdefault(index, []).append((tmap.tick(start + seconds), 0 if is_off else 1, msg))
    end_tick = tmap.tick(end)
    tracks = []
    for index in sorted(rows):
        events = rows[index]
        if not any(not m.is_meta for _, _, m in events):
            continue
        for channel, note in sorted(sounding.get(index, ())):  # release notes cut by the cue end
            events.append((end_tick, 0, mido.Message("note_off", channel=channel, note=note)))
        name = names.get(index, f"track {index}")
        events.insert(0, (0, -1, mido.MetaMessage("track_name", name=f"{number} {name}")))
        tracks.append(_to_track(events))
    return tracks


def _to_track(events: list[tuple[int, int, mido.Message]]) -> mido.MidiTrack:
    track = mido.MidiTrack()
    now = 0
    # note-offs before note-ons at the same tick so that a repeated note is not cut short
    for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track


def midi_bytes(mid: mido.MidiFile) -> bytes:
    """Return a MidiFile as bytes."""
    buf = io.BytesIO()
    mid.save(file=buf)
    return buf.getvalue()

