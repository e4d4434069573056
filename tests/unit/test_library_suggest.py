"""Suggestions per cue (adapted files beside the project), generated music ranked in, CLI."""

from __future__ import annotations

import pretty_midi
import pytest
from test_library_fixtures import fast_major, slow_minor, write_tune

from scorer import cli
from scorer import project as project_io
from scorer.music.library.adapt import transposition
from scorer.music.library.index import LibraryIndex
from scorer.music.library.suggest import music_folder, suggest_for_cue, suggest_project
from scorer.project import Cue, Project, Suggestion


@pytest.fixture
def library(tmp_path):
    d = tmp_path / "music"
    d.mkdir()
    for i in range(3):
        fast_major(d / f"fast_{i}.mid", tonic=2 * i, seed=i)
        slow_minor(d / f"slow_{i}.mid", tonic=(9 + 2 * i) % 12, seed=i)
    return d


def _project():
    return Project(title="demo", cues=[
        Cue("1M1", 0.0, 12.0, valence=0.7, arousal=0.7, tempo=150, tempo_range=(130, 170),
            key="D", mode="major", register=72, programs={"melody": 73, "bass": 33}),
        Cue("1M2", 12.0, 60.0, valence=-0.6, arousal=-0.6, tempo=60, tempo_range=(50, 70),
            key="E", mode="minor", register=60),
        Cue("1M3", 60.0, 70.0, locked=True, choice="keep"),
    ], suggestions=[Suggestion("keep", "1M3", "library", "kept piece")])


def test_suggest_for_cue_ranks_by_the_cue(library, tmp_path):
    with LibraryIndex(tmp_path / "lib.sqlite") as ix:
        ix.add_folder(library, workers=1)
        happy = suggest_for_cue(_project().cues[0], ix, n=3)
        sad = suggest_for_cue(_project().cues[1], ix, n=3)
    assert happy[0].title.startswith("fast") and sad[0].title.startswith("slow")
    assert all(s.source == "library" and s.explanation and not s.path for s in happy)
    tonic = happy[0].params["key"].split()[0]
    assert happy[0].params["transpose"] == transposition(tonic, "D")
    assert abs(happy[0].params["tempo_to"] - 150) <= 20  # inside the cue's tempo range


def test_suggest_project_writes_adapted_files_and_keeps_locked_cues(library, tmp_path,
                                                                     monkeypatch):
    import scorer.music.generate as generate

    class Fake:
        style, seed = "test", 0

        def __init__(self, cue, seed):
            self.cue, self.seed = cue, seed

        def save(self, path):
            return write_tune(path, 2, False, self.cue.tempo, 0.5, 72, 100, 0.5, bars=4,
                              seed=self.seed)

    monkeypatch.setattr(generate, "generate_for_cue",
                        lambda cue, style=None, seed=0, temperature=1.0, **_: Fake(cue, seed))
    project = _project()
    path = tmp_path / "demo.scorer.json"
    stages = []
    with LibraryIndex(tmp_path / "lib.sqlite") as ix:
        ix.add_folder(library, workers=1)
        suggest_project(project, path, n=2, progress=lambda s, f: stages.append(s),
                        index=ix, use_default=False)
    folder = music_folder(path)
    assert folder == tmp_path / "demo_music"
    by_cue = {c.number: [s for s in project.suggestions if s.cue == c.number]
              for c in project.cues}
    assert [s.id for s in by_cue["1M3"]] == ["keep"]
    for number, length in (("1M1", 12.0), ("1M2", 48.0)):
        sugs = by_cue[number]
        assert {s.source for s in sugs} == {"library", "generated"}
        assert [s.score for s in sugs] == sorted((s.score for s in sugs), reverse=True)
        for s in sugs:
            assert s.path.startswith(str(folder))
            if s.source == "library":
                pm = pretty_midi.PrettyMIDI(s.path)
                assert pm.get_end_time() == pytest.approx(length, abs=0.05)
    lib = [s for s in by_cue["1M1"] if s.source == "library"][0]
    programs = {i.program for i in pretty_midi.PrettyMIDI(lib.path).instruments}
    assert programs == {73, 33}
    assert "suggest" in stages


def test_cli_library_add_list_and_suggest(library, tmp_path, capsys):
    db = str(tmp_path / "cli.sqlite")
    (library / "bad.mid").write_bytes(b"nonsense")
    assert cli.main(["library", "add", str(library), "--index", db]) == 0
    out = capsys.readouterr().out
    assert "6 added" in out and "unreadable" in out and "bad.mid" in out
    assert cli.main(["library", "list", "--index", db, "--pieces"]) == 0
    assert "fast_0" in capsys.readouterr().out
    path = tmp_path / "p.scorer.json"
    project_io.save(_project(), path)
    assert cli.main(["suggest", str(path), "-n", "2", "--index", db, "--no-default",
                     "--no-generated", "--explain"]) == 0
    out = capsys.readouterr().out
    assert "1M1" in out and "score" in out
    saved = project_io.load(path)
    assert len([s for s in saved.suggestions if s.cue == "1M1"]) == 2
    assert cli.main(["library", "remove", str(library), "--index", db]) == 0
    assert "6 pieces" in capsys.readouterr().out
    assert cli.main(["library", "remove", str(library), "--index", db]) == 2


@pytest.mark.slow
def test_audio_piece_is_adapted_to_a_wav_of_the_cue_length(tmp_path):
    import soundfile
    from test_library_fixtures import write_wav

    d = tmp_path / "audio"
    d.mkdir()
    write_wav(d / "arp.wav", seconds=6.0, bpm=120)
    project = Project(title="a", cues=[Cue("1M1", 0.0, 9.0, valence=0.5, arousal=0.2,
                                           tempo=126, tempo_range=(110, 140), key="D")])
    with LibraryIndex(tmp_path / "lib.sqlite") as ix:
        ix.add_folder(d, workers=1)
        (sug,) = suggest_project(project, tmp_path / "a.scorer.json", n=1,
                                 with_generated=False, index=ix, use_default=False)
    assert sug.path.endswith(".wav") and sug.params["adapted"]["semitones"] == 2
    y, sr = soundfile.read(sug.path)
    assert len(y) == int(9.0 * sr)


def test_generated_takes_try_every_style_and_keep_the_closest_delivered(tmp_path):
    """Without an editor's style each installed melody style gets a take; the files decide."""
    import math

    from scorer.music import melody
    from scorer.music.library.suggest import _generated, score_file

    styles = melody.available_styles()
    if len(styles) < 2:
        pytest.skip("fewer than two melody models installed")
    cue = Cue("1M1", 0.0, 12.0, valence=-0.05, arousal=-0.25, tempo=96.0, key="A",
              mode="minor", instrumentation="strings")
    kept = _generated(cue, tmp_path / "auto", 1)
    written = sorted((tmp_path / "auto").glob("*.mid"))
    assert len(written) == len(styles)  # one take per style was made and measured

    def distance(path):
        rec, _ = score_file(cue, path)
        return math.hypot(rec["valence"] - cue.valence, rec["arousal"] - cue.arousal)

    # the kept take is the best-scored file (score: V/A fit, tempo, length), and no take fits
    # the cue's emotion much better than it
    assert len(kept) == 1
    assert distance(kept[0].path) <= min(distance(p) for p in written) + 0.15
    # an editor's style is kept: every take is in it
    cue.style = styles[-1]
    chosen = _generated(cue, tmp_path / "chosen", 2)
    assert [s.params["style"] for s in chosen] == [styles[-1]] * 2
