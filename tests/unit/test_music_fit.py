"""The music-fit contract: hits on beats, downbeat at the start, meter kept, a V-I ending."""

from __future__ import annotations

import numpy as np
import pretty_midi
import pytest

from scorer.music import fit
from scorer.music.library.adapt import Plan, adapt_audio, adapt_midi
from scorer.project import Cue, loads


def test_tempo_map_puts_reachable_hits_on_beats():
    hits = [3.1, 7.77, 12.2, 12.5]  # the last is 0.3 s after the one before: out of reach
    segments = fit.hit_tempo_map(hits, 100.0, 20.0)
    grid = fit.Grid(segments)
    for hit in hits[:3]:
        assert grid.beat(hit) == pytest.approx(round(grid.beat(hit)), abs=1e-6)
    assert all(abs(bpm / 100.0 - 1) <= fit.MAX_CHANGE + 1e-9 for _, bpm in segments)
    assert grid.beat(20.0) == pytest.approx(round(grid.beat(20.0)), abs=1e-6)  # ends on a beat
    assert grid.seconds(grid.beat(9.3)) == pytest.approx(9.3)


def test_meter_parsing():
    assert fit.parse_meter("2/4") == (2, 4) and fit.bar_beats("6/8") == 3.0
    assert fit.parse_meter("7/5") == (4, 4) and fit.parse_meter(None) == (4, 4)


