"""Faults: a killed analysis resumes from its autosave, a cancelled one leaves nothing, a
failed export or save keeps the previous file and says why.

The analysis tests run the real ``scorer analyze`` in a child process on a clip made from the
demo: a tiny, cheap picture and several minutes of the demo's speech, so the picture pass ends
(and the "video" autosave appears) long before the sound track's analysis does, whatever the
machine's load. That is the window the faults are injected in.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scorer import project as project_io
from scorer.errors import ExportError, ProjectError
from scorer.fileio import is_temp_name

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "resources" / "demo.mp4"


def _scorer(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "scorer.cli", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(
                f"analysis ended (exit {proc.returncode}) before {path.name} "
                f"appeared:\n{out}\n{err}"
            )
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"{path.name} did not appear in {timeout} s")
        time.sleep(0.05)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.slow
def test_killed_analysis_resumes_from_autosave(tmp_path, long_speech_clip):
    out = tmp_path / "demo.scorer.json"
    auto = project_io.autosave_path(out)
    proc = _scorer("analyze", str(long_speech_clip), "-o", str(out))
    _wait_for(auto, proc)
    proc.send_signal(signal.SIGKILL)  # no handler runs: this is a crash or a power cut
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "analysis was already over: no fault injected"
    assert not out.exists()
    saved = project_io.load(auto)  # the autosave is a whole, valid project
    assert saved.settings["analysis_done"] == ["video"]
    assert "lighting" in saved.tracks and saved.shots

    # without --resume the user is told what happened, and nothing is touched
    refused = _scorer("analyze", str(long_speech_clip), "-o", str(out))
    _, err = refused.communicate(timeout=120)
    assert refused.returncode == 2 and "--resume" in err and "Traceback" not in err
    assert auto.exists()

    resumed = _scorer("analyze", str(long_speech_clip), "-o", str(out), "--resume")
    stdout, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err
    assert "resuming" in stdout and "done: video" in stdout
    project = project_io.load(out)
    assert project.settings["analysis_done"] == ["audio", "video"]
    assert project.shots == saved.shots  # the picture was not analysed again
    assert set(saved.tracks) < set(project.tracks)  # the sound track's tracks were added
    assert project.cues and project.fused is not None
    assert _leftovers(tmp_path) == [out.name]  # no autosave, no temp file


def test_cancelled_analysis_leaves_nothing(tmp_path, long_speech_clip):
    out = tmp_path / "demo.scorer.json"
    proc = _scorer("analyze", str(long_speech_clip), "-o", str(out))
    _wait_for(project_io.autosave_path(out), proc)  # cancel mid-way, after an autosave
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "cancelled" in err and "Traceback" not in err
    assert _leftovers(tmp_path) == []


# What an editor must read for each fault: the cause in plain words and what to do.
_FAULT_WORDS = {
    errno.ENOSPC: ("disk is full", "free some space"),
    errno.EROFS: ("read-only", "writable folder"),
}


def _says_why(message: str, code: int) -> bool:
    return all(words in message for words in _FAULT_WORDS[code])


def _fail_replace(monkeypatch, code: int):
    real = os.replace

    def replace(src, dst, *args, **kwargs):
        if is_temp_name(Path(src).name):
            raise OSError(code, os.strerror(code), str(dst))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_failed_project_save_keeps_previous_file(tmp_path, monkeypatch, code):
    path = tmp_path / "film.scorer.json"
    project = project_io.Project(title="Before", shots=[1.0])
    project_io.save(project, path)
    before = path.read_bytes()
    project.title = "After"
    _fail_replace(monkeypatch, code)
    with pytest.raises(ProjectError) as info:
        project_io.save(project, path)
    assert _says_why(str(info.value), code) and path.name in str(info.value)
    assert path.read_bytes() == before
    assert _leftovers(tmp_path) == [path.name]


def _export_project(folder: Path):
    from tests.unit.test_export_formats import make_project

    return make_project(folder, "25")


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_failed_export_keeps_previous_files(tmp_path, monkeypatch, code):
    from scorer.export import export_project

    project, path, _ = _export_project(tmp_path / "proj")
    out = tmp_path / "out"
    export_project(project, path, "midi,cuesheet,srt", out)
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    project.cues[0].valence, project.cues[0].arousal = 0.9, -0.9
    _fail_replace(monkeypatch, code)
    with pytest.raises(ExportError) as info:
        export_project(project, path, "midi,cuesheet,srt", out, force=True)
    assert _says_why(str(info.value), code)
    after = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before  # same files, same bytes, no temp files


def test_export_into_impossible_folder_says_why(tmp_path):
    """Tests run as root, so a read-only folder is simulated by a path under a file."""
    from scorer.export import export_project

    project, path, _ = _export_project(tmp_path / "proj")
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the export folder would go")
    with pytest.raises(ExportError) as info:
        export_project(project, path, "midi", blocker / "out")
    assert "not_a_folder" in str(info.value)
    assert blocker.read_text().startswith("a file")
    proc = _scorer("export", str(path), "-o", str(blocker / "out"), "--formats", "midi")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "error:" in err and "Traceback" not in err, err
