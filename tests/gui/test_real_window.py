"""Playback and audition in a real X11 window (Xvfb), not only offscreen.

The crash this guards against (PySide6 6.12.0 on Python 3.11 corrupting None's reference
count while the timeline paints) only showed in a real window during playback. The session
runs in its own process, so a crash or a hang fails this test instead of killing the suite.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SESSION = Path(__file__).with_name("realwindow_session.py")


@pytest.fixture
def xvfb_display():
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is not installed; scripts/setup.sh installs the xvfb package")
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1600x1000x24",
                               "-nolisten", "tcp"], pass_fds=(write,),
                              stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    assert number, "Xvfb did not report a display"
    yield f":{number}"
    server.terminate()
    server.wait(timeout=10)


def test_open_play_audition_seek_quit_in_a_real_window(xvfb_display, tmp_path):
    env = dict(os.environ, DISPLAY=xvfb_display)
    env.pop("QT_QPA_PLATFORM", None)
    done = subprocess.run([sys.executable, str(SESSION), "--runs", "1", "--timeout", "400"],
                          env=env, capture_output=True, text=True, timeout=450)
    assert "Fatal Python error" not in done.stdout + done.stderr
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "1 runs: 0 crashes, 0 hangs, 0 failures" in done.stdout
