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
