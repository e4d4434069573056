"""scorer batch without Ray: clip lists, the report, failures, skip and resume, cancel."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from scorer import project as project_io
from scorer.batch import BatchOptions, clip_names, collect_clips, run_batch
from scorer.cli import main
from scorer.errors import InputError
from scorer.pipeline import CancelToken
from tests.fixtures.media import write_clip

ANALYZE_ONLY = BatchOptions(stop_after="analyze", transcriber="none")


@pytest.fixture
def clips(tmp_path):
    folder = tmp_path / "clips"
    (folder / "sub").mkdir(parents=True)
    a = write_clip(folder / "a.mp4", seconds=3.0, colors=((200, 40, 40), (40, 40, 200)))
    b = write_clip(folder / "sub" / "b.mov", seconds=3.0, colors=((40, 200, 40), (200, 200, 40)))
    (folder / "notes.txt").write_text("not a clip")
    return folder, [a, b]


def test_collect_clips_from_folder_skips_the_output_folder(clips, tmp_path):
    folder, (a, b) = clips
    out = folder / "out"
    (out / "a" / "export").mkdir(parents=True)
    write_clip(out / "a" / "export" / "a_preview.mp4", seconds=0.5)
    assert collect_clips(folder, exclude=out) == sorted([a, b])
    assert len(collect_clips(folder)) == 3  # without the exclusion the preview is a clip


def test_collect_clips_from_list_reads_relative_paths_and_keeps_missing(clips, tmp_path):
    folder, (a, b) = clips
    listing = folder / "night.txt"
    listing.write_text(f"# tonight\n\na.mp4\n{b}\nmissing.mp4\n")
    assert collect_clips(listing) == [a, b, folder / "missing.mp4"]


def test_collect_clips_names_the_problem(tmp_path):
    with pytest.raises(InputError, match="no video files"):
        collect_clips(tmp_path)
    with pytest.raises(InputError, match="not found"):
        collect_clips(tmp_path / "nope")
    (tmp_path / "empty.txt").write_text("# nothing\n")
    with pytest.raises(InputError, match="names no clip"):
        collect_clips(tmp_path / "empty.txt")


def test_clip_names_are_unique_per_batch():
    assert clip_names([Path("x/ep1.mp4"), Path("y/ep1.mp4"), Path("y/EP1.mov"), Path("z.mp4")]) == [
        "ep1",
        "ep1-2",
        "EP1-3",
        "z",
    ]


def test_batch_reports_each_clip_and_its_failure_then_skips_what_is_done(clips, tmp_path):
    folder, (a, b) = clips
    broken = folder / "broken.mp4"
    broken.write_bytes(b"\x00not a video" * 100)
    out = tmp_path / "out"
    inputs = [a, broken, b, folder / "missing.mp4"]
    report = run_batch(inputs, out, ANALYZE_ONLY)
    by_name = {c.name: c for c in report.clips}
    assert [c.status for c in report.clips] == ["done", "failed", "done", "failed"]
    assert "broken.mp4" in by_name["broken"].error
    assert "not found" in by_name["missing"].error
    for name in ("a", "b"):
        clip = by_name[name]
        project = project_io.load(Path(clip.folder) / f"{name}.scorer.json")
        assert clip.cues == len(project.cues) >= 1
        assert clip.seconds["analyze"] > 0 and clip.attempts == 1
    doc = json.loads((out / "batch-report.json").read_text())
    assert doc["counts"] == {"done": 2, "failed": 2}
    assert [c["status"] for c in doc["clips"]] == ["done", "failed", "done", "failed"]
    with open(out / "batch-report.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["name"] for r in rows] == ["a", "broken", "b", "missing"]
    assert rows[1]["error"] and rows[0]["analyze_s"]

    stamp = (out / "a" / "a.scorer.json").stat().st_mtime_ns
    again = run_batch(inputs, out, ANALYZE_ONLY)
    assert [c.status for c in again.clips] == ["skipped", "failed", "skipped", "failed"]
    assert (out / "a" / "a.scorer.json").stat().st_mtime_ns == stamp  # not rewritten


def test_cancelled_clip_keeps_its_autosave_and_the_next_run_finishes_it(clips, tmp_path):
    folder, (a, b) = clips
    out = tmp_path / "out"
    cancel = CancelToken()

    def progress(stage, fraction):
        if stage == "video" and fraction >= 1.0:
            cancel.set()  # after the picture is analysed, before the clip is finished

    report = run_batch([a, b], out, ANALYZE_ONLY, progress=progress, cancel=cancel)
    assert [c.status for c in report.clips] == ["cancelled", "not started"]
    assert report.cancelled
    autosave = project_io.autosave_path(out / "a" / "a.scorer.json")
    assert autosave.exists() and not (out / "a" / "a.scorer.json").exists()
    assert "video" in project_io.load(autosave).settings["analysis_done"]

    resumed = run_batch([a, b], out, ANALYZE_ONLY)
    assert [c.status for c in resumed.clips] == ["done", "done"]
    assert any("resumed from" in n for n in resumed.clips[0].notes)
    assert not autosave.exists()
    assert project_io.load(out / "a" / "a.scorer.json").cues


def test_cli_batch_without_ray_says_so_for_workers_and_address(
    clips, tmp_path, monkeypatch, capsys
):
    folder, _ = clips
    monkeypatch.setattr("scorer.ray_support.ray_available", lambda: (False, "Ray is not installed"))
    for extra in (["--workers", "2"], ["--address", "auto"]):
        assert main(["batch", str(folder), "-o", str(tmp_path / "out"), *extra]) == 2
        err = capsys.readouterr().err
        assert "Ray is not installed" in err and extra[0] in err
    assert not (tmp_path / "out").exists()


def test_cli_batch_runs_locally(clips, tmp_path, capsys):
    folder, _ = clips
    out = tmp_path / "out"
    code = main(
        ["batch", str(folder), "-o", str(out), "--stop-after", "analyze", "--transcriber", "none"]
    )
    text = capsys.readouterr().out
    assert code == 0, text
    assert "one after another" in text and "2 done" in text
    assert (out / "batch-report.json").exists()
