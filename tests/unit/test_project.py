import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scorer import project as project_io
from scorer.errors import ProjectError
from scorer.project import Cue, MediaInfo, Project, Suggestion, TranscriptSegment, Word
from scorer.track import Track


def _sample_project() -> Project:
    track = Track("faces", [0.0, 0.25, 0.5], [0.1, -0.2, 0.3], [0.5, 0.6, 0.7], [1, 0.5, 0],
                  labels=("happy", "sad"), probs=[[0.7, 0.3], [0.4, 0.6], [0.5, 0.5]],
                  features={"count": [1, 1, 0]})
    return Project(
        title="Le café — été",
        media=MediaInfo(path="/clips/café.mp4", fps="30000/1001", duration="36", width=640,
                        height=360, has_video=True, has_audio=True),
        settings={"content_type": "drama"},
        shots=[10.0, 20.0],
        tracks={"faces": track},
        transcript=[TranscriptSegment(1.0, 2.5, "hello there",
                                      [Word("hello", 1.0, 1.4), Word("there", 1.5, 2.5)])],
        fused=track,
        cues=[Cue("1M1", 0.0, 10.0, 0.5, 0.2, tempo=96, programs={"melody": 73},
                  dynamics=[(0.0, 0.4), (10.0, 0.6)], ducking=[(1.0, 2.5)])],
        suggestions=[Suggestion("s1", "1M1", "generated", "Folk in C", params={"seed": 3})],
    )


def test_round_trip_keeps_everything(tmp_path):
    original = _sample_project()
    path = tmp_path / "p.scorer.json"
    project_io.save(original, path)
    loaded = project_io.load(path)
    assert project_io.dumps(loaded) == project_io.dumps(original)
    assert loaded.cues[0].dynamics == [(0.0, 0.4), (10.0, 0.6)]
    np.testing.assert_allclose(loaded.tracks["faces"].probs, [[0.7, 0.3], [0.4, 0.6], [0.5, 0.5]])
    assert loaded.title == "Le café — été"


def test_upgrade_from_version_1(tmp_path):
    v1 = {"schema_version": 1, "title": "old", "cuts": [1.5, 3.0], "tracks": {}, "cues": []}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(v1))
    loaded = project_io.load(path)
    assert loaded.shots == [1.5, 3.0]
    assert loaded.schema_version == project_io.SCHEMA_VERSION


@pytest.mark.parametrize(("content", "message"), [
    (b"", "not valid JSON"),
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "top level"),
    (b'{"title": "x"}', "schema_version"),
    (b'{"schema_version": 99}', "newer Scorer"),
    (b'{"schema_version": 2, "cues": [{"number": "1M1", "start": 5, "end": 1}]}', "ends"),
    (b'{"schema_version": 2, "cues": [{"number": "1M1", "start": 0, "end": 1, "bogus": 1}]}',
     "unknown fields"),
    (b'{"schema_version": 2, "tracks": {"a": {"name": "a", "times": [0, 1], "valence": [0],'
     b' "arousal": [0, 0], "confidence": [1, 1]}}}', "valence has 1"),
    (b"\xff\xfe\x00binary", "UTF-8"),
])
def test_invalid_documents_get_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.scorer.json"
    path.write_bytes(content)
    with pytest.raises(ProjectError, match=message) as info:
        project_io.load(path)
    assert str(path) in str(info.value)


def test_missing_and_folder(tmp_path):
    with pytest.raises(ProjectError, match="not found"):
        project_io.load(tmp_path / "nope.json")
    with pytest.raises(ProjectError, match="folder"):
        project_io.load(tmp_path)


def test_atomic_save_keeps_old_file_when_write_fails(tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    project_io.save(_sample_project(), path)
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(ProjectError, match="No space left"):
        project_io.save(Project(title="new"), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]  # no temp file left


def test_unwritable_target_folder(tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    with pytest.raises(ProjectError, match="cannot save"):
        project_io.save(Project(), not_a_folder / "p.json")


def test_autosave_and_recovery(tmp_path):
    path = tmp_path / "p.json"
    project_io.save(_sample_project(), path)
    assert project_io.recovery_candidate(path) is None
    edited = _sample_project()
    edited.title = "edited, not saved"
    auto = project_io.autosave(edited, path)
    os.utime(auto, (path.stat().st_mtime + 5,) * 2)
    assert project_io.recovery_candidate(path) == auto
    assert project_io.load(auto).title == "edited, not saved"
    project_io.save(edited, path)  # a real save drops the autosave
    assert not auto.exists()


def test_no_pickle_in_core():
    import pathlib

    root = pathlib.Path(project_io.__file__).parent
    offenders = [p for p in root.rglob("*.py") if "import pickle" in p.read_text()]
    assert offenders == []


def test_import_scorer_loads_no_qt():
    code = ("import sys, scorer, scorer.cli, scorer.pipeline, scorer.project, scorer.media; "
            "import pkgutil, importlib\n"
            "for m in pkgutil.walk_packages(scorer.__path__, 'scorer.'):\n"
            "    importlib.import_module(m.name)\n"
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'torch'))]\n"
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_saved_file_has_normal_permissions(tmp_path):
    path = tmp_path / "p.json"
    project_io.save(Project(), path)
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


def test_saved_project_carries_its_music_and_survives_a_move(tmp_path):
    import shutil

    from scorer.project import music_folder

    elsewhere = tmp_path / "hidden" / "untitled_music"
    elsewhere.mkdir(parents=True)
    (elsewhere / "1M1_generated_0.mid").write_bytes(b"MThd-fake")
    project = Project(title="p", cues=[Cue("1M1", 0.0, 4.0)], suggestions=[
        Suggestion("g", "1M1", "generated", "Take", path=str(elsewhere / "1M1_generated_0.mid")),
        Suggestion("m", "1M1", "library", "Missing", path=str(tmp_path / "gone.mid"))])
    target = tmp_path / "work" / "film.scorer.json"
    target.parent.mkdir()
    project_io.save(project, target)
    copied = music_folder(target) / "1M1_generated_0.mid"
    assert copied.read_bytes() == b"MThd-fake"
    raw = target.read_text()
    assert '"film_music/1M1_generated_0.mid"' in raw  # stored relative to the project
    assert str(tmp_path / "gone.mid") in raw  # a file that was not found keeps its path
    moved = tmp_path / "moved"
    shutil.move(str(target.parent), str(moved))
    back = project_io.load(moved / "film.scorer.json")
    assert Path(back.suggestions[0].path) == moved / "film_music" / "1M1_generated_0.mid"
    assert Path(back.suggestions[0].path).is_file()
