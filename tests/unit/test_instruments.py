"""Instrument recognition: names from MIDI programs, the feature grids, the shipped model on
rendered clips, and instruments in the library (index, search, ranking, explanations)."""

from __future__ import annotations

import numpy as np
import pretty_midi
import pytest
from test_library_fixtures import fast_major, slow_minor, write_tune

from scorer.affect.cues import INSTRUMENTATION
from scorer.music import instruments as ins
from scorer.music.library import retrieval
from scorer.music.library.browse import BrowseQuery, browse
from scorer.music.library.index import LibraryIndex

# ---------------------------------------------------------------- names and plans


def test_programs_name_the_instruments():
    # General MIDI: 40 violin, 42 cello, 73 flute, 107 koto, 0 piano, 32 acoustic bass
    assert ins.instruments_of_programs([42, 32]) == ["cello"]
    assert ins.instruments_of_programs([107, 73, 40]) == ["violin", "flute", "zither"]
    assert ins.instruments_of_programs([0, 1]) == ["piano"]
    assert ins.instruments_of_programs([19, 52, 89]) == []  # organ, choir, pad: not classes
    assert ins.instruments_of_programs([], drum_keys=[36, 38, 42]) == ["snare drum"]
    assert ins.instruments_of_programs([], drum_keys=[36, 42]) == []  # kick and hi-hat only


def test_the_cue_presets_plan_recognisable_instruments():
    # sombre strings: cello (42) over piano (0), contrabass (43), choir pad (52)
    assert ins.planned_instruments(INSTRUMENTATION["sombre_strings"]) == [
        "cello", "double bass", "piano"]
    # bright band: trumpet (56), piano (0), electric bass, string ensemble, a drum kit
    assert ins.planned_instruments(INSTRUMENTATION["bright_band"]) == [
        "trumpet", "piano", "snare drum"]
    assert ins.planned_instruments({"pad": 89, "bass": 33}) == []


def test_instrument_fit_is_the_share_of_the_plan_present():
    plan = ["cello", "piano"]
    assert ins.instrument_fit(["cello", "piano", "flute"], plan) == 1.0
    assert ins.instrument_fit(["cello"], plan) == 0.5
    assert ins.instrument_fit(["flute"], plan) == 0.0
    assert ins.instrument_fit([], plan) == 0.0  # known to play none of them
    assert ins.instrument_fit(None, plan) == ins.UNKNOWN_FIT  # not known
    assert ins.instrument_fit(["cello"], []) is None  # nothing planned: no fit at all


# ---------------------------------------------------------------- features


def test_true_note_grid_marks_the_note_frames():
    frame = ins.HOP / ins.SR
    note, onset = ins.roll_from_notes([(0.5, 1.0, 60), (0.2, 0.3, 10)], 100)
    k = 60 - ins.MIDI_LOW
    on = np.nonzero(note[:, k])[0]
    assert on[0] == round(0.5 / frame) and on[-1] == round(1.0 / frame) - 1
    assert np.nonzero(onset[:, k])[0].tolist() == [round(0.5 / frame)]
    assert note.sum() == len(on)  # key 10 is below A0: left out


def test_features_of_silence_are_finite_and_sized():
    db = np.full((258, ins.CQT_BINS), ins.FLOOR_DB, np.float32)
    zeros = np.zeros((258, ins.N_KEYS), np.float32)
    f = ins.window_features(db, zeros, zeros)
    assert f.shape == (ins.N_FEATURES,) and np.isfinite(f).all()
    assert ins.window_features(db[:0], zeros[:0], zeros[:0]).shape == (ins.N_FEATURES,)


def test_harmonic_map_tells_a_bright_tone_from_a_pure_one():
    # a tone at MIDI 57 (220 Hz): pure sine vs. a sawtooth-like sum of 8 harmonics
    t = np.arange(int(1.5 * ins.SR)) / ins.SR
    pure = 0.3 * np.sin(2 * np.pi * 220 * t)
    bright = sum(0.3 / h * np.sin(2 * np.pi * 220 * h * t) for h in range(1, 9))
    note, onset = ins.roll_from_notes([(0.0, 1.5, 57)], int(np.ceil(len(t) / ins.HOP)))
    h_pure = ins.window_features(ins.cqt_db(pure), note, onset)
    h_bright = ins.window_features(ins.cqt_db(bright), note, onset)
    # the band 48-59 holds MIDI 57: its seven harmonic levels come first after two bands
    width = len(ins.HARMONICS) + 1
    band = slice(2 * width, 2 * width + len(ins.HARMONICS))
    assert h_bright[band][0] > h_pure[band][0] + 0.5  # 2nd harmonic: >10 dB stronger


