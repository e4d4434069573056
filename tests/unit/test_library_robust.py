"""Library pieces that used to crash `suggest` or `library add`: absurd tempi, cut-short MIDI,
repeats music21 cannot expand, unreadable files. Each must be read (tempo clamped, repeats
dropped) or skipped with its reason, and the next candidate used."""

from __future__ import annotations

import io
import logging

import mido
import pytest

from scorer.errors import InputError
from scorer.music import reading
from scorer.music.library import adapt
from scorer.music.library import index as index_mod
from scorer.music.library.index import LibraryIndex
from scorer.music.library.suggest import suggest_project
from scorer.project import Cue, Project


def midi_with_tempo(mpqn: int, bars: int = 8) -> bytes:
    """A C-major scale tune with one set_tempo of ``mpqn`` microseconds per quarter note."""
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    meta = mido.MidiTrack(
        [
            mido.MetaMessage("set_tempo", tempo=mpqn),
            mido.MetaMessage("time_signature", numerator=4, denominator=4),
        ]
    )
    track = mido.MidiTrack([mido.Message("program_change", program=0)])
    for i in range(bars * 4):
        pitch = 60 + [0, 2, 4, 5, 7, 9, 11, 12][i % 8]
        track.append(mido.Message("note_on", note=pitch, velocity=80, time=0))
        track.append(mido.Message("note_off", note=pitch, velocity=0, time=480))
    mid.tracks += [meta, track]
    buf = io.BytesIO()
    mid.save(file=buf)
    return buf.getvalue()


@pytest.mark.parametrize("mpqn", [0, 1, 0xFFFFFF])
def test_absurd_tempo_is_clamped(tmp_path, mpqn, caplog):
    path = tmp_path / "absurd.mid"
    path.write_bytes(midi_with_tempo(mpqn))
    pm = reading.read_midi(path)
    _, tempi = pm.get_tempo_changes()
    assert reading.MIN_BPM - 0.01 <= tempi[0] <= reading.MAX_BPM + 0.01
    # 32 quarter notes at a sane tempo last between 4.8 s (400 BPM) and 96 s (20 BPM)
    assert 4.7 < pm.get_end_time() < 97
    assert "clamped" in caplog.text


def test_cut_short_midi_is_named_in_words(tmp_path):
    path = tmp_path / "cut.mid"
    path.write_bytes(midi_with_tempo(500000)[:60])
    with pytest.raises(InputError) as info:
        reading.read_midi(path)
    assert str(path) in str(info.value)
    assert "cut short" in str(info.value) and "EOFError" not in str(info.value)



def long_fine_midi(ticks_per_beat: int, quarters: int, stray_gap: int = 0) -> bytes:
    """One note on every quarter for ``quarters`` quarters at 120 BPM (the default tempo)."""
    mid = mido.MidiFile(type=1, ticks_per_beat=ticks_per_beat)
    track = mido.MidiTrack()
    for i in range(quarters):
        gap = stray_gap if i == quarters - 1 else 0
        track.append(mido.Message("note_on", note=60 + i % 12, velocity=80, time=gap))
        track.append(mido.Message("note_off", note=60 + i % 12, velocity=0, time=ticks_per_beat))
    mid.tracks.append(track)
    buf = io.BytesIO()
    mid.save(file=buf)
    return buf.getvalue()


def test_long_movement_at_fine_resolution_is_read_with_its_timing(tmp_path):
    # Beethoven op. 59/2 mvt 4 as music21 writes it: 1,636 quarters at 10,080 ticks per quarter
    # pass pretty_midi's 10**7-tick limit; so did two Schumann movements of the default library
    path = tmp_path / "long.mid"
    path.write_bytes(long_fine_midi(10080, 1100))
    pm = reading.read_midi(path)
    starts = sorted(note.start for note in pm.instruments[0].notes)
    assert len(starts) == 1100
    assert starts[-1] == pytest.approx(1099 * 0.5, abs=1e-6)  # quarter = 0.5 s at 120 BPM
    assert pm.get_end_time() == pytest.approx(550.0, abs=1e-6)


def test_a_stray_huge_delta_is_still_refused_as_corrupt(tmp_path):
    path = tmp_path / "stray.mid"
    path.write_bytes(long_fine_midi(96, 8, stray_gap=2**27))
    with pytest.raises(InputError) as info:
        reading.read_midi(path)
    assert str(path) in str(info.value) and "corrupt" in str(info.value)

