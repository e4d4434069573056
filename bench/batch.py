"""Batch scoring and catalogue indexing: one worker, two Ray workers, and the plain baselines.

Part 1 (clips): N generated clips (320x180, 24 fps, a cut every 5 s, a sound track of
speech-like noise bursts at a syllable rate over two tones) are analysed three ways, measured in
the same run, each into a fresh output folder:
- baseline: the plain loop a user would write, one ``scorer analyze CLIP -o P`` process per clip;
- ``run_batch`` with 1 worker (clips one after another in this process, models loaded once);
- ``run_batch`` with 2 workers on a local 2-CPU Ray (two actors, each loading models once;
  Ray's start-up is inside the time).
Part 2 (library): N generated two-part MIDI tunes indexed into a fresh SQLite library by the
single-process indexer (``LibraryIndex.add_folder(workers=1)``, the baseline), by the local
indexer's own 2-process pool (``workers=2``) and by Ray Data (``RayLibraryIndex``, 2 actors, Ray
start-up inside the time; once per ``--ray-batch-sizes`` value).

The load average is printed before and after: on a shared machine the figures move with it.

The library table splits each wall time at the first and the last result back: ``to_first_s``
(scan and hashing, plus Ray's start-up and its actors' imports), ``extract_s`` (the steady
stream) and ``write_s`` (the one SQLite transaction; for Ray also its shut-down, about 1.5 s).

Usage: python bench/batch.py [--clips 8] [--seconds 60] [--pieces 10000]
                             [--transcriber pocketsphinx] [--skip-clips] [--skip-library]
                             [--ray-batch-sizes 16,64]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "unit"))

from bench._common import print_table  # noqa: E402


def speechlike_clip(
    path: Path, seconds: float, seed: int, size=(320, 180), fps: int = 24, sr: int = 16000
) -> Path:
    """Write a clip: flat colours cut every 5 s with a moving box; noise 'syllables' + tones."""
    import av

    rng = np.random.default_rng(seed)
    palette = rng.integers(20, 235, size=(32, 3))
    w, h = size
    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=fps)
        v.width, v.height, v.pix_fmt = w, h, "yuv420p"
        v.options = {"preset": "veryfast", "crf": "30"}
        a = out.add_stream("aac", rate=sr)
        a.layout = "mono"
        for i in range(int(seconds * fps)):
            t = i / fps
            scene = int(t / 5.0)
            img = np.empty((h, w, 3), np.uint8)
            img[:] = palette[scene % 32]
            x = int((t * 80) % (w - 30))
            img[70:100, x : x + 30] = palette[(scene + 5) % 32]
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(v.encode(frame))
        out.mux(v.encode())
        n = int(seconds * sr)
        t = np.arange(n) / sr
        # syllables: noise shaped by a 4 Hz on/off envelope, phrases of 3 s with 1 s pauses
        envelope = (np.sin(2 * np.pi * 4 * t) > 0.2) * ((t % 4.0) < 3.0)
        noise = rng.standard_normal(n) * envelope * 0.15
        tones = 0.05 * (np.sin(2 * np.pi * 220 * t) + np.sin(2 * np.pi * 330 * t))
        audio = (noise + tones).astype(np.float32)
        for i in range(0, n, 1024):
            frame = av.AudioFrame.from_ndarray(
                audio[None, i : i + 1024], format="flt", layout="mono"
            )
            frame.sample_rate, frame.pts, frame.time_base = sr, i, Fraction(1, sr)
            out.mux(a.encode(frame))
        out.mux(a.encode())
    return path


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def bench_clips(n: int, seconds: float, transcriber: str, work: Path) -> list[dict]:
    from scorer.batch import BatchOptions, run_batch

    clips_dir = work / "clips"
    clips_dir.mkdir()
    clips = [speechlike_clip(clips_dir / f"ep{i:02d}.mp4", seconds, seed=i) for i in range(n)]
    rows = []

    # baseline: one `scorer analyze` process per clip, as a shell loop runs it
    out = work / "loop"
    out.mkdir()
    t = time.perf_counter()
    for clip in clips:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "scorer.cli",
                "analyze",
                str(clip),
                "-o",
                str(out / f"{clip.stem}.scorer.json"),
                "--transcriber",
                transcriber,
            ],
            check=True,
            cwd=REPO,
            capture_output=True,
        )
    loop_s = time.perf_counter() - t
    rows.append(
        {
            "run": "scorer analyze loop (baseline)",
            "workers": 1,
            "wall_s": loop_s,
            "s_per_clip": loop_s / n,
            "x_realtime": n * seconds / loop_s,
            "speedup_vs_loop": 1.0,
            "load": load(),
        }
    )

    options = BatchOptions(stop_after="analyze", transcriber=transcriber)
    for label, workers, use_ray in (
        ("batch, 1 worker (in-process)", 1, False),
        ("batch, 2 workers (local Ray)", 2, True),
    ):
        t = time.perf_counter()
        report = run_batch(
            clips, work / f"batch{workers}", options, workers=workers, use_ray=use_ray
        )
        wall = time.perf_counter() - t
        bad = [c for c in report.clips if c.status != "done"]
        if bad:
            raise SystemExit(f"{label}: {bad[0].name} {bad[0].status}: {bad[0].error}")
        rows.append(
            {
                "run": label,
                "workers": workers,
                "wall_s": wall,
                "s_per_clip": wall / n,
                "x_realtime": n * seconds / wall,
                "speedup_vs_loop": loop_s / wall,
                "load": load(),
            }
        )
    one = rows[1]["wall_s"]
    for row in rows:
        row["speedup_vs_1_worker"] = one / row["wall_s"]
    return rows


def bench_library(n: int, work: Path, ray_batch_sizes: tuple[int, ...] = (16,)) -> list[dict]:
    from test_library_fixtures import write_tune

    from scorer.music.library.index import LibraryIndex
    from scorer.music.library.ray_index import RayLibraryIndex

    folder = work / "music"
    folder.mkdir()
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    for i in range(n):
        write_tune(
            folder / f"tune_{i:05d}.mid",
            int(rng.integers(12)),
            bool(i % 2),
            float(rng.uniform(50, 180)),
            float(rng.choice([0.5, 1, 2])),
            int(rng.integers(55, 75)),
            int(rng.integers(40, 110)),
            float(rng.uniform(0.4, 1.0)),
            bars=4,
            seed=i,
        )
    print(f"generated {n} MIDI pieces in {time.perf_counter() - t:.1f} s", flush=True)
    warm = work / "warm"
    warm.mkdir()
    write_tune(warm / "w.mid", 0, False, 100, 1, 60, 80, 0.9, bars=4)
    with LibraryIndex(work / "warm.sqlite") as ix:  # imports out of the baseline's time
        ix.add_folder(warm, workers=1)
    runs = [
        ("single-process indexer (baseline)", lambda p: LibraryIndex(p), 1),
        # the local indexer's own pool (2 spawned processes): what Ray must beat on one machine
        ("local indexer, 2 processes", lambda p: LibraryIndex(p), 2),
    ]
    for size in ray_batch_sizes:
        runs.append(
            (
                f"Ray Data, 2 actors, {size} files/call",
                lambda p, size=size: RayLibraryIndex(p, batch_size=size),
                2,
            )
        )
    rows = []
    for i, (label, make, workers) in enumerate(runs):
        marks: dict[str, float] = {}

        def progress(stage: str, fraction: float, marks=marks) -> None:
            # the first result back ends the start-up (scan, hashing, Ray and its actors)
            if stage == "index" and fraction > 0:
                marks.setdefault("first", time.perf_counter())
                marks["last"] = time.perf_counter()

        with make(work / f"run{i}.sqlite") as ix:
            t = time.perf_counter()
            report = ix.add_folder(folder, progress=progress, workers=workers)
            end = time.perf_counter()
            wall = end - t
            t2 = time.perf_counter()
            again = ix.add_folder(folder, workers=workers)
            rescan = time.perf_counter() - t2
        first, last = marks.get("first", end), marks.get("last", end)
        rows.append(
            {
                "run": label,
                "pieces": report.pieces,
                "failed": len(report.failed),
                "wall_s": wall,
                "pieces_per_s": report.pieces / wall,
                "to_first_s": first - t,
                "extract_s": last - first,
                "write_s": end - last,
                "rescan_s": rescan,
                "reread": len(again.extracted),
                "load": load(),
            }
        )
    base = rows[0]["pieces_per_s"]
    for row in rows:
        row["speedup"] = row["pieces_per_s"] / base
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--pieces", type=int, default=10000)
    parser.add_argument("--transcriber", default="pocketsphinx")
    parser.add_argument("--skip-clips", action="store_true")
    parser.add_argument("--skip-library", action="store_true")
    parser.add_argument(
        "--ray-batch-sizes", default="16", help="files per Ray Data actor call, comma-separated"
    )
    args = parser.parse_args()
    os.environ.setdefault("SCORER_DATA_DIR", tempfile.mkdtemp(prefix="scorer-bench-data-"))
    print(f"machine: {os.cpu_count()} cores, load average at start {load()}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="scorer-bench-batch-"))
    try:
        if not args.skip_clips:
            print(
                f"\n{args.clips} clips x {args.seconds:g} s, 320x180, transcriber "
                f"{args.transcriber}",
                flush=True,
            )
            print_table(
                bench_clips(args.clips, args.seconds, args.transcriber, work),
                [
                    "run",
                    "workers",
                    "wall_s",
                    "s_per_clip",
                    "x_realtime",
                    "speedup_vs_loop",
                    "speedup_vs_1_worker",
                    "load",
                ],
            )
        if not args.skip_library:
            print(f"\nindexing {args.pieces} generated MIDI pieces", flush=True)
            print_table(
                bench_library(
                    args.pieces, work, tuple(int(x) for x in args.ray_batch_sizes.split(","))
                ),
                [
                    "run",
                    "pieces",
                    "failed",
                    "wall_s",
                    "pieces_per_s",
                    "speedup",
                    "to_first_s",
                    "extract_s",
                    "write_s",
                    "rescan_s",
                    "reread",
                    "load",
                ],
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nload average at end {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
