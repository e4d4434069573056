"""Property-based fuzzing of the parsers a user can hand input to (slow, bounded in time).

Every input either parses or raises a ScorerError with a message; nothing else escapes.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scorer import project as project_io
from scorer.errors import ScorerError
from scorer.timebase import timecode_to_frames

pytestmark = pytest.mark.slow

FUZZ = settings(max_examples=3000, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)

FIELDS = ["title", "media", "settings", "shots", "tracks", "transcript", "fused", "cues",
          "suggestions", "music_captions", "cue_sheet"]


@FUZZ
@given(st.binary(max_size=400))
def test_project_loader_on_random_bytes(data):
    try:
        project_io.loads(data.decode("utf-8", errors="replace"))
    except ScorerError:
        pass


@FUZZ
@given(st.fixed_dictionaries({"schema_version": st.sampled_from([1, 2])},
                             optional={f: json_values for f in FIELDS}))
def test_project_loader_on_wrongly_typed_fields(doc):
    try:
        project_io.loads(json.dumps(doc))
    except ScorerError:
        pass


@FUZZ
@given(st.text(max_size=20), st.sampled_from(["29.97", "25", "23.976", "59.94"]))
def test_timecode_parser(text, rate):
    try:
        timecode_to_frames(text, rate)
    except ScorerError:
        pass
