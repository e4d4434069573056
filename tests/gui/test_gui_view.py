"""The editor's view: lanes that collapse and resize (kept in the preferences), a larger viewer."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import open_ready, save_two_scene_project
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtTest import QTest

from scorer.track import Track
from ui.timeline import COLLAPSED_H, CUE_H, LANE_H

LONG = "music under the dialogue (model)"  # a lane name far longer than the default column
NO = Qt.KeyboardModifier.NoModifier


@pytest.fixture
def project_file(clip, tmp_path):
    """The test clip as a project with a long-named track and the film's own music track."""
    times = np.arange(0.5, 12.0, 1.0)
    long = Track(LONG, times, np.zeros(len(times)), np.linspace(-1, 1, len(times)),
                 np.full(len(times), 0.5))
    film_music = Track("music", times, np.full(len(times), 0.3), np.full(len(times), -0.2),
                       np.full(len(times), 0.6))
    return save_two_scene_project(clip, tmp_path, tracks={LONG: long, "music": film_music})


def _height(view, name):
    return view.lane_boxes[name][1]


def test_lanes_collapse_resize_and_come_back_after_a_restart(window, qtbot, project_file):
    from ui.mainwindow import MainWindow
    from ui.settings import Settings

    win = window
    open_ready(win, qtbot, project_file)
    view = win.timeline
    # the long lane name fits in the name column (nothing cut off)
    font = QFont(view.font())
    font.setPointSizeF(8)
    assert view.margin - 12 - 6 >= QFontMetricsF(font).horizontalAdvance(LONG)
    assert _height(view, "fused valence") == LANE_H
    below = view.lane_boxes["fused arousal"][0]
    # click the triangle by the name: the lane collapses, the lanes below move up
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, NO,
                     view.lane_header_point("fused valence"))
    assert _height(view, "fused valence") == COLLAPSED_H
    assert view.lane_boxes["fused arousal"][0] == pytest.approx(below - (LANE_H - COLLAPSED_H))
    # drag the line under "cues" down by 20 px: the cue lane and its blocks grow
    vp = view.viewport()
    start = view.lane_header_point("cues", resize=True)
    end = start + type(start)(0, 20)
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, NO, start)
    QTest.mouseMove(vp, end)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, NO, end)
    assert _height(view, "cues") == pytest.approx(CUE_H + 20, abs=1)
    assert view.cue_items["1M1"].rect().height() == pytest.approx(CUE_H + 20, abs=1)
    # the cue lane itself collapses too; its blocks stay there, thin, and still select
    QTest.mouseClick(vp, Qt.MouseButton.LeftButton, NO, view.lane_header_point("cues"))
    assert view.cue_items["1M2"].rect().height() == COLLAPSED_H
    QTest.mouseClick(vp, Qt.MouseButton.LeftButton, NO, view.lane_header_point("cues"))
    assert _height(view, "cues") == pytest.approx(CUE_H + 20, abs=1)  # back as it was
    # the film's own music (a modality track) is a lane of its own beside the music lane
    QTest.mouseClick(vp, Qt.MouseButton.LeftButton, NO, view.lane_header_point("music"))
    assert _height(view, "music") == COLLAPSED_H
    assert _height(view, "music emotion") == LANE_H
    QTest.mouseClick(vp, Qt.MouseButton.LeftButton, NO, view.lane_header_point("music"))
    stored = win.settings["timeline/lanes"]
    assert stored["fused valence"]["collapsed"] and not stored["cues"]["collapsed"]
    # a restart of the window: the same layout, read from the preferences
    win.doc.undo_stack.setClean()
    win.close()
    again = MainWindow(Settings())
    again.resize(1280, 820)
    again.show()
    qtbot.waitExposed(again)
    try:
        open_ready(again, qtbot, project_file)
        view = again.timeline
        assert _height(view, "fused valence") == COLLAPSED_H
        assert _height(view, "cues") == pytest.approx(CUE_H + 20, abs=1)
        assert _height(view, LONG) == LANE_H
        again.act_reset_lanes()
        assert _height(view, "fused valence") == LANE_H and _height(view, "cues") == CUE_H
        assert again.settings["timeline/lanes"] == {}
    finally:
        again.doc.undo_stack.setClean()
        again.close()
        again.deleteLater()
        qtbot.wait(50)


def test_f_toggles_the_full_screen_viewer_and_esc_leaves(window, qtbot, project_file):
    win = window
    open_ready(win, qtbot, project_file)
    viewer, player = win.viewer, win.player
    assert player.window() is win
    QTest.keyClick(win, Qt.Key.Key_F)
    assert viewer.full_screen and player.window() is viewer.window
    qtbot.waitUntil(viewer.window.isActiveWindow, timeout=5000)
    # the editor's keys work in the full-screen viewer: Space plays, Space pauses
    QTest.keyClick(viewer.window, Qt.Key.Key_Space)
    qtbot.waitUntil(player.is_playing, timeout=5000)
    QTest.keyClick(viewer.window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not player.is_playing(), timeout=5000)
    QTest.keyClick(viewer.window, Qt.Key.Key_Escape)
    assert not viewer.full_screen and not viewer.detached
    assert player.window() is win and win.top.indexOf(player) == 0
    # F twice: in and out again
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)
    QTest.keyClick(win, Qt.Key.Key_F)
    assert viewer.full_screen
    qtbot.waitUntil(viewer.window.isActiveWindow, timeout=5000)
    QTest.keyClick(viewer.window, Qt.Key.Key_F)
    assert not viewer.detached and player.window() is win


def test_viewer_in_its_own_window(window, qtbot, project_file):
    win = window
    open_ready(win, qtbot, project_file)
    viewer = win.viewer
    QTest.keyClick(win, Qt.Key.Key_F, Qt.KeyboardModifier.ShiftModifier)
    assert viewer.detached and not viewer.full_screen
    assert win.actions["viewer_detach"].isChecked()
    window_ = viewer.window
    assert window_.isVisible() and win.player.window() is window_
    assert win.top.indexOf(win.player) == -1
    window_.close()  # closing it puts the picture back
    assert not viewer.detached and win.top.indexOf(win.player) == 0
    assert not win.actions["viewer_detach"].isChecked()
