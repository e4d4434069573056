"""Property: any sequence of cue edits through the core API (``scorer.affect.edit``) keeps a
project valid (it saves and loads back unchanged) and exportable (MIDI, captions and the cue
sheet are written, or a clear ExportError says that no cue has music left).

test_affect_edit.py checks the plan's invariants after each edit; this adds the round trip
through the file and the export of whatever the edits left.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_affect_edit import make_project
from test_library_fixtures import fast_major

from scorer import project as project_io
from scorer.affect import edit
from scorer.errors import ExportError, ScorerError
from scorer.export import export_project
from scorer.project import Suggestion

value = st.one_of(st.floats(-1.5, 31.0), st.just(float("nan")), st.just(float("inf")))
edits = st.tuples(
    st.sampled_from(["retarget", "start", "end", "lock", "choose", "palette", "clear"]),
    st.integers(0, 5), value)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """The edit-test project with one MIDI suggestion per cue (the first cue's locked)."""
    folder = tmp_path_factory.mktemp("edits")
    project = make_project()
    for i, cue in enumerate(project.cues):
        music = fast_major(folder / f"m{i}.mid", tonic=i, seed=i)
        project.suggestions.append(Suggestion(f"s{i}", cue.number, "library", f"Piece {i}",
                                              path=str(music), score=0.5))
    edit.set_lock(project, project.cues[0].number, True, "s0")
    path = folder / "p.scorer.json"
    project_io.save(project, path)
    return path


def apply(project, op: str, which: int, x: float) -> None:
    number = project.cues[which % len(project.cues)].number
    if op == "retarget":
        edit.retarget(project, number, x / 31.0, -x / 31.0)
    elif op in ("start", "end"):
        edit.move_edge(project, number, op, x)
    elif op == "lock":
        edit.set_lock(project, number, x > 15)
    elif op == "choose":  # also ids of other cues' suggestions and ones that never existed
        edit.choose(project, number, f"s{int(x) % 7}" if x == x and abs(x) < 1e9 else "")
    elif op == "palette":
        edit.set_palette(project, number, "" if x < 15 else "dark_pulse")
    else:
        edit.retarget(project, number, None, None)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(edits, min_size=1, max_size=10))
def test_any_cue_edits_keep_the_project_valid_and_exportable(saved, tmp_path_factory,
                                                              sequence):
    project = project_io.load(saved)
    for op, which, x in sequence:
        try:
            apply(project, op, which, x)
        except ScorerError:
            pass  # a refused edit leaves the project as it was
    text = project_io.dumps(project)
    again = project_io.loads(text, saved)  # valid: the loader's checks accept it
    assert project_io.dumps(again) == text  # nothing lost or changed on the way
    out = tmp_path_factory.mktemp("out")
    with_music = {s.cue for s in again.suggestions if s.path}
    try:
        report = export_project(again, saved, "midi,srt,csv", out)
    except ExportError as exc:  # only "nothing to export" may stop it
        assert "no cue" in str(exc) and not with_music & {c.number for c in again.cues}, exc
        return
    assert report.files and all(f.is_file() and f.stat().st_size > 0 for f in report.files)
    assert set(report.cues) <= with_music
