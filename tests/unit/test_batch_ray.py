"""scorer batch and library indexing on a local 2-CPU Ray that the tests start themselves.

The ``local_ray`` fixture (tests/conftest.py) starts one Ray for the session, after every other
test; it skips, with the reason, when ray is not installed (the ``dist`` extra), and fails
instead when SCORER_REQUIRE_RAY is set, as the README's test command (scripts/test.sh) sets it
after installing Ray. Run alone: pip install -e ".[dist]" && pytest tests/unit/test_batch_ray.py
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from scorer import project as project_io
from scorer.batch import BatchOptions, run_batch
from tests.fixtures.media import write_clip

ANALYZE_ONLY = BatchOptions(stop_after="analyze", transcriber="none")


@pytest.fixture(scope="module")
def three_clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    colours = [
        ((200, 40, 40), (40, 40, 200)),
        ((40, 200, 40), (200, 200, 40)),
        ((90, 90, 90), (250, 120, 10)),
    ]
    return [
        write_clip(folder / f"clip{i}.mp4", seconds=4.0, colors=c) for i, c in enumerate(colours)
    ]


def test_killed_worker_costs_one_retry_and_the_batch_finishes(local_ray, three_clips, tmp_path):
    out = tmp_path / "out"
    killed = []

    def kill_when_started(pid: int, folder: Path) -> None:
        deadline = time.monotonic() + 60
        while not folder.exists() and time.monotonic() < deadline:
            time.sleep(0.05)  # the worker makes the clip's folder as it starts the clip
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    def on_event(kind, what, info):
        if kind == "started" and what == "clip1" and info["attempt"] == 1:
            threading.Thread(
                target=kill_when_started, args=(info["pid"], out / "clip1"), daemon=True
            ).start()

    report = run_batch(three_clips, out, ANALYZE_ONLY, workers=2, on_event=on_event)
    assert killed, "the worker was not killed"
    assert [c.status for c in report.clips] == ["done", "done", "done"]
    assert [c.attempts for c in report.clips] == [1, 2, 1]
    assert "retried" in " ".join(report.clips[1].notes)
    assert str(killed[0]) not in report.clips[1].worker  # finished by a fresh worker
    doc = json.loads((out / "batch-report.json").read_text())
    assert doc["mode"] == "ray local" and doc["counts"] == {"done": 3}
    assert [c["attempts"] for c in doc["clips"]] == [1, 2, 1]
    for clip in report.clips:  # every output whole: the project loads and has its cues
        project = project_io.load(Path(clip.folder) / f"{clip.name}.scorer.json")
        assert len(project.cues) == clip.cues >= 1
        assert not project_io.autosave_path(Path(clip.folder) / f"{clip.name}.scorer.json").exists()


def test_ray_batch_skips_finished_clips(local_ray, three_clips, tmp_path):
    out = tmp_path / "out"
    first = run_batch(three_clips[:2], out, ANALYZE_ONLY, workers=2)
    assert [c.status for c in first.clips] == ["done", "done"]
    assert len({c.worker for c in first.clips}) >= 1
    again = run_batch(three_clips, out, ANALYZE_ONLY, workers=2)
    assert [c.status for c in again.clips] == ["skipped", "skipped", "done"]


def test_ray_index_matches_the_local_indexer_and_is_incremental(local_ray, tmp_path):
    from test_library_fixtures import fast_major, slow_minor, write_abc, write_corrupt

    from scorer.music.library.index import LibraryIndex
    from scorer.music.library.ray_index import RayLibraryIndex

    folder = tmp_path / "music"
    folder.mkdir()
    fast_major(folder / "fast.mid")
    slow_minor(folder / "slow.mid")
    write_abc(folder / "tunes.abc")
    write_corrupt(folder / "broken.mid")
    with LibraryIndex(tmp_path / "local.sqlite") as local:
        local.add_folder(folder, workers=1)
        expected = sorted(
            (e.title, round(e.valence, 4), round(e.arousal, 4), e.tempo) for e in local.entries()
        )
    with RayLibraryIndex(tmp_path / "ray.sqlite") as index:
        report = index.add_folder(folder, workers=2)
        assert report.added == 3
        assert [p for p, _ in report.failed] == [str(folder.resolve() / "broken.mid")]
        got = sorted(
            (e.title, round(e.valence, 4), round(e.arousal, 4), e.tempo) for e in index.entries()
        )
        assert got == expected and len(got) == 4
        again = index.add_folder(folder, workers=2)
        assert again.extracted == [] and again.unchanged == 4
        slow_minor(folder / "fast.mid")  # new content under an old name
        os.utime(folder / "fast.mid", (time.time() + 5, time.time() + 5))
        changed = index.add_folder(folder, workers=2)
        assert changed.extracted == [str(folder.resolve() / "fast.mid")]
        assert changed.updated == 1 and len(index) == 4
