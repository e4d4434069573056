"""generate_for_cue end to end, the files it writes, and ``scorer score``."""

from __future__ import annotations

import mido
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scorer import project as project_io
from scorer.errors import InputError, ModelError, ScorerError
from scorer.project import Cue, Project


@pytest.fixture(scope="module", autouse=True)
def need_model():
    from scorer.music import melody

    try:
        melody.MelodyModel.load("folk")
    except ModelError as exc:
        pytest.skip(f"melody_folk.onnx not built: {exc}")


def _cue(**kw):
    base = dict(number="1M1", start=12.0, end=43.3, tempo=97.0, key="Eb", mode="major",
                register=64, valence=0.4, arousal=0.1,
                programs={"melody": 73, "harmony": 24, "bass": 32, "pad": 89},
                dynamics=[(12.0, 0.4), (30.0, 0.7), (43.3, 0.5)])
    base.update(kw)
    return Cue(**base)


@pytest.mark.parametrize("kw", [{}, {"mode": "minor", "key": "C", "tempo": 71.5,
                                     "arousal": -0.6, "end": 20.0},
                                {"tempo": 133.0, "arousal": 0.8, "programs": {}}])
def test_length_equals_the_cue_and_files_round_trip(tmp_path, kw):
    from music21 import converter

    from scorer.music.generate import generate_for_cue

    cue = _cue(**kw)
    score = generate_for_cue(cue, style="folk", seed=2)
    path = score.save(tmp_path / "cue.mid")
    mid = mido.MidiFile(path)
    beat = 60.0 / cue.tempo
    assert abs(mid.length - cue.duration) <= beat
    assert score.duration_s == pytest.approx(cue.duration)
    names = [t.name for t in mid.tracks]
    assert names[1:5] == ["Melody", "Harmony", "Bass", "Pad"]
    assert ("Drums" in names) == (cue.arousal > 0.4)
    parsed = converter.parse(str(path))
    # music21 pads the last bar with rests, so measure where the last note ends
    notes = parsed.flatten().notes
    quarters = max(float(n.offset + n.quarterLength) for n in notes)
    assert abs(quarters * beat - cue.duration) <= beat
    assert len(parsed.parts) >= 4
    # the melody sits in the cue's key: its last note is the tonic
    melody_notes = [m for m in mid.tracks[1] if m.type == "note_on"]
    tonic = {"Eb": 3, "C": 0}[cue.key]
    assert melody_notes[-1].note % 12 == tonic
    if cue.programs:
        progs = [next(m.program for m in t if m.type == "program_change") for t in mid.tracks[1:]]
        assert progs[:4] == [73, 24, 32, 89]


def test_same_seed_same_music_other_seed_other_music():
    from scorer.music.generate import generate_for_cue
    from scorer.music.midi import midi_bytes

    cue = _cue()
    a = midi_bytes(generate_for_cue(cue, seed=7).midi)
    b = midi_bytes(generate_for_cue(cue, seed=7).midi)
    c = midi_bytes(generate_for_cue(cue, seed=8).midi)
    assert a == b and a != c


def test_user_midi_seed_melody(tmp_path):
    from scorer.music.generate import generate_for_cue
    from scorer.music.melody import load_seed

    # G major scale up and down in eighths, written with mido
    mid = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    for p in [67, 69, 71, 72, 74, 76, 78, 79, 78, 76, 74, 72, 71, 69, 67, 67]:
        track.append(mido.Message("note_on", note=p, velocity=80, time=0))
        track.append(mido.Message("note_off", note=p, velocity=0, time=240))
    path = tmp_path / "seed.mid"
    mid.save(path)
    tokens = load_seed(path)
    pitches = [int(t) for t in tokens if t.isdigit()]
    assert pitches[0] % 12 == 0 and len(pitches) == 16  # G -> C, every note kept
    assert tokens[1] == "_" and tokens[2].isdigit()  # eighth notes: onset, hold
    score = generate_for_cue(_cue(), seed=1, seed_melody=path)
    assert score.melody[:len(tokens)] == tokens
    with pytest.raises(InputError):
        load_seed(tmp_path / "missing.mid")


