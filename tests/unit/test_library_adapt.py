"""Adaptation: tempo keeps pitches, transposition, length fit with a cadence, audio."""

from __future__ import annotations

import numpy as np
import pretty_midi
import pytest
import soundfile
from test_library_fixtures import fast_major, slow_minor, write_wav

from scorer.music.library import adapt
from scorer.music.library.adapt import Plan, adapt_audio, adapt_midi


def _notes(pm):
    return sorted((round(n.start, 4), n.pitch, round(n.end - n.start, 4))
                  for inst in pm.instruments for n in inst.notes)


def test_tempo_only_adaptation_keeps_pitch_content(tmp_path):
    src = pretty_midi.PrettyMIDI(str(fast_major(tmp_path / "a.mid")))
    out = tmp_path / "out.mid"
    info = adapt_midi(src, Plan(tempo_factor=1.25), out)
    res = pretty_midi.PrettyMIDI(str(out))
    before, after = _notes(src), _notes(res)
    assert [p for _, p, _ in before] == [p for _, p, _ in after]
    np.testing.assert_allclose([t for t, _, _ in after], [t / 1.25 for t, _, _ in before],
                               atol=2e-3)
    np.testing.assert_allclose([d for *_, d in after], [d / 1.25 for *_, d in before],
                               atol=2e-3)
    assert info["tempo"] == pytest.approx(160 * 1.25)
    assert res.get_tempo_changes()[1][0] == pytest.approx(200, rel=1e-3)


def test_transposition_and_mode_change(tmp_path):
    src = pretty_midi.PrettyMIDI(str(fast_major(tmp_path / "a.mid", tonic=0)))
    out = tmp_path / "d.mid"
    adapt_midi(src, Plan(semitones=adapt.transposition("C", "D")), out)
    moved = _notes(pretty_midi.PrettyMIDI(str(out)))
    shift = {b[1] - a[1] for a, b in zip(_notes(src), moved, strict=True)}
    assert shift == {2}
    adapt_midi(src, Plan(from_tonic="C", from_mode="major", to_tonic="C", to_mode="minor",
                         change_mode=True), out)
    pcs = {n.pitch % 12 for i in pretty_midi.PrettyMIDI(str(out)).instruments for n in i.notes}
    assert 4 not in pcs and 9 not in pcs and 3 in pcs  # E -> Eb, A -> Ab


def test_transposition_is_the_smallest_interval():
    assert adapt.transposition("C", "G") == -5
    assert adapt.transposition("A", "C") == 3
    assert adapt.transposition("Bb", "A#") == 0


def test_longer_piece_is_cut_at_a_bar_and_closes_on_a_cadence(tmp_path):
    src = pretty_midi.PrettyMIDI(str(fast_major(tmp_path / "a.mid")))  # 8 bars of 1.5 s
    out = tmp_path / "cut.mid"
    info = adapt_midi(src, Plan(length=7.0, to_tonic="C", register=72,
                                programs={"melody": 40, "bass": 42}), out)
    res = pretty_midi.PrettyMIDI(str(out))
    assert res.get_end_time() == pytest.approx(7.0, abs=0.01)
    # 7 s at 160 BPM is 18.7 beats: the tempo is nudged (< 2 %) so the cue ends on beat 19;
    # three bars of the tune, the dominant in bar 4, the tonic from bar 5 to the end
    beat = 7.0 / 19
    assert info["cut"] == pytest.approx(12 * beat, abs=1e-3) and info["cadence"]
    dominant = [n for i in res.instruments for n in i.notes
                if abs(n.start - 12 * beat) < 1e-3]
    tonic = [n for i in res.instruments for n in i.notes if abs(n.start - 16 * beat) < 1e-3]
    assert {n.pitch % 12 for n in dominant} <= {7, 11, 2} and len(dominant) >= 2
    assert {n.pitch % 12 for n in tonic} <= {0, 4, 7} and len(tonic) >= 2
    assert min(tonic, key=lambda n: n.pitch).pitch % 12 == 0  # tonic in the bass
    assert min(dominant, key=lambda n: n.pitch).pitch % 12 == 7
    assert all(n.end == pytest.approx(7.0, abs=0.01) for n in tonic)
    assert {i.program for i in res.instruments} == {40, 42}


