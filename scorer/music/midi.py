"""Arrangement -> Standard MIDI File (type 1) with mido.

Track 0 is the conductor: name, time signature, key signature, the tempo map (a tempo change
at every segment of the cue's grid, so hit points fall on beats) and a marker at every hit
point (cut) inside the cue. Every part is its
own named track with its General MIDI program on its channel (percussion on channel 10, index
9). Every track ends exactly at the arrangement's length, so the file lasts exactly the cue.
"""

from __future__ import annotations

import io

import mido

from scorer.music.arrange import Arrangement, key_pitch_class
from scorer.music.fit import parse_meter

TICKS_PER_BEAT = 480
# key signature names mido accepts, by pitch class (flats where a key is usually written so)
_MAJOR_NAMES = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
_MINOR_NAMES = ["Cm", "C#m", "Dm", "Ebm", "Em", "Fm", "F#m", "Gm", "G#m", "Am", "Bbm", "Bm"]


def key_signature_name(key: str, mode: str) -> str:
    """Return the mido key-signature name of a key ("Bb" major -> "Bb", "a" minor -> "Am")."""
    pc = key_pitch_class(key)
    return (_MINOR_NAMES if mode == "minor" else _MAJOR_NAMES)[pc]


def to_ticks(beats: float, tpq: int = TICKS_PER_BEAT) -> int:
    """Return the tick nearest a time in beats."""
    return int(round(beats * tpq))


def to_midi(arr: Arrangement, tpq: int = TICKS_PER_BEAT) -> mido.MidiFile:
    """Build a type-1 MIDI file from an arrangement."""
    mid = mido.MidiFile(type=1, ticks_per_beat=tpq)
    end = to_ticks(arr.beats, tpq)
    conductor = mido.MidiTrack()
    conductor.append(mido.MetaMessage("track_name", name=arr.title or "Scorer cue", time=0))
    num, den = parse_meter(arr.meter)
    conductor.append(mido.MetaMessage("time_signature", numerator=num, denominator=den,
                                      clocks_per_click=24 if den <= 4 else 36,
                                      notated_32nd_notes_per_beat=8, time=0))
    if arr.key:
        conductor.append(mido.MetaMessage("key_signature",
                                          key=key_signature_name(arr.key, arr.mode), time=0))
    # the tempo map (hit points on beats) and the hit markers, in time order
    meta = [(to_ticks(b, tpq), 0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm)))
            for b, bpm in (arr.tempo_map or [(0.0, arr.tempo)])]
    meta += [(to_ticks(b, tpq), 1, mido.MetaMessage("marker", text=text))
             for b, text in arr.markers]  # hit points (cuts) the editor will want to see
    now = 0
    for tick, _, msg in sorted(meta, key=lambda row: (row[0], row[1])):
        tick = min(end, tick)
        conductor.append(msg.copy(time=tick - now))
        now = tick
    conductor.append(mido.MetaMessage("end_of_track", time=end - now))
    mid.tracks.append(conductor)
    for part in arr.parts:
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name=part.name, time=0))
        track.append(mido.Message("program_change", channel=part.channel,
                                  program=part.program, time=0))
        events = []  # (tick, order, pitch, velocity); note-offs (order 0) first at a tick
        for note in part.notes:
            on = to_ticks(note.start, tpq)
            off = min(end, max(on + 1, to_ticks(note.start + note.length, tpq)))
            if on >= end:
                continue
            events.append((on, 1, note.pitch, note.velocity))
            events.append((off, 0, note.pitch, 0))
        events.sort()
        now = 0
        channel = part.channel
        for tick, order, pitch, vel in events:
            # values are range-checked by the arranger; skipping mido's checks halves the time
            track.append(mido.Message("note_on" if order else "note_off", skip_checks=True,
                                      channel=channel, note=int(pitch), velocity=int(vel),
                                      time=tick - now))
            now = tick
        track.append(mido.MetaMessage("end_of_track", time=end - now))
        mid.tracks.append(track)
    return mid


def midi_bytes(mid: mido.MidiFile) -> bytes:
    """Return a MIDI file's bytes."""
    buf = io.BytesIO()
    mid.save(file=buf)
    return buf.getvalue()