def _two_four(path, pickup_beats: float = 0.0) -> pretty_midi.PrettyMIDI:
    """A 2/4 tune in G at 120 BPM: 16 bars of eighths over a bass, with an optional pickup."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    pm.time_signature_changes.append(pretty_midi.TimeSignature(2, 4, 0.0))
    mel = pretty_midi.Instrument(0, name="melody")
    bass = pretty_midi.Instrument(32, name="bass")
    scale = [67, 69, 71, 72, 74, 72, 71, 69]
    t = 0.0
    if pickup_beats:
        mel.notes.append(pretty_midi.Note(90, 62, 0.0, pickup_beats * 0.5))
        t = pickup_beats * 0.5
    for k in range(64):
        mel.notes.append(pretty_midi.Note(90, scale[k % 8], t + k * 0.25, t + k * 0.25 + 0.2))
    for b in range(16):
        bass.notes.append(pretty_midi.Note(80, 43 if b % 2 == 0 else 38, t + b, t + b + 0.9))
    pm.instruments += [mel, bass]
    pm.write(str(path))
    return pretty_midi.PrettyMIDI(str(path))


def test_adapted_piece_keeps_its_meter_lands_hits_and_ends_on_a_cadence(tmp_path):
    src = _two_four(tmp_path / "reel.mid", pickup_beats=1.0)
    out = tmp_path / "fit.mid"
    hits = [2.9, 6.4, 9.05]
    info = adapt_midi(src, Plan(tempo_factor=1.05, length=11.3, from_tonic="G", to_tonic="G",
                                hits=hits), out, pickup=1.0)
    facts = fit.read_midi_facts(out)
    assert facts.meter == (2, 4) and info["meter"] == "2/4"
    # the pickup is skipped: bar 1's downbeat (source beat 1) sounds at the cue's start
    res = pretty_midi.PrettyMIDI(str(out))
    first = min((n for i in res.instruments for n in i.notes), key=lambda n: n.start)
    assert first.start == pytest.approx(0.0) and first.pitch in (67, 43)
    assert max(fit.hit_beat_errors(facts, hits)) < 0.002
    beat = fit.beat_length_at(facts, 11.0)
    assert abs(facts.last_end - 11.3) <= beat
    assert fit.ends_on_cadence(facts, 7)  # D in the bass, then G


def test_a_first_bar_opening_with_rests_is_taken_as_a_pickup(tmp_path):
    src = _two_four(tmp_path / "rest.mid", pickup_beats=1.0)  # no pickup measure declared
    facts_src = [n.start for n in src.instruments[0].notes][:2]
    assert facts_src == [0.0, 0.5]
    # shift everything by a beat: bar 1 now opens with a quarter rest
    for inst in src.instruments:
        for n in inst.notes:
            n.start += 0.5
            n.end += 0.5
    out = tmp_path / "fit.mid"
    adapt_midi(src, Plan(length=8.0, from_tonic="G", to_tonic="G"), out)
    res = pretty_midi.PrettyMIDI(str(out))
    first = min((n for i in res.instruments for n in i.notes), key=lambda n: n.start)
    assert first.start == pytest.approx(0.0) and first.pitch in (67, 43)


def test_generated_cue_sits_on_the_cue_grid(tmp_path):
    pytest.importorskip("onnxruntime")
    from scorer.music import melody
    from scorer.music.generate import generate_for_cue

    if not melody.available_styles():
        pytest.skip("no melody model installed")
    cue = Cue("1M1", 10.0, 41.3, valence=-0.4, arousal=0.5, tempo=112.0, key="D",
              mode="minor", hit_points=[13.1, 21.77, 30.2, 33.0], register=62)
    path = generate_for_cue(cue, seed=1).save(tmp_path / "g.mid")
    facts = fit.read_midi_facts(path)
    assert facts.meter == (4, 4) and facts.first_onset_beat == pytest.approx(0.0)
    errors = fit.hit_beat_errors(facts, [h - cue.start for h in cue.hit_points])
    assert max(errors) < 0.002
    assert abs(facts.last_end - cue.duration) <= fit.beat_length_at(facts, cue.duration - 0.1)
    assert fit.ends_on_cadence(facts, 2)


def test_audio_refuses_a_large_shift_and_says_so(tmp_path):
    sr = 22050
    t = np.arange(int(4.0 * sr)) / sr
    y = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    info = adapt_audio(y, sr, Plan(semitones=6, length=3.0, from_tonic="A",
                                   from_mode="minor"), tmp_path / "a.wav")
    assert info["semitones"] == 0 and info["skipped_shift"] == 6
    assert "refused" in info["refused"] and "A minor" in info["refused"]


def test_old_project_cues_get_the_contract_defaults():
    doc = ('{"schema_version": 2, "cues": [{"number": "1M1", "start": 0.0, "end": 8.0}]}')
    cue = loads(doc).cues[0]
    assert cue.meter == "4/4" and cue.bar_offset == 0.0 and cue.tempo_map == []


def _bar_tone(k: int) -> float:
    return 220.0 * 2 ** (k / 12)  # a different pitch in every bar, to read the order back


@pytest.mark.slow  # librosa's onset analysis on a busy machine takes 40-70 s
def test_audio_is_fitted_by_its_own_sections(tmp_path):
    sr, beat = 8000, 0.5  # 120 BPM
    bars = 24
    n = int((bars * 4 * beat + 1.0) * sr)  # one second of ring after the last bar
    t = np.arange(n) / sr
    y = np.zeros(n, np.float32)
    for k in range(bars):
        a, b = int(k * 2.0 * sr), int((k + 1) * 2.0 * sr if k < bars - 1 else n)
        y[a:b] = 0.2 * np.sin(2 * np.pi * _bar_tone(k) * t[a:b])
        for j in range(4):  # a click on every beat, louder on the downbeat
            c = int((k * 4 + j) * beat * sr)
            y[c:c + 80] += (0.8 if j == 0 else 0.3) * np.hanning(80)
    beats = list(np.arange(bars * 4) * beat)
    out = tmp_path / "fit.wav"
    info = adapt_audio(y, sr, Plan(length=36.0), out, beats)
    assert info["sections"] == {"intro": 4, "body": 10, "ending": 4, "source_bars": 24}
    import soundfile

    res, rate = soundfile.read(str(out))
    assert len(res) == int(36.0 * sr)

    def tone_of(bar: int) -> float:
        seg = res[int((bar * 2.0 + 0.5) * rate):int((bar * 2.0 + 1.5) * rate)]
        spectrum = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
        return float(np.fft.rfftfreq(len(seg), 1 / rate)[np.argmax(spectrum)])

    # intro, body from bar 4, and the piece's own last phrase at the end
    for out_bar, src_bar in ((0, 0), (3, 3), (4, 4), (13, 13), (14, 20), (17, 23)):
        assert tone_of(out_bar) == pytest.approx(_bar_tone(src_bar), rel=0.03)


def test_a_section_starts_on_its_downbeat_after_an_overfull_bar(tmp_path):
    """A transcription that made bar 4 a 32nd too long: later bars sit off the bar grid."""
    src = _two_four(tmp_path / "overfull.mid")
    late = 4 * 1.0 + 0.0625  # from bar 5 (second 4.0 at 120 BPM, 2/4) on, a 32nd late
    for inst in src.instruments:
        for n in inst.notes:
            if n.start >= 4.0 - 1e-6:
                n.start += 0.0625
                n.end += 0.0625
    out = tmp_path / "fit.mid"
    # the cue's music begins in the source's bar 7 (second 6.3): the section opens at bar 7
    info = adapt_midi(src, Plan(length=6.0, start=6.3, from_tonic="G", to_tonic="G"), out)
    res = pretty_midi.PrettyMIDI(str(out))
    first = min((n for i in res.instruments for n in i.notes), key=lambda n: n.start)
    assert first.start == pytest.approx(0.0, abs=1e-3)
    assert info["start"] == pytest.approx(late + 2.0, abs=5e-3)  # bar 7's displaced downbeat
    facts = fit.read_midi_facts(out)
    assert facts.first_onset_beat < 1e-3
    # the melody keeps its eighths on the delivered grid
    mel = sorted(n.start for n in res.instruments[0].notes)[:8]
    np.testing.assert_allclose(np.diff(mel), 0.25, atol=2e-3)
