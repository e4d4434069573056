"""Corpus encoding: 16th-note tokens, transposition to C major / A minor, round trip."""

from __future__ import annotations

import pytest

music21 = pytest.importorskip("music21")

from music21 import note, stream  # noqa: E402

from scorer.music import corpus  # noqa: E402


def _melody(names: list[str], lengths: list[float]) -> stream.Part:
    part = stream.Part()
    for name, ql in zip(names, lengths, strict=True):
        part.append(note.Rest(quarterLength=ql) if name == "r" else
                    note.Note(name, quarterLength=ql))
    return part


def test_major_tune_is_transposed_to_c_major():
    # G major: G A B C D ... G with a clear dominant D and leading tone F#
    names = ["G4", "A4", "B4", "C5", "D5", "B4", "G4", "F#4", "G4", "D5", "B4", "G4"]
    enc = corpus.encode_stream(_melody(names, [1, 1, 1, 1, 2, 1, 1, 1, 2, 1, 1, 4]))
    assert enc["mode"] == "major"
    pitches = [int(t) for t in enc["tokens"] if t.isdigit()]
    assert {p % 12 for p in pitches} <= {0, 2, 4, 5, 7, 9, 11}
    assert pitches[0] % 12 == 0 and pitches[-1] % 12 == 0  # G -> C
    # a quarter note is one onset followed by three holds
    assert enc["tokens"][:4] == [enc["tokens"][0], "_", "_", "_"]
    assert len(enc["tokens"]) == 4 * 17


def test_minor_tune_is_transposed_to_a_minor():
    names = ["D4", "F4", "A4", "D5", "C#5", "D5", "A4", "F4", "E4", "C#4", "D4", "A3", "D4"]
    enc = corpus.encode_stream(_melody(names, [1, 1, 1, 1, 0.5, 0.5, 1, 1, 1, 1, 2, 1, 3]))
    assert enc["mode"] == "minor"
    pitches = [int(t) for t in enc["tokens"] if t.isdigit()]
    assert pitches[0] % 12 == 9 and pitches[-1] % 12 == 9  # D -> A
    assert all(corpus.LOW <= p <= corpus.HIGH for p in pitches)


def test_rests_merge_and_round_trip():
    tokens = corpus.encode_events([(60, 4), (None, 2), (None, 2), (62, 1), (64, 3)])
    assert tokens == ["60", "_", "_", "_", "r", "_", "_", "_", "62", "64", "_", "_"]
    assert corpus.decode_tokens(tokens) == [(60, 0, 4), (None, 4, 4), (62, 8, 1), (64, 9, 3)]


def test_off_grid_tune_is_rejected():
    # triplets everywhere do not fit the 16th grid
    names = ["C4", "D4", "E4"] * 6
    assert corpus.encode_stream(_melody(names, [1 / 3] * 18)) is None


def test_vocabulary_is_fixed():
    assert corpus.VOCAB[:3] == ["/", "r", "_"]
    assert len(corpus.VOCAB) == 3 + corpus.HIGH - corpus.LOW + 1
    assert corpus.pitch_token(30) == str(30 + 24) and corpus.pitch_token(100) == str(100 - 24)


def test_build_from_the_bundled_essen_collection_and_cache(tmp_path):
    data = corpus.load_or_build("folk", limit=6, seed=1, folder=tmp_path)
    assert data["style"] == "folk" and data["vocab"] == corpus.VOCAB
    assert len(data["tunes"]) + data["skipped"] == 6 and len(data["tunes"]) >= 4
    for tune in data["tunes"]:
        assert tune["mode"] in ("major", "minor")
        assert set(tune["tokens"]) <= set(corpus.VOCAB) - {corpus.START}
        assert tune["tokens"][0] not in (corpus.HOLD, corpus.REST)
    cached = list(tmp_path.glob("melody_corpus_folk_6_1.json.gz"))
    assert len(cached) == 1
    assert corpus.load_or_build("folk", limit=6, seed=1, folder=tmp_path) == data


def test_unknown_style_is_refused():
    with pytest.raises(ValueError, match="unknown style"):
        corpus.build_corpus("polka", limit=1)
