"""Symbolic V/A: the EMOPIA-trained model on generated tunes, and the MIDI tempo-known flag."""

from __future__ import annotations

import mido
import pytest

from scorer.music.library import features as lf
from scorer.music.library import symbolic_model
from tests.unit.test_library_fixtures import fast_major, slow_minor


def _midi(path, with_tempo: bool):
    """A short one-track MIDI file, with or without a set_tempo event."""
    mid = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    if with_tempo:
        track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(90), time=0))
    for pitch in (60, 64, 67, 72, 67, 64, 60):
        track.append(mido.Message("note_on", note=pitch, velocity=80, time=0))
        track.append(mido.Message("note_off", note=pitch, velocity=0, time=480))
    mid.tracks.append(track)
    mid.save(str(path))
    return path


def test_tempo_known_only_with_a_tempo_event(tmp_path):
    without = lf.notes_from_midi(_midi(tmp_path / "plain.mid", with_tempo=False))
    assert not without.tempo_known
    assert without.tempo == pytest.approx(120.0)  # pretty_midi's default, now flagged unknown
    marked = lf.notes_from_midi(_midi(tmp_path / "marked.mid", with_tempo=True))
    assert marked.tempo_known and marked.tempo == pytest.approx(90.0)


def test_corrupt_midi_has_no_tempo(tmp_path):
    path = tmp_path / "bad.mid"
    path.write_bytes(b"not a midi file at all")
    assert lf.midi_has_tempo(path) is False


def test_model_orders_fast_major_above_slow_minor(tmp_path):
    assert symbolic_model.available()
    bright = lf.symbolic_features(lf.notes_from_midi(fast_major(tmp_path / "a.mid")))
    dark = lf.symbolic_features(lf.notes_from_midi(slow_minor(tmp_path / "b.mid")))
    v1, a1, c1 = symbolic_model.predict(bright)
    v2, a2, c2 = symbolic_model.predict(dark)
    assert a1 > a2 + 0.3
    assert v1 > v2
    for v, a, c in ((v1, a1, c1), (v2, a2, c2)):
        assert -1 <= v <= 1 and -1 <= a <= 1 and 0 <= c <= 1


def test_library_record_uses_the_model(tmp_path):
    rec = lf.extract(str(fast_major(tmp_path / "fast.mid")))[0]
    assert rec["method"] == "model:symbolic_emotion"
    assert rec["sections"] and all(-1 <= s[2] <= 1 and -1 <= s[3] <= 1 for s in rec["sections"])
    assert 0 <= rec["features"]["dissonance"] <= 1


def test_too_few_notes_say_nothing():
    assert symbolic_model.predict({"n_notes": 2}) == (0.0, 0.0, 0.0)
