"""Benchmark the visual analyzers on a generated 2-minute 720p clip.

Prints, for decode only and for each analyzer added alone to the same decode, the wall time and
the times-real-time figure, then all analyzers together (as the pipeline runs them) and the
ratio of that to decode-only, all measured in this run.

Usage:
    .venv/bin/python bench/vision.py [--seconds 120] [--fps 30] [--clip /tmp/bench_720p.mp4]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scorer import media  # noqa: E402
from scorer.pipeline import AnalysisSettings  # noqa: E402
from scorer.project import Project  # noqa: E402
from scorer.vision import default_analyzers  # noqa: E402


def _face_image() -> np.ndarray | None:
    root = Path(os.environ.get("SCORER_SHARED_DATA")
                or Path(__file__).resolve().parents[2] / "shared" / "data")
    path = root / "video" / "single_face.jpg"
    if not path.exists():
        return None
    import cv2

    image = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    return cv2.resize(image, (300, 295), interpolation=cv2.INTER_AREA)


def make_clip(path: Path, seconds: float, fps: int, width: int = 1280,
              height: int = 720) -> None:
    """Write a clip with moving shapes, a cut every 4 s and (if available) a face."""
    rng = np.random.default_rng(0)
    face = _face_image()
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "23"}
        yy, xx = np.mgrid[0:height, 0:width]
        for i in range(int(seconds * fps)):
            shot = i // (4 * fps)
            if i % (4 * fps) == 0:
                base = rng.integers(30, 220, 3)
                grad = (xx * (base[0] / width) + yy * (base[1] / height)).astype(np.uint8)
                background = np.stack([grad, np.full_like(grad, base[2]), grad[::-1]], axis=2)
            frame = background.copy()
            x = int((i * 7) % (width - 200))
            frame[200:400, x:x + 200] = (255, 255 - shot * 10 % 255, 0)
            if face is not None and shot % 2 == 0:
                fx = 800 + int(20 * np.sin(i / 10))
                frame[150:150 + face.shape[0], fx:fx + face.shape[1]] = face
            video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
            for packet in stream.encode(video_frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def run(path: Path, analyzers: list, settings: AnalysisSettings) -> tuple[float, float]:
    """Decode once, feeding the analyzers as the pipeline does; return (wall, CPU) seconds."""
    every = [a for a in analyzers if a.every_frame]

    def on_every(t, image):
        for a in every:
            a.process_every_frame(t, image)

    project = Project()
    start, cpu = time.perf_counter(), time.process_time()
    for frame in media.iter_frames(path, fps=settings.sample_fps, max_width=settings.frame_width,
                                   threads=settings.decoder_threads,
                                   every_frame_width=settings.every_frame_width if every else None,
                                   on_every_frame=on_every if every else None):
        for a in analyzers:
            a.process_frame(frame.time, frame.image)
    for a in analyzers:
        a.finish(project)
    return time.perf_counter() - start, time.process_time() - cpu


def best(path: Path, make, settings: AnalysisSettings, repeat: int) -> tuple[float, float]:
    """Best wall and best CPU time of ``repeat`` runs (the machine may be shared)."""
    runs = [run(path, make(), settings) for _ in range(repeat)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--clip", type=Path, default=Path("/tmp/scorer_bench_720p.mp4"))
    ap.add_argument("--repeat", type=int, default=2, help="runs per row; the best is shown")
    args = ap.parse_args()
    if not args.clip.exists():
        print(f"generating {args.seconds:.0f} s 720p clip at {args.clip} ...", flush=True)
        make_clip(args.clip, args.seconds, args.fps)
    settings = AnalysisSettings()
    duration = args.seconds

    class _Null:
        name = "decode"
        every_frame = True

        def process_every_frame(self, t, image):
            pass

        def process_frame(self, t, image):
            pass

        def finish(self, project):
            pass

    decode = best(args.clip, lambda: [_Null()], settings, args.repeat)
    rows = [("decode only (sampled + every-frame)", decode)]
    for i, analyzer in enumerate(default_analyzers(settings)):
        rows.append((f"decode + {analyzer.name}",
                     best(args.clip, lambda i=i: [_Null(), default_analyzers(settings)[i]],
                          settings, args.repeat)))
    total = best(args.clip, lambda: default_analyzers(settings), settings, args.repeat)
    rows.append(("decode + all (pipeline)", total))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nclip: {duration:.0f} s, 1280x720 @ {args.fps} fps; sample {settings.sample_fps} fps "
          f"at {settings.frame_width} px, every frame at {settings.every_frame_width} px; "
          f"{os.cpu_count()} CPUs, load average {load:.1f}; best of {args.repeat}")
    print(f"{'run':36s} {'wall s':>7s} {'x real':>7s} {'CPU s':>7s} {'x real CPU':>11s} "
          f"{'analyzer CPU s':>15s}")
    for label, (wall, cpu) in rows:
        own = cpu - decode[1] if label != rows[0][0] else 0.0
        print(f"{label:36s} {wall:7.2f} {duration / wall:7.1f} {cpu:7.2f} {duration / cpu:11.1f} "
              f"{own:15.2f}")
    print(f"\nall analyzers together: {duration / total[0]:.1f}x real time by wall clock, "
          f"{duration / total[1]:.1f}x by CPU time (target >= 10x); "
          f"{total[0] / decode[0]:.2f}x the decode-only wall time, "
          f"{total[1] / decode[1]:.2f}x its CPU time (target <= 3x)")


if __name__ == "__main__":
    main()
