"""Signals during long commands: SIGINT and SIGTERM cancel cleanly (exit 130, no traceback,
nothing half-written, the previous files kept, no temp files left); SIGKILL leaves only temp
files that the next run removes (see tests/unit/test_fileio.py)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scorer import project as project_io

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "unit"))


def _start(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "scorer.cli", *map(str, args)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _signal_when(proc: subprocess.Popen, ready, sig: int, settle: float = 1.0) -> str:
    deadline = time.monotonic() + 120
    while not ready():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the command ended or stalled before it started working: "
                        f"{proc.communicate()}")
        time.sleep(0.05)
    time.sleep(settle)
    assert proc.poll() is None, "the work ended before the signal: make it longer"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert "Traceback" not in err, err
    return err


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_during_library_add(tmp_path, sig):
    """Indexing 400 MIDI files in one process takes well over the second before the signal."""
    from test_library_robust import midi_with_tempo

    folder = tmp_path / "music"
    folder.mkdir()
    for i in range(400):
        (folder / f"t{i:03d}.mid").write_bytes(midi_with_tempo(400000 + 1000 * i, bars=16))
    index = tmp_path / "lib.sqlite"
    proc = _start("library", "add", folder, "--index", index, "--workers", "1")
    err = _signal_when(proc, index.exists, sig)
    assert proc.returncode == 130 and "cancelled" in err
    from scorer.music.library.index import LibraryIndex

    with LibraryIndex(index) as ix:  # one transaction: nothing half-indexed
        assert len(ix) == 0


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_during_export_keeps_previous_files(tmp_path, sig):
    from test_export_formats import make_project

    project, path, _ = make_project(tmp_path / "proj", "25", video=True)
    project_io.save(project, path)
    out = tmp_path / "out"
    first = subprocess.run([sys.executable, "-m", "scorer.cli", "export", path, "--formats",
                            "srt", "-o", out], cwd=REPO, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    before = {name: (out / name).read_bytes() for name in _files(out)}
    proc = _start("export", path, "--formats", "all", "-o", out, "--force")
    err = _signal_when(proc, lambda: any(p.name.startswith(".") for p in out.rglob("*")), sig,
                       settle=0.2)
    assert proc.returncode == 130 and "cancelled" in err
    assert {name: (out / name).read_bytes() for name in _files(out)} == before


# ---------------------------------------------------------------- every other long command

SIGNALS = pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` with its bytes: what a cancel must leave as it found it."""
    return {name: (folder / name).read_bytes() for name in _files(folder)}


