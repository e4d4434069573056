"""Scale: peak memory and speed of a whole analysis of a long 1080p input.

Encoding two hours of 1080p here would take longer than analysing it, so the long input is
built in two steps (both cached in bench/out/):
1. a 60-second 1920x1080 24 fps H.264 (ultrafast, low bitrate) + AAC segment with a cut
   every 7 s, moving shapes, and a sound track of the demo clip's speech (first 30 s)
   and generated music (last 30 s), so the film-music analyzer has music to transform;
2. the segment's packets remuxed N times with shifted timestamps (PyAV stream copy, no
   re-encode) into one file of the requested length.

Then ``scorer.pipeline.analyze`` runs in a child process (its own peak RSS); a sampler thread
in the child records resident memory every 0.5 s with the stage running, so the table says
where the peak happened. Prints peak RSS, wall time and times real time, and the bare
video decode of the same file as a baseline.

Run: .venv/bin/python bench/scale.py                 # 10 minutes of 1080p
     .venv/bin/python bench/scale.py --minutes 120   # the 2-hour case
     .venv/bin/python bench/scale.py --audio-stages --minutes 20   # which stage grows
(Wall times depend on the machine's load; run 20 and 40 minutes of --audio-stages and take
the difference per minute to see whether a stage grows with the input's length.)
"""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import BENCH_OUT, print_table, run_child  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
LIMIT_MB = 1536
SEGMENT_S = 60
FPS = 24
SR = 48000


def music_bed(seconds: float, sr: int, seed: int = 0) -> np.ndarray:
    """Generated music: triads with harmonics, a new chord every half second, a little noise.

    Why: the film-music analyzer transforms only the windows it hears as music, so a sound
    track of speech alone would leave its costliest part (the CQT and the emotion model)
    unmeasured.
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    out = np.zeros(n)
    roots = [220.0, 174.6, 196.0, 261.6, 146.8]
    step = sr // 2
    t = np.arange(step) / sr
    env = np.exp(-2 * t)
    for a in range(0, n, step):
        root = roots[rng.integers(len(roots))]
        m = min(step, n - a)
        chord = sum(np.sin(2 * np.pi * root * ratio * h * t[:m]) / h
                    for ratio in (1.0, 1.26, 1.5) for h in (1, 2, 3, 4))
        out[a:a + m] = env[:m] * chord
    out += 0.005 * rng.standard_normal(n)
    return (0.25 * out / np.abs(out).max()).astype(np.float32)


def make_segment(path: Path, seconds: int = SEGMENT_S, width: int = 1920,
                 height: int = 1080) -> Path:
    """Write (once) the 1080p segment that the long file repeats.

    Its sound track is the demo clip's speech for the first half and generated music for
    the second, so every sound-track analyzer has work in every minute.
    """
    import av

    from scorer import media

    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    palette = rng.integers(20, 235, size=(64, 3)).astype(np.uint8)
    speech = media.load_audio(REPO / "resources" / "demo.mp4", sr=SR)
    n_audio = seconds * SR
    track = np.resize(speech, n_audio).astype(np.float32) if len(speech) else \
        np.zeros(n_audio, np.float32)
    track[n_audio // 2:] = music_bed(seconds - seconds / 2, SR)[:n_audio - n_audio // 2]
    tmp = path.with_suffix(".part" + path.suffix)
    with av.open(str(tmp), "w") as out:
        v = out.add_stream("libx264", rate=FPS)
        v.width, v.height, v.pix_fmt = width, height, "yuv420p"
        v.options = {"preset": "ultrafast", "crf": "35", "g": str(FPS * 4)}
        a = out.add_stream("aac", rate=SR)
        a.layout = "mono"
        img = np.empty((height, width, 3), np.uint8)
        for i in range(seconds * FPS):
            t = i / FPS
            scene = int(t / 7.0)
            img[:] = palette[scene % 64]
            cx = int((t * 300) % (width - 200))
            img[height // 2 - 100:height // 2 + 100, cx:cx + 200] = palette[(scene + 7) % 64]
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, FPS)
            out.mux(v.encode(frame))
        out.mux(v.encode())
        for i in range(0, n_audio, 1024):
            frame = av.AudioFrame.from_ndarray(track[None, i:i + 1024], format="flt",
                                               layout="mono")
            frame.sample_rate = SR
            frame.pts = i
            frame.time_base = Fraction(1, SR)
            out.mux(a.encode(frame))
        out.mux(a.encode())
    tmp.replace(path)
    return path


def make_long(segment: Path, path: Path, repeats: int) -> Path:
    """Write (once) ``repeats`` copies of the segment back to back by stream copy."""
    import av

    if path.exists():
        return path
    with av.open(str(segment)) as src:
        # one common period for both streams: the longer stream's end, whole video frames
        ends = []
        for packet in src.demux():
            if packet.pts is not None and packet.duration:
                ends.append((packet.pts + packet.duration) * packet.time_base)
        period = Fraction(int(np.ceil(float(max(ends)) * FPS)), FPS)
    tmp = path.with_suffix(".part" + path.suffix)
    with av.open(str(segment)) as src, av.open(str(tmp), "w") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in src.streams
                   if s.type in ("video", "audio")}
        for k in range(repeats):
            src.seek(0)
            for packet in src.demux():
                if packet.stream.index not in streams or packet.dts is None:
                    continue
                shift = int(period * k / packet.time_base)
                packet.pts += shift
                packet.dts += shift
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
    tmp.replace(path)
    return path


ANALYZE = """
import json, threading, time
from scorer.pipeline import analyze
stage = {{"now": "probe"}}
peaks = {{}}
timeline = []
start = time.perf_counter()
def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
def sample(stop):
    while not stop.wait(0.5):
        r = rss_mb(); s = stage["now"]
        peaks[s] = max(peaks.get(s, 0), r)
        timeline.append((round(time.perf_counter() - start, 1), s, round(r)))