def test_shorter_piece_is_looped_to_the_cue(tmp_path):
    src = pretty_midi.PrettyMIDI(str(slow_minor(tmp_path / "s.mid")))  # 8 bars ~ 34 s
    out = tmp_path / "loop.mid"
    info = adapt_midi(src, Plan(length=80.0, from_tonic="A", from_mode="minor",
                                to_tonic="A", to_mode="minor"), out)
    # 80 s is 75 beats: two whole passes of the 32-beat tune end a phrase at beat 64, the
    # dominant is held from there and the tonic from beat 72
    assert info["loops"] == 2 and info["cadence"]
    res = pretty_midi.PrettyMIDI(str(out))
    assert res.get_end_time() == pytest.approx(80.0, abs=0.01)
    assert res.time_signature_changes[0].numerator == 4


@pytest.mark.slow  # librosa's first use imports scipy.signal & co: slow on a busy machine
def test_audio_adaptation_stretches_and_fits_length(tmp_path):
    wav = write_wav(tmp_path / "a.wav", seconds=4.0)
    y, sr = soundfile.read(str(wav), dtype="float32")
    out = tmp_path / "a_fit.wav"
    info = adapt_audio(y, sr, Plan(tempo_factor=1.1, semitones=2, length=6.0), out)
    res, rate = soundfile.read(str(out))
    assert rate == sr and len(res) == int(6.0 * sr)
    assert info["loops"] >= 2 and info["semitones"] == 2
    assert np.abs(res[-10:]).max() < 1e-3  # faded out


def _chordal_piece(path):
    """A piano right hand in chords (top line 72, 74, 76...) over a left hand in octaves."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    right = pretty_midi.Instrument(program=0, name="RH")
    left = pretty_midi.Instrument(program=0, name="LH")
    for i in range(16):
        t = i * 0.5
        top = 72 + (i % 4) * 2
        for pitch in (top, top - 5, top - 8):
            right.notes.append(pretty_midi.Note(80, pitch, t, t + 0.5))
        for pitch in (36 + i % 3, 48 + i % 3):
            left.notes.append(pretty_midi.Note(80, pitch, t, t + 0.5))
    pm.instruments += [right, left]
    pm.write(str(path))
    return pretty_midi.PrettyMIDI(str(path))


def _quartet(path):
    pm = pretty_midi.PrettyMIDI(initial_tempo=100)
    for name, base in (("Violin I", 76), ("Violin II", 67), ("Viola", 60), ("Cello", 43)):
        inst = pretty_midi.Instrument(program=40 if base > 60 else 41 if base == 60 else 42,
                                      name=name)
        for i in range(8):
            inst.notes.append(pretty_midi.Note(70, base + i % 3, i * 0.6, i * 0.6 + 0.6))
        pm.instruments.append(inst)
    pm.write(str(path))
    return pretty_midi.PrettyMIDI(str(path))


def _tracks(path):
    """Program -> sorted (start, pitch) of a written MIDI file's pitched tracks."""
    out: dict[int, list] = {}
    for inst in pretty_midi.PrettyMIDI(str(path)).instruments:
        if not inst.is_drum:
            out.setdefault(inst.program, []).extend(
                (round(n.start, 3), n.pitch) for n in inst.notes)
    return {k: sorted(v) for k, v in out.items()}


CUE_PROGRAMS = {"melody": 60, "harmony": 0, "bass": 43, "pad": 48}  # horn, piano, bass, strings


