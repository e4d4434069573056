"""GUI test fixtures: headless Qt, a generated clip, isolated settings."""

from __future__ import annotations

import os

# Set before any Qt import: tests run without a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("QT_QPA_PLATFORM_PLUGIN_PATH", None)  # cv2 may point Qt at its own plugins

from fractions import Fraction  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402


def write_clip(path: Path, seconds: float = 4.0, fps: int = 25, size=(160, 96),
               cut: float | None = None) -> Path:
    """Write a small H.264/AAC MP4: a warm bright scene, a cut, a dark blue scene.

    The sound is a 440 Hz tone in the first scene and quieter noise in the second, so the
    analyzers have something different to say on each side of the cut.
    """
    import av

    cut = seconds / 2 if cut is None else cut
    w, h = size
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        vs.options = {"preset": "ultrafast", "g": "12"}
        sr = 44100
        aus = out.add_stream("aac", rate=sr)
        aus.layout = "mono"
        n_frames = int(round(seconds * fps))
        yy, xx = np.mgrid[0:h, 0:w]
        for i in range(n_frames):
            t = i / fps
            img = np.empty((h, w, 3), np.uint8)
            if t < cut:  # warm, bright, moving gradient
                img[..., 0] = 220
                img[..., 1] = (120 + 60 * np.sin(xx / 9 + i / 3)).astype(np.uint8)
                img[..., 2] = 40
            else:  # dark, cold, still
                img[..., 0] = 15
                img[..., 1] = 25
                img[..., 2] = (70 + yy // 4).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for packet in vs.encode(frame):
                out.mux(packet)
        for packet in vs.encode():
            out.mux(packet)
        t = np.arange(int(seconds * sr)) / sr
        sound = np.where(t < cut, 0.4 * np.sin(2 * np.pi * 440 * t),
                         0.08 * rng.standard_normal(len(t))).astype(np.float32)
        block = 1024
        for start in range(0, len(sound), block):
            chunk = sound[start:start + block][None, :]
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="flt",
                                               layout="mono")
            frame.sample_rate = sr
            frame.pts = start
            frame.time_base = Fraction(1, sr)
            for packet in aus.encode(frame):
                out.mux(packet)
        for packet in aus.encode():
            out.mux(packet)
    return path


@pytest.fixture(scope="session")
def clip(tmp_path_factory) -> Path:
    """A 12-second two-scene clip with a cut at 6 s and a sound track."""
    return write_clip(tmp_path_factory.mktemp("clip") / "two_scenes.mp4", seconds=12.0,
                      cut=6.0)


@pytest.fixture(autouse=True)
def isolated_qsettings(tmp_path, monkeypatch):
    """Keep QSettings (preferences, window state, recent files) out of the real home."""
    monkeypatch.setenv("SCORER_SETTINGS_DIR", str(tmp_path / "qsettings"))
    yield


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """Folder for screenshots a person can look at.

    A temporary folder by default: tests never rewrite tracked files. To refresh the
    documentation's pictures on purpose, run with ``SCORER_SCREENSHOTS=docs/screenshots``.
    """
    chosen = os.environ.get("SCORER_SCREENSHOTS")
    folder = Path(chosen).resolve() if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_library(folder: Path) -> Path:
    """A tiny music library: a bright fast MIDI piece and a slow dark one."""
    import mido

    folder.mkdir(parents=True, exist_ok=True)
    for name, notes, tempo, velocity in (("bright_march", (60, 64, 67, 72), 400000, 100),
                                         ("dark_lament", (57, 60, 64, 62), 1200000, 50)):
        mid = mido.MidiFile(ticks_per_beat=480)
        track = mido.MidiTrack()
        mid.tracks.append(track)
        track.append(mido.MetaMessage("set_tempo", tempo=tempo))
        for i in range(32):
            note = notes[i % 4]
            track.append(mido.Message("note_on", note=note, velocity=velocity, time=0))
            track.append(mido.Message("note_off", note=note, velocity=0, time=240))
        mid.save(str(folder / f"{name}.mid"))
    return folder


