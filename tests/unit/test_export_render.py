"""SoundFont rendering, cue fitting and ducking, checked on generated MIDI."""

from __future__ import annotations

import shutil

import mido
import numpy as np
import pytest
import soundfile

from scorer.errors import InputError
from scorer.export.mixdown import duck_envelope, fit_cue
from scorer.music import render


def make_midi(path, bpm=120.0, beats=8, program=0, velocity=100, note=60):
    """One track of quarter notes on a tempo map; returns its length in seconds."""
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    conductor = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))])
    track = mido.MidiTrack([mido.Message("program_change", program=program)])
    for i in range(beats):
        track.append(mido.Message("note_on", note=note + (i % 3) * 2, velocity=velocity))
        track.append(mido.Message("note_off", note=note + (i % 3) * 2, velocity=0, time=480))
    mid.tracks += [conductor, track]
    mid.save(str(path))
    return beats * 60.0 / bpm


def db(x: np.ndarray) -> float:
    return 20 * np.log10(np.sqrt(np.mean(np.square(x))) + 1e-12)


def test_render_length_level_and_rate(tmp_path):
    length = make_midi(tmp_path / "a.mid", bpm=100, beats=10)
    audio = render.render_midi(tmp_path / "a.mid", tail=0.5)
    assert audio.dtype == np.float32 and audio.ndim == 2 and audio.shape[1] == 2
    assert len(audio) == pytest.approx((length + 0.5) * 44100, abs=44100 * 0.02)
    assert np.abs(audio).max() < 1.0
    assert db(audio[: int(length * 44100)]) > -50  # not silent
    # the tail is where the last note releases: quieter than the notes
    assert db(audio[-2000:]) < db(audio[: int(length * 44100)])


def test_loud_render_is_limited_not_clipped(tmp_path):
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    track = mido.MidiTrack()
    for ch, program in enumerate((0, 19, 30, 48, 61, 81, 56, 24)):  # a wall of sound
        track.append(mido.Message("program_change", channel=ch, program=program))
        for note in (36, 48, 55, 60, 64, 67, 72, 79):
            track.append(mido.Message("note_on", channel=ch, note=note, velocity=127))
    track.append(mido.Message("control_change", control=7, value=127, time=1920))
    mid.tracks.append(track)
    audio = render.render_midi(mid)
    peak = float(np.abs(audio).max())
    assert peak <= 10 ** (-1 / 20) + 1e-6
    assert peak > 0.5  # only scaled down to the ceiling, not squashed


def test_render_to_wav_reads_back(tmp_path):
    make_midi(tmp_path / "a.mid", beats=4)
    out = tmp_path / "a.wav"
    audio = render.render_to_wav(tmp_path / "a.mid", out, sr=44100)
    back, sr = soundfile.read(out, dtype="float32", always_2d=True)
    assert sr == 44100 and back.shape == audio.shape
    assert soundfile.info(out).subtype == "PCM_24"
    assert np.max(np.abs(back - audio)) < 1e-5


def test_user_soundfont_and_bad_soundfont(tmp_path):
    make_midi(tmp_path / "a.mid", beats=2)
    copy = tmp_path / "my font.sf2"
    shutil.copy(render.timgm6mb(), copy)  # small, so the copy is quick
    assert np.abs(render.render_midi(tmp_path / "a.mid", sf2=copy)).max() > 0
    bad = tmp_path / "bad.sf2"
    bad.write_bytes(b"RIFF\0\0\0\0WAVEnot a soundfont")
    with pytest.raises(InputError, match="not a SoundFont") as info:
        render.render_midi(tmp_path / "a.mid", sf2=bad)
    assert "bad.sf2" in str(info.value)
    with pytest.raises(InputError, match="not found"):
        render.render_midi(tmp_path / "a.mid", sf2=tmp_path / "missing.sf2")


def test_bad_midi_is_a_clear_error(tmp_path):
    junk = tmp_path / "junk.mid"
    junk.write_bytes(b"this is not midi")
    with pytest.raises(InputError, match="junk.mid"):
        render.render_midi(junk)
    with pytest.raises(InputError, match="not found"):
        render.render_midi(tmp_path / "none.mid")


def test_audio_music_decodes_to_stereo(tmp_path):
    tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(22050) / 22050)
    soundfile.write(tmp_path / "t.wav", tone, 22050)
    audio = render.load_music(tmp_path / "t.wav")
    assert audio.shape[1] == 2 and len(audio) == pytest.approx(44100, abs=64)
    assert np.abs(audio).max() == pytest.approx(0.3, abs=0.02)


