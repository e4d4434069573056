"""The editor's toolset in the window: marks and navigation, the plan's edits, hit points.

Every edit is made with the keys an editor uses (declared in ui/actions.py) and must undo.
"""

from __future__ import annotations

import pytest
from conftest import open_ready, save_two_scene_project, wait_idle
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from scorer import project as projectio
from ui.marks import HitItem

NO = Qt.KeyboardModifier.NoModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def project_file(clip, tmp_path):
    """The test clip as a project: cues 1M1 (0-6 s, bright) and 1M2 (6-12 s, dark)."""
    return save_two_scene_project(clip, tmp_path)


def _seek(win, qtbot, t):
    win.player.seek(t, user=True)
    qtbot.waitUntil(lambda: abs(win.player.position() - t) < 0.05, timeout=5000)


def _at(win, qtbot, t):
    qtbot.waitUntil(lambda: abs(win.player.position() - t) < 0.05, timeout=5000)


def _spans(win):
    return [(c.number, c.start, c.end) for c in win.doc.cues()]


def test_markers_in_out_and_jumps_with_the_editors_keys(window, qtbot, project_file):
    win = window
    open_ready(win, qtbot, project_file)
    _seek(win, qtbot, 2.0)
    QTest.keyClick(win, Qt.Key.Key_M)
    QTest.keyClick(win, Qt.Key.Key_I)
    _seek(win, qtbot, 9.0)
    QTest.keyClick(win, Qt.Key.Key_O)
    project = win.doc.project
    assert [m.time for m in project.markers] == [2.0]
    assert (project.mark_in, project.mark_out) == (2.0, 9.0)
    QTest.keyClick(win, Qt.Key.Key_Up)  # previous edit point: the cut (and cue edge) at 6 s
    _at(win, qtbot, 6.0)
    QTest.keyClick(win, Qt.Key.Key_Down)  # next: the end of 1M2 at 12 s
    _at(win, qtbot, 12.0)
    QTest.keyClick(win, Qt.Key.Key_Up, SHIFT)  # previous marker
    _at(win, qtbot, 2.0)
    QTest.keyClick(win, Qt.Key.Key_PageDown)  # next cue start
    _at(win, qtbot, 6.0)
    QTest.keyClick(win, Qt.Key.Key_O, SHIFT)  # go to the out point
    _at(win, qtbot, 9.0)
    win.plan.go_to("00:00:04:00")  # Ctrl+G asks for this text in a dialog
    _at(win, qtbot, 4.0)
    win.plan.go_to("nonsense")
    assert "not a time" in win.status.text()
    _at(win, qtbot, 4.0)
    # drawn on the ruler: the marker's flag is blue at its x
    image = win.timeline.viewport().grab().toImage()
    x = win.timeline.mapFromScene(win.timeline.x_of(2.0), 3).x()
    colour = image.pixelColor(x, 3)
    assert colour.blue() > 150 and colour.red() < 100
    # undo takes the out point, the in point, then the marker away
    QTest.keyClick(win, Qt.Key.Key_Z, CTRL)
    assert project.mark_out is None and project.mark_in == 2.0
    QTest.keyClick(win, Qt.Key.Key_Z, CTRL)
    QTest.keyClick(win, Qt.Key.Key_Z, CTRL)
    assert win.doc.project.markers == [] and win.doc.project.mark_in is None
    win.doc.undo_stack.redo()
    assert [m.time for m in win.doc.project.markers] == [2.0]
    win.doc.save(project_file)
    assert [m.time for m in projectio.load(project_file).markers] == [2.0]


