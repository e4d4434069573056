"""Finding music yourself: the library browser's search, preview, and a piece put on a cue.

The window's library is the two generated pieces of the ``library`` fixture: bright_march
(150 BPM, loud, major) and dark_lament (50 BPM, soft, minor).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import open_ready, save_two_scene_project, wait_idle
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def project_file(clip, tmp_path):
    """The test clip as a project: cues 1M1 (0-6 s, bright) and 1M2 (6-12 s, dark)."""
    return save_two_scene_project(clip, tmp_path)


def _searched(qtbot, browser):
    qtbot.waitUntil(lambda: browser.task is None and not browser._debounce.isActive(),
                    timeout=60_000)


def _show_library(win, qtbot):
    QTest.keyClick(win, Qt.Key.Key_L, CTRL | SHIFT)
    browser = win.library
    assert browser.isVisible() and win.actions["show_library"].isChecked()
    qtbot.wait(20)
    _searched(qtbot, browser)
    return browser


def test_search_narrows_by_tempo_text_and_mood(window, qtbot):
    win = window
    browser = _show_library(win, qtbot)
    assert sorted(browser.titles()) == ["bright_march", "dark_lament"], browser.info.text()
    assert "2 of 2 pieces" in browser.info.text()
    browser.tempo_min.setValue(100)  # the search follows the fields
    _searched(qtbot, browser)
    assert browser.titles() == ["bright_march"]
    assert browser.table.item(0, 2).text() == "150"
    browser.tempo_min.setValue(0)
    browser.tempo_max.setValue(80)
    _searched(qtbot, browser)
    assert browser.titles() == ["dark_lament"]
    browser.tempo_max.setValue(0)
    browser.text.setText("lament")
    _searched(qtbot, browser)
    assert browser.titles() == ["dark_lament"]
    browser.text.setText("")
    browser.mood.setCurrentIndex(browser.mood.findData("excited"))
    _searched(qtbot, browser)
    moods = [browser.table.item(r, 1).text() for r in range(browser.table.rowCount())]
    assert moods and all(m == "excited" for m in moods)
    browser.text.setText("no such piece anywhere")
    _searched(qtbot, browser)
    assert browser.titles() == [] and "nothing matches" in browser.info.text()


def _drag_onto(view, mime, t: float):
    """Drag ``mime`` over the timeline to time ``t`` on the cue lane and drop it."""
    y = view.cue_top() + view.lane_height("cues") / 2
    pos = QPointF(view.mapFromScene(view.x_of(t), y))
    vp = view.viewport()
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(vp, enter)
    assert enter.isAccepted(), "the timeline refused the piece"
    move = QDragMoveEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime,
                          Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(vp, move)
    assert move.isAccepted()
    target = view.drop_target
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(vp, drop)
    return target


def test_dropping_a_piece_on_a_cue_chooses_it_and_undo_restores(window, qtbot, project_file):
    win = window
    open_ready(win, qtbot, project_file)
    browser = _show_library(win, qtbot)
    browser.select_title("dark_lament")
    row = browser.selected()
    items = [browser.table.item(browser.table.currentRow(), c) for c in range(6)]
    mime = browser.table.mimeData(items)
    assert _drag_onto(win.timeline, mime, 9.0) == "1M2"  # highlighted while dragged over
    assert win.timeline.drop_target == ""
    wait_idle(qtbot, win)
    cue = win.doc.cue("1M2")
    assert cue.choice == f"1M2-lib-{row['id']}", win.status.text()
    chosen = next(s for s in win.doc.project.suggestions if s.id == cue.choice)
    assert chosen.title == "dark_lament" and chosen.params["picked"]
    assert Path(chosen.path).exists() and chosen.params["adapted"]
    assert win.doc.cue("1M1").choice == ""  # only the cue it was dropped on
    assert win.panel.number == "1M2" and win.panel.current_id() == chosen.id
    qtbot.waitUntil(lambda: any(i.cue == "1M2" and i.chosen and i.title == "dark_lament"
                                for i in win.timeline.music_items), timeout=5000)
    # one undo step: the cue has no choice and no such suggestion again
    QTest.keyClick(win, Qt.Key.Key_Z, CTRL)
    assert win.doc.cue("1M2").choice == ""
    assert not any(s.id == chosen.id for s in win.doc.project.suggestions)
    win.doc.undo_stack.redo()
    assert win.doc.cue("1M2").choice == chosen.id


def test_use_for_selected_cue_and_preview(window, qtbot, project_file):
    from ui import core

    win = window
    open_ready(win, qtbot, project_file)
    browser = _show_library(win, qtbot)
    win.select_cue("1M1")
    browser.select_title("bright_march")
    qtbot.mouseClick(browser.use_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, win)
    choice = win.doc.cue("1M1").choice
    assert choice.startswith("1M1-lib-"), win.status.text()
    assert "bright_march" in win.status.text() and "Ctrl+Z" in win.status.text()
    if not core.available("render"):
        pytest.skip(core.missing_message("render"))
    qtbot.mouseClick(browser.preview_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: browser.previewing is not None or "failed" in
                    browser.info.text(), timeout=30_000)
    assert browser.previewing["title"] == "bright_march", browser.info.text()
    assert browser.stop_button.isEnabled()
    from PySide6.QtMultimedia import QMediaPlayer

    qtbot.waitUntil(lambda: browser.player.playbackState()
                    == QMediaPlayer.PlaybackState.PlayingState, timeout=10_000)
    assert browser.player.source().toLocalFile().endswith(".wav")
    qtbot.mouseClick(browser.stop_button, Qt.MouseButton.LeftButton)
    assert browser.previewing is None and not browser.stop_button.isEnabled()