def test_fit_cue_cuts_fades_and_sets_level():
    sr = 44100
    music = np.full((sr * 3, 2), 0.5, dtype=np.float32)
    out = fit_cue(music, sr * 2, sr, target_rms_db=-20)
    assert out.shape == (sr * 2, 2)
    assert abs(out[0, 0]) < 1e-3 and abs(out[-1, 0]) < 1e-3  # faded both ends
    assert db(out[sr // 2: sr]) == pytest.approx(-20, abs=1.5)
    short = fit_cue(music[:sr], sr * 2, sr)
    assert np.all(short[sr:] == 0)  # music shorter than the cue is not looped or stretched


def test_duck_envelope_depth_and_ramps():
    sr = 1000
    gain = duck_envelope(10 * sr, [(4.0, 6.0)], sr=sr, duck_db=-10, attack=0.5, release=1.0)
    to_db = 20 * np.log10(gain)
    assert to_db[int(5.0 * sr)] == pytest.approx(-10, abs=0.01)
    assert to_db[int(3.0 * sr)] == pytest.approx(0, abs=0.01)
    assert to_db[int(3.75 * sr)] == pytest.approx(-5, abs=0.2)  # halfway down the attack
    assert to_db[int(6.5 * sr)] == pytest.approx(-5, abs=0.2)  # halfway up the release
    assert to_db[int(7.2 * sr)] == pytest.approx(0, abs=0.01)
    assert np.all(np.diff(to_db[int(3.4 * sr): int(4.0 * sr)]) <= 1e-6)  # monotone ramp


def test_default_soundfont_prefers_the_user_then_fluid_then_timgm(tmp_path, monkeypatch):
    monkeypatch.delenv(render.SOUNDFONT_ENV, raising=False)
    monkeypatch.setattr(render, "SYSTEM_SOUNDFONTS", (tmp_path / "FluidR3_GM.sf2",))
    assert render.default_soundfont() == render.timgm6mb()  # nothing installed: the fallback
    shutil.copy(render.timgm6mb(), tmp_path / "FluidR3_GM.sf2")
    assert render.default_soundfont() == tmp_path / "FluidR3_GM.sf2"
    own = tmp_path / "mine.sf2"
    monkeypatch.setenv(render.SOUNDFONT_ENV, str(own))
    assert render.default_soundfont() == own
    make_midi(tmp_path / "a.mid", beats=2)
    with pytest.raises(InputError, match="not found") as info:  # named, not silently replaced
        render.render_midi(tmp_path / "a.mid")
    assert "mine.sf2" in str(info.value)


def busy_piece(seconds=40.0, bpm=100.0):
    """Three parts with program, volume, pan and bend changes and a sustain pedal."""
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    mid.tracks.append(mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm)),
                                      mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(90),
                                                       time=480 * 20)]))
    beats = int(seconds * bpm / 60)
    rng = np.random.default_rng(3)
    for channel, program in ((0, 0), (1, 48), (2, 32)):
        track = mido.MidiTrack([mido.Message("program_change", channel=channel, program=program),
                                mido.Message("control_change", channel=channel, control=10,
                                             value=20 + 40 * channel)])
        for beat in range(beats):
            if beat == 6:  # a change well before any split: carried into the second chunk
                track.append(mido.Message("control_change", channel=channel, control=7,
                                          value=70))
                track.append(mido.Message("pitchwheel", channel=channel, pitch=1200))
            if channel == 0 and beat % 4 == 0:
                track.append(mido.Message("control_change", channel=0, control=64, value=127))
            note = int(rng.integers(50, 76))
            track.append(mido.Message("note_on", channel=channel, note=note, velocity=80))
            track.append(mido.Message("note_off", channel=channel, note=note, time=360))
            if channel == 0 and beat % 4 == 3:
                track.append(mido.Message("control_change", channel=0, control=64, value=0))
            track.append(mido.Message("control_change", channel=channel, control=1, value=0,
                                      time=120))
        mid.tracks.append(track)
    return mid


