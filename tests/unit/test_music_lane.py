"""The music lane shows where each cue's music plays and ends, and the sound's waveform."""

from __future__ import annotations

import mido
import numpy as np
import pytest
from fixtures.media import write_clip

from scorer.media.waveform import waveform_envelope
from scorer.music.lane import music_lane
from scorer.project import Cue, MediaInfo, Project, Suggestion


def _midi(path, seconds, pitch=60, bpm=120):
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))])
    for _ in range(int(seconds * bpm / 60)):
        track.append(mido.Message("note_on", note=pitch, velocity=90))
        track.append(mido.Message("note_off", note=pitch, velocity=0, time=480))
    mid.tracks.append(track)
    mid.save(str(path))
    return path


def test_lane_shows_chosen_music_its_end_and_notes(tmp_path):
    short = _midi(tmp_path / "short.mid", 4.0, pitch=64)  # 4 s piece on a 10 s cue
    long = _midi(tmp_path / "long.mid", 20.0, pitch=55)
    project = Project(title="t", media=MediaInfo(path="x.mp4", fps="25", duration="30"),
                      cues=[Cue("1M1", 0.0, 10.0, choice="a"), Cue("1M2", 10.0, 20.0),
                            Cue("1M3", 20.0, 30.0)],
                      suggestions=[Suggestion("a", "1M1", "library", "Short", str(short), 0.2),
                                   Suggestion("b", "1M1", "library", "Best", str(long), 0.9),
                                   Suggestion("c", "1M2", "generated", "Gen", str(long), 0.5)])
    lane = music_lane(project, tmp_path / "t.scorer.json")
    assert [i.cue for i in lane] == ["1M1", "1M2"]  # 1M3 has no music
    first, second = lane
    assert first.suggestion == "a" and first.chosen  # the choice wins over the top score
    assert first.music_end == pytest.approx(4.0, abs=0.05)  # silence from 4 s to 10 s
    assert {n.pitch for n in first.notes} == {64}
    assert all(0.0 <= n.start < n.end <= 4.0 + 1e-6 for n in first.notes)
    assert second.suggestion == "c" and not second.chosen  # top-scored when none is chosen
    assert second.music_end == 20.0  # a long piece is cut at the cue's end
    assert second.fade_start == pytest.approx(19.7)
    assert all(n.end <= 20.0 for n in second.notes) and second.notes[0].start == 10.0


def test_waveform_envelope_follows_the_sound(tmp_path):
    clip = write_clip(tmp_path / "tone.mp4", seconds=2.0, tone_hz=440.0)
    mins, maxs = waveform_envelope(clip, bins_per_second=50)
    assert len(mins) == len(maxs) == pytest.approx(100, abs=3)
    assert np.all(mins <= maxs)
    assert np.median(maxs) > 0.05 and np.median(mins) < -0.05  # a tone swings both ways