def test_windows_cover_the_audio():
    size = round(ins.WINDOW_SECONDS * ins.SR / ins.HOP)
    assert ins.window_bounds(0) == []
    assert ins.window_bounds(100) == [(0, 100)]
    b = ins.window_bounds(3 * size + 10)
    assert b[0] == (0, size) and b[-1][1] == 3 * size + 10 and len(b) == 4


def test_present_needs_the_threshold_in_a_tenth_of_the_windows():
    probs = np.zeros((20, len(ins.CLASSES)), np.float32)
    probs[:, 0] = 0.9  # violin throughout
    probs[:2, 9] = 0.8  # piano in 2 of 20 windows: a tenth
    probs[:1, 4] = 0.99  # flute in 1 of 20: not enough
    r = ins.Reading(np.arange(20) * 3.0, probs, np.full(len(ins.CLASSES), 0.5))
    names = [n for n, _ in r.present()]
    assert names[0] == "violin" and "piano" in names and "flute" not in names


# ---------------------------------------------------------------- the model


def _clip(program: int, low: int, high: int, seconds: float = 6.0) -> np.ndarray:
    """A phrase (not from the training generator) rendered with the project's renderer."""
    from scorer.music.render import render_midi, timgm6mb

    pm = pretty_midi.PrettyMIDI(initial_tempo=96)
    inst = pretty_midi.Instrument(program=program)
    steps = [0, 2, 4, 5, 7, 5, 4, 2, 0, 4, 7, 12, 7, 4]
    t = 0.0
    for i, s in enumerate(steps * 2):
        pitch = min(high, low + 5 + s)
        dur = 0.42 if i % 3 else 0.6
        inst.notes.append(pretty_midi.Note(90, pitch, t, t + dur * 0.95))
        t += dur
        if t > seconds - 0.5:
            break
    pm.instruments.append(inst)
    import io

    buf = io.BytesIO()
    pm.write(buf)
    audio = render_midi(buf.getvalue(), timgm6mb(), sr=ins.SR, tail=0.5, workers=1)
    return audio.mean(axis=1)


@pytest.fixture(scope="module")
def readings():
    # flute (GM 73) and cello (GM 42); a solo piano line is a known weakness (the card: piano
    # F1 0.32 across SoundFonts; such a line is often read as xylophone or flute as well)
    return {name: ins.recognise(_clip(program, lo, hi), ins.SR)
            for name, program, lo, hi in (("cello", 42, 43, 72), ("flute", 73, 62, 91))}


def test_model_ranks_the_instrument_played_above_the_other(readings):
    cello, flute = ins.CLASSES.index("cello"), ins.CLASSES.index("flute")
    c = readings["cello"].probs.mean(axis=0)
    f = readings["flute"].probs.mean(axis=0)
    assert c[cello] > c[flute] and f[flute] > f[cello]
    # and the instrument played is among the three most probable of the sixteen
    assert cello in np.argsort(-c)[:3]
    assert flute in np.argsort(-f)[:3]
    assert "flute" in [n for n, _ in readings["flute"].present()]


def test_model_output_shape_and_thresholds(readings):
    r = readings["cello"]
    # the 6.3-s clip (6 s of notes, 0.3 s of release): windows at 0 and 3 s, and a last
    # one that ends with the clip
    assert r.probs.shape == (3, len(ins.CLASSES))
    assert r.times[:2].tolist() == pytest.approx([0.0, 3.0], abs=0.02)
    assert r.times[2] == pytest.approx(3.3, abs=0.1)
    assert np.all((r.probs >= 0) & (r.probs <= 1))
    assert r.thresholds.shape == (len(ins.CLASSES),)
    assert np.all((r.thresholds > 0) & (r.thresholds < 1))


def test_max_windows_bounds_the_work():
    y = np.zeros(int(30 * ins.SR), np.float32)
    r = ins.recognise(y, ins.SR, max_windows=3)
    assert len(r.times) == 3 and r.times[0] == 0.0 and r.times[-1] > 20
    assert r.present() == []  # silence: nothing above its threshold


