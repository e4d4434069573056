"""Symbolic style of a melody (scorer.music.style): features, MIDI top line, the classifier."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from scorer.errors import InputError, ModelError
from scorer.music import style as st


def _write_midi(path, notes, program=0, bpm=120.0, extra=()):
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(initial_tempo=bpm)
    beat = 60.0 / bpm
    inst = pretty_midi.Instrument(program)
    for pitch, start, length in list(notes) + list(extra):
        inst.notes.append(pretty_midi.Note(80, pitch, start * beat / 4,
                                           (start + length) * beat / 4))
    pm.instruments.append(inst)
    pm.write(str(path))
    return path


def test_top_line_of_a_midi_file_in_c(tmp_path):
    # a D major line (D E F# G A, quarter notes) over a low D pedal in whole notes
    line = [(74, 0, 4), (76, 4, 4), (78, 8, 4), (79, 12, 4), (81, 16, 8)]
    pedal = [(50, 0, 16), (50, 16, 8)]
    path = _write_midi(tmp_path / "d.mid", line, extra=pedal)
    tokens = st.midi_melody_tokens(path)
    assert tokens == "72 _ _ _ 74 _ _ _ 76 _ _ _ 77 _ _ _ 79 _ _ _ _ _ _ _".split()


def test_bad_midi_is_named(tmp_path):
    bad = tmp_path / "broken.mid"
    bad.write_bytes(b"MThd\x00\x00")
    with pytest.raises(InputError) as err:
        st.midi_melody_tokens(bad)
    assert "broken.mid" in str(err.value)


def test_features_describe_rhythm_and_intervals():
    scale = "60 _ 62 _ 64 _ 65 _ 67 _ 69 _ 71 _ 72 _".split() * 4
    f = st.melody_features(scale)
    assert f.shape == (st.N_FEATURES,)
    pcs, iv = f[:12], f[12:12 + 25]
    assert pcs[[0, 2, 4, 5, 7, 9, 11]].sum() == pytest.approx(1.0)
    assert iv[12 + 2] > 0.5 and iv[12 - 12] > 0  # mostly whole steps, one octave drop
    lengths = f[37:45]
    assert lengths[1] == pytest.approx(1.0)  # every note two 16ths long
    assert f[-7] == pytest.approx(0.5)  # a note every other step
    assert not st.melody_features([]).any()


def _held_out(group: str) -> bool:
    return int(hashlib.sha1(group.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < 0.2


@pytest.fixture(scope="module")
def classifier():
    try:
        return st.StyleClassifier()
    except ModelError as exc:
        pytest.skip(f"style_classifier.onnx not built: {exc}")


def test_held_out_bach_chorales_read_as_chorales(classifier):
    from music21 import corpus as m21corpus

    from scorer.music.corpus import _soprano, encode_stream

    paths = sorted((p for p in m21corpus.getCorePaths()
                    if p.parent.name == "bach" and p.suffix == ".mxl"), key=str)
    chosen = [p for p in paths if _held_out(f"chorale:{p.name}")][:4]
    votes = []
    for path in chosen:
        enc = encode_stream(_soprano(m21corpus.parse(path)))
        if enc:
            votes.append(classifier.classify(enc["tokens"])[0])
    assert votes and votes.count("chorale") >= len(votes) - 1, votes


def test_probabilities_are_a_distribution(classifier):
    tokens = "64 _ 62 _ 60 _ 62 _ 64 _ 64 _ 64 _ _ _".split() * 4
    style, probs = classifier.classify(tokens)
    assert style in st.STYLES and probs.shape == (4,)
    assert probs.sum() == pytest.approx(1.0, abs=1e-4) and (probs >= 0).all()
    with pytest.raises(InputError):
        classifier.classify(["60", "_"])
    assert np.isfinite(classifier.probabilities(np.zeros((2, st.N_FEATURES)))).all()


def test_library_tags_a_midi_piece_with_its_style(classifier, tmp_path):
    from scorer.music.library.index import LibraryIndex

    # a hymn-like line: half and quarter notes moving by step, cadencing on the tonic
    line = [(67, 0, 8), (69, 8, 4), (71, 12, 4), (72, 16, 8), (71, 24, 8), (69, 32, 4),
            (67, 36, 4), (69, 40, 8), (67, 48, 8), (64, 56, 8), (65, 64, 4), (67, 68, 4),
            (69, 72, 8), (67, 80, 4), (65, 84, 4), (64, 88, 4), (62, 92, 4), (60, 96, 16)]
    folder = tmp_path / "music"
    folder.mkdir()
    _write_midi(folder / "hymn.mid", line, program=19, bpm=72)
    index = LibraryIndex(tmp_path / "lib.sqlite")
    try:
        index.add_folder(folder)
        entry = index.entries()[0]
        tags = entry.features["tags"]["style"]
        assert tags and {w for w, _ in tags} <= set(st.TAG_WORDS)
        assert [e.title for e in index.search_tags([tags[0][0]])] == [entry.title]
        assert not index.search_tags(["no-such-style"])
    finally:
        index.close()
