"""Property-based fuzzing of the readers a user can hand files to (slow, bounded in time).

Subtitles (SRT/WebVTT), MIDI (the renderer's reader, the library's reader, the seed
melody reader) and ABC (the library's music21 reader): every input is either read or answered
by a ScorerError (or, for the library, a recorded reason); nothing else escapes. Each test
has a fixed example budget (scaled by env SCORER_FUZZ_SCALE), so its time is bounded; no
wall-clock cut-off, which would break Hypothesis's shrinking of a failure. Counts and times:
``pytest -m slow tests/unit/test_robustness_fuzz.py --hypothesis-show-statistics``.
"""

from __future__ import annotations

import io
import math
import os

import mido
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scorer.errors import ScorerError

pytestmark = pytest.mark.slow

# example budgets scale with SCORER_FUZZ_SCALE (default 1: 22,000 cases, about 3 minutes here)
FUZZ_SCALE = float(os.environ.get("SCORER_FUZZ_SCALE", "1"))


def budget(max_examples: int):
    """Hypothesis settings for a fuzz test: an example budget, no deadline, no database."""
    return settings(max_examples=max(10, int(max_examples * FUZZ_SCALE)), deadline=None,
                    database=None,
                    suppress_health_check=list(HealthCheck))


# ----------------------------------------------------------------------------- subtitles

digits = st.text("0123456789", min_size=0, max_size=4)
stamp = st.builds(lambda h, m, s, ms, sep: f"{h}{':' if h else ''}{m}:{s}{sep}{ms}",
                  digits, digits, digits, digits, st.sampled_from([",", ".", ":", ""]))
timing = st.builds(lambda a, b, arrow, extra: f"{a} {arrow} {b}{extra}", stamp, stamp,
                   st.sampled_from(["-->", "->", "-- >", "-->"]),
                   st.sampled_from(["", " align:start", " position:10%", "\t"]))
cue_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
block = st.builds(lambda num, t, body: "\n".join(x for x in (num, t, body) if x is not None),
                  st.none() | st.integers(-5, 10**6).map(str), timing | cue_text, cue_text)
heads = st.sampled_from(["", "WEBVTT\n\n", "\ufeff", "WEBVTT - x\n\nNOTE hi\n\n"])
subtitle_text = st.builds(lambda head, blocks, nl: head + nl.join(blocks), heads,
                          st.lists(block, max_size=12),
                          st.sampled_from(["\n\n", "\r\n\r\n", "\r\r"]))


def _check_segments(segments):
    for seg in segments:
        assert math.isfinite(seg.start) and seg.end >= seg.start
        assert seg.text.strip()
        for word in seg.words:
            assert seg.start - 1e-3 <= word.start <= word.end <= seg.end + 1e-3


@budget(10000)
@given(subtitle_text, st.sampled_from(["srt", "vtt"]))
def test_subtitle_parser_structured(text, kind):
    from scorer.audio.subtitles import parse

    segments, problems = parse(text, kind, "fuzz.srt")
    _check_segments(segments)
    assert all(p.startswith("fuzz.srt line ") for p in problems)


@budget(5000)
@given(st.binary(max_size=600), st.sampled_from([".srt", ".vtt"]))
def test_subtitle_loader_on_bytes(tmp_path_factory, data, suffix):
    from scorer.audio.subtitles import load_subtitles

    path = tmp_path_factory.mktemp("sub", numbered=True) / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        segments, _ = load_subtitles(path)
    except ScorerError as exc:
        assert path.name in str(exc)
    else:
        _check_segments(segments)


# ----------------------------------------------------------------------------- MIDI


def _valid_midi() -> bytes:
    mid = mido.MidiFile(type=1, ticks_per_beat=96)
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=600000),
                            mido.Message("program_change", program=5)])
    for i, pitch in enumerate([60, 62, 64, 65, 67, 69, 71, 72, 74, 76]):
        track.append(mido.Message("note_on", note=pitch, velocity=70, time=0 if i else 10))
        track.append(mido.Message("note_off", note=pitch, velocity=0, time=48))
    mid.tracks.append(track)
    buf = io.BytesIO()
    mid.save(file=buf)
    return buf.getvalue()


VALID_MIDI = _valid_midi()
mutation = st.tuples(st.sampled_from(["set", "insert", "delete", "cut"]),
                     st.integers(0, len(VALID_MIDI) - 1), st.binary(min_size=1, max_size=4))


def _mutate(data: bytes, edits) -> bytes:
    out = bytearray(data)
    for kind, at, payload in edits:
        at = min(at, max(0, len(out) - 1))
        if kind == "set":
            out[at:at + len(payload)] = payload
        elif kind == "insert":
            out[at:at] = payload
        elif kind == "delete":
            del out[at:at + len(payload)]
        else:
            del out[at:]
    return bytes(out)


mutated_midi = st.lists(mutation, min_size=1, max_size=4).map(lambda e: _mutate(VALID_MIDI, e))


@budget(4000)
@given(mutated_midi)
def test_midi_render_reader(data):
    """The audition path: read, add the tail, then (for what reads) the synthesizer itself."""
    from scorer.music.render import render_midi

    try:
        audio = render_midi(data, tail=0.05, sr=8000)
    except ScorerError as exc:
        assert "<MIDI bytes>" in str(exc)
    else:
        assert audio.ndim == 2 and audio.shape[1] == 2


@budget(2000)
@given(mutated_midi)
def test_midi_library_and_seed_readers(tmp_path_factory, data):
    from scorer.music.library.index import _work
    from scorer.music.melody import load_seed

    path = tmp_path_factory.mktemp("mid", numbered=True) / "fuzz.mid"
    path.write_bytes(data)
    _, records, reason = _work((str(path), None))  # the library's reader, as the index runs it
    assert (records is None) == bool(reason)
    try:
        tokens = load_seed(path)
    except ScorerError as exc:
        assert path.name in str(exc)
    else:
        assert tokens


# ----------------------------------------------------------------------------- ABC

HEADER = st.sampled_from(["X:1", "T:Fuzz", "M:4/4", "M:6/8", "M:C|", "L:1/8", "L:1/16",
                          "Q:1/4=120", "K:C", "K:Am", "K:Dmix", "K:Bb", "R:reel"])
ABC_BODY = st.text("abcdefgABCDEFGz^_=,'/123468()[]|:>< ~.-\"", max_size=80)
abc_text = st.builds(lambda heads, bodies: "\n".join(["X:1", *heads, *bodies]) + "\n",
                     st.lists(HEADER, max_size=6), st.lists(ABC_BODY, max_size=4))


@budget(1000)
@given(abc_text)
def test_abc_library_reader(tmp_path_factory, text):
    from scorer.music.library.index import _work

    path = tmp_path_factory.mktemp("abc", numbered=True) / "fuzz.abc"
    path.write_text(text)
    _, records, reason = _work((str(path), None))
    assert (records is None) == bool(reason)
    for record in records or []:
        assert record  # each piece read has a record