def test_two_chunk_render_equals_the_one_piece_render():
    sf2 = render.timgm6mb()
    mid = busy_piece()
    events, tempo_map, end_tick = render._prepare(mid, 1.0)
    assert render._split(events, tempo_map, end_tick, 44100) is not None  # it is split
    one = render.render_midi(mid, sf2=sf2, workers=1, limit=False)
    two = render.render_midi(mid, sf2=sf2, workers=2, limit=False)
    assert len(two) == len(one)
    assert db(two) == pytest.approx(db(one), abs=0.05)
    assert np.abs(two).max() == pytest.approx(np.abs(one).max(), rel=0.01)
    # linear synthesis: the sum of the chunks is the whole, sample for sample, but for
    # rounding (a controller or bend not carried over would leave tens of dB here)
    assert db(two - one) < db(one) - 60


def test_split_render_is_limited_after_the_sum():
    sf2 = render.timgm6mb()
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    track = mido.MidiTrack()
    for ch, program in enumerate((0, 19, 48)):  # loud chords, 30 s, peaks just over -1 dBFS
        track.append(mido.Message("program_change", channel=ch, program=program))
        track.append(mido.Message("control_change", channel=ch, control=7, value=127))
    for beat in range(60):
        chord = [(ch, note + beat % 5) for ch in range(3) for note in (48, 55, 60, 64)]
        track += [mido.Message("note_on", channel=ch, note=n, velocity=127) for ch, n in chord]
        track += [mido.Message("note_off", channel=ch, note=n, time=0 if i else 480)
                  for i, (ch, n) in enumerate(chord)]
    mid.tracks.append(track)
    events, tempo_map, end_tick = render._prepare(mid, 1.0)
    assert render._split(events, tempo_map, end_tick, 44100) is not None
    raw = render.render_midi(mid, sf2=sf2, workers=1, limit=False)
    ceiling = 10 ** (-1 / 20)
    assert 1.0 > np.abs(raw).max() > ceiling  # the limiter has work to do
    one = render.render_midi(mid, sf2=sf2, workers=1)
    two = render.render_midi(mid, sf2=sf2, workers=2)
    assert len(two) == len(one) == len(raw)
    # one gain for the whole sum: the peak sits on the ceiling and the level is the one-piece
    # render's (chunks limited on their own would each get their own gain)
    assert np.abs(two).max() == pytest.approx(ceiling, abs=1e-4)
    assert db(two) == pytest.approx(db(one), abs=0.05)


def test_pieces_that_cannot_be_split_render_in_one():
    sf2 = render.timgm6mb()
    held = busy_piece()  # the sustain pedal never lifted: every note rings to the end
    held.tracks[1][:] = [mido.Message("control_change", channel=0, control=64, value=127)] + [
        m for m in held.tracks[1] if not (m.type == "control_change" and m.control == 64)]
    events, tempo_map, end_tick = render._prepare(held, 1.0)
    assert render._split(events, tempo_map, end_tick, 44100) is None  # pedal down to the end
    short = busy_piece(seconds=10.0)
    events, tempo_map, end_tick = render._prepare(short, 1.0)
    assert render._split(events, tempo_map, end_tick, 44100) is None
    one = render.render_midi(short, sf2=sf2, workers=1)
    assert np.array_equal(render.render_midi(short, sf2=sf2, workers=2), one)


@pytest.mark.parametrize("sr", [44100, 48000, 22050])
def test_chunks_start_on_a_block_and_a_whole_sample(sr):
    mid = busy_piece()
    events, tempo_map, end_tick = render._prepare(mid, 1.0)
    _, _, offset = render._split(events, tempo_map, end_tick, sr)
    assert offset % 64 == 0 and (offset * sr) % render.SYNTH_RATE == 0
    assert offset % 120000 == 0  # whole sweeps of the chorus (0.4 Hz at 48 kHz)


def test_a_second_chunk_only_when_a_core_is_free(monkeypatch):
    monkeypatch.delenv(render.WORKERS_ENV, raising=False)
    monkeypatch.setattr(render.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(render.os, "getloadavg", lambda: (1.2, 1.0, 1.0))
    assert render.render_workers() == 2
    monkeypatch.setattr(render.os, "getloadavg", lambda: (3.5, 3.0, 3.0))
    assert render.render_workers() == 1  # every core busy: the helper would only compete
    monkeypatch.setattr(render.os, "cpu_count", lambda: 1)
    monkeypatch.setattr(render.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert render.render_workers() == 1
    monkeypatch.setenv(render.WORKERS_ENV, "2")
    assert render.render_workers() == 2
    monkeypatch.setenv(render.WORKERS_ENV, "many")
    assert render.render_workers() == 1