# ---------------------------------------------------------------- the library


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """MIDI pieces whose instruments are known by their programs."""
    folder = tmp_path_factory.mktemp("music")
    fast_major(folder / "fast_flute.mid", tonic=2, seed=0)
    slow_minor(folder / "slow_cello.mid", tonic=9, seed=0)
    slow_minor(folder / "slow_violin.mid", tonic=9, seed=1)
    write_tune(folder / "slow_koto.mid", 9, True, 56, 2.0, 60, 50, 1.0, program=107)
    for name, program in (("fast_flute", 73), ("slow_cello", 42), ("slow_violin", 40)):
        path = folder / f"{name}.mid"
        pm = pretty_midi.PrettyMIDI(str(path))
        pm.instruments[0].program = program
        if name == "fast_flute":  # with a snare drum part
            drums = pretty_midi.Instrument(program=0, is_drum=True)
            drums.notes += [pretty_midi.Note(90, 38, b * 0.75, b * 0.75 + 0.1)
                            for b in range(8)]
            pm.instruments.append(drums)
        pm.write(str(path))
    ix = LibraryIndex(tmp_path_factory.mktemp("ix") / "lib.sqlite")
    ix.add_folder(folder, workers=1)
    yield ix
    ix.close()


def _titles(entries):
    return sorted(e.title for e in entries)


def test_midi_pieces_are_indexed_with_their_instruments(index):
    by_title = {e.title: e for e in index.entries()}
    assert ins.names(by_title["slow_cello"].features) == ["cello"]
    assert ins.names(by_title["fast_flute"].features) == ["flute", "snare drum"]
    assert ins.names(by_title["slow_koto"].features) == ["zither"]
    ids = [e.id for e in index.entries()]
    known = index.instruments_of(ids)
    assert known[by_title["slow_violin"].id] == ["violin"]


def test_search_by_instrument(index):
    assert _titles(index.search_instruments(["cello"])) == ["slow_cello"]
    assert _titles(index.search_instruments(["Snare Drum", "flute"])) == ["fast_flute"]
    assert index.search_instruments(["flute", "cello"]) == []
    hits = browse(index, BrowseQuery(instrument="zither"))
    assert [h.entry.title for h in hits] == ["slow_koto"]
    assert hits[0].row()["instruments"] == ["zither"]
    assert [h.entry.title for h in browse(index, BrowseQuery(text="violin"))] == [
        "slow_violin"]
    # a family still works beside single instruments
    assert _titles(h.entry for h in browse(index, BrowseQuery(instrument="strings"))) == [
        "slow_cello", "slow_violin"]


def test_unknown_instrument_is_refused(index):
    from scorer.errors import ScorerError

    with pytest.raises(ScorerError, match="instrument"):
        browse(index, BrowseQuery(instrument="kazoo"))


def test_planned_instruments_reorder_close_pieces_and_are_explained(index):
    # the cello and violin tunes are the same kind of music (slow, minor, same register):
    # the cue that plans a cello gets the cello piece first, one that plans a violin the violin
    e = {x.title: x for x in index.entries()}
    v, a = e["slow_cello"].valence, e["slow_cello"].arousal
    for plan, first in ((["cello"], "slow_cello"), (["violin"], "slow_violin")):
        ranked = retrieval.rank(index, v, a, 56.0, 30.0, n=4, diversity=0.0,
                                instruments=plan)
        titles = [m.entry.title for m in ranked]
        assert titles.index(first) < titles.index(
            "slow_violin" if first == "slow_cello" else "slow_cello")
        top = next(m for m in ranked if m.entry.title == first)
        assert top.fits["instruments"] == 1.0
        assert f"has {plan[0]}" in top.explanation and "0.10xinstruments" in top.explanation
    plain = retrieval.rank(index, v, a, 56.0, 30.0, n=4, diversity=0.0)
    assert all("instruments" not in m.fits for m in plain)


def test_instrument_weight_is_modest():
    # a piece that fits the mood much better keeps its place over an instrument match
    s = {"score": np.array([0.90, 0.75], np.float32)}
    retrieval.blend_instruments(s, [["flute"], ["cello"]], ["cello"])
    assert s["score"][0] > s["score"][1]
    assert s["instruments"].tolist() == [0.0, 1.0]
    # nothing planned: scores untouched
    s = {"score": np.array([0.5], np.float32)}
    retrieval.blend_instruments(s, [["cello"]], [])
    assert s["score"].tolist() == [0.5] and "instruments" not in s


# ---------------------------------------------------------------- the command


