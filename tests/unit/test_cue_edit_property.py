"""Property: any sequence of cue edits keeps a project valid (it saves and loads back the same)
and exportable (MIDI, captions and the cue sheet are written, or a clear ExportError says why).

The edits are those the timeline and the CLI make: move an edge, retarget V/A (with the cue
planner's rules), lock, choose a suggestion (also a stale one), add, delete, set hit points.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_export_formats import make_project

from scorer import project as project_io
from scorer.errors import ExportError
from scorer.export import export_project
from scorer.project import Cue
from ui.core import retarget_fields

unit = st.floats(-1.0, 1.0, allow_nan=False)
fraction = st.floats(0.0, 1.0, allow_nan=False)

edits = st.one_of(
    st.tuples(st.just("move"), st.integers(0, 5), fraction, fraction),
    st.tuples(st.just("retarget"), st.integers(0, 5), unit, unit),
    st.tuples(st.just("lock"), st.integers(0, 5), st.booleans()),
    st.tuples(st.just("choose"), st.integers(0, 5), st.sampled_from(["g1", "g0", "l1", "l2",
                                                                    "gone", ""])),
    st.tuples(st.just("add"), fraction, fraction),
    st.tuples(st.just("delete"), st.integers(0, 5)),
    st.tuples(st.just("hits"), st.integers(0, 5), st.lists(fraction, max_size=4)),
)


def apply(project, duration: float, edit, counter: list[int]) -> None:
    """Apply one edit as the editor would, keeping each cue inside the clip (start < end)."""
    kind, *args = edit
    cues = project.cues
    if kind == "add":
        a, b = sorted(args)
        start = a * (duration - 0.1)
        end = min(duration, max(start + 0.1, b * duration))
        counter[0] += 1
        cues.append(Cue(f"9M{counter[0]}", start, end))
        return
    if not cues:
        return
    cue = cues[args[0] % len(cues)]
    if kind == "move":
        a, b = sorted(args[1:])
        cue.start = a * (duration - 0.1)
        cue.end = min(duration, max(cue.start + 0.1, b * duration))
    elif kind == "retarget":
        for name, value in retarget_fields(cue, args[1], args[2]).items():
            setattr(cue, name, value)
    elif kind == "lock":
        cue.locked = args[1]
    elif kind == "choose":
        cue.choice = args[1]
    elif kind == "delete":
        cues.remove(cue)
    elif kind == "hits":
        cue.hit_points = sorted(cue.start + f * (cue.end - cue.start) for f in args[1])


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    folder = tmp_path_factory.mktemp("edit")
    project, path, _ = make_project(folder / "proj", "25")
    return project, path


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(edits, min_size=1, max_size=12))
def test_any_cue_edits_keep_the_project_valid_and_exportable(base, tmp_path_factory, sequence):
    template, path = base
    project = project_io.loads(project_io.dumps(template), path)  # a fresh copy
    duration = float(Fraction(project.media.duration))
    counter = [0]
    for edit in sequence:
        apply(project, duration, edit, counter)
    text = project_io.dumps(project)
    again = project_io.loads(text, path)  # valid: the loader's checks accept it
    assert project_io.dumps(again) == text  # and nothing is lost or changed on the way
    out = tmp_path_factory.mktemp("out")
    try:
        report = export_project(again, path, "midi,srt,csv", out)
    except ExportError as exc:  # only "nothing to export" may stop it
        assert "no cue" in str(exc), exc
        assert not any(s.cue == c.number and s.path for c in again.cues
                       for s in again.suggestions)
        return
    assert report.files and all(f.is_file() and f.stat().st_size > 0 for f in report.files)
    exported = set(report.cues)
    assert exported <= {c.number for c in again.cues}