@pytest.mark.parametrize(
    ("name", "number", "music21_error"),
    [
        ("ryansMammoth/ConnaughtLassesReel.abc", None, "ExpanderException"),
        ("essenFolksong/ballad20.abc", 3, "StreamException"),
    ],
)
def test_score_with_repeats_music21_cannot_expand_plays_as_written(name, number, music21_error,
                                                                   caplog):
    """Real corpus tunes on which music21's repeat expansion raises (they crashed `suggest`)."""
    import warnings

    from music21 import corpus
    from music21.midi import translate

    from scorer.music.library import features as feat

    path = next((p for p in corpus.getCorePaths() if str(p).endswith(name)), None)
    if path is None:
        pytest.skip(f"music21's corpus lacks {name}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        score = feat.parse_score(path, number)
        if hasattr(score, "scores") and not hasattr(score, "parts"):
            score = score.scores[0]
        with pytest.raises(Exception) as raw:  # what music21 itself does with it
            translate.streamToMidiFile(score)
        assert type(raw.value).__name__ == music21_error
        pm = reading.score_to_midi(score, path)
    notes = [n for inst in pm.instruments for n in inst.notes]
    written = len(score.flatten().notes)
    assert len(notes) >= 0.9 * written  # every written note is played (chords may merge)
    assert "repeats cannot be expanded" in caplog.text


def test_adapting_absurd_pieces_to_short_and_long_cues(tmp_path):
    folder = tmp_path / "music"
    folder.mkdir()
    for name, mpqn in (("zero", 0), ("micro", 1), ("glacial", 0xFFFFFF), ("normal", 500000)):
        (folder / f"{name}.mid").write_bytes(midi_with_tempo(mpqn))
    with LibraryIndex(tmp_path / "lib.sqlite") as ix:
        report = ix.add_folder(folder, workers=1)
        assert not report.failed and len(ix) == 4
        for entry in ix.entries():
            assert reading.MIN_BPM - 0.01 <= entry.tempo <= reading.MAX_BPM + 0.01
            for seconds in (8.0, 90.0):
                cue = Cue("1M1", 0.0, seconds, key="E", mode="minor")
                path, info = adapt.adapt_entry(
                    entry,
                    adapt.plan_for_cue(entry, cue, 1.0),
                    tmp_path / "out",
                    f"{entry.id}_{seconds:g}",
                )
                assert abs(info["length"] - seconds) < 0.5, (entry.title, info)


def test_unreadable_file_is_listed_and_indexing_goes_on(tmp_path, monkeypatch):
    folder = tmp_path / "music"
    folder.mkdir()
    for name in ("a", "b", "c"):
        (folder / f"{name}.mid").write_bytes(midi_with_tempo(500000))
    real = index_mod._sha1

    def no_permission(path):  # tests run as root, where chmod 000 does not stop reading
        if path.name == "b.mid":
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(index_mod, "_sha1", no_permission)
    with LibraryIndex(tmp_path / "lib.sqlite") as ix:
        report = ix.add_folder(folder, workers=1)
        assert len(ix) == 2
    assert report.failed == [(str(folder / "b.mid"), "cannot read (permission denied)")]
    monkeypatch.setattr(index_mod, "_sha1", real)  # readable again: read on the next add
    with LibraryIndex(tmp_path / "lib.sqlite") as ix:
        report = ix.add_folder(folder, workers=1)
        assert len(ix) == 3 and not report.failed


def test_suggest_skips_a_piece_that_fails_and_uses_the_next(tmp_path, monkeypatch, caplog):
    folder = tmp_path / "music"
    folder.mkdir()
    for i in range(5):
        (folder / f"tune_{i}.mid").write_bytes(midi_with_tempo(500000 + 20000 * i))
    project = Project(title="p", cues=[Cue("1M1", 0.0, 10.0, tempo=120, tempo_range=(100, 140))])
    real = adapt.load_source
    broken: list[str] = []

    def first_one_breaks(entry):
        if not broken:
            broken.append(entry.path)
            raise InputError("score cannot be rendered as MIDI (ExpanderException)", entry.path)
        return real(entry)

    monkeypatch.setattr(adapt, "load_source", first_one_breaks)
    with caplog.at_level(logging.WARNING), LibraryIndex(tmp_path / "lib.sqlite") as ix:
        ix.add_folder(folder, workers=1)
        result = suggest_project(
            project,
            tmp_path / "p.scorer.json",
            n=3,
            with_generated=False,
            index=ix,
            use_default=False,
        )
    assert len(result) == 3 and all(s.path for s in result)
    assert broken[0] not in {s.params["file"] for s in result}
    assert "skipped" in caplog.text and broken[0] in caplog.text