def _hidden(folder: Path, allowed: tuple[str, ...] = ()) -> list[str]:
    """Hidden files left below ``folder`` (temp files, lock files), but the ``allowed`` names."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob(".*")
                  if p.is_file() and p.name not in allowed)


def _cancelled_cleanly(proc: subprocess.Popen, err: str) -> None:
    assert proc.returncode == 130, err
    assert "cancelled" in err and "Traceback" not in err


def _project_with_cues(path: Path, count: int, length: float) -> None:
    from scorer.project import Cue, MediaInfo, Project

    step = length + 10.0
    project = Project(title="Signals", media=MediaInfo(
        path="clip.mp4", fps="25", duration=str(step * count + 10), has_video=False,
        has_audio=False))
    project.cues = [Cue(f"1M{i + 1}", step * i, step * i + length,
                        valence=-0.6 if i % 2 else 0.5, arousal=0.4 - 0.2 * (i % 5),
                        tempo=80 + 5 * (i % 8), key="D", mode="minor" if i % 2 else "major")
                    for i in range(count)]
    project_io.save(project, path)


@pytest.mark.slow
@SIGNALS
def test_signal_during_analyze_keeps_previous_project(tmp_path, long_speech_clip, sig):
    """A re-analysis (--force) cancelled mid-way keeps the old project and leaves no autosave."""
    out = tmp_path / "film.scorer.json"
    project_io.save(project_io.Project(title="Before", shots=[1.0]), out)
    before = _snapshot(tmp_path)
    proc = _start("analyze", long_speech_clip, "-o", out, "--force")
    # the picture pass's autosave: the sound track's analysis is still minutes away from done
    err = _signal_when(proc, project_io.autosave_path(out).exists, sig, settle=0.2)
    _cancelled_cleanly(proc, err)
    assert _snapshot(tmp_path) == before  # same project bytes, no autosave, no temp or lock


@pytest.mark.slow
@SIGNALS
def test_signal_during_suggest_keeps_project_and_music(tmp_path, sig):
    """Suggest adapts 2n+4 library pieces per cue for 40 cues: tens of seconds of work.

    A file of an earlier run that this run rewrites (the cue's plan changed since) must come
    back as it was, and the files adapted before the signal must go: the project, which is
    not saved, would not know them.
    """
    from test_library_robust import midi_with_tempo

    library = tmp_path / "lib" / "music"
    library.mkdir(parents=True)
    for i in range(60):
        (library / f"t{i:03d}.mid").write_bytes(midi_with_tempo(400000 + 5000 * i, bars=16))
    index = tmp_path / "lib" / "lib.sqlite"
    added = subprocess.run([sys.executable, "-m", "scorer.cli", "library", "add", library,
                            "--index", index, "--workers", "1"], cwd=REPO,
                           capture_output=True, text=True)
    assert added.returncode == 0, added.stderr
    work = tmp_path / "proj"
    work.mkdir()
    path = work / "film.scorer.json"
    _project_with_cues(path, 40, 20.0)
    folder = project_io.music_folder(path)
    folder.mkdir()
    (folder / "1M1_generated_0.mid").write_bytes(midi_with_tempo(300000, bars=4))
    before = _snapshot(work)
    proc = _start("suggest", path, "--index", index, "--no-default")
    # a file of the second cue: the first cue's files (the earlier one included) are written
    err = _signal_when(proc, lambda: any(p.name.startswith("1M2_") for p in folder.rglob("*")),
                       sig, settle=0.5)
    _cancelled_cleanly(proc, err)
    assert _snapshot(work) == before


@pytest.mark.slow
@SIGNALS
def test_signal_during_score_keeps_project_and_music(tmp_path, sig):
    """Generation for 200 two-minute cues; an earlier take of the first cue is kept as it was."""
    from test_library_robust import midi_with_tempo

    path = tmp_path / "film.scorer.json"
    _project_with_cues(path, 200, 120.0)
    folder = project_io.music_folder(path)
    folder.mkdir()
    (folder / "1M1_generated_s0.mid").write_bytes(midi_with_tempo(300000, bars=4))
    before = _snapshot(tmp_path)
    proc = _start("score", path)
    err = _signal_when(proc, lambda: any(p.name.startswith("1M2_") for p in folder.rglob("*")),
                       sig, settle=0.5)
    _cancelled_cleanly(proc, err)
    assert _snapshot(tmp_path) == before


def _long_midi(path: Path, bars: int = 400) -> None:
    """Four instruments in quarter notes for ``bars`` bars at 120 BPM (800 s for 400)."""
    import mido

    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    mid.tracks.append(mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500000)]))
    for ch, program in enumerate((0, 48, 40, 73)):
        track = mido.MidiTrack([mido.Message("program_change", program=program, channel=ch)])
        for i in range(4 * bars):
            pitch = 48 + 12 * (ch % 2) + (0, 4, 7, 12, 7, 4)[i % 6]
            track.append(mido.Message("note_on", note=pitch, velocity=80, channel=ch, time=0))
            track.append(mido.Message("note_off", note=pitch, velocity=0, channel=ch,
                                      time=480))
        mid.tracks.append(track)
    mid.save(str(path))


@pytest.mark.slow
@SIGNALS
def test_signal_during_render_keeps_previous_wav(tmp_path, sig):
    """Rendering 13 minutes of music takes seconds; the WAV of the earlier render stays."""
    midi = tmp_path / "long.mid"
    _long_midi(midi)
    out = tmp_path / "long.wav"
    out.write_bytes(b"RIFF earlier render")
    before = _snapshot(tmp_path)
    from scorer.fileio import lock_path

    proc = _start("render", midi, "-o", out, "--force")
    # the render holds the WAV's write lock from before it starts synthesising
    err = _signal_when(proc, lock_path(out).exists, sig, settle=1.0)
    _cancelled_cleanly(proc, err)
    assert _snapshot(tmp_path) == before


@pytest.mark.slow
@SIGNALS
def test_signal_during_batch_keeps_finished_clips(tmp_path, sig):
    """Three clips: the signal comes while the second is being analysed.

    The first clip stays done (its state lists every step), the second is not marked done
    for any step it did not finish, the third never starts, and the report says so; the
    same command again skips the first clip and finishes the other two.
    """
    import json

    from scorer.batch import STATE_NAME, read_state
    from tests.fixtures.media import write_clip

    clips = tmp_path / "clips"
    clips.mkdir()
    for name in "abc":
        write_clip(clips / f"{name}.mp4", seconds=8, fps=12, size=(64, 36),
                   colors=((200, 40, 40), (40, 40, 200)))
    out = tmp_path / "out"
    proc = _start("batch", clips, "-o", out, "--transcriber", "none", "--no-default",
                  "--index", tmp_path / "lib.sqlite", "--formats", "srt")
    err = _signal_when(proc, (out / "b").exists, sig, settle=0.3)
    _cancelled_cleanly(proc, err)
    report = json.loads((out / "batch-report.json").read_text())
    assert report["cancelled"] is True
    assert [c["status"] for c in report["clips"]] == ["done", "cancelled", "not started"]
    assert set(read_state(out / "a")["done"]) == {"analyze", "suggest", "export"}
    assert (out / "a" / "export" / "a_music.srt").is_file()
    assert set(read_state(out / "b").get("done", [])) < {"analyze", "suggest", "export"}
    assert not (out / "c").exists()
    # the state files are the only hidden files: no temp file, no lock file is left
    assert _hidden(out, allowed=(STATE_NAME,)) == []
    first = _snapshot(out / "a")

    # the same command again resumes: the finished clip is skipped, the others are done
    again = subprocess.run([sys.executable, "-m", "scorer.cli", "batch", clips, "-o", out,
                            "--transcriber", "none", "--no-default", "--index",
                            tmp_path / "lib.sqlite", "--formats", "srt"], cwd=REPO,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    report = json.loads((out / "batch-report.json").read_text())
    assert [c["status"] for c in report["clips"]] == ["skipped", "done", "done"]
    assert _snapshot(out / "a") == first
    assert all(set(read_state(out / n)["done"]) == {"analyze", "suggest", "export"}
               for n in "bc")
    assert _hidden(out, allowed=(STATE_NAME,)) == []
