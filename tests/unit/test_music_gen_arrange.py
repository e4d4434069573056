"""Arranger and MIDI writer on hand-made melodies (no model needed)."""

from __future__ import annotations

import io

import mido
import pytest

from scorer.errors import ScorerError
from scorer.music import arrange as arr_mod
from scorer.music.arrange import arrange, choose_chords, key_pitch_class, transpose_shift
from scorer.music.corpus import encode_events
from scorer.music.midi import key_signature_name, midi_bytes, to_midi


def _bars(*bars: list[int]) -> list[str]:
    """One bar per list of pitches, each note filling an equal share of the bar."""
    events = []
    for pitches in bars:
        steps = 16 // len(pitches)
        events += [(p, steps) for p in pitches]
    return encode_events(events)


def _events(tokens):
    from scorer.music.corpus import decode_tokens

    return decode_tokens(tokens)


def test_chords_fit_the_melody_and_end_with_a_cadence():
    tokens = _bars([60, 64, 67, 72], [65, 69, 72, 77], [67, 71, 74, 79], [62, 65, 69, 74],
                   [72, 67, 64, 60], [67, 71, 74, 71], [72, 72, 72, 72])
    chords = choose_chords(_events(tokens), "major", 7)
    assert chords[:4] == ["I", "IV", "V", "ii"]
    assert chords[-2:] == ["V", "I"]


def test_minor_cadence_uses_the_raised_leading_tone():
    tokens = _bars([69, 72, 76, 72], [74, 77, 81, 77], [76, 80, 83, 80], [69, 69, 69, 69])
    chords = choose_chords(_events(tokens), "minor", 4)
    assert chords == ["i", "iv", "V", "i"]
    assert 8 in arr_mod.CHORDS["minor"]["V"]  # G# in A minor


@pytest.mark.parametrize("key,pc", [("C", 0), ("F#", 6), ("Bb", 10), ("E-", 3), ("a minor", 9),
                                    ("Ebm", 3)])
def test_key_names(key, pc):
    assert key_pitch_class(key) == pc


def test_bad_key_name_is_an_error():
    with pytest.raises(ScorerError):
        key_pitch_class("H")


def test_transposition_goes_to_the_key_and_register():
    # C major melody around 67 -> D major around 74
    shift = transpose_shift("D", "major", 74, [60, 64, 67, 72, 74])
    assert shift % 12 == 2
    assert abs(67 + shift - 74) <= 6
    # A minor -> E minor
    assert transpose_shift("E", "minor", 64, [69, 72, 76]) % 12 == 7


def _arrangement(arousal=0.0, programs=None, dynamics=None, beats=32.0, mode="major",
                 hit_points=None):
    tokens = _bars(*([[60, 64, 67, 64], [65, 69, 72, 69], [67, 71, 74, 71], [72, 67, 64, 60]]
                     * 2))
    return arrange(tokens, mode=mode, key="G", tempo=120.0, beats=beats, register=67,
                   arousal=arousal, programs=programs or {}, style="folk",
                   dynamics=dynamics, cue_start=5.0, title="1M1 test", hit_points=hit_points)


def test_percussion_only_for_high_arousal():
    assert "drums" not in [p.role for p in _arrangement(arousal=0.0).parts]
    assert "drums" in [p.role for p in _arrangement(arousal=0.8).parts]
    # a cue whose instrumentation has no drums stays without them however excited
    calm_preset = {"melody": 73, "harmony": 24, "bass": 32, "pad": 89}
    assert "drums" not in [p.role for p in _arrangement(0.8, calm_preset).parts]


def test_programs_come_from_the_cue():
    programs = {"melody": 56, "harmony": 0, "bass": 33, "pad": 48, "drums": 0}
    parts = {p.role: p for p in _arrangement(0.8, programs).parts}
    assert {r: parts[r].program for r in programs} == programs
    assert parts["drums"].channel == 9
    defaults = {p.role: p.program for p in _arrangement(0.0).parts}
    assert defaults["melody"] == arr_mod.DEFAULT_PROGRAMS["folk"]["melody"]


def test_velocity_follows_the_dynamics_curve():
    # 32 beats at 120 BPM = 16 s from clip time 5 s; level rises from 0.2 to 1.0
    parts = {p.role: p for p in _arrangement(dynamics=[(5.0, 0.2), (21.0, 1.0)]).parts}
    for role in ("melody", "pad", "bass"):
        notes = parts[role].notes
        first = [n.velocity for n in notes if n.start < 8]
        last = [n.velocity for n in notes if n.start >= 24]
        assert max(first) < min(last), role


def test_busier_accompaniment_for_higher_arousal():
    low = {p.role: len(p.notes) for p in _arrangement(arousal=-0.7).parts}
    high = {p.role: len(p.notes) for p in _arrangement(arousal=0.7).parts}
    assert high["harmony"] > low["harmony"] and high["bass"] > low["bass"]


def test_nothing_sounds_past_the_end():
    arrangement = _arrangement(beats=29.5)  # ends inside a bar
    for part in arrangement.parts:
        assert all(n.start + n.length <= 29.5 + 1e-9 for n in part.notes)


def test_midi_file_structure_and_round_trip():
    # cue starts at clip time 5 s, 120 BPM: a cut at 8 s is beat 6; one outside is dropped
    arrangement = _arrangement(arousal=0.8, beats=30.0, hit_points=[8.0, 11.5, 40.0])
    mid = mido.MidiFile(file=io.BytesIO(midi_bytes(to_midi(arrangement))))
    assert mid.type == 1
    assert [t.name for t in mid.tracks] == ["1M1 test", "Melody", "Harmony", "Bass", "Pad",
                                             "Drums"]
    meta = {m.type: m for m in mid.tracks[0] if m.is_meta}
    assert mido.tempo2bpm(meta["set_tempo"].tempo) == pytest.approx(120.0)
    assert (meta["time_signature"].numerator, meta["time_signature"].denominator) == (4, 4)
    assert meta["key_signature"].key == "G"
    assert mid.length == pytest.approx(30.0 * 60 / 120, abs=1e-6)
    ticks, markers = 0, []
    for m in mid.tracks[0]:
        ticks += m.time
        if m.type == "marker":
            markers.append(ticks / mid.ticks_per_beat)
    assert markers == [6.0, 13.0]
    programs = [next(m.program for m in t if m.type == "program_change") for t in mid.tracks[1:]]
    assert programs == [p.program for p in arrangement.parts]
    ons = sum(1 for t in mid.tracks for m in t if m.type == "note_on")
    assert ons == sum(len(p.notes) for p in arrangement.parts)


def test_key_signature_names():
    assert key_signature_name("A#", "major") == "Bb"
    assert key_signature_name("D", "minor") == "Dm"
    assert key_signature_name("G#", "minor") == "G#m"
