"""The score as one Standard MIDI File: type 1, 480 PPQ, every cue at its place on the clip.

Track 0 is the conductor track: the SMPTE offset (the clip's start timecode), the tempo map
(each cue's own tempo map from its cue start), time signatures (each cue's meter: its
suggestion's, else its file's; every cue starts on a bar line, the stretch before it closed by
a short bar of whole 16ths), key signatures, a marker per cue ("1M1 Title") and, at every hit
point (on its frame, as the timelines have it), a marker (FF 06, which DAWs import) and a cue
point (FF 07). Every cue's own MIDI follows in tracks named after the cue;
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
from scorer.music.fit import parse_meter
from scorer.project import Project

PPQ = 480
CHARSET = "utf-8"
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

    def seconds(self, tick: int) -> float:
        """Return the time in seconds of a tick."""
        i = max(0, bisect_right(self.ticks, tick) - 1)
        return self._seconds(i, tick)

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
        raise InputError(f"not a readable MIDI file ({exc})", music.path) from exc


def _time_signature(params: dict, mid: mido.MidiFile | None = None,
                    default: str = "4/4") -> tuple[int, int]:
    """The cue's meter: the suggestion's, else its MIDI file's first one, else the cue's."""
    value = params.get("time_signature") or params.get("meter")
    if not value and mid is not None:
        for track in mid.tracks:
            for msg in track:
                if msg.type == "time_signature":
                    value = (msg.numerator, msg.denominator)
                    break
            if value:
                break
    return parse_meter(value or default)


def _tempo_segments(mid: mido.MidiFile, length: float) -> list[tuple[float, int]]:
    """(seconds from the file's start, tempo) of every tempo change inside ``length``."""
    out = [(seconds, msg.tempo) for _, seconds, msg in _source_events(mid)
           if msg.type == "set_tempo" and seconds < length - 1e-6]
    return sorted(out)


def _short_bar(sixteenths: int) -> tuple[int, int]:
    """The time signature of a bar of ``sixteenths`` 16th notes (8 -> 2/4, 6 -> 3/8)."""
    num, den = sixteenths, 16
    while num % 2 == 0 and den > 4:
        num, den = num // 2, den // 2
    return num, den


def _align_bars(segments: list[tuple[float, int]], starts: list[tuple[float, tuple[int, int]]],
                ppq: int = PPQ) -> tuple[list[tuple[float, int]], list[tuple[float, int, int]]]:
    """Put every cue's start on a bar line: a short bar closes the stretch before it.

    The stretch before a cue rarely holds whole bars of the meter in force, so the cue would
    begin mid-bar in a sequencer. Its last, partial bar becomes a bar of whole 16th notes
    (its own time signature) whose tempo makes it last exactly until the cue: the music
    still sounds where it did (events are placed by time), and bar 1 of every cue is a bar.

    Args:
        segments: (seconds, tempo) of the tempo map.
        starts: (seconds, meter) of each cue's start, in time order.
        ppq: Ticks per quarter note.

    Returns:
        (the tempo segments with the short bars' tempi, [(seconds, numerator, denominator)]
        time signatures at the short bars and the cue starts).
    """
    signatures: list[tuple[float, int, int]] = []
    anchor, meter = 0.0, starts[0][1] if starts else (4, 4)
    signatures.append((0.0, *meter))
    for start, cue_meter in starts:
        if start > 1e-6:
            tmap = TempoMap(segments, ppq)
            a_tick, s_tick = tmap.tick(anchor), tmap.tick(start)
            bar = int(round(ppq * 4 * meter[0] / meter[1]))
            rem = (s_tick - a_tick) % bar
            if 2 < rem < bar - 2:  # off a bar line by more than a rounding
                if rem < ppq // 8 and s_tick - rem - bar >= a_tick:
                    rem += bar  # a sliver joins the bar before it (e.g. 17/16, not 1/16)
                t0 = tmap.seconds(s_tick - rem)
                sixteenths = max(1, round(rem / (ppq / 4)))
                tempo = int(round((start - t0) * 1e6 / (sixteenths / 4)))
                segments = [seg for seg in segments if not t0 - 1e-9 <= seg[0] < start - 1e-9]
                segments.append((t0, tempo))
                segments.sort()
                signatures.append((t0, *_short_bar(sixteenths)))
        if start > 1e-6 or cue_meter != meter:
            signatures.append((start, *cue_meter))
        anchor, meter = start, cue_meter
    return segments, signatures


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
    starts: list[tuple[float, tuple[int, int]]] = []
    for music in cues:
        start = float(tb.seconds(music.in_frame))
        length = float(tb.seconds(music.out_frame)) - start
        own: list[tuple[float, int]] = []
        if music.kind == "midi":
            sources[music.cue.number] = _read(music)
            own = _tempo_segments(sources[music.cue.number], length)
        if not own or own[0][0] > 1e-6:
            tempo = mido.bpm2tempo(music.cue.tempo if music.cue.tempo > 0 else DEFAULT_TEMPO_BPM)
            first = _first_tempo(sources[music.cue.number]) if own else None
            own.insert(0, (0.0, int(first or tempo)))
        segments += [(start + t, int(tempo)) for t, tempo in own]
        starts.append((start, _time_signature(music.suggestion.params,
                                              sources.get(music.cue.number),
                                              getattr(music.cue, "meter", "4/4"))))
    if not segments or segments[0][0] > 0:
        first = segments[0][1] if segments else mido.bpm2tempo(DEFAULT_TEMPO_BPM)
        segments.insert(0, (0.0, first))
    segments, signatures = _align_bars(sorted(segments), starts)
    tmap = TempoMap(segments)

    conductor: list[tuple[int, int, mido.MetaMessage]] = [
        (0, 0, mido.MetaMessage("track_name", name=project.title or "Score")),
        (0, 0, smpte_offset(tb)),
    ]
    for tick, tempo in tmap.changes():
        conductor.append((tick, 1, mido.MetaMessage("set_tempo", tempo=tempo)))
    if not cues:
        conductor.append((0, 1, mido.MetaMessage("time_signature", numerator=4, denominator=4)))
    last_sig = None
    for seconds, num, den in signatures:
        tick = tmap.tick(seconds)
        if last_sig is not None and last_sig[0] == tick:
            conductor.remove(last_sig[1])  # a later signature at the same tick wins
        row = (tick, 1, mido.MetaMessage("time_signature", numerator=num, denominator=den))
        conductor.append(row)
        last_sig = (tick, row)
    tracks: list[mido.MidiTrack] = []
    for music in cues:
        cue = music.cue
        start = float(tb.seconds(music.in_frame))
        end = float(tb.seconds(music.out_frame))
        tick = tmap.tick(start)
        key = _key(cue.key, cue.mode)
        if key:
            conductor.append((tick, 1, mido.MetaMessage("key_signature", key=key)))
        label = f"{cue.number} {cue.title or music.suggestion.title}".strip()
        conductor.append((tick, 2, mido.MetaMessage("marker", text=label)))
        for i, hit in enumerate(sorted(cue.hit_points), 1):
            frame = tb.frame(hit)  # on its frame, as the timelines and cue sheet have it
            if music.in_frame <= frame <= music.out_frame:
                tick = tmap.tick(float(tb.seconds(frame)))
                text = f"{cue.number} hit {i}"
                # FF 06 markers are what DAWs import; FF 07 cue points kept for older tools
                conductor.append((tick, 3, mido.MetaMessage("marker", text=text)))
                conductor.append((tick, 3, mido.MetaMessage("cue_marker", text=text)))
        if music.kind != "midi":
            notes.append(f"{cue.number}: music is audio ({music.path.name}); the MIDI file has "
                         "only its marker")
            continue
        tracks += _cue_tracks(cue.number, sources[cue.number], start, end, tmap)

    # text events as UTF-8 (what DAWs read today; Latin-1 cannot hold "Dvořák", "—" or CJK)
    mid = mido.MidiFile(type=1, ticks_per_beat=PPQ, charset=CHARSET)
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

