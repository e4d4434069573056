"""Shared bits for benchmarks: synthetic clips, timing, peak RSS of a child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

BENCH_OUT = Path(__file__).resolve().parent / "out"


def synthetic_clip(path: Path, seconds: float = 120, width: int = 1280, height: int = 720,
                   fps: int = 24, sr: int = 48000, scene_s: float = 7.0) -> Path:
    """Write (once) an H.264 + AAC clip with moving shapes, a cut every ``scene_s`` seconds."""
    import av

    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    palette = rng.integers(20, 235, size=(64, 3))
    tmp = path.with_suffix(".part" + path.suffix)
    yy, xx = np.mgrid[0:height, 0:width]
    with av.open(str(tmp), "w") as out:
        v = out.add_stream("libx264", rate=fps)
        v.width, v.height, v.pix_fmt = width, height, "yuv420p"
        v.options = {"preset": "veryfast", "crf": "28"}
        a = out.add_stream("aac", rate=sr)
        a.layout = "mono"
        n = int(seconds * fps)
        for i in range(n):
            t = i / fps
            scene = int(t / scene_s)
            img = np.empty((height, width, 3), np.uint8)
            img[:] = palette[scene % 64]
            cx = int((t * 200) % width)
            box = (np.abs(xx - cx) < 60) & (np.abs(yy - height // 2) < 60)
            img[box] = palette[(scene + 7) % 64]
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            out.mux(v.encode(frame))
        out.mux(v.encode())
        tone = np.sin(2 * np.pi * 220 * np.arange(int(seconds * sr)) / sr).astype(np.float32) * 0.2
        for i in range(0, len(tone), 1024):
            frame = av.AudioFrame.from_ndarray(tone[None, i:i + 1024], format="flt", layout="mono")
            frame.sample_rate = sr
            frame.pts = i
            frame.time_base = Fraction(1, sr)
            out.mux(a.encode(frame))
        out.mux(a.encode())
    tmp.replace(path)
    return path


def run_child(code: str) -> dict:
    """Run Python code in a child process; it prints one JSON dict; add its peak RSS (MB).

    The child reports its own ``ru_maxrss`` at exit, so each figure is that process's peak.
    """
    start = time.perf_counter()
    code += ("\nimport resource as _r, sys as _s\n"
             "print(_r.getrusage(_r.RUSAGE_SELF).ru_maxrss, file=_s.stderr)\n")
    repo = str(Path(__file__).resolve().parents[1])
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=repo,
                          env={**os.environ, "PYTHONPATH": repo})
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{proc.stdout}\n{proc.stderr}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["peak_rss_mb"] = int(proc.stderr.strip().splitlines()[-1]) / 1024
    result["wall_s"] = time.perf_counter() - start
    return result


def print_table(rows: list[dict], columns: list[str]) -> None:
    """Print rows as an aligned text table."""
    widths = {c: max(len(c), *(len(_fmt(r.get(c))) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(_fmt(row.get(c)).ljust(widths[c]) for c in columns))


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return "" if value is None else str(value)
