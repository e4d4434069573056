"""The editor's path through the app: drop a clip, see cues, audition, edit, undo, export.

Screenshots land in a temporary folder (the `screenshots` fixture) so a person can look at what
the tests saw; docs/screenshots is written only by scripts/gui_screenshots.py.
"""

from __future__ import annotations

import soundfile
from conftest import drop_file, wait_idle
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from scorer.project import Suggestion
from ui import core


def _make_midi(path, seconds: float = 8.0):
    """A plain C major arpeggio, so audition works whatever the generator offers."""
    import mido

    mid = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=500000))
    track.append(mido.Message("program_change", program=0, time=0))
    for i in range(int(seconds * 2)):
        note = (60, 64, 67, 72)[i % 4]
        track.append(mido.Message("note_on", note=note, velocity=80, time=0))
        track.append(mido.Message("note_off", note=note, velocity=0, time=480))
    mid.save(str(path))
    return path


def _ensure_suggestion(win, tmp_path) -> Suggestion:
    """The top suggestion of the first cue; adds a generated test MIDI if there is none."""
    number = win.doc.cues()[0].number
    found = win.doc.suggestions_for(number)
    usable = [s for s in found if s.path]
    if usable:
        return usable[0]
    item = Suggestion(id="test-midi", cue=number, source="generated", title="Test arpeggio",
                      path=str(_make_midi(tmp_path / "arp.mid")), score=1.0,
                      explanation="written by the test")
    win.doc.add_suggestions([item])
    return item


def test_drop_analyse_audition_edit_undo_export(window, qtbot, clip, tmp_path, screenshots):
    win = window
    drop_file(win, clip)
    assert win.analysis_task is not None, "dropping a video should start the analysis"
    assert "Analysing" in win.status.text()
    assert win.progress.isVisible() and win.cancel_button.isVisible()
    wait_idle(qtbot, win)
    assert win.doc.project is not None, win.status.text()
    cues = win.doc.cues()
    assert cues, f"no cues after analysis: {win.status.text()}"
    assert set(win.timeline.cue_items) == {c.number for c in cues}
    assert win.doc.project.shots and abs(win.doc.project.shots[0] - 6.0) < 0.1
    assert win.timeline.thumbnails, "thumbnail strip is empty"
    assert win.player.player.duration() > 11_000
    win.grab().save(str(screenshots / "main-window.png"))

    # --- audition: picture from the cue's start, rendered music in step -------------
    suggestion = _ensure_suggestion(win, tmp_path)
    cue = win.doc.cue(suggestion.cue)
    win.select_cue(cue.number)
    win.panel.select_suggestion(suggestion.id)
    if core.available("render"):
        qtbot.mouseClick(win.panel.audition_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: win.audition.active or "failed" in win.status.text(),
                        timeout=30_000)
        assert win.audition.active, win.status.text()
        wav = win.audition.wav
        info = soundfile.info(str(wav))
        assert abs(info.frames / info.samplerate - cue.duration) < 0.05
        assert win.player.position() >= cue.start - 0.05
        assert win.audition.music.source().toLocalFile() == str(wav)
        assert "Auditioning" in win.status.text()
        qtbot.wait(300)
        win.grab().save(str(screenshots / "audition.png"))
        QTest.keyClick(win, Qt.Key.Key_Space, Qt.KeyboardModifier.ShiftModifier)
        assert not win.audition.active
    else:
        win.panel._audition()
        qtbot.waitUntil(lambda: "Audition failed" in win.status.text(), timeout=10_000)

    # --- drag the boundary between the two cues, snap, then undo --------------------
    view = win.timeline
    first = win.doc.cues()[0]
    start_before = {c.number: (c.start, c.end) for c in win.doc.cues()}
    edge = view.mapFromScene(view.edge_scene_pos(first.number, "end"))
    target = edge - QPoint(int(1.5 * view.pps), 0)  # 1.5 s earlier
    QTest.mousePress(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     edge)
    QTest.mouseMove(view.viewport(), edge - QPoint(10, 0))
    QTest.mouseMove(view.viewport(), target)
    QTest.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier, target)
    moved = win.doc.cue(first.number).end
    assert moved < start_before[first.number][1] - 1.0, "the edge did not move"
    assert win.doc.undo_stack.count() == 1
    if len(win.doc.cues()) > 1:  # the neighbour rolls with the shared boundary
        assert abs(win.doc.cues()[1].start - moved) < 1e-6
    assert abs(view.cue_items[first.number].rect().right() - view.x_of(moved)) < 1
    win.grab().save(str(screenshots / "cue-edge-moved.png"))
    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert {c.number: (c.start, c.end) for c in win.doc.cues()} == start_before
    assert abs(view.cue_items[first.number].rect().right()
               - view.x_of(start_before[first.number][1])) < 1

    # --- export through the dialog, with an edited cue sheet ------------------------
    out_dir = tmp_path / "export"
    seen = {}

    def fill_dialog():
        dialog = win.exporter.dialog
        seen["formats"] = list(dialog.format_boxes)
        dialog.folder.setText(str(out_dir))
        dialog.header_table.item(0, 0).setText("Test Production")
        dialog.rows_table.item(0, 2).setText("Opening Mood")
        for name, box in dialog.format_boxes.items():
            box.setChecked(name in ("midi", "cuesheet", "otio", "edl", "srt"))
        dialog.grab().save(str(screenshots / "export-dialog.png"))
        if dialog.export_button.isEnabled():
            dialog.export_button.click()
        else:
            dialog.reject()

    QTimer.singleShot(200, fill_dialog)
    win.act_export()
    assert "midi" in seen["formats"]
    if not core.available("export"):
        assert not win.tasks
        return
    assert win.doc.project.cue_sheet["production_title"] == "Test Production"
    assert win.doc.project.cue_sheet["cues"][first.number]["title"] == "Opening Mood"
    wait_idle(qtbot, win)
    report, error = win.last_export
    assert error is None, str(error)
    written = sorted(p.name for p in out_dir.rglob("*") if p.is_file())
    assert any(n.endswith(".csv") for n in written), written
    assert any(n.endswith((".mid", ".midi")) for n in written), written
    csv_text = next(out_dir.rglob("*.csv")).read_text("utf-8-sig")
    assert "Test Production" in csv_text
    # the cue sheet edit is undoable like any other edit
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)
    QTest.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert win.doc.project.cue_sheet.get("production_title") != "Test Production"
    QApplication.processEvents()