@pytest.fixture(scope="session")
def library(tmp_path_factory) -> Path:
    return write_library(tmp_path_factory.mktemp("library"))


@pytest.fixture
def window(qtbot, library, monkeypatch):
    """A shown main window; closed, with its threads joined, at the end.

    Preferences are isolated and kept quick: no speech transcription, and a two-piece music
    library instead of the bundled one (indexing the music21 corpus takes minutes).
    """
    from ui.app import create_app, install_qt_logging

    install_qt_logging()
    create_app()
    from PySide6.QtWidgets import QMessageBox

    from ui.mainwindow import MainWindow
    from ui.settings import Settings

    # A modal question would block the test: answer "No" (tests that need "Yes" patch again).
    monkeypatch.setattr(QMessageBox, "question",
                        staticmethod(lambda *a, **k: QMessageBox.StandardButton.No))
    settings = Settings()
    settings["analysis/transcriber"] = "none"
    settings["library/use_default"] = False
    settings["library/folders"] = [str(library)]
    win = MainWindow(settings)
    win.resize(1280, 820)
    win.show()
    qtbot.waitExposed(win)
    yield win
    # closed here, not by qtbot.addWidget (which closes before this teardown, while the
    # edits are still unsaved, and then deletes the window under its own close)
    win.doc.undo_stack.setClean()  # no "save changes?" question at teardown
    win.close()
    assert getattr(win, "_closed", False), "the window refused to close"
    win.deleteLater()
    qtbot.wait(50)


def drop_file(widget, path: Path) -> None:
    """Drag a file over a widget and drop it, as a person would from a file manager."""
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    centre = widget.rect().center()
    enter = QDragEnterEvent(centre, Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted(), "the window refused the drag"
    drop = QDropEvent(QPointF(centre), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)


def wait_idle(qtbot, win, timeout_ms: int = 90_000) -> None:
    """Wait until no background work of the window runs."""
    from ui.thread import running_tasks

    qtbot.waitUntil(lambda: win.analysis_task is None and not running_tasks(),
                    timeout=timeout_ms)


def two_scene_fused(clip_seconds: float = 12.0, cut: float = 6.0):
    """A fused track for the test clip: bright and excited before the cut, dark and calm after."""
    from scorer.track import Track

    times = np.arange(0.5, clip_seconds, 1.0)
    bright = times < cut
    return Track("fused", times, np.where(bright, 0.5, -0.4), np.where(bright, 0.6, -0.5),
                 np.full(len(times), 0.8))


def save_two_scene_project(clip: Path, folder: Path, cues=None, fused=None,
                           tracks=None) -> Path:
    """Save the test clip as a project (cues 1M1 0-6 s and 1M2 6-12 s, a cut at 6 s)."""
    from scorer import media
    from scorer import project as projectio
    from scorer.project import Cue, Project

    fused = two_scene_fused() if fused is None else fused
    project = Project(title="two_scenes", media=media.probe(clip), shots=[6.0], fused=fused,
                      tracks=dict(tracks or {}),
                      cues=cues or [Cue("1M1", 0.0, 6.0), Cue("1M2", 6.0, 12.0)])
    path = folder / "two_scenes.scorer.json"
    projectio.save(project, path)
    return path


def keyed_cues():
    """The two scenes' cues with targets and keys, as the planner would give them."""
    from scorer.project import Cue

    return [Cue("1M1", 0.0, 6.0, valence=0.5, arousal=0.6, key="G"),
            Cue("1M2", 6.0, 12.0, valence=-0.4, arousal=-0.5, key="D", mode="minor")]


def open_ready(win, qtbot, path: Path) -> None:
    """Open a project, wait until its 12 s clip is loaded and the window has the keyboard."""
    win.open_project(path)
    qtbot.waitUntil(lambda: win.player.player.duration() > 11_000, timeout=10_000)
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)
