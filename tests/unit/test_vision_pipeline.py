"""The visual analyzers through the pipeline's single decode pass on a generated clip."""

import av
import numpy as np

from scorer.pipeline import AnalysisSettings, CancelToken, analyze
from scorer.vision import default_analyzers


def _write_clip(path, seconds=6, fps=25):
    """Bright still shot for 3 s, then a dark moving shot: one hard cut at 3 s, no audio."""
    yy, xx = np.mgrid[0:180, 0:320]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        for i in range(seconds * fps):
            if i < 3 * fps:
                grey = 190 + 40 * np.sin(xx / 9.0) * np.cos(yy / 7.0)
            else:
                grey = 50 + 40 * np.sin((xx + 6 * i) / 9.0) * np.cos(yy / 7.0)
            frame = np.repeat(grey[..., None], 3, axis=2).astype(np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def test_default_analyzers_order_and_contract():
    analyzers = default_analyzers(AnalysisSettings())
    assert [a.name for a in analyzers] == ["shots", "lighting", "motion", "faces"]
    for a in analyzers:
        assert callable(a.process_frame) and callable(a.finish)
        if a.every_frame:
            assert callable(a.process_every_frame)


def test_pipeline_fills_shots_and_tracks(tmp_path):
    clip = tmp_path / "two_shots.mp4"
    _write_clip(clip)
    project = analyze(clip, settings=AnalysisSettings(), cancel=CancelToken())
    assert len(project.shots) == 1 and abs(project.shots[0] - 3.0) < 0.1
    lighting, motion, faces = (project.tracks[k] for k in ("lighting", "motion", "faces"))
    assert 20 <= len(lighting) <= 26  # 4 fps over 6 s
    first, second = lighting.times < 2.9, lighting.times > 3.1
    assert lighting.valence[first].mean() > lighting.valence[second].mean()
    mfirst, msecond = motion.times < 2.9, motion.times > 3.3
    assert motion.arousal[msecond].mean() > motion.arousal[mfirst].mean()
    assert np.all(faces.confidence == 0)  # no faces in the clip
