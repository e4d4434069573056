"""The editor's own library search (mood, tempo, key, instruments, text) and using a piece."""

from __future__ import annotations

import pytest
from test_library_fixtures import fast_major, slow_minor, write_abc

from scorer.affect import edit
from scorer.errors import ScorerError
from scorer.music.library.browse import BrowseQuery, browse, families, playable_file
from scorer.music.library.index import LibraryIndex
from scorer.music.library.suggest import suggest_cue, suggestion_for_entry
from scorer.project import Cue, Project, Suggestion


def triads(path, root: int, minor: bool, bpm: float = 100.0):
    """Nothing but the tonic triad over its root: a key no estimator can mistake."""
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(initial_tempo=bpm)
    inst = pretty_midi.Instrument(program=19)  # church organ
    beat = 60.0 / bpm
    for bar in range(8):
        for pitch in (root + 36, root + 48, root + 48 + (3 if minor else 4), root + 55):
            inst.notes.append(pretty_midi.Note(80, pitch, bar * 4 * beat, (bar + 1) * 4 * beat))
    pm.instruments.append(inst)
    pm.write(str(path))


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """Four MIDI pieces whose tempo, key and instruments are known by construction."""
    folder = tmp_path_factory.mktemp("music")
    fast_major(folder / "fast_flute_D.mid", tonic=2, seed=0)  # 160 BPM, D major
    fast_major(folder / "fast_piano_G.mid", tonic=7, seed=1)
    slow_minor(folder / "slow_violin_A.mid", tonic=9, seed=0)  # 56 BPM, A minor
    slow_minor(folder / "slow_strings_E.mid", tonic=4, seed=1)
    # the melody's instrument: flute (73), piano (0), violin (40), string ensemble (48)
    import pretty_midi

    for name, program in (("fast_flute_D", 73), ("slow_violin_A", 40),
                          ("slow_strings_E", 48)):
        path = folder / f"{name}.mid"
        pm = pretty_midi.PrettyMIDI(str(path))
        pm.instruments[0].program = program
        pm.write(str(path))
    write_abc(folder / "two_tunes.abc")
    triads(folder / "organ_Eb_major.mid", 3, minor=False)
    triads(folder / "organ_Bb_minor.mid", 10, minor=True)
    ix = LibraryIndex(tmp_path_factory.mktemp("ix") / "lib.sqlite")
    ix.add_folder(folder, workers=1)
    yield ix
    ix.close()


def _names(hits):
    return sorted(h.entry.title for h in hits)


def test_tempo_range_narrows_the_results(index):
    everything = browse(index, BrowseQuery())
    assert len(everything) == 8  # six MIDI files and the two tunes of the ABC file
    # the jig is marked Q:3/8=120, i.e. 180 quarter notes a minute; the air Q:1/4=60
    fast = browse(index, BrowseQuery(tempo_min=120))
    assert _names(fast) == ["Test Jig (two_tunes #1)", "fast_flute_D", "fast_piano_G"]
    slow = browse(index, BrowseQuery(tempo_min=40, tempo_max=80))
    assert _names(slow) == ["Test Air (two_tunes #2)", "slow_strings_E", "slow_violin_A"]
    assert all(40 <= h.entry.tempo <= 80 for h in slow)


def test_key_mode_and_instrument_family(index):
    assert _names(browse(index, BrowseQuery(key="Eb"))) == ["organ_Eb_major"]
    assert _names(browse(index, BrowseQuery(key="a#", mode="minor"))) == ["organ_Bb_minor"]
    assert browse(index, BrowseQuery(key="Bb", mode="major")) == []
    assert _names(browse(index, BrowseQuery(instrument="organ"))) == ["organ_Bb_minor",
                                                                      "organ_Eb_major"]
    assert _names(browse(index, BrowseQuery(instrument="pipe"))) == ["fast_flute_D"]
    strings = browse(index, BrowseQuery(instrument="strings"))
    assert _names(strings) == ["slow_violin_A"]  # violin is GM 40; 48 is an "ensemble"
    assert _names(browse(index, BrowseQuery(instrument="ensemble"))) == ["slow_strings_E"]
    # every generated piece has its bass on GM 32; the ABC tunes name no instrument
    assert len(browse(index, BrowseQuery(instrument="bass"))) == 4
    abc = [h for h in browse(index, BrowseQuery(text="jig"))]
    assert abc and all(families(h.entry) == [] for h in abc)


def test_text_and_mood(index):
    assert _names(browse(index, BrowseQuery(text="SLOW"))) == ["slow_strings_E",
                                                                "slow_violin_A"]
    assert _names(browse(index, BrowseQuery(text="slow violin"))) == ["slow_violin_A"]
    assert _names(browse(index, BrowseQuery(text="flute"))) == ["fast_flute_D"]  # instrument
    happy = browse(index, BrowseQuery(valence=0.7, arousal=0.7))
    sad = browse(index, BrowseQuery(valence=-0.6, arousal=-0.6))
    assert happy[0].entry.title.startswith("fast")
    assert sad[0].entry.tempo < 80 and sad[0].entry.mode == "minor"  # a slow minor piece
    scores = [h.score for h in happy]
    assert scores == sorted(scores, reverse=True)
    for mood in ("excited", "tense", "calm", "sad"):
        for hit in browse(index, BrowseQuery(mood=mood)):
            assert hit.quadrant == mood
            assert (hit.entry.valence >= 0) == (mood in ("excited", "calm"))
            assert (hit.entry.arousal >= 0) == (mood in ("excited", "tense"))