def test_cli_names_midi_instruments_and_reads_audio(tmp_path, capsys):
    import soundfile

    from scorer.cli import main

    mid = tmp_path / "cello.mid"
    slow_minor(mid)
    pm = pretty_midi.PrettyMIDI(str(mid))
    pm.instruments[0].program = 42
    pm.write(str(mid))
    assert main(["instruments", str(mid)]) == 0
    assert "instruments: cello" in capsys.readouterr().out
    wav = tmp_path / "flute.wav"
    soundfile.write(str(wav), _clip(73, 62, 91), ins.SR)
    assert main(["instruments", str(wav), "--top", "2"]) == 0
    out = capsys.readouterr().out
    lines = [x for x in out.splitlines() if x.startswith("  ") and " s  " in x]
    # a 6.3-s clip: windows at 0 and 3 s, and one that ends with the clip
    assert len(lines) == 3
    assert "instruments:" in out
    assert main(["instruments", str(tmp_path / "notes.txt")]) == 2  # not music: refused


def test_cli_lists_library_pieces_by_instrument(index, capsys):
    from scorer.cli import main

    assert main(["library", "list", "--instrument", "cello", "--index", str(index.path)]) == 0
    out = capsys.readouterr().out
    assert "slow_cello" in out and "plays cello" in out
    assert "slow_violin" not in out and "fast_flute" not in out


def test_delivered_files_are_scored_with_the_source_instruments(index):
    from scorer.music.library.suggest import score_file
    from scorer.project import Cue

    cue = Cue("1M1", 0.0, 30.0, valence=-0.5, arousal=-0.4, tempo=56.0,
              programs=dict(INSTRUMENTATION["sombre_strings"]))  # cello, double bass, piano
    path = next(e.path for e in index.entries() if e.title == "slow_cello")
    _, plain = score_file(cue, path)
    assert "instruments" not in plain
    _, known = score_file(cue, path, ["cello"], match_instruments=True)
    assert known["instruments"] == pytest.approx(1 / 3)
    _, unknown = score_file(cue, path, None, match_instruments=True)
    assert unknown["instruments"] == ins.UNKNOWN_FIT
    assert known["score"] < plain["score"]  # a third of the plan pulls a good fit down a little
    assert plain["score"] - known["score"] < 0.1


# ---------------------------------------------------------------- the film's own music


def test_film_music_captions_name_the_instruments_heard():
    """Each film caption gets the instruments of its own stretch, read from 16-kHz audio."""
    import librosa

    from scorer.music.film_music import read_instruments
    from scorer.project import MusicCaption

    cello = librosa.resample(_clip(42, 43, 72), orig_sr=ins.SR, target_sr=16000)
    flute = librosa.resample(_clip(73, 62, 91), orig_sr=ins.SR, target_sr=16000)
    gap = np.zeros(16000, np.float32)
    track = np.concatenate([cello, gap, flute])
    first = MusicCaption(0.0, len(cello) / 16000, "[music]", "film")
    second_start = (len(cello) + len(gap)) / 16000
    second = MusicCaption(second_start, len(track) / 16000, "[music]", "film")
    read_instruments(track, 16000, [first, second])
    assert "cello" in first.instruments and "flute" not in first.instruments
    assert "flute" in second.instruments and "cello" not in second.instruments


def test_film_instrument_reading_keeps_to_its_budget():
    from scorer.music.film_music import read_instruments
    from scorer.project import MusicCaption

    track = np.zeros(16000 * 30, np.float32)
    captions = [MusicCaption(s, s + 5.0, "[music]", "film") for s in (0.0, 10.0, 20.0)]
    read_instruments(track, 16000, captions, budget=1)
    # one window in all: the first caption is read (silence: no instrument), the rest are not
    assert captions[0].instruments == []
    assert captions[1].instruments is None and captions[2].instruments is None
    short = MusicCaption(1.0, 1.5, "[music]", "film")
    read_instruments(track, 16000, [short])
    assert short.instruments is None  # half a second is too little to read


def test_cli_lists_the_instruments_of_a_projects_film_music(tmp_path, capsys):
    from scorer import project as projectio
    from scorer.cli import main
    from scorer.project import MusicCaption, Project

    project = Project(title="film", music_captions=[
        MusicCaption(2.0, 8.5, "[sad piano music]", "film", ["piano", "cello"]),
        MusicCaption(9.0, 12.0, "[happy music]", "score"),  # our own cue: not listed
        MusicCaption(20.0, 26.0, "[tense music]", "film", [])])
    path = tmp_path / "film.scorer.json"
    projectio.save(project, path)
    assert main(["instruments", str(path)]) == 0
    out = capsys.readouterr().out
    assert "2 film-music caption(s)" in out
    assert "[sad piano music] 2.0-8.5 s; instruments: piano, cello" in out
    assert "[tense music] 20.0-26.0 s; instruments: none recognised" in out
    assert "happy" not in out