def test_split_merge_delete_add_and_rename_cues_undo(window, qtbot, project_file):
    win = window
    open_ready(win, qtbot, project_file)
    _seek(win, qtbot, 3.0)
    QTest.keyClick(win, Qt.Key.Key_K, CTRL)
    assert _spans(win) == [("1M1", 0.0, 3.0), ("1M3", 3.0, 6.0), ("1M2", 6.0, 12.0)]
    assert set(win.timeline.cue_items) == {"1M1", "1M2", "1M3"}
    wait_idle(qtbot, win)
    assert win.doc.suggestions_for("1M3"), "the new cue should get music"
    win.select_cue("1M1")
    QTest.keyClick(win, Qt.Key.Key_J, CTRL)
    assert _spans(win) == [("1M1", 0.0, 6.0), ("1M2", 6.0, 12.0)]
    wait_idle(qtbot, win)
    win.select_cue("1M2")
    QTest.keyClick(win, Qt.Key.Key_Delete)
    assert _spans(win) == [("1M1", 0.0, 6.0)]
    assert not win.doc.suggestions_for("1M2")
    _seek(win, qtbot, 9.0)
    QTest.keyClick(win, Qt.Key.Key_N, CTRL | SHIFT)  # add a cue filling the gap
    assert _spans(win) == [("1M1", 0.0, 6.0), ("1M2", 6.0, 12.0)]
    wait_idle(qtbot, win)
    win.select_cue("1M2")
    win.plan.rename_cue("2M1", "Night walk")  # F2 asks for this text in a dialog
    assert [c.number for c in win.doc.cues()] == ["1M1", "2M1"]
    assert win.timeline.cue_items["2M1"].label == "2M1 Night walk"
    assert all(s.cue != "1M2" for s in win.doc.project.suggestions)
    stack = win.doc.undo_stack
    while stack.canUndo():
        stack.undo()
    assert _spans(win) == [("1M1", 0.0, 6.0), ("1M2", 6.0, 12.0)]
    assert set(win.timeline.cue_items) == {"1M1", "1M2"}
    _seek(win, qtbot, 3.0)
    win.plan.split_cue()
    _seek(win, qtbot, 3.5)
    win.plan.split_cue()  # a part would be under a second: refused, nothing changes
    assert "shorter than" in win.status.text()
    assert len(win.doc.cues()) == 3
    wait_idle(qtbot, win)


def test_hit_points_are_drawn_added_dragged_and_deleted(window, qtbot, project_file):
    win = window
    open_ready(win, qtbot, project_file)
    _seek(win, qtbot, 2.0)
    QTest.keyClick(win, Qt.Key.Key_H)
    cue = win.doc.cue("1M1")
    assert cue.hit_points == [2.0]
    assert "BPM" in win.status.text()
    hits = win.timeline.hit_items["1M1"]
    assert [h.t for h in hits] == [2.0]
    wait_idle(qtbot, win)
    # drag the diamond from 2 s to 3 s: the cue's hits and tempo follow
    view = win.timeline
    view.zoom_fit()
    qtbot.wait(50)
    hit = view.hit_items["1M1"][0]
    y = hit.top + hit.height - 6
    start = view.mapFromScene(view.x_of(2.0), y)
    end = view.mapFromScene(view.x_of(3.0), y)
    assert any(isinstance(i, HitItem) for i in view.items(start))
    vp = view.viewport()
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, NO, start)
    QTest.mouseMove(vp, (start + end) / 2)
    QTest.mouseMove(vp, end)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, NO, end)
    cue = win.doc.cue("1M1")
    assert cue.hit_points[0] == pytest.approx(3.0, abs=1.5 / view.pps + 0.01)
    assert [h.t for h in view.hit_items["1M1"]] == cue.hit_points
    wait_idle(qtbot, win)
    _seek(win, qtbot, cue.hit_points[0])
    QTest.keyClick(win, Qt.Key.Key_H, SHIFT)
    assert win.doc.cue("1M1").hit_points == []
    win.select_cue("1M1")
    QTest.keyClick(win, Qt.Key.Key_D, CTRL | SHIFT)  # crossfade into 1M2
    first, second = win.doc.cues()
    assert (first.crossfade, second.fade_in) == (1.0, 1.0)
    wait_idle(qtbot, win)
    stack = win.doc.undo_stack
    while stack.canUndo():
        stack.undo()
    assert win.doc.cue("1M1").hit_points == [] and win.doc.cue("1M1").hits is None
    assert win.doc.cue("1M1").crossfade == 0.0