def test_bad_queries_are_refused_in_words(index):
    for query, words in ((BrowseQuery(mood="gloomy"), "unknown mood"),
                         (BrowseQuery(key="H"), "unknown key"),
                         (BrowseQuery(tempo_min=-5), "tempo min"),
                         (BrowseQuery(valence=0.5), "both valence and arousal"),
                         (BrowseQuery(instrument="kazoo"), "unknown instrumentation")):
        with pytest.raises(ScorerError, match=words):
            browse(index, query)


def _cue():
    return Cue("1M1", 0.0, 12.0, valence=0.7, arousal=0.7, tempo=150, tempo_range=(130, 170),
               key="D", mode="major", register=72)


def test_a_chosen_piece_is_adapted_like_a_suggestion(index, tmp_path):
    cue = _cue()
    pick = browse(index, BrowseQuery(text="fast_piano"))[0].entry
    chosen = suggestion_for_entry(cue, pick.id, index, tmp_path / "picked")
    assert chosen.id == f"1M1-lib-{pick.id}" and chosen.cue == "1M1"
    assert chosen.source == "library" and chosen.params["picked"]
    assert chosen.path and (tmp_path / "picked").exists()
    assert chosen.explanation.startswith("chosen from the library")
    # the suggest pipeline, given the same piece, delivers the same adapted music and score
    ranked = suggest_cue(cue, index, tmp_path / "suggested", n=6, with_generated=False)
    same = next(s for s in ranked if s.params["entry"] == pick.id)
    assert chosen.score == same.score
    assert chosen.params["adapted"] == same.params["adapted"]
    assert chosen.params["delivered"] == same.params["delivered"]
    with pytest.raises(ScorerError, match="not in the music library"):
        suggestion_for_entry(cue, 99_999, index, tmp_path / "picked")


def test_use_suggestion_chooses_the_piece_and_replaces_a_copy():
    project = Project(cues=[Cue("1M1", 0.0, 12.0), Cue("1M2", 12.0, 20.0, locked=True)],
                      suggestions=[Suggestion("1M1-lib-3", "1M1", "library", "old", "a.mid")])
    new = Suggestion("1M1-lib-3", "1M1", "library", "Piece", "b.mid", 0.8)
    assert edit.use_suggestion(project, "1M1", new) == []
    assert project.cue("1M1").choice == "1M1-lib-3"
    assert [s.path for s in project.suggestions] == ["b.mid"]
    with pytest.raises(ScorerError, match="adapted for cue 1M1, not cue 1M2"):
        edit.use_suggestion(project, "1M2", new)
    with pytest.raises(ScorerError, match="no music file"):
        edit.use_suggestion(project, "1M1", Suggestion("x", "1M1", "library", "Empty"))
    locked = Suggestion("1M2-lib-4", "1M2", "library", "Other", "c.mid")
    edit.use_suggestion(project, "1M2", locked)
    assert project.cue("1M2").locked and project.cue("1M2").choice == "1M2-lib-4"


def test_a_score_is_previewed_as_midi(index, tmp_path):
    import pretty_midi

    tune = browse(index, BrowseQuery(text="jig"))[0].entry
    path = playable_file(tune, tmp_path)
    assert path.suffix == ".mid" and pretty_midi.PrettyMIDI(str(path)).instruments
    midi = browse(index, BrowseQuery(text="fast_flute"))[0].entry
    assert playable_file(midi, tmp_path) == __import__("pathlib").Path(midi.path)


def test_a_new_extractor_reads_the_default_library_again(tmp_path):
    """Pieces indexed before the extractor knew MIDI programs get them on the next add."""
    path = tmp_path / "lib.sqlite"
    with LibraryIndex(path) as ix:
        ix.set_meta("default_library", "1:all")
        ix.set_meta("extractor", "an older extractor")
    with LibraryIndex(path) as ix:
        assert ix.meta("default_library") == ""  # ensure_default will add it again
        assert ix.meta("extractor") != "an older extractor"


def test_parts_named_but_without_a_program_are_read_by_name(tmp_path):
    """A chorale names its parts (Soprano...) but gives no MIDI program: it is a voice piece."""
    from music21 import note, stream

    score = stream.Score()
    for name, pitch in (("Soprano", "C5"), ("Violoncello", "C3"), ("Zither XYZ", "E4")):
        part = stream.Part()
        part.partName = name
        for _ in range(8):
            part.append(note.Note(pitch, quarterLength=1))
        score.insert(0, part)
    folder = tmp_path / "scores"
    folder.mkdir()
    score.write("musicxml", fp=str(folder / "chorale.musicxml"))
    with LibraryIndex(tmp_path / "lib.sqlite") as ix:
        ix.add_folder(folder, workers=1)
        (entry,) = ix.entries()
    assert families(entry) == ["strings", "voice"]  # the zither's name is unknown: left out
