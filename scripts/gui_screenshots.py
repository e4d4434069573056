"""Take the documentation's screenshots from a real window (run under Xvfb, on purpose).

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/gui_screenshots.py \
        ../shared/data/video/sintel_trailer_480p.mp4 docs/screenshots

Analyses the clip in Scorer's window (music from the default library), saves the analysed
window, retargets the second cue (its music is found again), saves that, exports, and saves
the export result. Tests never write these files: they are written only by this script.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def unattended_app():
    """Create Scorer's QApplication for a script that no one answers.

    Nothing may wait for an answer: a recovery offer (an earlier run's autosave of the clip) or
    "save changes?" is answered No.
    """
    from PySide6.QtWidgets import QMessageBox

    from ui.app import create_app, install_qt_logging

    install_qt_logging()
    app = create_app()
    QMessageBox.question = staticmethod(lambda *a, **k: QMessageBox.StandardButton.No)
    return app


def process_events(app, seconds: float, until=None) -> bool:
    """Run the event loop up to ``seconds``; return early (True) once ``until()`` holds."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        if until is not None and until():
            return True
        time.sleep(0.02)
    return until is None


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    clip, out = Path(argv[0]).resolve(), Path(argv[1]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SCORER_SETTINGS_DIR", tempfile.mkdtemp(prefix="scorer-shots-"))
    app = unattended_app()
    from ui.mainwindow import MainWindow
    from ui.settings import Settings
    from ui.thread import running_tasks

    def wait(seconds: float, until=None) -> bool:
        return process_events(app, seconds, until)

    def idle() -> bool:
        return win.analysis_task is None and not running_tasks()

    win = MainWindow(Settings())
    win.resize(1400, 900)
    win.show()
    wait(1.0)
    win.analyze_video(clip)
    if not wait(1800, lambda: idle() and win.doc.project is not None
                and win.doc.project.suggestions):
        print(f"analysis did not finish: {win.status.text()}", file=sys.stderr)
        return 1
    cues = win.doc.cues()
    win.select_cue(cues[min(1, len(cues) - 1)].number)
    wait(1.0)
    win.grab().save(str(out / "main-window.png"))  # the README shows it
    number = cues[min(1, len(cues) - 1)].number
    win.retarget_cue(number, -0.6, 0.7)
    wait(1.0)
    if not wait(900, lambda: idle() and win.doc.suggestions_for(number)):
        print(f"no new music after the retarget: {win.status.text()}", file=sys.stderr)
        return 1
    win.select_cue(number)
    wait(1.0)
    win.grab().save(str(out / "retargeted-cue.png"))
    with tempfile.TemporaryDirectory() as export_dir:
        win.export(["midi", "cuesheet", "edl", "otio", "srt", "wav"], Path(export_dir),
                   force=True)
        wait(900, lambda: idle() and win.exporter.result_box is not None)
        wait(1.0)
        box = win.exporter.result_box
        if box is None:
            print(f"export failed: {win.status.text()}", file=sys.stderr)
            return 1
        box.grab().save(str(out / "export-result.png"))
        box.close()
    win.doc.undo_stack.setClean()
    win.close()
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