def progress(name, fraction):
    # audio stages run beside the video decode: label a sample with both
    if name == "video":
        stage["video"] = "video running" if fraction < 1 else "video done"
    else:
        stage["other"] = name
    stage["now"] = stage.get("other", "-") + " | " + stage.get("video", "-")
stop = threading.Event()
threading.Thread(target=sample, args=(stop,), daemon=True).start()
project = analyze({path!r}, progress=progress)
stop.set()
print(json.dumps({{"seconds": time.perf_counter() - start, "peaks": peaks,
                  "timeline": timeline[::max(1, len(timeline) // 40)],
                  "cues": len(project.cues), "cuts": len(project.shots),
                  "tracks": sorted(project.tracks)}}))
"""

STAGES = """
import json, resource, time
import numpy as np
from scorer import media
from scorer.audio import activity, prosody, voice
from scorer.music.film_music import analyze_film_music
from scorer.project import Project
def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
seg = media.load_audio({segment!r}, sr=16000)
# np.resize keeps float32: no second full-length copy (the pipeline holds the track once)
y = np.resize(seg, int({minutes} * 60 * 16000)).astype(np.float32, copy=False)
del seg
rows = [("sound track at 16 kHz", rss(), 0.0)]
t = time.perf_counter()
times, speech, _level, ff = activity.detect(y, activity.SR, None)
rows.append(("audio.activity.detect", rss(), time.perf_counter() - t)); t = time.perf_counter()
prosody.prosody_track(y, times, speech, ff, None, lambda f: None)
rows.append(("audio.prosody.prosody_track", rss(), time.perf_counter() - t))
t = time.perf_counter()
voice.voice_track(y, times, speech, activity.regions(times, speech), None, lambda f: None)
rows.append(("audio.voice.voice_track", rss(), time.perf_counter() - t)); t = time.perf_counter()
analyze_film_music(y, 16000, Project())
rows.append(("music.film_music.analyze_film_music", rss(), time.perf_counter() - t))
print(json.dumps({{"rows": rows}}))
"""

DECODE = """
import json, time, av
t = time.perf_counter(); n = 0
with av.open({path!r}) as c:
    s = c.streams.video[0]; s.thread_type = "AUTO"
    for f in c.decode(s):
        n += 1
print(json.dumps({{"seconds": time.perf_counter() - t, "frames": n}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=10, help="length of the input")
    parser.add_argument("--no-baseline", action="store_true", help="skip the bare decode")
    parser.add_argument("--audio-stages", action="store_true",
                        help="only the sound-track analyzers, one after another, peak RSS "
                             "after each (fast: no picture; shows which stage grows)")
    args = parser.parse_args()
    segment = make_segment(BENCH_OUT / "scale_segment_1080p_music.mp4")
    if args.audio_stages:
        res = run_child(STAGES.format(segment=str(segment), minutes=args.minutes))
        print(f"sound-track stages on {args.minutes} min (peak RSS so far, MB; seconds):")
        print_table([{"stage": name, "peak_rss_mb": mb, "seconds": sec}
                     for name, mb, sec in res["rows"]],
                    ["stage", "peak_rss_mb", "seconds"])
        return
    long = make_long(segment, BENCH_OUT / f"scale_{args.minutes}min_1080p_music.mp4",
                     max(1, round(args.minutes * 60 / SEGMENT_S)))
    from scorer import media

    info = media.probe(long)
    duration = float(Fraction(info.duration))
    print(f"input: {long.name}, {info.width}x{info.height} {info.fps} fps, "
          f"{duration / 60:.1f} min, {long.stat().st_size / 1e6:.0f} MB", flush=True)
    rows = []
    if not args.no_baseline:
        base = run_child(DECODE.format(path=str(long)))
        rows.append({"run": "bare video decode (baseline)", "peak_rss_mb": base["peak_rss_mb"],
                     "wall_s": base["wall_s"], "x_real_time": duration / base["seconds"],
                     "vs_baseline": 1.0})
    res = run_child(ANALYZE.format(path=str(long)))
    rows.append({"run": "scorer.pipeline.analyze", "peak_rss_mb": res["peak_rss_mb"],
                 "wall_s": res["wall_s"], "x_real_time": duration / res["seconds"],
                 "vs_baseline": (duration / res["seconds"]) / rows[0]["x_real_time"]
                 if rows else None})
    print_table(rows, ["run", "peak_rss_mb", "wall_s", "x_real_time", "vs_baseline"])
    print(f"\npeak RSS {res['peak_rss_mb']:.0f} MB (limit {LIMIT_MB} MB): "
          f"{'OK' if res['peak_rss_mb'] < LIMIT_MB else 'OVER'}; "
          f"{res['cuts']} cuts, {res['cues']} cues, tracks {', '.join(res['tracks'])}")
    print("\npeak resident MB by stage (audio stage | video):")
    for name, mb in sorted(res["peaks"].items(), key=lambda kv: -kv[1]):
        print(f"  {mb:7.0f}  {name}")
    (BENCH_OUT / f"scale_{args.minutes}min.json").write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