def _arpeggio(path, notes, seconds=8.0):
    import mido

    mid = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=500000))
    for i in range(int(seconds * 2)):
        note = notes[i % len(notes)]
        track.append(mido.Message("note_on", note=note, velocity=90, time=0))
        track.append(mido.Message("note_off", note=note, velocity=0, time=480))
    mid.save(str(path))
    return str(path)


@pytest.fixture
def two_pieces(project_file, tmp_path):
    """The project with two pieces of music offered for cue 1M1."""
    from scorer.project import Suggestion

    project = projectio.load(project_file)
    project.suggestions = [
        Suggestion(id="major", cue="1M1", source="generated", title="Major arpeggio",
                   path=_arpeggio(tmp_path / "a.mid", (60, 64, 67, 72)), score=0.9),
        Suggestion(id="minor", cue="1M1", source="generated", title="Minor arpeggio",
                   path=_arpeggio(tmp_path / "b.mid", (57, 60, 64, 69)), score=0.8)]
    projectio.save(project, project_file)
    return project_file


def test_ab_balance_loop_and_meters_while_auditioning(window, qtbot, two_pieces):
    from ui import core

    if not core.available("render"):
        pytest.skip(core.missing_message("render"))
    win = window
    open_ready(win, qtbot, two_pieces)
    audition = win.audition
    win.select_cue("1M1")
    win.panel.select_suggestion("major")
    QTest.keyClick(win, Qt.Key.Key_Space, CTRL)
    qtbot.waitUntil(lambda: audition.active or "failed" in win.status.text(), timeout=30_000)
    assert audition.active, win.status.text()
    assert win.audition_bar.heard.text() == "A: Major arpeggio"
    # the meters read what is played: the music's level rises above the floor
    qtbot.waitUntil(lambda: win.meter.level("music") > -40, timeout=10_000)
    # B: the other piece, rendered and switched to while the picture keeps playing
    win.panel.select_suggestion("minor")
    QTest.keyClick(win, Qt.Key.Key_B, CTRL | SHIFT)
    qtbot.waitUntil(lambda: audition.on_b or "failed" in win.status.text(), timeout=30_000)
    assert audition.on_b and audition.heard_id == "minor", win.status.text()
    assert win.player.is_playing(), "A/B must not stop playback"
    assert audition.music_out.volume() == 0.0 and audition.music_b_out.volume() == 1.0
    assert win.audition_bar.heard.text() == "B: Minor arpeggio"
    t = win.player.position()
    QTest.keyClick(win, Qt.Key.Key_B, CTRL | SHIFT)  # back to A at once, still playing
    assert not audition.on_b and audition.music_out.volume() == 1.0
    assert audition.music_b_out.volume() == 0.0
    assert win.player.is_playing() and win.player.position() >= t
    # balance: all the way to the music silences the dialogue, and the other way round
    win.audition_bar.balance.setValue(100)
    assert win.player.audio.volume() == 0.0 and audition.music_out.volume() == 1.0
    win.audition_bar.balance.setValue(-100)
    assert win.player.audio.volume() > 0.9 and audition.music_out.volume() == 0.0
    QTest.keyClick(win, Qt.Key.Key_Equal, Qt.KeyboardModifier.AltModifier)
    assert win.audition_bar.balance.value() == -80 and "music" in win.status.text()
    win.audition_bar.balance.setValue(0)
    # loop: at the cue's end the picture and the music start the cue again
    QTest.keyClick(win, Qt.Key.Key_Slash, CTRL)
    assert audition.loop
    with qtbot.waitSignal(audition.looped, timeout=15_000):
        win.player.seek(5.6, user=True)
    qtbot.waitUntil(lambda: win.player.position() < 2.0, timeout=5000)
    assert audition.active and win.player.is_playing()
    QTest.keyClick(win, Qt.Key.Key_Space, SHIFT)
    assert not audition.active and win.player.audio.volume() == 1.0
