"""Decode speed and memory: decode-only vs sampled decode at the default analysis rate.

Generates (once) a 2-minute 1280x720 24 fps H.264 clip with audio in bench/out/, then measures
in separate processes (so each peak RSS is its own):
- decode only: every frame decoded, nothing converted;
- sampled: scorer.media.iter_frames at the default analysis rate and width, plus the small
  every-frame stream shot detection uses;
- audio: scorer.media.load_audio at 16 kHz.
Prints frames/s, times real time, ratio to decode-only and peak RSS.

Run: .venv/bin/python bench/decode.py [--seconds 120]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import BENCH_OUT, print_table, run_child, synthetic_clip  # noqa: E402

DECODE_ONLY = """
import json, time, av
t = time.perf_counter(); n = 0
with av.open({path!r}) as c:
    s = c.streams.video[0]; s.thread_type = "AUTO"
    for f in c.decode(s):
        n += 1
print(json.dumps({{"frames": n, "seconds": time.perf_counter() - t}}))
"""

SAMPLED = """
import json, time
from scorer.media import iter_frames
from scorer.pipeline import AnalysisSettings
s = AnalysisSettings()
small = [0]
def every(t, img):
    small[0] += 1
t = time.perf_counter(); n = 0
for f in iter_frames({path!r}, fps=s.sample_fps, max_width=s.frame_width,
                     every_frame_width=s.every_frame_width, on_every_frame=every):
    n += 1
print(json.dumps({{"frames": small[0], "sampled": n, "seconds": time.perf_counter() - t}}))
"""

AUDIO = """
import json, time
from scorer.media import load_audio
t = time.perf_counter(); a = load_audio({path!r}, sr=16000)
print(json.dumps({{"frames": 0, "samples": len(a), "seconds": time.perf_counter() - t}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120)
    args = parser.parse_args()
    clip = synthetic_clip(BENCH_OUT / f"clip_{int(args.seconds)}s_720p.mp4", seconds=args.seconds)
    rows = []
    base = None
    for name, code in (("decode only", DECODE_ONLY), ("sampled (analysis)", SAMPLED),
                       ("audio 16 kHz", AUDIO)):
        r = run_child(code.format(path=str(clip)))
        row = {"measure": name, "seconds": r["seconds"],
               "frames/s": r["frames"] / r["seconds"] if r["frames"] else None,
               "x real time": args.seconds / r["seconds"], "peak RSS MB": r["peak_rss_mb"]}
        if base is None:
            base = r["seconds"]
        row["ratio to decode-only"] = r["seconds"] / base
        rows.append(row)
    print(f"clip: {clip.name} ({args.seconds:.0f} s, 1280x720, 24 fps)")
    print_table(rows, ["measure", "seconds", "frames/s", "x real time", "ratio to decode-only",
                       "peak RSS MB"])


if __name__ == "__main__":
    main()
