"""Keyboard shortcuts: listed in Help (F1) from the real actions, edited (Ctrl+Alt+K), kept."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import open_ready, save_two_scene_project
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest

from scorer.track import Track

CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier


@pytest.fixture
def project_file(clip, tmp_path):
    """The test clip as a project with a flat fused track."""
    times = np.arange(0.5, 12.0, 1.0)
    flat = Track("fused", times, np.zeros(len(times)), np.zeros(len(times)),
                 np.full(len(times), 0.8))
    return save_two_scene_project(clip, tmp_path, fused=flat)


def test_f1_lists_every_command_with_the_editors_keys(window, qtbot):
    win = window
    QTest.keyClick(win, Qt.Key.Key_F1)
    help_ = win.shortcuts_help
    assert help_ is not None and help_.isVisible()
    listed = list(help_._items())
    assert len(listed) == len(win.actions)  # generated from the actions themselves
    expected = {"Play/Pause": "Space", "Shuttle Backward": "J", "Shuttle Stop": "K",
                "Shuttle Forward": "L", "Mark In": "I", "Mark Out": "O", "Add Marker": "M",
                "Full Screen Viewer": "F", "Keyboard Shortcuts": "F1"}
    for command, keys in expected.items():
        assert help_.keys_of(command) == keys
    assert help_.keys_of("Split Cue at Playhead") == ", ".join(
        QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText)
        for k in ("Ctrl+K", "Ctrl+B"))
    # the declared names and the keys of an ordinary keyboard (Qt adds F14 and media keys)
    assert help_.keys_of("Undo").split(", ")[0] == QKeySequence("Ctrl+Z").toString(
        QKeySequence.SequenceFormat.NativeText)
    assert "F14" not in help_.keys_of("Undo")
    help_.filter.setText("marker")
    shown = [i.text(0) for i in help_._items() if not i.isHidden()]
    assert "Add Marker" in shown and "Play/Pause" not in shown


def test_an_edited_shortcut_works_a_conflict_is_refused_and_it_is_kept(window, qtbot,
                                                                        project_file):
    from ui.mainwindow import MainWindow
    from ui.settings import Settings

    win = window
    open_ready(win, qtbot, project_file)
    QTest.keyClick(win, Qt.Key.Key_K, CTRL | ALT)
    editor = win.shortcut_editor
    assert editor is not None and editor.isVisible()
    editor.select("add_marker")
    # a key another command has is refused, naming that command
    editor.key_edit.setKeySequence(QKeySequence("I"))
    qtbot.mouseClick(editor.assign_button, Qt.MouseButton.LeftButton)
    assert "Mark In" in editor.message.text()
    assert editor.keys["add_marker"] == ["M"]
    # a free key is taken; the old one removed first
    qtbot.mouseClick(editor.remove_button, Qt.MouseButton.LeftButton)
    editor.key_edit.setKeySequence(QKeySequence("Q"))
    qtbot.mouseClick(editor.assign_button, Qt.MouseButton.LeftButton)
    assert editor.keys["add_marker"] == ["Q"]
    editor.accept()
    assert win.settings["shortcuts/custom"] == {"add_marker": ["Q"]}
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)
    win.player.seek(2.0, user=True)
    qtbot.waitUntil(lambda: abs(win.player.position() - 2.0) < 0.05, timeout=5000)
    QTest.keyClick(win, Qt.Key.Key_Q)
    assert [m.time for m in win.doc.project.markers] == [2.0]
    QTest.keyClick(win, Qt.Key.Key_M)  # M is free now: nothing happens
    assert len(win.doc.project.markers) == 1
    QTest.keyClick(win, Qt.Key.Key_F1)
    assert win.shortcuts_help.keys_of("Add Marker") == "Q"
    win.shortcuts_help.close()
    # after a restart the key is still Q; reset to defaults brings M back
    win.doc.undo_stack.setClean()
    win.close()
    again = MainWindow(Settings())
    again.show()
    qtbot.waitExposed(again)
    try:
        assert [s.toString() for s in again.actions["add_marker"].shortcuts()] == ["Q"]
        assert [s.toString() for s in again.actions["mark_in"].shortcuts()] == ["I"]
        again.act_edit_shortcuts()
        again.shortcut_editor.reset_to_defaults()
        again.shortcut_editor.accept()
        assert [s.toString() for s in again.actions["add_marker"].shortcuts()] == ["M"]
        assert again.settings["shortcuts/custom"] == {}
    finally:
        again.close()
        again.deleteLater()
        qtbot.wait(50)


def test_defaults_have_no_conflicts():
    from ui.shortcuts import default_keys, find_conflict

    keys = default_keys()
    clashes = [(name, key, find_conflict(keys, name, key))
               for name, texts in keys.items() for key in texts
               if find_conflict(keys, name, key)]
    assert clashes == []
    assert keys["viewer_full_screen"] == ["F"] and keys["play_pause"] == ["Space"]
