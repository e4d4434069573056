"""Build resources/demo.mp4: the bundled demo clip (generated picture, synthesized speech).

Four scenes with hard cuts, each with its own light, colour, motion and voice, so that every
analyzer has something to read:

1. 0-10 s   "dawn": warm, bright, slow drift, a calm voice.
2. 10-20 s  "night rain": dark, blue, falling streaks, a slow low voice.
3. 20-30 s  "chase": saturated red/orange, fast shaking shapes, two extra cuts, a loud fast voice.
4. 30-36 s  "morning": bright and colourful, a cheerful voice.

Everything is generated here (frames with numpy, speech with espeak-ng), so the clip may be
redistributed under the project's licence (CC0 for the clip). Needs espeak-ng at build time:
``apt-get install espeak-ng``. Run: ``python resources/make_demo.py``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

FPS = 24
WIDTH, HEIGHT = 640, 360
SR = 48000
OUT = Path(__file__).resolve().parent / "demo.mp4"

# (start s, end s, scene, text, espeak args)
SCENES = [
    (0.0, 10.0, "dawn", "The morning is quiet. We have time. Everything is calm and gentle here.",
     ["-s", "135", "-p", "45", "-a", "90"]),
    (10.0, 20.0, "rain", "She is gone. I waited all night. Nothing will ever be the same again.",
     ["-s", "105", "-p", "25", "-a", "70"]),
    (20.0, 30.0, "chase", "Run! Get out now! They are right behind us! Move, move, faster!",
     ["-s", "210", "-p", "75", "-a", "200"]),
    (30.0, 36.0, "morning", "We made it! What a wonderful day. I am so happy!",
     ["-s", "170", "-p", "70", "-a", "130"]),
]
EXTRA_CUTS = [23.5, 26.75]  # hard cuts inside the chase


def frame_at(t: float, rng: np.random.Generator) -> np.ndarray:
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    start, scene = next((s[0], s[2]) for s in SCENES if s[0] <= t < s[1])
    local = t - start
    if scene == "dawn":
        sky = np.stack([230 - 60 * y / HEIGHT, 170 - 50 * y / HEIGHT, 110 - 40 * y / HEIGHT], -1)
        cx, cy = 200 + 8 * local, 200 - 6 * local
        sun = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * 45**2))[..., None]
        img = sky + sun * np.array([25, 60, 90])
        img[y > 270] = [120, 140, 60]
    elif scene == "rain":
        img = np.stack([15 + 10 * y / HEIGHT, 20 + 15 * y / HEIGHT, 45 + 25 * y / HEIGHT], -1)
        streaks = ((x * 7 + (y - 260 * local) * 1.0).astype(int) % 97 < 2)
        img[streaks] = [70, 80, 110]
    elif scene == "chase":
        shot = sum(local + start >= c for c in EXTRA_CUTS)
        base = [np.array([200, 40, 20]), np.array([230, 120, 10]), np.array([180, 20, 60])][shot]
        img = np.zeros((HEIGHT, WIDTH, 3), np.float32) + base * 0.6
        shake = rng.normal(0, 12, 2)
        for k in range(6):
            px = (WIDTH / 6 * k + 320 * local * (1 + k % 3)) % (WIDTH + 80) - 40 + shake[0]
            py = 80 + 40 * (k % 5) + 30 * np.sin(9 * local + k) + shake[1]
            blob = ((x - px) ** 2 / 40**2 + (y - py) ** 2 / 25**2) < 1
            img[blob] = [255, 230, 80] if k % 2 else [30, 30, 30]
    else:  # morning
        hue = (x / WIDTH + 0.05 * local) % 1.0
        img = np.stack([
            200 + 55 * np.sin(2 * np.pi * hue),
            200 + 55 * np.sin(2 * np.pi * (hue + 1 / 3)),
            200 + 55 * np.sin(2 * np.pi * (hue + 2 / 3)),
        ], -1)
    return np.clip(img, 0, 255).astype(np.uint8)


def speech_track(duration: float) -> np.ndarray:
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        sys.exit("espeak-ng is needed to build the demo clip: apt-get install espeak-ng")
    audio = np.zeros(int(duration * SR), np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        for i, (start, _end, _scene, text, args) in enumerate(SCENES):
            wav = Path(tmp) / f"{i}.wav"
            subprocess.run([espeak, *args, "-v", "en-us", "-w", str(wav), text], check=True)
            with av.open(str(wav)) as container:
                resampler = av.AudioResampler(format="flt", layout="mono", rate=SR)
                chunks = [o.to_ndarray().reshape(-1) for f in container.decode(audio=0)
                          for o in resampler.resample(f)]
            voice = np.concatenate(chunks)
            at = int((start + 0.8) * SR)
            voice = voice[: len(audio) - at]
            audio[at:at + len(voice)] += voice * 0.8
    # room tone so the track is never digital silence
    audio += np.random.default_rng(1).normal(0, 0.002, len(audio)).astype(np.float32)
    return np.clip(audio, -1, 1)


def main() -> None:
    duration = SCENES[-1][1]
    rng = np.random.default_rng(7)
    audio = speech_track(duration)
    tmp = OUT.with_suffix(".tmp.mp4")
    with av.open(str(tmp), "w") as out:
        vstream = out.add_stream("libx264", rate=FPS)
        vstream.width, vstream.height, vstream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        vstream.options = {"crf": "26", "preset": "medium"}
        astream = out.add_stream("aac", rate=SR)
        astream.layout = "mono"
        for i in range(int(duration * FPS)):
            frame = av.VideoFrame.from_ndarray(frame_at(i / FPS, rng), format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, FPS)
            out.mux(vstream.encode(frame))
        out.mux(vstream.encode())
        block = 1024
        for i in range(0, len(audio), block):
            chunk = audio[i:i + block]
            frame = av.AudioFrame.from_ndarray(chunk[None, :], format="flt", layout="mono")
            frame.sample_rate = SR
            frame.pts = i
            frame.time_base = Fraction(1, SR)
            out.mux(astream.encode(frame))
        out.mux(astream.encode())
    tmp.replace(OUT)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.2f} MB, {duration:.0f} s)")


if __name__ == "__main__":
    main()