def test_unknown_style_is_a_user_error():
    from scorer.music.generate import generate_for_cue

    with pytest.raises(ScorerError, match="no melody model"):
        generate_for_cue(_cue(), style="gamelan")


def test_score_command_writes_files_and_suggestions(tmp_path):
    from scorer.cli import main

    path = tmp_path / "demo.scorer.json"
    project = Project(title="demo", cues=[_cue(), _cue(number="1M2", start=43.3, end=60.0,
                                                       mode="minor", key="C")])
    project.suggestions.append(project_io.Suggestion(id="lib1", cue="1M1", source="library",
                                                     title="kept"))
    project_io.save(project, path)
    assert main(["score", str(path), "--seed", "3"]) == 0
    music = tmp_path / "demo_music"
    assert (music / "1M1_generated_s3.mid").exists() and (music / "1M2_generated_s3.mid").exists()
    saved = project_io.load(path)
    gen = [s for s in saved.suggestions if s.source == "generated"]
    assert sorted(s.cue for s in gen) == ["1M1", "1M2"]
    assert all(s.explanation and s.params["seed"] == 3 for s in gen)
    # regenerating one cue replaces its generated suggestion and keeps everything else
    assert main(["score", str(path), "--seed", "4", "--cue", "1M2"]) == 0
    saved = project_io.load(path)
    gen = {s.cue: s.params["seed"] for s in saved.suggestions if s.source == "generated"}
    assert gen == {"1M1": 3, "1M2": 4}
    assert any(s.id == "lib1" for s in saved.suggestions)
    assert main(["score", str(path), "--cue", "9M9"]) == 2


def test_cancel_leaves_the_project_untouched(tmp_path):
    from scorer.errors import Cancelled
    from scorer.music.commands import score_project
    from scorer.pipeline import CancelToken

    path = tmp_path / "p.scorer.json"
    project_io.save(Project(cues=[_cue()]), path)
    before = path.read_bytes()
    token = CancelToken()
    token.set()
    with pytest.raises(Cancelled):
        score_project(path, cancel=token)
    assert path.read_bytes() == before


def test_project_without_cues_is_a_user_error(tmp_path):
    from scorer.music.commands import score_project

    path = tmp_path / "empty.scorer.json"
    project_io.save(Project(), path)
    with pytest.raises(ScorerError, match="no cues"):
        score_project(path)


@settings(max_examples=25, deadline=None)
@given(duration=st.floats(0.3, 150.0), tempo=st.floats(40.0, 200.0),
       key=st.sampled_from(["C", "F#", "Bb", "E", "Ab"]), mode=st.sampled_from(["major", "minor"]),
       arousal=st.floats(-1.0, 1.0), register=st.integers(40, 84), seed=st.integers(0, 10_000))
def test_any_cue_gives_a_valid_file_of_exactly_its_length(duration, tempo, key, mode, arousal,
                                                         register, seed):
    import io

    from scorer.music.generate import generate_for_cue
    from scorer.music.midi import midi_bytes

    cue = Cue(number="1M1", start=3.0, end=3.0 + duration, tempo=tempo, key=key, mode=mode,
              arousal=arousal, register=register, hit_points=[3.0 + duration / 2])
    score = generate_for_cue(cue, style="folk", seed=seed)
    mid = mido.MidiFile(file=io.BytesIO(midi_bytes(score.midi)))  # mido re-checks every value
    one_tick = 60.0 / tempo / mid.ticks_per_beat
    assert abs(mid.length - duration) <= one_tick
    notes = [m for t in mid.tracks for m in t if m.type == "note_on"]
    assert notes and all(1 <= m.velocity <= 127 for m in notes)
