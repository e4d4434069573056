"""Cinematic orchestration (texture by mood, layers by intensity, hits) and performance."""

from __future__ import annotations

import numpy as np
import pytest

from scorer.music import cinematic, fit, perform
from scorer.music.arrange import key_pitch_class
from scorer.music.midi import to_midi

# a theme in C major tokens: a rising line and a held note, two bars, restated
THEME = ["60", "_", "62", "_", "64", "_", "_", "_", "67", "_", "65", "_", "64", "_", "62", "_",
         "60", "_", "_", "_", "_", "_", "_", "_", "r", "_", "_", "_", "67", "_", "_", "_"] * 6


def _orchestrate(valence, arousal, dynamics=None, hits=None, beats=44.0, key="D", mode=None):
    mode = mode or ("major" if valence >= 0 else "minor")
    tokens = THEME if mode == "major" else [str(int(t) - 3) if t.isdigit() else t
                                            for t in THEME]
    return cinematic.orchestrate(tokens, mode=mode, key=key, tempo=100.0, beats=beats,
                                 register=62, valence=valence, arousal=arousal,
                                 dynamics=dynamics, cue_start=0.0, hit_points=hits or [])


def _names(arr):
    return {p.name.lower() for p in arr.parts}


def test_texture_follows_the_quadrant():
    tense = _names(_orchestrate(-0.6, 0.7))
    sad = _names(_orchestrate(-0.6, -0.6))
    joy = _names(_orchestrate(0.6, 0.7))
    calm = _names(_orchestrate(0.6, -0.6))
    assert {"ostinato", "tremolo"} <= tense and "theme" in tense
    assert sad <= {"theme", "piano", "basses", "pad"} and "piano" in sad
    assert {"theme", "strings", "pizz"} <= joy
    assert {"harp", "pad"} <= calm
    # sad is sparse: fewer notes a beat than tense
    def density(arr):
        return sum(len(p.notes) for p in arr.parts) / arr.beats
    assert density(_orchestrate(-0.6, -0.6)) < 0.5 * density(_orchestrate(-0.6, 0.7))


def test_layers_enter_with_the_intensity_curve():
    # quiet first half, loud second half (clip seconds at 100 BPM: 44 beats = 26.4 s)
    arr = _orchestrate(-0.6, 0.5, dynamics=[(0.0, 0.2), (13.0, 0.2), (13.2, 0.95),
                                            (26.4, 0.95)])
    brass = next(p for p in arr.parts if p.name == "Brass")
    assert brass.notes and min(n.start for n in brass.notes) >= 20.0  # enters when it rises
    ostinato = next(p for p in arr.parts if p.name == "Ostinato")
    early = [n.velocity for n in ostinato.notes if n.start < 16]
    late = [n.velocity for n in ostinato.notes if 24 <= n.start < 40]
    assert np.mean(late) > np.mean(early) + 20


def test_swell_into_a_hit_and_accent_on_it():
    arr = _orchestrate(-0.6, 0.7, hits=[60.0 / 100 * 17])  # beat 17
    timp = next(p for p in arr.parts if p.name == "Timpani")
    swell = [n.velocity for n in timp.notes if 15.0 <= n.start < 17.0]
    assert len(swell) >= 6 and swell[-1] > swell[0] + 20  # a crescendo roll
    on_hit = [n for n in timp.notes if n.start == 17.0]
    assert on_hit and max(n.velocity for n in on_hit) >= max(swell)
    drums = next(p for p in arr.parts if p.channel == 9)
    assert any(n.pitch == cinematic.CRASH and n.start == 17.0 for n in drums.notes)


@pytest.mark.parametrize("valence,arousal", [(-0.6, 0.7), (-0.6, -0.6), (0.6, 0.7),
                                             (0.6, -0.6)])
def test_every_texture_ends_dominant_to_tonic_on_the_last_beat(tmp_path, valence, arousal):
    arr = _orchestrate(valence, arousal, beats=43.5)
    path = tmp_path / "c.mid"
    to_midi(arr).save(str(path))
    facts = fit.read_midi_facts(path)
    assert facts.last_end == pytest.approx(43.5 * 0.6, abs=0.01)
    assert fit.ends_on_cadence(facts, key_pitch_class("D"))


def test_voice_leading_moves_inner_voices_little():
    prev = cinematic._lead(None, (2, 6, 9), 57)  # D major
    nxt = cinematic._lead(prev, (7, 11, 2), 57)  # to G major
    assert {p % 12 for p in nxt} == {7, 11, 2}
    assert sum(abs(a - b) for a, b in zip(prev, nxt, strict=True)) <= 8


def test_performance_moves_the_measured_emotion_toward_the_target():
    arr = _orchestrate(0.0, 0.0)
    before = perform.measure(arr)
    for target in ((before[0], before[1] + 0.4), (before[0], before[1] - 0.4)):
        out, info = perform.shape(arr, *target)
        after = perform.measure(out)
        assert np.hypot(after[0] - target[0], after[1] - target[1]) < \
            np.hypot(before[0] - target[0], before[1] - target[1]) - 0.1
        assert info["after"] == pytest.approx(list(after), abs=0.02)
    # the notes, the harmony and the length stay: only dynamics, articulation and octave
    out, _ = perform.shape(arr, before[0], before[1] + 0.4)
    assert out.beats == arr.beats and out.chords == arr.chords
    assert [len(p.notes) for p in out.parts] == [len(p.notes) for p in arr.parts]


def test_legato_never_overlaps_a_repeated_note():
    from scorer.music.arrange import Arrangement, Note, Part

    melody = Part("melody", "Melody", 73, 0, [Note(67, float(k), 0.5, 80) for k in range(8)])
    bass = Part("bass", "Bass", 32, 1, [Note(43, 0.0, 8.0, 70)])
    arr = Arrangement("t", 100.0, 8.0, "G", "major", [melody, bass], ["I", "I"])
    out = perform._apply(arr, 0, 1.0, 1.25, 0)
    notes = sorted(out.parts[0].notes, key=lambda n: n.start)
    assert all(a.start + a.length <= b.start + 1e-9 for a, b in zip(notes, notes[1:], strict=False))


def test_performance_search_reads_what_the_delivered_file_is_ranked_on(tmp_path):
    """The search's "after" is the V/A that ranking reads from the written MIDI file.

    (It once searched with the published rules while delivered files were measured by the
    EMOPIA-trained model, so a performance chosen to fit the cue could read far from it.)
    """
    from scorer.music.library.suggest import score_file
    from scorer.project import Cue

    arr = _orchestrate(-0.3, 0.5)
    out, info = perform.shape(arr, -0.3, 0.5)
    path = tmp_path / "cue.mid"
    to_midi(out).save(str(path))
    cue = Cue(number="1M1", start=0.0, end=26.4, valence=-0.3, arousal=0.5, tempo=100.0)
    rec, _ = score_file(cue, path)
    assert [rec["valence"], rec["arousal"]] == pytest.approx(info["after"], abs=0.05)
