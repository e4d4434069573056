"""Music > Find Music, Analysis > Re-analyse and crash recovery of the music: the commands an
editor uses to bring suggestions back, on a generated two-scene project."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import keyed_cues, save_two_scene_project, two_scene_fused, wait_idle
from PySide6.QtWidgets import QMessageBox

from scorer import media
from scorer import project as projectio
from scorer.project import Cue, Project, Suggestion
from scorer.track import Track


@pytest.fixture
def project_file(clip, tmp_path):
    """A saved project of the test clip: a bright, excited scene, a cut, a dark calm one."""
    fused = two_scene_fused()
    return save_two_scene_project(clip, tmp_path, cues=keyed_cues(), fused=fused,
                                  tracks={"lighting": fused})


def _titles(win, number: str) -> list[str]:
    return [s.title for s in win.doc.suggestions_for(number)]


def test_find_music_for_the_selected_cue_leaves_the_others_alone(window, qtbot, project_file):
    win = window
    win.open_project(project_file)
    kept = Suggestion("keep", "1M1", "library", "Hand-picked", score=0.9)
    win.doc.add_suggestions([kept])
    win.select_cue("1M2")
    win.actions["find_music_selected"].trigger()
    wait_idle(qtbot, win)
    found = win.doc.suggestions_for("1M2")
    kinds = {s.source for s in found}
    assert "library" in kinds and "generated" in kinds, kinds
    library = sorted(s.title for s in found if s.source == "library")
    assert library == ["bright_march", "dark_lament"], library  # the two-piece test library
    for suggestion in found:  # each has its adapted or generated file (paths may be relative)
        assert (project_file.parent / suggestion.path).is_file(), suggestion.path
    assert _titles(win, "1M1") == ["Hand-picked"], "a search for 1M2 changed 1M1's music"
    assert win.panel.tree.topLevelItemCount() == len(found)


def _open_with_1m2_locked(win, project_file) -> None:
    """Open the project and lock cue 1M2 to a library piece with the panel's Lock button."""
    win.open_project(project_file)
    win.doc.add_suggestions([Suggestion("mine", "1M2", "library", "Locked choice", score=0.5)])
    win.select_cue("1M2")
    win.panel.select_suggestion("mine")
    win.panel.lock_button.click()
    assert win.doc.cue("1M2").locked


def test_find_music_for_all_cues_fills_every_unlocked_cue(window, qtbot, project_file):
    win = window
    _open_with_1m2_locked(win, project_file)
    win.actions["find_music"].trigger()
    wait_idle(qtbot, win)
    assert win.doc.suggestions_for("1M1"), "no music found for the unlocked cue"
    assert _titles(win, "1M2") == ["Locked choice"], "a locked cue's music was replaced"
    assert win.doc.cue("1M2").choice == "mine"


def test_reanalyse_applies_changed_preferences_and_keeps_locked_cues(window, qtbot,
                                                                      project_file):
    win = window
    _open_with_1m2_locked(win, project_file)
    undo_depth = win.doc.undo_stack.count()
    win.settings["analysis/sample_fps"] = 2.0  # a preference: not a document edit
    assert win.doc.undo_stack.count() == undo_depth
    win.actions["reanalyse"].trigger()
    wait_idle(qtbot, win, timeout_ms=180_000)
    project = win.doc.project
    assert project.settings["analysis"]["sample_fps"] == 2.0
    locked = win.doc.cue("1M2")
    assert locked.locked and locked.choice == "mine"
    assert (locked.start, locked.end) == (6.0, 12.0)
    assert _titles(win, "1M2") == ["Locked choice"]
    assert project.fused is not None and len(project.fused.times) > 0
    assert win.doc.path == project_file, "re-analysis must keep the project's file"


def test_suggestions_survive_crash_recovery(window, qtbot, project_file, monkeypatch):
    win = window
    edited = projectio.load(project_file)
    edited.suggestions = [Suggestion("s1", "1M1", "library", "Bright piece", score=0.8),
                          Suggestion("s2", "1M2", "generated", "Slow theme", score=0.6)]
    edited.cues[1].choice = "s2"
    projectio.autosave(edited, project_file)  # as if the app died before saving
    monkeypatch.setattr(QMessageBox, "question",
                        staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes))
    win.open_project(project_file)
    assert _titles(win, "1M1") == ["Bright piece"]
    assert _titles(win, "1M2") == ["Slow theme"] and win.doc.cue("1M2").choice == "s2"
    win.select_cue("1M2")
    assert win.panel.tree.topLevelItemCount() == 1


def test_timeline_shows_where_the_emotion_comes_from(window, qtbot, clip, tmp_path):
    # the fused track's per-window shares (the fitted fusion writes them as share_* features)
    times = np.arange(0.5, 12.0, 1.0)
    first = times < 6
    fused = Track("fused", times, np.where(first, 0.5, -0.4), np.where(first, 0.6, -0.5),
                  np.full(len(times), 0.8),
                  features={"share_faces": np.where(first, 0.6, 0.1),
                            "share_music": np.where(first, 0.3, 0.2),
                            "share_voice": np.where(first, 0.1, 0.7)})
    project = Project(title="shares", media=media.probe(clip), fused=fused,
                      cues=[Cue("1M1", 0.0, 6.0), Cue("1M2", 6.0, 12.0)])
    path = tmp_path / "shares.scorer.json"
    projectio.save(project, path)
    win = window
    win.open_project(path)
    lane = win.timeline.shares_item
    assert lane is not None and "emotion from" in [n for n, _ in win.timeline.lanes]
    assert lane.share_text(2.5) == "faces 60 %, music 30 %, voice 10 %"
    assert lane.share_text(9.5) == "voice 70 %, music 20 %, faces 10 %"
    # painted (stacked from the foot in the legend's order: faces, voice, ..., music): the
    # middle of the lane is faces in the first scene (0-60 %), voice in the second (10-80 %)
    from ui.timeline import MODALITY_COLOURS

    image = win.timeline.grab().toImage()
    view = win.timeline
    top, height = view.lane_boxes["emotion from"]
    origin = view.mapFromScene(0, top + height / 2)
    for t, colour in ((2.5, "faces"), (9.5, "voice")):
        x = view.mapFromScene(view.x_of(t), 0).x()
        assert image.pixelColor(x, origin.y()) == MODALITY_COLOURS[colour], t
