"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "resources" / "demo.mp4"


@pytest.fixture(scope="session")
def long_speech_clip(tmp_path_factory) -> Path:
    """A 64x36 picture at 2 fps over the demo's sound track repeated six times (3.6 min)."""
    from fractions import Fraction

    import av
    import numpy as np

    from scorer.media import load_audio

    if not DEMO.exists():
        pytest.skip("needs the bundled demo clip")
    sr = 16000
    audio = np.tile(load_audio(DEMO, sr=sr), 6)
    path = tmp_path_factory.mktemp("faults") / "long speech.mp4"
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=2)
        video.width, video.height, video.pix_fmt = 64, 36, "yuv420p"
        sound = out.add_stream("aac", rate=sr)
        sound.layout = "mono"
        for i in range(int(len(audio) / sr * 2)):
            image = np.full((36, 64, 3), 40 if (i // 60) % 2 else 200, np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 2)
            out.mux(video.encode(frame))
        out.mux(video.encode())
        for i in range(0, len(audio), 1024):
            frame = av.AudioFrame.from_ndarray(
                audio[None, i : i + 1024], format="flt", layout="mono"
            )
            frame.sample_rate, frame.pts, frame.time_base = sr, i, Fraction(1, sr)
            out.mux(sound.encode(frame))
        out.mux(sound.encode())
    return path
