"""Music tags of audio library pieces: stored in the index, searchable, used in explanations."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from scorer.music import musicnn
from scorer.music.library.features import tag_list
from scorer.music.library.index import LibraryIndex


def test_tag_words_keep_kinds_and_threshold():
    msd = np.zeros(50)
    mtt = np.zeros(50)
    mtt[musicnn.MTT_TAGS.index("piano")] = 0.7
    mtt[musicnn.MTT_TAGS.index("strings")] = 0.25
    mtt[musicnn.MTT_TAGS.index("slow")] = 0.5
    mtt[musicnn.MTT_TAGS.index("guitar")] = 0.1  # under the threshold
    msd[musicnn.MSD_TAGS.index("Mellow")] = 0.4
    words = musicnn.tag_words(msd, mtt)
    assert [w for w, _ in words["instruments"]] == ["piano", "strings"]
    assert [w for w, _ in words["tempo"]] == ["slow"]
    assert [w for w, _ in words["mood"]] == ["mellow"]
    assert tag_list({"tags": words}) == ["mellow", "slow", "piano", "strings"]


@pytest.mark.data
def test_audio_piece_tags_are_indexed_and_searchable(shared_data, tmp_path):
    src = shared_data / "music-emotion" / "emotify" / "audio"
    if not src.is_dir():
        pytest.skip("Emotify not present")
    folder = tmp_path / "music"
    folder.mkdir()
    for name in ("001.ogg", "161.ogg"):  # a classical and a rock excerpt
        shutil.copy(src / name, folder / name)
    with LibraryIndex(tmp_path / "lib.sqlite") as index:
        index.add_folder(folder, workers=1)
        entries = {e.title: e for e in index.entries()}
        assert set(entries) == {"001", "161"}
        for e in entries.values():
            assert e.method == "model:music_emotion_head"
            assert "tags" in e.features
        tagged = [e for e in entries.values() if tag_list(e.features)]
        assert tagged, "expected at least one excerpt with tag words"
        word = tag_list(tagged[0].features)[0]
        found = index.search_tags([word.upper()])
        assert tagged[0].id in {e.id for e in found}
        assert all(word in tag_list(e.features) for e in found)
        assert index.search_tags(["no-such-tag"]) == []
        matches = index.query(tagged[0].valence, tagged[0].arousal, n=2)
        top = [m for m in matches if m.entry.id == tagged[0].id][0]
        assert "sounds " + word in top.explanation
