"""Editing without analysis: a generated project, then V-A retarget, keys, locks, recovery,
preferences, cancel and bad input. Every edit must undo."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import drop_file, keyed_cues, save_two_scene_project, two_scene_fused, wait_idle
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from scorer import project as projectio
from scorer.project import Suggestion


@pytest.fixture
def project_file(clip, tmp_path):
    """A saved project of the test clip: a bright, excited scene, a cut, a dark calm one."""
    fused = two_scene_fused()
    return save_two_scene_project(clip, tmp_path, cues=keyed_cues(), fused=fused,
                                  tracks={"lighting": fused})


def _active(win, qtbot):
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)


def test_va_handle_drag_retargets_the_cue_and_undoes(window, qtbot, project_file):
    win = window
    win.open_project(project_file)
    plane = win.plane
    start = plane.to_widget(0.5, 0.6)
    target = plane.to_widget(-0.6, -0.5)
    QTest.mousePress(plane, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     start.toPoint())
    QTest.mouseMove(plane, ((start + target) / 2).toPoint())
    QTest.mouseMove(plane, target.toPoint())
    QTest.mouseRelease(plane, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       target.toPoint())
    cue = win.doc.cue("1M1")
    assert cue.valence == pytest.approx(-0.6, abs=0.03)
    assert cue.arousal == pytest.approx(-0.5, abs=0.03)
    assert cue.mode == "minor", "the key should follow a negative valence"
    assert cue.instrumentation == "sombre_strings"
    win.plane.grab().save(str(project_file.parent / "plane.png"))
    _active(win, qtbot)
    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    cue = win.doc.cue("1M1")
    assert (cue.valence, cue.arousal, cue.key, cue.mode) == (0.5, 0.6, "G", "major")
    win.doc.undo_stack.redo()
    assert win.doc.cue("1M1").mode == "minor"


def test_space_jkl_and_frame_steps(window, qtbot, project_file):
    win = window
    win.open_project(project_file)
    player = win.player
    qtbot.waitUntil(lambda: player.player.duration() > 11_000, timeout=10_000)
    _active(win, qtbot)
    QTest.keyClick(win, Qt.Key.Key_Right)
    assert player.position() == pytest.approx(1.5 / 25, abs=0.002)  # middle of frame 1
    assert player.timecode.text() == "00:00:00:01"
    QTest.keyClick(win, Qt.Key.Key_Right)
    QTest.keyClick(win, Qt.Key.Key_Left)
    assert player.timecode.text() == "00:00:00:01"
    QTest.keyClick(win, Qt.Key.Key_Space)
    assert player.is_playing()
    QTest.keyClick(win, Qt.Key.Key_Space)
    assert not player.is_playing()
    QTest.keyClick(win, Qt.Key.Key_L)
    QTest.keyClick(win, Qt.Key.Key_L)
    assert player.is_playing() and player.player.playbackRate() == 2.0
    QTest.keyClick(win, Qt.Key.Key_K)
    assert not player.is_playing()
    player.seek(5.0)
    QTest.keyClick(win, Qt.Key.Key_J)  # backward shuttle steps the picture back
    qtbot.waitUntil(lambda: player.position() < 4.8, timeout=3000)
    QTest.keyClick(win, Qt.Key.Key_K)


def test_lock_choice_shows_on_the_timeline_and_undoes(window, qtbot, project_file):
    win = window
    win.open_project(project_file)
    win.doc.add_suggestions([Suggestion("s1", "1M2", "library", "Lament", score=0.7,
                                        explanation="calm and dark, like the scene")])
    win.select_cue("1M2")
    assert win.panel.tree.topLevelItemCount() == 1
    assert "like the scene" in win.panel.explanation.toPlainText()
    qtbot.mouseClick(win.panel.lock_button, Qt.MouseButton.LeftButton)
    cue = win.doc.cue("1M2")
    assert cue.locked and cue.choice == "s1"
    assert win.timeline.cue_items["1M2"].locked
    assert win.panel.lock_button.text() == "Unlock"
    win.doc.undo_stack.undo()
    assert not win.doc.cue("1M2").locked
    assert not win.timeline.cue_items["1M2"].locked


def test_recovery_is_offered_after_a_crash(window, qtbot, project_file, monkeypatch):
    win = window
    edited = projectio.load(project_file)
    edited.cues[0].end = edited.cues[1].start = 4.0
    projectio.autosave(edited, project_file)  # as if the app died before saving
    asked = []

    def yes(*args, **kwargs):
        asked.append(args[1] if len(args) > 1 else "")
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", staticmethod(yes))
    win.open_project(project_file)
    assert asked, "no recovery offer"
    assert win.doc.cue("1M1").end == 4.0
    assert "*" in win.windowTitle(), "recovered work must show as unsaved"
    assert "recovered" in win.status.text()
    win.act_save()  # saving drops the autosave
    assert projectio.recovery_candidate(project_file) is None


def test_preferences_registry_migration_recent_files_and_no_undo(window, tmp_path):
    from PySide6.QtCore import QSettings

    from ui.settings import RECENT_FILES_MAX, Settings

    old = QSettings(str(tmp_path / "old.ini"), QSettings.Format.IniFormat)
    old.setValue("settings_version", 1)
    old.setValue("fusion/preset", "action")
    old.sync()
    migrated = Settings(old)
    assert migrated["analysis/content_type"] == "action"
    assert migrated["fusion/weights"] == {} and migrated["analysis/sample_fps"] == 4.0
    migrated["fusion/weights"] = {"faces": 2.5}
    migrated["library/folders"] = ["/music"]
    again = Settings(QSettings(str(tmp_path / "old.ini"), QSettings.Format.IniFormat))
    assert again["fusion/weights"] == {"faces": 2.5}
    assert again["library/folders"] == ["/music"]

    win = window
    for i in range(RECENT_FILES_MAX + 3):
        win.state.add_recent_file(tmp_path / f"clip{i}.mp4")
    recent = win.state.recent_files()
    assert len(recent) == RECENT_FILES_MAX and recent[0].endswith(f"clip{RECENT_FILES_MAX + 2}.mp4")

    # preferences apply at once and are not document edits: nothing lands on the undo stack
    depth = win.doc.undo_stack.count()
    win.settings.apply({"project/autosave_seconds": 15})
    assert win.autosave_timer.interval() == 15_000
    assert win.doc.undo_stack.count() == depth


def test_cancel_analysis_leaves_nothing_running(window, qtbot, clip):
    win = window
    drop_file(win, clip)
    qtbot.waitUntil(lambda: win.progress.isVisible(), timeout=5000)
    qtbot.mouseClick(win.cancel_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, win, 30_000)
    assert win.doc.project is None
    assert "cancelled" in win.status.text().lower()
    assert not win.progress.isVisible()


def test_a_file_that_is_not_video_gets_a_clear_message(window, qtbot, tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("this is not a video")
    win = window
    drop_file(win, bad)
    wait_idle(qtbot, win, 30_000)
    assert win.doc.project is None
    assert "notes.mp4" in win.status.text() and "failed" in win.status.text()


def test_timeline_zoom_keeps_cues_in_step(window, qtbot, project_file):
    win = window
    win.open_project(project_file)
    view = win.timeline
    width = view.cue_items["1M1"].rect().width()
    win.actions["zoom_in"].trigger()
    assert view.cue_items["1M1"].rect().width() == pytest.approx(width * 1.5, rel=0.01)
    win.actions["zoom_fit"].trigger()
    assert view.cue_items["1M2"].rect().right() <= view.viewport().width()
    view.seekRequested.emit(7.0)
    qtbot.waitUntil(lambda: abs(view.playhead.line().x1() - view.x_of(7.0)) < 1, timeout=3000)


def test_music_lane_previews_the_chosen_music_and_sound_lane_shows_the_track(
        window, qtbot, project_file, library):
    win = window
    win.open_project(project_file)
    piece = library / "bright_march.mid"  # 32 eighth notes at 150 BPM: 6.4 s on a 6 s cue
    win.doc.add_suggestions([Suggestion("m1", "1M1", "library", "March", path=str(piece),
                                        score=0.8)])
    qtbot.waitUntil(lambda: [i.cue for i in win.timeline.music_items] == ["1M1"], timeout=5000)
    item = win.timeline.music_items[0]
    assert item.title == "March" and item.music_end == pytest.approx(6.0)  # cut at the cue
    assert {n.pitch for n in item.notes} == {60, 64, 67, 72}
    assert "music" in [name for name, _ in win.timeline.lanes]
    qtbot.waitUntil(lambda: "sound" in [name for name, _ in win.timeline.lanes], timeout=30_000)
    mins, maxs, bps = win.timeline.waveform
    first, second = maxs[: int(5 * bps)], maxs[int(7 * bps):]
    assert np.median(first) > 2 * np.median(second)  # the loud tone, then quiet noise
    win.timeline.grab().save(str(project_file.parent / "lanes.png"))
