"""An editor's session in a real window (X11, under Xvfb): open, play, audition, seek, quit.

Run by ``tests/gui/test_real_window.py`` once per test run, and by hand for the soak figure:

    xvfb-run -a .venv/bin/python tests/gui/realwindow_session.py --runs 20

Each run is its own process (a crash ends the process, so crashes can be counted): it writes
a 24 s two-scene clip and a saved project with a generated suggestion per cue, opens the
project in Scorer's window, presses Space and lets the picture play 10 s, auditions the first
cue's suggestion for 10 s (Ctrl+Space), seeks, stops, and quits. ``--screenshots DIR`` saves
what the window showed at each step. The summary line counts runs, crashes and failures.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))


def _wait(app, seconds: float, until=None) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        if until is not None and until():
            return True
        time.sleep(0.01)
    return until is None


def _make_project(folder: Path) -> Path:
    import numpy as np
    from conftest import write_clip

    from scorer import media
    from scorer import project as projectio
    from scorer.affect.cues import plan_project_cues
    from scorer.music.library.suggest import generated_suggestion
    from scorer.project import Project, music_folder
    from scorer.track import Track

    clip = write_clip(folder / "session.mp4", seconds=24.0, cut=12.0)
    times = np.arange(0.5, 24.0, 1.0)
    bright = times < 12
    fused = Track("fused", times, np.where(bright, 0.5, -0.4), np.where(bright, 0.6, -0.5),
                  np.full(len(times), 0.8))
    project = Project(title="session", media=media.probe(clip), shots=[12.0], fused=fused,
                      tracks={"lighting": fused})
    plan_project_cues(project)
    path = folder / "session.scorer.json"
    for cue in project.cues:
        project.suggestions.append(generated_suggestion(cue, music_folder(path), seed=1))
    projectio.save(project, path)
    return path


def child(shots: Path | None) -> int:
    """One session in this process; the exit status says how it went."""
    with tempfile.TemporaryDirectory(prefix="scorer-session-") as tmp:
        tmp = Path(tmp)
        os.environ["SCORER_SETTINGS_DIR"] = str(tmp / "settings")
        os.environ["SCORER_DATA_DIR"] = str(tmp / "data")
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        from ui.app import create_app, install_qt_logging

        install_qt_logging()
        app = create_app()
        from ui.mainwindow import MainWindow
        from ui.settings import Settings

        path = _make_project(tmp)
        settings = Settings()
        settings["library/use_default"] = False
        win = MainWindow(settings)
        win.resize(1280, 820)
        win.show()
        win.activateWindow()
        _wait(app, 1.0)
        win.open_project(path)
        player = win.player
        if not _wait(app, 20, lambda: player.player.duration() > 20_000):
            print("clip never loaded", file=sys.stderr)
            return 3

        def grab(name):
            if shots:
                win.grab().save(str(shots / f"{name}.png"))

        QTest.keyClick(win, Qt.Key.Key_Space)
        _wait(app, 10.0)
        played = player.position()
        grab("playing")
        QTest.keyClick(win, Qt.Key.Key_Space)
        if played < 5.0:
            print(f"playback did not advance (at {played:.2f} s after 10 s)", file=sys.stderr)
            return 4
        cue = win.doc.cues()[0]
        win.select_cue(cue.number)
        QTest.keyClick(win, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)
        if not _wait(app, 60, lambda: win.audition.active):
            print(f"audition never started: {win.status.text()}", file=sys.stderr)
            return 5
        _wait(app, 10.0)
        grab("audition")
        win.audition.stop()
        player.seek(3.0, user=True)
        _wait(app, 0.5)
        if abs(player.position() - 3.0) > 0.2:
            print(f"seek landed at {player.position():.2f} s", file=sys.stderr)
            return 6
        win.doc.undo_stack.setClean()
        win.close()
        _wait(app, 0.5)
        print(f"session ok: played to {played:.1f} s, auditioned {cue.number}")
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--screenshots", type=Path)
    parser.add_argument("--timeout", type=float, default=240.0)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.screenshots)
    if not os.environ.get("DISPLAY"):
        print("needs an X display: run under xvfb-run -a", file=sys.stderr)
        return 2
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)  # a real window: xcb on the X display
    crashes = failures = hangs = 0
    for i in range(args.runs):
        cmd = [sys.executable, __file__, "--child"]
        if args.screenshots:
            args.screenshots.mkdir(parents=True, exist_ok=True)
            cmd += ["--screenshots", str(args.screenshots)]
        try:
            done = subprocess.run(cmd, env=env, capture_output=True, text=True,
                                  timeout=args.timeout)
        except subprocess.TimeoutExpired:
            hangs += 1
            print(f"run {i + 1}: hung (over {args.timeout:.0f} s)")
            continue
        fatal = "Fatal Python error" in done.stderr or done.returncode < 0
        crashes += fatal
        failures += (not fatal) and done.returncode != 0
        status = "crash" if fatal else ("ok" if done.returncode == 0 else "failed")
        print(f"run {i + 1}: {status} (exit {done.returncode}) {done.stdout.strip()}")
        if done.returncode != 0:
            print(done.stderr[-3000:])
    print(f"{args.runs} runs: {crashes} crashes, {hangs} hangs, {failures} failures")
    return 0 if crashes == hangs == failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