def test_a_chordal_top_part_gives_the_melody_instrument_one_line(tmp_path):
    src = _chordal_piece(tmp_path / "p.mid")
    out = tmp_path / "o.mid"
    adapt_midi(src, Plan(programs=CUE_PROGRAMS), out)
    tracks = _tracks(out)
    horn = tracks[60]
    starts = [t for t, _ in horn]
    assert len(starts) == len(set(starts)) == 16  # one note at a time, every onset kept
    assert [p for _, p in horn] == [72 + (i % 4) * 2 for i in range(16)]  # the top line
    # the chords under it and the left hand's upper octave are accompaniment, not lost
    assert len(tracks[0]) + len(tracks.get(48, [])) == 16 * 2 + 16
    bass = tracks[43]
    assert [p for _, p in bass] == [36 + i % 3 for i in range(16)]  # the lowest line


def test_a_quartets_inner_voices_are_spread_over_the_accompaniment(tmp_path):
    src = _quartet(tmp_path / "q.mid")
    out = tmp_path / "o.mid"
    adapt_midi(src, Plan(programs=CUE_PROGRAMS), out)
    tracks = _tracks(out)
    assert set(tracks) == {60, 0, 48, 43}  # no source program (40-42) is left
    assert {p for _, p in tracks[60]} == {76, 77, 78}  # first violin: the melody instrument
    assert {p for _, p in tracks[0]} == {67, 68, 69}  # second violin: harmony (piano)
    assert {p for _, p in tracks[48]} == {60, 61, 62}  # viola: the pad (strings)
    assert {p for _, p in tracks[43]} == {43, 44, 45}  # cello: the bass


def test_notes_held_into_the_first_bar_sound_on_its_downbeat(tmp_path):
    """A piece entered at a later bar whose voices are all tied over the bar line (as in
    Renaissance polyphony) starts on that downbeat, not on the next onset."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=120)  # 4/4, a bar is 2 s
    for base in (72, 64, 57, 48):
        inst = pretty_midi.Instrument(program=52)
        for bar in range(8):  # every note starts on beat 3 and is held over the bar line
            inst.notes.append(pretty_midi.Note(70, base + bar % 2, bar * 2.0 + 1.0,
                                               bar * 2.0 + 3.0))
        pm.instruments.append(inst)
    pm.time_signature_changes.append(pretty_midi.TimeSignature(4, 4, 0.0))
    path = tmp_path / "tied.mid"
    pm.write(str(path))
    src = pretty_midi.PrettyMIDI(str(path))
    out = tmp_path / "o.mid"
    info = adapt_midi(src, Plan(start=4.5, length=8.0, programs=CUE_PROGRAMS), out)
    assert info["downbeat"] == pytest.approx(8.0)  # bar 3, in quarter notes
    res = pretty_midi.PrettyMIDI(str(out))
    first = min(n.start for inst in res.instruments for n in inst.notes)
    assert first == pytest.approx(0.0, abs=1e-3)
    # the four held voices are sounded on the downbeat, each for its remaining beat
    opening = [n for inst in res.instruments for n in inst.notes if n.start < 1e-3]
    assert len(opening) == 4


def test_a_melody_that_ends_low_still_closes_on_a_bass_v_i(tmp_path):
    """Crossed voices at the cut: the tune falls to D3 while the cello climbs to A3. The
    cadence's bass stays under the melody (an octave clear, as the performance search may drop
    the melody one), so the lowest line moves dominant -> tonic."""
    from scorer.music import fit

    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    tune = pretty_midi.Instrument(program=40, name="Violin")
    cello = pretty_midi.Instrument(program=42, name="Cello")
    for i in range(16):  # 4 bars of quarters; the last bar crosses
        t = i * 0.5
        tune.notes.append(pretty_midi.Note(80, 50 if i >= 12 else 76 + i % 3, t, t + 0.5))
        cello.notes.append(pretty_midi.Note(80, 57 if i >= 12 else 43 + i % 3, t, t + 0.5))
    pm.instruments += [tune, cello]
    path = tmp_path / "crossed.mid"
    pm.write(str(path))
    out = tmp_path / "o.mid"
    info = adapt_midi(pretty_midi.PrettyMIDI(str(path)),
                      Plan(length=12.0, to_tonic="C", register=72, programs=CUE_PROGRAMS), out)
    assert info["cadence"]
    assert fit.ends_on_cadence(fit.read_midi_facts(out), 0)
