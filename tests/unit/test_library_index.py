"""Library index: reading a folder (with a corrupt file), incremental re-index, cancel."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_library_fixtures import fast_major, slow_minor, write_abc, write_corrupt, write_wav

from scorer.errors import Cancelled, InputError, ScorerError
from scorer.music.library.index import LibraryIndex
from scorer.pipeline import CancelToken


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "music"
    (d / "sub").mkdir(parents=True)
    fast_major(d / "fast.mid")
    slow_minor(d / "sub" / "slow.mid")
    write_corrupt(d / "broken.mid")
    write_abc(d / "tunes.abc")
    (d / "notes.txt").write_text("not music")
    return d


def test_index_folder_lists_corrupt_file_and_reads_the_rest(folder, tmp_path, monkeypatch):
    monkeypatch.setattr("scorer.music.library.index.PARALLEL_MIN_SECONDS", 0.0)  # use the pool
    stages = []
    with LibraryIndex(tmp_path / "lib.sqlite") as index:
        report = index.add_folder(folder, progress=lambda s, f: stages.append((s, f)),
                                  workers=2)
        assert report.added == 3
        assert [p for p, _ in report.failed] == [str(folder / "broken.mid")]
        assert report.failed[0][1]  # a reason is given
        assert index.failures() == report.failed
        titles = sorted(e.title for e in index.entries())
        # the ABC file holds two tunes: two pieces
        assert len(titles) == 4 and any("Test Jig" in t for t in titles)
        assert ("index", 1.0) in stages
        for e in index.entries():
            assert -1 <= e.valence <= 1 and -1 <= e.arousal <= 1
            assert e.sections and e.method == "model:symbolic_emotion"


def test_reindex_touches_only_changed_files(folder, tmp_path):
    with LibraryIndex(tmp_path / "lib.sqlite") as index:
        index.add_folder(folder, workers=1)
        again = index.add_folder(folder, workers=1)
        assert again.extracted == [] and again.unchanged == 4
        fast_ids = {e.id for e in index.entries() if e.title == "fast"}
        # content changed -> re-read; only touched (same bytes) -> not re-read
        slow_minor(folder / "fast.mid", tonic=2, seed=5)
        st = os.stat(folder / "tunes.abc")
        os.utime(folder / "tunes.abc", (st.st_atime, st.st_mtime + 10))
        changed = index.add_folder(folder, workers=1)
        assert changed.extracted == [str(folder / "fast.mid")]
        assert changed.updated == 1 and changed.unchanged == 3
        assert {e.id for e in index.entries() if e.title == "fast"}.isdisjoint(fast_ids)
        (folder / "sub" / "slow.mid").unlink()
        gone = index.add_folder(folder, workers=1)
        assert gone.removed == 1 and gone.extracted == []
        assert "slow" not in {e.title for e in index.entries()}


def test_cancel_leaves_index_unchanged(folder, tmp_path):
    token = CancelToken()
    token.set()
    with LibraryIndex(tmp_path / "lib.sqlite") as index:
        with pytest.raises(Cancelled):
            index.add_folder(folder, cancel=token, workers=1)
        assert len(index) == 0 and index.folders() == []


def test_missing_folder_is_an_input_error(tmp_path):
    with LibraryIndex(tmp_path / "lib.sqlite") as index:
        with pytest.raises(InputError, match="not found"):
            index.add_folder(tmp_path / "nope")


def test_audio_piece_gets_features_and_sections(tmp_path):
    d = tmp_path / "audio"
    d.mkdir()
    write_wav(d / "arpeggio.wav", seconds=6.0, bpm=120)
    with LibraryIndex(tmp_path / "lib.sqlite") as index:
        report = index.add_folder(d, workers=1)
        assert not report.failed
        (entry,) = index.entries()
        assert entry.kind == "audio" and entry.key == "C" and entry.mode == "major"
        assert 100 <= entry.tempo <= 140 or 50 <= entry.tempo <= 70
        assert entry.sections and entry.features["mfcc_mean"]


def test_default_library_subset_indexes(tmp_path):
    with LibraryIndex(tmp_path / "lib.sqlite") as index:
        report = index.ensure_default(limit=4)
        assert report is not None and not report.failed and len(index) >= 4
        assert {e.source for e in index.entries()} == {"music21"}
        assert index.ensure_default(limit=4) is None  # once only
        assert index.query(0.5, 0.5, 110, 30, n=3)


def test_damaged_index_file_is_reported(tmp_path):
    bad = tmp_path / "lib.sqlite"
    bad.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(ScorerError, match="damaged"):
        LibraryIndex(bad)


def test_default_library_has_a_cinematic_bank(tmp_path, monkeypatch):
    import mido

    from scorer.music.library import default

    corpus = default.curated_jobs(limit=2)
    monkeypatch.setattr(default, "curated_jobs", lambda limit=None: corpus)
    monkeypatch.setattr(default, "BANK_POINTS", (-0.6, 0.6))
    with LibraryIndex(tmp_path / "lib.sqlite") as index:
        report = index.ensure_default()
        assert report is not None and not report.failed
        bank = [e for e in index.entries() if e.source == default.BANK_SOURCE]
        assert len(bank) == 4 and len(index) > len(bank)  # and the corpus works
        files = sorted((tmp_path / "cinematic_bank").glob("*.mid"))
        assert [Path(e.path) for e in sorted(bank, key=lambda e: e.path)] == files
        for path in files:
            mid = mido.MidiFile(path)
            assert mid.length == pytest.approx(default.BANK_SECONDS, abs=2.0)
            assert len({m.channel for t in mid.tracks for m in t if m.type == "note_on"}) >= 3
        # dark points are written in minor, bright ones in major; faster when more aroused
        dark = default.bank_cue(-0.6, -0.6)
        bright = default.bank_cue(0.6, 0.6)
        assert dark.mode == "minor" and bright.mode == "major" and bright.tempo > dark.tempo
        stamps = [p.stat().st_mtime_ns for p in files]
        assert sorted(default.bank_cues(tmp_path / "cinematic_bank", (-0.6, 0.6))) == files
        assert [p.stat().st_mtime_ns for p in files] == stamps  # written once
        assert index.ensure_default() is None
