"""Start Scorer's window: ``scorer-gui [VIDEO_OR_PROJECT]``.

PySide6 is imported before anything that may import OpenCV: cv2 sets
``QT_QPA_PLATFORM_PLUGIN_PATH`` to its own Qt plugins on import, which breaks PySide6's
platform plugin, so that variable is dropped first.

Qt's messages go through Python logging (logger ``qt``), and FFmpeg's informational stream
dumps inside Qt Multimedia are switched off. A few messages that only describe the
machine's optional multimedia libraries (VA-API, PipeWire probes; no sound server; no GPU for
video conversion) are logged at INFO, since the app works without them; the status line says
when there is no audio device. Everything else keeps its level, so real Qt warnings still show.
"""

from __future__ import annotations

import os

os.environ.pop("QT_QPA_PLATFORM_PLUGIN_PATH", None)

import argparse  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from PySide6.QtCore import QLoggingCategory, QTimer, QtMsgType, qInstallMessageHandler  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

qt_log = logging.getLogger("qt")

# Messages about optional system libraries the multimedia backend probes for.
ENVIRONMENT_PROBES = (
    "Couldn't load pipewire", "Couldn't resolve pipewire", "Couldn't load va",
    "Couldn't resolve va", "pa_context_connect() failed", "No audio device detected",
    "No RHI backend. Using CPU conversion", "No HW decoder found",
)
ENVIRONMENT_CATEGORIES = ("qt.multimedia.symbolsresolver",)


def _qt_message(mode: QtMsgType, context, message: str) -> None:
    category = getattr(context, "category", "") or ""
    level = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
             QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
             QtMsgType.QtFatalMsg: logging.CRITICAL}.get(mode, logging.WARNING)
    if category in ENVIRONMENT_CATEGORIES or any(p in message for p in ENVIRONMENT_PROBES):
        level = min(level, logging.INFO)
    qt_log.log(level, "%s%s", f"{category}: " if category and category != "default" else "",
               message)


def install_qt_logging() -> None:
    """Route Qt's messages into Python logging (see the module docstring).

    FFmpeg's informational output inside Qt Multimedia (a stream dump for every file opened)
    is switched off; its warnings and errors still come through.
    """
    QLoggingCategory.setFilterRules("qt.multimedia.ffmpeg.*.info=false")
    qInstallMessageHandler(_qt_message)


def none_refcount_bug() -> bool:
    """True if this PySide6 build drops a reference to None on void Qt calls.

    PySide6 6.12.0 on Python 3.11 does (None is not immortal before 3.12): the app would abort
    with "none_dealloc" seconds into playback. Checked on a few calls of a cheap painter path.
    """
    if sys.version_info >= (3, 12):
        return False
    from PySide6.QtGui import QPainterPath

    path = QPainterPath()
    before = sys.getrefcount(None)
    for i in range(64):
        path.lineTo(i, i)
    return sys.getrefcount(None) < before - 32


def create_app(argv: list[str] | None = None) -> QApplication:
    """Return the QApplication (creating it with Scorer's names if needed)."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Scorer")
    app.setOrganizationName("Scorer")
    app.setApplicationDisplayName("Scorer")
    return app


def main(argv: list[str] | None = None) -> int:
    """Run the desktop application."""
    parser = argparse.ArgumentParser(prog="scorer-gui", description="Scorer's window")
    parser.add_argument("path", nargs="?", help="video to analyse or project to open")
    parser.add_argument("--quit-after", type=float, default=0.0, metavar="SECONDS",
                        help="close after this many seconds (for smoke tests)")
    parser.add_argument("--screenshot", metavar="PNG",
                        help="with --quit-after: save the window to this file before closing")
    parser.add_argument("-v", "--verbose", action="store_true", help="log INFO messages")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    install_qt_logging()
    if none_refcount_bug():
        import PySide6

        print(f"scorer-gui: PySide6 {PySide6.__version__} on Python "
              f"{sys.version_info.major}.{sys.version_info.minor} corrupts Python's None "
              "and would crash during playback; install a supported version: "
              "pip install 'PySide6<6.12' (or use Python 3.12+)", file=sys.stderr)
        return 2
    app = create_app()
    from ui.mainwindow import MainWindow  # after Qt: it imports the core (and maybe cv2)

    window = MainWindow()
    window.show()
    if not window.player.has_audio_device:
        window.say("No audio output device: playback and audition are silent.")
    if args.path:
        QTimer.singleShot(0, lambda: window.open_path(Path(args.path)))
    if args.quit_after > 0:
        def finish():
            if args.screenshot:
                window.grab().save(args.screenshot)
            window.close()

        QTimer.singleShot(int(args.quit_after * 1000), finish)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
