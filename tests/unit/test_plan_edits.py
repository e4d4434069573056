"""The plan's own edits: add, split, merge, delete, rename; hand hits; fades; markers.

The project is the one of test_affect_edit (30 s at 25 fps, cuts at 5, 12, 20, 26 s; two cues,
1M1 0-12 s and 1M2 12-30 s). Expected tempi come from the planner's documented rule (the tempo
in the cue's range whose beats, beat 1 at the cue's start, fall on the hits; among exact fits
the one nearest the range's centre), worked out by hand here.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_affect_edit import make_project

from scorer import markers
from scorer import project as project_io
from scorer.affect import edit
from scorer.errors import ScorerError
from scorer.export.common import CueMusic
from scorer.project import Project, Suggestion


def _with_suggestions(project: Project) -> Project:
    project.suggestions = [
        Suggestion(id=f"s{c.number}", cue=c.number, source="library", title=f"piece for {c.number}")
        for c in project.cues
    ]
    return project


def _spans(project: Project) -> list[tuple[str, float, float]]:
    return [(c.number, c.start, c.end) for c in project.cues]


def test_the_fixture_plan_is_what_these_tests_assume():
    assert _spans(make_project()) == [("1M1", 0.0, 12.0), ("1M2", 12.0, 30.0)]


def test_split_makes_two_cues_each_planned_with_its_own_hits():
    project = _with_suggestions(make_project())
    project.cues[0].target = (0.2, 0.3)
    refresh = edit.split_cue(project, "1M1", 6.0)
    assert _spans(project) == [("1M1", 0.0, 6.0), ("1M3", 6.0, 12.0), ("1M2", 12.0, 30.0)]
    assert refresh == ["1M1", "1M3"]
    assert project.cue("1M1").hit_points == [5.0] and project.cue("1M3").hit_points == []
    assert project.cue("1M3").target == (0.2, 0.3)  # the editor's decision goes with both
    assert [s.cue for s in project.suggestions] == ["1M2"]


@pytest.mark.parametrize("at", [0.5, 11.5, 12.0, 40.0])
def test_split_refuses_a_part_too_short_or_outside(at):
    project = make_project()
    with pytest.raises(ScorerError):
        edit.split_cue(project, "1M1", at)
    assert _spans(project) == [("1M1", 0.0, 12.0), ("1M2", 12.0, 30.0)]


def test_split_and_merge_refuse_a_locked_cue():
    project = make_project()
    project.cues[0].locked = True
    with pytest.raises(ScorerError, match="locked"):
        edit.split_cue(project, "1M1", 6.0)
    with pytest.raises(ScorerError, match="locked"):
        edit.merge_cues(project, "1M1")


def test_merge_joins_neighbours_and_hits_are_all_cuts_inside():
    project = _with_suggestions(make_project())
    assert edit.merge_cues(project, "1M1") == ["1M1"]
    assert _spans(project) == [("1M1", 0.0, 30.0)]
    assert project.cue("1M1").hit_points == [5.0, 12.0, 20.0, 26.0]
    assert project.suggestions == []
    with pytest.raises(ScorerError, match="last cue"):
        edit.merge_cues(project, "1M1")


def test_delete_then_add_and_fill_the_gap():
    project = _with_suggestions(make_project())
    assert edit.delete_cue(project, "1M2") == []
    assert _spans(project) == [("1M1", 0.0, 12.0)]
    assert [s.cue for s in project.suggestions] == ["1M1"]
    with pytest.raises(ScorerError, match="overlap cue 1M1"):
        edit.add_cue(project, 10.0, 15.0)
    with pytest.raises(ScorerError, match="at least"):
        edit.add_cue(project, 13.0, 13.5)
    with pytest.raises(ScorerError, match="inside cue 1M1"):
        edit.fill_gap(project, 3.0)
    assert edit.fill_gap(project, 15.0) == ["1M2"]
    assert _spans(project) == [("1M1", 0.0, 12.0), ("1M2", 12.0, 30.0)]
    cue = project.cue("1M2")
    assert cue.hit_points == [20.0, 26.0] and cue.mode == "minor"  # planned from the dark half


def test_rename_moves_the_suggestions_and_refuses_duplicates():
    project = _with_suggestions(make_project())
    edit.rename_cue(project, "1M2", new_number="2M7", title="Night walk")
    assert [c.number for c in project.cues] == ["1M1", "2M7"]
    assert project.cue("2M7").title == "Night walk"
    assert {s.cue for s in project.suggestions} == {"1M1", "2M7"}
    for bad in ("1M1", "", "two words"):
        with pytest.raises(ScorerError):
            edit.rename_cue(project, "2M7", new_number=bad)


def test_hand_hits_refit_the_tempo():
    # 1M1's range is about 104-129 BPM. With hits at 5 s and 5 + 4 x (5/9) s only 108 BPM
    # (beat 5/9 s) puts beats on both; with 5 s and 7.5 s, 120 BPM (beat 0.5 s) does.
    project = _with_suggestions(make_project())
    low, high = project.cue("1M1").tempo_range
    assert low < 108 < 120 < high
    refresh = edit.add_hit(project, "1M1", 5 + 20 / 9)
    cue = project.cue("1M1")
    assert refresh == ["1M1"] and cue.hits == [5.0, round(5 + 20 / 9, 4)]
    assert cue.tempo == pytest.approx(108.0, abs=0.05) and cue.hit_error_ms < 1.0
    assert all(s.cue != "1M1" for s in project.suggestions)
    edit.move_hit(project, "1M1", 7.2, 7.5)
    assert cue.hit_points == [5.0, 7.5] and cue.tempo == pytest.approx(120.0, abs=0.05)
    edit.delete_hit(project, "1M1", 5.1)
    assert cue.hit_points == [7.5]
    with pytest.raises(ScorerError, match="no hit within"):
        edit.delete_hit(project, "1M1", 9.0)
    with pytest.raises(ScorerError, match="inside cue"):
        edit.add_hit(project, "1M1", 12.0)
    edit.reset_hits(project, "1M1")
    assert cue.hits is None and cue.hit_points == [5.0]


def test_hand_hits_survive_replanning_and_an_edge_move():
    project = make_project()
    edit.add_hit(project, "1M1", 9.0)
    edit.move_edge(project, "1M1", "end", 10.0)  # the roll re-plans 1M1 and 1M2
    assert project.cue("1M1").hit_points == [5.0, 9.0]
    assert project.cue("1M2").hit_points == [12.0, 20.0, 26.0]  # a cut, now inside 1M2


def test_fades_and_crossfade_at_a_join():
    project = _with_suggestions(make_project())
    assert edit.set_crossfade(project, "1M1", 1.5) == []
    first, second = project.cues
    assert (first.crossfade, first.fade_out, second.fade_in) == (1.5, 1.5, 1.5)
    assert len(project.suggestions) == 2  # the music still fits: nothing to re-suggest
    with pytest.raises(ScorerError, match="no cue starts"):
        edit.set_crossfade(project, "1M2", 1.0)
    with pytest.raises(ScorerError):
        edit.set_crossfade(project, "1M1", 7.0)  # longer than half of 1M1
    edit.set_fades(project, "1M2", fade_out=2.0)
    assert second.fade_out == 2.0
    edit.set_fades(project, "1M2", fade_in=-1)
    assert second.fade_in is None
    edit.set_crossfade(project, "1M1", 0)
    assert (first.crossfade, first.fade_out, second.fade_in) == (0.0, None, None)


def test_a_crossfaded_cue_runs_on_and_fades_out_in_the_mix(monkeypatch):
    from scorer.export import mixdown
    from scorer.export.common import project_timebase

    sr = 8000
    monkeypatch.setattr(
        mixdown,
        "render_parts",
        lambda music, sr, sf2, split: {"mix": np.full((40 * sr, 2), 0.5, np.float32)},
    )
    project = make_project()
    edit.set_crossfade(project, "1M1", 2.0)
    cue = project.cue("1M1")
    tb = project_timebase(project)
    music = CueMusic(
        cue=cue,
        suggestion=Suggestion(id="x", cue="1M1", source="library", title="t"),
        path="x.wav",
        kind="audio",
        in_frame=0,
        out_frame=12 * 25,
    )
    audio = mixdown.cue_audio(music, tb, sr=sr, ring_on=cue.crossfade).mix
    assert len(audio) == 14 * sr  # 12 s of cue and 2 s running on under 1M2
    level = np.abs(audio[:, 0])
    assert level[11 * sr] > 0.99 * level[6 * sr]  # full level until the fade starts at 12 s
    # halfway through the 2 s tail an equal-power (cosine) fade is at cos(pi/4) = 0.71
    assert level[13 * sr] == pytest.approx(0.707 * level[6 * sr], rel=0.03)
    assert level[-1] < 0.01 * level[6 * sr]


def test_new_fields_round_trip_and_old_projects_still_load(tmp_path):
    project = make_project()
    edit.add_hit(project, "1M1", 9.0)
    edit.set_crossfade(project, "1M1", 1.0)
    markers.add_marker(project, 4.0, "door slam")
    markers.set_in(project, 2.0)
    markers.set_out(project, 20.0)
    path = tmp_path / "p.scorer.json"
    project_io.save(project, path)
    again = project_io.load(path)
    assert again.cue("1M1").hits == [5.0, 9.0] and again.cue("1M1").crossfade == 1.0
    assert [(m.time, m.name) for m in again.markers] == [(4.0, "door slam")]
    assert (again.mark_in, again.mark_out) == (2.0, 20.0)
    doc = project.to_dict()
    for key in ("markers", "mark_in", "mark_out"):
        del doc[key]
    for cue in doc["cues"]:
        for key in ("hits", "fade_in", "fade_out", "crossfade"):
            del cue[key]
    old = Project.from_dict(doc)
    assert old.markers == [] and old.mark_in is None and old.cue("1M1").hits is None


def test_markers_in_out_and_edit_points():
    project = make_project()
    markers.add_marker(project, 8.0)
    markers.add_marker(project, 3.0, "hit")
    markers.add_marker(project, 8.0, "renamed")
    assert [(m.time, m.name) for m in project.markers] == [(3.0, "hit"), (8.0, "renamed")]
    markers.delete_marker(project, 7.8)
    assert markers.marker_times(project) == [3.0]
    with pytest.raises(ScorerError, match="no marker"):
        markers.delete_marker(project, 20.0)
    markers.set_in(project, 10.0)
    markers.set_out(project, 5.0)  # before the in point: the in point goes
    assert (project.mark_in, project.mark_out) == (None, 5.0)
    points = markers.edit_points(project)
    assert points == [0.0, 5.0, 12.0, 20.0, 26.0, 30.0]
    assert markers.step_to(points, 12.0, 1) == 20.0
    assert markers.step_to(points, 12.0, -1) == 5.0
    assert markers.step_to(points, 30.0, 1) is None
    assert markers.step_to(markers.cue_starts(project), 3.0, 1) == 12.0


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("12.5", 12.5), ("01:00:02:12", 2.48), ("1:30", 90.0), ("0:01:02.5", 62.5)],
)
def test_parse_time_reads_timecode_clock_and_seconds(text, seconds):
    # the clip starts at 01:00:00:00 at 25 fps (frame 90000)
    assert markers.parse_time(text, 25, start_frame=90000) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "00:59:59:00", "1:75", "01:00:00:30"])
def test_parse_time_refuses_what_is_not_a_time_in_the_clip(text):
    with pytest.raises(ScorerError):
        markers.parse_time(text, 25, start_frame=90000)
